"""Verify raw files against ``data/raw/SHA256SUMS`` before anything is built.

The raw data are byte-for-byte copies; a changed byte means results are no longer reproducible
from the documented sources, so the build refuses to run rather than warn.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from autotariffs import paths
from autotariffs.atomic import sha256_file
from autotariffs.errors import ChecksumError

_UNLISTED_OK = ("fetched/",)  # live downloads are tracked by their own manifest
_IGNORED_NAMES = (".DS_Store",)


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
            "re-hash a deliberate change (make rehash-raw FILE=data/raw/<folder>/<file> "
            "REASON='...').",
            changed + missing + unlisted,
        )
    return sorted(entries)


def write_manifest(path: Path, entries: dict[str, str]) -> None:
    """Write ``<sha256>  <path>`` lines sorted by path (the format ``sha256sum -c`` reads)."""
    lines = [f"{digest}  {rel}\n" for rel, digest in sorted(entries.items())]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)


def rehash(
    file: str | Path,
    reason: str,
    raw_dir: Path = paths.RAW,
    manifest: str = "SHA256SUMS",
    date: str | None = None,
) -> tuple[str | None, str]:
    """Record a deliberate change of one raw file: its new SHA-256 goes into the manifest and a
    dated entry (old and new hash, reason) is appended to its folder's PROVENANCE.md, which is
    re-hashed too. Returns (old, new) digests; ``old`` is None for a newly added file."""
    raw_dir = Path(raw_dir).resolve()
    f = Path(file)
    f = (f if f.is_absolute() else Path.cwd() / f).resolve()
    if not f.is_file():
        raise ChecksumError(f"{file}: no such file; give FILE=data/raw/<folder>/<file>", [str(file)])
    try:
        rel = f.relative_to(raw_dir).as_posix()
    except ValueError:
        raise ChecksumError(f"{file}: not inside {raw_dir}; only raw files are hashed",
                            [str(file)]) from None
    if rel == manifest or rel.startswith(_UNLISTED_OK) or "/" not in rel:
        raise ChecksumError(f"{file}: expected data/raw/<folder>/<file> (not the manifest, not "
                            "fetched/)", [rel])
    if not reason.strip():
        raise ChecksumError(f"{file}: give a REASON='...' for the change (it goes into "
                            f"{rel.split('/')[0]}/PROVENANCE.md)", [rel])
    mpath = raw_dir / manifest
    entries = read_manifest(mpath) if mpath.is_file() else {}
    old, new = entries.get(rel), sha256_file(f)
    date = date or dt.datetime.now(dt.UTC).date().isoformat()
    prov_rel = f"{rel.split('/')[0]}/PROVENANCE.md"
    prov = raw_dir / prov_rel
    entry = (
        f"\n## {date}: re-hashed `{rel}`\n\n"
        f"- reason: {reason.strip()}\n"
        f"- old SHA-256: {old or '(not listed before)'}\n"
        f"- new SHA-256: {new}\n"
    )
    text = prov.read_text(encoding="utf-8") if prov.is_file() else f"# Provenance of {prov_rel.split('/')[0]}/\n"
    if not text.endswith("\n"):
        text += "\n"
    prov.write_text(text + entry, encoding="utf-8")
    entries[rel] = new
    entries[prov_rel] = sha256_file(prov)
    write_manifest(mpath, entries)
    return old, new

