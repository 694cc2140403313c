"""Independent reference: the explicit dummy-variable statsmodels path (test use only).

Why it lives here: issue 13 moved every origin x month estimator onto ``feols``/``fepois`` with
absorbed fixed effects. The dummy-variable statsmodels code it replaced (``nuisance_matrix``,
``fit_ols`` and the GLM of ``ppml_levels``, as of commit 57d82a2) is kept, unchanged in
substance, as the independent computation the tests compare the new stack against: explicit
dummies, a dense orthonormal basis of Z for the FWL problem, statsmodels' own CRV1.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from autotariffs.models import inference as inf


def _dummies(codes: pd.Series, prefix: str, drop_first: bool = True) -> pd.DataFrame:
    levels = sorted(codes.unique())
    if drop_first:
        levels = levels[1:]
    data = {f"{prefix}[{lv}]": (codes == lv).to_numpy(dtype=float) for lv in levels}
    return pd.DataFrame(data, index=codes.index)


def nuisance_matrix(df: pd.DataFrame, fe: Sequence[str], covariates: Sequence[str] = ()
                    ) -> pd.DataFrame:
    """Intercept + FE dummies (+ covariates) as an explicit design matrix (deterministic order).

    fe items: 'origin', 'month', 'origin_moy' (origin x month-of-year, first origin = reference),
    'hs_code'.
    """
    parts = [pd.DataFrame({"const": np.ones(len(df))}, index=df.index)]
    for f in fe:
        if f in ("origin", "hs_code"):
            parts.append(_dummies(df[f].astype(str), f))
        elif f == "month":
            parts.append(_dummies(df["month"].dt.strftime("%Y-%m"), "month"))
        elif f == "origin_moy":
            for o in sorted(df["origin"].unique())[1:]:
                is_o = (df["origin"] == o).to_numpy()
                for m in range(2, 13):
                    parts.append(pd.DataFrame(
                        {f"origin_moy[{o}:{m:02d}]": (is_o & (df["moy"] == m)).astype(float)},
                        index=df.index))
        else:
            raise ValueError(f"unknown fixed effect {f!r}")
    for c in covariates:
        parts.append(df[[c]].astype(float))
    z = pd.concat(parts, axis=1)
    return z.loc[:, z.abs().sum(axis=0) > 0]


def dummy_ols(df: pd.DataFrame, y: str, x: str, z: pd.DataFrame):
    """statsmodels OLS of y on [x, Z] with CRV1 by origin: G/(G-1)(N-1)/(N-K), t(G-1)."""
    exog = pd.concat([df[[x]].astype(float), z], axis=1)
    groups, _ = inf.group_codes(df["origin"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.OLS(df[y].astype(float), exog).fit(
            cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True}, use_t=True)
        _ = res.bse
    return res


def dummy_fwl(df: pd.DataFrame, y: str, x: str, fe: Sequence[str],
              covariates: Sequence[str] = ()) -> tuple[inf.FWL, np.ndarray]:
    """The FWL problem with a dense orthonormal basis q of the dummy matrix; (problem, Z)."""
    z = nuisance_matrix(df, fe, covariates).to_numpy()
    return inf.fwl(df[y].to_numpy(float), df[x].to_numpy(float), z, df["origin"]), z


def dummy_ppml(df: pd.DataFrame, outcome: str, x: str, fe: Sequence[str], xcol=None):
    """statsmodels GLM Poisson on [x, dummies], CRV1 by origin; outcome scaled to mean 1."""
    z = nuisance_matrix(df, fe).to_numpy()
    groups, _ = inf.group_codes(df["origin"])
    yv = df[outcome].to_numpy(float)
    yv = yv / yv.mean()
    xv = df[x].to_numpy(float) if xcol is None else xcol
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sm.GLM(yv, np.column_stack([xv, z]), family=sm.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True, tol=1e-13, maxiter=300)
        _ = r.bse
    return r
