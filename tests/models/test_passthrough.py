"""Mirror (Japan-reported) pass-through and the per-origin summary, on SIMULATED panels.

The last test runs the per-origin summary on the real processed snapshot when it exists (skipped
otherwise) and checks only structure and run time, not estimates.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from support import simulate

from autotariffs import paths
from autotariffs.models import origin_results, summarize_origin
from autotariffs.models import passthrough as pt
from autotariffs.models.pooled import estimate_pooled

ORIGINS = ["CAN", "DEU", "JPN", "KOR", "MEX"]


def _sim(seed=3):
    return simulate.with_origins(simulate.simulate_panel(seed=seed), ORIGINS)


def _with_mirror(p, slope=-1.0, fx_slope=0.4, noise=0.005, seed=0):
    """SIMULATED mirror: d12 ln mirror uv = slope * d12 ln(1+tau) + fx_slope * d12 ln fx + e."""
    rng = np.random.default_rng(seed)
    p = p.copy()
    j = p["origin"] == "JPN"
    p["d12_ln_mirror_uv"] = np.nan
    p.loc[j, "d12_ln_mirror_uv"] = (
        slope * p.loc[j, "d12_ln1p_tau"] + fx_slope * p.loc[j, "d12_ln_fx"]
        + rng.normal(0, noise, j.sum())
    )  # fmt: skip
    p["ln_mirror_uv"] = np.where(j, p["ln_uv"] - 0.05, np.nan)
    return p


def test_mirror_passthrough_recovers_slope_with_hac():
    p = _with_mirror(_sim())
    r = pt.mirror_passthrough(p, "JPN")
    assert r["coef"] == pytest.approx(-1.0, abs=0.05)
    assert r["ci95_low"] < -1.0 < r["ci95_high"]
    assert r["n_clusters"] == 1 and r["n_obs"] == 67 - 12
    assert any("before/after" in n for n in r["notes"])
    json.dumps(r, allow_nan=False)


def test_mirror_passthrough_needs_tariff_variation():
    p = _with_mirror(_sim())
    p.loc[p["origin"] == "JPN", "d12_ln1p_tau"] = 0.0
    with pytest.raises(ValueError, match="no tariff change"):
        pt.mirror_passthrough(p, "JPN")


def test_summarize_origin_structure_and_speed():
    p = _with_mirror(_sim(), seed=1)
    r = summarize_origin(p, "JPN", progress=False)
    pooled = estimate_pooled(p, n_boot=9999, progress=False).estimates  # >= 6^5: every Webb draw
    # no pooled "implied sigma" labelled per origin (one pooled number with SE 1.5 has no
    # content); the pooled block is estimated once (step 05), not in every origin's run
    assert set(r) == {"origin", "controls", "origin_vs_controls", "event_study", "mirror",
                      "crv1_validity"}  # fmt: skip
    # the simulated origins have distinct random tariff paths, so CRV1 is not invalid by design
    # here (the one-treated-origin case is tested in test_inference.py and test_one_treated.py)
    assert r["crv1_validity"]["valid"] is True and r["crv1_validity"]["n_treated_like"] >= 2
    assert "implied_sigma" not in json.dumps(origin_results(r))
    assert pooled["elasticity_q_levels"].n_clusters == 5
    assert pooled["elasticity_q_levels"].n_boot == 7776
    wide = p.pivot(index="origin", columns="month", values="ln1p_tau").to_numpy()
    _, m = np.unique(wide, axis=0, return_counts=True)  # groups of identical tariff paths
    n_distinct = math.factorial(5) // math.prod(math.factorial(int(k)) for k in m)
    assert pooled["elasticity_q_levels"].ri.n_perm == n_distinct
    assert r["origin_vs_controls"]["passthrough_levels"]["n_clusters"] == 3
    assert set(r["event_study"]) == {"ln_q", "ln_v", "ln_uv"}
    json.dumps(r, allow_nan=False)


@pytest.mark.slow
def test_summarize_origin_on_real_snapshot_runs_fast():
    files = [paths.PROCESSED / f for f in ("flows.parquet", "tariffs_monthly.parquet",
                                           "fx_monthly.parquet")]  # fmt: skip
    if not all(f.exists() for f in files):
        pytest.skip("data/processed not built")
    from autotariffs.panel.build import load_panel

    panel = load_panel()
    assert panel["origin"].tolist() == sorted(panel["origin"].tolist())
    for origin in ("KOR", "JPN"):
        r = summarize_origin(panel, origin, progress=False)
        # the real per-origin design: one treated origin against MEX = CAN (issue 13.4)
        assert r["crv1_validity"]["valid"] is False and origin in r["crv1_validity"]["reason"]
        es = r["event_study"]["ln_q"]
        assert es["sample_end"] == "2025-07" and es["lags"] == 3
        assert any("after the sample end" in n for n in es["notes"])
        json.dumps(r, allow_nan=False)
    assert estimate_pooled(panel, progress=False).estimates["elasticity_q_levels"].n_clusters == 5
    assert isinstance(panel["month"].iloc[0], pd.Timestamp)


def test_mirror_series_is_found_in_the_data_not_by_origin_name():
    """summarize_origin fits the mirror regression for whichever origin has a mirror series."""
    p = _with_mirror(_sim())
    assert pt.has_mirror(p, "JPN") and not pt.has_mirror(p, "KOR")
    moved = p.assign(origin=p["origin"].replace({"JPN": "KOR", "KOR": "JPN"}))
    assert pt.has_mirror(moved, "KOR") and not pt.has_mirror(moved, "JPN")
    assert pt.mirror_passthrough(moved, "KOR")["coef"] == pytest.approx(-1.0, abs=0.05)
    assert not pt.has_mirror(p.drop(columns="ln_mirror_uv"), "JPN")
