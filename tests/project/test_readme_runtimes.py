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


def test_make_test_row_quotes_test_suite_json():
    """The make-test row: before and after (scripts/bench.py --only test), wall and CPU seconds."""
    runs = json.loads((BENCH / "test_suite.json").read_text(encoding="utf-8"))["runs"]
    for label in ("before", "after"):
        r = runs[label]
        tests = next(s for s in r["make_test_runs"][0]["pytest"] if "skipped" in s)
        quoted = (f"{label} ({r['source']['commit'][:7]}): **{r['make_test_s']['median']:.0f} s** "
                  f"({r['make_test_cpu_s']['median']:.0f} CPU-s, load "
                  f"{r['make_test_runs'][0]['load_avg_before'][0]:.1f}; {tests.split(' in ')[0]})")
        assert quoted in README, quoted
        ph = r["phases"]
        alone = (f"each phase alone: ruff {ph['ruff']['median']:.1f} s, pytest "
                 f"{ph['pytest']['median']:.0f} s ({ph['pytest']['cpu_s']['median']:.0f} CPU-s), "
                 f"nbval {ph['nbval']['median']:.0f} s, verify-quick "
                 f"{ph['verify_quick']['median']:.0f} s")
        assert f"{quoted}; {alone}" in README, alone
