"""Verify raw files against ``data/raw/SHA256SUMS`` before anything is built.

The raw data are byte-for-byte copies; a changed byte means results are no longer reproducible
from the documented sources, so the build refuses to run rather than warn.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from autotariffs import paths
from autotariffs.errors import ChecksumError

_UNLISTED_OK = ("fetched/",)  # live downloads are tracked by their own manifest
_IGNORED_NAMES = (".DS_Store",)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ChecksumError(f"{path.name} line {i}: expected '<sha256>  <path>', got {line!r}",
                                [path.name])
        entries[parts[1].lstrip("*").strip()] = parts[0].lower()
    return entries


def verify_manifest(raw_dir: Path = paths.RAW, manifest: str = "SHA256SUMS") -> list[str]:
    """Check every listed file's SHA-256; return the verified relative paths (sorted).

    Raises ChecksumError naming files that differ, are missing, or are present but unlisted
    (files under ``fetched/`` and the manifest itself are exempt).
    """
    raw_dir = Path(raw_dir)
    mpath = raw_dir / manifest
    if not mpath.is_file():
        raise ChecksumError(f"manifest {mpath} not found", [manifest])
    entries = read_manifest(mpath)
    changed, missing = [], []
    for rel, digest in sorted(entries.items()):
        f = raw_dir / rel
        if not f.is_file():
            missing.append(rel)
        elif sha256_file(f) != digest:
            changed.append(rel)
    present = {
        p.relative_to(raw_dir).as_posix()
        for p in raw_dir.rglob("*")
        if p.is_file() and p.name not in _IGNORED_NAMES
    }
    unlisted = sorted(
        p for p in present - set(entries) - {manifest} if not p.startswith(_UNLISTED_OK)
    )
    if changed or missing or unlisted:
        parts = []
        if changed:
            parts.append(f"checksum differs: {changed}")
        if missing:
            parts.append(f"missing: {missing}")
        if unlisted:
            parts.append(f"present but not listed in {manifest}: {unlisted}")
        raise ChecksumError(
            f"{mpath}: raw data do not match the manifest ({'; '.join(parts)}). Raw files must "
            "be byte-for-byte copies; restore them (git checkout data/raw) or document and "
            "re-hash a deliberate change.",
            changed + missing + unlisted,
        )
    return sorted(entries)
