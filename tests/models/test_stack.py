"""One estimator stack (issue 13): feols/fepois with absorbed FE vs the dummy-variable path.

Every expected value comes from the independent explicit-dummy statsmodels computation in
``tests/support/dummy_reference.py`` (the code the package used before issue 13) or from formulas, never
from the new code. All panels are SIMULATED. Tolerance 1e-8 throughout (issue 13: "delete the
parallel statsmodels path once the results agree to 1e-8").
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from support import dummy_reference as ref
from support import simulate

from autotariffs import design
from autotariffs.models import elasticity as el
from autotariffs.models import event_study as es
from autotariffs.models import inference as inf
from autotariffs.models import passthrough as pt
from autotariffs.models.fe import SSC, fe_design_rank

TOL = 1e-8
NAMES = ["CAN", "DEU", "JPN", "KOR", "MEX"]


def _panel(seed: int, flag_2022: bool = False, start: str = "2020-01",
           n_months: int = 67) -> pd.DataFrame:
    """Five SIMULATED origins whose tariff paths pair up as in the data: CAN = MEX, DEU = JPN.

    So RI has 5!/(2! 2!) = 30 distinct assignments (not 120), as on the snapshot.
    """
    months = pd.date_range(start, periods=n_months, freq="MS")
    paths = simulate.tariff_paths(5, months, np.random.default_rng(seed + 1000))
    paths[0], paths[1] = paths[4], paths[2]  # O00 -> CAN = MEX (O04), O01 -> DEU = JPN (O02)
    p = simulate.with_origins(simulate.simulate_panel(seed=seed, paths=paths, start=start,
                                                      n_months=n_months), NAMES)
    if flag_2022:  # unbalanced: one origin's 2022 quantities flagged as estimated
        p.loc[(p["origin"] == "DEU") & (p["month"].dt.year == 2022), "qty_estimated_2022"] = True
    return p


CASES = [
    # (id, seed, flag, form kwargs for estimate, restriction)
    ("levels_q", 21, False, dict(y="ln_q", x="ln1p_tau", fe=el.FE_LEVELS), {}),
    ("levels_q_unbalanced", 22, True, dict(y="ln_q", x="ln1p_tau", fe=el.FE_LEVELS), {}),
    ("levels_uv_fx", 23, False,
     dict(y="ln_uv", x="ln1p_tau", fe=el.FE_LEVELS, covariates=["ln_fx"]), {}),
    ("d12_q", 24, False, dict(y="d12_ln_q", x="d12_ln1p_tau", fe=el.FE_D12), {}),
    ("d12_uv_fx", 25, False,
     dict(y="d12_ln_uv", x="d12_ln1p_tau", fe=el.FE_D12, covariates=["d12_ln_fx"]), {}),
    ("kor_vs_controls", 26, False, dict(y="ln_q", x="ln1p_tau", fe=el.FE_LEVELS),
     {"origin": "KOR", "controls": ["MEX", "CAN"]}),
]


@pytest.mark.parametrize(("seed", "flag", "spec", "restrict"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_estimate_agrees_with_dummy_variable_path(seed, flag, spec, restrict):
    """coef, CRV1 SE, CIs, p_wild (+ wild CI for G=5) and p_ri equal the dummy path to 1e-8."""
    p = _panel(seed, flag)
    cov = spec.get("covariates", [])
    r = el.estimate(p, **spec, **restrict, n_boot=9999, progress=False)
    # the reference sample: same rows (the selection is not what is being tested)
    df, _ = el.select_sample(p, [spec["y"], spec["x"], *cov], **restrict)
    z = ref.nuisance_matrix(df, spec["fe"], cov)
    sm_fit = ref.dummy_ols(df, spec["y"], spec["x"], z)
    x = spec["x"]
    assert r["n_obs"] == int(sm_fit.nobs)
    assert r["coef"] == pytest.approx(sm_fit.params[x], abs=TOL)
    assert r["se_crv1"] == pytest.approx(sm_fit.bse[x], abs=TOL, rel=TOL)
    lo, hi = sm_fit.conf_int().loc[x]
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((lo, hi), abs=TOL)
    assert r["p_crv1"] == pytest.approx(sm_fit.pvalues[x], abs=TOL)
    # K: statsmodels counts rank[x, Z]; the fit's df_k must be that number
    assert r.fit.df_k == int(np.linalg.matrix_rank(np.column_stack([df[x], z])))
    prob, zmat = ref.dummy_fwl(df, spec["y"], x, spec["fe"], cov)
    w = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=9999, progress=False,
                                   ci=prob.n_clusters >= 4)
    assert r["p_wild"] == pytest.approx(w["p_wild"], abs=TOL)
    if prob.n_clusters >= 4:  # G = 3: the inverted region's ends are at the rounding level
        assert r["wild_ci95_low"] == pytest.approx(w["wild_ci95_low"], abs=TOL)
        assert r["wild_ci95_high"] == pytest.approx(w["wild_ci95_high"], abs=TOL)
    ri = inf.randomization_inference(df[spec["y"]].to_numpy(float), el.x_paths(p, df, x), zmat,
                                     df["origin"], df["month"], progress=False,
                                     return_stats=True)
    assert r["p_ri"] == pytest.approx(ri["p_ri"], abs=TOL)
    assert r["n_perm"] == ri["n_perm"] and r["n_assignments"] == ri["n_assignments"]
    # the FWL problem built from the absorber is the dense one
    assert np.max(np.abs(r.problem.ytil - prob.ytil)) < TOL
    assert np.max(np.abs(r.problem.xtil - prob.xtil)) < TOL
    assert r.problem.k == prob.k
    v = np.random.default_rng(seed).normal(size=(len(df), 3))
    assert np.max(np.abs(r.problem.project(v) - prob.project(v))) < TOL


def test_randomization_stats_agree_assignment_by_assignment():
    """Every RI statistic (not only the p-value) equals the dense-basis computation."""
    p = _panel(31)
    df, _ = el.select_sample(p, ["ln_q", "ln1p_tau"])
    r = el.import_demand(p, "q", wild=False, ri=False, progress=False)
    paths = el.x_paths(p, df, "ln1p_tau")
    z = ref.nuisance_matrix(df, el.FE_LEVELS).to_numpy()
    dense = inf.randomization_inference(df["ln_q"].to_numpy(), paths, z, df["origin"],
                                        df["month"], progress=False, return_stats=True)
    absorbed = inf.randomization_inference(None, paths, None, df["origin"], df["month"],
                                           progress=False, return_stats=True, problem=r.problem)
    assert len(dense["ri_stats"]) == 30
    assert np.max(np.abs(np.subtract(absorbed["ri_stats"], dense["ri_stats"]))) < TOL


def test_ppml_agrees_with_dummy_glm_including_ri():
    """fepois (absorbed FE) = statsmodels GLM Poisson on dummies: coef, SE to 1e-8; RI refits
    (on 36 months, 2022-08 to 2025-07: the reference refits a dense GLM for each of the 30
    assignments, a third of the time of the 67-month panel's)."""
    p = _panel(41, start="2022-08", n_months=36)
    df, _ = el.select_sample(p, ["quantity", "ln1p_tau"])
    r = el.ppml_levels(p, "quantity", ri=True, progress=False)
    glm = ref.dummy_ppml(df, "quantity", "ln1p_tau", el.FE_LEVELS)
    assert r["coef"] == pytest.approx(glm.params[0], abs=TOL)
    assert r["se_crv1"] == pytest.approx(glm.bse[0], abs=TOL, rel=TOL)
    assert r["p_crv1"] == pytest.approx(glm.pvalues[0], abs=TOL)
    # RI by refitting the reference GLM for every distinct assignment
    paths = el.x_paths(p, df, "ln1p_tau")
    grp, _ = inf.group_codes(df["origin"])
    tc, _ = inf.group_codes(df["month"])
    perms, _, n_distinct = inf.assignments(paths, 5040, 999, design.SEED)
    t = np.array([abs(f.params[0] / f.bse[0]) for f in
                  (ref.dummy_ppml(df, "quantity", "ln1p_tau", el.FE_LEVELS,
                                  xcol=paths[np.asarray(pm)[grp], tc]) for pm in perms)])
    assert r["n_perm"] == len(perms) == n_distinct == 30
    assert r["p_ri"] == pytest.approx(np.mean(t >= t[0] - 1e-10 * t[0]), abs=TOL)
    rv = el.ppml_levels(p, "value_usd", origin="KOR", controls=["MEX", "CAN"], progress=False)
    dv, _ = el.select_sample(p, ["value_usd", "ln1p_tau"], origin="KOR", controls=["MEX", "CAN"])
    gv = ref.dummy_ppml(dv, "value_usd", "ln1p_tau", el.FE_LEVELS)
    assert rv["coef"] == pytest.approx(gv.params[0], abs=TOL)
    assert rv["se_crv1"] == pytest.approx(gv.bse[0], abs=TOL, rel=TOL)


def test_event_study_agrees_with_dummy_ols():
    """Coefficients, CRV1/HC1 SEs, pre-trend Walds and per-coefficient wild p-values."""
    p = _panel(51)
    r = es.event_study(p, "KOR", ["MEX", "CAN"], leads=6, n_boot=999, progress=False)
    df, _ = el.select_sample(p, ["ln_q"], origin="KOR", controls=["MEX", "CAN"])
    k = (df["month"].dt.year - 2025) * 12 + df["month"].dt.month - 4
    ks = [kk for kk in range(-6, int(k.max()) + 1) if kk != -1]
    is_t = (df["origin"] == "KOR").to_numpy()
    ev = pd.DataFrame({f"ev[{kk}]": (is_t & (k == kk).to_numpy()).astype(float) for kk in ks},
                      index=df.index)
    z = ref.nuisance_matrix(df, el.FE_LEVELS)
    exog = pd.concat([ev, z], axis=1)
    grp, _ = inf.group_codes(df["origin"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        crv = sm.OLS(df["ln_q"], exog).fit(cov_type="cluster", use_t=True,
                                           cov_kwds={"groups": grp, "use_correction": True})
        hc1 = sm.OLS(df["ln_q"], exog).fit(cov_type="HC1")
        _ = crv.bse, hc1.bse
    t = r.table.set_index("k")
    for kk in ks:
        assert t.loc[kk, "coef"] == pytest.approx(crv.params[f"ev[{kk}]"], abs=TOL)
        assert t.loc[kk, "se"] == pytest.approx(crv.bse[f"ev[{kk}]"], abs=TOL)
    leads = [f"ev[{kk}]" for kk in ks if kk < -1]
    bl = crv.params[leads].to_numpy()
    w_hc1 = float(bl @ np.linalg.solve(hc1.cov_params().loc[leads, leads].to_numpy(), bl))
    assert r.pretrend["wald_hc1"] == pytest.approx(w_hc1, rel=TOL)
    a = np.full(len(leads), 1 / len(leads))
    se_mean = float(np.sqrt(a @ crv.cov_params().loc[leads, leads].to_numpy() @ a))
    assert r.pretrend["mean_lead_se_crv1"] == pytest.approx(se_mean, abs=TOL)
    # wild p-value of k = 0 from the dense FWL problem (other event dummies in Z)
    i = ks.index(0)
    zk = np.column_stack([z.to_numpy(), np.delete(ev.to_numpy(), i, axis=1)])
    prob = inf.fwl(df["ln_q"].to_numpy(), ev.to_numpy()[:, i], zk, df["origin"])
    pw = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=999, ci=False,
                                    progress=False)["p_wild"]
    assert t.loc[0, "p_wild"] == pytest.approx(pw, abs=TOL)
    assert r.tidy().loc["ev[0]", "Estimate"] == pytest.approx(crv.params["ev[0]"], abs=TOL)


def test_every_result_reports_dropped_rows():
    """n_dropped in every dict: flagged 2022 quantities and d12 lag rows are counted."""
    p = _panel(61, flag_2022=True)
    keys = {"missing", "qty_estimated_2022", "zero_weight", "singletons", "fe_all_zero",
            "separated"}
    lv = el.import_demand(p, "q", wild=False, ri=False, progress=False)
    assert set(lv["n_dropped"]) == keys
    assert lv["n_dropped"]["qty_estimated_2022"] == 12 and lv["n_obs"] == 335 - 12
    d12 = el.import_demand(p, "q", "d12", wild=False, ri=False, progress=False)
    # 60 first-year rows have no 12-month difference, 12 flagged rows and 12 whose lag is flagged
    assert d12["n_dropped"]["missing"] + d12["n_dropped"]["qty_estimated_2022"] == 60 + 24
    assert d12["n_obs"] + sum(d12["n_dropped"].values()) == 335
    results = [pt.passthrough(p, wild=False, ri=False, progress=False),
               el.ppml_levels(p, "quantity", progress=False),
               es.event_study(p, "KOR", leads=3, n_boot=999, progress=False).to_dict()]
    for r in results:
        assert set(r["n_dropped"]) == keys
        json.dumps(r, allow_nan=False)
    assert results[1]["n_dropped"]["qty_estimated_2022"] == 12
    assert list(lv.tidy().index) == ["ln1p_tau"]
    assert lv.tidy().loc["ln1p_tau", "Estimate"] == lv["coef"]


def test_fe_design_rank_and_the_k_conventions():
    """K = slopes + rank of the FE dummies; fixest's nested rule would give a different K."""
    p = _panel(71)
    fe_df, cols = el.fe_frame(p, el.FE_LEVELS)
    codes = [pd.factorize(fe_df[c], sort=True)[0] for c in cols]
    g, t = 5, 67
    dense = ref.nuisance_matrix(p, el.FE_LEVELS).to_numpy()
    assert fe_design_rank(codes) == np.linalg.matrix_rank(dense) == t + 12 * (g - 1)
    from autotariffs.models.fe import feols
    data = pd.concat([p[["ln_q", "ln1p_tau", "origin"]], fe_df], axis=1)
    nested = feols(data, "ln_q", ["ln1p_tau"], cols, cluster="origin", ssc=SSC())
    rank = feols(data, "ln_q", ["ln1p_tau"], cols, cluster="origin", ssc=SSC(k_fixef="rank"))
    assert rank.df_k == 1 + t + 12 * (g - 1)
    assert nested.df_k == 1 + t  # origin and origin x moy nested in the origin clusters
    n = len(p)
    ratio = float(rank.bse.iloc[0] / nested.bse.iloc[0])
    assert ratio == pytest.approx(np.sqrt((n - nested.df_k) / (n - rank.df_k)), rel=1e-10)
    with pytest.raises(ValueError, match="k_fixef"):
        SSC(k_fixef="exact")
