"""What the one-treated-unit inference needs from a baseline, for checks before a kernel starts.

The per-origin reduced form (:func:`autotariffs.models.reduced_form.reduced_form`, notebook 04)
runs, for each outcome, on the months in which the origin and every comparison origin have data
(quantity-based outcomes lose 2022, :func:`~autotariffs.models.reduced_form.wide`):

* conformal inference with the difference-in-differences counterfactual and its confidence
  interval (:func:`~autotariffs.models.one_treated.conformal`): at least ``MIN_PRE_CONFORMAL``
  baseline months, and T = baseline + post months whose T moving-block permutations can reach the
  test's level (1/T <= alpha); again for the cumulative change from the announcement month;
* the seasonal time-series counterfactual (``model="sarimax"``, month-of-year dummies): T of at
  least its parameter count plus :data:`SARIMAX_SPARE`;
* in-time placebos with their own baseline of at least the reduced form's ``min_pre`` months: one
  admissible fake event date at least;
* the seasonal adjustment: every post month-of-year among the baseline months.

The constants are read from the estimators (``MIN_PRE_CONFORMAL``, the default ``alpha`` of
``conformal``, the default ``min_pre`` of ``reduced_form``), so :func:`baseline_problem` and
:func:`latest_baseline_start` follow them. ``tests/models/test_requirements.py`` runs the real
reduced form at the latest valid start and one month later: if the estimators gain a requirement,
that test fails and this module must learn it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

import pandas as pd

from autotariffs.models import one_treated as ot
from autotariffs.models import reduced_form as rf

#: level of the conformal test as the reduced form calls it
ALPHA: float = inspect.signature(ot.conformal).parameters["alpha"].default
#: fewest baseline months of the conformal test (the counterfactual is fit on them)
MIN_PRE: int = ot.MIN_PRE_CONFORMAL
#: fewest own baseline months of an in-time placebo, as the reduced form calls them
PLACEBO_MIN_PRE: int = inspect.signature(rf.reduced_form).parameters["min_pre"].default
#: months beyond its parameter count that the seasonal time-series counterfactual needs
#: (one_treated.conformal, model="sarimax": T >= k + 12)
SARIMAX_SPARE = 12
#: the reduced form's outcomes and their labels
OUTCOMES: dict[str, str] = dict(rf.OUTCOMES)


def _m(month: str) -> int:
    """'YYYY-MM' -> a month number (consecutive months differ by 1)."""
    y, m = str(month)[:7].split("-")
    return int(y) * 12 + int(m) - 1


def _ym(n: int) -> str:
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def gap_months(panel: pd.DataFrame, origin: str, controls: Sequence[str],
               outcomes: Sequence[str] = tuple(rf.OUTCOMES)) -> dict[str, list[str]]:
    """Per outcome, the months ('YYYY-MM') in which the reduced form's gap exists: the origin and
    every control have data, quantity-based outcomes without the estimated 2022 quantities."""
    units = [origin, *controls]
    return {y: [m.strftime("%Y-%m") for m in ot.gap(rf.wide(panel, y, units), origin,
                                                      list(controls)).index]
            for y in outcomes}


def _seasonal_ok(pre: list[int], post: list[int]) -> bool:
    return {m % 12 for m in post} <= {m % 12 for m in pre}


def _conformal_problem(pre: list[int], post: list[int]) -> str | None:
    t = len(pre) + len(post)
    if len(pre) < MIN_PRE:
        return f"conformal inference needs {MIN_PRE} baseline months"
    if 1.0 / t > ALPHA:
        return (f"conformal inference needs T = baseline + post months with 1/T <= {ALPHA} "
                f"(T = {t})")
    return None


def _placebo_ok(pre: list[int], post_len: int, donut: int, start: int) -> bool:
    """As one_treated.in_time_placebos: a fake event e whose post window ends before the real
    donut and leaves at least PLACEBO_MIN_PRE baseline months before its own donut."""
    if not pre:
        return False
    last_pre = max(pre)
    for e in range(start, last_pre + 1):
        if e + post_len - 1 > last_pre:
            break
        fpre = [m for m in pre if start <= m <= e - donut - 1]
        fpost = [m for m in pre if e <= m <= e + post_len - 1]
        if len(fpre) >= PLACEBO_MIN_PRE and fpost and _seasonal_ok(fpre, fpost):
            return True
    return False


def baseline_problem(months: Sequence[str], baseline_start: str, event_month: str, end: str,
                     donut: int) -> str | None:
    """Why the reduced form's inference cannot run on one outcome's ``months`` (its gap's months
    with data) with this baseline, or None if it can. Months are 'YYYY-MM'."""
    ms = sorted({_m(m) for m in months})
    ps, ev, last = _m(baseline_start), _m(event_month), _m(end)
    pre = [m for m in ms if ps <= m <= ev - donut - 1]
    post = [m for m in ms if ev <= m <= last]
    n = len(pre)
    if not post:
        return "no post-event month with data"
    if not pre or not _seasonal_ok(pre, post):
        return f"{n} baseline months do not cover every post month of the year"
    # (in the order the reduced form meets them)
    problem = _conformal_problem(pre, post)
    if problem:
        return problem
    if not _placebo_ok(pre, last - ev + 1, donut, ps):
        return (f"in-time placebos need {PLACEBO_MIN_PRE} baseline months + donut + post "
                f"months before the event")
    k = 1 + (len({m % 12 for m in pre + post}) - 1) + 1  # constant, month-of-year dummies, AR(1)
    if len(pre) + len(post) < k + SARIMAX_SPARE:
        return (f"the seasonal time-series counterfactual needs {k + SARIMAX_SPARE} baseline + "
                f"post months (T = {len(pre) + len(post)})")
    cum_post = [m for m in ms if ev - donut <= m <= last]  # from the announcement month, no donut
    if not _seasonal_ok(pre, cum_post):
        return "the baseline does not cover the announcement month of the year"
    return _conformal_problem(pre, cum_post)


def latest_baseline_start(months_by_outcome: Mapping[str, Sequence[str]], event_month: str,
                          end: str, donut: int) -> str | None:
    """The latest baseline start ('YYYY-MM') with which the reduced form's inference runs for
    every outcome, or None if no start within the months with data works."""
    first = min((_m(m) for ms in months_by_outcome.values() for m in ms), default=None)
    if first is None:
        return None
    for s in range(_m(event_month) - donut - 1, first - 1, -1):
        start = _ym(s)
        if all(baseline_problem(ms, start, event_month, end, donut) is None
               for ms in months_by_outcome.values()):
            return start
    return None
