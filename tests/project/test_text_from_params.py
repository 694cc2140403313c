"""Dates, counts and windows in captions, notes and results text follow the parameters.

Issue 15.6: after changing ``end`` the report still said "four post-tariff months (2025-04 to
2025-07)" and "2020-01 to 2025-07", because they were typed into notebooks and narrative. Here
03 and 04 run with ``end: "2025-06"`` into a temporary output root (the real build is not touched)
and every caption, source note, title and result text that describes the estimation window is
searched for the default end month. Korea's deal-cut block is excluded by rule: it comes from
Korea's own export statistics (2025-01 to 2026-06), whose months do not depend on ``end``.
The inputs (01's and 02's outputs) come from the run's shared build (``built_project``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.notebooks import run_notebook

STALE = "2025-07"  # the default end month; with end 2025-06 it may appear nowhere below


def _strings(obj, skip: tuple[str, ...] = ()) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v, skip)]
    return []


@pytest.fixture(scope="module")
def short_run(tmp_path_factory, built_project) -> Path:
    needed = ["flows.parquet", "fx_monthly.parquet", "tariffs_monthly.parquet",
              "macro_monthly.parquet"]
    tmp = tmp_path_factory.mktemp("end_2025_06")
    (tmp / "data" / "processed").mkdir(parents=True)
    for n in needed:
        shutil.copy2(built_project.root / "data" / "processed" / n, tmp / "data" / "processed" / n)
    p03, p04 = tmp / "03_descriptives.yaml", tmp / "04_estimates_KOR.yaml"
    p03.write_text('source: snapshot\nstart: "2020-01"\nend: "2025-06"\n', encoding="utf-8")
    p04.write_text(
         'origin: KOR\ncontrols: [MEX, CAN]\nsource: snapshot\nstart: "2020-01"\n'
         'end: "2025-06"\nevent_date: "2025-04-03"\nbaseline_start: "2021-01"\ndonut: 1\n'
         'leads: 6\nn_boot: 999\nseed: 20250403\n', encoding="utf-8")
    run_notebook(tmp, "03_descriptives", "03_descriptives", p03)
    run_notebook(tmp, "04_estimates", "04_estimates_KOR", p04)
    return tmp


@pytest.mark.slow
def test_no_stale_end_month_in_captions_notes_or_results(short_run):
    rep = short_run / "reports"
    texts: dict[str, list[str]] = {}
    for side in sorted((rep / "figures").glob("*.json")) + sorted((rep / "tables").glob("*.json")):
        if side.stem in ("deal_cut_KOR", "control_series_extended", "control_exposure",
                         "statutory_vs_collected", "effective_vs_statutory", "coverage",
                         "reconciliation", "tariff_timeline"):
            continue  # fixed-coverage sources (not the estimation window)
        meta = json.loads(side.read_text())
        texts[side.name] = [str(meta.get(k, "")) for k in ("title", "caption", "source_note")]
    res = json.loads((rep / "results" / "04_estimates_KOR.json").read_text())["KOR"]
    texts["04 results"] = _strings(res, skip=("deal_cut",))
    assert len(texts) >= 8
    stale = {where: [t for t in ts if STALE in t] for where, ts in texts.items()}
    assert {k: v for k, v in stale.items() if v} == {}
    # and the new window is what the text says
    assert res["window"]["post_end"] == "2025-06"
    assert {d: v["ln_q"]["n_post"] for d, v in res["designs"].items()} == {
        "level": 3, "yoy": 3, "trend": 3}
    cap = json.loads((rep / "tables" / "designs_KOR.json").read_text())["caption"]
    assert "2025-04 to 2025-06" in cap


def test_the_stale_check_can_fail():
    """The rule itself: a caption typed with the default end month is caught."""
    assert STALE in "Source: UN Comtrade monthly HS 8703, 2020-01 to 2025-07."
    assert _strings({"a": ["x 2025-07"], "deal_cut": "2025-07"}, skip=("deal_cut",)) == [
        "x 2025-07"]
