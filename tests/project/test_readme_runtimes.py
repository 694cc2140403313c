"""The README's runtime rows quote the benchmark files, not numbers typed from memory.

Timings are machine-dependent, so they are measured by the benchmark scripts (never by timed
tests) and stored in reports/benchmarks/; this checks that the README says what those files hold.
"""

from __future__ import annotations

import json

from autotariffs import paths

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")
BENCH = paths.ROOT / "reports" / "benchmarks"


def test_clean_make_row_quotes_stage_move_json():
    d = json.loads((BENCH / "stage_move.json").read_text(encoding="utf-8"))
    after, before = d["after"]["results"], d["before"]["results"]
    a, b = after["clean_make_s"], before["clean_make_s"]
    assert f"median **{a['median']:.1f} s** ({min(a['runs']):.1f}–{max(a['runs']):.1f} s" in README
    assert f"{b['median']:.1f} s ({min(b['runs']):.1f}–{max(b['runs']):.1f} s)" in README
    assert f"| no-op `make` | {after['noop_make_s']['median']:.3f} s |" in README
    assert f"{after['make_peak_rss_mb']['median'] / 1000:.2f} GB" in README


def test_uneven_estimator_row_quotes_estimators_json():
    rows = json.loads((BENCH / "estimators.json").read_text(encoding="utf-8"))["results"]
    got = {r["estimator"]: r for r in rows if r["dataset"] == "uneven_1000000"}
    for est in ("feols", "fepois"):
        r = got[est]
        quoted = (f"`{est}` {r['autotariffs_s']:.2f} s vs {r['pyfixest_s']:.2f} s "
                  f"(**{r['ratio_ours_over_pyfixest']:.2f}×**)")
        assert quoted in README, quoted
