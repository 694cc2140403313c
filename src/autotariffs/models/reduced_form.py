"""Reduced form first: how one treated origin's imports moved against the comparison origins.

The per-origin design has ONE treated origin and two comparison origins (MEX, CAN) on identical
tariff paths. The reduced form (the change of the origin's log outcome relative to the
comparison origins) needs no assumption about the comparison origins' exposure; ratios
(elasticity, pass-through) do, so they come after it, as curves over that exposure
(:func:`sensitivity`).

:func:`compare` looks before it estimates and compares designs:

1. the baseline gap's trend (:func:`.drift.pretrend`);
2. every design of :data:`.one_treated.DESIGNS` (level, year on year, trend-adjusted) with
   inference built for one treated unit (conformal test with the design's own counterfactual,
   in-time placebos of the same estimator);
3. the simulation calibrated to the baseline gap (:mod:`.calibration`), whose fixed rule picks
   the headline design;
4. for the trend-adjusted design, the bounds under departures from the trend and the breakdown
   value (:func:`.drift.smoothness_bounds`).

Quantity-based outcomes (ln q, ln uv) skip 2022, whose monthly quantities are Comtrade estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs import design as study
from autotariffs.design import Window
from autotariffs.labels import OUTCOME_LABELS
from autotariffs.models import calibration
from autotariffs.models import one_treated as ot
from autotariffs.models.drift import Pretrend, SmoothnessBounds, pretrend, smoothness_bounds
from autotariffs.outputs import Text

#: the reduced form's outcomes and their labels (the one table: autotariffs.labels)
OUTCOMES: dict[str, str] = {y: OUTCOME_LABELS[y] for y in ("ln_q", "ln_v", "ln_uv")}
QTY_BASED = ("ln_q", "ln_uv")


def wide(panel: pd.DataFrame, outcome: str, units: Sequence[str],
         drop_qty_estimated: bool = True) -> pd.DataFrame:
    """Month x origin frame of ``outcome`` (2022 quantity-based values set missing)."""
    df = panel[panel["origin"].isin(list(units))]
    vals = df[outcome].astype(float)
    if drop_qty_estimated and outcome in QTY_BASED and "qty_estimated_2022" in df.columns:
        vals = vals.where(~df["qty_estimated_2022"].astype(bool))
    return (df.assign(_v=vals).pivot(index="month", columns="origin", values="_v")
            .sort_index().reindex(columns=list(units)))


def gap_of(panel: pd.DataFrame, outcome: str, origin: str, controls: Sequence[str],
           window: Window) -> ot.Gap:
    """The origin-minus-controls gap of ``outcome`` on the window's months."""
    g = ot.Gap.from_wide(wide(panel, outcome, [origin, *controls]), origin, controls)
    return g.restrict(np.asarray((g.months >= window.pre_start) & (g.months <= window.post_end)))


@dataclass(frozen=True)
class DesignResult:
    """One design on one outcome: estimate, conformal test, placebos."""

    outcome: str
    estimate: ot.Estimate
    conformal: ot.ConformalTest
    placebos: ot.PlaceboSet

    @property
    def design(self) -> str:
        return self.estimate.design

    @property
    def method(self) -> str:
        return (f"conformal inference (CWZ 2021), counterfactual: "
                f"{ot.DESIGN_BY_KEY[self.design].model_text}; moving-block permutations")

    def to_dict(self) -> dict:
        c = self.conformal
        return {**self.estimate.to_dict(), "ci95_low": ot.json_float(c.ci95_low),
                "ci95_high": ot.json_float(c.ci95_high), "p": c.p, "method": self.method,
                "n_perm": c.n_perm, "min_p": c.min_p, "p_peak": ot.json_float(c.p_peak),
                "by_month": self.estimate.by_month}


@dataclass(frozen=True)
class Headline:
    """The headline: the design the calibrated simulation chose, on the headline outcome."""

    result: DesignResult
    bounds: SmoothnessBounds | None

    def to_dict(self) -> dict:
        r = self.result.to_dict()
        out = {"design": self.result.design, "outcome": self.result.outcome,
               **{k: r[k] for k in ("coef", "pct", "ci95_low", "ci95_high", "p", "method",
                                    "n_pre", "n_post", "pre_months", "post_months", "min_p")},
               "chosen_by": calibration.RULE}
        pl = self.result.placebos
        out.update({"p_placebo": ot.json_float(pl.p), "n_placebos": pl.n,
                    "min_p_placebo": ot.json_float(pl.min_p), "placebo_mean": ot.json_float(pl.mean),
                    "placebos_centred": pl.centred})
        for k in ("ci95_low", "ci95_high"):
            out[f"{k}_pct"] = None if r[k] is None else float(100 * np.expm1(r[k]))
        if self.bounds is not None:
            b = self.bounds.to_dict()
            out.update({"breakdown": b["breakdown"],
                        "breakdown_identified": b["breakdown_identified"],
                        "deviation_at_breakdown": b["deviation_at_breakdown"],
                        "deviation_at_breakdown_identified":
                            b["deviation_at_breakdown_identified"],
                        "slope_change_per_year_at_breakdown":
                            b["slope_change_per_year_at_breakdown"]})
        else:
            out["breakdown"] = None
        return out


@dataclass(frozen=True)
class Comparison:
    """What each design says for one origin, and which one leads."""

    origin: str
    controls: tuple[str, ...]
    window: Window
    #: the origin-minus-controls gap of each outcome on the window's months
    gaps: dict[str, ot.Gap]
    pretrend: dict[str, Pretrend]
    results: dict[tuple[str, str], DesignResult]
    simulation: dict[str, calibration.Calibration]
    bounds: dict[str, SmoothnessBounds]
    headline: Headline | None

    @property
    def outcomes(self) -> list[str]:
        return list(self.pretrend)

    def result(self, design: str, outcome: str) -> DesignResult:
        return self.results[(design, outcome)]

    def to_dict(self) -> dict:
        designs: dict = {}
        plc: dict = {}
        for (d, y), r in self.results.items():
            designs.setdefault(d, {})[y] = r.to_dict()
            plc.setdefault(d, {})[y] = r.placebos.to_dict()
        return {
            "window": {**self.window.to_dict(), "origin": self.origin,
                       "controls": list(self.controls)},
            "pretrend": {y: p.to_dict() for y, p in self.pretrend.items()},
            "designs": designs,
            "placebos": plc,
            "simulation": {y: s.to_dict() for y, s in self.simulation.items()},
            "honest": {y: b.to_dict() for y, b in self.bounds.items()},
            "headline": None if self.headline is None else self.headline.to_dict(),
        }


def compare(panel: pd.DataFrame, origin: str, controls: Sequence[str], window: Window,
            outcomes: Sequence[str] = tuple(OUTCOMES),
            designs: Sequence[ot.Design] = ot.DESIGNS, n_draws: int = study.SIM_DRAWS,
            seed: int = study.SEED, headline_outcome: str = study.HEADLINE_OUTCOME,
            min_pre: int = study.MIN_PRE) -> Comparison:
    """Trend test, every design with its inference, the calibrated choice, the bounds."""
    controls = tuple(controls)
    gaps, pts, results, sims, bounds = {}, {}, {}, {}, {}
    for y in outcomes:
        g = gaps[y] = gap_of(panel, y, origin, controls, window)
        pts[y] = pretrend(g, window)
        for d in designs:
            est = ot.estimate(g, d, window)
            test = ot.conformal(g, d, window, allow_coarse=True)
            results[(d.key, y)] = DesignResult(y, est, test,
                                               ot.placebos(g, d, window, min_pre=min_pre))
            if d.key == "trend":
                bounds[y] = smoothness_bounds(est, test, window)
        sims[y] = calibration.simulate(g, window, y, designs, n_draws=n_draws, seed=seed,
                                       min_pre=min_pre)
    head = None
    chosen = sims[headline_outcome].chosen if headline_outcome in sims else None
    if chosen is not None:
        head = Headline(results[(chosen, headline_outcome)], bounds.get(headline_outcome)
                        if chosen == "trend" else None)
    return Comparison(origin, controls, window, gaps, pts, results, sims, bounds, head)


def designs_table(comp: Comparison) -> pd.DataFrame:
    """What each design says: one row per outcome x design, numbers only (the report formats)."""
    rows = []
    for y in comp.outcomes:
        for d in ot.DESIGNS:
            r = comp.results.get((d.key, y))
            if r is None:
                continue
            c, pl = r.conformal, r.placebos
            rows.append({
                "outcome": OUTCOMES.get(y, y), "design": d.label,
                "headline": bool(comp.headline is not None
                                 and comp.headline.result is r),
                "estimate (log points)": r.estimate.coef,
                "95% interval, low": ot.json_float(c.ci95_low),
                "95% interval, high": ot.json_float(c.ci95_high),
                "p (conformal)": c.p, "smallest attainable p": c.min_p,
                "placebos": pl.n, "placebo mean": ot.json_float(pl.mean),
                "p (placebo rank)": ot.json_float(pl.p), "placebos centred": pl.centred,
                "baseline months": r.estimate.n_pre, "post months": r.estimate.n_post,
            })  # fmt: skip
    return pd.DataFrame(rows)


def designs_text(comp: Comparison) -> Text:
    """Title and caption of :func:`designs_table`."""
    w = comp.window
    keys = list(dict.fromkeys(d for d, _ in comp.results))  # the comparison's designs, in order
    models = [ot.DESIGN_BY_KEY[k].model_text for k in keys if k in ot.DESIGN_BY_KEY]
    return Text(
        f"What each design says: {comp.origin}",
        f"Change of {comp.origin} relative to the mean of {', '.join(comp.controls)}, "
        f"{w.event} to {w.post_end}, under {len(models)} counterfactuals for the gap "
        f"(baseline {w.pre_start} to {w.pre_end}): {'; '.join(models)}. Intervals and "
        "first p-values: conformal inference (Chernozhukov, Wüthrich & Zhu 2021) with each "
        "design's own counterfactual and moving-block permutations in time; placebo p: rank "
        "among in-time placebos of the same estimator, each with the full post length and "
        "donut, valid only where the placebos are centred on zero. The headline row is the "
        "design the calibrated simulation chose by its rule. Quantity-based outcomes skip "
        "2022 (Comtrade-estimated quantities).",
    )


# --------------------------------------------------------------------------------------------
# ratios: what depends on the comparison origins' exposure
# --------------------------------------------------------------------------------------------
def tariff_change(panel: pd.DataFrame, origin: str, window: Window) -> float:
    """Post-minus-baseline mean of ln(1+tau) of ``origin`` over the window."""
    s = panel[panel["origin"] == origin].set_index("month")["ln1p_tau"].astype(float)
    per = pd.DatetimeIndex(s.index).to_period("M")
    pre, post = window.masks(per)
    return float(s[post].mean() - s[pre].mean())


def control_change(full_rate: pd.DataFrame, controls: Sequence[str], share: float,
                   window: Window, claims: pd.DataFrame | None = None,
                   mfn: float = 0.025) -> float:
    """Mean over controls of the post-minus-baseline change of ln(1+tau) at content share ``share``.

    ``full_rate``: month x origin, the control's statutory duty (fraction) if the whole value of
    its cars were dutiable (non-US content share 1). A USMCA-claimed car pays ``share`` of it;
    with observed ``claims`` (month x origin claim share), non-claimed cars pay the full duty
    plus MFN on full value during the tariff window (the claim share of baseline months is
    irrelevant because the baseline duty is zero either way).
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
        pre, post = window.masks(pd.DatetimeIndex(lt.index).to_period("M"))
        vals.append(float(lt[post].mean() - lt[pre].mean()))
    return float(np.mean(vals))


def sensitivity(comp: Comparison, panel: pd.DataFrame, full_rate: pd.DataFrame,
                shares: Sequence[float] = tuple(np.round(np.linspace(0, 1, 11), 2)),
                claims: pd.DataFrame | None = None, min_gap: float = 0.02) -> dict:
    """Elasticity and pass-through of the headline design, over the controls' exposure.

    For each non-US content share s, the tariff gap is the origin's change in ln(1+tau) minus
    the controls' (:func:`tariff_change`, :func:`control_change`); the elasticity of vehicles
    and of value and the ex-tariff price response gamma are the headline design's reduced forms
    divided by that gap, with the conformal interval divided the same way (the gap is a known
    number, not an estimate). Where |gap| < ``min_gap`` the ratio is not identified (None).
    gamma: 0 = buyers pay all of the duty (complete pass-through), -1 = exporters absorb it.
    """
    design = comp.headline.result.design if comp.headline else ot.DESIGNS[0].key
    w = comp.window
    dtau = tariff_change(panel, comp.origin, w)

    def ratios(gap: float) -> dict:
        row: dict = {"tariff_gap": gap}
        for key, y in (("elasticity_q", "ln_q"), ("elasticity_v", "ln_v"), ("gamma", "ln_uv")):
            r = comp.results.get((design, y))
            if r is None or abs(gap) < min_gap:
                row[key] = row[f"{key}_ci95_low"] = row[f"{key}_ci95_high"] = None
                continue
            lo_hi = (r.conformal.ci95_low, r.conformal.ci95_high)
            lo, hi = (sorted((lo_hi[0] / gap, lo_hi[1] / gap)) if np.isfinite(lo_hi).all()
                      else (None, None))  # an empty or unbounded set stays without bounds
            row[key], row[f"{key}_ci95_low"], row[f"{key}_ci95_high"] = (
                r.estimate.coef / gap, lo, hi)
        return row

    out = {"design": design, "origin_tariff_change": dtau, "min_gap": min_gap,
           "curve": [{"content_share": float(s),
                      **ratios(dtau - control_change(full_rate, comp.controls, s, w))}
                     for s in shares],
           "note": ("ratio = headline reduced form / (origin's change in ln(1+tau) - controls' "
                    "change at non-US content share s); left out where |gap| < min_gap")}
    if claims is not None:
        out["observed_claims"] = [
            {"content_share": float(s),
             **ratios(dtau - control_change(full_rate, comp.controls, s, w, claims=claims))}
            for s in shares]
    return out
