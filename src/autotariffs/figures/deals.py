"""Figure of Korea's exports by destination around both US tariff shocks.

House style (:mod:`autotariffs.figures`): one colour plus a marker, both events marked with their
labels, axis units, a source note that names the data and says what the bands are.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from autotariffs import design
from autotariffs.figures import MIN_FONT_PT, ORIGIN_STYLE, add_source_note, mark_events, set_style
from autotariffs.models.deals import (
    DEAL_EVENTS,
    END,
    REF_MONTH,
    START,
    destination_wide,
    event_study,
)
from autotariffs.outputs import Text

DEALS_SOURCE = (
    "Source: Korea Customs Service exports of HS 8703 by destination (FOB, USD), 2025-01..2026-06, "
    "via RyannRonn/trade-dashboard. Coefficients: US x month with destination and month fixed "
    "effects, controls Canada, Germany, Australia, Saudi Arabia; reference {ref}. Bands: iid 95% "
    "intervals, descriptive only with one treated destination (inference: conformal and in-time "
    "placebos). Only three months precede the first shock."
)


def fig_deal_event_study(es: pd.DataFrame, cut: dict | None = None,
                         events: dict[str, str] | None = None) -> plt.Figure:
    """Event-study path of Korea's exports to the US relative to the other destinations.

    ``es`` is :func:`autotariffs.models.deals.event_study`; ``cut`` (optional) the
    :func:`~autotariffs.models.deals.deal_cut` result, whose estimate and p-values are drawn as a
    horizontal segment over the post months and printed in the legend.
    """
    set_style()
    events = DEAL_EVENTS if events is None else events
    st = ORIGIN_STYLE["KOR"]
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    x = es["month"] + pd.Timedelta(days=14)
    # no band: with one treated destination the regression's standard errors are not valid
    # inference (the caption says so); the cut's inference is conformal and placebo, in the legend
    ax.plot(x, es["coef"], color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
            markersize=4, linewidth=1.4, label="Korea -> US vs other destinations, ln value")
    ref = es[es["is_ref"]]
    ax.plot(ref["month"] + pd.Timedelta(days=14), ref["coef"], linestyle="", marker="o",
            markerfacecolor="white", color="#000000", markersize=6, label="Reference month")
    ax.axhline(0, color="#000000", linewidth=0.8)
    if cut is not None:
        pm = pd.to_datetime(cut["post_months"])
        pre = pd.to_datetime(cut["pre_months"])
        base = es.set_index("month")["coef"].reindex(pre).mean()
        lab = (f"Deal-cut DiD {cut['coef']:+.3f} (conformal p {cut['p_conformal']:.2f}, "
               f"min {cut['min_p_conformal']:.2f}; placebo p {cut['p_placebo']:.2f})")
        ax.hlines(base + cut["coef"], pm.min(), pm.max() + pd.offsets.MonthBegin(1),
                  color="#D55E00", linestyle="--", linewidth=1.6, label=lab)
        ax.hlines(base, pre.min(), pre.max() + pd.offsets.MonthBegin(1), color="#D55E00",
                  linestyle=":", linewidth=1.2,
                  label=f"Pre-cut mean ({cut['pre_months'][0]}..{cut['pre_months'][-1][5:]})")
    lo = es["month"].min()
    hi = es["month"].max() + pd.offsets.MonthBegin(1)
    ax.set_xlim(lo, hi)
    mark_events(ax, events)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("Month of export (Korean customs)")
    ax.set_ylabel("Difference in ln export value\nrelative to reference month")
    ax.legend(loc="lower left", fontsize=MIN_FONT_PT)
    add_source_note(fig, DEALS_SOURCE.format(ref=es.attrs.get("ref", "2025-03")))
    return fig


def fig_deal_cut(flows: pd.DataFrame, cut: dict) -> plt.Figure:
    """:func:`fig_deal_event_study` of Korea's exports by destination in ``flows``, ``cut`` drawn."""
    return fig_deal_event_study(event_study(destination_wide(flows)), cut)


def deal_cut_text(cut: dict) -> Text:
    """Title, caption and source note of :func:`fig_deal_cut`, from the deal-cut results."""
    return Text(
        "Korea's exports to the US around both tariff changes",
        f"Log exports of HS 8703 from Korea to the US minus the mean of {', '.join(cut['controls'])}"
        f" by month (destination and month fixed effects; reference {REF_MONTH}), with the "
        f"0 -> 25% step ({design.TARIFF.date}) and the 25 -> 15% cut ({design.deal_date('KOR')})"
        " marked. Point estimates "
        "only: with one treated destination the regression standard errors are not valid; the "
        f"cut's inference is conformal (p = {cut['p_conformal']:.3f}, smallest attainable "
        f"{cut['min_p_conformal']:.3f}) and in-time placebos. Korea-reported FOB values; about "
        "one month of shipping separates a Korean export from a US import.",
        f"Source: Korea Customs Service, exports of HS 8703 by destination (FOB, USD), {START} to "
        f"{END}.",
    )
