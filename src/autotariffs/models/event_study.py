"""Event study around the Section 232 auto tariff (2025-04-03) for one treated origin vs controls.

``y_ot = sum_{k != -1} b_k 1[o = treated, t = E + k] + a_o + m_t + s_{o,moy(t)} + e_ot``

E = 2025-04 (the duty started on 3 April, so April is k = 0). Leads k = -leads..-2, reference
k = -1; months before -leads stay in the base period, which is what identifies the treated
origin's own seasonality (origin x month-of-year). Controls default to MEX and CAN: they were
*partly* treated too (25% on non-US content), so b_k is the effect relative to USMCA origins, a
lower bound in absolute value if the USMCA duty also reduced their imports.

Inference per coefficient: CRV1 by origin with t(G-1), and the WCR wild bootstrap (other event
dummies treated as nuisance). With one treated origin and two controls G = 3: the bootstrap is
flagged uninformative and the CRV1 matrix has rank <= G-1 = 2, so a joint CRV1 Wald test of more
than two leads does not exist; the pre-trend test therefore reports an HC1 Wald (ignores
within-origin correlation: optimistic), the CRV1 Wald only when its rank allows, and the CRV1
t-test of the *average* lead (one restriction, always feasible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from autotariffs import design
from autotariffs.models import inference as inf
from autotariffs.models.elasticity import (
    FE_LEVELS,
    SSC_DUMMY,
    EstimationError,
    fe_frame,
    n_dropped,
    select_sample_counted,
    to_jsonable,
)
from autotariffs.models.fe import FEResult, feols

EVENT_MONTH = design.TARIFF.month


@dataclass
class EventStudy:
    """Tidy coefficients (k, month, coef, se, ci_low, ci_high, p_crv1, p_wild) + pre-trend test.

    ``fit`` is the feols result (absorbed FE, CRV1 by origin) the table was built from;
    ``tidy()`` is its coefficient table. ``meta["n_dropped"]`` counts the rows not used.
    """

    table: pd.DataFrame
    pretrend: dict
    meta: dict = field(default_factory=dict)
    fit: FEResult | None = None

    def tidy(self, alpha: float = design.ALPHA) -> pd.DataFrame:
        if self.fit is None:
            raise ValueError("this event study has no fit attached")
        return self.fit.tidy(alpha)

    def to_dict(self) -> dict:
        tab = self.table.assign(month=self.table["month"].dt.strftime("%Y-%m"))
        return to_jsonable(
            {"coefficients": tab.to_dict("records"), "pretrend": self.pretrend, **self.meta}
        )


def _k(month: pd.Series) -> pd.Series:
    return (month.dt.year - EVENT_MONTH.year) * 12 + month.dt.month - EVENT_MONTH.month


def event_study(
    panel: pd.DataFrame,
    origin: str,
    controls: Sequence[str] = design.CONTROLS,
    outcome: str = "ln_q",
    leads: int = design.LEADS,
    n_boot: int = design.N_BOOT,
    seed: int = design.SEED,
    wild: bool = True,
    progress: bool = True,
    drop_qty_estimated: bool = True,
) -> EventStudy:
    """Dynamic effects for ``origin`` vs ``controls`` around the tariff month; the notes say
    whether the sample reaches the deal that concerns the origin (``design.deal_for``)."""
    if origin in controls:
        raise EstimationError(f"origin {origin} is also listed among controls {list(controls)}")
    if leads < 2:
        raise EstimationError(f"leads={leads}: need at least 2 (k=-1 is the reference)")
    df, notes, counts = select_sample_counted(
        panel, [outcome], origin=origin, controls=controls,
        drop_qty_estimated=drop_qty_estimated,
    )  # fmt: skip
    df = df.assign(k=_k(df["month"]))
    is_t = (df["origin"] == origin).to_numpy()
    kmax = int(df.loc[is_t, "k"].max())
    kmin_obs = int(df.loc[is_t, "k"].min())
    if kmax < 0:
        raise EstimationError(f"no post-event months for {origin}: sample ends before "
                              f"{EVENT_MONTH:%Y-%m}")
    if kmin_obs > -leads - 12:
        notes.append(
            f"only {-kmin_obs - leads} pre-period months before k=-{leads} identify {origin}'s "
            "seasonality"
        )
    ks = [k for k in range(-leads, kmax + 1) if k != -1]
    ev = pd.DataFrame(
        {f"ev[{k}]": (is_t & (df["k"] == k).to_numpy()).astype(float) for k in ks},
        index=df.index,
    )
    empty = [c for c in ev.columns if ev[c].sum() == 0]
    if empty:
        raise EstimationError(f"event dummies with no treated observation: {empty}")
    fe_df, fe_cols = fe_frame(df, FE_LEVELS)
    names = list(ev.columns)
    data = pd.concat([df[[outcome, "origin"]], ev, fe_df], axis=1)
    groups, labels = inf.group_codes(df["origin"])
    g = len(labels)
    common = {"drop_singletons": False, "ssc": SSC_DUMMY}
    res = feols(data, outcome, names, fe_cols, cluster="origin", vcov="CRV1", **common)
    res_hc1 = feols(data, outcome, names, fe_cols, vcov="HC1", **common)
    if res.collinear:
        raise EstimationError(f"event dummies {res.collinear} are collinear with the fixed effects")
    q = stats.t.ppf(0.975, g - 1)
    rows = []
    # Nuisance space for coefficient k = span[FE, other event dummies]: the FWL problem absorbs
    # the FE and treats the other event dummies as covariates; k = the fit's K (same for all).
    codes = [pd.factorize(data[c], sort=True)[0].astype(np.int64) for c in fe_cols]
    evm = ev.to_numpy()
    y_arr = data[outcome].to_numpy(float)
    for i, k in enumerate(ks):
        name = f"ev[{k}]"
        b, se = float(res.params[name]), float(res.bse[name])
        p_wild = float("nan")
        if wild and g >= 2:
            prob = inf.fwl_absorbed(y_arr, evm[:, i], codes, df["origin"],
                                    covariates=np.delete(evm, i, axis=1), k=res.df_k)
            p_wild = inf.wild_cluster_bootstrap(
                prob, None, None, None, n_boot=n_boot, seed=seed, ci=False, progress=False
            )["p_wild"]
        rows.append(
            {
                "k": k,
                "month": EVENT_MONTH + pd.DateOffset(months=k),
                "coef": b,
                "se": se,
                "ci_low": b - q * se,
                "ci_high": b + q * se,
                "p_crv1": float(2 * stats.t.sf(abs(b / se), g - 1)) if se > 0 else float("nan"),
                "p_wild": p_wild,
            }
        )
    # reference period row, so plots show the normalisation explicitly
    rows.append({"k": -1, "month": EVENT_MONTH - pd.DateOffset(months=1), "coef": 0.0,
                 "se": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_crv1": float("nan"),
                 "p_wild": float("nan")})  # fmt: skip
    table = pd.DataFrame(rows).sort_values("k").reset_index(drop=True)
    table["n_clusters"] = g

    lead_names = [f"ev[{k}]" for k in ks if k < -1]
    bl = res.params[lead_names].to_numpy()
    v_crv = res.vcov.loc[lead_names, lead_names].to_numpy()
    v_hc1 = res_hc1.vcov.loc[lead_names, lead_names].to_numpy()
    nq = len(lead_names)
    rank = int(np.linalg.matrix_rank(v_crv))
    w_hc1 = float(bl @ np.linalg.solve(v_hc1, bl))
    a = np.full(nq, 1.0 / nq)
    se_mean = float(np.sqrt(a @ v_crv @ a))
    pretrend = {
        "n_leads": nq,
        "wald_hc1": w_hc1,
        "p_hc1": float(stats.f.sf(w_hc1 / nq, nq, res.df_resid)),
        "crv1_rank": rank,
        "wald_crv1": float("nan"),
        "p_crv1": float("nan"),
        "mean_lead": float(bl.mean()),
        "mean_lead_se_crv1": se_mean,
        "mean_lead_p_crv1": float(2 * stats.t.sf(abs(bl.mean() / se_mean), g - 1)),
        "n_clusters": g,
        "note": "",
    }
    if rank >= nq:
        w = float(bl @ np.linalg.solve(v_crv, bl))
        pretrend["wald_crv1"] = w
        pretrend["p_crv1"] = float(stats.f.sf(w / nq, nq, g - 1))
    else:
        pretrend["note"] = (
            f"joint CRV1 Wald infeasible: {nq} leads but the cluster covariance has rank {rank} "
            f"(G={g}); HC1 Wald ignores within-origin serial correlation (optimistic); the "
            "average-lead CRV1 t-test is the honest scalar check"
        )
    if g <= 3:
        notes.append(
            f"G={g} clusters: wild bootstrap p-values are UNINFORMATIVE and a single treated "
            "origin makes WCR unreliable (MacKinnon & Webb 2017); read the CIs as descriptive"
        )
    end = df["month"].max()
    event = design.deal_for(origin)
    deal = pd.Timestamp(event.date) if event is not None else None
    if deal is not None and end >= deal.to_period("M").to_timestamp():
        notes.append(f"sample reaches {origin}'s deal date {deal.date()}: lags from "
                     f"k={int(_k(pd.Series([deal])).iloc[0])} are post-deal (15% all-in)")  # fmt: skip
    elif deal is not None:
        notes.append(
            f"{origin}'s deal date {deal.date()} is after the sample end {end:%Y-%m}: "
            "not in the data, no post-deal effects estimated"
        )
    meta = {
        "origin": origin,
        "controls": list(controls),
        "outcome": outcome,
        "leads": leads,
        "lags": kmax,
        "event_month": f"{EVENT_MONTH:%Y-%m}",
        "n_obs": int(res.nobs),
        "n_dropped": n_dropped(counts, res),
        "n_clusters": g,
        "n_boot": int(min(6**g, n_boot)) if wild else 0,
        "sample_start": df["month"].min().strftime("%Y-%m"),
        "sample_end": end.strftime("%Y-%m"),
        "data_source": str(df["data_source"].iloc[0]) if "data_source" in df else "unknown",
        "spec": (
            f"OLS {outcome} ~ event dummies k=-{leads}..{kmax} (ref k=-1) | FE: origin, month, "
            "origin x moy (absorbed); CRV1 by origin, t(G-1); WCR wild bootstrap per coefficient"
        ),
        "notes": notes,
    }
    return EventStudy(table=table, pretrend=to_jsonable(pretrend), meta=to_jsonable(meta), fit=res)
