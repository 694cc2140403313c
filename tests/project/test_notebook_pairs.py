"""notebooks/*.ipynb are the source; each is paired with a jupytext percent script for review.

Why: the notebooks are edited where researchers edit them (JupyterLab, which with jupytext saves
both files), and reviewers read the ``.py`` diff. A pair that drifted apart (one side edited
without the other) would make the review show code that does not run; this test fails then, and
``make notebooks-sync`` (``jupytext --sync``) repairs it from the newer side.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from support import ROOT

NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))


def cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What a reviewer must see: each cell's type, source and tags (outputs are not paired)."""
    return [(c.cell_type, c.source.strip("\n"), tuple(c.metadata.get("tags", ())))
            for c in nb.cells]


def pair_mismatch(ipynb: Path) -> str | None:
    """None if ``ipynb`` and its ``.py`` twin have the same cells, else what differs."""
    py = ipynb.with_suffix(".py")
    if not py.is_file():
        return f"{py.name} is missing: run make notebooks-sync"
    a = cells(nbformat.read(ipynb, as_version=4))
    b = cells(jupytext.read(py))
    if len(a) != len(b):
        return f"{ipynb.name} has {len(a)} cells, {py.name} {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            return f"cell {i} differs between {ipynb.name} and {py.name}:\n{x}\n{y}"
    return None


def test_there_are_notebooks():
    assert len(NOTEBOOKS) == 6


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_paired_with_its_percent_script(ipynb):
    nb = nbformat.read(ipynb, as_version=4)
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
    assert pair_mismatch(ipynb) is None, pair_mismatch(ipynb)


def test_every_script_has_its_notebook():
    scripts = {p.stem for p in NB_DIR.glob("*.py")}
    assert scripts == {p.stem for p in NOTEBOOKS}


def test_an_edit_on_one_side_is_found(tmp_path):
    """Edit a cell of 04 in the .ipynb only (as JupyterLab without jupytext would): mismatch."""
    src = NB_DIR / "04_estimates.ipynb"
    ipynb = tmp_path / src.name
    nb = nbformat.read(src, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source += "\nprint('edited in JupyterLab')"
    nbformat.write(nb, ipynb)
    (tmp_path / "04_estimates.py").write_text((NB_DIR / "04_estimates.py").read_text())
    assert "differs" in pair_mismatch(ipynb)
    # and syncing from the edited side repairs the pair (what make notebooks-sync does)
    jupytext.write(nbformat.read(ipynb, as_version=4), tmp_path / "04_estimates.py",
                   fmt="py:percent")
    assert pair_mismatch(ipynb) is None
