"""HS10 x origin x month estimators (autotariffs.models.varieties) and the origin x month
aggregation (autotariffs.panel.build.origin_month).

All data here are SIMULATED (seeded numpy draws, ``hs10_panel`` in tests/support/simulate.py) with
known parameters: a tariff elasticity of import value BETA and a pass-through GAMMA to ex-tariff
unit values, with variety (HS10 x origin) and HS10 x month effects. References: the true parameters, and pyfixest (an independent
implementation) for the coefficients at the same fixed effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from support import simulate
from support.notebooks import run_notebook

from autotariffs.models.elasticity import EstimationError
from autotariffs.models.varieties import variety_estimates
from autotariffs.panel import build as apanel

BETA, GAMMA = -3.0, -0.5
ORIGINS = ["CAN", "DEU", "JPN", "KOR", "MEX"]


@pytest.fixture(scope="module")
def hs10() -> pd.DataFrame:
    return simulate.hs10_panel(beta=BETA, gamma=GAMMA)


@pytest.fixture(scope="module")
def est(hs10) -> dict:
    return variety_estimates(hs10)


# A DGP where each coefficient is pinned down (simulate.hs10_panel's options): 100 HS10 lines,
# value noise with CV 0.05, no random zeros, and ln FX kept out of unit values (the PPML specs
# leave ln FX out, so with it in unit values vehicles would carry an omitted random walk). Over
# 40 seeds (1000-1039) the estimates' standard deviations were 0.038 (ppml_value), 0.047
# (ppml_quantity), 0.034 (ols_ln_q) and 0.018 (passthrough_ln_uv); each tolerance is 4 of them,
# rounded up, and far below the 0.5 between the value elasticity (-3) and the vehicle one (-2.5).
PRECISE = {"n_hs": 100, "shape": 400.0, "fx_uv": 0.0, "zero_share": 0.0}
TRUTH = {"ppml_value": BETA, "ppml_quantity": BETA - GAMMA, "ols_ln_q": BETA - GAMMA,
         "passthrough_ln_uv": GAMMA}
TOL = {"ppml_value": 0.16, "ppml_quantity": 0.20, "ols_ln_q": 0.14, "passthrough_ln_uv": 0.08}


def test_recovers_known_elasticities_and_passthrough():
    est = variety_estimates(simulate.hs10_panel(beta=BETA, gamma=GAMMA, **PRECISE))
    for spec, truth in TRUTH.items():
        for cluster in ("origin", "variety"):  # one point estimate, two clusterings
            coef = est["specs"][spec][cluster]["coef"]
            assert abs(coef - truth) < TOL[spec], (spec, cluster, coef, truth)


def test_levels_clusters_and_samples(est):
    s = est["specs"]
    assert s["ppml_value"]["origin"]["n_clusters"] == 5
    assert s["ppml_value"]["variety"]["n_clusters"] == 200
    assert s["ppml_value"]["origin"]["df_t"] == 4
    # same point estimate under either clustering; zeros kept by PPML, dropped by OLS in logs
    assert s["ppml_value"]["origin"]["coef"] == s["ppml_value"]["variety"]["coef"]
    assert s["ppml_value"]["origin"]["n_obs"] > s["ols_ln_q"]["origin"]["n_obs"]
    assert est["levels"] == {"hs10": 40, "variety": 200, "hs_month": 1600,
                             "origins": ORIGINS, "rows": 8000,
                             "zero_value_share": pytest.approx(0.05, abs=0.01)}


def test_coefficients_equal_pyfixest(hs10, est):
    df = hs10.assign(variety=hs10["hs_code"] + ":" + hs10["origin"],
                     hs_month=hs10["hs_code"] + ":" + hs10["month"].dt.strftime("%Y-%m"))
    m = pf.fepois("value_usd ~ ln1p_tau | variety + hs_month", data=df,
                  vcov={"CRV1": "origin"}, fixef_rm="none", iwls_tol=1e-10)
    r = est["specs"]["ppml_value"]["origin"]
    assert abs(r["coef"] - m.coef()["ln1p_tau"]) < 1e-6
    assert r["se"] == pytest.approx(m.se()["ln1p_tau"], rel=1e-5)
    m = pf.fepois("quantity ~ ln1p_tau | variety + hs_month", data=df,
                  vcov={"CRV1": "origin"}, fixef_rm="none", iwls_tol=1e-10)
    r = est["specs"]["ppml_quantity"]["origin"]
    assert abs(r["coef"] - m.coef()["ln1p_tau"]) < 1e-6
    assert r["se"] == pytest.approx(m.se()["ln1p_tau"], rel=1e-5)
    m = pf.feols("ln_uv ~ ln1p_tau + ln_fx | variety + hs_month", data=df,
                 vcov={"CRV1": "variety"})
    r = est["specs"]["passthrough_ln_uv"]["variety"]
    assert abs(r["coef"] - m.coef()["ln1p_tau"]) < 1e-6
    assert r["se"] == pytest.approx(m.se()["ln1p_tau"], rel=1e-5)


def test_origin_month_aggregation(hs10):
    agg = apanel.origin_month(hs10)
    ref = hs10.groupby(["origin", "month"])[["value_usd", "quantity"]].sum()
    assert len(agg) == 5 * 40
    got = agg.set_index(["origin", "month"])
    assert np.allclose(got["value_usd"], ref["value_usd"])
    assert np.allclose(got["ln_q"], np.log(ref["quantity"]))
    kor = got.loc["KOR"]
    assert np.allclose(kor["d12_ln_v"].iloc[12:].to_numpy(),
                       np.log(ref.loc["KOR", "value_usd"]).diff(12).iloc[12:].to_numpy())
    assert kor["d12_ln_v"].iloc[:12].isna().all()
    assert apanel.origin_month(agg) is agg  # already origin x month: unchanged


def test_needs_the_hs10_panel(hs10):
    agg = apanel.origin_month(hs10)
    with pytest.raises(EstimationError, match="hs_code"):
        variety_estimates(agg)
    with pytest.raises(EstimationError, match="unknown variety spec"):
        variety_estimates(hs10, specs=["nope"])


def processed_inputs(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The SIMULATED panel as 01 and 02 would write it: census HS10 flows, tariffs and FX."""
    flows = pd.DataFrame({
        "reporter": "USA", "partner": df["origin"], "is_bloc": False, "hs_code": df["hs_code"],
        "hs_level": 10, "freq": "M", "month": df["month"], "n_months": 1,
        "value_usd": df["value_usd"], "value_basis": "customs", "quantity": df["quantity"],
        "quantity_unit": "u", "duties_usd": np.nan, "dutiable_value_usd": np.nan,
        "flow": "import", "programme": "", "source": "census_hs10_m", "file": "SIMULATED"})
    om = df.groupby(["origin", "month"], as_index=False)[["tau", "lcu_per_usd"]].first()
    tariffs = om.assign(product="8703", rate_pct=100 * om["tau"])[
        ["month", "origin", "product", "rate_pct"]]
    fx = om.rename(columns={"origin": "iso3"})[["month", "iso3", "lcu_per_usd"]]
    return {"flows": flows, "tariffs_monthly": tariffs, "fx_monthly": fx}


def run_notebook_on_simulated_census(tmp_path, hs10, notebook: str, params: str) -> dict:
    """Write the SIMULATED census inputs into a temp output root, run ``notebook`` with the
    params text, return its results JSON."""
    import json

    from autotariffs.atomic import write_parquet

    (tmp_path / "data" / "processed").mkdir(parents=True, exist_ok=True)
    for name, frame in processed_inputs(hs10).items():
        write_parquet(frame, tmp_path / "data" / "processed" / f"{name}.parquet")
    stem = notebook + ("_KOR" if notebook == "04_estimates" else "")
    pfile = tmp_path / f"{stem}.yaml"  # (a per-origin file is named after its origin)
    pfile.write_text(params, encoding="utf-8")
    run_notebook(tmp_path, notebook, stem, pfile)
    return json.loads((tmp_path / "reports" / "results" / f"{stem}.json").read_text())


@pytest.mark.slow
def test_estimates_notebook_runs_the_hs10_branch(tmp_path, hs10):
    """04_estimates with ``source: census`` on SIMULATED HS10 flows: the notebook builds the HS10
    panel, its variety estimates equal a direct call, and the origin x month estimators ran on the
    aggregate."""
    res = run_notebook_on_simulated_census(
        tmp_path, hs10, "04_estimates",
        'origin: KOR\ncontrols: [MEX, CAN]\nsource: census\nstart: "2022-04"\nbaseline_start: "2022-04"\n'
        'end: "2025-07"\nleads: 3\nn_boot: 999\nseed: 1\n')
    v = res["KOR"]["varieties"]
    inputs = processed_inputs(hs10)
    built = apanel.build_panel(inputs["flows"], inputs["tariffs_monthly"], inputs["fx_monthly"],
                               start="2022-04", end="2025-07", source="census")
    direct = variety_estimates(built, origins=["KOR", "MEX", "CAN"])
    for spec in ("ppml_value", "passthrough_ln_uv"):
        assert v["specs"][spec]["origin"]["coef"] == pytest.approx(
            direct["specs"][spec]["origin"]["coef"], abs=1e-9)
    assert abs(v["specs"]["passthrough_ln_uv"]["variety"]["coef"] - GAMMA) < 0.05  # truth -0.5
    assert v["levels"]["variety"] == 120 and v["specs"]["ppml_value"]["origin"]["n_clusters"] == 3
    # KOR vs MEX, CAN on the aggregate: regressions (appendix) and every design
    assert res["KOR"]["invalid_by_design"]["elasticity_d12"]["n_clusters"] == 3
    assert {d: res["KOR"]["designs"][d]["ln_q"]["n_post"] for d in res["KOR"]["designs"]} == {
        "level": 4, "yoy": 4, "trend": 4}
    table = pd.read_csv(tmp_path / "reports" / "tables" / "varieties_KOR.csv")
    assert len(table) == 8 and set(table["cluster"]) == {"origin", "variety"}


@pytest.mark.slow
def test_robustness_notebook_runs_on_census_flows(tmp_path, hs10):
    """05_robustness with ``source: census``: the HS10 panel (and the content-share variants) are
    aggregated to origin x month and every check runs on SIMULATED census flows."""
    res = run_notebook_on_simulated_census(
        tmp_path, hs10, "05_robustness",
        'origins: [KOR, JPN]\nsource: census\nstart: "2022-04"\nend: "2025-07"\n'
        'placebo_date: "2024-04-03"\nusmca_share_range: [0.3, 0.7]\nn_boot: 999\nseed: 1\n')
    assert res["robustness"], res
    assert res["_meta"]["params"]["source"] == "census"
