"""Adding an origin is one params file (issue 16): 04 runs for it and the report shows it.

The Makefile side (one 04 run per ``notebooks/params/04_estimates_*.yaml``) is checked in
tests/core/test_design.py. Here a copy of the built outputs goes to a temporary output root, 04
runs for DEU from a params file that differs from KOR's only in ``origin``, then 06 builds the report
there: DEU has results, figures, headline rows and narrative. The real build is not touched.
Needs the built outputs (``make`` runs before ``make test`` in CI).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from support.notebooks import run_notebook

from autotariffs import paths


@pytest.mark.slow
def test_one_params_file_adds_an_origin(tmp_path):
    if not (paths.REPORTS / "results.json").exists():
        pytest.skip("the build is not there (run make first)")
    shutil.copytree(paths.PROCESSED, tmp_path / "data" / "processed")
    for sub in ("results", "figures", "tables"):
        shutil.copytree(paths.REPORTS / sub, tmp_path / "reports" / sub)
    kor = (paths.PARAMS / "04_estimates_KOR.yaml").read_text(encoding="utf-8")
    deu = tmp_path / "04_estimates_DEU.yaml"
    deu.write_text(re.sub(r"(?m)^origin: KOR$", "origin: DEU", kor), encoding="utf-8")
    assert deu.read_text() != kor
    run_notebook(tmp_path, "04_estimates", "04_estimates_DEU", deu)
    run_notebook(tmp_path, "06_report", "06_report", paths.PARAMS / "06_report.yaml")
    res = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert {d: v["ln_q"]["n_post"] for d, v in res["DEU"]["designs"].items()} == {
        "level": 4, "yoy": 4, "trend": 4}
    assert res["DEU"]["headline"]["design"] in res["DEU"]["designs"]
    assert {"KOR", "JPN", "DEU"} <= set(res)
    figs = {p.stem for p in (tmp_path / "reports" / "figures").glob("*_DEU.json")}
    assert figs == {"gap_DEU", "designs_DEU", "placebos_DEU", "breakdown_DEU", "sensitivity_DEU"}
    page = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "Germany: the gap, the designs and the headline" in page
    assert 'data-key="DEU.designs.level.ln_q.coef"' in page
    assert 'data-key="DEU.headline.pct"' in page  # the plain answer names it too
