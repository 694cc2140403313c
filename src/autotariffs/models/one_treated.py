"""Inference for ONE treated unit against a few controls: designs, conformal tests, placebos.

With one treated origin (KOR or JPN) and two controls (MEX, CAN) on identical tariff paths,
cluster-robust SEs and the wild bootstrap are not valid (Conley & Taber 2011; MacKinnon & Webb
2017, 2018). Everything here works on the time dimension of the gap, treated minus the mean of
the controls, month by month (:class:`Gap`).

A **design** (:class:`Design`) says what the gap would have been without the tariff: the
baseline mean by month of year (:class:`Level`), the same month a year before
(:class:`YearOnYear`), or a linear trend plus month of year fitted on the baseline and
extrapolated (:class:`TrendAdjusted`). Each is linear in the gap, so each is a matrix: the
estimate (mean over post months of actual minus counterfactual) is ``w @ g``, every in-time
placebo is a row of a matrix, and the conformal residuals are ``A @ g``. The real data and the
calibrated simulation (:mod:`.calibration`) use the same matrices, so the simulation tests the
code that produces the published numbers.

* :func:`estimate` - the design's estimate (:class:`Estimate`).
* :func:`conformal` - Chernozhukov, Wuthrich & Zhu (2021, JASA): impose a constant post effect
  theta0, fit the design's counterfactual on ALL pre + post months, compare the post residuals
  with every cyclic (moving-block) shift in time; confidence set by test inversion
  (:class:`ConformalTest`). With T residual months the smallest attainable p is 1/T.
* :func:`placebos` - the same estimator at every admissible fake event before the real donut,
  each with the full post length and donut (:class:`PlaceboSet`).

Adding a design is one class here and one entry in :data:`DESIGNS`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from autotariffs import design as study
from autotariffs.design import Window
from autotariffs.labels import DESIGN_LABELS
from autotariffs.models.inference import InferenceError

#: CWZ's S_q with q = 2: its minimiser over theta0 is the mean of the post residuals, the same
#: quantity the designs estimate; with q = 1 (the median) a set could exclude its own estimate
STAT_NAME = "S_2 = (T1^(-1) * sum over post months of residual^2)^(1/2) (CWZ 2021, q = 2)"


def json_float(x: float | None) -> float | None:
    """A float for results.json: NaN and +-inf become None (JSON has neither)."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


# --------------------------------------------------------------------------------------------
# the gap
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    """Treated minus the mean of the controls, on the months where every unit has data.

    Differencing against the control mean removes shocks common to all origins (COVID, the
    2021-22 chip shortage, US demand); months with a missing value in any used column (e.g. the
    2022 quantities, which are Comtrade estimates) are dropped and counted.
    """

    values: np.ndarray
    months: pd.PeriodIndex
    n_dropped: int = 0
    name: str = "gap"

    @classmethod
    def from_wide(cls, wide: pd.DataFrame, treated, controls: Sequence) -> Gap:
        """From a month x unit frame (index: monthly Timestamps or Periods)."""
        if not isinstance(wide, pd.DataFrame):
            raise InferenceError("wide must be a DataFrame (index = months, columns = units)")
        controls = list(controls)
        if not controls:
            raise InferenceError("controls is empty: give at least one comparison unit")
        if treated in controls:
            raise InferenceError(f"treated unit {treated!r} is also listed among the controls")
        missing = [c for c in [treated, *controls] if c not in wide.columns]
        if missing:
            raise InferenceError(f"units {missing} are not columns of wide ({list(wide.columns)})")
        idx = wide.index
        try:
            per = idx if isinstance(idx, pd.PeriodIndex) else pd.DatetimeIndex(idx).to_period("M")
        except (ValueError, TypeError) as exc:
            raise InferenceError("wide.index must hold monthly Timestamps") from exc
        if per.has_duplicates:
            dup = per[per.duplicated()].astype(str).tolist()[:5]
            raise InferenceError(f"duplicate months in wide.index: {dup}")
        sub = wide[[treated, *controls]].astype(float).set_axis(per).sort_index()
        ok = np.isfinite(sub.to_numpy()).all(axis=1)
        g = (sub[treated] - sub[controls].mean(axis=1))[ok]
        return cls(g.to_numpy(), pd.PeriodIndex(g.index, freq="M"), int((~ok).sum()),
                   f"{treated} - mean({', '.join(map(str, controls))})")

    def restrict(self, mask: np.ndarray) -> Gap:
        return Gap(self.values[mask], self.months[mask], self.n_dropped, self.name)

    def series(self) -> pd.Series:
        """The gap as a Series on month-start Timestamps."""
        return pd.Series(self.values, index=self.months.to_timestamp(), name=self.name)


def _ym(months: pd.PeriodIndex) -> list[str]:
    return [p.strftime("%Y-%m") for p in months]


def _moy(months: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(months.month)


def _basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``x`` (rank-revealing QR via SVD)."""
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, s > s[0] * 1e-10] if len(s) else u


# --------------------------------------------------------------------------------------------
# designs
# --------------------------------------------------------------------------------------------
class Design(ABC):
    """What the gap would have been without the event, as linear maps of the gap.

    ``counterfactual(months, pre, rows)`` is the matrix C (rows x T) giving each month in
    ``rows`` its counterfactual from the baseline months ``pre`` only (NaN rows where the design
    has none); the estimate is the post mean of ``g - C g``. ``residual_map(months, pre, post)``
    gives the conformal residuals ``A g`` of the counterfactual model fitted on all months under
    the null, and which residual rows are post months.
    """

    key: ClassVar[str]
    label: ClassVar[str]
    #: the counterfactual in words (captions, results' ``method``)
    model_text: ClassVar[str]
    #: fewest baseline months a (real or fake) event needs (a field of each design)
    min_pre: int

    @abstractmethod
    def counterfactual(self, months: pd.PeriodIndex, pre: np.ndarray,
                       rows: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def residual_map(self, months: pd.PeriodIndex, pre: np.ndarray,
                     post: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def weights(self, months: pd.PeriodIndex, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
        """w with estimate = w @ g: the post mean of actual minus counterfactual."""
        n_post, n_pre = int(post.sum()), int(pre.sum())
        if n_post == 0:
            raise InferenceError("no post-event months with complete data: move the event or "
                                 "extend the sample")
        if n_pre < max(1, self.min_pre):
            raise InferenceError(f"the {self.label} design needs {self.min_pre} baseline months, "
                                 f"got {n_pre}: move baseline_start earlier or reduce the donut")
        c = self.counterfactual(months, pre, post)
        bad = ~np.isfinite(c).all(axis=1)
        if bad.any():
            first = months[post][int(np.argmax(bad))]
            raise InferenceError(f"the {self.label} design has no counterfactual for {first} "
                                 f"({self.model_text} is not a baseline month with data)")
        w = post.astype(float) / n_post
        return w - c.sum(axis=0) / n_post


def _seasonal_columns(months: pd.PeriodIndex, pre: np.ndarray, need: np.ndarray,
                      label: str) -> np.ndarray:
    """Month-of-year dummies (T x k) for the months of year in the baseline; checks ``need``."""
    moy = _moy(months)
    have = np.unique(moy[pre])
    lacking = sorted(set(np.unique(moy[need]).tolist()) - set(have.tolist()))
    if lacking:
        raise InferenceError(
            f"{label}: months of year {lacking} have no baseline month; start baseline_start "
            "earlier")
    return (moy[:, None] == have[None, :]).astype(float)


@dataclass(frozen=True)
class Level(Design):
    """Baseline mean of the gap, by month of year (``seasonal``) or overall.

    On a balanced panel, without seasonality, this is the two-way fixed-effects DiD coefficient;
    with it, the mean of per-post-month coefficients of TWFE with treated x month-of-year dummies.
    """

    seasonal: bool = True
    min_pre: int = study.MIN_PRE
    key: ClassVar[str] = "level"
    label: ClassVar[str] = DESIGN_LABELS["level"]
    model_text: ClassVar[str] = "baseline mean of the gap by month of year"

    def counterfactual(self, months, pre, rows):
        if not self.seasonal:
            c = np.zeros((int(rows.sum()), len(months)))
            c[:, pre] = 1.0 / pre.sum()
            return c
        d = _seasonal_columns(months, pre, rows, "level design")
        dp = d * pre[:, None]
        return (d[rows] / dp.sum(axis=0)) @ dp.T

    def residual_map(self, months, pre, post):
        used = pre | post
        d = (_seasonal_columns(months, pre, post, "level design") if self.seasonal
             else np.ones((len(months), 1)))
        q = _basis(d[used])
        return np.eye(int(used.sum())) - q @ q.T, post[used]


@dataclass(frozen=True)
class YearOnYear(Design):
    """The same month a year before: post month t against t - 12 (which must be a baseline month).

    Robust to a level shift and to seasonality, not to a trend (a linear drift b per year biases
    it by b). Its conformal model is g_t = g_{t-12} + u_t, which has no parameter.
    """

    min_pre: int = study.MIN_PRE
    key: ClassVar[str] = "yoy"
    label: ClassVar[str] = DESIGN_LABELS["yoy"]
    model_text: ClassVar[str] = "the same month one year before"

    def counterfactual(self, months, pre, rows):
        pos = {p.ordinal: i for i, p in enumerate(months)}
        c = np.full((int(rows.sum()), len(months)), np.nan)
        for r, i in enumerate(np.flatnonzero(rows)):
            j = pos.get(months[i].ordinal - 12)
            if j is not None and pre[j]:
                c[r] = 0.0
                c[r, j] = 1.0
        return c

    def residual_map(self, months, pre, post):
        used = np.flatnonzero(pre | post)
        pos = {months[i].ordinal: k for k, i in enumerate(used)}
        rows, rpost = [], []
        for k, i in enumerate(used):
            j = pos.get(months[i].ordinal - 12)
            if j is not None:
                r = np.zeros(len(used))
                r[k], r[j] = 1.0, -1.0
                rows.append(r)
                rpost.append(bool(post[i]))
        if not any(rpost):
            raise InferenceError("year on year: no post month has its month a year before")
        return np.array(rows), np.array(rpost)


@dataclass(frozen=True)
class TrendAdjusted(Design):
    """A linear trend (plus month of year) fitted on the baseline gap and extrapolated.

    Unbiased under a linear drift of the gap; the price is extrapolation variance, which grows
    with the distance from the baseline. Conformal model: the same trend + month of year fitted
    on all months under the null (CWZ 2021 allow any counterfactual model fitted under H0).
    """

    seasonal: bool = True
    min_pre: int = study.MIN_PRE_TREND
    key: ClassVar[str] = "trend"
    label: ClassVar[str] = DESIGN_LABELS["trend"]
    model_text: ClassVar[str] = "linear trend plus month of year, fitted on the baseline"

    def _x(self, months, pre, need):
        t = (np.asarray([p.ordinal for p in months]) - months[0].ordinal) / 12.0
        d = (_seasonal_columns(months, pre, need, "trend-adjusted design") if self.seasonal
             else np.ones((len(months), 1)))
        return np.column_stack([d, t])

    def counterfactual(self, months, pre, rows):
        x = self._x(months, pre, rows)
        xp = x[pre]
        if np.linalg.matrix_rank(xp) < x.shape[1]:
            raise InferenceError("trend-adjusted design: the baseline cannot separate the trend "
                                 "from month of year; start baseline_start earlier")
        coef_map = np.linalg.pinv(xp)  # k x n_pre: beta = coef_map @ g[pre]
        c = np.zeros((int(rows.sum()), len(months)))
        c[:, pre] = x[rows] @ coef_map
        return c

    def residual_map(self, months, pre, post):
        used = pre | post
        q = _basis(self._x(months, pre, post)[used])
        return np.eye(int(used.sum())) - q @ q.T, post[used]


#: the designs compared for every origin, in the order the report shows them
DESIGNS: tuple[Design, ...] = (Level(), YearOnYear(), TrendAdjusted())
DESIGN_BY_KEY: dict[str, Design] = {d.key: d for d in DESIGNS}


# --------------------------------------------------------------------------------------------
# the estimate
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """One design's estimate: the post mean of actual minus counterfactual gap, in log points."""

    design: str
    coef: float
    n_pre: int
    n_post: int
    pre_months: tuple[str, str]
    post_months: tuple[str, str]
    n_dropped_missing: int
    #: 'YYYY-MM' -> actual minus counterfactual gap (baseline months: fitted residual)
    by_month: dict[str, float] = field(repr=False)

    def to_dict(self) -> dict:
        return {"coef": self.coef, "pct": 100 * math.expm1(self.coef), "n_pre": self.n_pre,
                "n_post": self.n_post, "pre_months": list(self.pre_months),
                "post_months": list(self.post_months),
                "n_dropped_missing": self.n_dropped_missing}


def estimate(gap: Gap, design: Design, window: Window) -> Estimate:
    """The design's estimate of the post-period effect on the gap."""
    pre, post = window.masks(gap.months)
    w = design.weights(gap.months, pre, post)
    used = pre | post
    # actual minus counterfactual on every baseline and post month (NaN where a design has none)
    adj = gap.values[used] - design.counterfactual(gap.months, pre, used) @ gap.values
    return Estimate(
        design.key, float(w @ gap.values), int(pre.sum()), int(post.sum()),
        (str(gap.months[pre][0]), str(gap.months[pre][-1])),
        (str(gap.months[post][0]), str(gap.months[post][-1])), gap.n_dropped,
        {m: float(v) for m, v in zip(_ym(gap.months[used]), adj, strict=True) if np.isfinite(v)})


# --------------------------------------------------------------------------------------------
# conformal inference (Chernozhukov, Wuthrich & Zhu 2021)
# --------------------------------------------------------------------------------------------
def block_p(u: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moving-block permutation p-values for residual rows ``u`` (R, T); ``post`` bool (T,).

    The T cyclic shifts pi_j(t) = (t + j) mod T, j = 0..T-1, are all evaluated (j = 0 is the
    identity); p = share of shifts with S(u_pi_j) >= S(u), S = :data:`STAT_NAME`. Returns
    (p (R,), S_obs (R,)).
    """
    t_len = u.shape[1]
    post_idx = np.flatnonzero(post)
    idx = (post_idx[None, :] + np.arange(t_len)[:, None]) % t_len  # T x T1
    s = np.sqrt(np.square(u)[:, idx].sum(axis=2) / len(post_idx))  # R x T
    obs = s[:, 0]
    tol = 1e-10 * np.maximum(1.0, np.abs(obs))
    return (s >= (obs - tol)[:, None]).mean(axis=1), obs


@dataclass(frozen=True)
class ConformalProblem:
    """The residual map of one design on one set of months: p-values for many series at once."""

    a: np.ndarray  # residual rows x used months
    rpost: np.ndarray  # which residual rows are post months
    post: np.ndarray  # which used months are post months

    @property
    def n_perm(self) -> int:
        return self.a.shape[0]

    def p(self, g_used: np.ndarray, theta0: float = 0.0) -> np.ndarray:
        """p(theta0) for series ``g_used`` (R, used months) or (used months,)."""
        g = np.atleast_2d(g_used) - theta0 * self.post[None, :]
        return block_p(g @ self.a.T, self.rpost)[0]


def conformal_problem(gap: Gap, design: Design, window: Window) -> ConformalProblem:
    pre, post = window.masks(gap.months)
    used = pre | post
    a, rpost = design.residual_map(gap.months, pre, post)
    return ConformalProblem(a, rpost, post[used].astype(float))


def _invert(pfun: Callable[[float], float], center: float, scale: float, alpha: float,
            grid_size: int, half_width: float = 8.0,
            rel_tol: float = 1e-8) -> tuple[float, float, bool, float]:
    """Confidence set {theta0 : p(theta0) > alpha} by grid + bisection; deterministic.

    Grid of ``grid_size`` points over center +- half_width * scale; the outermost accepted grid
    points are refined by bisection against their rejected neighbours. If the grid edge is
    accepted the range doubles (up to 2^10 times) before declaring the set unbounded (+-inf).
    Returns (low, high, connected, peak): ``connected`` is False when a rejected grid point lies
    between accepted ones (the bounds are then the hull); ``peak`` is the centre of the grid
    points where p is largest (where the data fit the null best).
    """
    grid = center + scale * np.linspace(-half_width, half_width, grid_size)
    pv = np.array([pfun(float(t)) for t in grid])
    top = grid[pv >= pv.max() - 1e-12]
    peak = float(0.5 * (top.min() + top.max()))
    ok = pv > alpha
    if not ok.any():
        return float("nan"), float("nan"), False, peak
    first, last = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
    connected = bool(ok[first: last + 1].all())
    bounds = []
    for side, i in ((-1, first), (1, last)):
        inner = float(grid[i])
        nb = i + side
        if 0 <= nb < len(grid):
            outer = float(grid[nb])
        else:
            step, outer = half_width * scale, None
            for _ in range(10):
                step *= 2
                cand = inner + side * step
                if not pfun(cand) > alpha:
                    outer = cand
                    break
                inner = cand
            if outer is None:
                bounds.append(side * float("inf"))
                continue
        for _ in range(80):
            if abs(outer - inner) <= rel_tol * scale:
                break
            mid = 0.5 * (inner + outer)
            if pfun(mid) > alpha:
                inner = mid
            else:
                outer = mid
        bounds.append(0.5 * (inner + outer))
    return bounds[0], bounds[1], connected, peak


@dataclass(frozen=True)
class ConformalTest:
    """CWZ (2021) test of a constant post effect theta0 and its test-inversion interval."""

    design: str
    p: float
    theta0: float
    n_perm: int
    stat_obs: float
    alpha: float
    ci95_low: float
    ci95_high: float
    ci_connected: bool | None
    #: where the p-value function peaks; far from the estimate = the model fits the post poorly
    p_peak: float | None

    @property
    def min_p(self) -> float:
        return 1.0 / self.n_perm

    @property
    def coarse(self) -> bool:
        """True when no p-value can fall to alpha (1/T > alpha)."""
        return self.min_p > self.alpha

    def to_dict(self) -> dict:
        return {"p": self.p, "theta0": self.theta0, "n_perm": self.n_perm, "min_p": self.min_p,
                "stat_obs": self.stat_obs, "alpha": self.alpha, "ci95_low": json_float(self.ci95_low),
                "ci95_high": json_float(self.ci95_high), "ci_connected": self.ci_connected,
                "p_peak": json_float(self.p_peak)}


def conformal(gap: Gap, design: Design, window: Window, theta0: float = 0.0,
              alpha: float = study.ALPHA, ci: bool = True, min_pre: int = study.MIN_PRE,
              allow_coarse: bool = False, grid_size: int = 161) -> ConformalTest:
    """Conformal test of H0: the post effect is ``theta0`` in every post month (CWZ 2021).

    1. Under H0 the untreated gap in post months is ``g - theta0``.
    2. Fit the design's counterfactual model on ALL pre + post months of this series
       (:meth:`Design.residual_map`): residuals u = A (g - theta0 post).
    3. S = (T1^-1 sum_post u_t^2)^(1/2), recomputed for every cyclic shift of u in time; p = share
       of shifts with S >= S_obs. Hence n_perm = T (residual months) and min p = 1/T.

    Exact when the residuals are exchangeable under H0, approximately valid under weak
    dependence (CWZ Theorems 1-2). ``ci=True`` inverts the test over theta0 (grid + bisection;
    ``ci95_*`` are the bounds of {p > alpha}, +-inf if unbounded). A series with too few months
    to reach ``alpha`` (1/T > alpha) raises unless ``allow_coarse``: its p is exact but coarse
    and its confidence set is the whole line (reported as -inf/inf).
    """
    if not 0 < alpha < 1:
        raise InferenceError(f"alpha={alpha!r}: expected a level in (0, 1)")
    pre, post = window.masks(gap.months)
    n_pre = int(pre.sum())
    if n_pre < min_pre:
        raise InferenceError(
            f"only {n_pre} baseline months (need >= {min_pre}) to fit the counterfactual: "
            "move baseline_start earlier, reduce the donut or use a later event")
    used = pre | post
    g = gap.values[used]
    coef = float(design.weights(gap.months, pre, post) @ gap.values)
    prob = conformal_problem(gap, design, window)
    coarse = 1.0 / prob.n_perm > alpha
    if coarse and not allow_coarse:
        raise InferenceError(
            f"{prob.n_perm} residual months allow only {prob.n_perm} moving-block permutations: "
            f"the smallest attainable p (1/{prob.n_perm}) exceeds alpha = {alpha}; use more "
            "baseline months")
    a_g, a_c = prob.a @ g, prob.a @ prob.post

    def pfun(th: float) -> float:
        return float(block_p((a_g - th * a_c)[None, :], prob.rpost)[0][0])

    p_arr, s_arr = block_p((a_g - theta0 * a_c)[None, :], prob.rpost)
    lo = hi = float("nan")
    connected = peak = None
    if ci and coarse:  # every theta0 has p >= 1/T > alpha: the confidence set is the whole line
        lo, hi, connected = float("-inf"), float("inf"), True
    elif ci:
        scale = float(np.std(a_g - coef * a_c)) or 1.0
        lo, hi, connected, peak = _invert(pfun, coef, scale, alpha, grid_size)
    return ConformalTest(design.key, float(p_arr[0]), float(theta0), prob.n_perm,
                         float(s_arr[0]), float(alpha), lo, hi, connected, peak)


# --------------------------------------------------------------------------------------------
# in-time placebos
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaceboWeights:
    """Fake events admissible for one design on the baseline months, as a weight matrix.

    Row k of ``w`` gives the k-th placebo estimate as ``w[k] @ g`` over the BASELINE months of
    the real window (no real post or donut month enters any placebo).
    """

    events: tuple[str, ...]
    w: np.ndarray
    post_len: int
    skipped: dict[str, int]


def placebo_weights(months: pd.PeriodIndex, design: Design, window: Window,
                    min_pre: int = study.MIN_PRE, post_len: int | None = None) -> PlaceboWeights:
    """Every fake event e whose window copies the real one: ``post_len`` post months all with
    data, the same donut, the post window ending before the real donut, and at least
    ``max(min_pre, design.min_pre)`` baseline months with data before the fake donut."""
    pre, _ = window.masks(months)
    m = months[pre]
    n = window.post_len if post_len is None else int(post_len)
    if n < 1:
        raise InferenceError(f"post_len={n!r}: placebos need a positive post length")
    need = max(int(min_pre), design.min_pre)
    have = set(p.ordinal for p in m)
    rows, events = [], []
    skipped = {"post_incomplete": 0, "too_few_pre": 0, "not_identified": 0}
    for e in pd.period_range(window.pre_start, window.pre_end, freq="M"):
        if e + (n - 1) > window.pre_end:
            break
        fake = window.shifted(e, n)
        fpre, fpost = fake.masks(m)
        if not all((e + k).ordinal in have for k in range(n)):
            skipped["post_incomplete"] += 1
            continue
        if fpre.sum() < need:
            skipped["too_few_pre"] += 1
            continue
        try:
            rows.append(design.weights(m, fpre, fpost))
        except InferenceError:
            skipped["not_identified"] += 1
            continue
        events.append(str(e))
    w = np.array(rows) if rows else np.zeros((0, len(m)))
    return PlaceboWeights(tuple(events), w, n, skipped)


@dataclass(frozen=True)
class PlaceboSet:
    """In-time placebos of one design and the rank of the actual estimate among them.

    p = (1 + #{|placebo| >= |actual|}) / (1 + n): valid when the actual estimate is exchangeable
    with the placebos under no effect, which needs placebos centred on zero. ``centred`` is False
    when the placebo mean is more than two standard errors from zero (the SE counts
    non-overlapping windows, n / post_len); the p-value is then not valid for this design.
    """

    design: str
    actual: float
    estimates: dict[str, float] = field(repr=False)
    post_len: int
    skipped: dict[str, int]

    @property
    def n(self) -> int:
        return len(self.estimates)

    @property
    def values(self) -> np.ndarray:
        return np.fromiter(self.estimates.values(), float, self.n)

    @property
    def mean(self) -> float:
        return float(self.values.mean()) if self.n else float("nan")

    @property
    def sd(self) -> float:
        return float(self.values.std(ddof=1)) if self.n > 1 else float("nan")

    @property
    def p(self) -> float:
        if not self.n:
            return float("nan")
        tol = 1e-12 * max(1.0, abs(self.actual))
        return (1 + int((np.abs(self.values) >= abs(self.actual) - tol).sum())) / (1 + self.n)

    @property
    def min_p(self) -> float:
        return 1.0 / (1 + self.n)

    @property
    def centred(self) -> bool | None:
        if self.n < 2:
            return None
        se = self.sd / math.sqrt(max(1.0, self.n / self.post_len))
        return bool(abs(self.mean) <= 2 * se)

    def to_dict(self) -> dict:
        return {"n": self.n, "mean": json_float(self.mean), "sd": json_float(self.sd), "p": json_float(self.p),
                "min_p": json_float(self.min_p), "centred": self.centred, "post_len": self.post_len,
                "actual": self.actual, "skipped": dict(self.skipped),
                "estimates": dict(self.estimates)}


def placebos(gap: Gap, design: Design, window: Window, min_pre: int = study.MIN_PRE,
             post_len: int | None = None) -> PlaceboSet:
    """The design's estimator at every admissible fake event (:func:`placebo_weights`)."""
    pre, post = window.masks(gap.months)
    actual = float(design.weights(gap.months, pre, post) @ gap.values)
    pw = placebo_weights(gap.months, design, window, min_pre, post_len)
    vals = pw.w @ gap.values[pre] if len(pw.events) else np.zeros(0)
    return PlaceboSet(design.key, actual, dict(zip(pw.events, map(float, vals), strict=True)),
                      pw.post_len, pw.skipped)
