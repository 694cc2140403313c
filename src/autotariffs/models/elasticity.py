"""Import demand: log quantity / value on log(1 + tariff) with origin-level fixed effects.

Two forms, both fitted by :func:`autotariffs.models.fe.feols` with the fixed effects absorbed:
``form="levels"`` (origin, month and origin x month-of-year effects) and ``form="d12"``
(12-month differences with month effects). Inference: CRV1 by origin with t(G-1), the wild
cluster bootstrap and randomization inference (:mod:`.inference`). Results are :class:`Estimate`
dicts with ``n_dropped`` and the fit attached. ARCHITECTURE.md ("Estimator notes:
elasticity.py") has the equations and the identification.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from autotariffs import design
from autotariffs.errors import AutotariffsError
from autotariffs.models import inference as inf
from autotariffs.models.fe import FEResult, feols, ssc
from autotariffs.models.ppml import fepois

FE_LEVELS = ("origin", "month", "origin_moy")
FE_D12 = ("month",)
QTY_OUTCOMES = ("ln_q", "ln_uv", "ln_uv_dutyinc", "quantity", "uv")


class EstimationError(AutotariffsError, ValueError):
    """The requested regression cannot be run on this panel (names column / origins / rule)."""


FE_COLUMNS = {"origin": "fe_origin", "month": "fe_month", "origin_moy": "fe_origin_moy",
              "hs_code": "fe_hs_code"}
# K for the CRV1 factor = slopes + exact rank of the FE dummy design: the convention of OLS on
# explicit dummies (see fe.SSC, k_fixef="rank"; ARCHITECTURE.md, The models).
SSC_DUMMY = ssc(k_fixef="rank")


class Estimate(dict):
    """A JSON-ready result dict that also carries the fit it was built from.

    ``fit``: the :class:`~autotariffs.models.fe.FEResult` (feols / fepois with absorbed FE);
    ``problem``: the :class:`~autotariffs.models.inference.FWL` problem the wild bootstrap and RI
    ran on (None for PPML). ``tidy()`` is the fit's coefficient table. json.dumps sees a dict.
    """

    def __init__(self, data: dict, fit=None, problem=None) -> None:
        super().__init__(data)
        self.fit = fit
        self.problem = problem

    def tidy(self, alpha: float = design.ALPHA) -> pd.DataFrame:
        if self.fit is None:
            raise ValueError("this result has no fit attached")
        return self.fit.tidy(alpha)



def crv1_summary(b: float, se: float, g: int) -> dict:
    """Coefficient, CRV1 standard error, t, 95% interval and p-value on t(G - 1) (G clusters):
    the keys every pooled regression reports (their validity with one treated origin is judged
    by the caller, see ``invalid_by_design``)."""
    q = stats.t.ppf(0.975, g - 1)
    return {
        "coef": b,
        "se_crv1": se,
        "t_crv1": b / se,
        "ci95_low": b - q * se,
        "ci95_high": b + q * se,
        "p_crv1": float(2 * stats.t.sf(abs(b / se), g - 1)),
        "crv1_df": g - 1,
    }

def fe_frame(df: pd.DataFrame, fe: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Fixed-effect columns as categorical (string) columns, for absorption by feols/fepois.

    fe items: 'origin', 'month', 'origin_moy' (origin x month-of-year, one combined level
    ``"KOR:04"`` per origin and calendar month) and, for HS10 panels, 'hs_code'. Returns the
    frame (columns ``fe_<name>``, index of ``df``) and the column names in the order of ``fe``.
    """
    cols = {}
    for f in fe:
        if f in ("origin", "hs_code"):
            cols[FE_COLUMNS[f]] = df[f].astype(str)
        elif f == "month":
            cols[FE_COLUMNS[f]] = df["month"].dt.strftime("%Y-%m")
        elif f == "origin_moy":
            cols[FE_COLUMNS[f]] = (df["origin"].astype(str) + ":"
                                   + df["moy"].astype(int).map("{:02d}".format))
        else:
            raise EstimationError(f"unknown fixed effect {f!r}; expected one of {FE_LEVELS}")
    return pd.DataFrame(cols, index=df.index), list(cols)


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
    """Restrict the panel; see :func:`select_sample_counted` (this drops the counts)."""
    df, notes, _ = select_sample_counted(panel, cols, origin, controls, origins, start, end,
                                         drop_qty_estimated)
    return df, notes


def select_sample_counted(
    panel: pd.DataFrame,
    cols: Sequence[str],
    origin: str | None = None,
    controls: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    drop_qty_estimated: bool = True,
) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """Restrict the panel to the origins/dates and drop rows with missing regression columns.

    ``origin`` + ``controls`` (e.g. 'KOR' vs ('MEX', 'CAN')) or an explicit ``origins`` list;
    default all origins present. Quantity-based outcomes drop the Comtrade-estimated 2022
    quantities (flag ``qty_estimated_2022``; for d12 terms also rows whose 12-month lag is
    flagged) unless ``drop_qty_estimated=False``. Returns (sample, notes, counts) with counts
    ``{"qty_estimated_2022": rows dropped by that rule, "missing": rows of the selected
    origins/window dropped for missing/non-finite regression columns}``.
    """
    notes: list[str] = []
    counts = {"missing": 0, "qty_estimated_2022": 0}
    if origin is not None:
        sel = [origin] + list(controls if controls is not None else design.CONTROLS)
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
        counts["qty_estimated_2022"] = int(flag.sum())
    ok = np.isfinite(df[list(cols)].astype(float)).all(axis=1)
    counts["missing"] = int((~ok).sum())
    if (~ok).any():
        notes.append(f"dropped {int((~ok).sum())} rows with missing/non-finite {list(cols)}")
    df = df[ok].sort_values(["origin", "month"], kind="mergesort").reset_index(drop=True)
    if df.empty:
        raise EstimationError(f"no complete rows for {list(cols)} in origins {sel}")
    return df, notes, counts


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


def n_dropped(sample_counts: dict[str, int], fit: FEResult) -> dict[str, int]:
    """Every observation of the selected origins/window that did not enter the fit, by reason.

    ``missing`` adds the sample's missing/non-finite rows to any the fit dropped itself;
    ``qty_estimated_2022`` are the Comtrade-estimated quantities (quantity outcomes); the rest
    ("zero_weight", "singletons", "fe_all_zero", "separated") are the fit's own counts.
    """
    out = {"missing": int(sample_counts.get("missing", 0)) + int(fit.n_dropped.get("missing", 0)),
           "qty_estimated_2022": int(sample_counts.get("qty_estimated_2022", 0))}
    for k, v in fit.n_dropped.items():
        if k != "missing":
            out[k] = int(v)
    return out


def fit_fe(df: pd.DataFrame, y: str, x: str, fe: Sequence[str],
           covariates: Sequence[str] = ()) -> tuple[FEResult, inf.FWL]:
    """feols of y on [x, covariates] with ``fe`` absorbed, CRV1 by origin, and its FWL problem.

    Small-sample convention: CRV1 ``G/(G-1) (N-1)/(N-K)`` with K = slopes + exact rank of the FE
    dummy design (``SSC_DUMMY``), i.e. K = rank[Z, x] as OLS on explicit dummies counts it.
    Singletons are kept (dummy-variable convention; they leave N-K unchanged and no singleton
    can arise in the balanced origin x month panel with these FE). The FWL problem (y~, x~ with
    FE and covariates partialled out, the annihilator for the wild bootstrap and RI, and
    k = the fit's K) is built from the same FE codes; its coefficient must reproduce the fit's.
    """
    fe_df, fe_cols = fe_frame(df, fe)
    data = pd.concat([df[[y, x, *covariates, "origin"]], fe_df], axis=1)
    res = feols(data, y, [x, *covariates], fe_cols, cluster="origin", vcov="CRV1",
                ssc=SSC_DUMMY, drop_singletons=False)
    if x in res.collinear:
        raise EstimationError(f"{x} is collinear with the fixed effects {list(fe)}"
                              + (f" and covariates {list(covariates)}" if covariates else "")
                              + ": the coefficient is not identified")
    codes = [pd.factorize(data[c], sort=True)[0].astype(np.int64) for c in fe_cols]
    cov = data[list(covariates)].to_numpy(float) if covariates else None
    prob = inf.fwl_absorbed(data[y].to_numpy(float), data[x].to_numpy(float), codes,
                            data["origin"], covariates=cov, k=res.df_k)
    b = float(res.params[x])
    b_fwl = float(prob.xtil @ prob.ytil) / float(prob.xtil @ prob.xtil)
    if not np.isclose(b, b_fwl, rtol=1e-7, atol=1e-10):
        raise EstimationError(
            f"feols ({b:.10g}) and its FWL problem ({b_fwl:.10g}) disagree on {x}: the design "
            "is numerically ill-conditioned"
        )
    return res, prob


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
    n_boot: int = design.N_BOOT,
    seed: int = design.SEED,
    ri: bool = True,
    wild: bool = True,
    progress: bool = True,
    drop_qty_estimated: bool = True,
) -> dict:
    """One coefficient (on ``x``) with CRV1, WCR wild bootstrap and RI; JSON-ready dict.

    Keys: coef, se_crv1, t_crv1, ci95_low, ci95_high, p_crv1, crv1_df, p_wild, wild_ci95_low,
    wild_ci95_high, n_boot, boot_enumerated, wild_informative, p_ri, n_perm, perm_enumerated,
    n_obs, n_clusters, clusters, sample_start, sample_end, data_source, outcome, regressor,
    fe, covariates, spec, n_dropped, notes. Returned as an :class:`Estimate` (a dict with the
    feols fit and its FWL problem attached: ``.fit``, ``.problem``, ``.tidy()``).
    """
    df, notes, counts = select_sample_counted(
        panel, [y, x, *covariates], origin, controls, origins, start, end, drop_qty_estimated
    )
    res, prob = fit_fe(df, y, x, fe, covariates)
    g = prob.n_clusters
    out = crv1_summary(float(res.params[x]), float(res.bse[x]), g)
    spec = (
        f"OLS {y} ~ {x}"
        + (" + " + " + ".join(covariates) if covariates else "")
        + f" | FE: {', '.join(fe)} (absorbed); CRV1 by origin (G/(G-1)*(N-1)/(N-K), "
        "K = slopes + rank of the FE design; t(G-1))"
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
                None, paths, None, df["origin"], df["month"],
                seed=seed, progress=progress, problem=prob,
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
            "n_dropped": n_dropped(counts, res),
            "notes": notes,
        }
    )
    return Estimate(to_jsonable(out), fit=res, problem=prob)


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
    seed: int = design.SEED,
    progress: bool = True,
    drop_qty_estimated: bool = True,
) -> dict:
    """PPML in levels (:func:`~autotariffs.models.ppml.fepois`, same FE absorbed) for 'quantity'
    or 'value_usd'.

    Why: log-linear OLS estimates E[ln y], which differs from ln E[y] under heteroskedasticity
    (Santos Silva & Tenreyro 2006); PPML is consistent for the level elasticity and is the check
    on the OLS beta. The outcome is rescaled to its sample mean (coefficients and SEs are
    scale-free; it only helps IRLS). Inference: CRV1 by origin, G/(G-1)(N-1)/(N-K) with K =
    slopes + rank of the FE design (the convention of the statsmodels dummy-variable GLM this
    replaced), t(G-1) for p-value and CI; RI refitting fepois for every distinct assignment of
    origin tariff paths when ``ri=True`` (30 refits for five origins). No wild bootstrap here (a
    score bootstrap would be needed): ``p_wild`` is None. Singletons are kept; all-zero FE groups
    and separated rows are dropped and counted in ``n_dropped``.
    """
    if outcome not in ("quantity", "value_usd"):
        raise EstimationError(f"outcome={outcome!r}: expected 'quantity' or 'value_usd'")
    df, notes, counts = select_sample_counted(
        panel, [outcome, x, *covariates], origin, controls, origins, start, end, drop_qty_estimated
    )
    fe_df, fe_cols = fe_frame(df, fe)
    data = pd.concat([df[[x, *covariates, "origin"]], fe_df], axis=1)
    data["_y"] = df[outcome].to_numpy(float) / df[outcome].to_numpy(float).mean()
    groups, labels = inf.group_codes(df["origin"])
    g = len(labels)

    def fit(xcol: np.ndarray):
        d = data.assign(**{x: xcol})
        return fepois(d, "_y", [x, *covariates], fe_cols, cluster="origin", vcov="CRV1",
                      ssc=SSC_DUMMY, tol=1e-13, drop_singletons=False)

    res = fit(data[x].to_numpy(float))
    if x in res.collinear:
        raise EstimationError(f"{x} is collinear with the fixed effects {list(fe)}")
    out = {
        **crv1_summary(float(res.params[x]), float(res.bse[x]), g),
        "p_wild": float("nan"),
        "n_boot": 0,
        "p_ri": float("nan"),
        "n_perm": 0,
        "perm_enumerated": False,
        "converged": bool(res.converged),
    }
    if ri and g >= 2:
        if res.nobs != len(df):
            raise EstimationError("PPML RI needs every row in the fit; fepois dropped "
                                  f"{res.n_dropped}")
        paths = x_paths(panel, df, x)
        tcodes, _ = inf.group_codes(df["month"])
        perms, enumerated, n_distinct = inf.assignments(paths, 5040, 999, seed)
        tstats = np.empty(len(perms))
        for i, perm in enumerate(inf.progress_bar(perms, len(perms), "PPML RI", progress)):
            r = fit(paths[np.asarray(perm)[groups], tcodes]) if i > 0 else res
            tstats[i] = abs(r.params[x] / r.bse[x])
        p = float(np.mean(tstats >= tstats[0] - 1e-10 * max(1.0, tstats[0])))
        out.update({"p_ri": p, "n_perm": len(perms), "perm_enumerated": enumerated,
                    "n_assignments": n_distinct, "min_p": max(1 / n_distinct, 1 / len(perms))})  # fmt: skip
        notes.append(
            f"PPML RI over {len(perms)} {'distinct assignments' if enumerated else 'sampled permutations'}"
            f" of origin tariff paths (G={g}; {n_distinct} distinct assignments)"
        )
    out.update(
        {
            "n_obs": int(res.nobs),
            "n_clusters": g,
            "clusters": labels.tolist(),
            "sample_start": df["month"].min().strftime("%Y-%m"),
            "sample_end": df["month"].max().strftime("%Y-%m"),
            "data_source": str(df["data_source"].iloc[0]) if "data_source" in df else "unknown",
            "outcome": outcome,
            "regressor": x,
            "fe": list(fe),
            "covariates": list(covariates),
            "spec": f"PPML (fepois) {outcome} ~ {x} | FE: {', '.join(fe)} (absorbed); CRV1 by "
                    "origin",
            "n_dropped": n_dropped(counts, res),
            "notes": notes,
        }
    )
    return Estimate(to_jsonable(out), fit=res)
