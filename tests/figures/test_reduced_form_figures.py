"""The per-origin figures mark the events the design says concern that origin.

SIMULATED reduced-form results (a flat gap by month), long enough to reach the deals.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from autotariffs import design
from autotariffs.figures import reduced_form as rffig


def _rf(origin: str) -> dict:
    months = pd.date_range("2021-01-01", "2026-06-01", freq="MS").strftime("%Y-%m")
    return {  # SIMULATED
        "design": {"origin": origin, "controls": list(design.CONTROLS), "pre_start": "2021-01",
                   "pre_end": "2025-02", "post_start": "2025-04", "post_end": "2026-06",
                   "donut": 0},
        "ln_q": {"by_month": {m: 0.01 * (i % 5 - 2) for i, m in enumerate(months)},
                 "coef": 0.0, "p_conformal": 0.5, "label": "log vehicles"},
    }


def _event_labels(fig: plt.Figure) -> set[str]:
    return {a.get_text() for a in fig.axes[0].texts}


@pytest.mark.parametrize("origin", ["DEU", "JPN", "KOR", "MEX"])
def test_gap_figure_marks_the_events_that_concern_the_origin(origin):
    fig = rffig.fig_gap_by_month(_rf(origin), origin)
    want = {e.label for e in design.EVENTS_ALL if e.concerns(origin)}
    assert _event_labels(fig) == want
    plt.close(fig)


def test_germany_gap_figure_shows_the_eu_deal():
    fig = rffig.fig_gap_by_month(_rf("DEU"), "DEU")
    assert design.DEALS["EU"].label in _event_labels(fig)
    plt.close(fig)
