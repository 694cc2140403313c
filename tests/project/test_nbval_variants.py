"""nbval checks every run of 04 (scripts/nbval_variants.py), not only the notebook's defaults.

``make test-nbval`` executes each ``notebooks/*.ipynb`` with its own defaults (04: KOR) and,
through ``scripts/nbval_variants.py write``, every *variant* run (a params file whose values differ
from the notebook's defaults: 04 for JPN) as the current source notebook with the variant's
parameters injected and its checked outputs from ``tests/nbval_variants/<run>.json`` (written by
``make notebooks-refresh``). Here: which runs are variants, what the written notebook holds, and
that stored outputs out of line with the notebooks stop the run instead of checking nothing. The
execution itself, and its comparison with the stored outputs, is nbval's (``make test-nbval``).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from support import ROOT


def _load():
    spec = importlib.util.spec_from_file_location("nbval_variants",
                                                  ROOT / "scripts" / "nbval_variants.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nbval_variants"] = mod
    spec.loader.exec_module(mod)
    return mod


nv = _load()
CHECK = "nbval-check-output"


def _plain(outputs: list) -> list:
    """Outputs with multi-line strings joined (a notebook file may store them as line lists)."""
    def join(v):
        return "".join(v) if isinstance(v, list) and all(isinstance(s, str) for s in v) else v
    return [{k: ({m: join(x) for m, x in v.items()} if isinstance(v, dict) else join(v))
             for k, v in dict(o).items()} for o in outputs]


def _fake_root(tmp_path: Path) -> Path:
    """notebooks/ (with params) and the stored outputs, copied: a project the test may break."""
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "tests" / "nbval_variants", root / "tests" / "nbval_variants")
    return root


def test_every_04_run_is_checked_by_nbval():
    """KOR's params are 04's defaults (nbval runs the source notebook); every other 04 run is a
    variant with stored outputs."""
    found = nv.variants(ROOT)
    runs = sorted(p.stem for p in (ROOT / "notebooks" / "params").glob("04_estimates_*.yaml"))
    defaults = nv.defaults(json.loads((ROOT / "notebooks" / "04_estimates.ipynb").read_text()))
    for run in runs:
        params = yaml.safe_load((ROOT / "notebooks" / "params" / f"{run}.yaml").read_text())
        same = all(defaults.get(k) == v for k, v in params.items())
        assert (run not in found) == same, (run, params, defaults)
    assert "04_estimates_JPN" in found and "04_estimates_KOR" not in found
    stored = {p.stem for p in (ROOT / "tests" / "nbval_variants").glob("*.json")}
    assert stored == set(found)


def test_written_variant_is_the_source_with_the_runs_parameters_and_stored_outputs(tmp_path):
    [path] = nv.write(tmp_path / "out")
    nb = nbformat.read(path, as_version=4)
    source = nbformat.read(ROOT / "notebooks" / "04_estimates.ipynb", as_version=4)
    stored = json.loads((ROOT / "tests" / "nbval_variants" / f"{path.stem}.json").read_text())
    # every source cell, in order, with the papermill cell injected after the parameters cell
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'origin = "JPN"' in injected[0].source
    assert [c.source for c in nb.cells if c not in injected] == [c.source for c in source.cells]
    idx = [i for i, c in enumerate(nb.cells) if c in injected][0]
    assert "parameters" in nb.cells[idx - 1].metadata.get("tags", [])
    # the checked cells carry the stored outputs of the JPN run (not KOR's from the source)
    checked = [c for c in nb.cells if CHECK in c.metadata.get("tags", [])]
    assert [c.id for c in checked] == [c["id"] for c in stored["cells"]]
    assert [_plain(c.outputs) for c in checked] == [_plain(c["outputs"]) for c in stored["cells"]]
    text = "".join("".join(o.get("text", "")) for c in checked for o in c.outputs)
    assert text.startswith("JPN ") and "KOR " not in text


def test_outputs_out_of_line_with_the_notebooks_stop_the_run(tmp_path):
    root = _fake_root(tmp_path)
    folder = root / "tests" / "nbval_variants"
    stored = folder / "04_estimates_JPN.json"
    data = json.loads(stored.read_text())
    # a checked cell the stored outputs do not know (a rewritten notebook, not refreshed)
    data["cells"][0]["id"] = "renamed"
    stored.write_text(json.dumps(data))
    with pytest.raises(nv.VariantError, match="notebooks-refresh"):
        nv.write(tmp_path / "out", root)
    # a variant without stored outputs (a new origin, not refreshed)
    stored.unlink()
    with pytest.raises(nv.VariantError, match=r"none stored for \['04_estimates_JPN'\]"):
        nv.write(tmp_path / "out", root)
    # stored outputs of a run that is no longer a variant (params file removed)
    shutil.copytree(ROOT / "tests" / "nbval_variants", folder, dirs_exist_ok=True)
    (root / "notebooks" / "params" / "04_estimates_JPN.yaml").unlink()
    with pytest.raises(nv.VariantError, match=r"not variants \['04_estimates_JPN'\]"):
        nv.write(tmp_path / "out", root)
    assert not (tmp_path / "out").exists()
