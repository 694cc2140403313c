"""Import demand and pass-through on the HS10 x origin x month panel (``source: census``).

Why: with HS10 detail the tariff effect is identified *within product and month* across origins,
as in Fajgelbaum et al. (2020): variety (HS10 x origin) fixed effects absorb persistent quality
and size differences, product x month (HS10 x month) effects absorb product-specific demand,
seasonality and model-year cycles. Both are high-dimensional (10^2-10^3 HS10 lines x 5 origins
x 60+ months), so they are absorbed (:func:`autotariffs.models.fe.feols`,
:func:`autotariffs.models.ppml.fepois`) rather than estimated as dummies.

* import demand: PPML of value and of vehicles in levels (zeros kept), and OLS of ln vehicles,
  on ln(1+tau);
* pass-through: OLS of ln ex-tariff unit value on ln(1+tau) with ln FX (local currency per USD).

Inference: the tariff varies by origin x month only, so errors are clustered by origin (G <= 5:
CRV1 with t(G-1) is shown with G and must be read as few-cluster inference), and, as a second
line, by variety (which ignores correlation across HS10 lines of one origin-month and is
therefore optimistic). The report says which is which.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from autotariffs.models.elasticity import EstimationError, select_sample
from autotariffs.models.fe import dropped_text, feols
from autotariffs.models.ppml import fepois
from autotariffs.outputs import Text

__all__ = ["SPECS", "variety_estimates", "variety_table"]

FE = ("variety", "hs_month")
# name -> (estimator, outcome, regressors); rows with a missing outcome or regressor are dropped
# (PPML keeps zero flows; the log outcomes exist only where the flow is positive)
SPECS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ppml_value": ("fepois", "value_usd", ("ln1p_tau",)),
    "ppml_quantity": ("fepois", "quantity", ("ln1p_tau",)),
    "ols_ln_q": ("feols", "ln_q", ("ln1p_tau",)),
    "passthrough_ln_uv": ("feols", "ln_uv", ("ln1p_tau", "ln_fx")),
}


def _frame(panel: pd.DataFrame) -> pd.DataFrame:
    df = panel.copy()
    df["variety"] = df["hs_code"].astype(str) + ":" + df["origin"].astype(str)
    df["hs_month"] = df["hs_code"].astype(str) + ":" + df["month"].dt.strftime("%Y-%m")
    return df


def _one(df: pd.DataFrame, est: str, y: str, x: Sequence[str], cluster: str,
         tol: float) -> dict:
    fit = fepois if est == "fepois" else feols
    kw = {"demean_tol": tol} if est == "fepois" else {"tol": tol}
    r = fit(df, y, list(x), list(FE), cluster=cluster, **kw)
    term = "ln1p_tau"
    if term not in r.params.index:
        raise EstimationError(f"{est} {y}: ln1p_tau is collinear with the variety and "
                              "HS10 x month fixed effects (no cross-origin tariff variation "
                              "within product-month in this sample)")
    ci = r.conf_int().loc[term]
    return {"coef": float(r.params[term]), "se": float(r.bse[term]),
            "p": float(r.pvalues[term]), "ci95_low": float(ci["lower"]),
            "ci95_high": float(ci["upper"]), "n_obs": int(r.nobs),
            "n_clusters": int(r.n_clusters[cluster]), "df_t": int(r.df_t),
            "dist": r.dist, "ssc": r.ssc.describe(),
            "n_dropped": {k: int(v) for k, v in r.n_dropped.items()}}


def variety_estimates(
    panel: pd.DataFrame,
    origins: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    specs: Sequence[str] = tuple(SPECS),
    tol: float = 1e-10,
) -> dict:
    """Every spec in :data:`SPECS` with variety and HS10 x month FE, clustered by origin and by
    variety. Returns a JSON-ready dict ``{spec: {"origin": {...}, "variety": {...}}, "fe": ...,
    "levels": {...}}``. Raises EstimationError if the panel has no ``hs_code`` column."""
    if "hs_code" not in panel.columns:
        raise EstimationError("variety_estimates needs the HS10 x origin x month panel (column "
                              "'hs_code', built with source='census'); got an origin x month panel")
    unknown = sorted(set(specs) - set(SPECS))
    if unknown:
        raise EstimationError(f"unknown variety spec(s) {unknown}; expected some of {list(SPECS)}")
    out: dict = {"fe": list(FE), "cluster": ["origin", "variety"], "specs": {}}
    for name in specs:
        est, y, x = SPECS[name]
        df, notes = select_sample(panel, [y, *x], origins=origins, start=start, end=end)
        df = _frame(df)
        res = {cl: _one(df, est, y, x, cl, tol) for cl in ("origin", "variety")}
        res["notes"] = notes
        out["specs"][name] = res
    if origins is not None:
        panel = panel[panel["origin"].isin(list(origins))]
    full = _frame(panel)
    out["levels"] = {"hs10": int(panel["hs_code"].nunique()),
                     "variety": int(full["variety"].nunique()),
                     "hs_month": int(full["hs_month"].nunique()),
                     "origins": sorted(panel["origin"].unique().tolist()),
                     "rows": int(len(panel)),
                     "zero_value_share": float(np.mean(panel["value_usd"].fillna(0) <= 0))}
    return out


def variety_table(result: dict) -> pd.DataFrame:
    """One row per specification and clustering (for the report's table registry)."""
    rows = []
    for spec, by in result["specs"].items():
        est, y, x = SPECS[spec]
        for cl in result["cluster"]:
            r = by[cl]
            rows.append({"spec": spec, "estimator": est, "outcome": y, "cluster": cl,
                         "G": r["n_clusters"], "coef": r["coef"], "se": r["se"], "p": r["p"],
                         "ci95_low": r["ci95_low"], "ci95_high": r["ci95_high"],
                         "n_obs": r["n_obs"], "dropped": dropped_text(r["n_dropped"])})
    return pd.DataFrame(rows)


def variety_text(origin: str, controls: Sequence[str]) -> Text:
    """Title and caption of :func:`variety_table`."""
    return Text(
        f"HS10 estimates for {origin} vs {', '.join(controls)}",
        "Coefficient on ln(1+τ) with absorbed variety (HS10 × origin) and HS10 × month fixed "
        "effects: PPML of value and vehicles in levels (zeros kept), OLS of ln vehicles, and "
        "pass-through to ln ex-tariff unit value with ln FX. Clustered by origin (G ≤ 3: "
        "few-cluster inference, t(G−1)) and by variety (ignores correlation across HS10 lines of "
        "one origin-month, so optimistic).",
    )
