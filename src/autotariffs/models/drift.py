"""Is the treated-minus-control gap drifting, and how far could a drift bend before the answer goes?

* :func:`pretrend` - look before estimating: regress the baseline gap on a linear trend (years)
  and month-of-year dummies with Newey-West (HAC) errors; the slope per year, its SE and p. A
  level baseline that ignores a significant slope mixes the drift into the effect.
* :func:`smoothness_bounds` - sensitivity of the trend-adjusted estimate in the spirit of
  Rambachan & Roth (2023, REStud). Class used: Delta^SD(M) applied to the deviation delta_h of
  the counterfactual gap from the baseline's extrapolated linear trend, h months after the last
  baseline month, anchored at delta_0 = delta_-1 = 0 (the trend holds up to the baseline's end)
  and |delta_{h+1} - 2 delta_h + delta_{h-1}| <= M (the trend's slope may change by at most M
  log points per month, every month). The largest deviation at horizon h is M h (h + 1) / 2,
  reached by the same path at every h, so for the post-period average theta the identified set
  is theta_hat -+ M b with b = mean over post months of h (h + 1) / 2, and the bias-aware
  interval widens the conformal interval by M b on each side. The breakdown value is the
  smallest M at which that interval (or, for ``breakdown_identified``, the set) includes zero.
  M = 0 is the trend-adjusted estimate itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs.design import Window
from autotariffs.models.inference import InferenceError
from autotariffs.models.one_treated import ConformalTest, Estimate, Gap, json_float


def newey_west_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (n / 100)^(2/9))."""
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class Pretrend:
    """The baseline gap's linear trend (log points per year) net of month of year, HAC errors.

    ``level`` and ``seasonal`` (12 values, mean zero; NaN for months of year without baseline
    data) describe the fitted line for figures: fitted(t) = level + slope_per_year * years since
    ``origin_month`` + seasonal[month of year].
    """

    slope_per_year: float
    se: float
    p: float
    n: int
    hac_lags: int
    level: float
    seasonal: tuple[float, ...]
    origin_month: str
    baseline: tuple[str, str]

    @property
    def t(self) -> float:
        return self.slope_per_year / self.se

    def to_dict(self) -> dict:
        return {"slope_per_year": self.slope_per_year, "se": self.se, "p": self.p,
                "t": self.t, "n": self.n, "hac_lags": self.hac_lags, "level": self.level,
                "seasonal": [json_float(s) for s in self.seasonal],
                "origin_month": self.origin_month,
                "baseline": list(self.baseline),
                "method": "OLS of the baseline gap on a linear trend and month-of-year "
                          f"dummies, Newey-West SE ({self.hac_lags} lags)"}


def pretrend_design(gap: Gap, window: Window) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray,
                                                       np.ndarray]:
    """The baseline months, gap values, design (month-of-year dummies, then the trend in years
    from ``window.pre_start``) and months of year present of :func:`pretrend`; raises
    InferenceError where the baseline cannot separate a trend from month of year, the one way
    :func:`pretrend` refuses a baseline (the parameter check asks this, without the fit)."""
    pre, _ = window.masks(gap.months)
    m, g = gap.months[pre], gap.values[pre]
    moy = np.asarray(m.month)
    months_present = np.unique(moy)
    if len(g) < len(months_present) + 3:
        raise InferenceError(f"pretrend: {len(g)} baseline months cannot separate a trend from "
                             "month of year; start baseline_start earlier")
    t = (np.asarray([p.ordinal for p in m]) - window.pre_start.ordinal) / 12.0
    d = (moy[:, None] == months_present[None, :]).astype(float)
    return m, g, np.column_stack([d, t]), months_present


def pretrend(gap: Gap, window: Window) -> Pretrend:
    """Trend test on the baseline months of ``gap`` (see module docstring).

    Months without data (2022 quantities) are left out and the HAC kernel treats the remaining
    months as consecutive, as statsmodels' HAC does.
    """
    # here, not at the top: statsmodels (and scipy.stats with it) is half a second to import, and
    # the report step imports this module without fitting anything
    from statsmodels.regression.linear_model import OLS

    m, g, x, months_present = pretrend_design(gap, window)
    origin = window.pre_start
    lags = newey_west_lags(len(g))
    fit = OLS(g, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    s = np.asarray(fit.params[:-1])
    level = float(s.mean())
    seasonal = np.full(12, np.nan)
    seasonal[months_present - 1] = s - level
    return Pretrend(float(fit.params[-1]), float(fit.bse[-1]), float(fit.pvalues[-1]), len(g),
                    lags, level, tuple(float(v) for v in seasonal), str(origin),
                    (str(m[0]), str(m[-1])))


@dataclass(frozen=True)
class SmoothnessBounds:
    """Identified set and bias-aware interval of the trend-adjusted estimate under Delta^SD(M)."""

    coef: float
    ci95_low: float
    ci95_high: float
    horizons: tuple[int, ...]

    @property
    def bias_per_m(self) -> float:
        """b: the largest bias of the post average per unit of M (mean of h (h + 1) / 2)."""
        return float(np.mean([h * (h + 1) / 2 for h in self.horizons]))

    def identified_set(self, m: float) -> tuple[float, float]:
        return self.coef - m * self.bias_per_m, self.coef + m * self.bias_per_m

    def robust_ci(self, m: float) -> tuple[float, float]:
        return self.ci95_low - m * self.bias_per_m, self.ci95_high + m * self.bias_per_m

    @property
    def breakdown_identified(self) -> float:
        """Smallest M whose identified set includes zero."""
        return abs(self.coef) / self.bias_per_m

    @property
    def breakdown(self) -> float | None:
        """Smallest M whose bias-aware 95% interval includes zero (0 if it already does; None
        if the interval is unbounded)."""
        if not (math.isfinite(self.ci95_low) and math.isfinite(self.ci95_high)):
            return None
        if self.ci95_low <= 0 <= self.ci95_high:
            return 0.0
        return min(abs(self.ci95_low), abs(self.ci95_high)) / self.bias_per_m

    def deviation_at(self, m: float, h: int | None = None) -> float:
        """The largest deviation from the extrapolated trend at horizon h (default: last)."""
        h = max(self.horizons) if h is None else h
        return m * h * (h + 1) / 2

    def grid(self, n: int = 11) -> list[dict]:
        top = max(2 * (self.breakdown or 0.0), 2 * self.breakdown_identified, 1e-3)
        out = []
        for m in np.linspace(0.0, top, n):
            lo, hi = self.identified_set(m)
            clo, chi = self.robust_ci(m)
            out.append({"M": float(m), "set_low": lo, "set_high": hi, "ci95_low": json_float(clo),
                        "ci95_high": json_float(chi)})
        return out

    def to_dict(self) -> dict:
        bd = self.breakdown
        return {"class": "Delta^SD(M): the slope of the deviation from the baseline's "
                         "extrapolated linear trend changes by at most M log points per month, "
                         "each month (Rambachan & Roth 2023), deviation and its slope zero at "
                         "the last baseline month",
                "horizons": list(self.horizons), "bias_per_M": self.bias_per_m,
                "breakdown": json_float(bd), "breakdown_identified": self.breakdown_identified,
                "deviation_at_breakdown": json_float(None if bd is None else self.deviation_at(bd)),
                "deviation_at_breakdown_identified": self.deviation_at(
                    self.breakdown_identified),
                "slope_change_per_year_at_breakdown": json_float(
                    None if bd is None else bd * max(self.horizons) * 12),
                "grid": self.grid()}


def smoothness_bounds(est: Estimate, test: ConformalTest, window: Window) -> SmoothnessBounds:
    """Delta^SD(M) bounds for a trend-adjusted estimate and its conformal interval."""
    if est.design != "trend":
        raise InferenceError(f"smoothness bounds are defined for the trend-adjusted design, "
                             f"not {est.design!r}")
    months = [pd.Period(m, freq="M") for m in est.by_month]
    post = [m for m in months if window.event <= m <= window.post_end]
    horizons = tuple(m.ordinal - window.pre_end.ordinal for m in post)
    return SmoothnessBounds(est.coef, test.ci95_low, test.ci95_high, horizons)
