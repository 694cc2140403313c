"""Import-demand and pass-through estimators on SIMULATED panels with known parameters."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from support import dummy_reference as ref
from support import simulate

from autotariffs.models import elasticity as el
from autotariffs.models import inference as inf
from autotariffs.models import passthrough as pt

BETA_Q, GAMMA = -2.0, -0.5


def _ar1_errors(rng, g, t_len, r, rho=0.5, sigma=0.10):
    scale = sigma * rng.uniform(0.5, 1.5, (g, 1, 1))
    e = np.zeros((g, t_len, r))
    shocks = rng.normal(size=(g, t_len, r))
    e[:, 0] = shocks[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, t_len):
        e[:, t] = rho * e[:, t - 1] + shocks[:, t]
    return e * scale


@pytest.mark.parametrize(
    ("form", "y", "x", "fe", "cov", "truth"),
    [
        ("levels", "ln_q", "ln1p_tau", el.FE_LEVELS, [], BETA_Q),
        ("levels", "ln_uv", "ln1p_tau", el.FE_LEVELS, ["ln_fx"], GAMMA),
        ("d12", "d12_ln_q", "d12_ln1p_tau", el.FE_D12, [], BETA_Q),
    ],
)
def test_bias_and_coverage_many_clusters(form, y, x, fe, cov, truth):
    """40 SIMULATED origins x 67 months, 300 error draws (vectorised, one FWL projection).

    |mean bias| < 0.02 and the CRV1 t(G-1) 95% interval covers the truth in 92-98% of draws.
    The first draw is also run through the public estimator to tie the vectorised path to it.
    """
    g, t_len, r = 40, 67, 300
    base = simulate.simulate_panel(n_origins=g, n_months=t_len, beta_q=BETA_Q, gamma=GAMMA,
                                   sigma_e=0.0, seed=123)  # fmt: skip
    rng = np.random.default_rng(99)
    e = _ar1_errors(rng, g, t_len, r)
    if form == "d12":
        e = e[:, 12:, :] - e[:, :-12, :]
        panel = base.dropna(subset=[y]).reset_index(drop=True)
        e = e.reshape(-1, r)
    else:
        panel = base
        e = e.reshape(-1, r)
    ys = panel[y].to_numpy()[:, None] + e  # deterministic part + error draws
    z = ref.nuisance_matrix(panel, fe, cov).to_numpy()
    q = inf.basis(z)
    xv = panel[x].to_numpy()
    xt = xv - q @ (q.T @ xv)
    yt = ys - q @ (q.T @ ys)
    grp, _ = inf.group_codes(panel["origin"])
    b, se = inf.crv1(yt, xt[:, None], grp, q.shape[1] + 1)
    crit = stats.t.ppf(0.975, g - 1)
    assert abs(b.mean() - truth) < 0.02
    cover = np.mean(np.abs(b - truth) <= crit * se)
    assert 0.92 <= cover <= 0.98, cover
    one = panel.copy()
    one[y] = ys[:, 0]
    res = el.estimate(one, y, x, fe=fe, covariates=cov, wild=False, ri=False, progress=False)
    assert res["coef"] == pytest.approx(b[0], rel=1e-8)
    assert res["se_crv1"] == pytest.approx(se[0], rel=1e-6)


def test_default_uses_all_origins_and_restriction_works():
    p = simulate.with_origins(simulate.simulate_panel(seed=5), ["CAN", "DEU", "JPN", "KOR", "MEX"])
    r = el.import_demand(p, "q", progress=False, ri=False, wild=False)
    assert r["clusters"] == ["CAN", "DEU", "JPN", "KOR", "MEX"] and r["n_clusters"] == 5
    r2 = el.import_demand(p, "q", origin="KOR", controls=["MEX", "CAN"], progress=False)
    assert r2["clusters"] == ["CAN", "KOR", "MEX"] and r2["n_clusters"] == 3
    sub = p[p["origin"].isin(["CAN", "KOR", "MEX"])]
    paths = sub.pivot(index="origin", columns="month", values="ln1p_tau").to_numpy()
    _, m = np.unique(paths, axis=0, return_counts=True)  # groups of identical tariff paths
    n_distinct = math.factorial(3) // math.prod(math.factorial(int(k)) for k in m)
    assert r2["n_perm"] == n_distinct and r2["wild_informative"] is False
    json.dumps(r2, allow_nan=False)
    for key in ("coef", "se_crv1", "ci95_low", "ci95_high", "p_crv1", "p_wild", "n_boot", "p_ri",
                "n_perm", "n_obs", "n_clusters", "sample_start", "sample_end", "data_source",
                "spec"):  # fmt: skip
        assert key in r2
    assert r2["data_source"] == "SIMULATED"
    with pytest.raises(el.EstimationError, match="GBR"):
        el.import_demand(p, "q", origin="GBR", progress=False)


def test_qty_estimated_rows_are_dropped_for_quantity_outcomes():
    p = simulate.simulate_panel(seed=6)
    o = sorted(p["origin"].unique())[0]
    p.loc[(p["origin"] == o) & (p["month"].dt.year == 2022), "qty_estimated_2022"] = True
    r = el.import_demand(p, "q", wild=False, ri=False, progress=False)
    assert r["n_obs"] == 335 - 12
    r = el.import_demand(p, "q", form="d12", wild=False, ri=False, progress=False)
    assert r["n_obs"] == 335 - 5 * 12 - 12 - 12  # lag year, flagged 2022 and their d12 in 2023
    rv = el.import_demand(p, "v", wild=False, ri=False, progress=False)
    assert rv["n_obs"] == 335  # values are not affected by the quantity estimate


def test_passthrough_recovers_gamma_and_dutyinc_is_one_plus_gamma():
    p = simulate.simulate_panel(seed=8, sigma_e=0.01)
    ex = pt.passthrough(p, wild=False, ri=False, progress=False)
    inc = pt.passthrough(p, price="dutyinc", wild=False, ri=False, progress=False)
    assert ex["coef"] == pytest.approx(GAMMA, abs=0.05)
    # ln uv_dutyinc = ln uv + ln(1+tau), so the coefficients differ by exactly 1
    assert inc["coef"] - ex["coef"] == pytest.approx(1.0, abs=1e-9)


def test_ppml_matches_pyfixest_fepois_and_is_close_to_truth():
    pf = pytest.importorskip("pyfixest")
    p = simulate.simulate_panel(seed=10, sigma_e=0.05)
    r = el.ppml_levels(p, "quantity", progress=False)
    d = p.assign(om=p["origin"] + "_" + p["moy"].astype(str), mo=p["month"].dt.strftime("%Y-%m"),
                 qn=p["quantity"] / p["quantity"].mean())  # fmt: skip
    f = pf.fepois("qn ~ ln1p_tau | origin + mo + om", data=d, vcov={"CRV1": "origin"})
    assert r["coef"] == pytest.approx(f.coef()["ln1p_tau"], abs=1e-6)
    assert r["coef"] == pytest.approx(BETA_Q, abs=0.3)
    assert r["converged"] and r["p_wild"] is None


def test_errors_name_the_problem():
    p = simulate.simulate_panel(seed=1)
    with pytest.raises(el.EstimationError, match="form="):
        el.import_demand(p, "q", form="diff")
    with pytest.raises(el.EstimationError, match="lacks column"):
        el.estimate(p.drop(columns="ln_fx"), "ln_uv", covariates=["ln_fx"], progress=False)
    empty = p.assign(ln_q=np.nan)
    with pytest.raises(el.EstimationError, match="no complete rows"):
        el.import_demand(empty, "q", progress=False)
