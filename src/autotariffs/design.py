"""The study design in one place: event dates, deals, origins, labels, inference defaults.

Why one module: a date, label or default typed in several modules can be corrected in one and
missed in another. Every stage reads them from here; notebook parameters
(``notebooks/params/*.yaml``) override the defaults and nothing else does (:mod:`autotariffs.config`
takes its defaults from this module).

Sources: the tariff events table ``data/raw/tariffs/us_auto_tariff_events.csv`` and its
SOURCES.md (Proclamation 10908 for the Section 232 duty in force 2025-04-03, announced
2025-03-26; the UK, EU, Japan and Korea deals). The rates themselves live in that table, not
here: this module holds only what the analysis design needs to know about *when*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Event:
    """A policy event: date in force, short label, the origins it concerns (None = all), and
    when it was announced ('YYYY-MM' or a date; None where the sources do not say)."""

    date: str
    label: str
    origins: tuple[str, ...] | None
    retroactive: bool = False
    announced: str | None = None

    @property
    def month(self) -> pd.Timestamp:
        """First day of the event's month."""
        return pd.Timestamp(self.date[:7] + "-01")

    def concerns(self, origin: str) -> bool:
        """Whether the event set the tariff on ``origin``'s cars (an event of all origins does)."""
        return self.origins is None or origin in self.origins

    @property
    def timeline_label(self) -> str:
        """Label on the tariff timeline, which also says when a cut applied retroactively."""
        return self.label + (" (retro.)" if self.retroactive else "")


#: Section 232 duty on imported passenger vehicles, in force (announced ANNOUNCEMENT_DATE)
TARIFF = Event("2025-04-03", "S232 autos 25%", None)
ANNOUNCEMENT_DATE = "2025-03-26"
#: the deals that later set 15% all-in (Japan, Korea) or quotas / caps (UK, EU)
DEALS: dict[str, Event] = {
    "GBR": Event("2025-06-30", "UK deal", ("GBR",)),
    "EU": Event("2025-08-01", "EU deal", ("DEU", "EUN"), retroactive=True),
    "JPN": Event("2025-09-16", "Japan deal", ("JPN",), announced="2025-07-22"),
    # announced "July 2025" (event table KR-30-CAR, Thompson Hine); the day is not pinned down
    "KOR": Event("2025-11-01", "Korea deal", ("KOR",), retroactive=True, announced="2025-07"),
}
EVENTS_ALL: tuple[Event, ...] = (TARIFF, *DEALS.values())
#: an earlier step drawn where the effective rates reach back (KORUS: Korea's car duty to 0)
KORUS = Event("2016-01-01", "KORUS: car duty 0 (Korea)", ("KOR",))

#: origins with their own per-origin estimates (one ``04_estimates_<ORIGIN>.yaml`` each)
TREATED: tuple[str, ...] = ("KOR", "JPN")
#: the less-treated comparison origins (USMCA: duty on non-US content only)
CONTROLS: tuple[str, ...] = ("MEX", "CAN")

#: reduced-form and inference defaults (overridden by the notebook parameters)
BASELINE_START = "2021-01"
#: first month of the regression samples (the robustness and descriptive windows)
START = "2020-01"
#: the robustness checks' placebo event: the 2025 tariff step moved a year back
PLACEBO_DATE = "2024-04-03"
DONUT_MONTHS = 1
#: last month of the US monthly import series (UN Comtrade, data/raw/trade item 1)
END = "2025-07"
N_BOOT = 999
SEED = 20250403
#: randomization-inference draws when the assignments are too many to enumerate
N_PERM = 4999
LEADS = 6
#: level of every test and interval
ALPHA = 0.05
#: fewest baseline months before a (real or fake) event for the level and year-on-year designs;
#: the trend-adjusted design needs two years, so that slope and month-of-year are both identified
MIN_PRE = 12
MIN_PRE_TREND = 24
#: the outcome the headline answers "how much did imports fall" with
HEADLINE_OUTCOME = "ln_q"
#: the calibrated simulation that chooses the headline design (rule: models/calibration.py)
SIM_EFFECTS = (0.0, -0.1, -0.2, -0.3)
SIM_DRAWS = 1000
SIZE_LIMIT = 0.07
#: Korea's deal cut (models/deals.py): no donut (the window starts after the step's transition
#: month); in-time placebos of three months, each with at least two baseline months (the cut's
#: window has six pre months and no history, so no seasonality)
DEAL_DONUT = 0
DEAL_PLACEBO_POST_LEN = 3
DEAL_PLACEBO_MIN_PRE = 2


def event_labels(which: str = "figure") -> dict[str, str]:
    """Date -> label of every event: ``"figure"`` labels or ``"timeline"`` labels."""
    return {e.date: (e.timeline_label if which == "timeline" else e.label) for e in EVENTS_ALL}


def own_events(origin: str) -> dict[str, str]:
    """The events that concern ``origin`` (the tariff and its deal, if any), date -> label."""
    return {e.date: e.label for e in EVENTS_ALL if e.concerns(origin)}


def deal_for(origin: str) -> Event | None:
    """The deal that concerns ``origin`` (the EU deal for DEU), or None."""
    return next((e for e in DEALS.values() if e.concerns(origin)), None)


def deal_date(origin: str) -> str:
    """The date the origin's deal took effect (KeyError for an origin no deal concerns)."""
    deal = deal_for(origin)
    if deal is None:
        raise KeyError(f"no deal in design.DEALS concerns {origin!r}")
    return deal.date


@dataclass(frozen=True)
class Window:
    """The months of a before/after comparison, under the parameter names of the params files.

    post = the event's month to ``end``; donut = the ``donut`` months just before the event (in
    neither period); baseline = ``baseline_start`` to the month before the donut. Built once from
    the parameters (:meth:`from_params`) and passed whole from the models to the figures.
    """

    event_date: str
    baseline_start: str = BASELINE_START
    donut: int = DONUT_MONTHS
    end: str = END

    @staticmethod
    def _period(month: str | pd.Period) -> pd.Period:
        return pd.Period(str(month)[:7], freq="M")

    @classmethod
    def from_params(cls, params: dict) -> Window:
        """The window of a notebook's validated parameters."""
        return cls(str(params["event_date"]), str(params["baseline_start"]),
                   int(params["donut"]), str(params["end"]))

    @property
    def event(self) -> pd.Period:
        return self._period(self.event_date)

    @property
    def post_end(self) -> pd.Period:
        return self._period(self.end)

    @property
    def pre_start(self) -> pd.Period:
        return self._period(self.baseline_start)

    @property
    def pre_end(self) -> pd.Period:
        return self.event - self.donut - 1

    @property
    def post_len(self) -> int:
        return self.post_end.ordinal - self.event.ordinal + 1

    def masks(self, months: pd.PeriodIndex) -> tuple[np.ndarray, np.ndarray]:
        """Boolean (baseline, post) masks over ``months``."""
        pre = (months >= self.pre_start) & (months <= self.pre_end)
        post = (months >= self.event) & (months <= self.post_end)
        return np.asarray(pre), np.asarray(post)

    def shifted(self, event: pd.Period, post_len: int | None = None) -> Window:
        """The same baseline start and donut around another (fake) event month."""
        n = self.post_len if post_len is None else post_len
        return Window(str(event), self.baseline_start, self.donut, str(event + (n - 1)))

    def to_dict(self) -> dict:
        """The window as written to results.json (months as 'YYYY-MM')."""
        out = {"event_date": self.event_date, "baseline_start": self.baseline_start,
               "donut": self.donut, "end": self.end, "post_len": self.post_len,
               "pre_start": str(self.pre_start), "pre_end": str(self.pre_end),
               "post_start": str(self.event), "post_end": str(self.post_end)}
        if self.donut:
            out["donut_start"] = str(self.event - self.donut)
            out["donut_end"] = str(self.event - 1)
        return out
