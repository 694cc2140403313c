"""Inference for one treated unit (conformal, in-time placebos) on SIMULATED panels only.

Expected values come from independent computations: statsmodels OLS on dummy-variable designs,
closed-form counts, and the simulation truth (no effect / a known effect). The size simulation is
the referee's done-when at reduced cost (vectorised, >= 500 draws); the full-size version is
``scripts/bench_one_treated.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from support.one_treated import RHO, SIGMA, T0, T1, draws, twfe_crv1

from autotariffs.models import one_treated as ot
from autotariffs.models.inference import InferenceError

UNITS = ["KOR", "MEX", "CAN"]


def _wide(n_months=67, start="2020-01", effect=0.0, event="2025-04", seed=0, sigma=0.1, rho=0.5,
          seasonal_amp=0.0):  # fmt: skip
    """SIMULATED wide panel: unit + month effects + AR(1) errors; treated gets ``effect`` after
    ``event`` and (optionally) its own month-of-year pattern."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=n_months, freq="MS")
    e = np.zeros((n_months, 3))
    sh = rng.normal(0, sigma, (n_months, 3))
    e[0] = sh[0] / math.sqrt(1 - rho**2)
    for t in range(1, n_months):
        e[t] = rho * e[t - 1] + sh[t]
    y = rng.normal(0, 1, 3)[None, :] + np.cumsum(rng.normal(0, 0.05, n_months))[:, None] + e
    y[:, 0] += seasonal_amp * np.sin(2 * np.pi * months.month.to_numpy() / 12)
    y[:, 0] += effect * (months >= pd.Timestamp(event))
    return pd.DataFrame(y, index=months, columns=UNITS)


def _long(wide, keep):
    w = wide.loc[keep]
    d = w.stack().rename("y").reset_index()
    d.columns = ["month", "unit", "y"]
    return d


def _ols_twfe(wide, event, post_len, donut, pre_start=None, extra=None):
    """statsmodels OLS: y on unit FE + month FE + treated x post (+ extra columns)."""
    ev = pd.Timestamp(event)
    post_end = ev + pd.DateOffset(months=post_len - 1)
    pre_end = ev - pd.DateOffset(months=donut + 1)
    idx = wide.index
    keep = ((idx >= ev) & (idx <= post_end)) | ((idx <= pre_end) &
                                                  (idx >= pd.Timestamp(pre_start or idx[0])))  # fmt: skip
    d = _long(wide, keep)
    x = pd.get_dummies(d["unit"], dtype=float)
    m = pd.get_dummies(d["month"], dtype=float).iloc[:, 1:]
    tr = (d["unit"] == "KOR").to_numpy(float)
    post = ((d["month"] >= ev) & (d["month"] <= post_end)).to_numpy(float)
    cols = [x, m, pd.DataFrame({"D": tr * post})]
    if extra is not None:
        cols.append(extra(d, tr))
    exog = pd.concat([c.reset_index(drop=True) for c in cols], axis=1)
    return sm.OLS(d["y"].to_numpy(), exog).fit(), d


# ------------------------------------------------------------------------------------------
# (i) did == TWFE OLS
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("donut,pre_start", [(0, None), (1, None), (2, "2021-05")])
def test_did_equals_twfe_dummy_ols(donut, pre_start):
    w = _wide(seed=1, effect=-0.2)
    r = ot.did(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=donut, pre_start=pre_start)
    fit, _ = _ols_twfe(w, "2025-04", 4, donut, pre_start)
    assert r["coef"] == pytest.approx(fit.params["D"], abs=1e-10)
    n_pre_expected = len(pd.period_range(pre_start or "2020-01", "2025-03", freq="M")) - donut
    assert r["n_pre"] == n_pre_expected and r["n_post"] == 4
    assert r["post_months"] == ["2025-04", "2025-05", "2025-06", "2025-07"]
    assert np.mean([r["by_month"][m] for m in r["post_months"]]) == pytest.approx(r["coef"])


def _moy_dummies(d, tr):
    moy = d["month"].dt.month.to_numpy()
    return pd.DataFrame({f"S{m}": tr * (moy == m) for m in range(2, 13)})


def test_did_seasonal_equals_ols_with_treated_month_of_year_dummies():
    """seasonal=True: mean over post months of gap_t - mean_pre(gap | moy). Derivation: in OLS with
    treated x moy dummies and ONE treated x post-month dummy per post month, each post month is
    fitted exactly, so the moy effects come from the pre-period only and the per-month effects are
    gap_t - mean_pre(gap | moy(t)); their mean is our coefficient. With a single treated x post
    dummy OLS instead weights post month t by n_m/(n_m+1) (n_m = pre months with its moy)."""
    w = _wide(seed=2, effect=-0.3, seasonal_amp=0.2)
    ctrl = ["MEX", "CAN"]
    for pre_start in (None, "2020-06"):  # 2020-06: Apr/May have 4 pre months, Jun/Jul 5
        r = ot.did(w, "KOR", ctrl, "2025-04", post_len=4, donut=1, pre_start=pre_start,
                   seasonal=True)  # fmt: skip

        def per_month(d, tr):
            s = _moy_dummies(d, tr)
            for k, mm in enumerate(pd.date_range("2025-04", periods=4, freq="MS")):
                s[f"P{k}"] = tr * (d["month"] == mm).to_numpy(float)
            return s

        fit, _ = _ols_twfe(w, "2025-04", 4, 1, pre_start,
                           extra=lambda d, tr: per_month(d, tr).iloc[:, :-1])  # fmt: skip
        # last post-month effect is D (D + P_k for the others: D is the common column)
        effs = [fit.params["D"] + fit.params[f"P{k}"] for k in range(3)] + [fit.params["D"]]
        assert r["coef"] == pytest.approx(np.mean(effs), abs=1e-10)
        fit1, d1 = _ols_twfe(w, "2025-04", 4, 1, pre_start, extra=_moy_dummies)
        pre_moy = d1.loc[(d1["unit"] == "KOR") & (d1["month"] < "2025-03"), "month"].dt.month
        n_m = np.array([(pre_moy == m).sum() for m in (4, 5, 6, 7)])
        adj = np.array([r["by_month"][m] for m in r["post_months"]])
        wts = n_m / (n_m + 1)
        assert fit1.params["D"] == pytest.approx((wts * adj).sum() / wts.sum(), abs=1e-10)
        if pre_start is None:  # equal n_m: the single-dummy regression gives the same number
            assert r["coef"] == pytest.approx(fit1.params["D"], abs=1e-10)
        else:
            assert abs(r["coef"] - fit1.params["D"]) > 1e-6


def test_did_drops_nan_rows_and_counts_them():
    w = _wide(seed=3)
    w.loc["2021-03-01", "CAN"] = np.nan
    w.loc["2022-07-01", "KOR"] = np.nan
    w["DEU"] = np.nan  # unused column: does not drop anything
    r = ot.did(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4)
    assert r["n_dropped_missing"] == 2 and r["n_pre"] == 63 - 2
    assert "2021-03" not in r["by_month"]
    g = ot.gap(w, "KOR", ["MEX", "CAN"])
    assert len(g) == 65 and isinstance(g.index, pd.DatetimeIndex)


def test_too_few_pre_months_raise_clear_errors():
    w = _wide(n_months=20, start="2024-08", seed=4)
    with pytest.raises(InferenceError, match="pre_start earlier"):
        ot.conformal(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1)
    with pytest.raises(InferenceError, match="lower min_pre"):
        ot.in_time_placebos(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1)
    with pytest.raises(InferenceError, match="months-of-year"):
        ot.did(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1, pre_start="2024-10",
               seasonal=True)  # fmt: skip
    with pytest.raises(InferenceError, match="not columns"):
        ot.did(w, "KOR", ["GBR"], "2025-04")


# ------------------------------------------------------------------------------------------
# (ii)-(iii) size and power: the referee's done-when, vectorised
# ------------------------------------------------------------------------------------------
N_DRAWS = 2000  # the design (T0, T1, RHO, SIGMA, the DGP) is support.one_treated's


def _crv1_reject(y):
    """TWFE (unit + month FE) CRV1 t-test of treated x post, t(G-1) critical value."""
    b, se = twfe_crv1(y, T0)
    return np.abs(b / se) > stats.t.ppf(0.975, y.shape[1] - 1), b


@pytest.fixture(scope="module")
def mc():
    post = np.r_[np.zeros(T0, bool), np.ones(T1, bool)]
    out = {}
    for eff in (0.0, -0.3):
        y = draws(N_DRAWS, 20250403 if eff == 0 else 20250326, eff)
        gaps = y[:, 0] - y[:, 1:].mean(axis=1)
        p_conf, _ = ot._conformal_did_p(gaps, post)
        p_plc, actual, n_plc = ot._placebo_p_vec(gaps, T0, T1, donut=0, min_pre=12)
        rej_crv1, b = _crv1_reject(y)
        out[eff] = {"y": y, "gaps": gaps, "p_conf": p_conf, "p_plc": p_plc, "n_plc": n_plc,
                    "crv1": rej_crv1.mean(), "b": b, "actual": actual}  # fmt: skip
    return out


def test_size_conformal_and_placebo_near_nominal_crv1_over_rejects(mc):
    r = mc[0.0]
    assert r["gaps"].shape[0] >= 500
    size_conf = np.mean(r["p_conf"] <= 0.05)
    size_plc = np.mean(r["p_plc"] <= 0.05)
    print(f"\nsize (n={N_DRAWS}): conformal-did {size_conf:.4f}, placebo {size_plc:.4f} "
          f"({r['n_plc']} placebos), CRV1 {r['crv1']:.4f}")  # fmt: skip
    assert 0.03 <= size_conf <= 0.07
    assert 0.03 <= size_plc <= 0.07
    assert r["crv1"] > 0.10  # one treated cluster: CRV1 measures MEX-minus-CAN noise only
    # TWFE coefficient == did estimate (the same estimator the placebos use)
    assert np.allclose(r["b"], r["actual"], atol=1e-12)


def test_power_at_minus_0_3(mc):
    r = mc[-0.3]
    pw_conf = np.mean(r["p_conf"] <= 0.05)
    pw_plc = np.mean(r["p_plc"] <= 0.05)
    print(f"\npower at -0.3 (sigma {SIGMA}, rho {RHO}): conformal-did {pw_conf:.3f}, "
          f"placebo {pw_plc:.3f}")  # fmt: skip
    # DiD s.e. here is about 0.1 (sigma 0.1 innovations), so -0.3 is ~3 s.e.
    assert pw_conf > 0.5 and pw_plc > 0.5
    assert pw_conf > np.mean(mc[0.0]["p_conf"] <= 0.05) + 0.4


def test_public_functions_match_vectorised_helpers(mc):
    months = pd.date_range("2021-01", periods=T0 + T1, freq="MS")
    event = months[T0]
    for eff in (0.0, -0.3):
        r = mc[eff]
        for i in range(3):
            w = pd.DataFrame(r["y"][i].T, index=months, columns=UNITS)
            c = ot.conformal(w, "KOR", ["MEX", "CAN"], event, ci=False)
            assert c["p"] == pytest.approx(r["p_conf"][i], abs=1e-12)
            assert c["n_perm"] == T0 + T1 and c["min_p"] == pytest.approx(1 / 52)
            pl = ot.in_time_placebos(w, "KOR", ["MEX", "CAN"], event, post_len=T1)
            assert pl["p"] == pytest.approx(r["p_plc"][i], abs=1e-12)
            assert pl["actual"] == pytest.approx(r["actual"][i], abs=1e-12)


def test_conformal_did_p_by_brute_force_cyclic_shifts():
    """p from explicitly shifted residual vectors (scinference's moving.block, written out)."""
    rng = np.random.default_rng(8)
    g = rng.normal(size=30)
    post = np.r_[np.zeros(26, bool), np.ones(4, bool)]
    g[post] -= 1.0
    theta0 = -0.4
    u = g - theta0 * post
    u = u - u.mean()
    s = [np.abs(np.roll(u, -j)[post]).sum() / 2 for j in range(30)]
    p_expected = np.mean(np.array(s) >= s[0] - 1e-12)
    p, s_obs = ot._conformal_did_p(g[None, :], post, theta0)
    assert p[0] == pytest.approx(p_expected, abs=1e-12) and s_obs[0] == pytest.approx(s[0])


# ------------------------------------------------------------------------------------------
# (iv) confidence sets by test inversion
# ------------------------------------------------------------------------------------------
def test_conformal_ci_covers_truth_and_excludes_zero():
    w = _wide(seed=5, effect=-0.5, sigma=0.05, rho=0.0)
    ctrl = ["MEX", "CAN"]
    r = ot.conformal(w, "KOR", ctrl, "2025-04", post_len=4, donut=1)
    lo, hi = r["ci95_low"], r["ci95_high"]
    assert lo < -0.5 < hi and hi < 0 and r["p"] <= 1 / r["n_perm"] + 1e-12
    assert r["ci_connected"]
    # the bounds are where the test switches from accepting to rejecting
    eps = 1e-4
    kw = dict(post_len=4, donut=1, ci=False)
    assert ot.conformal(w, "KOR", ctrl, "2025-04", theta0=lo + eps, **kw)["p"] > 0.05
    assert ot.conformal(w, "KOR", ctrl, "2025-04", theta0=lo - eps, **kw)["p"] <= 0.05
    assert ot.conformal(w, "KOR", ctrl, "2025-04", theta0=hi - eps, **kw)["p"] > 0.05
    assert ot.conformal(w, "KOR", ctrl, "2025-04", theta0=hi + eps, **kw)["p"] <= 0.05
    again = ot.conformal(w, "KOR", ctrl, "2025-04", post_len=4, donut=1)
    assert (again["ci95_low"], again["ci95_high"]) == (lo, hi)  # deterministic


def test_conformal_sarimax_runs_without_warnings_and_covers_truth():
    w = _wide(seed=6, effect=-0.5, sigma=0.05)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = ot.conformal(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1,
                         model="sarimax")  # fmt: skip
        r0 = ot.conformal(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1,
                          model="sarimax", seasonal=True, ci=False, theta0=-0.5)  # fmt: skip
    assert [str(x.message) for x in rec] == []
    assert r["model"] == "sarimax" and r["converged"] and r["n_perm"] == 67 - 1
    assert r["ci95_low"] < -0.5 < r["ci95_high"] < 0
    assert r0["p"] > 0.05
    kw = dict(post_len=4, donut=1, model="sarimax", ci=False)
    for bound, side in ((r["ci95_low"], -1), (r["ci95_high"], 1)):
        assert ot.conformal(w, "KOR", ["MEX", "CAN"], "2025-04", theta0=bound - side * 0.005,
                            **kw)["p"] > 0.05  # fmt: skip
        assert ot.conformal(w, "KOR", ["MEX", "CAN"], "2025-04", theta0=bound + side * 0.005,
                            **kw)["p"] <= 0.05  # fmt: skip


# ------------------------------------------------------------------------------------------
# (v) in-time placebos
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_pre,post_len,donut,min_pre", [(48, 4, 0, 12), (62, 4, 1, 12),
                                                         (40, 3, 2, 6), (36, 6, 1, 24)])  # fmt: skip
def test_placebo_count_formula_and_p(n_pre, post_len, donut, min_pre):
    n_months = n_pre + donut + post_len
    w = _wide(n_months=n_months, start="2019-01", seed=n_pre)
    event = pd.date_range("2019-01", periods=n_months, freq="MS")[n_pre + donut]
    r = ot.in_time_placebos(w, "KOR", ["MEX", "CAN"], event, post_len, donut=donut,
                            min_pre=min_pre)  # fmt: skip
    expected = n_pre - donut - post_len - min_pre + 1
    assert r["n_placebos"] == expected == len(r["placebos"])
    assert r["min_p"] == pytest.approx(1 / (expected + 1))
    # first / last fake event months
    months = pd.date_range("2019-01", periods=n_months, freq="MS")
    keys = list(r["placebos"])
    assert keys[0] == months[min_pre + donut].strftime("%Y-%m")
    assert keys[-1] == months[n_pre - post_len].strftime("%Y-%m")
    # each placebo is did() with the fake event on the real pre-period data
    last_pre = months[n_pre - 1]
    k = keys[len(keys) // 2]
    d = ot.did(w.loc[:last_pre], "KOR", ["MEX", "CAN"], k, post_len=post_len, donut=donut)
    assert r["placebos"][k] == pytest.approx(d["coef"], abs=1e-12)
    vals = np.abs(list(r["placebos"].values()))
    assert r["p"] == pytest.approx((1 + (vals >= abs(r["actual"])).sum()) / (1 + expected))


# ------------------------------------------------------------------------------------------
# figure
# ------------------------------------------------------------------------------------------
def test_fig_in_time_placebos_marks_actual():
    import matplotlib.pyplot as plt

    from autotariffs.figures.estimates import fig_in_time_placebos

    w = _wide(seed=9, effect=-0.3)
    r = ot.in_time_placebos(w, "KOR", ["MEX", "CAN"], "2025-04", post_len=4, donut=1)
    fig = fig_in_time_placebos(r, "KOR: in-time placebos", "DiD estimate (log points)")
    assert isinstance(fig, plt.Figure)
    ax = fig.axes[0]
    xs = [tuple(ln.get_xdata()) for ln in ax.lines]
    assert (r["actual"], r["actual"]) in xs
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(f"p = {r['p']:.3f}" in s and f"n = {r['n_placebos']}" in s for s in labels)
    plt.close(fig)
