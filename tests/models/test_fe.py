"""HDFE OLS (autotariffs.models.fe.feols) against independent implementations.

All data here are SIMULATED (seeded numpy draws, tests/support/designs.py): a small unbalanced
product x origin x month panel with two crossed fixed effects, so the dummy-variable regression
is feasible.
References: statsmodels OLS/WLS with explicit C() dummies (coefficients, HC1/iid SEs: exact
degrees of freedom by construction) and pyfixest feols (clustered SEs, fixest conventions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf
from pyfixest.demeaners import MapDemeaner
from support import designs

from autotariffs.models.fe import SSC, feols, ssc
from autotariffs.models.ppml import fepois


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    """SIMULATED linear panel with two crossed FE (support.designs.linear_two_fe)."""
    return designs.linear_two_fe()


def test_coefficients_equal_dummy_variable_ols(sim):
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="iid")
    ref = smf.ols("y ~ x1 + x2 + C(unit) + C(month)", data=sim).fit()
    for term in ("x1", "x2"):
        assert abs(res.params[term] - ref.params[term]) < 1e-8
    # iid: sigma^2 = SSR/(N-K) with K = exact rank of [X, D] = slopes + levels - 1
    for term in ("x1", "x2"):
        assert res.bse[term] == pytest.approx(ref.bse[term], rel=1e-7)
    assert res.df_resid == ref.df_resid


def test_hc1_equals_dummy_variable_hc1(sim):
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="HC1")
    ref = smf.ols("y ~ x1 + x2 + C(unit) + C(month)", data=sim).fit(cov_type="HC1")
    for term in ("x1", "x2"):
        assert res.bse[term] == pytest.approx(ref.bse[term], rel=1e-7)


def test_weighted_equals_dummy_variable_wls(sim):
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], vcov="HC1", weights="w")
    ref = smf.wls("y ~ x1 + x2 + C(unit) + C(month)", data=sim, weights=sim["w"]).fit(
        cov_type="HC1")
    for term in ("x1", "x2"):
        assert abs(res.params[term] - ref.params[term]) < 1e-8
        assert res.bse[term] == pytest.approx(ref.bse[term], rel=1e-6)


@pytest.mark.parametrize("cluster", ["origin", "unit", ["origin", "month"]])
def test_clustered_se_equal_pyfixest(sim, cluster):
    """CRV1 one-way (FE not nested / nested in the cluster) and two-way CGM vs pyfixest."""
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], cluster=cluster)
    cl = cluster if isinstance(cluster, str) else "+".join(cluster)
    ref = pf.feols("y ~ x1 + x2 | unit + month", data=sim, vcov={"CRV1": cl}, demeaner=MapDemeaner(fixef_tol=1e-12))
    assert np.max(np.abs(res.params.to_numpy() - ref.coef().to_numpy())) < 1e-8
    assert np.max(np.abs(res.bse.to_numpy() - ref.se().to_numpy())) < 1e-6
    assert res.n_clusters == {c: sim[c].nunique() for c in ([cluster] if isinstance(
        cluster, str) else cluster)}


def test_nested_fe_not_counted_in_k(sim):
    """unit FE nested in unit clusters: K = slopes + month levels (fixest 'nested' rule)."""
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], cluster="unit")
    assert res.df_k == 2 + (sim["month"].nunique() - 1) + 1
    full = feols(sim, "y", ["x1", "x2"], ["unit", "month"], cluster="unit",
                 ssc=ssc(k_fixef="full"))
    assert full.df_k == 2 + sim["unit"].nunique() + sim["month"].nunique() - 1
    assert (full.bse > res.bse).all()


def test_no_fe_is_plain_ols_with_stata_cluster_correction(sim):
    res = feols(sim, "y", ["x1", "x2"], [], cluster="origin")
    ref = smf.ols("y ~ x1 + x2", data=sim).fit(cov_type="cluster",
                                               cov_kwds={"groups": sim["origin"]})
    for term in ("x1", "x2", "Intercept"):
        assert abs(res.params[term] - ref.params[term]) < 1e-10
        assert res.bse[term] == pytest.approx(ref.bse[term], rel=1e-9)


def test_collinear_regressor_is_dropped_and_reported(sim):
    df = sim.assign(unit_trait=sim["unit"] * 0.1)  # constant within unit: absorbed by the FE
    res = feols(df, "y", ["x1", "unit_trait"], ["unit", "month"], vcov="HC1")
    assert res.collinear == ["unit_trait"]
    assert list(res.params.index) == ["x1"]


def test_missing_rows_dropped_and_counted(sim):
    df = sim.copy()
    df.loc[[3, 10], "x1"] = np.nan
    res = feols(df, "y", ["x1"], ["unit"], vcov="iid")
    assert res.n_dropped["missing"] == 2
    assert res.nobs == len(sim) - 2


def test_conf_int_and_to_dict(sim):
    res = feols(sim, "y", ["x1", "x2"], ["unit", "month"], cluster="origin")
    ci = res.conf_int(0.05)
    from scipy import stats
    q = stats.t.ppf(0.975, sim["origin"].nunique() - 1)
    assert ci.loc["x1", "upper"] == pytest.approx(res.params["x1"] + q * res.bse["x1"])
    d = res.to_dict()
    assert d["nobs"] == len(sim) and d["n_clusters"] == {"origin": 7}
    assert set(d["coef"]) == {"x1", "x2"}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": "nope", "x": ["x1"], "fe": ["unit"]}, "nope"),
        ({"y": "y", "x": ["x1"], "fe": ["unit"], "vcov": "CRV1"}, "cluster"),
        ({"y": "y", "x": "x1", "fe": ["unit"]}, "list"),
        ({"y": "y", "x": ["x1"], "fe": ["unit"], "vcov": "HC3"}, "HC3"),
    ],
)
def test_actionable_errors(sim, kwargs, match):
    with pytest.raises((KeyError, ValueError, TypeError), match=match):
        feols(sim, **kwargs)


def test_ssc_validation():
    with pytest.raises(ValueError, match="k_fixef"):
        SSC(k_fixef="exact")


@pytest.mark.parametrize("vcov", ["iid", "HC1", "CRV1"])
def test_a_saturated_design_fits_exactly_with_nan_standard_errors(vcov):
    """As many parameters as observations (2 slopes + 2 group effects, 4 rows, no singleton):
    the coefficients are the exact solution of the dummy system (numpy), the variance is not
    estimable: NaN, not a ZeroDivisionError (statsmodels' bse is NaN there too)."""
    d = pd.DataFrame({"y": [1.0, 3.0, 2.0, 7.0], "x1": [1.0, 2.0, 3.0, 5.0],
                      "x2": [2.0, 1.0, 7.0, 3.0], "g": [0, 0, 1, 1], "c": [0, 1, 0, 1]})
    dummies = np.column_stack([d[["x1", "x2"]].to_numpy(), d["g"].eq(0), d["g"].eq(1)])
    exact = np.linalg.solve(dummies.astype(float), d["y"].to_numpy())
    # (clusters that do not nest g: a nested FE would not count in K, as in fixest)
    res = feols(d, "y", ["x1", "x2"], ["g"], cluster="c" if vcov == "CRV1" else None, vcov=vcov)
    assert res.params[["x1", "x2"]].to_numpy() == pytest.approx(exact[:2], abs=1e-9)
    assert res.bse[["x1", "x2"]].isna().all()
    # Poisson fits a saturated design exactly too (mu = y): log y = X b; same NaN variance
    pois = fepois(d.assign(x1=d["x1"] / 10, x2=d["x2"] / 10), "y", ["x1", "x2"], ["g"],
                  cluster="c" if vcov == "CRV1" else None, vcov=vcov)
    exact_log = np.linalg.solve(dummies * np.r_[0.1, 0.1, 1, 1], np.log(d["y"].to_numpy()))
    assert pois.params[["x1", "x2"]].to_numpy() == pytest.approx(exact_log[:2], abs=1e-6)
    assert pois.bse[["x1", "x2"]].isna().all()
