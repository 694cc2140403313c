"""nbval for the runs of a notebook with another params file (e.g. 04_estimates for JPN).

``make test-nbval`` runs nbval over ``notebooks/*.ipynb``, each with its own defaults (04: KOR), so
the checked cells (tag ``nbval-check-output``) of a run with another params file were not checked.
A *variant* is such a run: ``notebooks/params/<notebook>_<suffix>.yaml`` whose values differ from
the defaults in the notebook's parameters cell (``04_estimates_JPN``; ``04_estimates_KOR`` equals
the defaults and is checked through the source notebook itself). For each variant:

* ``store`` (``make notebooks-refresh``, after the build): the checked cells' outputs of the
  executed run ``reports/notebooks/<stem>.ipynb``, exactly as ``autotariffs refresh-notebook``
  would store them in a source notebook, go to ``tests/nbval_variants/<stem>.json``;
* ``write DIR`` (``make test-nbval``): ``DIR/<stem>.ipynb`` = the *current* source notebook with
  the variant's parameters injected as papermill injects them and the stored outputs in its
  checked cells; nbval then executes it beside the others and compares.

Which cells are checked is read from the tags, never from their text, so a rewritten notebook
needs only ``make notebooks-refresh``. A variant without stored outputs, stored outputs without a
variant, or checked cells that no longer line up with the stored ones stop ``write`` with a line
that says to run ``make notebooks-refresh``.

    python scripts/nbval_variants.py store
    python scripts/nbval_variants.py write DIR
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CHECK = "nbval-check-output"


class VariantError(Exception):
    """Stored outputs and the notebooks or params files disagree: refresh them."""


def _paths(root: Path) -> tuple[Path, Path, Path, Path]:
    """notebooks/, notebooks/params/, reports/notebooks/, tests/nbval_variants/ under ``root``."""
    return (root / "notebooks", root / "notebooks" / "params", root / "reports" / "notebooks",
            root / "tests" / "nbval_variants")


def defaults(nb: dict[str, Any]) -> dict[str, Any]:
    """Literal assignments of the notebook's cell tagged ``parameters``."""
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    out = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def variants(root: Path) -> dict[str, tuple[str, Path]]:
    """stem -> (notebook, params file) for every params file of a notebook whose values are not
    the notebook's own defaults."""
    from autotariffs.config import check_params_file

    nbs, params, _, _ = _paths(root)
    out = {}
    for f in sorted(params.glob("*_*.yaml")):
        for source in sorted(nbs.glob("*.ipynb")):
            name = source.stem
            if f.stem.startswith(name + "_"):
                p = check_params_file(name, f)
                own = defaults(json.loads(source.read_text(encoding="utf-8")))
                if any(own.get(k) != v for k, v in p.items()):
                    out[f.stem] = (name, f)
    return out


def checked_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"]
            if c["cell_type"] == "code" and CHECK in c.get("metadata", {}).get("tags", [])]


def store(root: Path = ROOT) -> list[Path]:
    """Write tests/nbval_variants/<stem>.json for every variant from its executed run; remove the
    stored outputs of runs that are no longer variants. Returns the files written."""
    from autotariffs.run import refresh_source

    _, _, executed, folder = _paths(root)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    found = variants(root)
    for stem, (name, params) in found.items():
        run = executed / f"{stem}.ipynb"
        if not run.is_file():
            raise VariantError(f"{run} is missing: build it first (make)")
        with tempfile.TemporaryDirectory() as tmp:
            refreshed = Path(tmp) / f"{name}.ipynb"
            refresh_source(run, refreshed)  # the same outputs refresh-notebook stores
            nb = json.loads(refreshed.read_text(encoding="utf-8"))
        data = {"notebook": name, "params": params.relative_to(root).as_posix(),
                "executed": run.relative_to(root).as_posix(),
                "cells": [{"id": c.get("id"), "outputs": c["outputs"]} for c in checked_cells(nb)]}
        out = folder / f"{stem}.json"
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                       encoding="utf-8")
        written.append(out)
    for old in sorted(folder.glob("*.json")):
        if old.stem not in found:
            old.unlink()
    return written


def materialise(stem: str, stored: dict[str, Any], root: Path = ROOT) -> dict[str, Any]:
    """The variant as a notebook: current source, injected parameters, stored checked outputs."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    from autotariffs.config import check_params_file

    nbs, _, _, _ = _paths(root)
    name = stored["notebook"]
    source = nbs / f"{name}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cells = checked_cells(nb)
    want = [c["id"] for c in stored["cells"]]
    if [c.get("id") for c in cells] != want:
        raise VariantError(
            f"{stem}: the checked cells of {source.relative_to(root)} "
            f"({[c.get('id') for c in cells]}) are not those stored ({want}): run make "
            "notebooks-refresh")
    for count, (cell, kept) in enumerate(zip(cells, stored["cells"], strict=True), start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(copy.deepcopy(o)) for o in kept["outputs"]]
    params = check_params_file(name, root / stored["params"])
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    nb.metadata["papermill"] = {}  # papermill records the parameters there (removed below)
    nb = parameterize_notebook(nb, params, report_mode=False, kernel_name=kernel)
    nb.metadata.pop("papermill", None)
    return nb


def write(out_dir: Path, root: Path = ROOT) -> list[Path]:
    """DIR/<stem>.ipynb for every variant; VariantError if stored outputs and variants differ."""
    import nbformat

    _, _, _, folder = _paths(root)
    found = variants(root)
    stored = {f.stem: f for f in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    missing, stale = sorted(set(found) - set(stored)), sorted(set(stored) - set(found))
    if missing or stale:
        raise VariantError(
            f"checked outputs of notebook runs: none stored for {missing}, stored for runs that are "
            f"not variants {stale} (tests/nbval_variants/): run make notebooks-refresh")
    nbs = {stem: materialise(stem, json.loads(f.read_text(encoding="utf-8")), root)
           for stem, f in stored.items()}  # all of them first: nothing is written on an error
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, nb in nbs.items():
        path = out_dir / f"{stem}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("store", help="executed runs -> tests/nbval_variants/ (make notebooks-refresh)")
    w = sub.add_parser("write", help="tests/nbval_variants/ + notebooks/ -> DIR (make test-nbval)")
    w.add_argument("dir", type=Path)
    args = ap.parse_args(argv)
    try:
        files = store() if args.cmd == "store" else write(args.dir)
    except VariantError as exc:
        print(f"[fail] nbval variants: {exc}", file=sys.stderr)
        return 1
    for f in files:
        print(f"[nbval] {'stored' if args.cmd == 'store' else 'wrote'} {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
