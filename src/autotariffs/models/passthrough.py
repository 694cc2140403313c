"""Tariff pass-through to ex-tariff (border) unit values.

``ln uv_ot = gamma ln(1+tau_ot) + delta ln fx_ot + FE + e``. gamma = 0: complete pass-through to
US buyers (foreign exporters keep their dollar price, as ARW 2019 / FGKK 2020 found for 2018);
gamma = -1: exporters absorb the whole tariff (ex-tariff price falls one for one). The FX control
(log local currency per USD) absorbs exchange-rate-driven dollar price moves (the 2025 yen/won
swings), so gamma is a tariff, not an FX, effect.

Unit values are Comtrade's CIF-type value (freight included) / vehicles: a composition
(model-mix) change moves them too, so gamma mixes price and mix responses. An origin's own export statistics (the mirror flow,
FOB, USD), where the panel has them, are a second source analysed as a time series.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from autotariffs.labels import origin_name
from autotariffs.models.elasticity import (
    FE_D12,
    FE_LEVELS,
    EstimationError,
    estimate,
    to_jsonable,
    window,
)


def passthrough(
    panel: pd.DataFrame,
    form: str = "levels",
    price: str = "ex",
    fx_control: bool = True,
    **kwargs,
) -> dict:
    """gamma: ex-tariff (``price='ex'``) or duty-inclusive (``'dutyinc'``, coef = 1 + gamma) uv.

    Same FE and inference as :func:`autotariffs.models.elasticity.estimate` (kwargs pass through:
    origin/controls/origins, start/end, n_boot, seed, ri, wild, progress).
    """
    if price not in ("ex", "dutyinc"):
        raise EstimationError(f"price={price!r}: expected 'ex' or 'dutyinc'")
    y = "ln_uv" if price == "ex" else "ln_uv_dutyinc"
    if form == "levels":
        cov = ["ln_fx"] if fx_control else []
        out = estimate(panel, y, "ln1p_tau", fe=FE_LEVELS, covariates=cov, **kwargs)
    elif form == "d12":
        cov = ["d12_ln_fx"] if fx_control else []
        out = estimate(panel, f"d12_{y}", "d12_ln1p_tau", fe=FE_D12, covariates=cov, **kwargs)
    else:
        raise EstimationError(f"form={form!r}: expected 'levels' or 'd12'")
    out["interpretation"] = (
        "gamma: 0 = complete pass-through to US buyers, -1 = exporters absorb the full tariff"
        if price == "ex"
        else "1 + gamma: 1 = complete pass-through to US buyers, 0 = exporters absorb all"
    )
    return out


def has_mirror(panel: pd.DataFrame, origin: str) -> bool:
    """Whether the panel carries a mirror series (the origin's own export statistics) for it."""
    if "ln_mirror_uv" not in panel.columns:
        return False
    return bool(panel.loc[panel["origin"] == origin, "ln_mirror_uv"].notna().any())


def mirror_passthrough(
    panel: pd.DataFrame,
    origin: str,
    fx_control: bool = True,
    maxlags: int = 12,
    start: str | None = None,
    end: str | None = None,
) -> dict:
    """d12 ln(origin-reported export uv) on d12 ln(1+tau) [+ d12 ln FX], for one origin.

    A single time series: Newey-West (HAC, Bartlett, ``maxlags`` = 12 because overlapping 12-month
    differences are MA(11) by construction) standard errors and a t(n-k) reference. Caveats
    returned in ``notes``: one unit, the tariff regressor is a single step (its d12 is non-zero
    only in the post months), so the coefficient is essentially a before/after comparison of
    y/y unit-value growth and cannot separate the tariff from anything else that happened in
    the same months; no cluster inference is possible.
    """
    cols = ["d12_ln_mirror_uv", "d12_ln1p_tau"] + (["d12_ln_fx"] if fx_control else [])
    df = panel[panel["origin"] == origin].copy()
    if df.empty:
        raise EstimationError(f"mirror_passthrough: the panel has no {origin} rows")
    df = window(df, start, end)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise EstimationError(f"panel lacks mirror column(s) {missing}")
    df = df[np.isfinite(df[cols].astype(float)).all(axis=1)].sort_values("month")
    if len(df) < 12 or df["d12_ln1p_tau"].abs().max() == 0:
        raise EstimationError(
            f"mirror_passthrough: {len(df)} usable {origin} months and no tariff change in the "
            f"sample; need {origin}'s own export statistics (the mirror flow) over the event"
        )
    exog = sm.add_constant(df[cols[1:]].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.OLS(df[cols[0]].astype(float), exog).fit(
            cov_type="HAC", cov_kwds={"maxlags": maxlags}, use_t=True
        )
    b, se = float(res.params["d12_ln1p_tau"]), float(res.bse["d12_ln1p_tau"])
    dfree = int(res.df_resid)
    q = stats.t.ppf(0.975, dfree)
    n_post = int((df["d12_ln1p_tau"].abs() > 0).sum())
    name = origin_name(origin)
    return to_jsonable(
        {
            "coef": b,
            "se_hac": se,
            "ci95_low": b - q * se,
            "ci95_high": b + q * se,
            "p_hac": float(2 * stats.t.sf(abs(b / se), dfree)),
            "n_obs": int(res.nobs),
            "n_clusters": 1,
            "n_months_with_tariff_change": n_post,
            "sample_start": df["month"].min().strftime("%Y-%m"),
            "sample_end": df["month"].max().strftime("%Y-%m"),
            "data_source": f"mirror flow ({name}-reported exports to USA)",
            "spec": f"OLS {cols[0]} ~ const + {' + '.join(cols[1:])}; Newey-West HAC({maxlags})",
            "notes": [
                f"single time series ({origin}): no cluster-robust, bootstrap or RI inference "
                "possible",
                f"tariff regressor non-zero in only {n_post} months: effectively a before/after "
                "comparison of y/y export unit-value growth",
                f"{name}-reported exports are FOB at the exporter's customs and lead US arrivals "
                "by about a month (shipping time); unit values mix price and model-mix changes",
            ],
        }
    )

