"""Figures of the statutory tariff schedule and of duties actually collected.

Both follow the house style of :mod:`autotariffs.figures`: origins keep one colour *and* one line
style / marker everywhere, axes carry units, policy dates are marked and a source note names the
data and the assumptions behind the plotted rates.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.figures import (
    MIN_FONT_PT,
    ORIGIN_LABEL,
    ORIGIN_ORDER,
    ORIGIN_STYLE,
    add_source_note,
    mark_events,
    set_style,
)
from autotariffs.outputs import Text

TIMELINE_EVENTS = design.event_labels("timeline")
TARIFF_SOURCE = (
    "Source: autotariffs event table data/raw/tariffs/us_auto_tariff_events.csv (HTSUS ch. 99, "
    "Proc. 10908, EO 14309/14345, FR notices; see SOURCES.md). All-in ad valorem rate on a "
    "representative HS 8703 line, day-weighted monthly mean."
)




def timeline_text(usmca_nonus_share: float) -> Text:
    """Title, caption and source note of :func:`fig_tariff_timeline` (the assumed USMCA share)."""
    return Text(
        "Statutory US tariff on passenger cars by origin",
        "All-in ad valorem rate on HS 8703 by origin, monthly day-weighted average; MEX/CAN at "
        f"25% × the assumed non-US content share ({usmca_nonus_share:.2f}); vertical lines mark "
        "policy events.",
        "Source: us_auto_tariff_events.csv (HTS, Federal Register; see SOURCES.md).",
    )


def _step(ax: plt.Axes, s: pd.Series, origin: str, label: str, **kw) -> None:
    """Monthly values as a step line held over the whole month (last month extended)."""
    s = s.sort_index()
    x = list(s.index) + [s.index[-1] + pd.offsets.MonthBegin(1)]
    y = list(s.values) + [s.values[-1]]
    style = {**ORIGIN_STYLE.get(origin, {}), **kw}
    ax.step(x, y, where="post", label=label, markevery=3, markersize=4, linewidth=1.4, **style)


def fig_tariff_timeline(
    monthly: pd.DataFrame,
    start: str = "2024-01",
    end: str = "2026-06",
    product: str = "8703",
    *,
    usmca_nonus_share: float | None,
    uk_in_quota_share: float | None,
) -> plt.Figure:
    """Step lines of the monthly all-in statutory rate on cars (HS 8703) by origin.

    ``usmca_nonus_share`` / ``uk_in_quota_share`` are only written into the source note: give
    the values used to build ``monthly`` (None = not stated) so the figure says what it shows. No
    defaults: a default here once drew 0.5 and 1.0 whatever the schedule had used.
    """
    set_style()
    m = monthly[(monthly["product"] == product)
                & monthly["month"].between(pd.Timestamp(start), pd.Timestamp(end))]  # fmt: skip
    if m.empty:
        raise ValueError(f"monthly schedule has no rows for product {product} in {start}..{end}")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    origins = [o for o in ORIGIN_ORDER if o in set(m["origin"])]
    origins += sorted(set(m["origin"]) - set(origins))
    for o in origins:
        s = m[m["origin"] == o].set_index("month")["rate_pct"]
        _step(ax, s, o, ORIGIN_LABEL.get(o, o))
    ax.set_xlim(pd.Timestamp(start), pd.Timestamp(end) + pd.offsets.MonthBegin(1))
    ax.set_ylim(bottom=-1)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("Month")
    ax.set_ylabel(f"US duty on HS {product}, all-in (% ad valorem)")
    mark_events(ax, TIMELINE_EVENTS)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8,
              title="Origin (lines overlap\nwhere rates are equal)", title_fontsize=MIN_FONT_PT)  # fmt: skip
    notes = []
    if usmca_nonus_share is not None:
        notes.append(f"Mexico/Canada: USMCA vehicles pay 25% on non-US content, assumed share "
                     f"{usmca_nonus_share:g}")  # fmt: skip
    if uk_in_quota_share is not None:
        notes.append(f"UK from {design.DEALS['GBR'].date}: in-quota 10% / over-quota 27.5%, in-quota share "
                     f"{uk_in_quota_share:g}")  # fmt: skip
    add_source_note(fig, TARIFF_SOURCE + (" " + "; ".join(notes) + "." if notes else ""))
    return fig


EFFECTIVE_VS_STATUTORY_TEXT = Text(
    "Effective against statutory tariff rates",
    "Calculated duties / customs value on HS chapter 87 imports (cars, trucks and parts) by origin "
    "against the statutory car rate; Korea's KORUS step of 2016-01-01 is visible.",
    "Source: Census international trade API (HS2, 2013-2021); USITC DataWeb (2024, Jan-Aug 2025).",
)


def fig_effective_vs_statutory(
    eff: pd.DataFrame,
    monthly: pd.DataFrame,
    partners: tuple[str, ...] = design.TREATED,
    start: str = "2013-01",
    end: str = "2025-12",
) -> plt.Figure:
    """Duties collected / import value on chapter 87 vs the statutory car (8703) rate.

    One panel per partner. Census monthly rates are a line; DataWeb multi-month periods are
    horizontal segments over the months they cover. Chapter 87 also holds trucks and parts and
    FTA claims pay nothing, so compare *changes* (Korea's KORUS step on 2016-01-01), not levels.
    """
    set_style()
    fig, axes = plt.subplots(len(partners), 1, figsize=(7.5, 2.6 * len(partners)), sharex=True,
                             squeeze=False)  # fmt: skip
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.offsets.MonthBegin(1)
    for ax, p in zip(axes[:, 0], partners, strict=True):
        st = ORIGIN_STYLE.get(p, {})
        e = eff[(eff["partner"] == p) & eff["period"].between(lo, hi)]
        em = e[e["freq"] == "M"].sort_values("period")
        if len(em):
            ax.plot(em["period"], em["effective_rate_pct"], color=st.get("color", "k"),
                    linestyle="-", linewidth=1.0,
                    label="Duties collected / customs value, ch. 87 (Census, monthly)")  # fmt: skip
        ep = e[e["freq"] != "M"]
        for i, (_, r) in enumerate(ep.iterrows()):
            x1 = r["period"] + pd.DateOffset(months=int(r["n_months"]))
            ax.hlines(r["effective_rate_pct"], r["period"], x1, color=st.get("color", "k"),
                      linestyle=(0, (1, 1)), linewidth=2.2,
                      label="Duties / CIF value, ch. 87 (DataWeb, period mean)" if i == 0
                      else None)  # fmt: skip
        s = monthly[(monthly["origin"] == p) & (monthly["product"] == "8703")
                    & monthly["month"].between(lo, hi)].set_index("month")["rate_pct"]  # fmt: skip
        if len(s):
            ax.step(list(s.index), list(s.values), where="post", color="#444444",
                    linestyle="--", linewidth=1.2, label="Statutory all-in rate, HS 8703")  # fmt: skip
        ax.set_xlim(lo, hi)
        ax.set_ylim(bottom=-0.5)
        ax.set_ylabel("Duty rate (%)")
        ax.set_title(ORIGIN_LABEL.get(p, p), loc="left", fontsize=9)
        mark_events(ax, {e.date: e.label for e in (design.KORUS, design.TARIFF) if e.concerns(p)})
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.85), fontsize=MIN_FONT_PT)
    axes[-1, 0].set_xlabel("Month")
    add_source_note(
        fig,
        "Source: Census HS2 monthly CAL_DUT_MO / CON_VAL_MO (2013-01..2021-07); USITC DataWeb "
        "calculated duties / import value (2024, Jan-Aug 2025); statutory rate from the "
        "autotariffs event table. Chapter 87 mixes cars, trucks and parts and FTA-free entries: "
        "levels differ from the car rate, changes are comparable.",
    )
    return fig


COLLECTED_SOURCE = (
    "Source: statutory all-in HS 8703 rate from the autotariffs event table (us_auto_tariff_events"
    ".csv); collected = Census calculated duty / customs value on HS 8703 quoted by the Budget Lab "
    "note of 2026-06-12 (tariff-etr-eval); DataWeb ch. 87 calculated duties / CIF value (2024, "
    "Jan-Aug 2025); Census NAICS light vehicles (336110 / 336111+336112), all origins. Korea's "
    "November 2025 cut is retroactive: collected at 25%, refunded later. Japan 2026: offset credits."
)


STATUTORY_VS_COLLECTED_TEXT = Text(
    "Statutory against collected duty rates",
    "Statutory HS 8703 rate (dashed step) against every collected rate in the raw data, by origin; "
    "the all-origin NAICS light-vehicle rate in the last panel.",
    "Source: Budget Lab note (2026-06-12); USITC DataWeb; Census international trade API; tariff "
    "events table.",
)


def fig_statutory_vs_collected(
    table: pd.DataFrame,
    monthly: pd.DataFrame,
    origins: tuple[str, ...] = design.TREATED,
    start: str = "2024-01",
    end: str = "2026-06",
) -> plt.Figure:
    """Statutory HS 8703 rate against every collected rate, one panel per origin plus one for the
    all-origin NAICS light-vehicle rate.

    ``table`` is :func:`autotariffs.tariffs.collected.statutory_vs_collected`; ``monthly`` the monthly
    schedule it was built from. Statutory: grey dashed step line. Collected HS 8703 (Budget Lab
    note): filled markers in the origin's style. DataWeb ch. 87 periods: dotted horizontal segments
    over the months they cover. Disagreements are drawn as they are (not smoothed).
    """
    set_style()
    n = len(origins) + 1
    fig, axes = plt.subplots(n, 1, figsize=(7.5, 2.4 * n), sharex=True, squeeze=False)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.offsets.MonthBegin(1)
    t = table[table["period"].between(lo, hi)]
    for ax, p in zip(axes[:-1, 0], origins, strict=True):
        st = ORIGIN_STYLE.get(p, {})
        s = monthly[(monthly["origin"] == p) & (monthly["product"] == "8703")
                    & monthly["month"].between(lo, hi)].set_index("month")["rate_pct"]  # fmt: skip
        if len(s):
            x = list(s.index) + [s.index[-1] + pd.offsets.MonthBegin(1)]
            ax.step(x, list(s.values) + [s.values[-1]], where="post", color="#444444",
                    linestyle="--", linewidth=1.3, label="Statutory all-in, HS 8703")  # fmt: skip
        nt = t[(t["origin"] == p) & (t["source"] == "budgetlab_note")].sort_values("period")
        if len(nt):
            ax.plot(nt["period"] + pd.Timedelta(days=14), nt["collected_rate_pct"], linestyle="",
                    marker=st.get("marker", "o"), color=st.get("color", "k"), markersize=5,
                    label="Collected, HS 8703 (Census via Budget Lab note)")  # fmt: skip
        dw = t[(t["origin"] == p) & (t["source"] == "dataweb_hs2_2024_2025")]
        for i, (_, r) in enumerate(dw.iterrows()):
            x1 = r["period"] + pd.DateOffset(months=int(r["n_months"]))
            ax.hlines(r["collected_rate_pct"], r["period"], x1, color=st.get("color", "k"),
                      linestyle=(0, (1, 1)), linewidth=2.2,
                      label="Collected / CIF, ch. 87 (DataWeb, period mean)" if i == 0
                      else None)  # fmt: skip
        ax.set_ylim(-1, 30)
        ax.set_ylabel("Duty rate (%)")
        ax.set_title(ORIGIN_LABEL.get(p, p), loc="left", fontsize=9)
        mark_events(ax, TIMELINE_EVENTS)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.80), fontsize=MIN_FONT_PT)
    ax = axes[-1, 0]
    nw = t[(t["source"] == "census_naics_m") & (t["scope"] == "NAICS light vehicles")]
    nw = nw.sort_values("period")
    if len(nw):
        ax.plot(nw["period"], nw["collected_rate_pct"], color="#000000", linestyle="-",
                marker=".", linewidth=1.2,
                label="Collected, NAICS light vehicles, all origins (Census)")  # fmt: skip
    ax.set_ylim(-1, 30)
    ax.set_ylabel("Duty rate (%)")
    ax.set_title("All origins", loc="left", fontsize=9)
    mark_events(ax, TIMELINE_EVENTS, label=False)
    ax.legend(loc="upper left", fontsize=MIN_FONT_PT)
    for a in axes[:, 0]:
        a.set_xlim(lo, hi)
    axes[-1, 0].xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    axes[-1, 0].tick_params(axis="x", labelrotation=30)
    axes[-1, 0].set_xlabel("Month")
    add_source_note(fig, COLLECTED_SOURCE)
    return fig


CONTROL_EXPOSURE_TEXT = Text(
    "Observed exposure of Canada and Mexico",
    "Duty owed on Canadian and Mexican cars from the observed USMCA claim shares (claimed: 25% on "
    "non-US content; not claimed: 25% plus MFN on full value) at several non-US content shares, "
    "beside the assumed schedule in which every car is claimed.",
    "Source: USITC DataWeb HS10 8703 imports for consumption by programme; tariff events table.",
)


def fig_control_exposure(exposure: pd.DataFrame, start: str = "2025-01",
                         end: str = "2026-06") -> plt.Figure:
    """Observed exposure of Canada and Mexico (claim-share weighted) beside the assumed schedule.

    ``exposure``: :func:`autotariffs.tariffs.exposure.control_exposure` or ``exposure_grid`` output. With
    several content shares, the observed rate is drawn for each (thin lines, darker = higher
    share) and the assumed schedule (all cars claimed) dashed for the same shares.
    """
    set_style()
    origins = [o for o in design.CONTROLS if o in set(exposure["origin"])]
    fig, axes = plt.subplots(1, len(origins), figsize=(7.5, 3.4), sharey=True, squeeze=False)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.offsets.MonthBegin(1)
    shares = sorted(exposure["content_share"].unique())
    greys = ["#BBBBBB", "#999999", "#777777", "#555555", "#333333", "#111111"]
    for ax, o in zip(axes[0], origins, strict=True):
        st = ORIGIN_STYLE.get(o, {})
        for i, c in enumerate(shares):
            e = exposure[(exposure["origin"] == o) & (exposure["content_share"] == c)]
            e = e.sort_values("month")
            main = np.isclose(c, 0.5) or len(shares) == 1
            ax.plot(e["month"], e["observed_rate_pct"], color=st.get("color", "k"),
                    linestyle="-", marker=st.get("marker", "o") if main else None,
                    markersize=3.5, linewidth=1.6 if main else 0.7,
                    label=f"Observed (claim shares), content {c:g}" if main or i in (0, len(shares)
                                                                                  - 1) else None)
            ax.plot(e["month"], e["assumed_rate_pct"],
                    color="#444444" if main else greys[min(i, len(greys) - 1)], linestyle="--",
                    linewidth=1.2 if main else 0.6,
                    label=f"Assumed schedule (all claimed), content {c:g}" if main else None)
        ax.set_xlim(lo, hi)
        ax.set_title(ORIGIN_LABEL.get(o, o), loc="left", fontsize=9)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.tick_params(axis="x", labelrotation=30)
        ax.set_xlabel("Month")
        mark_events(ax, {design.TARIFF.date: design.TARIFF.label})
    axes[0, 0].set_ylabel("Duty on HS 8703 (% of customs value)")
    axes[0, 0].legend(loc="lower right", fontsize=MIN_FONT_PT)
    add_source_note(
        fig,
        "Source: USITC DataWeb HS10 8703 imports for consumption from Canada and Mexico, "
        "USMCA-claimed share of customs value (via Budget Lab tariff-rate-tracker), 2025-01.."
        "2026-02. Claimed: 25% on non-US content (9903.94.03; content share assumed); not claimed: "
        "2.5% MFN + 25% (9903.94.01). Assumed schedule: event table, every car claimed.",
    )
    return fig
