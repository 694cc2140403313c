"""Reduced form first: how one treated origin's imports moved against the comparison origins.

Why this module is the headline. The per-origin design has ONE treated origin (KOR or JPN) and
two comparison origins (MEX, CAN) whose tariff paths are identical. Two things follow:

* Any ratio "elasticity = response / tariff change" divides by a tariff *gap* that depends on
  how exposed the comparison origins were (the USMCA non-US content share, an assumption; the
  observed USMCA claim shares). The response itself, the reduced form, does not: it is the change
  in the treated origin's log outcome relative to the comparison origins, after the tariff
  against before the announcement. So we report the reduced form first and the ratios only as a
  sensitivity curve over the exposure (:func:`sensitivity`).
* Cluster-robust standard errors and the wild cluster bootstrap are not valid with one treated
  cluster (Conley & Taber 2011; MacKinnon & Webb 2017, 2018). Inference here is built for one
  treated unit: conformal inference on the counterfactual (Chernozhukov, Wuthrich & Zhu 2021)
  and in-time placebos (:mod:`autotariffs.models.one_treated`).

Windows (all from the study design, overridable by parameters): the duty applies from the event
month (2025-04, in force 2025-04-03); the announcement month (2025-03, announced 2025-03-26) is a
donut, excluded from both sides because imports were front-loaded in it; the baseline is every
pre-announcement month from ``pre_start``; the gap's month-of-year pattern is estimated on the
baseline and removed (``seasonal=True``), so April-July 2025 is compared with the same calendar
months before. The cumulative March-July change (announcement month included) is reported beside
it. Quantity-based outcomes (ln q, ln uv) skip 2022, whose monthly quantities are Comtrade
estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from autotariffs.models import one_treated as ot
from autotariffs.outputs import Text

OUTCOMES: dict[str, str] = {
    "ln_q": "log vehicles",
    "ln_v": "log customs value",
    "ln_uv": "log ex-tariff unit value",
}
QTY_BASED = ("ln_q", "ln_uv")


def _month(m) -> pd.Timestamp:
    return pd.Timestamp(str(m)[:7] + "-01")


def _ym(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m")


def wide(panel: pd.DataFrame, outcome: str, units: Sequence[str],
         drop_qty_estimated: bool = True) -> pd.DataFrame:
    """Month x origin frame of ``outcome`` (2022 quantity-based values set missing)."""
    df = panel[panel["origin"].isin(list(units))]
    vals = df[outcome].astype(float)
    if drop_qty_estimated and outcome in QTY_BASED and "qty_estimated_2022" in df.columns:
        vals = vals.where(~df["qty_estimated_2022"].astype(bool))
    w = (df.assign(_v=vals).pivot(index="month", columns="origin", values="_v")
         .sort_index().reindex(columns=list(units)))
    return w


def windows(event_month: str, donut: int, pre_start: str, end: str,
            post_len: int | None = None) -> dict[str, str]:
    """The four month boundaries of the design, as 'YYYY-MM' strings (for text and tests)."""
    ev = _month(event_month)
    last = _month(end)
    post_end = last if post_len is None else min(last, ev + pd.DateOffset(months=post_len - 1))
    pre_end = ev - pd.DateOffset(months=donut + 1)
    out = {"pre_start": _ym(_month(pre_start)), "pre_end": _ym(pre_end),
           "post_start": _ym(ev), "post_end": _ym(post_end)}
    if donut:
        out["donut_start"] = _ym(ev - pd.DateOffset(months=donut))
        out["donut_end"] = _ym(ev - pd.DateOffset(months=1))
    return out


def _n_post(event_month: str, end: str) -> int:
    ev, last = _month(event_month), _month(end)
    return (last.year - ev.year) * 12 + last.month - ev.month + 1


def reduced_form(panel: pd.DataFrame, origin: str, controls: Sequence[str], event_month: str,
                 end: str, donut: int = 1, pre_start: str = "2021-01", seasonal: bool = True,
                 min_pre: int = 12, outcomes: Sequence[str] = tuple(OUTCOMES),
                 sarimax: bool = True) -> dict:
    """Per outcome: the DiD of the origin-minus-controls gap, conformal and placebo inference.

    Returns ``{outcome: {coef, ci95_low, ci95_high, p_conformal, n_perm_conformal,
    p_conformal_ts, p_placebo, n_placebos, min_p_placebo, n_pre, n_post, windows, label,
    by_month, placebos}, "cumulative": {outcome: {...}}}``. ``coef`` is in log points (x 100 ~
    percent); ``ci95_*`` and ``p_conformal`` come from conformal inference with the
    difference-in-differences counterfactual; ``p_conformal_ts`` from the origin's own seasonal
    time-series counterfactual; ``p_placebo`` is the rank of the estimate among in-time placebos.
    """
    units = [origin, *controls]
    post_len = _n_post(event_month, end)
    out: dict = {}
    cum: dict = {}
    for y in outcomes:
        w = wide(panel, y, units)
        w = w[(w.index >= _month(pre_start)) & (w.index <= _month(end))]
        kw = {"event": event_month, "post_len": post_len, "donut": donut,
              "pre_start": pre_start, "seasonal": seasonal}
        d = ot.did(w, origin, list(controls), **kw)
        c = ot.conformal(w, origin, list(controls), model="did", **kw)
        pl = ot.in_time_placebos(w, origin, list(controls), min_pre=min_pre, **kw)
        ts = (ot.conformal(w, origin, list(controls), model="sarimax", ci=False, **kw)
              if sarimax else {"p": float("nan"), "n_perm": 0})
        out[y] = {
            "label": OUTCOMES.get(y, y),
            "coef": float(d["coef"]),
            "pct": float(100 * np.expm1(d["coef"])),
            "ci95_low": float(c["ci95_low"]),
            "ci95_high": float(c["ci95_high"]),
            "p_conformal": float(c["p"]),
            "n_perm_conformal": int(c["n_perm"]),
            "min_p_conformal": float(c["min_p"]),
            "p_conformal_ts": float(ts["p"]),
            "p_placebo": float(pl["p"]),
            "n_placebos": int(pl["n_placebos"]),
            "min_p_placebo": float(pl["min_p"]),
            "n_pre": int(d["n_pre"]),
            "n_post": int(d["n_post"]),
            "n_dropped_missing": int(d.get("n_dropped_missing", 0)),
            "pre_months": [d["pre_months"][0], d["pre_months"][-1]],
            "post_months": [d["post_months"][0], d["post_months"][-1]],
            "by_month": {k: float(v) for k, v in d["by_month"].items()},
            "placebos": {k: float(v) for k, v in pl["placebos"].items()},
        }
        # cumulative change including the announcement month (no donut)
        ann = _ym(_month(event_month) - pd.DateOffset(months=donut))
        kc = {"event": ann, "post_len": _n_post(ann, end), "donut": 0, "pre_start": pre_start,
              "seasonal": seasonal}
        dc = ot.did(w, origin, list(controls), **kc)
        cc = ot.conformal(w, origin, list(controls), model="did", **kc)
        cum[y] = {"coef": float(dc["coef"]), "announcement_gap": float(dc["by_month"][ann]),
                  "ci95_low": float(cc["ci95_low"]),
                  "ci95_high": float(cc["ci95_high"]), "p_conformal": float(cc["p"]),
                  "post_months": [dc["post_months"][0], dc["post_months"][-1]]}
    out["cumulative"] = cum
    out["design"] = {
        "origin": origin, "controls": list(controls), "event_month": _ym(_month(event_month)),
        "donut": donut, "seasonal": seasonal, "min_pre": min_pre,
        **windows(event_month, donut, pre_start, end, post_len),
    }
    return out


def tariff_change(panel: pd.DataFrame, origin: str, d: Mapping) -> float:
    """Post-minus-pre mean of ln(1+tau) of ``origin`` over the reduced form's own windows."""
    s = panel[panel["origin"] == origin].set_index("month")["ln1p_tau"].astype(float)
    pre = s[(s.index >= _month(d["pre_start"])) & (s.index <= _month(d["pre_end"]))]
    post = s[(s.index >= _month(d["post_start"])) & (s.index <= _month(d["post_end"]))]
    return float(post.mean() - pre.mean())


def control_change(full_rate: pd.DataFrame, controls: Sequence[str], share: float,
                   d: Mapping, claims: pd.DataFrame | None = None, mfn: float = 0.025) -> float:
    """Mean over controls of the post-minus-pre change of ln(1+tau) at content share ``share``.

    ``full_rate``: month x origin, the control's statutory duty (fraction) if the whole value of
    its cars were dutiable (non-US content share 1). A USMCA-claimed car pays ``share`` of it;
    with observed ``claims`` (month x origin claim share), non-claimed cars pay the full duty
    plus MFN on full value during the tariff window (the claim share of pre months is irrelevant
    because the pre duty is zero either way).
    """
    vals = []
    for c in controls:
        r = full_rate[c].astype(float)
        tau = share * r
        if claims is not None and c in claims.columns:
            cl = claims[c].reindex(r.index)
            non = np.where(r > 0, r + mfn, 0.0)
            tau = pd.Series(np.where(cl.notna(), cl * share * r + (1 - cl) * non, share * r),
                            index=r.index)
        lt = np.log1p(tau)
        pre = lt[(lt.index >= _month(d["pre_start"])) & (lt.index <= _month(d["pre_end"]))]
        post = lt[(lt.index >= _month(d["post_start"])) & (lt.index <= _month(d["post_end"]))]
        vals.append(float(post.mean() - pre.mean()))
    return float(np.mean(vals))


def sensitivity(rf: Mapping, panel: pd.DataFrame, full_rate: pd.DataFrame,
                shares: Sequence[float] = tuple(np.round(np.linspace(0, 1, 11), 2)),
                claims: pd.DataFrame | None = None, min_gap: float = 0.02) -> dict:
    """Elasticity and pass-through as functions of the comparison origins' exposure.

    For each non-US content share s, the tariff gap is the treated origin's change in ln(1+tau)
    minus the controls' (:func:`tariff_change`, :func:`control_change`); the elasticity of
    vehicles and of value and the ex-tariff price response gamma are the reduced forms divided by
    that gap, with the conformal interval divided the same way (the gap is a known number, not an
    estimate). Where |gap| < ``min_gap`` the ratio is not identified and is left out (None).
    gamma convention: 0 = buyers pay all of the duty (complete pass-through), -1 = exporters
    absorb all of it.
    """
    d = rf["design"]
    origin, controls = d["origin"], d["controls"]
    dtau = tariff_change(panel, origin, d)

    def ratios(gap: float) -> dict:
        row: dict = {"tariff_gap": gap}
        for key, y in (("elasticity_q", "ln_q"), ("elasticity_v", "ln_v"), ("gamma", "ln_uv")):
            r = rf.get(y)
            if r is None or abs(gap) < min_gap:
                row[key] = row[f"{key}_ci95_low"] = row[f"{key}_ci95_high"] = None
                continue
            lo, hi = sorted((r["ci95_low"] / gap, r["ci95_high"] / gap))
            row[key], row[f"{key}_ci95_low"], row[f"{key}_ci95_high"] = r["coef"] / gap, lo, hi
        return row

    curve = []
    for s in shares:
        row = {"content_share": float(s), **ratios(dtau - control_change(full_rate, controls,
                                                                          s, d))}
        curve.append(row)
    out = {"origin_tariff_change": dtau, "curve": curve, "min_gap": min_gap,
           "note": ("ratio = reduced form / (origin's change in ln(1+tau) - controls' change at "
                    "non-US content share s); left out where |gap| < min_gap")}
    if claims is not None:
        out["observed_claims"] = [
            {"content_share": float(s),
             **ratios(dtau - control_change(full_rate, controls, s, d, claims=claims))}
            for s in shares]
    return out


def full_exposure_rates(controls: Sequence[str], product: str = "8703") -> pd.DataFrame:
    """Month x control origin: statutory duty (fraction) at non-US content share 1.

    Built from the tariff events table (the same code as step 02) with the content share set to
    1, so that :func:`control_change` can scale it to any share s (the controls' Section 232 duty
    applies to the non-US content only, so it is linear in s; checked in the tests).
    """
    from autotariffs.tariffs import schedule as tariffs

    m = tariffs.monthly_schedule(tariffs.daily_schedule(tariffs.load_events(),
                                                        usmca_nonus_share=1.0))
    m = m[m["product"].astype(str) == product]
    w = m.pivot(index="month", columns="origin", values="rate_pct") / 100.0
    return w.reindex(columns=list(controls)).sort_index()


def placebo_result(rf: Mapping, outcome: str) -> dict:
    """The in-time placebo result of ``outcome`` in the shape of ``one_treated.in_time_placebos``."""
    e = rf[outcome]
    return {"actual": e["coef"], "placebos": e["placebos"], "p": e["p_placebo"],
            "n_placebos": e["n_placebos"], "min_p": e["min_p_placebo"]}


def _p3(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def headline_table(rf: Mapping) -> pd.DataFrame:
    """One row per outcome with plain column labels, for the report's headline table."""
    rows = []
    for y in OUTCOMES:
        e = rf.get(y)
        if not e:
            continue
        rows.append({
            "outcome": e["label"], "estimate (log points)": e["coef"], "change (%)": e["pct"],
            "95% interval (conformal)": f"[{e['ci95_low']:+.3f}, {e['ci95_high']:+.3f}]",
            "p (conformal, DiD)": _p3(e["p_conformal"]),
            "p (conformal, time series)": _p3(e["p_conformal_ts"]),
            "p (in-time placebos)": _p3(e["p_placebo"]),
            "placebos": e["n_placebos"], "smallest attainable p (placebos)": _p3(
                e["min_p_placebo"]),
            "baseline months": e["n_pre"], "post months": e["n_post"],
        })
    return pd.DataFrame(rows)


def _design_text(d: Mapping) -> str:
    donut = (f"; {d['donut_start']}" + ("" if d["donut_end"] == d["donut_start"]
                                         else f" to {d['donut_end']}") + " left out"
             if d.get("donut") else "")
    return (f"{d['post_start']} to {d['post_end']} against the baseline {d['pre_start']} to "
            f"{d['pre_end']}{donut}")


def headline_text(rf: Mapping) -> Text:
    """Title and caption of :func:`headline_table`."""
    d = rf["design"]
    return Text(
        f"Reduced form for {d['origin']}",
        f"Change of {d['origin']} relative to the mean of {', '.join(d['controls'])}, "
        f"{_design_text(d)}; the gap's month-of-year pattern is estimated on the baseline and "
        "removed. Interval and first p-value: conformal inference (Chernozhukov, Wüthrich & "
        "Zhu 2021) with the difference-in-differences counterfactual, moving-block "
        "permutations in time; second p-value: the same with a seasonal time-series "
        "counterfactual of the origin's own gap; third: rank among in-time placebos. "
        "Quantity-based outcomes skip 2022 (Comtrade-estimated quantities).",
    )


def baseline_starts(baseline_start: str, event_month: str) -> tuple[str, ...]:
    """The baseline starts compared in :func:`baseline_sensitivity`, from the parameters.

    The headline's own start, January two years before the event, and January of the year
    before it (the last is the 12-month-difference comparison); duplicates removed, in order.
    """
    ev = _month(event_month)
    cands = [_ym(_month(baseline_start)), f"{ev.year - 2}-01", f"{ev.year - 1}-01"]
    return tuple(dict.fromkeys(c for c in cands if _month(c) >= _month(baseline_start)))


def baseline_sensitivity(panel: pd.DataFrame, origin: str, controls: Sequence[str],
                         event_month: str, end: str, donut: int = 1,
                         starts: Sequence[str] | None = None,
                         seasonal: bool = True) -> list[dict]:
    """The reduced form for several baseline starts (conformal p where the baseline allows).

    Why: the origin-minus-controls gap drifts over the years (Korean and Japanese shares of US
    car imports moved with the 2021-22 chip shortage and model launches), so "against which
    months" matters. A baseline starting one year before the event is the 12-month-difference
    comparison; longer baselines average over more years. Shown beside the headline so a reader
    sees how much the answer depends on this choice.
    """
    units = [origin, *controls]
    post_len = _n_post(event_month, end)
    if starts is None:  # four years before the event, then as in baseline_starts
        starts = baseline_starts(f"{_month(event_month).year - 4}-01", event_month)
    rows = []
    for st in starts:
        row: dict = {"pre_start": st}
        for y in OUTCOMES:
            w = wide(panel, y, units)
            w = w[(w.index >= _month(st)) & (w.index <= _month(end))]
            kw = {"event": event_month, "post_len": post_len, "donut": donut, "pre_start": st,
                  "seasonal": seasonal}
            d = ot.did(w, origin, list(controls), **kw)
            try:
                p = float(ot.conformal(w, origin, list(controls), model="did", ci=False,
                                       **kw)["p"])
            except ot.InferenceError:
                p = None
            row[y] = {"coef": float(d["coef"]), "p_conformal": p, "n_pre": int(d["n_pre"])}
        rows.append(row)
    return rows
