"""Robustness figure: the regression-based ratios of :mod:`autotariffs.models.robustness` across
specifications (moved here from the models, which draw nothing)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs.figures import OKABE_ITO, add_source_note, set_style
from autotariffs.outputs import Text

ROBUSTNESS_TEXT = Text(
    "Regression-based ratios across specifications",
    "Coefficient on ln(1+τ) across specifications, by origin and outcome: each row is the "
    "regression named in the table's 'specification' column with the one change named on the "
    "axis. Intervals are CRV1 with one treated origin and are not valid inference (shown only to "
    "compare specifications); hollow markers have no interval (the table's 'interval' column says "
    "why). The headline is the reduced form, not these ratios.",
    "Source: UN Comtrade monthly HS 8703; tariff events table; FRED exchange rates.",
)


def fig_robustness(table: pd.DataFrame) -> plt.Figure:
    """Coefficient on ln(1+tau) with 95% intervals across specifications (log outcomes only)."""
    set_style()
    t = table[~table["check"].eq("PPML")].reset_index(drop=True)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 0.32 * len(t) / 2 + 2.2), sharey=False)
    groups = [
        ("import demand (ln q, ln v)", ~t["outcome"].str.contains("pass-through")),
        ("pass-through (ln ex-tariff unit value)", t["outcome"].str.contains("pass-through")),
    ]
    markers = {
        "baseline": "o",
        "outcome": "s",
        "form": "D",
        "window": "^",
        "placebo": "X",
        "origin vs controls": "P",
        "leave one control out": "v",
        "USMCA content share": "*",
    }
    for ax, (title, mask) in zip(axes, groups, strict=True):
        sub = t[mask].reset_index(drop=True)
        y = np.arange(len(sub))[::-1]
        for i, r in sub.iterrows():
            m = markers.get(r["check"], "o")
            no_ci = not (np.isfinite(r["ci95_low"]) and np.isfinite(r["ci95_high"]))
            ax.errorbar(
                r["coef"],
                y[i],
                xerr=None if no_ci else [[r["coef"] - r["ci95_low"]], [r["ci95_high"] - r["coef"]]],
                fmt=m,
                mfc="white" if no_ci else None,
                color=OKABE_ITO[list(markers).index(r["check"]) % 8]
                if r["check"] in markers
                else "k",
                capsize=2,
                markersize=5,
                linewidth=1,
            )
        ax.set_yticks(y, [f"{r['variant']} [{r['origin']}]" + (" (no interval)" if not (
            np.isfinite(r["ci95_low"]) and np.isfinite(r["ci95_high"])) else "")
            for _, r in sub.iterrows()], fontsize=7)
        ax.axvline(0, color="#555555", linestyle="--", linewidth=0.8)
        if "pass-through" in title:
            ax.axvline(-1, color="#999999", linestyle=":", linewidth=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("coefficient on ln(1+τ) (log points per log point of tariff)")
        lo, hi = np.nanpercentile(np.r_[sub["ci95_low"], sub["ci95_high"]], [5, 95])
        span = max(hi - lo, 1.0)
        ax.set_xlim(lo - 0.1 * span, hi + 0.1 * span)
    fig.tight_layout()
    add_source_note(
        fig,
        f"Source: UN Comtrade monthly HS 8703 ({t['sample_start'].min()} to "
        f"{t['sample_end'].max()}); tariff events table; FRED exchange rates. Bars: CRV1 by "
        "origin, t(G-1), with one treated origin (not valid inference; hollow markers: no "
        "interval); some extend beyond the axis (clipped at the 5th-95th percentile).",
    )
    return fig
