"""Import demand: log quantity / value on log(1 + tariff) with origin-level fixed effects.

Two forms, both estimated with statsmodels OLS on explicit dummies (the panel is small):

* ``form="levels"``: ``ln z_ot = beta ln(1+tau_ot) + a_o + m_t + s_{o,moy(t)} + e_ot`` with origin
  FE, month FE and origin-specific month-of-year seasonality (one origin's seasonality is the
  reference, the rest is absorbed by the month FE).
* ``form="d12"``: ``d12 ln z_ot = beta d12 ln(1+tau_ot) + m_t + e_ot`` (ARW 2019 / FGKK 2020 style
  12-month differences; the differencing removes origin levels and stable seasonality).

Identification: KOR/JPN/DEU got the full +25pp S232 duty in April 2025, MEX/CAN 25% on non-US
content only (smaller, content-share based rates), so all five origins enter by default. Under
complete pass-through beta_q = -sigma. No "implied sigma" is computed: a pooled beta_q with
SE 1.5 divided by (1 + gamma) was a number without content (issue 13); the ratios that depend on
assumptions are shown as a sensitivity curve over the comparison origins' exposure instead
(:mod:`autotariffs.models.reduced_form`).

Inference: CRV1 by origin with t(G-1) reference, *plus* the WCR wild cluster bootstrap and
randomisation inference over origin tariff paths (:mod:`autotariffs.models.inference`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from autotariffs.models import inference as inf

FE_LEVELS = ("origin", "month", "origin_moy")
FE_D12 = ("month",)
QTY_OUTCOMES = ("ln_q", "ln_uv", "ln_uv_dutyinc", "quantity", "uv")


class EstimationError(ValueError):
    """The requested regression cannot be run on this panel (names column / origins / rule)."""


def _dummies(codes: pd.Series, prefix: str, drop_first: bool = True) -> pd.DataFrame:
    levels = sorted(codes.unique())
    if drop_first:
        levels = levels[1:]
    data = {f"{prefix}[{lv}]": (codes == lv).to_numpy(dtype=float) for lv in levels}
    return pd.DataFrame(data, index=codes.index)


def nuisance_matrix(
    df: pd.DataFrame, fe: Sequence[str], covariates: Sequence[str] = ()
) -> pd.DataFrame:
    """Intercept + FE dummies (+ covariates) as an explicit design matrix (deterministic order).

    fe items: 'origin', 'month', 'origin_moy' (origin x month-of-year, first origin = reference),
    and, for HS10 panels, 'hs_code'.
    """
    parts = [pd.DataFrame({"const": np.ones(len(df))}, index=df.index)]
    for f in fe:
        if f in ("origin", "hs_code"):
            parts.append(_dummies(df[f].astype(str), f))
        elif f == "month":
            parts.append(_dummies(df["month"].dt.strftime("%Y-%m"), "month"))
        elif f == "origin_moy":
            origins = sorted(df["origin"].unique())[1:]
            for o in origins:
                is_o = (df["origin"] == o).to_numpy()
                for m in range(2, 13):
                    parts.append(
                        pd.DataFrame(
                            {f"origin_moy[{o}:{m:02d}]": (is_o & (df["moy"] == m)).astype(float)},
                            index=df.index,
                        )
                    )
        else:
            raise EstimationError(f"unknown fixed effect {f!r}; expected one of {FE_LEVELS}")
    for c in covariates:
        parts.append(df[[c]].astype(float))
    z = pd.concat(parts, axis=1)
    return z.loc[:, z.abs().sum(axis=0) > 0]


def window(df: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """Rows with ``start <= month <= end`` (months 'YYYY-MM' or dates; None = open end)."""
    if start is not None:
        df = df[df["month"] >= pd.Timestamp(str(start)[:7] + "-01")]
    if end is not None:
        df = df[df["month"] <= pd.Timestamp(str(end)[:7] + "-01")]
    return df


def select_sample(
    panel: pd.DataFrame,
    cols: Sequence[str],
    origin: str | None = None,
    controls: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    drop_qty_estimated: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """Restrict the panel to the origins/dates and drop rows with missing regression columns.

    ``origin`` + ``controls`` (e.g. 'KOR' vs ('MEX', 'CAN')) or an explicit ``origins`` list;
    default all origins present. Quantity-based outcomes drop the Comtrade-estimated 2022
    quantities (flag ``qty_estimated_2022``; for d12 terms also rows whose 12-month lag is
    flagged) unless ``drop_qty_estimated=False``. Returns (sample, notes).
    """
    notes: list[str] = []
    if origin is not None:
        sel = [origin] + list(controls if controls is not None else ("MEX", "CAN"))
    elif origins is not None:
        sel = list(origins)
    else:
        sel = sorted(panel["origin"].unique())
    unknown = sorted(set(sel) - set(panel["origin"].unique()))
    if unknown:
        raise EstimationError(
            f"origin(s) {unknown} not in the panel (panel has {sorted(panel['origin'].unique())})"
        )
    df = window(panel[panel["origin"].isin(sel)].copy(), start, end)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise EstimationError(f"panel lacks column(s) {missing}")
    uses_qty = any(any(c.endswith(q) for q in QTY_OUTCOMES) for c in cols)
    if uses_qty and drop_qty_estimated and "qty_estimated_2022" in df.columns:
        flag = df["qty_estimated_2022"].astype(bool)
        if any(c.startswith("d12_") for c in cols):
            flagged = panel.loc[panel["qty_estimated_2022"].astype(bool), ["origin", "month"]]
            lagged = set(zip(flagged["origin"], flagged["month"] + pd.DateOffset(months=12), strict=False))
            flag = flag | pd.Series(
                [(o, m) in lagged for o, m in zip(df["origin"], df["month"], strict=False)], index=df.index
            )
        if flag.any():
            notes.append(
                f"dropped {int(flag.sum())} rows with Comtrade-estimated 2022 quantities "
                f"({sorted(df.loc[flag, 'origin'].unique())})"
            )
        df = df[~flag]
    ok = np.isfinite(df[list(cols)].astype(float)).all(axis=1)
    if (~ok).any():
        notes.append(f"dropped {int((~ok).sum())} rows with missing/non-finite {list(cols)}")
    df = df[ok].sort_values(["origin", "month"], kind="mergesort").reset_index(drop=True)
    if df.empty:
        raise EstimationError(f"no complete rows for {list(cols)} in origins {sel}")
    return df, notes


def _jsonable(v):
    if isinstance(v, float | np.floating):
        v = float(v)
        return None if not math.isfinite(v) else v
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def to_jsonable(result: dict) -> dict:
    """NaN/inf -> None, numpy scalars -> Python, so json.dumps works with stable keys."""
    return _jsonable(result)


def fit_ols(df: pd.DataFrame, y: str, x: str, z: pd.DataFrame):
    """statsmodels OLS of y on [x, Z] with CRV1 by origin: G/(G-1)(N-1)/(N-K), t(G-1)."""
    exog = pd.concat([df[[x]].astype(float), z], axis=1)
    groups, _ = inf.group_codes(df["origin"])
    with warnings.catch_warnings():
        # FE dummies nested in few clusters give a rank-deficient cluster "meat": statsmodels
        # warns on sqrt of their (meaningless) negative variances; the x coefficient is fine.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.OLS(df[y].astype(float), exog).fit(
            cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True}, use_t=True
        )
        _ = res.bse
    return res


def x_paths(panel: pd.DataFrame, df: pd.DataFrame, x: str) -> np.ndarray:
    """G x T matrix of the regressor by (sorted) origin and (sorted) sample month, for RI."""
    months = sorted(df["month"].unique())
    origins = sorted(df["origin"].unique())
    wide = panel[panel["origin"].isin(origins)].pivot(index="origin", columns="month", values=x)
    return wide.reindex(index=origins, columns=months).to_numpy(dtype=float)


def estimate(
    panel: pd.DataFrame,
    y: str,
    x: str = "ln1p_tau",
    fe: Sequence[str] = FE_LEVELS,
    covariates: Sequence[str] = (),
    origin: str | None = None,
    controls: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    n_boot: int = 9999,
    seed: int = inf.DEFAULT_SEED,
    ri: bool = True,
    wild: bool = True,
    progress: bool = True,
    drop_qty_estimated: bool = True,
) -> dict:
    """One coefficient (on ``x``) with CRV1, WCR wild bootstrap and RI; JSON-ready dict.

    Keys: coef, se_crv1, t_crv1, ci95_low, ci95_high, p_crv1, crv1_df, p_wild, wild_ci95_low,
    wild_ci95_high, n_boot, boot_enumerated, wild_informative, p_ri, n_perm, perm_enumerated,
    n_obs, n_clusters, clusters, sample_start, sample_end, data_source, outcome, regressor,
    fe, covariates, spec, notes.
    """
    df, notes = select_sample(
        panel, [y, x, *covariates], origin, controls, origins, start, end, drop_qty_estimated
    )
    z = nuisance_matrix(df, fe, covariates)
    res = fit_ols(df, y, x, z)
    prob = inf.fwl(df[y].to_numpy(float), df[x].to_numpy(float), z.to_numpy(), df["origin"])
    s = inf.crv1_summary(prob)
    g = s["n_clusters"]
    if not np.isclose(res.params[x], s["coef"], rtol=1e-7, atol=1e-10):
        raise EstimationError(
            f"statsmodels ({res.params[x]:.10g}) and FWL ({s['coef']:.10g}) disagree on {x}: "
            "the design is numerically ill-conditioned"
        )
    se = float(res.bse[x])
    q = stats.t.ppf(0.975, g - 1)
    out = {
        "coef": float(res.params[x]),
        "se_crv1": se,
        "t_crv1": float(res.params[x] / se),
        "ci95_low": float(res.params[x] - q * se),
        "ci95_high": float(res.params[x] + q * se),
        "p_crv1": float(2 * stats.t.sf(abs(res.params[x] / se), g - 1)),
        "crv1_df": g - 1,
    }
    spec = (
        f"OLS {y} ~ {x}"
        + (" + " + " + ".join(covariates) if covariates else "")
        + f" | FE: {', '.join(fe)}; CRV1 by origin (G/(G-1)*(N-1)/(N-K), t(G-1))"
    )
    out.update(
        {
            "p_wild": float("nan"),
            "wild_ci95_low": float("nan"),
            "wild_ci95_high": float("nan"),
            "n_boot": 0,
            "boot_enumerated": False,
            "wild_informative": False,
            "p_ri": float("nan"),
            "n_perm": 0,
            "n_assignments": 0,
            "min_p_ri": float("nan"),
            "perm_enumerated": False,
        }
    )
    if g < 2:
        notes.append("one cluster: no cluster-robust inference possible")
    else:
        if wild:
            w = inf.wild_cluster_bootstrap(prob, None, None, None, n_boot=n_boot, seed=seed,
                                           progress=progress)  # fmt: skip
            for k in ("p_wild", "wild_ci95_low", "wild_ci95_high", "n_boot", "boot_enumerated",
                      "wild_informative"):  # fmt: skip
                out[k] = w[k]
            notes.append(w["wild_note"])
        if ri:
            paths = x_paths(panel, df, x)
            r = inf.randomization_inference(
                df[y].to_numpy(float), paths, z.to_numpy(), df["origin"], df["month"],
                seed=seed, progress=progress, q=prob.q,
            )  # fmt: skip
            out.update({k: r[k] for k in ("p_ri", "n_perm", "n_assignments", "perm_enumerated")})
            out["min_p_ri"] = r["min_p"]
            notes.append(r["ri_note"])
    n_treated_like = int((df.groupby("origin")[x].std() > 0).sum())
    if n_treated_like < 2:
        notes.append(
            f"only {n_treated_like} origin(s) with variation in {x}: wild bootstrap with one "
            "treated cluster is unreliable (MacKinnon & Webb 2017)"
        )
    out.update(
        {
            "n_obs": int(res.nobs),
            "n_clusters": g,
            "clusters": sorted(df["origin"].unique().tolist()),
            "sample_start": df["month"].min().strftime("%Y-%m"),
            "sample_end": df["month"].max().strftime("%Y-%m"),
            "data_source": str(df["data_source"].iloc[0]) if "data_source" in df else "unknown",
            "outcome": y,
            "regressor": x,
            "fe": list(fe),
            "covariates": list(covariates),
            "spec": spec,
            "notes": notes,
        }
    )
    return to_jsonable(out)


def import_demand(
    panel: pd.DataFrame,
    outcome: str = "q",
    form: str = "levels",
    **kwargs,
) -> dict:
    """Import-demand regression for outcome 'q' (vehicles) or 'v' (value), levels or d12 form.

    kwargs go to :func:`estimate` (origin/controls/origins, start/end, n_boot, seed, ri, wild...).
    """
    if outcome not in ("q", "v"):
        raise EstimationError(f"outcome={outcome!r}: expected 'q' or 'v'")
    if form == "levels":
        return estimate(panel, f"ln_{outcome}", "ln1p_tau", fe=FE_LEVELS, **kwargs)
    if form == "d12":
        return estimate(panel, f"d12_ln_{outcome}", "d12_ln1p_tau", fe=FE_D12, **kwargs)
    raise EstimationError(f"form={form!r}: expected 'levels' or 'd12'")


def ppml_levels(
    panel: pd.DataFrame,
    outcome: str = "quantity",
    x: str = "ln1p_tau",
    fe: Sequence[str] = FE_LEVELS,
    covariates: Sequence[str] = (),
    origin: str | None = None,
    controls: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    ri: bool = False,
    seed: int = inf.DEFAULT_SEED,
    progress: bool = True,
    drop_qty_estimated: bool = True,
) -> dict:
    """PPML in levels (statsmodels GLM Poisson, same dummies) for 'quantity' or 'value_usd'.

    Why: log-linear OLS estimates E[ln y], which differs from ln E[y] under heteroskedasticity
    (Santos Silva & Tenreyro 2006); PPML is consistent for the level elasticity and is the check
    on the OLS beta. The outcome is rescaled to its sample mean (coefficients are scale-free; it
    only helps IRLS). Inference: CRV1 by origin (statsmodels GLM cluster,
    G/(G-1)(N-1)/(N-K), t(G-1)) and RI refitting the GLM for every permutation of origin tariff
    paths when ``ri=True`` (off by default: 120 GLM refits take tens of seconds on a
    loaded 2-core machine). No wild bootstrap here (a score bootstrap would be needed): ``p_wild`` is None.
    """
    if outcome not in ("quantity", "value_usd"):
        raise EstimationError(f"outcome={outcome!r}: expected 'quantity' or 'value_usd'")
    df, notes = select_sample(
        panel, [outcome, x, *covariates], origin, controls, origins, start, end, drop_qty_estimated
    )
    z = nuisance_matrix(df, fe, covariates)
    groups, labels = inf.group_codes(df["origin"])
    g = len(labels)
    yv = df[outcome].to_numpy(float)
    yv = yv / yv.mean()

    def fit(xcol: np.ndarray, cov: bool):
        exog = np.column_stack([xcol, z.to_numpy()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.GLM(yv, exog, family=sm.families.Poisson())
            if cov:
                r = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True,
                              tol=1e-12, maxiter=200)  # fmt: skip
                _ = r.bse
                return r
            return model.fit(tol=1e-12, maxiter=200)

    res = fit(df[x].to_numpy(float), cov=True)
    b, se = float(res.params[0]), float(res.bse[0])
    q = stats.t.ppf(0.975, g - 1)
    out = {
        "coef": b,
        "se_crv1": se,
        "t_crv1": b / se,
        "ci95_low": b - q * se,
        "ci95_high": b + q * se,
        "p_crv1": float(2 * stats.t.sf(abs(b / se), g - 1)),
        "crv1_df": g - 1,
        "p_wild": float("nan"),
        "n_boot": 0,
        "p_ri": float("nan"),
        "n_perm": 0,
        "perm_enumerated": False,
        "converged": bool(res.converged),
    }
    if ri and g >= 2:
        paths = x_paths(panel, df, x)
        tcodes, _ = inf.group_codes(df["month"])
        perms, enumerated, n_distinct = inf._assignments(paths, 5040, 999, seed)
        tstats = np.empty(len(perms))
        for i, perm in enumerate(inf._progress(perms, len(perms), "PPML RI", progress)):
            xp = paths[np.asarray(perm)[groups], tcodes]
            r = fit(xp, cov=True) if i > 0 else res
            tstats[i] = abs(r.params[0] / r.bse[0])
        p = float(np.mean(tstats >= tstats[0] - 1e-10 * max(1.0, tstats[0])))
        out.update({"p_ri": p, "n_perm": len(perms), "perm_enumerated": enumerated,
                    "n_assignments": n_distinct, "min_p": max(1 / n_distinct, 1 / len(perms))})  # fmt: skip
        notes.append(
            f"PPML RI over {len(perms)} {'distinct assignments' if enumerated else 'sampled permutations'}"
            f" of origin tariff paths (G={g}; {n_distinct} distinct assignments)"
        )
    out.update(
        {
            "n_obs": int(len(df)),
            "n_clusters": g,
            "clusters": labels.tolist(),
            "sample_start": df["month"].min().strftime("%Y-%m"),
            "sample_end": df["month"].max().strftime("%Y-%m"),
            "data_source": str(df["data_source"].iloc[0]) if "data_source" in df else "unknown",
            "outcome": outcome,
            "regressor": x,
            "fe": list(fe),
            "covariates": list(covariates),
            "spec": f"PPML (GLM Poisson) {outcome} ~ {x} | FE: {', '.join(fe)}; CRV1 by origin",
            "notes": notes,
        }
    )
    return to_jsonable(out)
