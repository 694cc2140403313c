"""Every notebook runs as the first notebook of a JupyterLab session (issue 21, item 2).

On one copy of the built project (sources plus the last build's outputs, copied from this
project; ``make`` runs before the tests), each notebook 01-06 is executed the way JupyterLab and
``jupyter nbconvert --execute`` run it: its own defaults, the project kernel, the notebook's folder
as working directory, no build marker and no output root, the copy's own ``src`` on the path. Before
each case ``scratch/`` is removed, so each notebook is the first to run. It must succeed, write
only below ``scratch/``, and say so in its first output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from support import ROOT
from support.project import copy_project

NOTEBOOKS = ("01_build_data", "02_tariff_schedule", "03_descriptives", "04_estimates",
             "05_robustness", "06_report")
BUILD_OUTPUTS = ("data/processed", "reports")


def _snapshot(root: Path) -> dict[str, str]:
    """Every file of the project outside scratch/ and caches (relative path -> SHA-256)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or rel.parts[0] == "scratch" or "__pycache__" in rel.parts:
            continue
        out[rel.as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def built_copy(tmp_path_factory) -> Path:
    if not (ROOT / "reports" / "index.html").is_file():
        pytest.skip("the build is not there (run make first)")
    proj = copy_project(tmp_path_factory.mktemp("lab") / "autotariffs")
    for d in BUILD_OUTPUTS:
        shutil.copytree(ROOT / d, proj / d, dirs_exist_ok=True, copy_function=shutil.copy2)
    return proj


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_run_first_in_jupyterlab_succeeds_and_writes_only_to_scratch(
        built_copy, name, monkeypatch):
    from nbclient import NotebookClient

    shutil.rmtree(built_copy / "scratch", ignore_errors=True)  # this notebook runs first
    for key in [k for k in os.environ if k.startswith("AUTOTARIFFS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(built_copy / "src"))
    before = _snapshot(built_copy)
    path = built_copy / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)

    NotebookClient(nb, kernel_name="autotariffs", timeout=600,
                   resources={"metadata": {"path": str(path.parent)}}).execute()

    assert _snapshot(built_copy) == before, "an interactive run wrote outside scratch/"
    assert any((built_copy / "scratch").rglob("*.json")), "nothing was written to scratch/"
    first = next(o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    text = first.get("text", "")
    assert "[scratch]" in text and str(built_copy / "scratch") in text, first
