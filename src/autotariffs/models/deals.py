"""Korea around both tariff shocks, by destination (issue 14, item 4).

Data: Korea Customs Service exports of HS 8703 by destination (flows source ``kcs_kor_exp_m``,
Korea-reported, FOB value in USD, monthly 2025-01..2026-06, no quantities, no 2023-24 history).
The treated destination is the US; the controls are Canada, Germany, Australia and Saudi Arabia
(Korea's WORLD total is excluded: it contains the US).

Two US tariff changes on Korean cars fall in the window:

1. **the step** 0 -> 25% on 2025-04-03 (Section 232; KORUS had cars duty-free). Only three
   months precede it in this file (2025-01..03), so its pre-period is very short: no pre-trend can
   be tested and the step estimate rests on three months.
2. **the cut** 25 -> 15% from 2025-11-01 (the US-Korea deal, retroactive, published 2025-12-04).
   Census collected 25% on November entries and refunded later (Budget Lab note), so part of the
   cut reached exporters only with a delay.

Designs

* :func:`event_study`: ``ln v_dt = sum_{m != ref} b_m 1[d = US, t = m] + a_d + l_t + e_dt`` with
  destination and month fixed effects (:func:`autotariffs.models.fe.feols`), reference month
  2025-03 (the last month before the step), both events marked. With one treated destination the
  b_m equal the US-minus-controls gap relative to the reference month; their "iid" standard
  errors rest on the controls' residual variance and are descriptive only.
* :func:`deal_cut`: the response to the cut as its own estimate, difference in differences of the
  US-minus-mean-of-controls gap over **2025-05..2026-06** (pre 2025-05..10 at 25%, post
  2025-11..2026-06 at 15%). The window starts in May so that the first step's transition (April:
  the duty began on the 3rd and cars already at sea were caught) is in neither period; before
  that the regime was different, so including 2025-01..03 in the "pre" period would mix the step
  into the cut. Inference valid for a single treated destination comes from
  :mod:`autotariffs.models.one_treated`: conformal inference (Chernozhukov, Wuthrich & Zhu 2021)
  and in-time placebos. With 14 months the conformal p-value cannot fall below 1/14 = 0.071 and
  only a few in-time placebos fit into six pre months: the real-data test cannot reject at 5%
  by construction, which the results say.
* :func:`implied_elasticities`: step response / Delta ln(1 + tau) for each shock (a *value*
  elasticity of FOB export value: no quantities), and whether the two shocks give the same sign.

Caveats: KCS values are FOB at Korean customs and leave about one month before US entry, so
October exports largely entered after 1 November; exporters knew of the deal from July 2025, so
anticipation (holding shipments until the lower rate) would bias the cut estimate upwards; the
controls are other export markets of the same Korean producers, so a diversion of cars from the
US to them would make the gap overstate the US response (SUTVA). No seasonality can be removed
(no history): destination and month fixed effects only.

Japan: its mirror (Comtrade Japan exports to USA) ends in 2025-09 and the Japan deal started on
2025-09-16, so only half a month of the new regime is observed, which cannot identify anything;
see :func:`japan_deal_coverage`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.models.fe import feols
from autotariffs.panel.build import MIRROR_SOURCE

SOURCE = "kcs_kor_exp_m"
TREATED = "USA"
CONTROLS: tuple[str, ...] = ("CAN", "DEU", "AUS", "SAU")
START, END = "2025-01", "2026-06"
STEP = pd.Timestamp(design.TARIFF.date)
CUT = pd.Timestamp(design.deal_date("KOR"))
#: events marked on the event-study figure (date -> label, with the Korean rates)
DEAL_EVENTS = {design.TARIFF.date: "S232 25% (0 -> 25)",
               design.deal_date("KOR"): "Korea deal (25 -> 15, retro.)"}
#: statutory all-in US rates on Korean cars (event table KR-02/KR-10/KR-30-CAR), percent
RATE_BEFORE, RATE_STEP, RATE_CUT = 0.0, 25.0, 15.0
REF_MONTH = "2025-03"
CUT_WINDOW_START = "2025-05"
STEP_POST = ("2025-05", "2025-10")  # post window of the step: full months at 25%


def _ot(ot: ModuleType | None) -> ModuleType:
    """The one-treated-unit inference module (:mod:`autotariffs.models.one_treated`)."""
    return ot if ot is not None else importlib.import_module("autotariffs.models.one_treated")


def _ms(m: str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(m).to_period("M").to_timestamp()


def destination_wide(
    flows: pd.DataFrame,
    destinations: Sequence[str] = (TREATED, *CONTROLS),
    start: str = START,
    end: str = END,
    source: str = SOURCE,
) -> pd.DataFrame:
    """ln(FOB export value, USD) of Korea's HS 8703 exports by destination: index = month
    (month start, sorted), columns = destinations (ISO-3). WORLD ('WLD') is refused: it contains
    the US and the controls. Missing or zero values stay NaN (never filled)."""
    if "WLD" in destinations:
        raise ValueError("WLD (Korea's total exports) contains every destination: exclude it")
    f = flows[(flows["source"] == source) & flows["partner"].isin(list(destinations))]
    if f.empty:
        raise ValueError(f"no flows of source {source!r} for {list(destinations)}")
    if set(f["reporter"]) != {"KOR"} or set(f["flow"]) != {"export"}:
        raise ValueError(f"source {source!r} must hold Korea-reported exports only")
    w = f.pivot(index="month", columns="partner", values="value_usd")
    idx = pd.date_range(_ms(start), _ms(end), freq="MS")
    w = w.reindex(index=idx, columns=list(destinations))
    w = np.log(w.where(w > 0))
    w.index.name = "month"
    w.columns.name = "destination"
    return w


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    d = wide.stack(future_stack=True).rename("y").reset_index()
    d.columns = ["month", "destination", "y"]
    return d


def event_study(
    wide: pd.DataFrame,
    treated: str = TREATED,
    controls: Sequence[str] = CONTROLS,
    ref: str = REF_MONTH,
    events: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Event study of the treated destination against the controls over the whole window.

    Destination and month fixed effects; one coefficient per month except ``ref``. Returns
    ``month, coef, se_iid, ci95_low, ci95_high, is_ref, event`` (``event`` labels the month in
    which an event of ``events`` falls, default :data:`DEAL_EVENTS`). ``attrs`` hold n_obs, the
    reference month and a note on inference (iid SEs from the controls' residuals: descriptive).
    """
    events = DEAL_EVENTS if events is None else events
    w = wide[[treated, *controls]]
    d = _long(w)
    months = list(w.index)
    ref_m = _ms(ref)
    if ref_m not in months:
        raise ValueError(f"reference month {ref} not in the window")
    names = []
    for m in months:
        if m == ref_m:
            continue
        n = f"us_{m:%Y_%m}"
        d[n] = ((d["destination"] == treated) & (d["month"] == m)).astype(float)
        names.append(n)
    d["month_fe"] = d["month"].dt.strftime("%Y-%m")
    res = feols(d, "y", names, ["destination", "month_fe"], vcov="iid")
    coef = res.params.reindex(names)
    se = res.bse.reindex(names)
    from scipy import stats

    crit = stats.t.ppf(0.975, res.df_t) if res.df_t > 0 else np.nan
    out = pd.DataFrame({"month": months})
    out["coef"] = [0.0 if m == ref_m else coef[f"us_{m:%Y_%m}"] for m in months]
    out["se_iid"] = [0.0 if m == ref_m else se[f"us_{m:%Y_%m}"] for m in months]
    out["ci95_low"] = out["coef"] - crit * out["se_iid"]
    out["ci95_high"] = out["coef"] + crit * out["se_iid"]
    out["is_ref"] = out["month"] == ref_m
    ev = {_ms(k): v for k, v in events.items()}
    out["event"] = out["month"].map(ev).fillna("")
    out.attrs.update(n_obs=int(res.nobs), ref=f"{ref_m:%Y-%m}", treated=treated,
                     controls=list(controls),
                     note="coefficients = (treated - mean of controls) gap relative to the "
                          "reference month; iid SEs use the controls' residual variance and are "
                          "descriptive with one treated destination")  # fmt: skip
    return out


def deal_cut(
    wide: pd.DataFrame,
    treated: str = TREATED,
    controls: Sequence[str] = CONTROLS,
    event: str = "2025-11",
    window_start: str = CUT_WINDOW_START,
    end: str | None = None,
    donut: int = 0,
    placebo_post_len: int = 3,
    placebo_min_pre: int = 2,
    alpha: float = 0.05,
    ci: bool = True,
    placebos: bool = True,
    ot: ModuleType | None = None,
) -> dict:
    """Response of the treated destination to the 25 -> 15% cut: DiD of the gap over the window
    after the first shock, with one-treated-unit inference.

    The frame is restricted to ``window_start``..``end`` (so the first step and its transition
    month are outside both periods); ``did`` gives the estimate, ``conformal`` (model 'did',
    moving-block permutations in time) the p-value of theta = 0 and its test-inversion 95% CI,
    ``in_time_placebos`` the rank of the actual estimate among fake cuts of ``placebo_post_len``
    months inside the pre-period (``placebos=False`` skips them: NaN, e.g. in simulations).
    Returns a flat dict (keys of results.json ``KOR.deal_cut.*``):
    coef, p_conformal, n_perm, min_p_conformal, ci95_low, ci95_high, p_placebo, n_placebos,
    min_p_placebo, placebo_actual (the fake-length estimate), n_pre, n_post, pre_months,
    post_months, window, event, controls, notes.
    """
    ot = _ot(ot)
    lo = _ms(window_start)
    hi = _ms(end) if end is not None else wide.index.max()
    w = wide.loc[(wide.index >= lo) & (wide.index <= hi), [treated, *controls]]
    kw = dict(donut=donut, pre_start=f"{lo:%Y-%m}")
    d = ot.did(w, treated, list(controls), event, **kw)
    # 14 months after the first step: T permutations cannot reach 5% (reported, not hidden)
    c = ot.conformal(w, treated, list(controls), event, model="did", alpha=alpha, ci=ci,
                     min_pre=3, allow_coarse=True, **kw)
    pl = {"p": np.nan, "n_placebos": 0, "min_p": np.nan, "actual": np.nan, "placebos": {}}
    if placebos:
        try:
            pl = ot.in_time_placebos(w, treated, list(controls), event, placebo_post_len,
                                     min_pre=placebo_min_pre, **kw)
        except ValueError as exc:  # too few pre months for any placebo
            pl = {**pl, "error": str(exc)}
    notes = [
        f"window {lo:%Y-%m}..{hi:%Y-%m}: after the 2025-04 step's transition month",
        f"conformal p cannot fall below {c.get('min_p', np.nan):.3f} "
        f"({c.get('n_perm')} time permutations)",
        f"{pl.get('n_placebos', 0)} in-time placebos of {placebo_post_len} months "
        f"(min p {pl.get('min_p', np.nan):.3f})",
        "FOB export value (no quantities); ~1 month shipping; deal known from July 2025",
    ]
    return {
        "coef": float(d["coef"]),
        "p_conformal": float(c["p"]),
        "n_perm": int(c["n_perm"]),
        "min_p_conformal": float(c["min_p"]),
        "ci95_low": float(c.get("ci95_low", np.nan)),
        "ci95_high": float(c.get("ci95_high", np.nan)),
        "p_placebo": float(pl["p"]),
        "n_placebos": int(pl["n_placebos"]),
        "min_p_placebo": float(pl["min_p"]),
        "placebo_actual": float(pl["actual"]),
        "placebo_post_len": int(placebo_post_len),
        "n_pre": int(d["n_pre"]),
        "n_post": int(d["n_post"]),
        "pre_months": list(d["pre_months"]),
        "post_months": list(d["post_months"]),
        "window": f"{lo:%Y-%m}..{hi:%Y-%m}",
        "event": f"{_ms(event):%Y-%m}",
        "donut": int(donut),
        "treated": treated,
        "controls": list(controls),
        "notes": notes,
    }


def first_step(
    wide: pd.DataFrame,
    treated: str = TREATED,
    controls: Sequence[str] = CONTROLS,
    post: tuple[str, str] = STEP_POST,
    ot: ModuleType | None = None,
) -> dict:
    """The 0 -> 25% step: DiD of the gap, pre 2025-01..03 (only three months), April excluded
    (donut: the duty began on the 3rd), post ``post`` (full months at 25%, before the cut).
    Conformal p over the 3 + 6 months (min p 1/9)."""
    ot = _ot(ot)
    w = wide.loc[wide.index <= _ms(post[1]), [treated, *controls]]
    post_len = len(pd.date_range(_ms(post[0]), _ms(post[1]), freq="MS"))
    kw = dict(post_len=post_len, donut=1)
    d = ot.did(w, treated, list(controls), post[0], **kw)
    c = ot.conformal(w, treated, list(controls), post[0], model="did", ci=False, min_pre=3,
                     allow_coarse=True, **kw)
    return {"coef": float(d["coef"]), "p_conformal": float(c["p"]), "n_perm": int(c["n_perm"]),
            "min_p_conformal": float(c["min_p"]), "n_pre": int(d["n_pre"]),
            "n_post": int(d["n_post"]), "pre_months": list(d["pre_months"]),
            "post_months": list(d["post_months"]),
            "note": "only three pre months (2025-01..03): no pre-trend test possible"}


def implied_elasticities(
    step_coef: float,
    cut_coef: float,
    rates: tuple[float, float, float] = (RATE_BEFORE, RATE_STEP, RATE_CUT),
) -> dict:
    """Value elasticity of each shock: response / Delta ln(1 + tau), and whether signs agree.

    ``rates`` = (before, after the step, after the cut) in percent. With the statutory rates
    0 -> 25 -> 15: Delta ln(1 + tau) = ln 1.25 = 0.2231 for the step and ln(1.15/1.25) = -0.0834
    for the cut. ``signs_agree`` is True when both elasticities have the same sign (a consistent
    demand response); only then is the pooled elasticity (the two responses over the two rate
    changes, weighted by the squared rate change: least squares through the origin) reported.
    """
    r0, r1, r2 = (np.log1p(r / 100.0) for r in rates)
    d1, d2 = r1 - r0, r2 - r1
    e1 = step_coef / d1 if d1 != 0 else np.nan
    e2 = cut_coef / d2 if d2 != 0 else np.nan
    agree = bool(np.isfinite(e1) and np.isfinite(e2) and np.sign(e1) == np.sign(e2)
                 and e1 != 0)  # fmt: skip
    pooled = (step_coef * d1 + cut_coef * d2) / (d1**2 + d2**2) if agree else np.nan
    return {"step_dln1p_tau": float(d1), "cut_dln1p_tau": float(d2),
            "step_elasticity": float(e1), "cut_elasticity": float(e2),
            "signs_agree": agree, "pooled_elasticity": float(pooled)}


def japan_deal_coverage(flows: pd.DataFrame, deal: str = design.deal_date("JPN"),
                        source: str = MIRROR_SOURCE) -> dict:
    """How much of Japan's deal regime its mirror (Japan-reported exports to the US) covers."""
    f = flows[(flows["source"] == source) & (flows["partner"] == "USA")]
    last = f["month"].max()
    end = last + pd.offsets.MonthEnd(0)
    days = max(0, (end - pd.Timestamp(deal)).days + 1)
    return {"last_month": f"{last:%Y-%m}", "deal_date": deal, "deal_month": deal[:7],
            "post_deal_days_observed": int(days), "identifies": bool(days >= 3 * 30),
            "note": f"Japan's mirror ends {last:%Y-%m}: {days} days after the {deal} deal, "
                    "within one month; half a month cannot identify a response"}


def deal_results(flows: pd.DataFrame, ot: ModuleType | None = None, **kw) -> dict:
    """Everything for results.json ``KOR.deal_cut`` from the flows table (nested keys).

    ``{**deal_cut, "step": first_step, "elasticity": implied_elasticities}``; the report joins
    the path with dots (``KOR.deal_cut.step.coef``), so no key here contains a dot.
    """
    wide = destination_wide(flows)
    cut = deal_cut(wide, ot=ot, **kw)
    step = first_step(wide, ot=ot)
    el = implied_elasticities(step["coef"], cut["coef"])
    from autotariffs.models.elasticity import to_jsonable  # NaN / +-inf -> None for JSON

    return to_jsonable({**cut, "step": step, "elasticity": el})


def after_deals(flows: pd.DataFrame, origin: str) -> dict:
    """What the data show after the origin's deal, as blocks of its results.json entry.

    Korea, when Korea's customs exports by destination are in the flows: ``{"deal_cut":
    deal_results(flows)}``; Japan, when its mirror (Japan-reported exports) is:
    ``{"deal_coverage": japan_deal_coverage(flows)}``; otherwise ``{}`` (no origin's data reach
    past its deal).
    """
    sources = set(flows["source"])
    if origin == "KOR" and SOURCE in sources:
        return {"deal_cut": deal_results(flows)}
    if origin == "JPN" and MIRROR_SOURCE in sources:
        return {"deal_coverage": japan_deal_coverage(flows)}
    return {}


def after_deals_table(after: dict) -> pd.DataFrame:
    """The scalar entries of each block of :func:`after_deals`, one column per block (to show)."""
    return pd.DataFrame({name: {k: v for k, v in block.items() if not isinstance(v, dict | list)}
                         for name, block in after.items()})
