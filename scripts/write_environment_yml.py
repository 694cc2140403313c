"""Write environment.yml (for conda users) pinning exactly the versions in requirements.lock.

Packages go in the pip section so that names and versions are identical to the lock; conda only
provides Python itself. tests/project/test_environment.py checks that the two files agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def pins(lock: Path) -> list[tuple[str, str]]:
    out = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            out.append((m.group(1).lower(), m.group(2)))
    return sorted(out)


def render(lock: Path) -> str:
    lines = [
        "# Generated from requirements.lock by scripts/write_environment_yml.py; do not edit by hand.",
        "# conda env create -f environment.yml && conda activate autotariffs && pip install -e .",
        "name: autotariffs",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={ver}" for name, ver in pins(lock)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    lock, out = (Path(a) for a in sys.argv[1:3])
    Path(out).write_text(render(lock), encoding="utf-8")
