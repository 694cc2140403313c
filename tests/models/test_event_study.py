"""Event study on SIMULATED panels: known dynamic path, reference period, pre-trend test."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import simulate

from autotariffs.models import event_study as es

PATH = {0: -0.10, 1: -0.25, 2: -0.30, 3: -0.20}  # true effects on ln q, k = 0..3 (2025-04..07)


def _panel(seed=0, sigma=0.01, origins=("CAN", "KOR", "MEX"), pre_trend=0.0):
    g = len(origins)
    zero = np.zeros((g, 67))
    p = simulate.with_origins(simulate.simulate_panel(n_origins=g, seed=seed, sigma_e=sigma,
                                                      paths=zero), origins)
    k = (p["month"].dt.year - 2025) * 12 + p["month"].dt.month - 4
    kor = p["origin"] == "KOR"
    for kk, b in PATH.items():
        p.loc[kor & (k == kk), "ln_q"] += b
    win = kor & (k >= -6) & (k <= -2)  # a deviation inside the lead window (k=-1 untouched)
    p.loc[win, "ln_q"] += pre_trend * (k[win] + 1)
    return p


def test_recovers_known_dynamic_path():
    p = _panel()
    r = es.event_study(p, "KOR", leads=6, progress=False, n_boot=999)
    t = r.table.set_index("k")
    for kk, b in PATH.items():
        assert t.loc[kk, "coef"] == pytest.approx(b, abs=0.03)
    assert (t.loc[-6:-2, "coef"].abs() < 0.03).all()
    assert t.loc[-1, "coef"] == 0.0 and t.loc[-1, "se"] == 0.0  # reference period row
    assert list(t.index) == list(range(-6, 4))
    assert t.loc[0, "month"] == pd.Timestamp("2025-04-01")
    assert (t["n_clusters"] == 3).all()
    assert r.meta["lags"] == 3 and r.meta["n_clusters"] == 3


def test_pretrend_reports_infeasible_crv1_wald_with_three_clusters_and_detects_trend():
    clean = es.event_study(_panel(seed=1), "KOR", leads=6, wild=False, progress=False)
    trend = es.event_study(_panel(seed=1, pre_trend=0.05), "KOR", leads=6, wild=False,
                           progress=False)  # fmt: skip
    assert clean.pretrend["crv1_rank"] <= 2 and clean.pretrend["p_crv1"] is None
    assert "infeasible" in clean.pretrend["note"]
    assert clean.pretrend["p_hc1"] > 0.01
    assert trend.pretrend["p_hc1"] < 1e-6
    # leads carry 0.05*(k+1) for k=-6..-2 (base months untouched): mean 0.05*(-3) = -0.15
    assert trend.pretrend["mean_lead"] == pytest.approx(-0.15, abs=0.02)


def _crv1_wald_by_dummies(p: pd.DataFrame, leads: int) -> tuple[float, float]:
    """Independent joint CRV1 Wald test of the leads: statsmodels OLS with explicit origin, month
    and origin x month-of-year dummies and the event dummies, cluster-robust by origin with its
    G/(G-1)(N-1)/(N-K) correction (K = rank); W = b' V^-1 b over the leads, p from F(q, G-1)."""
    import statsmodels.api as sm
    from scipy import stats

    k = (p["month"].dt.year - 2025) * 12 + p["month"].dt.month - 4
    kor = (p["origin"] == "KOR").to_numpy()
    ks = [kk for kk in range(-leads, int(k.max()) + 1) if kk != -1]
    ev = pd.DataFrame({f"ev{kk}": (kor & (k == kk)).astype(float) for kk in ks}, index=p.index)
    fe = pd.get_dummies(pd.DataFrame({
        "o": p["origin"], "m": p["month"].dt.strftime("%Y-%m"),
        "om": p["origin"] + p["moy"].astype(str)}), dtype=float)
    x = pd.concat([ev, fe], axis=1)
    groups = pd.factorize(p["origin"])[0]
    # plain sandwich, then the correction with K = the design's rank (statsmodels' own correction
    # counts every column, redundant dummies included)
    fit = sm.OLS(p["ln_q"].to_numpy(), x).fit(  # rank-deficient by design (pinv): slopes unique
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    n, rank, g = len(p), np.linalg.matrix_rank(x.to_numpy()), len(set(groups))
    lead = [f"ev{kk}" for kk in ks if kk < -1]
    b = fit.params[lead].to_numpy()
    v = fit.cov_params().loc[lead, lead].to_numpy() * g / (g - 1) * (n - 1) / (n - rank)
    w = float(b @ np.linalg.solve(v, b))
    return w, float(stats.f.sf(w / len(lead), len(lead), g - 1))


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
@pytest.mark.parametrize("pre_trend", [0.0, 0.05])
def test_crv1_wald_used_when_rank_allows(pre_trend):
    """With G = 5 and 2 leads the joint CRV1 Wald is feasible; its statistic and p-value equal
    the dummy-variable computation, and a lead-window trend (0.05 per month, sd 0.01) is found."""
    p = _panel(seed=2, origins=("CAN", "DEU", "GBR", "KOR", "MEX"), pre_trend=pre_trend)
    r = es.event_study(p, "KOR", controls=("MEX", "CAN", "DEU", "GBR"), leads=3, wild=False,
                       progress=False)  # fmt: skip
    assert r.pretrend["n_leads"] == 2 and r.pretrend["crv1_rank"] == 2
    w, pval = _crv1_wald_by_dummies(p, leads=3)
    assert r.pretrend["wald_crv1"] == pytest.approx(w, rel=1e-6)
    assert r.pretrend["p_crv1"] == pytest.approx(pval, rel=1e-6)
    assert r.pretrend["note"] == ""
    if pre_trend:
        assert r.pretrend["p_crv1"] < 0.01


def test_notes_flag_few_clusters_and_missing_deal_date():
    r = es.event_study(_panel(), "KOR", leads=4, progress=False, n_boot=999)
    notes = " ".join(r.meta["notes"])
    assert "UNINFORMATIVE" in notes and "2025-11-01" in notes and "after the sample end" in notes
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["coefficients"][0]["month"] == "2024-12"


def test_bad_arguments_raise():
    p = _panel()
    with pytest.raises(es.EstimationError, match="also listed"):
        es.event_study(p, "KOR", controls=("KOR", "MEX"))
    with pytest.raises(es.EstimationError, match="leads"):
        es.event_study(p, "KOR", leads=1)
    short = p[p["month"] < "2025-01-01"]
    with pytest.raises(es.EstimationError, match="no post-event"):
        es.event_study(short, "KOR", progress=False)
