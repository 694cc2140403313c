"""Where the build came from: the git commit, and each raw file's source and checksum.

The sources are read from each ``data/raw`` folder's ``PROVENANCE.md`` (two layouts: markdown
tables with a ``source`` column, and ``### `file``` sections with source bullets); the files and
their SHA-256 from ``data/raw/SHA256SUMS``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from autotariffs.outputs import ReportError

# Paths that the pipeline itself writes; changes there must not mark the source tree "dirty".
GENERATED_PATHS = ("reports", "data/processed", "data/raw/fetched")


def git_commit(repo_dir: str | os.PathLike[str]) -> tuple[str, bool]:
    """``(commit, dirty)``; ``("unknown", False)`` outside git. Generated paths are ignored."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo_dir, capture_output=True, text=True, timeout=30
        )
        if head.returncode != 0:
            return "unknown", False
        excludes = [f":(exclude){p}" for p in GENERATED_PATHS]
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", *excludes],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
    return head.stdout.strip(), bool(status.stdout.strip())


def _provenance_sources(text: str) -> tuple[str, dict[str, str]]:
    """Parse a PROVENANCE.md: its title and a {file name: source description} map.

    Understands the two layouts used in data/raw: markdown tables with a ``source`` column, and
    ``### N. `file``` sections with ``* Source repo:`` / ``* Original source:`` bullets.
    """
    lines = text.splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), "")
    sources: dict[str, str] = {}
    header: list[str] | None = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if header is None:
                header = [c.lower() for c in cells]
                continue
            if all(set(c) <= set("-: ") for c in cells):
                continue
            m = re.match(r"^`([^`]+)`$", cells[0])
            col = next((j for j, h in enumerate(header) if h.startswith("source")), None)
            if m is None and col is None:
                continue
            if col is None:
                col = next((j for j, h in enumerate(header) if "publisher" in h), None)
            if m and col is not None and col < len(cells) and m.group(1) not in sources:
                sources[m.group(1)] = re.sub(r"<br>.*", " (+ more)", cells[col]).replace("`", "")
        else:
            header = None
            m = re.match(r"^#{2,4}\s+(?:\d+\.\s*)?`([^`]+)`", s)
            if m and m.group(1) not in sources:
                desc = _section_sources(lines[i + 1 : i + 40])
                if desc:
                    sources[m.group(1)] = desc
    return title, sources


_BULLET = re.compile(
    r"^\*\s+(Original source|Original publisher|Source repo[^:,]*|Same repo[^:,]*)[:,]?\s*(.*)$"
)


def _section_sources(lines: list[str], width: int = 220) -> str:
    """'Original: ...; via: ...' from the bullets of one ``### `file``` section."""
    found: dict[str, str] = {}
    current: str | None = None
    for raw in lines:
        if raw.startswith("#"):
            break
        s = raw.strip()
        m = _BULLET.match(s)
        if m:
            kind = "original" if m.group(1).startswith("Original") else "via"
            current = kind if kind not in found else None
            if current:
                found[current] = m.group(2)
        elif s.startswith("*") or not s:
            current = None
        elif current:
            found[current] += " " + s
    parts = [f"{k}: {found[k]}" for k in ("original", "via") if k in found]
    text = "; ".join(p.rstrip(". ") for p in parts).replace("`", "").replace("**", "")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def provenance_summary(raw_dir: str | os.PathLike[str]) -> list[dict[str, str]]:
    """One row per file in ``raw_dir/SHA256SUMS``: file, folder title, source, sha256 prefix."""
    raw_dir = Path(raw_dir)
    sums = raw_dir / "SHA256SUMS"
    if not sums.is_file():
        raise ReportError(
            f"{sums}: checksum manifest not found (expected '<sha256>  <path>' lines)"
        )
    parsed: dict[str, tuple[str, dict[str, str]]] = {}
    rows = []
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        m = re.match(r"^([0-9a-f]{64})\s+\*?(.+)$", line.strip())
        if not m:
            raise ReportError(f"{sums}, line {n}: expected '<64 hex sha256>  <path>', got {line!r}")
        sha, rel = m.group(1), m.group(2)
        folder = rel.split("/")[0] if "/" in rel else ""
        if folder not in parsed:
            prov = raw_dir / folder / "PROVENANCE.md"
            parsed[folder] = (
                _provenance_sources(prov.read_text(encoding="utf-8"))
                if prov.is_file()
                else ("", {})
            )
        title, sources = parsed[folder]
        name = rel.split("/")[-1]
        source = sources.get(name, "")
        if not source and (
            name in ("PROVENANCE.md", "SOURCES.md", "SHA256SUMS")
            or name.lower().startswith("manifest")
        ):
            source = "documentation / manifest of this folder"
        rows.append(
            {
                "file": rel,
                "folder": title,
                "source": source or "see PROVENANCE.md",
                "sha256": sha[:12],
            }
        )
    return sorted(rows, key=lambda r: r["file"])

