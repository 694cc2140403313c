"""The README's runtimes are quoted from the benchmark files, not typed from memory, and the
benchmark's limits are the project's targets.

Timings are machine-dependent, so they are measured by the benchmark scripts (never by timed
tests) and stored in reports/benchmarks/; `make readme` writes the README's runtime blocks from
them. These tests fail while a block is stale, and check a few quoted numbers against the files
directly (not through the generator).
"""

from __future__ import annotations

import importlib.util
import json

from autotariffs import paths
from autotariffs.report import readme as rd

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")
BENCH = paths.ROOT / "reports" / "benchmarks"
#: the limits of "Fast enough to iterate" (seconds, CPU-seconds, MB, ratio to pyfixest)
LIMITS = {"clean_make_s": 30.0, "clean_make_cpu_s": 45.0, "noop_make_s": 0.1,
          "make_peak_pss_mb": 1024.0, "make_test_s": 240.0, "estimator_vs_pyfixest_max": 0.5}


def _json(name: str) -> dict:
    return json.loads((BENCH / name).read_text(encoding="utf-8"))


def test_runtime_blocks_are_current():
    """`make readme` after `make bench`: the blocks equal what the files say now."""
    assert rd.block(README, "runtime") == rd.runtime_markdown(BENCH).strip(), \
        "README runtime block is stale: run make readme"
    assert rd.block(README, "runtime-summary") == rd.runtime_summary(BENCH).strip(), \
        "README runtime summary is stale: run make readme"


def test_limits_are_the_targets_in_bench_and_its_json():
    spec = importlib.util.spec_from_file_location("bench", paths.ROOT / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert {k: v[0] for k, v in bench.TARGETS.items()} == LIMITS
    assert {k: v["limit"] for k, v in _json("benchmarks.json")["targets"].items()} == LIMITS


def test_block_quotes_date_load_and_clean_make_of_benchmarks_json():
    d = _json("benchmarks.json")
    block = rd.block(README, "runtime")
    res, info = d["results"], d["machine"]
    assert f"on {info['date_utc']} " in block
    assert f"load average {info['load_avg_at_start'][0]:.1f} when it started" in block
    make = res["clean_make_s"]
    assert f"median **{make['median']:.1f} s** (" in block
    assert ", ".join(f"{x:.1f}" for x in make["runs"]) in block
    assert f"median **{res['clean_make_cpu_s']['median']:.1f} CPU-s**" in block


def test_block_quotes_each_step_of_build_profile_json():
    med = _json("build_profile.json")["median"]
    block = rd.block(README, "runtime")
    for step, row in med.items():
        assert f"| {step} | {row['began_s']:g} | {row['wall_s']:g} | {row['cpu_s']:g} |" in block


def test_uneven_estimator_row_quotes_estimators_json():
    rows = _json("estimators.json")["results"]
    got = {r["estimator"]: r for r in rows if r["dataset"] == "uneven_1000000"}
    quoted = " | ".join(f"{got[e]['autotariffs_s']:.2f} s vs {got[e]['pyfixest_s']:.2f} s "
                        f"(**{got[e]['ratio_ours_over_pyfixest']:.2f}×**)"
                        for e in ("feols", "fepois"))
    assert f"| `uneven_1000000` | {quoted} |" in rd.block(README, "runtime")


def test_estimator_load_spans_every_rows_own_load():
    """Rows re-measured at another time keep their own load; the sentence spans all of them
    (loads written by hand here, not read from the file)."""
    rows = [{"load_start": [4.8, 5.0, 5.1], "load_end": [6.0, 5.2, 5.1]},
            {"load_start": [0.9, 1.0, 1.1], "load_end": [1.0, 1.0, 1.1]}]
    assert rd._row_loads(rows, {}) == ("load average 0.9 to 6.0 across the rows "
                                       "(each row's in the file)")
    assert rd._row_loads(rows[1:2], {}) == ("load average 0.9 to 1.0 across the rows "
                                            "(each row's in the file)")
    assert rd._row_loads([{"load_start": [2.0], "load_end": [2.04]}], {}) == "load average 2.0"
