"""Poisson pseudo-maximum likelihood (PPML) with absorbed high-dimensional fixed effects.

Why: gravity / import-demand equations are estimated in levels by PPML (Santos Silva & Tenreyro
2006) so that zero flows are kept and heteroskedasticity does not bias elasticities; with
exporter-time, importer-time and pair effects the dummy-variable GLM is infeasible (on Yotov et
al. 2016 a statsmodels dummy GLM does not converge in 100 IRLS steps and reports cluster SEs about
twice too large, see data/external/yotov2016_agtpa/README.md).

Algorithm (Correia, Guimaraes & Zylkin 2020, ``ppmlhdfe``; pyfixest ``fepois``): iteratively
reweighted least squares. Each step forms the working outcome ``z = eta - offset + (y - mu)/mu``
and weights ``mu``, partials the fixed effects out of ``z`` and ``X`` by *weighted* demeaning
(:class:`autotariffs.models.demean.Absorber`: the FE cross-tabulations are built once and only
re-weighted each step), solves the weighted LS problem, and updates ``eta = z - resid + offset``.
Demeaning is warm-started: the previous iteration's residuals differ from the new column only by
a fixed-effect component, which the projection annihilates, so starting from them gives the same
fixed point in far fewer conjugate-gradient steps. Convergence: relative deviance change < ``tol`` and max
coefficient change < ``sqrt(tol)``.

Before fitting we drop, as ppmlhdfe does, (i) observations in fixed-effect groups whose outcome is
all zero (their FE estimate is -inf; repeated until stable) and (ii) observations separated by a
single regressor (the "simple" rule: a regressor constant on y > 0 and on one side of that constant
wherever it differs, with y = 0). Counts are reported in ``n_dropped``.

Covariance: sandwich with bread ``(X~' W X~)^-1`` (W = mu at the solution) and scores
``X~_i (y_i - mu_i)``: ``iid`` (model-based, bread only), ``HC1`` and one-/two-way ``CRV1`` with
the small-sample corrections of :class:`autotariffs.models.fe.SSC`. Stata's ``ppmlhdfe`` /
``poisson, vce(cluster)`` use G/(G-1) only: pass ``ssc=ssc(k_adj=False)`` for that convention
(used to reproduce Yotov et al. 2016); the default equals pyfixest's default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autotariffs.models.fe import (
    SSC,
    Absorber,
    FEResult,
    _cluster_codes,
    _codes,
    _complete_cases,
    _df_k,
    _drop_collinear,
    _normalize_args,
    _numeric,
    _vcov,
    positive_weights,
)

__all__ = ["PPMLResult", "fepois", "drop_all_zero_fe_groups", "simple_separation"]


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
    """Boolean keep-mask: drop rows in any FE level whose outcome sums to zero, until stable."""
    keep = np.ones(len(y), dtype=bool)
    while True:
        changed = False
        for codes in fe_codes:
            k = codes[keep]
            tot = np.bincount(k, weights=y[keep], minlength=int(codes.max()) + 1)
            bad = tot[codes] <= 0
            bad &= keep
            if bad.any():
                keep &= ~bad
                changed = True
        if not changed:
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


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2 * np.sum(w * (t - (y - mu))))


def fepois(data: pd.DataFrame, y: str, x: list[str], fe: list[str],
           cluster: str | list[str] | None = None, vcov: str = "CRV1",
           offset: str | None = None, weights: str | None = None, tol: float = 1e-10,
           maxiter: int = 100, ssc: SSC = SSC(), demean_tol: float = 1e-12,  # noqa: B008
           separation: bool = True) -> PPMLResult:
    """PPML of ``y`` (>= 0, levels) on ``x`` with fixed effects ``fe`` absorbed (IRLS + HDFE).

    ``offset``: column added to the linear index with coefficient 1 (e.g. log exposure).
    ``weights``: positive observation weights. ``vcov``: "CRV1" (with ``cluster``, one or two
    columns), "HC1" or "iid". ``ssc``: small-sample correction (``ssc(k_adj=False)`` = Stata's
    G/(G-1) only). Raises ``RuntimeError`` if IRLS does not converge in ``maxiter`` steps.
    """
    fn = "fepois"
    x, fe, cl = _normalize_args(data, y, x, fe, cluster, vcov, weights, fn)
    extra = ([offset] if offset else []) + ([weights] if weights else [])
    if offset and offset not in data.columns:
        raise KeyError(f"{fn}: offset column {offset!r} not in data")
    sub, n_na = _complete_cases(data, [y, *x, *fe, *cl, *extra], fn)
    yv = _numeric(sub, [y], fn)[:, 0]
    neg = np.flatnonzero(yv < 0)
    if neg.size:
        raise ValueError(f"{fn}: outcome {y!r} must be >= 0 for PPML; rows "
                         f"{sub.index[neg[:5]].tolist()} have {yv[neg[:5]].tolist()}")
    if not (yv > 0).any():
        raise ValueError(f"{fn}: outcome {y!r} is zero in every complete row")
    xv = _numeric(sub, x, fn)
    n_drop = {"missing": n_na, "fe_all_zero": 0, "separated": 0}
    if separation:
        keep = np.ones(len(sub), dtype=bool)
        for _ in range(20):  # alternate the two rules until neither drops anything
            before = int(keep.sum())
            if fe:
                k_fe = drop_all_zero_fe_groups(yv[keep], _codes(sub.loc[keep], fe))
                n_drop["fe_all_zero"] += int((~k_fe).sum())
                keep[np.flatnonzero(keep)[~k_fe]] = False
            if x:
                k_sep = simple_separation(yv[keep], xv[keep])
                n_drop["separated"] += int((~k_sep).sum())
                keep[np.flatnonzero(keep)[~k_sep]] = False
            if int(keep.sum()) == before:
                break
        if not keep.all():
            sub, yv, xv = sub.loc[keep], yv[keep], xv[keep]
    n = len(sub)
    off = sub[offset].to_numpy(dtype=np.float64) if offset else np.zeros(n)
    wobs = positive_weights(sub, weights, fn) if weights else np.ones(n)
    fe_codes = _codes(sub, fe)
    names = list(x)
    if not fe:
        xv = np.column_stack([xv, np.ones(n)]) if x else np.ones((n, 1))
        names = [*x, "Intercept"]
    absorber = Absorber(fe_codes, weighted=True, tol=demean_tol) if fe else None

    # collinearity with the FE is a property of the design, check once with unit weights
    xt0 = absorber.residualize(xv, np.ones(n)) if absorber is not None else xv
    xt0, names_kept, dropped = _drop_collinear(xt0, names, xv, fn)
    if dropped:
        xv = xv[:, [names.index(nm) for nm in names_kept]]
        names = names_kept

    ybar = np.sum(wobs * yv) / wobs.sum()
    mu = (yv + ybar) / 2.0
    eta = np.log(mu)
    beta = np.zeros(len(names))
    dev_old = _deviance(yv, mu, wobs)
    prev_raw = None
    prev_tilde = None
    converged = False
    it = 0
    xt = xt0
    for it in range(1, maxiter + 1):  # noqa: B007
        w = wobs * mu
        z = eta - off + (yv - mu) / mu
        raw = np.column_stack([z, xv])
        start = raw if prev_tilde is None else prev_tilde + (raw - prev_raw)
        tilde = absorber.residualize(start, w) if absorber is not None else raw
        zt, xt = tilde[:, 0], tilde[:, 1:]
        xtw = xt * w[:, None]
        beta_new = np.linalg.solve(xt.T @ xtw, xtw.T @ zt)
        resid_lin = zt - xt @ beta_new
        eta_new = z - resid_lin + off
        mu_new = np.exp(eta_new)
        dev = _deviance(yv, mu_new, wobs)
        # step-halving guards against an (unusual) deviance increase or overflow
        halvings = 0
        while (not np.isfinite(dev) or dev > dev_old * (1 + 1e-12) + 1e-12) and halvings < 30:
            eta_new = 0.5 * (eta_new + eta)
            mu_new = np.exp(eta_new)
            dev = _deviance(yv, mu_new, wobs)
            halvings += 1
        dbeta = np.max(np.abs(beta_new - beta)) if it > 1 else np.inf
        rel = abs(dev - dev_old) / max(abs(dev), 0.1)
        prev_raw, prev_tilde = raw, tilde
        eta, mu, beta, dev_old = eta_new, mu_new, beta_new, dev
        if rel < tol and dbeta < np.sqrt(tol) * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    if not converged:
        raise RuntimeError(f"{fn}: IRLS did not converge in maxiter={maxiter} iterations "
                           f"(last relative deviance change {rel:.3g}); raise maxiter or check "
                           "for separation / extreme regressors")
    # covariance at the solution: re-absorb X with the final weights mu
    w = wobs * mu
    if absorber is not None:
        xt = absorber.residualize(xt, w)
    xtw = xt * w[:, None]
    bread = np.linalg.inv(xt.T @ xtw)
    u = yv - mu
    scores = xt * (wobs * u)[:, None]
    cl_codes = _cluster_codes(sub, cl)
    k = xt.shape[1]
    df_k = _df_k(k, fe_codes, cl_codes, ssc)
    v, _, df_t, fac = _vcov(bread, scores, vcov, ssc, n, df_k, cl_codes, sigma2_sum=None)
    n_clusters = {c: int(codes.max()) + 1 for c, codes in zip(cl, cl_codes, strict=True)}
    corr = np.corrcoef(yv, mu)[0, 1]
    res = PPMLResult(
        params=pd.Series(beta, index=names, name="coef"),
        vcov=pd.DataFrame(v, index=names, columns=names),
        nobs=n, df_resid=n - df_k, df_t=df_t, n_clusters=n_clusters,
        resid=pd.Series(u, index=sub.index, name="resid"), vcov_type=vcov, ssc=ssc,
        ssc_factor=fac, df_k=df_k, fe=fe, cluster=cl, method="fepois", dist="norm",
        collinear=dropped, n_dropped=n_drop,
        stats={"deviance": dev, "pseudo_r2_corr2": float(corr * corr), "iterations": it},
    )
    res.mu = pd.Series(mu, index=sub.index, name="mu")
    res.iterations = it
    res.converged = converged
    res.deviance = dev
    return res
