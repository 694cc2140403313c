"""Poisson pseudo-maximum likelihood (PPML) with absorbed high-dimensional fixed effects.

Why: gravity and import-demand equations are estimated in levels by PPML (Santos Silva & Tenreyro
2006) so that zero flows are kept and heteroskedasticity does not bias elasticities; with
exporter-time, importer-time and pair effects a dummy-variable GLM is infeasible. ARCHITECTURE.md
("Estimator notes: ppml.py") has the IRLS algorithm, convergence, sample and covariance rules.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from autotariffs.models.demean import DemeanNotConverged
from autotariffs.models.fe import (
    SSC,
    Absorber,
    FEResult,
    Sample,
    dof_k,
    drop_collinear,
    normalize_args,
    sandwich,
    singleton_mask,
    subset_codes,
)

__all__ = ["PPMLResult", "fepois", "drop_all_zero_fe_groups", "simple_separation",
           "ir_separation"]


class PPMLResult(FEResult):
    """FEResult with PPML extras: ``mu`` (fitted means), ``iterations``, ``converged``, ``deviance``.

    ``resid`` holds response residuals y - mu; ``stats`` has ``deviance``, ``pseudo_r2_corr2`` (squared
    correlation of y and mu, the R^2 Yotov et al. report) and ``iterations``.
    """

    mu: pd.Series
    iterations: int
    converged: bool
    deviance: float


def drop_all_zero_fe_groups(y: np.ndarray, fe_codes: list[np.ndarray]) -> np.ndarray:
    """Boolean keep-mask: drop rows in any FE level whose outcome sums to zero (y >= 0).

    One pass suffices: the rows dropped all have y = 0, so no level's count of positive rows
    changes and no further level becomes all-zero (the earlier loop to a fixed point always
    stopped after its first pass). Counting positive rows instead of summing y gives the same
    decision without boolean-masked copies.
    """
    keep = np.ones(len(y), dtype=bool)
    pos = (y > 0).astype(np.intp)
    for codes in fe_codes:
        npos = np.bincount(codes, weights=pos, minlength=int(codes.max()) + 1)
        keep &= npos.take(codes) > 0
    return keep


def simple_separation(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Boolean keep-mask dropping observations separated by a single regressor.

    A regressor separates when it takes one value ``c`` on all y > 0 rows and, among y = 0 rows,
    differs from ``c`` only in one direction: then b -> +-inf drives those mu to 0 (no finite MLE).
    Those y = 0 rows carry no information on the other parameters and are dropped.
    """
    keep = np.ones(len(y), dtype=bool)
    pos = y > 0
    if not pos.any():
        return keep
    for j in range(x.shape[1]):
        col = x[:, j]
        c = col[pos]
        if c.min() != c.max():
            continue
        diff = col[~pos] - c[0]
        if (diff > 0).any() and (diff < 0).any():
            continue
        sep = np.zeros(len(y), dtype=bool)
        sep[~pos] = diff != 0
        keep &= ~sep
    return keep


def ir_separation(y: np.ndarray, x: np.ndarray, fe_codes: list[np.ndarray], tol: float = 1e-5,
                  maxiter: int = 100) -> np.ndarray:
    """Boolean keep-mask from the iterative-rectifier check (Correia, Guimaraes & Zylkin 2021).

    Why: separation can come from a *combination* of regressors and fixed effects that no single
    column reveals. An observation with y = 0 is separated iff some z = X g + D h is 0 on every
    y > 0 row, >= 0 on every y = 0 row and > 0 on it. The rectifier finds such a z by repeated
    weighted least squares of a ReLU-updated target u (1 on y = 0 rows at the start) on X and the
    fixed effects, with a huge weight forcing the fit to 0 on y > 0 rows. Opt-in
    (``separation=("fe", "simple", "ir")``) as in pyfixest, since it costs several HDFE solves.
    """
    n = len(y)
    keep = np.ones(n, dtype=bool)
    pos = y > 0
    if pos.all() or not pos.any():
        return keep
    w = np.where(pos, float(pos.sum()) / tol ** 2, 1.0)
    u = (~pos).astype(np.float64)
    absorber = Absorber(fe_codes, weighted=True, tol=1e-13) if fe_codes else None
    xc = x if fe_codes else np.column_stack([x, np.ones(n)])
    for _ in range(maxiter):
        raw = np.column_stack([u, xc])
        if absorber is not None:
            tilde = absorber.residualize(raw, w)
        else:
            tilde = raw
        ut, xt = tilde[:, 0], tilde[:, 1:]
        if xt.shape[1]:
            sw = np.sqrt(w)[:, None]
            g = np.linalg.lstsq(xt * sw, ut * sw[:, 0], rcond=None)[0]
            resid = ut - xt @ g
        else:
            resid = ut
        uhat = u - resid  # fitted value X g + D h
        uhat[pos | ((uhat > -0.1 * tol) & (uhat < tol))] = 0.0
        if (uhat >= 0).all():
            keep[(~pos) & (uhat > 0)] = False
            return keep
        u[~pos] = np.maximum(uhat[~pos], 0.0)
    warnings.warn("fepois: iterative-rectifier separation check reached maxiter without "
                  "converging; no observation dropped by it", RuntimeWarning, stacklevel=3)
    return keep


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray,
              pos: np.ndarray | None = None) -> tuple[float, float]:
    """Poisson deviance and the sum of its terms' magnitudes (sets its rounding floor).

    Term i is ``w_i (y_i log(y_i / mu_i) - (y_i - mu_i))``, the log part 0 where y_i = 0. ``pos``
    (positions of y > 0, computed once per fit) restricts the division and the log to those rows
    instead of evaluating them everywhere and masking; each term is the same arithmetic.
    """
    if pos is None:
        pos = np.flatnonzero(y > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        yp = y.take(pos)
        t = np.zeros(len(y))
        t[pos] = yp * np.log(yp / mu.take(pos))
        t -= y - mu
        t *= w
    return float(2 * np.sum(t)), float(2 * np.sum(np.abs(t)))


_SEPARATION_METHODS = ("fe", "simple", "ir")


def _separation_methods(separation: bool | str | tuple[str, ...] | list[str], fn: str
                        ) -> tuple[str, ...]:
    if separation is True:
        return ("fe", "simple")
    if separation is False or separation is None:
        return ()
    meth = (separation,) if isinstance(separation, str) else tuple(separation)
    bad = [m for m in meth if m not in _SEPARATION_METHODS]
    if bad:
        raise ValueError(f"{fn}: separation methods {bad} unknown; expected a subset of "
                         f"{_SEPARATION_METHODS} (or True = ('fe', 'simple'), False = none)")
    return meth


def fepois(data: pd.DataFrame, y: str, x: list[str], fe: list[str],
           cluster: str | list[str] | None = None, vcov: str = "CRV1",
           offset: str | None = None, weights: str | None = None, tol: float = 1e-10,
           maxiter: int = 100, ssc: SSC = SSC(), demean_tol: float = 1e-12,  # noqa: B008
           separation: bool | str | tuple[str, ...] = True,
           drop_singletons: bool = True, demean_maxiter: int = 10_000) -> PPMLResult:
    """PPML of ``y`` (>= 0, levels) on ``x`` with fixed effects ``fe`` absorbed (IRLS + HDFE).

    ``offset``: column added to the linear index with coefficient 1 (e.g. log exposure).
    ``weights``: non-negative observation weights (rows with weight 0 are dropped and counted).
    ``vcov``: "CRV1" (with ``cluster``, one or two columns), "HC1" or "iid". ``ssc``: small-sample
    correction (``ssc(k_adj=False)`` = Stata's G/(G-1) only).

    Sample (module doc): ``drop_singletons`` (default True = pyfixest ``fixef_rm="singleton"``,
    ppmlhdfe) and ``separation`` (True = ("fe", "simple"); add "ir" for the iterative rectifier;
    pyfixest's default is "fe") are applied together until no rule drops anything. Every count
    is in ``n_dropped``.

    Convergence: ``|dev - dev_old| / (0.1 + |dev_old|) < tol`` (fixest/pyfixest criterion; their
    default tol is 1e-8, ours is tighter) and the coefficient step below ``sqrt(tol)``. A change
    within the deviance's floating-point floor also counts as converged and is recorded in
    ``notes``. Raises ``RuntimeError`` (naming what to change) otherwise. Each IRLS step's
    demeaning stops at ``demean_tol`` or raises :class:`~autotariffs.models.demean.
    DemeanNotConverged` after ``demean_maxiter`` conjugate-gradient steps (one line: which fixed
    effects, which IRLS step, the residual, what to raise).
    """
    fn = "fepois"
    x, fe, cl = normalize_args(data, y, x, fe, cluster, vcov, weights, fn)
    methods = _separation_methods(separation, fn)
    if not (0 < tol < 1):
        raise ValueError(f"{fn}: tol={tol!r} must be in (0, 1)")
    extra = ([offset] if offset else []) + ([weights] if weights else [])
    if offset and offset not in data.columns:
        raise KeyError(f"{fn}: offset column {offset!r} not in data")
    sample = Sample(data, [y, *x, *fe, *cl, *extra], fn)
    n_w0 = sample.drop_zero_weights(weights)
    yv = sample.numeric([y])[:, 0]
    neg = np.flatnonzero(yv < 0)
    if neg.size:
        raise ValueError(f"{fn}: outcome {y!r} must be >= 0 for PPML; rows "
                         f"{sample.index[neg[:5]].tolist()} have {yv[neg[:5]].tolist()}")
    if not (yv > 0).any():
        raise ValueError(f"{fn}: outcome {y!r} is zero in every complete row")
    xv = sample.numeric(x)
    n_drop = {"missing": sample.n_missing, "zero_weight": n_w0, "singletons": 0,
              "fe_all_zero": 0, "separated": 0}
    coded = sample.coded([*fe, *cl])
    keep = _ppml_sample(yv, xv, [coded[c] for c in fe], methods, drop_singletons and bool(fe),
                        n_drop)
    if not keep.any():
        raise ValueError(f"{fn}: no observation left after removing singletons and separated "
                         f"observations (n_dropped={n_drop})")
    if not (yv[keep] > 0).any():
        raise ValueError(f"{fn}: outcome {y!r} is zero in every remaining row")
    if not keep.all():  # narrow the sample; codes are renumbered, not recomputed
        sample.keep(keep)
        yv, xv = yv[keep], xv[keep]
        coded = {c: subset_codes(v, keep) for c, v in coded.items()}
    index = sample.index
    n = len(index)
    off = sample.values(offset, np.float64) if offset else np.zeros(n)
    wobs = sample.weights(weights) if weights else np.ones(n)
    fe_codes = [coded[c] for c in fe]
    names = list(x)
    if not fe:
        xv = np.column_stack([xv, np.ones(n)]) if x else np.ones((n, 1))
        names = [*x, "Intercept"]
    absorber = Absorber(fe_codes, weighted=True, tol=demean_tol, maxiter=demean_maxiter,
                        names=fe, arg_names=("demean_maxiter", "demean_tol")) if fe else None

    # collinearity with the FE is a property of the design, check once with unit weights
    xt0 = absorber.residualize(xv, np.ones(n)) if absorber is not None else xv
    xt0, names_kept, dropped = drop_collinear(xt0, names, xv, fn)
    if dropped:
        xv = xv[:, [names.index(nm) for nm in names_kept]]
        names = names_kept

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        beta, mu, dev, it, floor_note, xlast = _irls(yv, xv, off, wobs, absorber, tol, maxiter,
                                                     fn)
        # covariance at the solution: re-absorb X with the final weights mu, warm-started from
        # the last iterate (it differs from X by a fixed-effect component only)
        w = wobs * mu
        xt = absorber.residualize(xlast, w) if absorber is not None else xv
    for msg in dict.fromkeys(str(c.message) for c in caught):
        notes.append(msg)
        warnings.warn(f"{fn}: {msg}", RuntimeWarning, stacklevel=2)
    if floor_note:
        notes.append(floor_note)
    xtw = xt * w[:, None]
    bread = np.linalg.inv(xt.T @ xtw)
    u = yv - mu
    scores = xt * (wobs * u)[:, None]
    cl_codes = [coded[c] for c in cl]
    k = xt.shape[1]
    df_k = dof_k(k, fe_codes, cl_codes, ssc)
    v, df_t, fac = sandwich(bread, scores, vcov, ssc, n, df_k, cl_codes, sigma2_sum=None)
    n_clusters = {c: int(codes.max()) + 1 for c, codes in zip(cl, cl_codes, strict=True)}
    corr = np.corrcoef(yv, mu)[0, 1]
    res = PPMLResult(
        params=pd.Series(beta, index=names, name="coef"),
        vcov=pd.DataFrame(v, index=names, columns=names),
        nobs=n, df_resid=n - df_k, df_t=df_t, n_clusters=n_clusters,
        resid=pd.Series(u, index=index, name="resid"), vcov_type=vcov, ssc=ssc,
        ssc_factor=fac, df_k=df_k, fe=fe, cluster=cl, method="fepois", dist="norm",
        collinear=dropped, n_dropped=n_drop, notes=notes,
        stats={"deviance": dev, "pseudo_r2_corr2": float(corr * corr), "iterations": it},
    )
    res.demean_iterations = list(absorber.iterations) if absorber is not None else []
    res.mu = pd.Series(mu, index=index, name="mu")
    res.iterations = it
    res.converged = True
    res.deviance = dev
    return res


def _ppml_sample(yv: np.ndarray, xv: np.ndarray, codes: list[np.ndarray], methods: tuple[str, ...],
                 singletons: bool, n_drop: dict[str, int]) -> np.ndarray:
    """Keep-mask after singletons and separation, each rule re-applied until none drops a row.

    Why iterate: dropping an all-zero group can leave a singleton, and dropping a singleton can
    leave a group whose outcome is zero throughout (ppmlhdfe iterates the same way). Counts are
    added to ``n_dropped`` by reason.
    """
    keep = np.ones(len(yv), dtype=bool)
    for _ in range(1000):
        before = int(keep.sum())
        if singletons:
            k = singleton_mask([c[keep] for c in codes])
            n_drop["singletons"] += int((~k).sum())
            keep[np.flatnonzero(keep)[~k]] = False
        if "fe" in methods and codes and keep.any():
            k = drop_all_zero_fe_groups(yv[keep], [c[keep] for c in codes])
            n_drop["fe_all_zero"] += int((~k).sum())
            keep[np.flatnonzero(keep)[~k]] = False
        if "simple" in methods and xv.shape[1] and keep.any():
            k = simple_separation(yv[keep], xv[keep])
            n_drop["separated"] += int((~k).sum())
            keep[np.flatnonzero(keep)[~k]] = False
        if int(keep.sum()) == before and "ir" in methods and keep.any():
            kc = [pd.factorize(c[keep])[0].astype(np.int64) for c in codes]
            k = ir_separation(yv[keep], xv[keep], kc)
            n_drop["separated"] += int((~k).sum())
            keep[np.flatnonzero(keep)[~k]] = False
        if int(keep.sum()) == before or not keep.any():
            return keep
    return keep


def _irls(yv: np.ndarray, xv: np.ndarray, off: np.ndarray, wobs: np.ndarray,
          absorber: Absorber | None, tol: float, maxiter: int, fn: str
          ) -> tuple[np.ndarray, np.ndarray, float, int, str, np.ndarray]:
    """IRLS for Poisson with absorbed FE: (beta, mu, deviance, iterations, note, last X~).

    Why these rules:
    * The starting point mu = (y + mean y) / 2 is not a point of the model, and its deviance can
      be *below* the model's minimum. Step-halving against it would pull every later iterate
      back towards it and stop with a small deviance change but a wrong coefficient and SE.
      Halving is therefore only used from iteration 2 on, where
      eta is a model point, and it halves beta together with eta so that the two stay consistent.
    * A full step may raise the deviance only by its floating-point floor (64 eps x sum of the
      terms' magnitudes); more triggers halving. If 30 halvings cannot lower it while the full
      step moves beta by less than sqrt(tol), the inner solve's accuracy is the limit: we stop
      there, converged, with a note. If beta would still move, that is a failure, raised.
    * Convergence: relative deviance change (fixest's form) below ``tol`` or below the floor,
      and coefficient step below sqrt(tol) (relative for |beta| > 1).
    """
    eps = np.finfo(np.float64).eps
    ybar = np.sum(wobs * yv) / wobs.sum()
    mu = (yv + ybar) / 2.0
    eta = np.log(mu)
    beta = np.zeros(xv.shape[1])
    pos = np.flatnonzero(yv > 0)
    dev_old, _ = _deviance(yv, mu, wobs, pos)
    prev_z = prev_tilde = None
    xlast = xv
    crit = dbeta = np.inf
    for it in range(1, maxiter + 1):
        w = wobs * mu
        z = eta - off + (yv - mu) / mu
        if prev_tilde is None or absorber is None:
            start = np.column_stack([z, xv])
        else:  # previous residuals + the change of the columns (X does not change: + 0.0)
            start = np.empty_like(prev_tilde)
            start[:, 0] = prev_tilde[:, 0] + (z - prev_z)
            start[:, 1:] = prev_tilde[:, 1:] + 0.0
        try:
            tilde = absorber.residualize(start, w) if absorber is not None else start
        except DemeanNotConverged as e:  # say which IRLS step; still one line
            raise DemeanNotConverged(f"{fn}: IRLS step {it}: {e}") from None
        zt, xt = tilde[:, 0], tilde[:, 1:]
        xtw = xt * w[:, None]
        beta_full = np.linalg.solve(xt.T @ xtw, xtw.T @ zt)
        eta_new = z - (zt - xt @ beta_full) + off
        beta_new = beta_full
        with np.errstate(over="ignore"):
            mu_new = np.exp(eta_new)
        dev, mag = _deviance(yv, mu_new, wobs, pos)
        floor = 64 * eps * mag
        halvings = 0
        if it > 1:
            while (not np.isfinite(dev) or dev > dev_old + floor) and halvings < 30:
                eta_new = 0.5 * (eta_new + eta)
                beta_new = 0.5 * (beta_new + beta)
                with np.errstate(over="ignore"):
                    mu_new = np.exp(eta_new)
                dev, mag = _deviance(yv, mu_new, wobs, pos)
                halvings += 1
        scale = max(1.0, float(np.max(np.abs(beta_full)))) if beta_full.size else 1.0
        step = float(np.max(np.abs(beta_full - beta))) / scale if beta_full.size else 0.0
        if halvings == 30 or not np.isfinite(dev):
            if step < np.sqrt(tol) and np.isfinite(dev_old):
                return beta, mu, dev_old, it, xlast, (
                    f"IRLS stopped at iteration {it}: no step lowers the deviance beyond its "
                    f"floating-point floor ({floor:.3g}); the full step would move the "
                    f"coefficients by {step:.3g} (relative) < sqrt(tol), so the estimates are "
                    "converged to the accuracy of the fixed-effect solve")
            raise RuntimeError(
                f"{fn}: IRLS cannot lower the deviance at iteration {it} although the "
                f"coefficients would still move by {step:.3g}; the fixed-effect solve is too "
                "inaccurate for this design: lower demean_tol, or check for separation "
                "(separation=('fe', 'simple', 'ir')) and extreme regressor scales")
        crit = abs(dev - dev_old) / (0.1 + abs(dev_old))
        at_floor = abs(dev - dev_old) <= floor
        dbeta = float(np.max(np.abs(beta_new - beta))) / scale if beta.size else 0.0
        prev_z, prev_tilde, xlast = z, tilde, xt
        eta, mu, beta, dev_old = eta_new, mu_new, beta_new, dev
        if it > 1 and (crit < tol or at_floor) and dbeta < np.sqrt(tol):
            note = "" if crit < tol else (
                f"IRLS deviance change {crit:.3g} is at its floating-point floor, above "
                f"tol={tol:g}: converged to the attainable accuracy")
            return beta, mu, dev, it, note, xt
    hint = ("the deviance has converged but coefficients keep drifting: the MLE does not exist "
            "(separation) -- pass separation=('fe', 'simple', 'ir')" if crit < tol else
            "raise maxiter or loosen tol, or check for separation "
            "(separation=('fe', 'simple', 'ir'))")
    raise RuntimeError(f"{fn}: IRLS did not converge in maxiter={maxiter} iterations (last "
                       f"relative deviance change {crit:.3g}, tol={tol:g}; last coefficient step "
                       f"{dbeta:.3g}, needs < sqrt(tol)); {hint}")
