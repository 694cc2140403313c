"""The robustness figure reads: the plot keeps most of the width, markers are filled with enough
contrast, and no interval is cut off. SIMULATED table rows (not estimates)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from autotariffs.figures.robustness import fig_robustness


def _table() -> pd.DataFrame:
    rows = []  # SIMULATED
    specs = [("baseline", "pooled, levels", -0.01, -4.2, 4.2),
             ("window", "from 2023 (drop 2022 estimated quantities, a long label)", 0.46, -3.4, 4.3),
             ("placebo", "tariff step moved to 2024-04-03", 1.2, -5.3, 7.8),
             ("leave one control out", "KOR vs CAN (drop MEX)", 1.03, np.nan, np.nan),
             ("origin vs controls", "JPN vs MEX, CAN", -0.67, -30.0, 25.0)]
    for outcome in ("ln_q", "ln_uv (pass-through)"):
        for check, variant, coef, lo, hi in specs:
            rows.append({"check": check, "variant": variant, "origin": "ALL", "outcome": outcome,
                         "coef": coef, "ci95_low": lo, "ci95_high": hi,
                         "sample_start": "2020-01", "sample_end": "2025-07"})
    return pd.DataFrame(rows)


def _contrast(colour) -> float:
    """WCAG contrast ratio of a colour against white."""
    c = np.array(to_rgb(colour))
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 1.05 / (float(c @ [0.2126, 0.7152, 0.0722]) + 0.05)


@pytest.fixture(scope="module")
def fig():
    f = fig_robustness(_table())
    f.draw_without_rendering()
    yield f
    plt.close(f)


def test_long_labels_do_not_squeeze_the_plot(fig):
    for ax in fig.axes:
        assert ax.get_position().width >= 0.5, "the plot area must keep half the figure's width"


def test_markers_are_filled_and_stand_out(fig):
    for ax in fig.axes:
        for ln in ax.get_lines():
            if ln.get_marker() in (None, "None", "", " "):
                continue
            face = ln.get_markerfacecolor()
            assert face not in ("none", "None") and to_rgb(face) != (1.0, 1.0, 1.0), ln
            assert _contrast(face) >= 3.0, (ln.get_label(), face)


def test_no_interval_is_cut_off(fig):
    t = _table()
    for ax, mask in zip(fig.axes, [~t["outcome"].str.contains("pass"),
                                   t["outcome"].str.contains("pass")], strict=True):
        lo, hi = ax.get_xlim()
        sub = t[mask]
        assert lo <= np.nanmin(sub[["coef", "ci95_low"]].to_numpy()), (lo, ax.get_title())
        assert hi >= np.nanmax(sub[["coef", "ci95_high"]].to_numpy()), (hi, ax.get_title())
