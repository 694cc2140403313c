"""Korea around both tariff shocks, by destination: the 2025-04 step and the 2025-11 deal cut.

Korea-reported FOB exports of HS 8703 (``kcs_kor_exp_m``, 2025-01..2026-06, values only) to the
US against other export destinations. :func:`event_study` is descriptive; :func:`deal_cut` and
:func:`cut_variants` estimate the cut with one-treated-unit inference; :func:`deal_coverage` says
whether a deal's months can identify anything. Design choices and caveats: ARCHITECTURE.md,
"deals.py (the deal cut)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.design import Window
from autotariffs.models import one_treated as ot
from autotariffs.models.fe import feols

SOURCE = "kcs_kor_exp_m"
TREATED = "USA"
#: the comparison destinations of Korea's exports (the US panel's comparison origins are
#: ``design.CONTROLS``)
CONTROL_DESTINATIONS: tuple[str, ...] = ("CAN", "DEU", "AUS", "SAU")
START, END = "2025-01", "2026-06"
CUT_EVENT = design.deal_date("KOR")[:7]
#: first month that may react to the deal's announcement (announced July 2025)
ANTICIPATION = pd.Period(design.DEALS["KOR"].announced, freq="M") + 1
#: no history: no seasonality; six pre months, so placebos may use two
LEVEL = ot.Level(seasonal=False, min_pre=design.DEAL_PLACEBO_MIN_PRE)
#: events marked on the event-study figure (date -> label, with the Korean rates)
DEAL_EVENTS = {design.TARIFF.date: "S232 25% (0 -> 25)",
               design.deal_date("KOR"): "Korea deal (25 -> 15, retro.)"}
#: statutory all-in US rates on Korean cars (event table KR-02/KR-10/KR-30-CAR), percent
RATE_BEFORE, RATE_STEP, RATE_CUT = 0.0, 25.0, 15.0
REF_MONTH = "2025-03"
CUT_WINDOW_START = "2025-05"
STEP_POST = ("2025-05", "2025-10")  # post window of the step: full months at 25%


def _ms(m: str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(m).to_period("M").to_timestamp()


def destination_wide(
    flows: pd.DataFrame,
    destinations: Sequence[str] = (TREATED, *CONTROL_DESTINATIONS),
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
    controls: Sequence[str] = CONTROL_DESTINATIONS,
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


def _gap(wide: pd.DataFrame, treated: str, controls: Sequence[str],
         weights: Sequence[float] | None = None) -> ot.Gap:
    """Treated minus the (weighted) mean of the controls' logs, as a one-treated-unit gap."""
    if weights is None:
        return ot.Gap.from_wide(wide, treated, list(controls))
    w = np.asarray(weights, float) / np.sum(weights)
    ctrl = (wide[list(controls)] * w).sum(axis=1, min_count=len(controls))
    return ot.Gap.from_wide(wide.assign(_control=ctrl), treated, ["_control"])


@dataclass(frozen=True)
class CutEstimate:
    """The cut's DiD on one set of controls, with its conformal test."""

    name: str
    controls: tuple[str, ...]
    window: Window
    estimate: ot.Estimate
    test: ot.ConformalTest

    @property
    def coef(self) -> float:
        return self.estimate.coef

    def to_dict(self) -> dict:
        return {"coef": self.coef, "controls": list(self.controls),
                "pre_months": list(self.estimate.pre_months),
                "post_months": list(self.estimate.post_months),
                "p_conformal": self.test.p, "min_p_conformal": self.test.min_p}


def cut_estimate(wide: pd.DataFrame, name: str, controls: Sequence[str], window: Window,
                 treated: str = TREATED, weights: Sequence[float] | None = None,
                 ci: bool = False, alpha: float = design.ALPHA) -> CutEstimate:
    """DiD of the gap (no seasonality: no history) over ``window``, conformal p (coarse: the
    window after the first step has 14 months, so p cannot fall below 1/14)."""
    w = wide.loc[(wide.index >= window.pre_start.to_timestamp())
                 & (wide.index <= window.post_end.to_timestamp())]
    g = _gap(w, treated, controls, weights)
    est = ot.estimate(g, LEVEL, window)
    test = ot.conformal(g, LEVEL, window, alpha=alpha, ci=ci, min_pre=3, allow_coarse=True)
    return CutEstimate(name, tuple(controls), window, est, test)


def cut_window(event: str = CUT_EVENT, window_start: str = CUT_WINDOW_START,
               end: str = END, donut: int = design.DEAL_DONUT) -> Window:
    """The cut's window: after the first step's transition month, to the end of the data."""
    return Window(event, window_start, donut, end)


@dataclass(frozen=True)
class DealCut:
    """Korea's response to the 25 -> 15% cut, its placebos, and how it moves with the controls."""

    main: CutEstimate
    placebos: ot.PlaceboSet
    variants: dict[str, CutEstimate]

    @property
    def variant_range(self) -> tuple[float, float]:
        c = [v.coef for v in self.variants.values()]
        return min(c), max(c)

    @property
    def signs_agree(self) -> bool:
        """True only if every variant has the main estimate's sign."""
        s = np.sign(self.main.coef)
        return bool(s != 0 and all(np.sign(v.coef) == s for v in self.variants.values()))

    def to_dict(self) -> dict:
        m, t, pl = self.main, self.main.test, self.placebos
        lo, hi = self.variant_range
        return {
            "coef": m.coef, "p_conformal": t.p, "n_perm": t.n_perm,
            "min_p_conformal": t.min_p, "ci95_low": ot.json_float(t.ci95_low),
            "ci95_high": ot.json_float(t.ci95_high), "p_placebo": ot.json_float(pl.p),
            "n_placebos": pl.n, "min_p_placebo": ot.json_float(pl.min_p),
            "placebo_post_len": pl.post_len, "n_pre": m.estimate.n_pre,
            "n_post": m.estimate.n_post, "pre_months": list(m.estimate.pre_months),
            "post_months": list(m.estimate.post_months),
            "window": f"{m.window.pre_start}..{m.window.post_end}",
            "event": str(m.window.event), "donut": m.window.donut, "treated": TREATED,
            "controls": list(m.controls),
            "variants": {k: v.to_dict() for k, v in self.variants.items()},
            "variant_low": lo, "variant_high": hi, "signs_agree": self.signs_agree,
            "notes": [
                f"window {m.window.pre_start}..{m.window.post_end}: after the 2025-04 step's "
                "transition month",
                f"conformal p cannot fall below {t.min_p:.3f} ({t.n_perm} time permutations)",
                f"{pl.n} in-time placebos of {pl.post_len} months",
                "FOB export value (no quantities); ~1 month shipping; deal known from July 2025",
            ],
        }


def deal_cut(wide: pd.DataFrame, controls: Sequence[str] = CONTROL_DESTINATIONS,
             window: Window | None = None,
             placebo_post_len: int = design.DEAL_PLACEBO_POST_LEN,
             placebo_min_pre: int = design.DEAL_PLACEBO_MIN_PRE, alpha: float = design.ALPHA,
             ci: bool = True) -> DealCut:
    """The cut with one-treated-unit inference, and its variants (:func:`cut_variants`).

    ``conformal`` (moving-block permutations in time) gives the p-value of theta = 0 and its
    test-inversion 95% set (the whole line: 14 months cannot reach 5%), in-time placebos the rank
    of the actual estimate among fake cuts of ``placebo_post_len`` months in the pre-period.
    """
    window = window or cut_window()
    main = cut_estimate(wide, "main", controls, window, ci=ci, alpha=alpha)
    w = wide.loc[(wide.index >= window.pre_start.to_timestamp())
                 & (wide.index <= window.post_end.to_timestamp())]
    pl = ot.placebos(_gap(w, TREATED, controls), LEVEL, window, min_pre=placebo_min_pre,
                     post_len=placebo_post_len)
    return DealCut(main, pl, cut_variants(wide, controls, window))


def rest_of_world(flows: pd.DataFrame, start: str = START, end: str = END,
                  source: str = SOURCE) -> pd.Series:
    """ln(Korea's exports to every destination but the US): WORLD minus USA, by month."""
    f = flows[(flows["source"] == source) & flows["partner"].isin(["WLD", TREATED])]
    w = f.pivot(index="month", columns="partner", values="value_usd")
    w = w.reindex(pd.date_range(_ms(start), _ms(end), freq="MS"))
    row = w["WLD"] - w[TREATED]
    return np.log(row.where(row > 0)).rename("ROW")


def cut_variants(wide: pd.DataFrame, controls: Sequence[str] = CONTROL_DESTINATIONS,
                 window: Window | None = None) -> dict[str, CutEstimate]:
    """The cut under other controls and windows, so a reader sees how much it hangs on them.

    * ``drop_<C>``: leave one control out; ``only_<C>``: one control alone;
    * ``rest_of_world``: Korea's exports to every destination but the US (WORLD - US), when
      ``wide`` has its column ``ROW`` (:func:`rest_of_world`);
    * ``value_weighted``: controls weighted by their export value in the pre months;
    * ``anticipation``: the deal was announced in late July 2025, so 2025-08..10 are left out
      (pre 2025-05..07).
    """
    window = window or cut_window()
    out: dict[str, CutEstimate] = {}
    for c in controls:
        rest = [x for x in controls if x != c]
        out[f"drop_{c}"] = cut_estimate(wide, f"drop_{c}", rest, window)
    for c in controls:
        out[f"only_{c}"] = cut_estimate(wide, f"only_{c}", [c], window)
    if "ROW" in wide.columns:
        out["rest_of_world"] = cut_estimate(wide, "rest_of_world", ["ROW"], window)
    pre = (wide.index >= window.pre_start.to_timestamp()) & (
        wide.index <= window.pre_end.to_timestamp())
    weights = np.exp(wide.loc[pre, list(controls)]).sum().to_numpy()
    out["value_weighted"] = cut_estimate(wide, "value_weighted", controls, window,
                                         weights=weights)
    ant = Window(window.event_date, window.baseline_start,
                 window.event.ordinal - ANTICIPATION.ordinal, window.end)
    out["anticipation"] = cut_estimate(wide, "anticipation", controls, ant)
    return out


def first_step(wide: pd.DataFrame, controls: Sequence[str] = CONTROL_DESTINATIONS,
               post: tuple[str, str] = STEP_POST) -> CutEstimate:
    """The 0 -> 25% step: DiD of the gap, pre 2025-01..03 (only three months), April excluded
    (donut: the duty began on the 3rd), post ``post`` (full months at 25%, before the cut).
    Conformal p over the 3 + 6 months (min p 1/9)."""
    return cut_estimate(wide, "step", controls, Window(post[0], START, 1, post[1]))


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


def deal_coverage(flows: pd.DataFrame, origin: str) -> dict | None:
    """How much of the origin's own deal regime its own export series to the US covers; None
    when the origin has no deal or no such series."""
    deal = next((e for e in design.DEALS.values() if e.origins and origin in e.origins), None)
    f = flows[(flows["reporter"] == origin) & (flows["partner"] == "USA")
              & (flows["flow"] == "export") & (flows["freq"] == "M")]
    if deal is None or f.empty:
        return None
    last = f["month"].max()
    days = max(0, (last + pd.offsets.MonthEnd(0) - pd.Timestamp(deal.date)).days + 1)
    return {"last_month": f"{last:%Y-%m}", "deal_date": deal.date, "deal_month": deal.date[:7],
            "post_deal_days_observed": int(days), "identifies": bool(days >= 3 * 30),
            "source": str(f["source"].iloc[0]),
            "note": f"the export series ends {last:%Y-%m}, {days} days after the {deal.date} "
                    "deal"}


def deal_results(flows: pd.DataFrame) -> dict:
    """Everything for results.json ``<origin>.deal_cut``: the cut, its variants, the first step
    and the implied elasticities (no key contains a dot: the report joins paths with dots)."""
    wide = destination_wide(flows)
    cut = deal_cut(wide.assign(ROW=rest_of_world(flows)))
    step = first_step(wide)
    el = implied_elasticities(step.coef, cut.main.coef)
    return {**cut.to_dict(), "step": {**step.to_dict(), "n_pre": step.estimate.n_pre,
                                      "n_post": step.estimate.n_post,
                                      "note": "only three pre months (2025-01..03): no "
                                              "pre-trend test possible"},
            "elasticity": el}


def after_deals(flows: pd.DataFrame, origin: str) -> dict:
    """What the data show after the origin's deal, as blocks of its results.json entry.

    ``deal_cut`` when the origin's own exports by destination (source :data:`SOURCE`) reach past
    its deal; ``deal_coverage`` when only its own export series to the US does; else ``{}``.
    """
    f = flows[(flows["source"] == SOURCE) & (flows["reporter"] == origin)]
    if not f.empty:
        return {"deal_cut": deal_results(flows)}
    cov = deal_coverage(flows, origin)
    return {"deal_coverage": cov} if cov else {}


def after_deals_table(after: dict) -> pd.DataFrame:
    """The scalar entries of each block of :func:`after_deals`, one column per block (to show)."""
    return pd.DataFrame({name: {k: v for k, v in block.items() if not isinstance(v, dict | list)}
                         for name, block in after.items()})
