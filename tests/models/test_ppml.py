"""HDFE PPML (autotariffs.models.ppml.fepois) against independent implementations.

All data are SIMULATED (seeded, tests/support/designs.py): a small import panel with Poisson-like
counts and zeros.
References: statsmodels GLM(Poisson) with explicit C() dummies (feasible at this size) for
coefficients and the model-based covariance, and pyfixest fepois for clustered SEs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from pyfixest.demeaners import MapDemeaner
from support import designs

from autotariffs.models.fe import ssc
from autotariffs.models.ppml import drop_all_zero_fe_groups, fepois, simple_separation


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    """SIMULATED Poisson panel with zeros and an exposure (support.designs.poisson_two_fe)."""
    return designs.poisson_two_fe()


def test_coefficients_equal_dummy_variable_glm(sim):
    res = fepois(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="iid", ssc=ssc(k_adj=False))
    ref = smf.glm("y ~ x1 + x2 + C(unit) + C(month)", data=sim,
                  family=sm.families.Poisson()).fit(tol=1e-12)
    assert res.converged
    for term in ("x1", "x2"):
        assert abs(res.params[term] - ref.params[term]) < 1e-7
        # model-based Poisson covariance = inverse Fisher information
        assert res.bse[term] == pytest.approx(ref.bse[term], rel=1e-5)
    assert res.stats["deviance"] == pytest.approx(ref.deviance, rel=1e-8)


def test_offset_equals_glm_offset(sim):
    res = fepois(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="HC1", offset="log_expo")
    ref = smf.glm("y ~ x1 + x2 + C(unit) + C(month)", data=sim, offset=sim["log_expo"],
                  family=sm.families.Poisson()).fit(tol=1e-12)
    for term in ("x1", "x2"):
        assert abs(res.params[term] - ref.params[term]) < 1e-7


@pytest.mark.parametrize("cluster", ["origin", ["origin", "month"]])
def test_clustered_se_equal_pyfixest(sim, cluster):
    res = fepois(sim, "y", ["x1", "x2"], ["unit", "month"], cluster=cluster)
    cl = cluster if isinstance(cluster, str) else "+".join(cluster)
    ref = pf.fepois("y ~ x1 + x2 | unit + month", data=sim, vcov={"CRV1": cl},
                    iwls_tol=1e-12, demeaner=MapDemeaner(fixef_tol=1e-12))
    assert np.max(np.abs(res.params.to_numpy() - ref.coef().to_numpy())) < 1e-7
    assert np.max(np.abs(res.bse.to_numpy() - ref.se().to_numpy())) < 1e-6


def test_hc1_equals_pyfixest(sim):
    res = fepois(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="HC1")
    ref = pf.fepois("y ~ x1 + x2 | unit + month", data=sim, vcov="hetero",
                    iwls_tol=1e-12, demeaner=MapDemeaner(fixef_tol=1e-12))
    assert np.max(np.abs(res.bse.to_numpy() - ref.se().to_numpy())) < 1e-6


def test_all_zero_fe_groups_are_dropped(sim):
    df = sim.copy()
    df.loc[df["unit"] == 3, "y"] = 0.0  # unit 3 never trades: its FE would be -inf
    res = fepois(df, "y", ["x1", "x2"], ["unit", "month"], cluster="origin")
    n3 = int((df["unit"] == 3).sum())
    assert res.n_dropped["fe_all_zero"] == n3
    assert res.nobs == len(df) - n3
    # dropping them does not change the estimates (they carry no information)
    ref = fepois(df.loc[df["unit"] != 3], "y", ["x1", "x2"], ["unit", "month"],
                 cluster="origin")
    assert np.allclose(res.params, ref.params, atol=1e-9)


def test_drop_all_zero_fe_groups_iterates():
    # level b of f1 is all-zero; after dropping it, level q of f2 becomes all-zero
    y = np.array([0.0, 0.0, 1.0, 2.0, 0.0])
    f1 = np.array([1, 1, 0, 0, 2])
    f2 = np.array([0, 1, 0, 2, 1])
    keep = drop_all_zero_fe_groups(y, [f1, f2])
    assert keep.tolist() == [False, False, True, True, False]


def test_simple_separation_rule():
    y = np.array([0.0, 0.0, 3.0, 1.0, 2.0])
    x = np.array([[1.0, 0.2], [0.0, 0.1], [0.0, 0.5], [0.0, 0.4], [0.0, 0.3]])
    # column 0 is 0 on all y > 0 and >= 0 elsewhere: row 0 is separated
    assert simple_separation(y, x).tolist() == [False, True, True, True, True]


def test_separated_regressor_rows_dropped(sim):
    df = sim.copy()
    df["sep"] = 0.0
    idx = df.index[df["y"] == 0][:3]
    df.loc[idx, "sep"] = 1.0  # a dummy that is 1 only where y = 0
    res = fepois(df, "y", ["x1", "sep"], ["unit", "month"], cluster="origin")
    assert res.n_dropped["separated"] == 3
    assert res.collinear == ["sep"]


def test_negative_outcome_is_an_actionable_error(sim):
    df = sim.copy()
    df.loc[5, "y"] = -1.0
    with pytest.raises(ValueError, match=r"must be >= 0.*\[5\]"):
        fepois(df, "y", ["x1"], ["unit"], cluster="origin")


def test_weighted_fepois_matches_dummy_glm_with_weights(sim):
    w = np.random.default_rng(1).uniform(0.5, 2, len(sim))
    df = sim.assign(w=w)
    res = fepois(df, "y", ["x1", "x2"], ["unit", "month"], vcov="iid", weights="w")
    ref = smf.glm("y ~ x1 + x2 + C(unit) + C(month)", data=df, var_weights=df["w"],
                  family=sm.families.Poisson()).fit(tol=1e-12)
    for term in ("x1", "x2"):
        assert abs(res.params[term] - ref.params[term]) < 1e-7
