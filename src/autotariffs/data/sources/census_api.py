"""Client for the Census international trade API, ``timeseries/intltrade/imports/hs``.

Why one request per heading x year: HS10 x all-country x multi-year queries time out on the
Census side (the documented remedy is chunking by year), and the API caps ``get=`` at 50
variables. The API returns a JSON array of arrays of *strings* (row 0 = header; predicates not
in ``get=`` are appended as extra columns; a variable that is both may appear twice). We keep
strings here and hand the frame to ``autotariffs.data.sources.census.frame_to_flows`` which owns the
typing and data contracts, so live and shipped Census data go through the same checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from autotariffs.data.sources.http import (
    ApiError,
    ApiFormatError,
    ApiResponse,
    ApiSession,
    AuthError,
    PacedRetry,
    redact,
)

BASE_URL = "https://api.census.gov/data/timeseries/intltrade/imports/hs"
HOST = "api.census.gov"
KEY_ENV = "CENSUS_API_KEY"
KEY_PARAM = "key"
HEADINGS = ("8703", "8704", "8708")
FIRST_MONTH = "2013-01"
ID_FIELDS = ("CTY_CODE", "CTY_NAME", "I_COMMODITY", "I_COMMODITY_SDESC", "COMM_LVL")
MONTH_FIELDS = ("CON_VAL_MO", "CON_QY1_MO", "UNIT_QY1", "GEN_VAL_MO", "DUT_VAL_MO", "CAL_DUT_MO")
YTD_FIELDS = ("CON_VAL_YR", "CON_QY1_YR", "GEN_VAL_YR", "DUT_VAL_YR", "CAL_DUT_YR")
#: default ``get=`` list (16 variables, well under the API's 50)
FIELDS = ID_FIELDS + MONTH_FIELDS + YTD_FIELDS
MAX_GET_VARIABLES = 50
GENERIC_ERROR = "There was an error while running your query"
BODY_RETRIES = 2


@dataclass(frozen=True)
class CensusRequest:
    heading: str
    year: int
    first: str  # YYYY-MM
    last: str  # YYYY-MM
    comm_lvl: str = "HS10"
    fields: tuple[str, ...] = FIELDS

    @property
    def params(self) -> dict[str, str]:
        if len(self.fields) > MAX_GET_VARIABLES:
            raise ValueError(f"Census allows at most {MAX_GET_VARIABLES} get= variables, "
                             f"got {len(self.fields)}")
        time = self.first if self.first == self.last else f"from {self.first} to {self.last}"
        commodity = self.heading + "*" if len(self.heading) < _level_digits(self.comm_lvl) else \
            self.heading
        return {"get": ",".join(self.fields), "time": time, "COMM_LVL": self.comm_lvl,
                "I_COMMODITY": commodity}

    @property
    def name(self) -> str:
        return f"imports_hs_{self.heading}_{self.comm_lvl.lower()}_{self.year}"


def _level_digits(comm_lvl: str) -> int:
    m = re.fullmatch(r"HS(\d+)", comm_lvl)
    if not m:
        raise ValueError(f"COMM_LVL must be HS2/HS4/HS6/HS10, got {comm_lvl!r}")
    return int(m.group(1))


def plan_requests(start: str = FIRST_MONTH, end: str | None = None,
                  headings: tuple[str, ...] = HEADINGS, comm_lvl: str = "HS10",
                  fields: tuple[str, ...] = FIELDS) -> list[CensusRequest]:
    """One request per heading x calendar year covering ``start``..``end`` (YYYY-MM)."""
    first, last = pd.Period(start, "M"), pd.Period(end or last_complete_month(), "M")
    if last < first:
        raise ValueError(f"--end {last} is before --start {first}")
    out = []
    for heading in headings:
        for year in range(first.year, last.year + 1):
            lo = max(first, pd.Period(f"{year}-01", "M"))
            hi = min(last, pd.Period(f"{year}-12", "M"))
            out.append(CensusRequest(heading, year, str(lo), str(hi), comm_lvl, tuple(fields)))
    return out


def last_complete_month() -> str:
    """Latest month that can exist; unreleased months come back as 204/no rows, not errors."""
    return str(pd.Timestamp.now(tz="UTC").tz_convert(None).to_period("M") - 1)


def _body_excerpt(resp: ApiResponse, n: int = 300) -> str:
    text = re.sub(r"<[^>]+>", " ", resp.text())
    return redact(re.sub(r"\s+", " ", text).strip()[:n])


def check_response(resp: ApiResponse) -> None:
    """Raise the right error for a non-data answer (see data-apis reference, section 1)."""
    body = resp.content.lstrip()
    if resp.status == 204 or (resp.status == 200 and not body):
        return
    if b"Invalid Key" in body or (body.startswith(b"<") and b"not valid" in body):
        raise AuthError(f"Census rejected the API key (set {KEY_ENV} to a valid, activated key; "
                        f"request {resp.url}): {_body_excerpt(resp)}", status=resp.status,
                        url=resp.url)
    if resp.status in (401, 403):
        raise AuthError(f"Census refused the request with HTTP {resp.status} (check {KEY_ENV}); "
                        f"request {resp.url}: {_body_excerpt(resp)}", status=resp.status,
                        url=resp.url)
    if resp.status == 400:
        raise ApiError(f"Census rejected the query (HTTP 400, not retried): "
                       f"{_body_excerpt(resp)}. Request: {resp.url}", status=400, url=resp.url)
    if resp.status != 200:
        raise ApiError(f"Census returned HTTP {resp.status} after retries for {resp.url}: "
                       f"{_body_excerpt(resp)}", status=resp.status, url=resp.url)
    if GENERIC_ERROR.encode() in body:
        raise ApiError(f"Census server error for {resp.url} (retries exhausted; the query is "
                       "probably too large: split the time range)", status=resp.status,
                       url=resp.url)


def parse_json(content: bytes, url: str, fields: tuple[str, ...] = FIELDS) -> pd.DataFrame:
    """Census array-of-arrays JSON -> DataFrame of strings with ``fields`` + ``time``.

    Duplicate header names keep the first occurrence; rows are sorted by time, country, code
    (the API does not guarantee row order). An empty body means no rows (HTTP 204).
    """
    cols = list(dict.fromkeys([*fields, "time"]))
    if not content.strip():
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "msg", str(exc))
        raise ApiFormatError(f"Census response is not valid JSON ({reason}); expected an array "
                             f"of arrays. Request: {url}; body starts {content[:80]!r}",
                             url=url) from None
    if not (isinstance(data, list) and data and all(isinstance(r, list) for r in data)):
        raise ApiFormatError(f"Census response is not a JSON array of arrays (got "
                             f"{type(data).__name__}). Request: {url}", url=url)
    header, rows = [str(h) for h in data[0]], data[1:]
    missing = [c for c in cols if c not in header]
    if missing:
        raise ApiFormatError(f"Census response lacks column(s) {missing}; header was {header}. "
                             f"Request: {url}", url=url)
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(header)]
    if bad:
        raise ApiFormatError(f"Census response rows {bad[:10]} have a different length than the "
                             f"header ({len(header)} columns). Request: {url}", url=url)
    first_pos = {name: header.index(name) for name in cols}
    frame = pd.DataFrame({c: [None if r[first_pos[c]] is None else str(r[first_pos[c]])
                              for r in rows] for c in cols}, dtype="object")
    return frame.sort_values(["time", "CTY_CODE", "I_COMMODITY"] if "CTY_CODE" in cols
                             else ["time"], kind="mergesort").reset_index(drop=True)


def fetch(session: ApiSession, req: CensusRequest) -> tuple[ApiResponse, pd.DataFrame]:
    """Send one request (key from ``CENSUS_API_KEY`` if set) and return (response, frame)."""
    resp = _get(session, req)
    check_response(resp)
    return resp, parse_json(resp.content, resp.url, req.fields)


def _get(session: ApiSession, req: CensusRequest) -> ApiResponse:
    """GET with extra retries for Census's generic 'error while running your query' body,
    which arrives with a non-retryable status; such bodies are never cached."""
    def ok(r: ApiResponse) -> bool:
        return r.status in (200, 204) and GENERIC_ERROR.encode() not in r.content

    resp = None
    for attempt in range(BODY_RETRIES + 1):
        resp = session.get(BASE_URL, req.params, secret_env=KEY_ENV, secret_param=KEY_PARAM,
                           cacheable=ok)
        if GENERIC_ERROR.encode() not in resp.content:
            break
        if attempt < BODY_RETRIES:
            PacedRetry.sleeper(2.0 * 2**attempt)
    assert resp is not None
    return resp


def to_flows(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Canonical flows via the shared Census adapter (same contracts as the shipped files).

    When monthly ``*_MO`` columns are present the year-to-date ``*_YR`` twins are dropped first:
    they are cumulative (never to be summed over months) and the adapter rejects a mix.
    """
    from autotariffs.data.sources.census import frame_to_flows

    if any(c.endswith("_MO") for c in frame.columns):
        frame = frame[[c for c in frame.columns if not c.endswith("_YR")]]
    return frame_to_flows(frame, file=file)


def split_known_partners(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(rows whose CTY_CODE the project country table knows, sorted unknown codes).

    Why: a live all-country query returns ~230 Census codes, while ``autotariffs.data.countries``
    covers the partners of the shipped files; rows of other countries stay in the parsed
    parquet and the dropped codes are listed in the manifest instead of failing the refresh.
    """
    from autotariffs.data.countries import lookup_table

    known = frame["CTY_CODE"].isin(set(lookup_table("census")))
    return frame[known].reset_index(drop=True), sorted(set(frame.loc[~known, "CTY_CODE"]))
