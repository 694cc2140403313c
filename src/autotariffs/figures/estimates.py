"""Figures of estimates: event-study paths and coefficient plots, in the house style.

Confidence bands are the CRV1 t(G-1) 95% intervals; wild-bootstrap / RI p-values are printed in
the figure because the band alone would overstate precision with few clusters. Markers and line
styles (not only colour) distinguish series; event dates are marked; a source note is added.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd

from autotariffs import design
from autotariffs.figures import (
    ORIGIN_LABEL,
    ORIGIN_STYLE,
    add_source_note,
    mark_events,
    set_style,
)

SOURCE_NOTE = (
    "Source: UN Comtrade monthly US imports of HS 8703 (snapshot 2020-01..2025-07); tariff rates: "
    "autotariffs tariff table. Bands: 95% CI, CRV1 by origin with t(G-1) critical values."
)


def _table(es) -> pd.DataFrame:
    if hasattr(es, "table"):
        return es.table
    if isinstance(es, Mapping) and "coefficients" in es:
        t = pd.DataFrame(es["coefficients"])
        t["month"] = pd.to_datetime(t["month"])
        return t
    return pd.DataFrame(es)


def fig_event_study(es, origin: str, outcome_label: str = "log imports (vehicles)") -> plt.Figure:
    """Event-study path with 95% band for ``origin``; x = calendar month, k=-1 normalised to 0.

    ``es`` is an :class:`autotariffs.models.event_study.EventStudy`, its ``to_dict()`` or a
    table with columns month, coef, ci_low, ci_high.
    """
    set_style()
    t = _table(es).sort_values("month")
    style = ORIGIN_STYLE.get(origin, ORIGIN_STYLE["ROW"])
    fig, ax = plt.subplots()
    ax.fill_between(t["month"], t["ci_low"], t["ci_high"], color=style["color"], alpha=0.2,
                    linewidth=0, label="95% CI (CRV1, t(G-1))")  # fmt: skip
    ax.plot(t["month"], t["coef"], color=style["color"], linestyle=style["linestyle"],
            marker=style["marker"], markersize=3.5,
            label=f"{ORIGIN_LABEL.get(origin, origin)}: effect relative to k = -1")  # fmt: skip
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("Month")
    ax.set_ylabel(f"Effect on {outcome_label} (log points)")
    # only the events that concern this origin (the UK/EU deals say nothing about Korea or Japan)
    mark_events(ax, design.own_events(origin))
    ax.tick_params(axis="x", labelrotation=30)
    meta = getattr(es, "meta", es if isinstance(es, Mapping) else {})
    pre = getattr(es, "pretrend", es.get("pretrend", {}) if isinstance(es, Mapping) else {})
    if pre:
        g = pre.get("n_clusters")
        txt = f"Pre-trend: mean lead p(CRV1) = {pre.get('mean_lead_p_crv1', float('nan')):.3f}"
        txt += f", G = {g}"
        ax.text(0.01, 0.02, txt, transform=ax.transAxes, fontsize=7, va="bottom")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 0.08), fontsize=7)
    controls = ", ".join(meta.get("controls", [])) if isinstance(meta, Mapping) else ""
    add_source_note(fig, SOURCE_NOTE + (f" Controls: {controls}." if controls else ""))
    return fig


def fig_coefficients(results: Mapping[str, Mapping[str, Mapping]]) -> plt.Figure:
    """Coefficient plot: ``results[origin][label] = result dict`` (coef, ci95_low, ci95_high).

    Typically labels 'elasticity (ln q)' and 'pass-through (ln uv)' for KOR and JPN. The wild
    bootstrap p-value and G are printed next to each estimate.
    """
    set_style()
    labels = sorted({lab for r in results.values() for lab in r})
    origins = list(results)
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 2.4 + 0.4 * len(origins)),
                             squeeze=False)  # fmt: skip
    for ax, lab in zip(axes[0], labels, strict=True):
        for i, o in enumerate(origins):
            r = results[o].get(lab)
            if r is None:
                continue
            st = ORIGIN_STYLE.get(o, ORIGIN_STYLE["ROW"])
            b, lo, hi = r["coef"], r["ci95_low"], r["ci95_high"]
            ax.errorbar([b], [i], xerr=[[b - lo], [hi - b]], color=st["color"], marker=st["marker"],
                        linestyle="none", capsize=3)  # fmt: skip
            pw, g = r.get("p_wild"), r.get("n_clusters")
            txt = f"G={g}" if pw is None else f"p_wild={pw:.3f}, G={g}"
            if r.get("wild_informative") is False:
                txt += " (bootstrap uninformative)"
            ax.annotate(txt, xy=(b, i), xytext=(0, 7), textcoords="offset points", ha="center",
                        fontsize=6.5)  # fmt: skip
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(range(len(origins)), [ORIGIN_LABEL.get(o, o) for o in origins])
        ax.set_ylim(-0.7, len(origins) - 0.3)
        ax.set_title(lab, fontsize=9)
        ax.set_xlabel("Coefficient on ln(1 + tariff)")
    add_source_note(fig, SOURCE_NOTE)
    return fig


def fig_placebo(ri_stats, observed: float, label: str = "|t| (CRV1)") -> plt.Figure:
    """Histogram of randomisation-inference statistics with the observed one marked."""
    set_style()
    fig, ax = plt.subplots()
    ax.hist(list(ri_stats), bins=30, color="#999999", edgecolor="#333333", hatch="//",
            label="permuted tariff paths")  # fmt: skip
    ax.axvline(observed, color="#D55E00", linestyle="--", linewidth=1.5, label="observed")
    ax.set_xlabel(label)
    ax.set_ylabel("Number of permutations")
    ax.legend()
    add_source_note(fig, SOURCE_NOTE)
    return fig


def fig_in_time_placebos(placebo_result: Mapping, title: str, xlabel: str) -> plt.Figure:
    """Distribution of in-time placebo estimates with the actual estimate marked.

    ``placebo_result`` is the dict of :func:`autotariffs.models.one_treated.in_time_placebos`
    (keys ``actual``, ``placebos``, ``p``, ``n_placebos``, ``min_p``). The placebo estimates are
    drawn as a histogram with each one also shown as a tick (a rug: with ~30-50 placebos the
    individual values matter for the rank p-value); the actual estimate is a vertical line whose
    legend entry carries p and the number of placebos, plus the smallest attainable p.
    """
    set_style()
    vals = [float(v) for v in placebo_result["placebos"].values()]
    actual = float(placebo_result["actual"])
    n = int(placebo_result["n_placebos"])
    p = float(placebo_result["p"])
    min_p = float(placebo_result.get("min_p", 1.0 / (n + 1)))
    fig, ax = plt.subplots()
    ax.hist(vals, bins=max(5, min(30, n // 2)), color="#999999", edgecolor="#333333", hatch="//",
            label=f"placebo estimates (fake events in the pre-period, n = {n})")  # fmt: skip
    ax.plot(vals, [0] * len(vals), linestyle="none", marker="|", markersize=12,
            color="#333333", label="_nolegend_")  # fmt: skip
    ax.axvline(actual, color="#D55E00", linestyle="--", linewidth=1.8,
               label=f"actual estimate = {actual:.3f}; p = {p:.3f} (n = {n}, min p = {min_p:.3f})")  # fmt: skip
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Number of placebo dates")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    add_source_note(
        fig,
        "Placebos: the same difference-in-differences estimator with a fake event at every "
        "admissible pre-period month (same post length and donut); p = (1 + #|placebo| >= "
        "|actual|) / (1 + n).",
    )
    return fig
