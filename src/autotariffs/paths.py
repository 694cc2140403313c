"""Project paths, resolved from the package location or AUTOTARIFFS_ROOT.

Notebooks run under papermill with --cwd notebooks/, so nothing may rely on the working
directory; every path is absolute and derived here.

Where outputs go (:func:`output_root`):

* ``AUTOTARIFFS_OUTPUT_ROOT`` when set (nbval, scripts/verify.py: a temporary folder);
* the project root when ``AUTOTARIFFS_BUILD=1``, which only the Make runner
  (``autotariffs run``) sets: only a Make build writes ``data/processed`` and ``reports``;
* otherwise ``<root>/scratch`` (git-ignored): a notebook run in JupyterLab, ``jupyter nbconvert
  --execute`` or a script can never overwrite the published build.

In a notebook kernel outside ``make``, importing this module (which every stage does before it
reads or writes a file) seeds ``scratch/`` with the build's processed data and results and says
so (:func:`announce`): whatever a notebook calls first, it reads what the last ``make`` built.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

BUILD_ENV = "AUTOTARIFFS_BUILD"
SCRATCH = "scratch"


def project_root() -> Path:
    env = os.environ.get("AUTOTARIFFS_ROOT")
    if env:
        return Path(env).resolve()
    # src/autotariffs/paths.py -> project root is two levels above src/
    return Path(__file__).resolve().parents[2]


def is_build() -> bool:
    """True inside a Make-driven run (the runner sets ``AUTOTARIFFS_BUILD=1`` for its kernel)."""
    return os.environ.get(BUILD_ENV) == "1"


def build_root() -> Path:
    """Where a Make build writes (and where tests read the built outputs from)."""
    env = os.environ.get("AUTOTARIFFS_OUTPUT_ROOT")
    return Path(env).resolve() if env else project_root()


def output_root() -> Path:
    """Where generated files go: an explicit AUTOTARIFFS_OUTPUT_ROOT (tests, verify), the project
    root in a Make build, else the git-ignored ``scratch/`` folder (interactive runs)."""
    if os.environ.get("AUTOTARIFFS_OUTPUT_ROOT") or is_build():
        return build_root()
    return project_root() / SCRATCH


def is_scratch() -> bool:
    return not (os.environ.get("AUTOTARIFFS_OUTPUT_ROOT") or is_build())


ROOT = project_root()
OUT = output_root()
DATA = ROOT / "data"
RAW = DATA / "raw"
EXTERNAL = DATA / "external"
FETCHED = RAW / "fetched"
PROCESSED = OUT / "data" / "processed"
REPORTS = OUT / "reports"
FIGURES = REPORTS / "figures"
TABLES = REPORTS / "tables"
RESULTS = REPORTS / "results"
EXECUTED = REPORTS / "notebooks"
NOTEBOOKS = ROOT / "notebooks"
PARAMS = NOTEBOOKS / "params"

# what an interactive run may read from the last build (inputs of later notebooks)
_SEEDED = (("data", "processed"), ("reports", "results"))
_announced = False


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    return ip is not None and "ipykernel" in sys.modules and ip.get_ipython() is not None


def seed_scratch(out: Path = OUT, root: Path = ROOT) -> list[str]:
    """Copy the build's processed data and results into ``out`` where missing or older, so that a
    notebook run in scratch reads what the last ``make`` produced; returns the copied paths."""
    copied = []
    for parts in _SEEDED:
        src, dst = root.joinpath(*parts), out.joinpath(*parts)
        if not src.is_dir():
            continue
        for f in sorted(src.iterdir()):
            if not f.is_file() or f.name.startswith("."):
                continue
            target = dst / f.name
            if target.exists() and target.stat().st_mtime >= f.stat().st_mtime:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            copied.append(str(target.relative_to(out)))
    return copied


def announce() -> None:
    """In an interactive kernel outside ``make``: seed scratch/ with the build's inputs and say
    (logging, the notebook's first output) that this run writes there. Runs once, when this
    module is first imported in the kernel; silent in Make builds, tests and plain scripts."""
    global _announced
    if _announced or not is_scratch() or not _in_kernel():
        return
    _announced = True
    from autotariffs import logs

    logs.configure()
    seed_scratch()
    logging.getLogger(__name__).info(
        "[scratch] interactive run: outputs go to %s (not data/processed or reports/; only `make` "
        "writes the published build)", OUT)


def missing(path: Path, what: str = "input") -> str:
    """Why ``path`` (an expected output of an earlier step) is missing, and the fix that is true
    here: an error message's advice for a build, an output root or scratch/."""
    if is_scratch():
        try:
            rel = path.relative_to(OUT)
        except ValueError:
            rel = None
        if rel is not None and (ROOT / rel).is_file():
            return (f"missing {what} {path}: scratch/ was not seeded from the build's {rel} (a "
                    "notebook kernel seeds it when it imports autotariffs; in a script call "
                    "autotariffs.paths.seed_scratch() first)")
        where = f"the build has no {rel} either" if rel is not None else "it is not in the build"
        return (f"missing {what} {path}: {where}; run `make` in {ROOT} first (interactive runs "
                "read the last build through scratch/)")
    return f"missing {what} {path}: run `make` in {ROOT} first (it builds data/processed/)"


# a notebook kernel outside make: seed scratch/ before anything can read it (first import)
announce()
