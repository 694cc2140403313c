"""models.requirements knows what the reduced form's inference needs from its baseline.

The oracle is the estimator itself: on a simulated origin x month panel (three origins, noise with
a seed; quantity-based outcomes lose 2022 as in the snapshot), the reduced form runs from the
latest baseline start that ``latest_baseline_start`` returns and raises ``InferenceError`` one
month later. Three designs, each bound by a different rule: the seasonal time-series
counterfactual (a 4-month post period), the in-time placebos (a 10-month post period) and the
missing 2022 quantities (an event in 2023). If the estimators gain or change a requirement (new
designs in one_treated / reduced_form), this test fails until requirements.py follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


def _next_month(ym: str) -> str:
    p = pd.Period(ym, freq="M") + 1
    return p.strftime("%Y-%m")


@pytest.mark.parametrize("event, end, binding", [
    ("2025-04", "2025-07", "seasonal time-series counterfactual"),
    ("2024-10", "2025-07", "in-time placebos"),
    ("2023-09", "2023-12", "seasonal time-series counterfactual"),  # 2022 lost: starts in 2021
])
def test_the_latest_start_is_the_last_one_the_reduced_form_accepts(panel, event, end, binding):
    sub = panel[panel["month"] <= pd.Timestamp(f"{end}-01")]
    months = req.gap_months(sub, "KOR", ["MEX", "CAN"])
    latest = req.latest_baseline_start(months, event, end, donut=1)
    assert latest is not None
    kw = {"event_month": event, "end": end, "donut": 1}
    rfm.reduced_form(sub, "KOR", ["MEX", "CAN"], pre_start=latest, **kw)
    with pytest.raises(InferenceError):
        rfm.reduced_form(sub, "KOR", ["MEX", "CAN"], pre_start=_next_month(latest), **kw)
    reason = req.baseline_problem(months["ln_q"], _next_month(latest), event, end, 1)
    assert reason and binding in reason, reason
    if event.startswith("2023"):  # the baseline crosses 2022: quantities need 12 more months
        value_only = req.latest_baseline_start({"ln_v": months["ln_v"]}, event, end, donut=1)
        gap = pd.Period(value_only, freq="M") - pd.Period(latest, freq="M")
        assert gap.n == 12, (latest, value_only)


def test_no_start_works_when_the_data_begin_too_late(panel):
    sub = panel[panel["month"] >= pd.Timestamp("2024-06-01")]
    months = req.gap_months(sub, "KOR", ["MEX", "CAN"])
    assert req.latest_baseline_start(months, "2025-04", "2025-07", donut=1) is None
