"""What the design comparison needs from a baseline, checked before a kernel starts.

The oracle is the comparison's own code: :func:`baseline_problem` runs, on the real months of
each outcome's gap (quantity-based outcomes lose 2022), exactly the steps of
:func:`autotariffs.models.reduced_form.compare` that can refuse a baseline - the trend test, each
design's estimate (its minimum baseline, month-of-year coverage, the same months a year before,
an identified trend) and each design's conformal test (its minimum baseline) - and, for the
headline outcome, whether any design's conformal test can reach the test level at all (1/T <=
alpha). Nothing is restated here, so a new design or rule is checked as soon as it exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from autotariffs import design as study
from autotariffs.design import Window
from autotariffs.models import one_treated as ot
from autotariffs.models import reduced_form as rfm
from autotariffs.models.drift import pretrend_design
from autotariffs.models.inference import InferenceError

#: the comparison's outcomes and their labels
OUTCOMES: dict[str, str] = dict(rfm.OUTCOMES)


def gaps(panel: pd.DataFrame, origin: str, controls: Sequence[str],
         outcomes: Sequence[str] = tuple(rfm.OUTCOMES)) -> dict[str, ot.Gap]:
    """Per outcome, the origin-minus-controls gap on every month with data (no window)."""
    return {y: ot.Gap.from_wide(rfm.wide(panel, y, [origin, *controls]), origin, list(controls))
            for y in outcomes}


def all_months(first: str, end: str) -> dict[str, ot.Gap]:
    """A stand-in when the panel is not built: every month from ``first`` to ``end`` has data."""
    months = pd.period_range(first, end, freq="M")
    rng = np.random.default_rng(0)  # values do not matter for the rules, only the months do
    return {"all": ot.Gap(rng.normal(0, 0.1, len(months)), months, 0, "all months")}


def baseline_problem(gap: ot.Gap, window: Window, headline: bool = True,
                     designs: Sequence[ot.Design] = ot.DESIGNS,
                     alpha: float = study.ALPHA) -> str | None:
    """Why :func:`~autotariffs.models.reduced_form.compare` would refuse this window on this
    outcome's gap, or None if it runs."""
    g = gap.restrict(np.asarray((gap.months >= window.pre_start)
                                & (gap.months <= window.post_end)))
    if not len(g.months):
        return "no month with data in the window"
    try:
        pretrend_design(g, window)  # pretrend's refusal, without its fit
        for d in designs:
            ot.estimate(g, d, window)
            ot.conformal(g, d, window, ci=False, allow_coarse=True)
    except InferenceError as exc:
        return str(exc)
    if headline and all(ot.conformal_problem(g, d, window).n_perm * alpha < 1 for d in designs):
        return (f"no design's conformal test can reach p <= {alpha} (too few baseline months "
                "for the moving-block permutations)")
    return None


def latest_baseline_start(gaps_by_outcome: Mapping[str, ot.Gap], window: Window,
                          headline_outcome: str = study.HEADLINE_OUTCOME) -> str | None:
    """The latest baseline start ('YYYY-MM') with which the comparison runs for every outcome,
    or None if no start within the months with data works."""
    first = min((g.months.min() for g in gaps_by_outcome.values() if len(g.months)),
                default=None)
    if first is None:
        return None
    for s in pd.period_range(first, window.pre_end, freq="M")[::-1]:
        w = Window(window.event_date, str(s), window.donut, window.end)
        if all(baseline_problem(g, w, headline=y in (headline_outcome, "all")) is None
               for y, g in gaps_by_outcome.items()):
            return str(s)
    return None
