"""Few-cluster inference: CRV1 vs independent implementations, WCR bootstrap, RI.

All data here are SIMULATED (tests/support/simulate.py), never the trade snapshot.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from support import dummy_reference as ref
from support import simulate

from autotariffs import design
from autotariffs.models import elasticity as el
from autotariffs.models import inference as inf


@pytest.fixture(scope="module")
def sim5():
    """SIMULATED 5-origin x 67-month panel (the snapshot's shape)."""
    return simulate.simulate_panel(n_origins=5, seed=11)


def _problem(p, y="ln_q"):
    z = ref.nuisance_matrix(p, el.FE_LEVELS)
    return inf.fwl(p[y].to_numpy(), p["ln1p_tau"].to_numpy(), z.to_numpy(), p["origin"]), z


# dummy-variable references: FE dummies nested in few clusters give a rank-deficient meat, so
# the references take sqrt of (irrelevant) negative variances of the dummies; ours never does
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_crv1_matches_pyfixest_dummy_regression(sim5):
    pf = pytest.importorskip("pyfixest")
    prob, z = _problem(sim5)
    beta, se = inf.crv1(prob.ytil, prob.xtil, prob.groups, prob.k)
    dat = z.drop(columns="const").copy()
    dat.columns = [f"d{i}" for i in range(dat.shape[1])]
    dat["y"] = sim5["ln_q"].to_numpy()
    dat["x"] = sim5["ln1p_tau"].to_numpy()
    dat["origin"] = sim5["origin"].to_numpy()
    fml = "y ~ x + " + " + ".join(c for c in dat.columns if c.startswith("d"))
    fit = pf.feols(fml, data=dat, vcov={"CRV1": "origin"})
    assert beta == pytest.approx(fit.coef()["x"], rel=1e-9)
    assert se == pytest.approx(fit.se()["x"], rel=1e-6)


def test_crv1_matches_pyfixest_absorbed_fe_point_estimate(sim5):
    pf = pytest.importorskip("pyfixest")
    prob, _ = _problem(sim5)
    beta, _ = inf.crv1(prob.ytil, prob.xtil, prob.groups, prob.k)
    d = sim5.assign(om=sim5["origin"] + "_" + sim5["moy"].astype(str),
                    mo=sim5["month"].dt.strftime("%Y-%m"))  # fmt: skip
    fit = pf.feols("ln_q ~ ln1p_tau | origin + mo + om", data=d, vcov={"CRV1": "origin"})
    assert beta == pytest.approx(fit.coef()["ln1p_tau"], abs=1e-8)


def test_estimate_reports_statsmodels_crv1_and_t_g_minus_1(sim5):
    r = el.import_demand(sim5, "q", wild=False, ri=False, progress=False)
    prob, _ = _problem(sim5)
    s = inf.crv1_summary(prob)
    assert r["coef"] == pytest.approx(s["coef"], rel=1e-9)
    assert r["se_crv1"] == pytest.approx(s["se_crv1"], rel=1e-8)
    # p-value from t with G-1 = 4 degrees of freedom (Stata/fixest convention), by hand:
    t = r["coef"] / r["se_crv1"]
    assert r["p_crv1"] == pytest.approx(2 * stats.t.sf(abs(t), 4), rel=1e-9)
    assert r["crv1_df"] == 4 and r["n_clusters"] == 5 and r["n_obs"] == 335


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_wild_bootstrap_matches_brute_force_refits(sim5):
    """The G x B closed form equals refitting statsmodels on y* = Z g_r + b0 x + u_r w_g."""
    prob, z = _problem(sim5)
    x = sim5["ln1p_tau"].to_numpy()
    y = sim5["ln_q"].to_numpy()
    b0 = -1.0
    zz = z.to_numpy()
    fit_r = sm.OLS(y - b0 * x, zz).fit()
    u = fit_r.resid
    rng = np.random.default_rng(3)
    w = inf.WEBB_WEIGHTS[rng.integers(0, 6, size=(5, 40))]
    t_brute = []
    exog = np.column_stack([x, zz])
    for b in range(w.shape[1]):
        ystar = fit_r.fittedvalues + b0 * x + u * w[prob.groups, b]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = sm.OLS(ystar, exog).fit(cov_type="cluster", cov_kwds={"groups": prob.groups})
            t_brute.append((f.params[0] - b0) / f.bse[0])
    f_obs = sm.OLS(y, exog).fit(cov_type="cluster", cov_kwds={"groups": prob.groups})
    t_obs = (f_obs.params[0] - b0) / f_obs.bse[0]
    p_brute = np.mean(np.abs(t_brute) >= abs(t_obs) - 1e-12)
    p_fast, t_fast = inf._wcr_pvalue(prob, b0, w)
    assert t_fast == pytest.approx(t_obs, rel=1e-7)
    assert p_fast == pytest.approx(p_brute, abs=1e-12)


def test_wild_bootstrap_enumerates_webb_for_five_clusters(sim5):
    prob, _ = _problem(sim5)
    r = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=9999, ci=False, progress=False)
    assert r["boot_enumerated"] and r["n_boot"] == 6**5 == 7776
    assert r["wild_informative"] and r["n_clusters"] == 5


def test_wild_bootstrap_deterministic_for_seed_and_needs_999():
    p = simulate.simulate_panel(n_origins=7, seed=2)
    prob, _ = _problem(p)
    a = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=999, seed=7, ci=False,
                                   progress=False)  # fmt: skip
    b = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=999, seed=7, ci=False,
                                   progress=False)  # fmt: skip
    assert not a["boot_enumerated"] and a["n_boot"] == 999
    assert a["p_wild"] == b["p_wild"]
    with pytest.raises(inf.InferenceError, match="at least 999"):
        inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=100, progress=False)


def test_wild_bootstrap_flags_three_clusters_uninformative():
    p = simulate.simulate_panel(n_origins=3, seed=4)
    prob, _ = _problem(p)
    r = inf.wild_cluster_bootstrap(prob, None, None, None, ci=False, progress=False)
    assert not r["wild_informative"] and "UNINFORMATIVE" in r["wild_note"]
    assert r["n_boot"] == 6**3


def test_wild_ci_is_test_inversion(sim5):
    prob, _ = _problem(sim5)
    # 9999 >= 6^5: every Webb draw, the same weights the inversion is checked with below
    r = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=9999, progress=False)
    lo, hi = r["wild_ci95_low"], r["wild_ci95_high"]
    w, _ = inf._webb_draws(5, 9999, design.SEED)
    assert lo < prob.ytil @ prob.xtil / (prob.xtil @ prob.xtil) < hi
    # just inside the bounds the test accepts, just outside it rejects
    span = hi - lo
    assert inf._wcr_pvalue(prob, lo + 1e-3 * span, w)[0] > 0.05
    assert inf._wcr_pvalue(prob, lo - 1e-3 * span, w)[0] <= 0.05
    assert inf._wcr_pvalue(prob, hi - 1e-3 * span, w)[0] > 0.05
    assert inf._wcr_pvalue(prob, hi + 1e-3 * span, w)[0] <= 0.05


def _multinomial(paths):
    """G! / prod(m_i!) over groups of exactly identical rows (independent of the package code)."""
    _, counts = np.unique(np.asarray(paths), axis=0, return_counts=True)
    return math.factorial(len(paths)) // math.prod(math.factorial(int(m)) for m in counts)


@pytest.mark.parametrize("g", [3, 4, 5])
def test_ri_enumerates_distinct_assignments(g):
    p = simulate.simulate_panel(n_origins=g, seed=g)
    z = ref.nuisance_matrix(p, el.FE_LEVELS).to_numpy()
    paths = p.pivot(index="origin", columns="month", values="ln1p_tau").to_numpy()
    r = inf.randomization_inference(p["ln_q"], paths, z, p["origin"], p["month"], progress=False)
    expected = _multinomial(paths)
    assert r["perm_enumerated"] and r["n_perm"] == r["n_assignments"] == expected
    assert r["min_p"] == pytest.approx(1 / expected) and r["p_ri"] >= 1 / expected
    perms, _ = inf._permutations(g, 5040, 10, 0)
    assert len(set(perms)) == math.factorial(g)


def _paths_with_ties(months, steps):
    """SIMULATED tariff paths (shares): origin i jumps to steps[i] from month 40 on."""
    t = len(months)
    paths = np.zeros((len(steps), t))
    for i, s in enumerate(steps):
        paths[i, 40:] = s
    return paths


def _refit_abs_t(p, wide, z, perms) -> np.ndarray:
    """|t| of statsmodels OLS refits (CRV1 by origin) with the origins' tariff paths (rows of
    ``wide``) reassigned by each permutation in ``perms``; the brute-force RI reference."""
    g_codes = p["origin"].map({o: i for i, o in enumerate(wide.index)}).to_numpy()
    t_codes = p["month"].map({m: i for i, m in enumerate(wide.columns)}).to_numpy()
    tstats = []
    for perm in perms:
        xp = wide.to_numpy()[np.asarray(perm)[g_codes], t_codes]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = sm.OLS(p["ln_q"].to_numpy(), np.column_stack([xp, z.to_numpy()])).fit(
                cov_type="cluster", cov_kwds={"groups": g_codes})
            tstats.append(abs(f.params[0] / f.bse[0]))
    return np.array(tstats)


def test_ri_counts_identical_paths_once_three_origins():
    """KOR against MEX = CAN: 3 distinct assignments (not 3! = 6), smallest p = 1/3.

    The RI p-value over distinct assignments equals the share over all 6 permutations (each
    distinct assignment is hit 2! times), computed here by statsmodels refits."""
    months = pd.date_range("2020-01", periods=67, freq="MS")
    paths = _paths_with_ties(months, [0.25, 0.0, 0.0])
    paths[2, 3] += 1e-14  # equal within 1e-12 still counts as the same path
    p = simulate.simulate_panel(n_origins=3, seed=21, paths=paths, beta_q=-1.0)
    z = ref.nuisance_matrix(p, el.FE_LEVELS)
    wide = p.pivot(index="origin", columns="month", values="ln1p_tau")
    r = inf.randomization_inference(p["ln_q"], wide.to_numpy(), z.to_numpy(), p["origin"],
                                    p["month"], progress=False)  # fmt: skip
    expected = math.factorial(3) // (math.factorial(1) * math.factorial(2))
    assert r["n_perm"] == expected == 3, r["ri_note"]
    assert r["min_p"] == pytest.approx(1 / 3)
    assert "3 distinct assignments" in r["ri_note"] and "6 permutations" in r["ri_note"]
    tstats = _refit_abs_t(p, wide, z, itertools.permutations(range(3)))
    assert r["p_ri"] == pytest.approx(np.mean(tstats >= tstats[0] * (1 - 1e-8)), abs=1e-12)


def test_ri_counts_distinct_assignments_five_origins():
    """KOR, JPN = DEU, MEX = CAN: 5!/(2! 2!) = 30 distinct assignments, not 120."""
    months = pd.date_range("2020-01", periods=67, freq="MS")
    paths = _paths_with_ties(months, [0.0, 0.25, 0.25, 0.25, 0.0])  # CAN DEU JPN KOR MEX
    paths[1:3, :40] = 0.025  # JPN, DEU: 2.5% MFN before, like the real snapshot
    p = simulate.simulate_panel(n_origins=5, seed=22, paths=paths)
    z = ref.nuisance_matrix(p, el.FE_LEVELS).to_numpy()
    r = inf.randomization_inference(p["ln_q"], paths, z, p["origin"], p["month"], progress=False)
    assert r["n_perm"] == r["n_assignments"] == _multinomial(paths) == 30
    assert r["n_permutations_total"] == 120 and r["min_p"] == pytest.approx(1 / 30)


def test_ri_matches_brute_force_refits():
    """p_ri equals refitting statsmodels with each origin's path reassigned (G = 4, 24 perms)."""
    p = simulate.simulate_panel(n_origins=4, seed=9, beta_q=-0.5)
    z = ref.nuisance_matrix(p, el.FE_LEVELS)
    wide = p.pivot(index="origin", columns="month", values="ln1p_tau")
    r = inf.randomization_inference(p["ln_q"], wide.to_numpy(), z.to_numpy(), p["origin"],
                                    p["month"], progress=False)  # fmt: skip
    tstats = _refit_abs_t(p, wide, z, inf._permutations(4, 5040, 0, 0)[0])
    assert r["ri_stat_obs"] == pytest.approx(tstats[0], rel=1e-8)
    assert r["p_ri"] == pytest.approx(np.mean(tstats >= tstats[0] - 1e-10), abs=1e-12)


def test_ri_samples_with_seed_when_g_factorial_large():
    p = simulate.simulate_panel(n_origins=8, n_months=30, seed=1)
    z = ref.nuisance_matrix(p, ("origin", "month")).to_numpy()
    paths = p.pivot(index="origin", columns="month", values="ln1p_tau").to_numpy()
    kw = dict(n_perm=300, seed=5, progress=False)
    a = inf.randomization_inference(p["ln_q"], paths, z, p["origin"], p["month"], **kw)
    b = inf.randomization_inference(p["ln_q"], paths, z, p["origin"], p["month"], **kw)
    assert not a["perm_enumerated"] and a["n_perm"] == 300 and a["p_ri"] == b["p_ri"]
    assert a["n_assignments"] == _multinomial(paths) and "sampled" in a["ri_note"]


def test_ri_rejects_unbalanced_paths(sim5):
    z = ref.nuisance_matrix(sim5, el.FE_LEVELS).to_numpy()
    paths = sim5.pivot(index="origin", columns="month", values="ln1p_tau").to_numpy()
    paths[2, 5] = np.nan
    with pytest.raises(inf.InferenceError, match="balanced"):
        inf.randomization_inference(sim5["ln_q"], paths, z, sim5["origin"], sim5["month"],
                                    progress=False)  # fmt: skip


def test_fwl_rejects_unidentified_regressor(sim5):
    z = ref.nuisance_matrix(sim5, el.FE_LEVELS)
    x = z["month[2020-02]"].to_numpy()  # collinear with month FE
    with pytest.raises(inf.InferenceError, match="not identified"):
        inf.fwl(sim5["ln_q"].to_numpy(), x, z.to_numpy(), sim5["origin"])


def test_few_cluster_size_wild_near_nominal_where_crv1_over_rejects():
    """SIMULATED Monte Carlo under H0 (beta = 0), G = 10 origins of which 4 are treated.

    AR(1) errors with origin-specific scale. CRV1 with t(G-1) over-rejects at 5% because the
    treatment is concentrated in few clusters; the WCR bootstrap stays near nominal.
    Vectorised: one FWL projection, then 400 x 999 draws as G x B cluster sums.
    """
    g, nu, r_draws, t_len = 10, 6, 400, 67
    rng = np.random.default_rng(5)
    p = simulate.simulate_panel(n_origins=g, n_untreated=nu, seed=3)
    z = ref.nuisance_matrix(p, el.FE_LEVELS).to_numpy()
    grp, _ = inf.group_codes(p["origin"])
    scale = rng.uniform(0.5, 2, (g, 1, 1))
    e = np.zeros((g, t_len, r_draws))
    shocks = rng.normal(size=(g, t_len, r_draws))
    for t in range(t_len):
        e[:, t] = (0.7 * e[:, t - 1] if t else 0) + shocks[:, t]
    e = (e * scale).reshape(g * t_len, r_draws)
    q = inf.basis(z)
    rank = q.shape[1]
    v = np.column_stack([p["ln1p_tau"].to_numpy(), e])
    both = v - q @ (q.T @ v)
    xt, yt = both[:, 0], both[:, 1:]
    b, se = inf.crv1(yt, xt[:, None], grp, rank + 1)
    rej_crv1 = np.mean(np.abs(b / se) > stats.t.ppf(0.975, g - 1))
    w, _ = inf._webb_draws(g, 999, 1)
    pw = np.array([inf._wcr_pvalue(inf.FWL(yt[:, i], xt, grp, rank + 1, q), 0.0, w)[0]
                   for i in range(r_draws)])  # fmt: skip
    rej_wild = np.mean(pw < 0.05)
    assert rej_crv1 > 0.09  # over-rejects (nominal 0.05; MC s.e. ~0.011)
    assert 0.02 <= rej_wild <= 0.08
    assert rej_crv1 - rej_wild > 0.03


def test_jsonable_has_no_nan():
    import json

    out = el.to_jsonable({"a": float("nan"), "b": np.float64(1.5), "c": [np.int64(2)],
                          "d": {"e": (np.float32(-np.inf), np.bool_(True))}})
    assert json.dumps(out, allow_nan=False) == (
        '{"a": null, "b": 1.5, "c": [2], "d": {"e": [null, true]}}')


def _kor_mex_can_paths():
    x = np.zeros((3, 67))
    x[0, 63:] = np.log1p(0.25)
    return x


def test_crv1_validity_flags_one_treated_origin():
    r = inf.crv1_validity(_kor_mex_can_paths(), ["KOR", "MEX", "CAN"])
    assert r["valid"] is False and r["n_treated_like"] == 1
    assert "one treated origin (KOR)" in r["reason"] and "Conley" in r["reason"]
    # a constant level difference is absorbed by origin FE: still one treated origin
    x = _kor_mex_can_paths()
    x[1] += 0.025
    assert inf.crv1_validity(x, ["KOR", "MEX", "CAN"])["n_treated_like"] == 1
    assert inf.crv1_validity(x, ["KOR", "MEX", "CAN"], within=False)["n_treated_like"] == 2


def test_crv1_validity_five_origins_and_scores():
    x = np.zeros((5, 67))  # CAN DEU JPN KOR MEX
    x[1:4, 63:] = np.log1p(0.25)
    x[1:3, :63] = np.log1p(0.025)
    x[1:3, 63:] = np.log1p(0.275)
    r = inf.crv1_validity(x, ["CAN", "DEU", "JPN", "KOR", "MEX"])
    assert r["valid"] and r["n_treated_like"] == 3
    assert not inf.crv1_validity(np.zeros((3, 10)), ["A", "B", "C"])["valid"]


def test_treated_cluster_score_is_zero_with_month_fe():
    """The referee's point, checked on SIMULATED data: TWFE with one treated origin (KOR) and two
    controls with identical paths -> the treated cluster's CRV1 score is 0 (up to rounding)."""
    paths = _kor_mex_can_paths()
    p = simulate.simulate_panel(n_origins=3, seed=4, paths=np.expm1(paths))
    z = ref.nuisance_matrix(p, ("origin", "month")).to_numpy()
    prob = inf.fwl(p["ln_q"].to_numpy(), p["ln1p_tau"].to_numpy(), z, p["origin"])
    b = prob.xtil @ prob.ytil / (prob.xtil @ prob.xtil)
    scores = np.bincount(prob.groups, weights=prob.xtil * (prob.ytil - b * prob.xtil))
    assert abs(scores[0]) < 1e-10 * np.abs(scores).max()  # origin O00 is the treated one
    assert scores[1] == pytest.approx(-scores[2])
    labels = ["KOR", "MEX", "CAN"]
    r = inf.crv1_validity(np.zeros((3, 2)) + [[0, 1], [0, 0], [0, 0]], labels, scores=scores)
    assert not r["valid"]
    r2 = inf.crv1_validity(np.array([[0, 1], [0, 2], [0, 0]]), labels, scores=scores)
    assert not r2["valid"] and "score of KOR is identically zero" in r2["reason"]
