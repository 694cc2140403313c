"""Figures of the design comparison for one treated origin, and of the exposure curves.

* :func:`fig_gap_trend` - look before estimating: the gap (month of year removed) with the
  baseline's fitted linear trend, extrapolated past the baseline, and the windows.
* :func:`fig_designs` - what each design says, with its conformal interval.
* :func:`fig_placebos` - the headline design's in-time placebos.
* :func:`fig_breakdown` - the trend-adjusted estimate under departures from the trend.
* :func:`fig_export_prices` - the exporter's unit values to the US, year on year.
* :func:`fig_sensitivity` - ratios (elasticity, gamma) over the comparison origins' exposure.

No CRV1 band is drawn anywhere: with one treated origin it is not valid inference.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.figures import (
    MIN_FONT_PT,
    OKABE_ITO,
    ORIGIN_LABEL,
    ORIGIN_STYLE,
    mark_events,
    set_style,
)
from autotariffs.figures.estimates import fig_in_time_placebos
from autotariffs.models.one_treated import DESIGNS
from autotariffs.models.reduced_form import OUTCOMES, Comparison, designs_text
from autotariffs.outputs import Text

SOURCE_NOTE = ("Source: UN Comtrade monthly US imports of HS 8703 (Census data; CIF-type "
               "values); tariff events table; autotariffs.")
#: colour and marker of each design, in DESIGNS order (a design added to DESIGNS gets the next)
DESIGN_MARKERS = ("o", "s", "^", "D", "v", "P")
DESIGN_STYLE = {d.key: (OKABE_ITO[i % len(OKABE_ITO)], DESIGN_MARKERS[i % len(DESIGN_MARKERS)])
                for i, d in enumerate(DESIGNS)}


def _ts(month) -> pd.Timestamp:
    return pd.Period(str(month), freq="M").to_timestamp()


def _name(origin: str) -> str:
    return ORIGIN_LABEL.get(origin, origin)


def fig_gap_trend(comp: Comparison, outcome: str = design.HEADLINE_OUTCOME) -> plt.Figure:
    """The gap with the baseline's month-of-year pattern removed, its fitted trend (solid over
    the baseline, dashed where extrapolated), baseline and announcement windows, events."""
    set_style()
    pt, w, gap = comp.pretrend[outcome], comp.window, comp.gaps[outcome]
    seas = np.nan_to_num(np.asarray(pt.seasonal), nan=0.0)
    adj = pd.Series(gap.values - seas[np.asarray(gap.months.month) - 1],
                    index=gap.months.to_timestamp())
    full = pd.date_range(adj.index.min(), adj.index.max(), freq="MS")
    adj = adj.reindex(full)  # missing months (2022 quantities) break the line
    years = (full.to_period("M").asi8 - pd.Period(pt.origin_month, freq="M").ordinal) / 12.0
    line = pd.Series(pt.level + pt.slope_per_year * years, index=full)
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    st = ORIGIN_STYLE.get(comp.origin, ORIGIN_STYLE["ROW"])
    ax.axvspan(_ts(w.pre_start), _ts(w.pre_end) + pd.offsets.MonthEnd(0), color="#999999",
               alpha=0.12, linewidth=0, label=f"baseline {w.pre_start} to {w.pre_end}")
    if w.donut:
        ax.axvspan(_ts(w.event - w.donut), _ts(w.event) - pd.Timedelta(days=1),
                   color="#E69F00", alpha=0.3, linewidth=0, label="announcement (left out)")
    ax.plot(adj.index, adj.to_numpy(), color=st["color"], marker=st["marker"], markersize=3,
            linewidth=1.2, label=f"{_name(comp.origin)} minus {', '.join(comp.controls)}")
    base = line[line.index <= _ts(w.pre_end)]
    ext = line[line.index >= _ts(w.pre_end)]
    ax.plot(base.index, base.to_numpy(), color="#000000", linewidth=1.6,
            label=f"baseline trend {pt.slope_per_year:+.3f} a year (HAC t = {pt.t:.1f})")
    ax.plot(ext.index, ext.to_numpy(), color="#000000", linewidth=1.6, linestyle="--",
            label="trend extrapolated")
    ax.axhline(0, color="#333333", linewidth=0.6)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("Month")
    ax.set_ylabel(f"Gap in {OUTCOMES.get(outcome, outcome)}\n(month of year removed)")
    mark_events(ax, {k: v for k, v in design.own_events(comp.origin).items()
                     if pd.Timestamp(k) <= full.max()})
    ax.legend(loc="lower right", fontsize=MIN_FONT_PT, ncols=2)
    return fig


def gap_text(comp: Comparison, outcome: str = design.HEADLINE_OUTCOME) -> Text:
    """Title, caption and source note of :func:`fig_gap_trend`."""
    pt, w = comp.pretrend[outcome], comp.window
    return Text(
        f"The gap and its trend: {comp.origin} vs {', '.join(comp.controls)}",
        f"{OUTCOMES.get(outcome, outcome).capitalize()} of {comp.origin} minus the mean of "
        f"{', '.join(comp.controls)}, with the baseline's month-of-year pattern removed. "
        f"Solid black line: a linear trend fitted with month-of-year dummies on the baseline "
        f"({w.pre_start} to {w.pre_end}); slope {pt.slope_per_year:+.3f} log points a year, "
        f"Newey-West SE {pt.se:.3f} ({pt.hac_lags} lags), p = {pt.p:.3g}. Dashed: the same line "
        "extrapolated, the counterfactual of the trend-adjusted design. A level baseline "
        "instead assumes the gap would have stayed at its baseline mean.",
        SOURCE_NOTE,
    )


def fig_designs(comp: Comparison) -> plt.Figure:
    """Each design's estimate per outcome with its 95% conformal interval; the headline filled,
    unbounded or empty intervals said in the label."""
    set_style()
    outs = comp.outcomes
    fig, axes = plt.subplots(1, len(outs), figsize=(7.0, 3.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, y in zip(axes, outs, strict=True):
        for k, d in enumerate(DESIGNS):
            r = comp.results.get((d.key, y))
            if r is None:
                continue
            color, marker = DESIGN_STYLE[d.key]
            head = comp.headline is not None and comp.headline.result is r
            lo, hi = r.conformal.ci95_low, r.conformal.ci95_high
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [k, k], color=color, linewidth=2.2 if head else 1.4)
            ax.plot([r.estimate.coef], [k], marker=marker, color=color, markersize=7,
                    markerfacecolor=color if head else "white", markeredgewidth=1.5)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                note = "no 95% set attainable" if r.conformal.coarse else "95% set empty"
                ax.annotate(note, (r.estimate.coef, k), xytext=(0, 7),
                            textcoords="offset points", ha="center", fontsize=MIN_FONT_PT)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_title(OUTCOMES.get(y, y), fontsize=9)
        ax.set_xlabel("log points")
        ax.set_ylim(-0.6, len(DESIGNS) - 0.4)
    axes[0].set_yticks(range(len(DESIGNS)), [d.label for d in DESIGNS])
    axes[0].invert_yaxis()
    fig.suptitle(f"{_name(comp.origin)} relative to {', '.join(comp.controls)}: "
                 "filled marker = headline design", fontsize=9)
    return fig


def designs_fig_text(comp: Comparison) -> Text:
    """Title, caption and source note of :func:`fig_designs`: the table's, with the marker key."""
    t = designs_text(comp)
    return Text(t.title, t.caption + " In the figure, the filled marker is the headline design.",
                SOURCE_NOTE)


def fig_placebos(comp: Comparison, design_key: str, outcome: str) -> plt.Figure:
    """The in-time placebos of one design and outcome, actual estimate marked."""
    pl = comp.result(design_key, outcome).placebos
    label = next(d.label for d in DESIGNS if d.key == design_key)
    return fig_in_time_placebos(
        {"actual": pl.actual, "placebos": pl.estimates, "p": pl.p, "n_placebos": pl.n,
         "min_p": pl.min_p},
        title=f"{_name(comp.origin)}: in-time placebos of the {label} design, "
              f"{OUTCOMES.get(outcome, outcome)} (mean {pl.mean:+.3f})",
        xlabel="placebo estimate (log points)")


def placebo_text(comp: Comparison, design_key: str, outcome: str) -> Text:
    """Title, caption and source note of :func:`fig_placebos`."""
    pl = comp.result(design_key, outcome).placebos
    label = next(d.label for d in DESIGNS if d.key == design_key)
    centred = ("They are centred on zero, so the rank is a valid p-value." if pl.centred else
               "They are NOT centred on zero (their mean is more than two standard errors from "
               "zero), so the rank is not a valid p-value for this design.")
    return Text(
        f"In-time placebos: {comp.origin}, {label} design",
        f"The {label} estimate recomputed with a fake event at each of {pl.n} baseline months "
        f"whose window copies the real one ({pl.post_len} post months all with data, the same "
        f"donut, enough baseline before it); mean {pl.mean:+.3f}. {centred} p = (1 + number "
        f"of placebos at least as large in absolute value) / (1 + {pl.n}).",
        SOURCE_NOTE,
    )


def fig_breakdown(comp: Comparison, outcome: str = design.HEADLINE_OUTCOME) -> plt.Figure:
    """Identified set and bias-aware 95% interval of the trend-adjusted estimate against M."""
    set_style()
    b = comp.bounds[outcome]
    g = pd.DataFrame(b.grid(41))
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.fill_between(g["M"], g["ci95_low"].astype(float), g["ci95_high"].astype(float),
                    color="#56B4E9", alpha=0.3, linewidth=0, label="bias-aware 95% interval")
    ax.fill_between(g["M"], g["set_low"], g["set_high"], color="#0072B2", alpha=0.5,
                    linewidth=0, label="identified set")
    ax.axhline(0, color="#333333", linewidth=0.8)
    if b.breakdown:
        ax.axvline(b.breakdown, color="#D55E00", linestyle="--",
                   label=f"breakdown of the interval, M = {b.breakdown:.4f}")
    ax.axvline(b.breakdown_identified, color="#D55E00", linestyle=":",
               label=f"breakdown of the set, M = {b.breakdown_identified:.4f}")
    ax.set_xlabel("M: largest month-to-month change in the trend's slope (log points / month)")
    ax.set_ylabel("effect on the gap (log points)")
    ax.legend(loc="lower left", fontsize=MIN_FONT_PT)
    return fig


def breakdown_text(comp: Comparison, outcome: str = design.HEADLINE_OUTCOME) -> Text:
    """Title, caption and source note of :func:`fig_breakdown`."""
    b = comp.bounds[outcome]
    return Text(
        f"How far the trend may bend: {comp.origin}",
        "Sensitivity of the trend-adjusted estimate in the spirit of Rambachan & Roth (2023): "
        "the counterfactual gap may depart from the extrapolated baseline trend, its slope "
        "changing by at most M log points per month, every month (the class Delta^SD(M), "
        "deviation and its slope zero at the last baseline month). The largest bias of the "
        f"post average is M x {b.bias_per_m:.1f}. The breakdown value is the smallest M at "
        "which zero is inside.",
        SOURCE_NOTE,
    )


def fig_export_prices(series: pd.DataFrame, xp: Mapping, origin: str) -> plt.Figure:
    """12-month log change of the exporter's unit value to the US, in USD and local currency."""
    set_style()
    s = series.set_index("month").sort_index()
    usd = np.log(s["uv_usd"]).diff(12)
    lcu = np.log(s["uv_lcu"]).diff(12)
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    keep = usd.index >= pd.Timestamp("2022-01-01")
    ax.plot(usd.index[keep], usd[keep], color="#0072B2", marker="o", markersize=3,
            label="unit value in USD")
    ax.plot(lcu.index[keep], lcu[keep], color="#D55E00", marker="s", markersize=3,
            linestyle="--", label="unit value in local currency")
    ax.axhline(0, color="#333333", linewidth=0.8)
    avg = xp[xp["average_key"]]
    lo, hi = avg["months"]
    ax.hlines(avg["uv_usd_yoy"], _ts(lo), _ts(hi), color="#000000", linewidth=2,
              label=f"{lo} to {hi} mean, USD: {avg['uv_usd_yoy']:+.3f}")
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("Month")
    ax.set_ylabel("12-month log change")
    mark_events(ax, {k: v for k, v in design.own_events(origin).items()
                     if pd.Timestamp(k) <= usd.index.max()})
    ax.legend(loc="lower left", fontsize=MIN_FONT_PT)
    return fig


def export_prices_text(xp: Mapping, origin: str) -> Text:
    """Title, caption and source note of :func:`fig_export_prices`."""
    avg = xp[xp["average_key"]]
    return Text(
        f"Exporters' prices to the US: {origin}",
        f"12-month log change of the unit value (FOB value per vehicle) of {_name(origin)}'s "
        "own reported exports of HS 8703 to the US, in US dollars and in its currency. The "
        f"{avg['months'][0]} to {avg['months'][1]} mean is compared with the same statistic "
        f"in every baseline month by conformal inference (p = {avg['p']:.3f}, smallest "
        f"attainable {avg['min_p']:.3f}). A unit value mixes price and model mix.",
        "Source: UN Comtrade, reporter's exports to the USA (FOB); FRED exchange rates.",
    )


def export_prices_table_text(xp: Mapping, origin: str) -> Text:
    """Title and caption of the exporter unit-value table (one row per month and the mean)."""
    return Text(
        f"Exporters' unit values to the US, year on year: {origin}",
        "12-month log change of the FOB unit value of the origin's own reported exports of HS "
        "8703 to the US, in US dollars and in its currency, for each month after the tariff "
        "and on average; conformal p against the same statistic in the baseline months "
        "(CWZ 2021, year-on-year counterfactual). Percent = 100 (exp(change) - 1).",
    )


def fig_sensitivity(sens: Mapping, origin: str) -> plt.Figure:
    """Elasticity of vehicles and gamma against the comparison origins' content share."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.8))
    curve = pd.DataFrame(sens["curve"])
    obs = pd.DataFrame(sens["observed_claims"]) if sens.get("observed_claims") else None
    for ax, key, lab in ((axes[0], "elasticity_q", "elasticity of vehicles"),
                         (axes[1], "gamma", "gamma (ex-tariff price response)")):
        c = curve.dropna(subset=[key])
        ax.fill_between(c["content_share"], c[f"{key}_ci95_low"].astype(float),
                        c[f"{key}_ci95_high"].astype(float), color="#0072B2", alpha=0.2,
                        linewidth=0, label="95% conformal interval / tariff gap")
        ax.plot(c["content_share"], c[key].astype(float), color="#0072B2", marker="o",
                markersize=3, label="assumed schedule")
        if obs is not None:
            o = obs.dropna(subset=[key])
            ax.plot(o["content_share"], o[key].astype(float), color="#D55E00", linestyle="--",
                    marker="s", markersize=3, label="observed USMCA claim shares")
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel("Non-US content share (MEX, CAN)")
        ax.set_ylabel(lab)
        ax.legend(fontsize=MIN_FONT_PT)
    fig.suptitle(f"{_name(origin)}: ratios depend on the comparison origins' exposure",
                 fontsize=9)
    fig.subplots_adjust(wspace=0.35)
    return fig


def sensitivity_text(sens: Mapping, origin: str) -> Text:
    """Title, caption and source note of :func:`fig_sensitivity`."""
    return Text(
        f"Elasticity and pass-through against exposure: {origin}",
        f"The headline ({sens['design']}) reduced form divided by the tariff gap (the origin's "
        "change in ln(1+tariff) minus the comparison origins'), against the non-US content "
        "share that sets the Mexican and Canadian duty; band: its conformal interval divided "
        f"by the same gap. Left out where the gap is below {sens['min_gap']:.2f} log points "
        "(no ratio is identified). gamma: 0 = buyers pay the whole duty, -1 = exporters "
        "absorb it.",
        SOURCE_NOTE,
    )
