"""models.requirements knows what the design comparison needs from its baseline.

The oracle is the comparison itself: on a SIMULATED origin x month panel (three origins, seeded
noise; quantity-based outcomes lose 2022 as in the snapshot), ``reduced_form.compare`` runs from
the latest baseline start that ``latest_baseline_start`` returns and raises ``InferenceError`` one
month later. The cases are bound by different rules: the trend-adjusted design's two years of
baseline (an event in 2025), the missing 2022 quantities (an event in 2023, where quantities need
a year more than values). If a design gains a requirement, this test fails until requirements.py
follows - or rather, since requirements.py runs the designs' own code, it cannot drift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs import design
from autotariffs.design import Window
from autotariffs.models import reduced_form as rfm
from autotariffs.models import requirements as req
from autotariffs.models.inference import InferenceError

UNITS = ("KOR", "MEX", "CAN")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(20250403)
    months = pd.date_range("2019-01-01", "2025-07-01", freq="MS")
    rows = []
    for o in UNITS:
        for m in months:
            q, v = rng.normal(8, 0.2), rng.normal(20, 0.2)
            rows.append({"origin": o, "month": m, "ln_q": q, "ln_v": v, "ln_uv": v - q,
                         "qty_estimated_2022": m.year == 2022})
    return pd.DataFrame(rows)


def _next(ym: str) -> str:
    return str(pd.Period(ym, freq="M") + 1)


def test_the_latest_start_is_the_last_one_the_comparison_accepts(panel):
    gaps = req.gaps(panel, "KOR", ["MEX", "CAN"])
    w = Window("2025-04", "2019-01", 1, "2025-07")
    latest = req.latest_baseline_start(gaps, w)
    assert latest is not None
    rfm.compare(panel, "KOR", ["MEX", "CAN"], Window("2025-04", latest, 1, "2025-07"),
                n_draws=20)
    late = Window("2025-04", _next(latest), 1, "2025-07")
    with pytest.raises(InferenceError, match="trend-adjusted design needs 24 baseline months"):
        rfm.compare(panel, "KOR", ["MEX", "CAN"], late, n_draws=20)
    reasons = [req.baseline_problem(g, late, headline=y == design.HEADLINE_OUTCOME)
               for y, g in gaps.items()]
    assert any(r and "trend-adjusted design needs 24" in r for r in reasons), reasons


def test_missing_2022_quantities_leave_no_year_on_year_for_a_2023_event(panel):
    """Post months 2023-09..12 need 2022-09..12 for the same month a year before; 2022
    quantities are missing, so no baseline works for quantity outcomes, while value works."""
    sub = panel[panel["month"] <= pd.Timestamp("2023-12-01")]
    gaps = req.gaps(sub, "KOR", ["MEX", "CAN"])
    w = Window("2023-09", "2019-01", 1, "2023-12")
    assert req.latest_baseline_start(gaps, w) is None
    assert "no counterfactual for 2023-09" in req.baseline_problem(gaps["ln_q"], w)
    assert req.latest_baseline_start({"ln_v": gaps["ln_v"]}, w, headline_outcome="ln_v")
    with pytest.raises(InferenceError, match="no counterfactual for 2023-09"):
        rfm.compare(sub, "KOR", ["MEX", "CAN"], w, n_draws=20)


def test_no_start_works_when_the_data_begin_too_late(panel):
    sub = panel[panel["month"] >= pd.Timestamp("2024-06-01")]
    gaps = req.gaps(sub, "KOR", ["MEX", "CAN"])
    assert req.latest_baseline_start(gaps, Window("2025-04", "2024-06", 1, "2025-07")) is None


def test_an_unreachable_headline_is_a_problem():
    """With every month having data but only 15 of them in the baseline, no design's conformal
    test can reach 5% (1/T > 0.05) for the headline outcome: refused."""
    g = req.all_months("2023-01", "2025-07")["all"]
    w = Window("2025-04", "2023-12", 1, "2025-07")  # 15 baseline + 4 post months: T = 19
    assert req.baseline_problem(g, w, headline=False) is not None  # the trend needs 24 months
    short = [d for d in req.ot.DESIGNS if d.key != "trend"]
    assert req.baseline_problem(g, w, headline=False, designs=short) is None
    assert "can reach p <= 0.05" in req.baseline_problem(g, w, headline=True, designs=short)
