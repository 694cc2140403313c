"""Figures of the reduced form (one treated origin) and of the exposure sensitivity curve.

Why not the CRV1 event-study band: with one treated origin it is not valid (the treated
cluster's score is zero). The month-by-month figure shows the seasonally adjusted gap between
the origin and its comparison origins, with a band equal to the 95th percentile of the absolute
gap over the baseline months: the per-month conformal interval of a single post month under the
difference-in-differences counterfactual (Chernozhukov, Wüthrich & Zhu 2021 with one post period:
p = share of baseline months whose |gap| is at least as large).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.figures import MIN_FONT_PT, ORIGIN_LABEL, ORIGIN_STYLE, mark_events, set_style
from autotariffs.figures.estimates import fig_in_time_placebos
from autotariffs.models.reduced_form import placebo_result
from autotariffs.outputs import Text

SOURCE_NOTE = ("Source: UN Comtrade monthly US imports of HS 8703 (Census data); tariff events "
               "table; autotariffs reduced form.")


def monthly_band(rf_outcome: Mapping, design: Mapping, level: float = 0.95) -> float:
    """Half-width of the per-month band: the ``level`` quantile of |gap| over baseline months."""
    s = pd.Series(rf_outcome["by_month"])
    pre = s[(s.index >= design["pre_start"]) & (s.index <= design["pre_end"])]
    return float(np.quantile(np.abs(pre.to_numpy()), level))


def fig_gap_by_month(rf: Mapping, origin: str, outcome: str = "ln_q") -> plt.Figure:
    """Seasonally adjusted gap (origin minus comparison mean) by month, band, events marked."""
    set_style()
    e, d = rf[outcome], rf["design"]
    s = pd.Series(e["by_month"])
    s.index = pd.to_datetime(s.index)
    s = s.sort_index()
    # a full monthly index, so that skipped months (2022 quantities) break the line
    s = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="MS"))
    h = monthly_band(e, d)
    style = ORIGIN_STYLE.get(origin, ORIGIN_STYLE["ROW"])
    fig, ax = plt.subplots()
    ax.axhspan(-h, h, color="#999999", alpha=0.2, linewidth=0,
               label=f"95% of baseline months (|gap| <= {h:.2f})")
    ax.plot(s.index, s.to_numpy(), color=style["color"], linestyle=style["linestyle"],
            marker=style["marker"], markersize=3.5,
            label=f"{ORIGIN_LABEL.get(origin, origin)} minus {', '.join(d['controls'])}")
    post = s[(s.index >= pd.Timestamp(d["post_start"] + "-01"))]
    ax.hlines(e["coef"], post.index.min(), post.index.max(), color="#000000", linewidth=1.6,
              label=f"post-tariff mean {e['coef']:+.3f} (conformal p = {e['p_conformal']:.3f})")
    if d.get("donut"):
        ax.axvspan(pd.Timestamp(d["donut_start"] + "-01") - pd.Timedelta(days=15),
                   pd.Timestamp(d["donut_end"] + "-01") + pd.Timedelta(days=15),
                   color="#E69F00", alpha=0.25, linewidth=0, label="announcement (left out)")
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("Month")
    ax.set_ylabel(f"Gap in {e['label']}, seasonally adjusted")
    mark_events(ax, {k: v for k, v in design.own_events(origin).items()
                     if pd.Timestamp(k) <= s.index.max()})
    ax.legend(loc="lower left", fontsize=MIN_FONT_PT)
    return fig


def gap_text(rf: Mapping, outcome: str = "ln_q") -> Text:
    """Title, caption and source note of :func:`fig_gap_by_month`."""
    d, e = rf["design"], rf[outcome]
    return Text(
        f"Monthly gap: {d['origin']} vs {', '.join(d['controls'])}",
        f"{e['label'].capitalize()} of {d['origin']} minus the mean of "
        f"{', '.join(d['controls'])}, with the month-of-year pattern of the baseline "
        f"({d['pre_start']} to {d['pre_end']}) removed. The band holds 95% of baseline "
        "months: a single month outside it is unusual at the 5% level (the one-month "
        "conformal test with the difference-in-differences counterfactual). The black line "
        f"is the post-tariff mean ({d['post_start']} to {d['post_end']}).",
        SOURCE_NOTE,
    )


def fig_placebos(rf: Mapping, outcome: str = "ln_q") -> plt.Figure:
    """The in-time placebos of one outcome of the reduced form, actual estimate marked."""
    return fig_in_time_placebos(placebo_result(rf, outcome),
                                title=f"{rf['design']['origin']}: in-time placebos, "
                                      f"{rf[outcome]['label']}",
                                xlabel="placebo estimate (log points)")


def placebo_text(rf: Mapping, outcome: str = "ln_q") -> Text:
    """Title, caption and source note of :func:`fig_placebos`."""
    d, e = rf["design"], rf[outcome]
    return Text(
        f"In-time placebos: {d['origin']}, {e['label']}",
        f"The reduced-form estimate for {e['label']} recomputed with a fake event at each of "
        f"{e['n_placebos']} admissible months of the baseline (same post length and donut, "
        f"at least {d['min_pre']} baseline months before each); the actual estimate is "
        f"marked. p = (1 + number of placebos at least as large in absolute value) / "
        f"(1 + {e['n_placebos']}).",
        SOURCE_NOTE,
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
    fig.suptitle(f"{ORIGIN_LABEL.get(origin, origin)}: ratios depend on the comparison origins' "
                 "exposure", fontsize=9)
    fig.subplots_adjust(wspace=0.3)
    return fig


def sensitivity_text(sens: Mapping, origin: str) -> Text:
    """Title, caption and source note of :func:`fig_sensitivity`."""
    return Text(
        f"Elasticity and pass-through against exposure: {origin}",
        "Reduced form divided by the tariff gap (the origin's change in ln(1+tariff) minus "
        "the comparison origins'), against the non-US content share that sets the Mexican "
        "and Canadian duty; band: the conformal interval of the reduced form divided by the "
        f"same gap. Left out where the gap is below {sens['min_gap']:.2f} log points (no ratio "
        "is identified). gamma: 0 = buyers pay the whole duty, -1 = exporters absorb it.",
        SOURCE_NOTE,
    )
