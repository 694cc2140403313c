"""The trend test and the smoothness bounds (autotariffs.models.drift).

Expected values come from independent computations: statsmodels OLS with Newey-West errors on a
design matrix built here, the same sandwich written out in numpy, a linear program for the
largest bias under Delta^SD(M), and noiseless SIMULATED gaps whose deviation from the trend is
known. One test reads the shipped gap (its months checked against the raw CSV in
test_one_treated.py) to check the drift the issue reports.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats
from support.one_treated import KOR_LIKE_MONTHS, drift_gaps

from autotariffs import design as study
from autotariffs.design import Window
from autotariffs.models import one_treated as ot
from autotariffs.models.drift import pretrend, smoothness_bounds
from autotariffs.models.inference import InferenceError

WIN = Window("2025-04", "2021-01", 1, "2025-07")
SEASON = 0.12 * np.sin(2 * np.pi * np.arange(12) / 12) + 0.05 * np.cos(np.arange(12))
# post months 2025-04..07 are h = 2..5 months after the last baseline month 2025-02 (2025-03 is
# the donut), so b = mean of h (h + 1) / 2 = (3 + 6 + 10 + 15) / 4
B = (3 + 6 + 10 + 15) / 4


def _design(months: pd.PeriodIndex, origin: str = "2021-01") -> pd.DataFrame:
    x = pd.get_dummies(pd.Series(np.asarray(months.month), name="moy"), prefix="m", dtype=float)
    x["years"] = (months.asi8 - pd.Period(origin, "M").ordinal) / 12.0
    return x


def _newey_west_se(x: np.ndarray, u: np.ndarray, lags: int) -> np.ndarray:
    """Bartlett-kernel HAC sandwich with the n / (n - k) small-sample factor, written out."""
    n, k = x.shape
    xu = x * u[:, None]
    s = xu.T @ xu
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        g = xu[lag:].T @ xu[:-lag]
        s += w * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    return np.sqrt(np.diag(bread @ s @ bread) * n / (n - k))


def test_pretrend_equals_statsmodels_ols_with_hac():
    """SIMULATED gap with the real gap's months (2022 missing): slope, SE and p equal an OLS on
    month-of-year dummies and years since the baseline start with Newey-West errors,
    floor(4 (n/100)^(2/9)) = 3 lags for n = 38, both from statsmodels and by hand."""
    g = drift_gaps(1, KOR_LIKE_MONTHS, slope_per_year=0.14, seasonal=SEASON, ar1=0.5,
                   sigma=0.05, effect=-0.2, seed=11)[0]
    pt = pretrend(ot.Gap(g, KOR_LIKE_MONTHS), WIN)
    pre, _ = WIN.masks(KOR_LIKE_MONTHS)
    m, y = KOR_LIKE_MONTHS[pre], g[pre]
    x = _design(m)
    lags = math.floor(4 * (len(y) / 100) ** (2 / 9))
    assert (len(y), lags) == (38, 3)
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    assert pt.slope_per_year == pytest.approx(fit.params["years"], abs=1e-12)
    assert pt.se == pytest.approx(fit.bse["years"], rel=1e-10)
    assert pt.p == pytest.approx(fit.pvalues["years"], rel=1e-8)
    by_hand = _newey_west_se(x.to_numpy(), y - x.to_numpy() @ fit.params.to_numpy(), lags)
    assert pt.se == pytest.approx(by_hand[-1], rel=1e-10)
    assert pt.p == pytest.approx(2 * stats.norm.sf(abs(pt.slope_per_year / by_hand[-1])),
                                 rel=1e-8)
    assert (pt.n, pt.hac_lags, pt.baseline) == (38, 3, ("2021-01", "2025-02"))
    # the fitted line for figures: level + seasonal[moy] is each month-of-year intercept
    assert np.nanmean(pt.seasonal) == pytest.approx(0.0, abs=1e-12)
    for k in range(12):
        assert pt.level + pt.seasonal[k] == pytest.approx(fit.params[f"m_{k + 1}"], abs=1e-12)
    # the post months do not enter the trend test
    g2 = g.copy()
    g2[~pre] += 5.0
    assert pretrend(ot.Gap(g2, KOR_LIKE_MONTHS), WIN).slope_per_year == pt.slope_per_year


def test_pretrend_needs_more_baseline_than_month_of_year():
    short = pd.period_range("2024-01", "2025-07", freq="M")
    with pytest.raises(InferenceError, match="cannot separate"):
        pretrend(ot.Gap(np.zeros(len(short)), short), Window("2025-04", "2024-06", 1, "2025-07"))


def test_pretrend_on_the_shipped_gap_shows_the_drift(shipped_panel, shipped_window):
    """Issue 20, item 1: Korea's baseline log-vehicles gap against MEX/CAN climbs about 0.14 log
    points a year (t about 7-8); statsmodels on the same gap gives the same numbers."""
    from autotariffs.models.reduced_form import gap_of

    gap = gap_of(shipped_panel, "ln_q", "KOR", study.CONTROLS, shipped_window)
    pt = pretrend(gap, shipped_window)
    pre, _ = shipped_window.masks(gap.months)
    x = _design(gap.months[pre], str(shipped_window.pre_start))
    fit = sm.OLS(gap.values[pre], x).fit(cov_type="HAC",
                                         cov_kwds={"maxlags": 3, "use_correction": True})
    assert pt.slope_per_year == pytest.approx(fit.params["years"], abs=1e-12)
    assert pt.se == pytest.approx(fit.bse["years"], rel=1e-10)
    assert 0.12 < pt.slope_per_year < 0.16 and pt.t > 5


# --------------------------------------------------------------------------------------------
# smoothness bounds (Delta^SD(M) on the deviation from the extrapolated trend)
# --------------------------------------------------------------------------------------------
def _noiseless(deviation: np.ndarray) -> ot.Gap:
    """Noiseless SIMULATED gap: trend + month of year on every month, plus ``deviation``."""
    years = (KOR_LIKE_MONTHS.asi8 - KOR_LIKE_MONTHS[0].ordinal) / 12.0
    g = 0.3 + 0.14 * years + SEASON[np.asarray(KOR_LIKE_MONTHS.month) - 1] + deviation
    return ot.Gap(g, KOR_LIKE_MONTHS)


def _test(lo: float, hi: float) -> ot.ConformalTest:
    """A conformal result with a given interval (the bounds only read its interval)."""
    return ot.ConformalTest("trend", 0.5, 0.0, 42, 0.0, 0.05, lo, hi, True, None)


def _horizon(months: pd.PeriodIndex) -> np.ndarray:
    """Months since the last baseline month (2025-02), zero on and before it."""
    return np.maximum(months.asi8 - pd.Period("2025-02", "M").ordinal, 0)


def test_largest_bias_per_m_is_the_linear_programs_optimum():
    """max over deviation paths with delta_0 = delta_-1 = 0 and |second difference| <= M of the
    mean deviation over horizons 2..5, by linear programming: M * b."""
    hmax, m0 = 5, 0.01
    # variables delta_1..delta_5; second differences at k = 0..4 of (0, 0, delta_1, ...)
    rows = []
    for k in range(hmax):
        r = np.zeros(hmax)
        for j, c in ((k + 1, 1.0), (k, -2.0), (k - 1, 1.0)):
            if j >= 1:
                r[j - 1] += c
        rows.append(r)
    a = np.array(rows)
    obj = np.zeros(hmax)
    obj[[1, 2, 3, 4]] = -1 / 4  # maximise the mean of delta_2..delta_5
    lp = optimize.linprog(obj, A_ub=np.vstack([a, -a]), b_ub=np.full(2 * hmax, m0),
                          bounds=[(None, None)] * hmax)
    assert lp.status == 0
    est = ot.estimate(_noiseless(np.zeros(len(KOR_LIKE_MONTHS))), ot.TrendAdjusted(), WIN)
    sb = smoothness_bounds(est, _test(-0.1, 0.1), WIN)
    assert sb.horizons == (2, 3, 4, 5)
    assert sb.bias_per_m == pytest.approx(B)
    assert m0 * sb.bias_per_m == pytest.approx(-lp.fun, rel=1e-9)


def test_breakdown_of_a_known_deviation_is_where_theory_puts_it():
    """Issue 20, done-when. Noiseless gap = linear trend + month of year in the baseline; the
    post months deviate by delta_h = M0 h (h + 1) / 2 (the largest deviation Delta^SD(M0)
    allows) with zero effect: the trend estimate is M0 * b, and the identified set reaches zero
    exactly at M = M0."""
    m0 = 0.004
    h = _horizon(KOR_LIKE_MONTHS)
    gap = _noiseless(m0 * h * (h + 1) / 2)
    est = ot.estimate(gap, ot.TrendAdjusted(), WIN)
    assert est.coef == pytest.approx(m0 * B, abs=1e-12)
    sb = smoothness_bounds(est, _test(est.coef - 0.01, est.coef + 0.01), WIN)
    assert sb.breakdown_identified == pytest.approx(m0, rel=1e-10)
    lo, hi = sb.identified_set(m0)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(2 * m0 * B)
    assert sb.deviation_at(m0) == pytest.approx(m0 * 5 * 6 / 2)  # the last post month, h = 5
    # the bias-aware interval reaches zero when M b covers the interval's lower end
    assert sb.breakdown == pytest.approx((est.coef - 0.01) / B, rel=1e-10)
    clo, _ = sb.robust_ci(sb.breakdown)
    assert clo == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("theta", [-0.2, 0.05])
def test_breakdown_of_a_constant_effect_is_its_size_over_b(theta):
    """Noiseless trend + month of year, a constant effect theta in the post months, no
    deviation: the estimate is theta and breakdown_identified = |theta| / b."""
    post = np.asarray(KOR_LIKE_MONTHS >= pd.Period("2025-04", "M"))
    est = ot.estimate(_noiseless(theta * post), ot.TrendAdjusted(), WIN)
    assert est.coef == pytest.approx(theta, abs=1e-12)
    sb = smoothness_bounds(est, _test(theta - 0.01, theta + 0.01), WIN)
    assert sb.breakdown_identified == pytest.approx(abs(theta) / B, rel=1e-10)
    assert sb.breakdown == pytest.approx((abs(theta) - 0.01) / B, rel=1e-10)


def test_breakdown_edge_cases():
    est = ot.estimate(_noiseless(np.zeros(len(KOR_LIKE_MONTHS))), ot.TrendAdjusted(), WIN)
    assert smoothness_bounds(est, _test(-0.1, 0.2), WIN).breakdown == 0.0  # covers zero already
    assert smoothness_bounds(est, _test(-math.inf, math.inf), WIN).breakdown is None
    level = ot.estimate(_noiseless(np.zeros(len(KOR_LIKE_MONTHS))), ot.Level(), WIN)
    with pytest.raises(InferenceError, match="trend-adjusted"):
        smoothness_bounds(level, _test(-0.1, 0.1), WIN)
    d = smoothness_bounds(est, _test(0.1, 0.3), WIN).to_dict()
    assert d["bias_per_M"] == pytest.approx(B) and d["breakdown"] == pytest.approx(0.1 / B)
    assert d["grid"][0]["M"] == 0.0 and d["grid"][0]["ci95_low"] == pytest.approx(0.1)
