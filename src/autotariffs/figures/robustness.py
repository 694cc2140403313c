"""Robustness figure: the regression-based ratios of :mod:`autotariffs.models.robustness`
across specifications, one row per specification."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs.figures import MIN_FONT_PT, add_source_note, set_style
from autotariffs.outputs import Text

ROBUSTNESS_TEXT = Text(
    "Regression-based ratios across specifications",
    "Coefficient on ln(1+τ) across specifications, by origin and outcome: each row is the "
    "regression named in the table's 'specification' column with the one change named on the "
    "axis; marker and colour name the kind of check. Intervals are CRV1 with one treated origin "
    "and are not valid inference (shown only to compare specifications); rows without an "
    "interval say so (the table's 'interval' column says why). The headline is the reduced form, "
    "not these ratios.",
    "Source: UN Comtrade monthly HS 8703; tariff events table; FRED exchange rates.",
)
#: marker of each kind of check; colours from :data:`CONTRAST_COLOURS`, in this order
MARKERS = {
    "baseline": "o",
    "outcome": "s",
    "form": "D",
    "window": "^",
    "placebo": "X",
    "origin vs controls": "P",
    "leave one control out": "v",
    "USMCA content share": "*",
}
#: Okabe-Ito colours with at least 3:1 contrast against white (WCAG non-text contrast), and black
CONTRAST_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
#: long row labels wrap at this many characters, so they do not squeeze the plot
LABEL_WIDTH = 34


def _label(r: pd.Series) -> str:
    no_ci = not (np.isfinite(r["ci95_low"]) and np.isfinite(r["ci95_high"]))
    text = f"{r['variant']} [{r['origin']}]" + (" (no interval)" if no_ci else "")
    return "\n".join(textwrap.wrap(text, LABEL_WIDTH))


def fig_robustness(table: pd.DataFrame) -> plt.Figure:
    """Coefficient on ln(1+tau) with 95% intervals across specifications (log outcomes only).

    One panel per outcome group, stacked, each the full width; every interval inside the axes.
    """
    set_style()
    t = table[~table["check"].eq("PPML")].reset_index(drop=True)
    groups = [
        ("import demand (ln q, ln v)", ~t["outcome"].str.contains("pass-through")),
        ("pass-through (ln ex-tariff unit value)", t["outcome"].str.contains("pass-through")),
    ]
    subs = [(title, t[mask].reset_index(drop=True)) for title, mask in groups]
    lines = [sum(_label(r).count("\n") + 1 for _, r in sub.iterrows()) for _, sub in subs]
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 0.2 * sum(lines) + 2.6),
                             gridspec_kw={"height_ratios": [max(n, 1) for n in lines]})
    colours = {c: CONTRAST_COLOURS[i % len(CONTRAST_COLOURS)] for i, c in enumerate(MARKERS)}
    for ax, (title, sub) in zip(axes, subs, strict=True):
        y = np.arange(len(sub))[::-1]
        for i, r in sub.iterrows():
            no_ci = not (np.isfinite(r["ci95_low"]) and np.isfinite(r["ci95_high"]))
            colour = colours.get(r["check"], "#000000")
            ax.errorbar(
                r["coef"], y[i],
                xerr=None if no_ci else [[r["coef"] - r["ci95_low"]], [r["ci95_high"] - r["coef"]]],
                fmt=MARKERS.get(r["check"], "o"), color=colour, mfc=colour, mec=colour,
                capsize=2, markersize=6, linewidth=1.1,
            )  # fmt: skip
        ax.set_yticks(y, [_label(r) for _, r in sub.iterrows()])
        ax.axvline(0, color="#555555", linestyle="--", linewidth=0.8)
        if "pass-through" in title:
            ax.axvline(-1, color="#999999", linestyle=":", linewidth=0.8)
        ax.set_title(title, fontsize=9, loc="left")
        values = np.r_[sub["coef"], sub["ci95_low"], sub["ci95_high"]].astype(float)
        lo, hi = np.nanmin(values), np.nanmax(values)
        pad = 0.04 * max(hi - lo, 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.7, len(sub) - 0.3)
    axes[-1].set_xlabel("coefficient on ln(1+τ) (log points per log point of tariff)")
    shown = [c for c in MARKERS if c in set(t["check"])]
    handles = [plt.Line2D([], [], linestyle="", marker=MARKERS[c], color=colours[c],
                          markersize=6, label=c) for c in shown]
    axes[-1].legend(handles=handles, loc="upper center", bbox_to_anchor=(0.4, -0.25), ncol=4,
                    fontsize=MIN_FONT_PT, title="check", title_fontsize=MIN_FONT_PT)
    fig.tight_layout()
    add_source_note(
        fig,
        f"Source: UN Comtrade monthly HS 8703 ({t['sample_start'].min()} to "
        f"{t['sample_end'].max()}); tariff events table; FRED exchange rates. Bars: CRV1 by "
        "origin, t(G-1), with one treated origin (not valid inference; rows marked 'no "
        "interval' have none); every interval is drawn whole.",
    )
    return fig
