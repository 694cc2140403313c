"""Recorded API responses (``tests/recorded/``, see its README.md) and how a fetch run's
requests map onto them; used by the fetch tests (tests/data/sources/) and the secrets test."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from autotariffs.data.sources import census_api
from autotariffs.data.sources.http import Recorded
from support import RECORDED

YTD = census_api.ID_FIELDS + ("CON_VAL_YR", "CAL_DUT_YR")  # the fields of the year-to-date recordings


def recorded_route(url: str) -> Recorded:
    """Map a request URL to its recording (window 2024-12)."""
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.hostname == "api.census.gov":
        heading = q["I_COMMODITY"].rstrip("*")
        return Recorded.from_file(RECORDED / f"census_hs10_{heading}_2024-12_ytd.json")
    if parts.hostname == "comtradeapi.un.org":
        if q["reporterCode"] == "392":
            return Recorded.from_file(RECORDED / "comtrade_jpn_exports_8703_202412.json")
        if q["cmdCode"] == "8703":
            return Recorded.from_file(RECORDED / "comtrade_usa_imports_8703_202412.json")
        return Recorded.from_file(RECORDED / "comtrade_empty.json")  # no shipped 8704/8708 values
    if parts.hostname == "api.stlouisfed.org":
        return Recorded.from_file(RECORDED / f"fred_{q['series_id']}_2024-12.json")
    raise AssertionError(f"no recording for {url}")
