"""Client for FRED: exchange rates and the vehicle CPI series used by the project.

With ``FRED_API_KEY`` the JSON API ``fred/series/observations`` is used (``file_type=json``;
the default would be XML); without a key, the keyless ``fredgraph.csv`` download, filtered to
the window locally because its range parameters are undocumented. Both return values as text
with a missing-value marker ('.' in the API and legacy CSVs, blank in current CSVs), which is
read as NaN, never as zero. Quote direction is left as published (DEXUSEU/DEXUSUK are USD per
EUR/GBP); ``autotariffs.data.sources.fred.monthly_fx`` normalises it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs.data.sources.http import (
    ApiError,
    ApiFormatError,
    ApiResponse,
    ApiSession,
    AuthError,
    redact,
)

HOST_API = "api.stlouisfed.org"
API_URL = "https://api.stlouisfed.org/fred/series/observations"
CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
KEY_ENV = "FRED_API_KEY"
KEY_PARAM = "api_key"
FX_SERIES = ("DEXKOUS", "DEXJPUS", "DEXUSEU", "DEXMXUS", "DEXCAUS", "DEXUSUK")
CPI_SERIES = ("CUSR0000SETA01", "CUSR0000SETA02")  # CPI-U new vehicles; used cars and trucks
SERIES = FX_SERIES + CPI_SERIES
MISSING = {"", "."}


@dataclass(frozen=True)
class FredRequest:
    series_id: str
    start: str  # YYYY-MM-DD
    end: str  # YYYY-MM-DD
    keyed: bool

    @property
    def url(self) -> str:
        return API_URL if self.keyed else CSV_URL

    @property
    def params(self) -> dict[str, str]:
        if not self.keyed:
            return {"id": self.series_id}
        return {"series_id": self.series_id, "file_type": "json",
                "observation_start": self.start, "observation_end": self.end,
                "sort_order": "asc", "limit": "100000"}

    @property
    def name(self) -> str:
        return self.series_id

    @property
    def native_ext(self) -> str:
        return "json" if self.keyed else "csv"


def plan_requests(start: str, end: str, keyed: bool,
                  series: tuple[str, ...] = SERIES) -> list[FredRequest]:
    """One request per series covering the months ``start``..``end`` (YYYY-MM)."""
    lo = pd.Period(start, "M").start_time.strftime("%Y-%m-%d")
    hi = pd.Period(end, "M").end_time.strftime("%Y-%m-%d")
    return [FredRequest(s, lo, hi, keyed) for s in series]


def check_response(resp: ApiResponse) -> None:
    if resp.status == 200:
        return
    message = resp.text()[:300]
    try:  # FRED error bodies are JSON even when labelled text/xml: parse the body
        message = json.loads(resp.content).get("error_message", message)
    except (ValueError, AttributeError):
        pass
    message = redact(message)
    if "api_key" in message or resp.status in (401, 403):
        raise AuthError(f"FRED rejected the API key (HTTP {resp.status}): {message} Set "
                        f"{KEY_ENV} to a registered 32-character key, or unset it to use the "
                        f"keyless CSV. Request: {resp.url}", status=resp.status, url=resp.url)
    raise ApiError(f"FRED returned HTTP {resp.status}: {message} Request: {resp.url}",
                   status=resp.status, url=resp.url)


def _to_float(values: pd.Series, url: str, series_id: str) -> pd.Series:
    text = values.astype("string").str.strip()
    missing = text.isna() | text.isin(MISSING)
    num = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = ~missing & num.isna()
    if bad.any():
        raise ApiFormatError(f"FRED {series_id}: non-numeric value(s) {sorted(set(text[bad]))[:5]}"
                             f" (only '.' or blank mean missing). Request: {url}", url=url)
    return num.astype("float64")


def parse_json(content: bytes, url: str, series_id: str) -> pd.DataFrame:
    """``observations`` list -> DataFrame[date, series_id, value] ('.' -> NaN)."""
    try:
        payload = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiFormatError(f"FRED response is not valid JSON ({getattr(exc, 'msg', exc)}). "
                             f"Request: {url}; body starts {content[:80]!r}", url=url) from None
    obs = payload.get("observations") if isinstance(payload, dict) else None
    if not isinstance(obs, list) or any(not {"date", "value"} <= set(o) for o in obs):
        raise ApiFormatError(f"FRED response lacks 'observations' with date/value fields. "
                             f"Request: {url}", url=url)
    frame = pd.DataFrame({"date": [o["date"] for o in obs], "value": [o["value"] for o in obs]})
    return _finish(frame, url, series_id)


def parse_csv(content: bytes, url: str, series_id: str, start: str | None = None,
              end: str | None = None) -> pd.DataFrame:
    """fredgraph.csv (header ``observation_date`` or legacy ``DATE``) -> the same frame."""
    if not content.strip():
        raise ApiFormatError(f"FRED CSV for {series_id} is empty. Request: {url}", url=url)
    raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    date_col = next((c for c in raw.columns if c in ("observation_date", "DATE")), None)
    if date_col is None or series_id not in raw.columns:
        raise ApiFormatError(f"FRED CSV header {list(raw.columns)} lacks 'observation_date' (or "
                             f"'DATE') and '{series_id}'. Request: {url}", url=url)
    frame = raw.rename(columns={date_col: "date", series_id: "value"})[["date", "value"]]
    out = _finish(frame, url, series_id)
    if start:
        out = out[out["date"] >= pd.Timestamp(start)]
    if end:
        out = out[out["date"] <= pd.Timestamp(end)]
    return out.reset_index(drop=True)


def _finish(frame: pd.DataFrame, url: str, series_id: str) -> pd.DataFrame:
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        raise ApiFormatError(f"FRED {series_id}: unparseable date(s) "
                             f"{list(frame['date'][dates.isna()][:5])}. Request: {url}", url=url)
    out = pd.DataFrame({"date": dates.astype("datetime64[ns]"),
                        "series_id": pd.Series([series_id] * len(frame), dtype="string"),
                        "value": _to_float(frame["value"], url, series_id)})
    if out["date"].duplicated().any():
        raise ApiFormatError(f"FRED {series_id}: duplicate dates. Request: {url}", url=url)
    return out.sort_values("date", kind="mergesort").reset_index(drop=True)


def fetch(session: ApiSession, req: FredRequest) -> tuple[ApiResponse, pd.DataFrame]:
    resp = session.get(req.url, req.params, secret_env=KEY_ENV if req.keyed else None,
                       secret_param=KEY_PARAM, cacheable=lambda r: r.status == 200)
    check_response(resp)
    if req.keyed:
        frame = parse_json(resp.content, resp.url, req.series_id)
    else:
        frame = parse_csv(resp.content, resp.url, req.series_id, req.start, req.end)
    frame["value"] = frame["value"].astype(np.float64)
    return resp, frame
