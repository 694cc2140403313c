"""Project paths, resolved from the package location or AUTOTARIFFS_ROOT.

Notebooks run under papermill with --cwd notebooks/, so nothing may rely on the working
directory; every path is absolute and derived here.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("AUTOTARIFFS_ROOT")
    if env:
        return Path(env).resolve()
    # src/autotariffs/paths.py -> project root is two levels above src/
    return Path(__file__).resolve().parents[2]


def output_root() -> Path:
    """Where generated files go. Tests (nbval) point this at a temporary folder so that checking
    the notebooks never touches the real ``data/processed`` or ``reports``."""
    env = os.environ.get("AUTOTARIFFS_OUTPUT_ROOT")
    return Path(env).resolve() if env else project_root()


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
