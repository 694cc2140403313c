"""The per-origin figures mark the events the design says concern that origin.

A SIMULATED origin x month panel (seeded noise) through the design comparison, with the post
period long enough to reach the deals (so the year-on-year design, which needs the same month a
year before in the baseline, is left out).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from autotariffs import design
from autotariffs.design import Window
from autotariffs.figures import reduced_form as rffig
from autotariffs.models import one_treated as ot
from autotariffs.models import reduced_form as rfm


def _comp(origin: str) -> rfm.Comparison:
    rng = np.random.default_rng(1)
    months = pd.date_range("2021-01-01", "2026-06-01", freq="MS")
    panel = pd.DataFrame([{"origin": o, "month": m, "ln_q": rng.normal(0, 0.1), "ln_v": 0.0,
                           "ln_uv": 0.0} for o in (origin, *design.CONTROLS) for m in months])
    return rfm.compare(panel, origin, design.CONTROLS, Window(design.TARIFF.date, "2021-01", 1,
                                                              "2026-06"),
                       outcomes=("ln_q",), designs=(ot.Level(), ot.TrendAdjusted()), n_draws=20)


def _event_labels(fig: plt.Figure) -> set[str]:
    return {a.get_text() for a in fig.axes[0].texts}


@pytest.mark.parametrize("origin", ["DEU", "JPN", "KOR", "GBR"])
def test_gap_figure_marks_the_events_that_concern_the_origin(origin):
    fig = rffig.fig_gap_trend(_comp(origin))
    want = {e.label for e in design.EVENTS_ALL if e.concerns(origin)}
    assert _event_labels(fig) == want
    plt.close(fig)


def test_germany_gap_figure_shows_the_eu_deal():
    fig = rffig.fig_gap_trend(_comp("DEU"))
    assert design.DEALS["EU"].label in _event_labels(fig)
    plt.close(fig)
