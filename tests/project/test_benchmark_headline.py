"""The calibrated benchmark and the build choose the same headline design.

``scripts/bench_one_treated.py`` runs the calibrated simulation at full size (2,000 draws) and
stores the design its rule chooses per origin and outcome in
``reports/benchmarks/one_treated_calibrated.json``; the build runs the same simulation at the
notebook's size and reports its choice as ``<ORIGIN>.headline.design`` in
``reports/results.json``. If the two disagree, the headline rests on Monte Carlo noise (or one
of them is stale): rerun the benchmark after a change to the data or the designs.
"""

from __future__ import annotations

import json

import pytest

from autotariffs import design, paths

BENCH = paths.ROOT / "reports" / "benchmarks" / "one_treated_calibrated.json"


def test_benchmark_headline_design_equals_the_builds():
    results_path = paths.REPORTS / "results.json"
    if not results_path.exists():
        pytest.skip("reports/results.json not built (run make first)")
    bench = json.loads(BENCH.read_text(encoding="utf-8"))
    results = json.loads(results_path.read_text(encoding="utf-8"))
    assert bench["draws"] >= 1000
    assert bench["headline_outcome"] == design.HEADLINE_OUTCOME
    for origin in design.TREATED:
        chosen = bench["calibrated"][origin]["chosen"][design.HEADLINE_OUTCOME]
        assert chosen is not None, origin
        assert bench["headline"][origin]["design"] == chosen
        head = results[origin]["headline"]
        assert head["outcome"] == design.HEADLINE_OUTCOME
        assert head["design"] == chosen, (origin, head["design"], chosen)
