"""Inference for ONE treated unit against a few controls: conformal inference and in-time placebos.

Why this module exists: the per-origin headline compares one treated origin (KOR or JPN) with two
controls (MEX, CAN) whose tariff paths are identical. With month fixed effects the treated
cluster's CRV1 score is identically zero, so a cluster-robust SE (or a wild cluster bootstrap)
measures only control-minus-control noise and is not valid inference (Conley & Taber 2011;
MacKinnon & Webb 2017, 2018). The procedures here use the *time* dimension instead of the
cross-section:

* :func:`conformal` - Chernozhukov, Wuthrich & Zhu (2021, JASA), "An exact and robust conformal
  inference method for counterfactual and synthetic controls": impose H0 (a constant post-period
  effect theta0), fit the counterfactual model on ALL periods under H0, and compare the post-period
  residuals with the residuals of every cyclic (moving-block) shift in time. With T = pre + post
  months there are exactly T moving-block permutations, so the smallest attainable p-value is 1/T.
  Confidence sets come from test inversion over theta0.
* :func:`in_time_placebos` - the same difference-in-differences estimator with a fake event at every
  admissible month of the pre-period; the rank of the actual estimate among the placebos is a
  p-value (smallest attainable p = 1/(n_placebos + 1)).

Input everywhere: a WIDE frame (index = sorted month-start Timestamps, columns = units, values =
the outcome, e.g. ln q). Rows with NaN in the used columns are dropped first and counted.

All data in tests and benchmarks are SIMULATED; nothing here reads the trade snapshot.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from autotariffs.models.inference import InferenceError

#: fewest pre-event months the conformal test accepts (the counterfactual model is fit on them).
MIN_PRE_CONFORMAL = 12
STAT_NAME = "S_1 = T1^(-1/2) * sum over post months of |residual| (CWZ 2021, q = 1)"


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------
def _period(x) -> pd.Period:
    try:
        return pd.Period(pd.Timestamp(x), freq="M")
    except (ValueError, TypeError) as exc:
        raise InferenceError(f"month {x!r}: expected 'YYYY-MM' or a Timestamp") from exc


def _prepare(wide: pd.DataFrame, treated, controls: Sequence) -> tuple[pd.DataFrame, int]:
    """Used columns only, sorted, NaN rows dropped; returns (frame with PeriodIndex, n dropped)."""
    if not isinstance(wide, pd.DataFrame):
        raise InferenceError("wide must be a DataFrame (index = months, columns = units)")
    controls = list(controls)
    if not controls:
        raise InferenceError("controls is empty: give at least one comparison unit")
    if treated in controls:
        raise InferenceError(f"treated unit {treated!r} is also listed among the controls")
    cols = [treated, *controls]
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise InferenceError(f"units {missing} are not columns of wide ({list(wide.columns)})")
    try:
        per = pd.DatetimeIndex(wide.index).to_period("M")
    except (ValueError, TypeError) as exc:
        raise InferenceError("wide.index must hold monthly Timestamps") from exc
    sub = wide[cols].astype(float).copy()
    sub.index = per
    if per.has_duplicates:
        dup = per[per.duplicated()].astype(str).tolist()[:5]
        raise InferenceError(f"duplicate months in wide.index: {dup}")
    sub = sub.sort_index()
    ok = np.isfinite(sub.to_numpy()).all(axis=1)
    return sub[ok], int((~ok).sum())


def _gap(sub: pd.DataFrame, treated, controls: Sequence) -> pd.Series:
    return sub[treated] - sub[list(controls)].mean(axis=1)


def gap(wide: pd.DataFrame, treated, controls: Sequence) -> pd.Series:
    """Treated minus the mean of the controls, by month (rows with NaN in any used column dropped).

    The index is returned as month-start Timestamps. Differencing against the control mean removes
    shocks common to all origins (COVID, the 2021-22 chip shortage, US demand), which is what the
    time-series procedures below need: a gap series that is stationary around a constant (or a
    month-of-year pattern) under the null.
    """
    sub, _ = _prepare(wide, treated, controls)
    g = _gap(sub, treated, controls)
    g.index = g.index.to_timestamp()
    g.name = f"{treated} - mean({', '.join(map(str, controls))})"
    return g


def _windows(per: pd.PeriodIndex, event, post_len, donut, pre_start):
    """Boolean masks (pre, post) over ``per`` and the event Period."""
    if int(donut) != donut or donut < 0:
        raise InferenceError(f"donut={donut!r}: expected a non-negative integer of months")
    if post_len is not None and (int(post_len) != post_len or post_len < 1):
        raise InferenceError(f"post_len={post_len!r}: expected a positive integer or None")
    if len(per) == 0:
        raise InferenceError("no complete months left after dropping rows with NaN")
    ev = _period(event)
    ps = _period(pre_start) if pre_start is not None else per.min()
    post_end = ev + (int(post_len) - 1) if post_len is not None else per.max()
    post = np.asarray((per >= ev) & (per <= post_end))
    pre = np.asarray((per >= ps) & (per <= ev - int(donut) - 1))
    return pre, post, ev


def _did_core(g: np.ndarray, moy: np.ndarray, pre: np.ndarray, post: np.ndarray, seasonal: bool):
    """(coef, adjusted gap on all rows) for one gap series; masks are boolean over rows."""
    n_pre, n_post = int(pre.sum()), int(post.sum())
    if n_post == 0:
        raise InferenceError(
            "no post-event months with complete data: the event is after the last month, or "
            "post_len/NaN rows leave nothing; move the event or extend the sample"
        )
    if n_pre == 0:
        raise InferenceError("no pre-event months: move pre_start earlier or reduce the donut")
    if seasonal:
        adj = np.full(g.shape, np.nan)
        need = np.unique(moy[post])
        have = set(np.unique(moy[pre]).tolist())
        lacking = [int(m) for m in need if int(m) not in have]
        if lacking:
            raise InferenceError(
                f"seasonal=True needs every post month-of-year in the pre-period; months-of-year "
                f"{lacking} have no pre-period month: start pre_start earlier or use seasonal=False"
            )
        for m in np.unique(moy[pre | post]):
            rows = moy == m
            if (rows & pre).any():
                adj[rows] = g[rows] - g[rows & pre].mean()
    else:
        adj = g - g[pre].mean()
    coef = float(adj[post].mean() - adj[pre].mean())
    return coef, adj


def _ym(per) -> list[str]:
    return [p.strftime("%Y-%m") for p in per]


def did(
    wide: pd.DataFrame,
    treated,
    controls: Sequence,
    event,
    post_len: int | None = None,
    donut: int = 0,
    pre_start=None,
    seasonal: bool = False,
) -> dict:
    """Difference-in-differences of the gap: mean(gap over post) - mean(gap over pre).

    On a balanced panel this is exactly the OLS coefficient on treated x post in a two-way
    fixed-effects regression (unit + month FE) on the pre and post months, donut months dropped.

    post = months ``event .. event + post_len - 1`` (to the last month if ``post_len`` is None);
    pre = months from ``pre_start`` (default: the first) to ``event - donut - 1``. The ``donut``
    months just before the event (e.g. 1 for an announcement in the month before the tariff) are in
    neither window.

    ``seasonal=True`` first subtracts from every month the pre-period mean of the gap in that month
    of the year, so a treated-specific seasonal pattern (model-year changeovers differ across
    origins) is not read as an effect; the coefficient is then the mean over post months of
    ``gap_t - mean_pre(gap | month-of-year of t)``. It equals the mean of the per-post-month
    coefficients of a TWFE regression that adds treated x month-of-year dummies and one
    treated x post-month dummy per post month (with equal pre counts per month-of-year it also
    equals the single treated x post coefficient of that regression). Needs every post
    month-of-year in the pre-period.

    Returns ``{"coef", "pre_months", "post_months", "n_pre", "n_post", "n_dropped_missing",
    "by_month"}``; ``by_month`` maps 'YYYY-MM' (pre and post months) to the adjusted gap (the gap
    minus its pre-period mean, or its pre-period month-of-year mean), whose post mean is ``coef``.
    """
    sub, n_drop = _prepare(wide, treated, controls)
    pre, post, _ = _windows(sub.index, event, post_len, donut, pre_start)
    g = _gap(sub, treated, controls).to_numpy()
    moy = np.asarray(sub.index.month)
    coef, adj = _did_core(g, moy, pre, post, seasonal)
    used = pre | post
    return {
        "coef": coef,
        "pre_months": _ym(sub.index[pre]),
        "post_months": _ym(sub.index[post]),
        "n_pre": int(pre.sum()),
        "n_post": int(post.sum()),
        "n_dropped_missing": n_drop,
        "by_month": dict(zip(_ym(sub.index[used]), adj[used].tolist(), strict=True)),
        "seasonal": bool(seasonal),
        "donut": int(donut),
    }


# --------------------------------------------------------------------------------------------
# conformal inference (Chernozhukov, Wuthrich & Zhu 2021)
# --------------------------------------------------------------------------------------------
def _did_resid(g0: np.ndarray, moy: np.ndarray | None) -> np.ndarray:
    """Residuals of the DiD counterfactual fit on all periods: (R, T) -> (R, T).

    model: gap_t = mu + u_t (or mu_{month-of-year(t)} + u_t when ``moy`` is given), i.e. the
    treated unit's counterfactual is the control mean plus a constant (unit + time effects).
    """
    if moy is None:
        return g0 - g0.mean(axis=1, keepdims=True)
    u = np.empty_like(g0)
    for m in np.unique(moy):
        cols = moy == m
        u[:, cols] = g0[:, cols] - g0[:, cols].mean(axis=1, keepdims=True)
    return u


def _block_p(u: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moving-block permutation p-values for residual rows ``u`` (R, T); ``post`` bool (T,).

    The T cyclic shifts pi_j(t) = (t + j) mod T, j = 0..T-1, are all evaluated (j = 0 is the
    identity), p = share with S(u_pi_j) >= S(u). Returns (p (R,), S_obs (R,)).
    """
    t_len = u.shape[1]
    post_idx = np.flatnonzero(post)
    idx = (post_idx[None, :] + np.arange(t_len)[:, None]) % t_len  # T x T1
    s = np.abs(u)[:, idx].sum(axis=2) / math.sqrt(len(post_idx))  # R x T
    obs = s[:, 0]
    tol = 1e-10 * np.maximum(1.0, np.abs(obs))
    p = (s >= (obs - tol)[:, None]).mean(axis=1)
    return p, obs


def _conformal_did_p(
    gaps: np.ndarray,
    post: np.ndarray,
    theta0: float = 0.0,
    moy: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised conformal DiD test for R gap series at once (simulations and CI inversion).

    ``gaps`` (R, T) over the pre + post months only (donut removed, time order kept), ``post``
    bool (T,), ``moy`` month-of-year (T,) for the seasonal model or None. Returns (p, S_obs).
    """
    gaps = np.atleast_2d(np.asarray(gaps, dtype=float))
    post = np.asarray(post, dtype=bool)
    u = _did_resid(gaps - theta0 * post[None, :], moy)
    return _block_p(u, post)


_SARIMAX_ORDER = (1, 0, 0)


def _sarimax_resid(
    g0: np.ndarray, moy: np.ndarray, seasonal: bool, start_params: np.ndarray | None = None
) -> tuple[np.ndarray, bool, np.ndarray]:
    """Standardised one-step-ahead innovations of gap_t = c (+ month-of-year) + AR(1) error.

    Fit by exact Gaussian ML with :class:`statsmodels.tsa.statespace.sarimax.SARIMAX` (Kalman
    filter, stationary initialisation, scale concentrated out). The first innovation is scaled by
    its own (unconditional) variance, so all T residuals are comparable (Prais-Winsten-like).
    Only the two warnings that short monthly series are expected to trigger are silenced:
    non-convergence of the optimiser (reported through the returned flag) and statsmodels' notice
    that it replaced non-stationary starting AR values by zeros. Returns (residuals, converged,
    params); ``start_params`` warm-starts the optimiser (used by the CI inversion).
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    cols = [np.ones(len(g0))]
    if seasonal:
        months = np.unique(moy)
        cols += [(moy == m).astype(float) for m in months[1:]]
    exog = np.column_stack(cols)
    model = SARIMAX(g0, exog=exog, order=_SARIMAX_ORDER, trend="n", concentrate_scale=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings(
            "ignore", message="Non-stationary starting autoregressive", category=UserWarning
        )
        res = model.fit(start_params=start_params, disp=False, maxiter=200)
    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
    return np.asarray(res.standardized_forecasts_error[0], dtype=float), converged, res.params


def _invert(
    pfun: Callable[[float], float],
    center: float,
    scale: float,
    alpha: float,
    grid_size: int,
    half_width: float = 8.0,
    rel_tol: float = 1e-8,
) -> tuple[float, float, bool, int]:
    """Confidence set {theta0 : p(theta0) > alpha} by grid + bisection; deterministic.

    Grid of ``grid_size`` points over center +- half_width * scale; the outermost accepted grid
    points are refined by bisection against their rejected neighbours (to rel_tol * scale). If the
    grid edge is accepted the range doubles (up to 2^10 times) before declaring the set unbounded
    (+-inf). Returns (low, high, connected, n_evaluations); (nan, nan) if nothing is accepted.
    ``connected`` is False when a rejected grid point lies between accepted ones (the reported
    bounds are then the hull of the set).
    """
    n_eval = 0

    def acc(th: float) -> bool:
        nonlocal n_eval
        n_eval += 1
        return pfun(th) > alpha

    grid = center + scale * np.linspace(-half_width, half_width, grid_size)
    ok = np.array([acc(float(t)) for t in grid])
    if not ok.any():
        return float("nan"), float("nan"), False, n_eval
    first, last = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
    connected = bool(ok[first : last + 1].all())
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
                if not acc(cand):
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
            if acc(mid):
                inner = mid
            else:
                outer = mid
        bounds.append(0.5 * (inner + outer))
    return bounds[0], bounds[1], connected, n_eval


def conformal(
    wide: pd.DataFrame,
    treated,
    controls: Sequence,
    event,
    post_len: int | None = None,
    donut: int = 0,
    pre_start=None,
    seasonal: bool = False,
    theta0: float = 0.0,
    model: str = "did",
    alpha: float = 0.05,
    ci: bool = True,
    grid_size: int | None = None,
    min_pre: int = MIN_PRE_CONFORMAL,
    allow_coarse: bool = False,
) -> dict:
    """Conformal test of a constant post-period effect theta = theta0 (CWZ 2021, JASA).

    ``min_pre`` (default 12) and ``allow_coarse`` (default False) guard short series: with
    ``allow_coarse=True`` a series whose T permutations cannot reach ``alpha`` (1/T > alpha) is
    still tested - the p-value is exact, only coarse - and the confidence set is the whole line
    (every theta0 has p >= 1/T > alpha), reported as -inf/inf. Used for Korea's deal cut, whose
    window after the first step has 14 months; the report states the smallest attainable p.

    Steps (Chernozhukov, Wuthrich & Zhu 2021, Algorithm 1 with moving-block permutations):

    1. Under H0 the treated unit's untreated outcome in the post months is ``Y - theta0``; the
       gap series over pre + post months (donut months removed) becomes ``gap - theta0 * post``.
    2. Fit the counterfactual model on ALL T = n_pre + n_post months of this null-imposed series:

       * ``model="did"``: unit + time effects, i.e. gap_t = mu + u_t (the counterfactual of the
         treated unit is the control mean plus a constant; ``seasonal=True``: a constant per
         month-of-year). Residual u_t = gap_t - mean (per month-of-year).
       * ``model="sarimax"``: a time-series model of the treated unit's gap, gap_t = c
         (+ month-of-year dummies if ``seasonal``) + AR(1) error, exact ML via statsmodels
         SARIMAX; residuals are the standardised one-step-ahead innovations. Why this model: the
         gap (not the treated series alone) because differencing against the controls removes the
         COVID / chip-shortage swings common to all origins that a univariate model of ~60 points
         cannot; AR(1) errors because the gap is serially correlated (the DiD residuals are not
         exchangeable in time, the innovations approximately are); month-of-year dummies rather
         than seasonal differencing or a seasonal AR(12) term because the latter cost 12 of ~60
         observations or are barely identified. One fit takes ~10 ms (~60 ms with dummies), so
         test inversion stays feasible.
    3. Statistic ``S = T1^(-1/2) sum_post |u_t|``; it is recomputed for every cyclic shift of the
       residuals in time (moving-block permutations, all T of them); p = share of shifts with
       ``S >= S_obs`` (identity included). Hence ``n_perm = T`` and the smallest attainable
       p-value is ``min_p = 1/T``: with 48 + 4 months no test can reject below 1/52, and at
       alpha = 0.05 the largest attainable size is floor(0.05 T)/T.

    The test is exact when the residuals are exchangeable under H0 and approximately valid under
    weak dependence (CWZ 2021, Theorems 1-2). ``ci=True`` inverts it over theta0 (grid + bisection,
    deterministic; for ``model="sarimax"`` every evaluation is a refit). ``ci95_low/high`` are the
    bounds of {theta0 : p > alpha} (+-inf if unbounded, NaN if empty; ``ci_connected`` False if the
    set has holes and the bounds are its hull). Despite the key name the level is 1 - alpha.

    Returns ``{"p", "n_perm", "min_p", "stat", "stat_obs", "ci95_low", "ci95_high", "model",
    "theta0"}`` plus ``coef`` (the :func:`did` estimate), ``n_pre``, ``n_post``,
    ``n_dropped_missing``, ``alpha``, ``seasonal``, ``ci_connected``, ``converged`` (sarimax).
    """
    if model not in ("did", "sarimax"):
        raise InferenceError(f"model={model!r}: expected 'did' or 'sarimax'")
    if not 0 < alpha < 1:
        raise InferenceError(f"alpha={alpha!r}: expected a level in (0, 1)")
    sub, n_drop = _prepare(wide, treated, controls)
    pre, post, _ = _windows(sub.index, event, post_len, donut, pre_start)
    g_all = _gap(sub, treated, controls).to_numpy()
    moy_all = np.asarray(sub.index.month)
    coef, _ = _did_core(g_all, moy_all, pre, post, seasonal)
    used = pre | post
    g, pm, moy = g_all[used], post[used], moy_all[used]
    n_pre, n_post, t_len = int(pre.sum()), int(post.sum()), int(used.sum())
    if n_pre < min_pre:
        raise InferenceError(
            f"only {n_pre} pre-event months (need >= {min_pre}) to fit the "
            "counterfactual: move pre_start earlier, reduce the donut or use a later event"
        )
    coarse = 1.0 / t_len > alpha
    if coarse and not allow_coarse:
        raise InferenceError(
            f"T = {t_len} pre + post months allow only {t_len} moving-block permutations: the "
            f"smallest attainable p (1/{t_len}) exceeds alpha = {alpha}; use more pre months"
        )
    if model == "sarimax":
        k = 1 + (len(np.unique(moy)) - 1 if seasonal else 0) + 1
        if t_len < k + 12:
            raise InferenceError(
                f"model='sarimax' with {k} parameters needs at least {k + 12} months, got "
                f"{t_len}: use more pre months or seasonal=False"
            )
    moy_arg = moy if seasonal else None
    fits: list[bool] = []
    warm: dict[str, np.ndarray] = {}

    def pval(th: float) -> float:
        if model == "did":
            return float(_conformal_did_p(g[None, :], pm, th, moy_arg)[0][0])
        # every refit starts from the fit at the point estimate: deterministic, order-independent
        if "start" not in warm:
            warm["start"] = _sarimax_resid(g - coef * pm, moy, seasonal)[2]
        u, conv, _ = _sarimax_resid(g - th * pm, moy, seasonal, warm["start"])
        fits.append(conv)
        return float(_block_p(u[None, :], pm)[0][0])

    if model == "did":
        p_arr, s_arr = _conformal_did_p(g[None, :], pm, theta0, moy_arg)
        p, s_obs = float(p_arr[0]), float(s_arr[0])
    else:
        u, conv, _ = _sarimax_resid(g - theta0 * pm, moy, seasonal)
        fits.append(conv)
        p_arr, s_arr = _block_p(u[None, :], pm)
        p, s_obs = float(p_arr[0]), float(s_arr[0])
    out = {
        "p": p,
        "n_perm": t_len,
        "min_p": 1.0 / t_len,
        "stat": STAT_NAME,
        "stat_obs": s_obs,
        "ci95_low": float("nan"),
        "ci95_high": float("nan"),
        "model": model,
        "theta0": float(theta0),
        "coef": coef,
        "alpha": float(alpha),
        "seasonal": bool(seasonal),
        "n_pre": n_pre,
        "n_post": n_post,
        "n_dropped_missing": n_drop,
        "ci_connected": None,
    }
    if ci and coarse:  # every theta0 has p >= 1/T > alpha: the confidence set is the whole line
        out.update({"ci95_low": float("-inf"), "ci95_high": float("inf"), "ci_connected": True})
    elif ci:
        resid0 = _did_resid(g[None, :] - coef * pm[None, :], moy_arg)[0]
        scale = float(np.std(resid0)) or 1.0
        gs = grid_size or (161 if model == "did" else 33)
        tol = 1e-8 if model == "did" else 1e-4  # sarimax: each evaluation is a refit
        lo, hi, connected, _ = _invert(pval, coef, scale, alpha, gs, rel_tol=tol)
        out.update({"ci95_low": lo, "ci95_high": hi, "ci_connected": connected})
    if model == "sarimax":
        out["converged"] = bool(all(fits))
        out["sarimax_spec"] = (
            f"SARIMAX order {_SARIMAX_ORDER} on the gap with constant"
            + (" + month-of-year dummies" if seasonal else "")
            + "; exact ML, standardised one-step innovations"
        )
    return out


# --------------------------------------------------------------------------------------------
# in-time placebos
# --------------------------------------------------------------------------------------------
def _placebo_p_vec(
    gaps: np.ndarray, n_pre: int, post_len: int, donut: int = 0, min_pre: int = 12
) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectorised non-seasonal in-time placebo p-values for R balanced gap series.

    ``gaps`` (R, n_pre + donut + post_len) in time order: the real pre months, the real donut,
    the real post window. Returns (p (R,), actual (R,), n_placebos). Same rule as
    :func:`in_time_placebos` (used by the simulations; tests check both agree).
    """
    gaps = np.atleast_2d(np.asarray(gaps, dtype=float))
    c = np.concatenate([np.zeros((gaps.shape[0], 1)), np.cumsum(gaps, axis=1)], axis=1)
    post0 = n_pre + donut
    actual = (c[:, post0 + post_len] - c[:, post0]) / post_len - c[:, n_pre] / n_pre
    ks = np.arange(min_pre + donut, n_pre - post_len + 1)
    if len(ks) == 0:
        raise InferenceError("no admissible placebo date (see in_time_placebos)")
    plc = (c[:, ks + post_len] - c[:, ks]) / post_len - c[:, ks - donut] / (ks - donut)
    tol = 1e-12 * np.maximum(1.0, np.abs(actual))
    hits = (np.abs(plc) >= (np.abs(actual) - tol)[:, None]).sum(axis=1)
    return (1 + hits) / (1 + len(ks)), actual, len(ks)


def in_time_placebos(
    wide: pd.DataFrame,
    treated,
    controls: Sequence,
    event,
    post_len: int,
    donut: int = 0,
    pre_start=None,
    seasonal: bool = False,
    min_pre: int = 12,
) -> dict:
    """The :func:`did` estimator with a fake event at every admissible month of the pre-period.

    A fake event month e is admissible when its post window e .. e + post_len - 1 lies entirely
    before the real event's donut (so no real post or donut month enters any placebo) and at least
    ``min_pre`` months with data lie between ``pre_start`` and e - donut - 1 (its own pre-period;
    the fake donut is excluded like the real one). Every placebo uses the same post length, donut
    and seasonal adjustment as the actual estimate. On a balanced panel with n_pre real pre months
    there are ``n_pre - donut - post_len - min_pre + 1`` placebos.

    p = (1 + #{placebos with |coef| >= |actual|}) / (1 + n_placebos): a rank test, valid when the
    actual estimate is exchangeable with the placebos under no effect. The smallest attainable p is
    ``min_p = 1/(n_placebos + 1)`` and the exact size at level a is floor(a (n + 1)) / (n + 1):
    with 33 placebos a 5% test has size 1/34 = 2.9%; choose ``min_pre`` so that (n + 1) * a is an
    integer when size matters. Placebo windows overlap and use shorter pre-periods than the actual
    estimate, so exchangeability is approximate (checked by simulation in the tests).

    Returns ``{"actual", "placebos" ('YYYY-MM' -> coef), "p", "n_placebos", "min_p"}`` plus
    ``size_at_05`` (exact attainable size of a 5% test), ``n_pre``, ``post_len``, ``donut``,
    ``min_pre``, ``seasonal``, ``n_dropped_missing``, ``n_skipped_seasonal``.
    """
    if post_len is None or int(post_len) != post_len or post_len < 1:
        raise InferenceError(f"post_len={post_len!r}: placebos need a positive post length")
    if int(min_pre) != min_pre or min_pre < 1:
        raise InferenceError(f"min_pre={min_pre!r}: expected a positive integer")
    sub, n_drop = _prepare(wide, treated, controls)
    per = sub.index
    pre, post, ev = _windows(per, event, post_len, donut, pre_start)
    g = _gap(sub, treated, controls).to_numpy()
    moy = np.asarray(per.month)
    actual, _ = _did_core(g, moy, pre, post, seasonal)
    n_pre = int(pre.sum())
    ps = _period(pre_start) if pre_start is not None else per.min()
    last_pre = ev - int(donut) - 1
    # data available to the placebos: the real pre-period only
    keep = pre
    gp, mp, pp = g[keep], moy[keep], per[keep]
    placebos: dict[str, float] = {}
    skipped = 0
    for e in pd.period_range(ps, last_pre, freq="M"):
        if e + (int(post_len) - 1) > last_pre:
            break
        fpre = np.asarray((pp >= ps) & (pp <= e - int(donut) - 1))
        fpost = np.asarray((pp >= e) & (pp <= e + (int(post_len) - 1)))
        if fpre.sum() < min_pre or fpost.sum() == 0:
            continue
        try:
            coef, _ = _did_core(gp, mp, fpre, fpost, seasonal)
        except InferenceError:
            skipped += 1  # seasonal adjustment impossible for this fake date
            continue
        placebos[e.strftime("%Y-%m")] = coef
    n = len(placebos)
    if n == 0:
        raise InferenceError(
            f"no admissible placebo date: {n_pre} real pre months but a placebo needs "
            f"min_pre ({min_pre}) + donut ({donut}) + post_len ({post_len}) of them; lower "
            "min_pre, move pre_start earlier or shorten post_len"
        )
    vals = np.array(list(placebos.values()))
    tol = 1e-12 * max(1.0, abs(actual))
    hits = int((np.abs(vals) >= abs(actual) - tol).sum())
    return {
        "actual": float(actual),
        "placebos": placebos,
        "p": (1 + hits) / (1 + n),
        "n_placebos": n,
        "min_p": 1.0 / (1 + n),
        "size_at_05": math.floor(0.05 * (n + 1) + 1e-9) / (n + 1),
        "n_pre": n_pre,
        "post_len": int(post_len),
        "donut": int(donut),
        "min_pre": int(min_pre),
        "seasonal": bool(seasonal),
        "n_dropped_missing": n_drop,
        "n_skipped_seasonal": skipped,
    }
