"""Deterministic, atomic writers: every output is written to a temporary file and renamed.

A failed step therefore never leaves a half-written target for Make to mistake as done. Inside a
step run by ``autotariffs run`` every replacement is also recorded in the step's journal
(:data:`JOURNAL_ENV`), with the previous version of the file kept beside it: if the step fails, the
runner puts the previous outputs back (:func:`rollback`), so ``reports/`` never mixes the last good
executed notebook with half of a failed run's results; if it succeeds, the runner drops them
(:func:`commit`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the notebook runner imports this module and needs no pandas (0.5 s)
    import pandas as pd


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp"
    )
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; outputs are meant to be read and served
    try:
        yield tmp_path
        _record(path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


#: the step's journal, set by the runner for its kernel (one JSON line per replaced target)
JOURNAL_ENV = "AUTOTARIFFS_JOURNAL"
_recorded: set[tuple[str, str]] = set()


def _record(path: Path) -> None:
    """Before the first replacement of ``path`` in a journaled step, keep its previous version
    (a hard link beside it, ``.<name>.prev-<pid>``) and record target and backup."""
    journal = os.environ.get(JOURNAL_ENV)
    if not journal:
        return
    target = path.absolute()
    if (journal, str(target)) in _recorded:
        return  # the backup holds the version from before the step
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.prev-{os.getpid()}")
        backup.unlink(missing_ok=True)
        try:
            os.link(target, backup)  # the old inode survives the replace
        except OSError:
            shutil.copy2(target, backup)
    with open(journal, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"target": str(target), "backup": backup and str(backup)}) + "\n")
    _recorded.add((journal, str(target)))


def _entries(journal: Path) -> list[dict[str, str | None]]:
    if not journal.is_file():
        return []
    return [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line]


def rollback(journal: str | os.PathLike[str]) -> list[str]:
    """Undo a failed step's writes: every target recorded in ``journal`` gets its previous version
    back, or is removed if the step created it. Returns the targets restored or removed."""
    done = []
    for e in reversed(_entries(Path(journal))):
        target = Path(str(e["target"]))
        if e["backup"]:
            os.replace(str(e["backup"]), target)
        else:
            target.unlink(missing_ok=True)
        done.append(str(target))
    return done


def commit(journal: str | os.PathLike[str]) -> None:
    """A step succeeded: drop the previous versions its journal kept."""
    for e in _entries(Path(journal)):
        if e["backup"]:
            Path(str(e["backup"])).unlink(missing_ok=True)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a parquet file byte-stably (no pandas index metadata drift, fixed compression)."""
    with atomic_path(path) as tmp:
        df.reset_index(drop=True).to_parquet(tmp, index=False, compression="zstd", engine="pyarrow")
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], float_format: str = "%.10g") -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format=float_format, lineterminator="\n")
    return Path(path)


def _round_floats(obj: Any, digits: int) -> Any:
    if isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            return None
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {str(k): _round_floats(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round_floats(v, digits) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return _round_floats(obj.item(), digits)
    return obj


def write_json(obj: Any, path: str | os.PathLike[str], digits: int = 10) -> Path:
    """Write JSON with sorted keys and floats rounded to ``digits`` significant digits."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(_round_floats(obj, digits), indent=2, sort_keys=True, allow_nan=False)
            + "\n",
            encoding="utf-8",
        )
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
