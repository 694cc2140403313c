"""The study design in one place: event dates, deals, origins, labels, inference defaults.

Why one module: the event date, the deal dates and their labels used to be typed in the panel,
the event study, robustness, four figure modules and the narrative, so a correction had to be
made in many places and could be missed in one. Every stage reads them from here; notebook
parameters (``notebooks/params/*.yaml``) override the defaults and nothing else does
(:mod:`autotariffs.config` takes its defaults from this module).

Sources: the tariff events table ``data/raw/tariffs/us_auto_tariff_events.csv`` and its
SOURCES.md (Proclamation 10908 for the Section 232 duty in force 2025-04-03, announced
2025-03-26; the UK, EU, Japan and Korea deals). The rates themselves live in that table, not
here: this module holds only what the analysis design needs to know about *when*.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Event:
    """A policy event: date in force, short label, the origins it concerns (None = all)."""

    date: str
    label: str
    origins: tuple[str, ...] | None
    retroactive: bool = False

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
    "JPN": Event("2025-09-16", "Japan deal", ("JPN",)),
    "KOR": Event("2025-11-01", "Korea deal", ("KOR",), retroactive=True),
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
DONUT_MONTHS = 1
N_BOOT = 999
SEED = 20250403
LEADS = 6


def event_labels(which: str = "figure") -> dict[str, str]:
    """Date -> label of every event: ``"figure"`` labels or ``"timeline"`` labels."""
    return {e.date: (e.timeline_label if which == "timeline" else e.label) for e in EVENTS_ALL}


def event_origins() -> dict[str, tuple[str, ...] | None]:
    """Date -> the origins an event concerns (None: all origins)."""
    return {e.date: e.origins for e in EVENTS_ALL}


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
