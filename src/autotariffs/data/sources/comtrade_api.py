"""Client for the UN Comtrade API (monthly goods trade, HS as reported).

Two datasets: US-reported imports (reporter 842) of HS 8703/8704/8708 by partner, and the
mirror flow, Japan-reported exports (reporter 392) of 8703 to the USA (partner 842).

Why these choices: with ``COMTRADE_API_KEY`` the keyed ``/data/v1/get`` endpoint is used (all
partners); without a key, the public ``/public/v1/preview`` endpoint, which silently truncates
at 500 records, so the keyless query is restricted to the project's partners and a response at
the cap is treated as an error rather than as data. The key travels in the
``Ocp-Apim-Subscription-Key`` header, never in the URL. ``breakdownMode=classic`` with
partner2/customs/mode-of-transport totals avoids double-counted breakdown rows, and
``includeDesc=true`` is required for the ISO/description fields to be filled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from autotariffs.data.sources.http import (
    ApiError,
    ApiFormatError,
    ApiResponse,
    ApiSession,
    AuthError,
    redact,
)

HOST = "comtradeapi.un.org"
KEYED_URL = "https://comtradeapi.un.org/data/v1/get/C/M/HS"
PREVIEW_URL = "https://comtradeapi.un.org/public/v1/preview/C/M/HS"
KEY_ENV = "COMTRADE_API_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
PREVIEW_CAP = 500
USA, JAPAN = 842, 392
#: M49 codes for the keyless preview: World, Canada, China, Germany, Japan, Korea, Mexico, UK
PREVIEW_PARTNERS = (0, 124, 156, 276, 392, 410, 484, 826)
HEADINGS = ("8703", "8704", "8708")
REQUIRED = ("freqCode", "refYear", "refMonth", "period", "reporterCode", "flowCode",
            "partnerCode", "cmdCode", "qty", "qtyUnitCode", "primaryValue")
KEEP = ("typeCode", "freqCode", "refYear", "refMonth", "period", "reporterCode", "reporterISO",
        "reporterDesc", "flowCode", "partnerCode", "partnerISO", "partnerDesc", "partner2Code",
        "classificationCode", "cmdCode", "customsCode", "motCode", "qtyUnitCode", "qtyUnitAbbr",
        "qty", "isQtyEstimated", "netWgt", "cifvalue", "fobvalue", "primaryValue", "isReported",
        "isAggregate")
SORT = ["period", "reporterCode", "flowCode", "partnerCode", "cmdCode"]


@dataclass(frozen=True)
class ComtradeRequest:
    dataset: str  # 'usa_imports' | 'jpn_exports'
    cmd: str
    year: int
    periods: tuple[str, ...]  # YYYYMM, at most 12 per call
    keyed: bool

    @property
    def url(self) -> str:
        return KEYED_URL if self.keyed else PREVIEW_URL

    @property
    def params(self) -> dict[str, str]:
        if self.dataset == "usa_imports":
            reporter, flow = USA, "M"
            partner = None if self.keyed else ",".join(str(p) for p in PREVIEW_PARTNERS)
        elif self.dataset == "jpn_exports":
            reporter, flow, partner = JAPAN, "X", str(USA)
        else:
            raise ValueError(f"unknown Comtrade dataset {self.dataset!r}")
        p = {"reporterCode": str(reporter), "period": ",".join(self.periods), "cmdCode": self.cmd,
             "flowCode": flow, "partner2Code": "0", "customsCode": "C00", "motCode": "0",
             "breakdownMode": "classic", "includeDesc": "true"}
        if partner is not None:
            p["partnerCode"] = partner
        return dict(sorted(p.items()))

    @property
    def name(self) -> str:
        return f"{self.dataset}_{self.cmd}_{self.year}"


def plan_requests(start: str, end: str, keyed: bool,
                  headings: tuple[str, ...] = HEADINGS) -> list[ComtradeRequest]:
    """US imports per heading x year, plus Japan's 8703 exports to the USA per year."""
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    years = sorted({m.year for m in months})
    out = []
    jobs = [("usa_imports", h) for h in headings] + [("jpn_exports", "8703")]
    for dataset, cmd in jobs:
        for y in years:
            periods = tuple(m.strftime("%Y%m") for m in months if m.year == y)
            out.append(ComtradeRequest(dataset, cmd, y, periods, keyed))
    return out


def check_response(resp: ApiResponse) -> None:
    if resp.status == 200:
        return
    text = redact(resp.text()[:300])
    if resp.status in (401, 403):
        raise AuthError(f"Comtrade refused the request (HTTP {resp.status}; check {KEY_ENV}, or "
                        f"unset it to use the keyless preview): {text}. Request: {resp.url}",
                        status=resp.status, url=resp.url)
    if resp.status == 429:
        raise ApiError(f"Comtrade rate limit still exceeded after retries (HTTP 429): {text}. "
                       f"Wait and rerun; the cache keeps finished requests. Request: {resp.url}",
                       status=429, url=resp.url)
    raise ApiError(f"Comtrade returned HTTP {resp.status}: {text}. Request: {resp.url}",
                   status=resp.status, url=resp.url)


def parse_json(content: bytes, url: str, keyed: bool = True) -> pd.DataFrame:
    """Comtrade envelope ``{"count", "data": [...], "error"}`` -> one row per record."""
    try:
        payload = json.loads(content) if content.strip() else {"data": [], "error": ""}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiFormatError(f"Comtrade response is not valid JSON ({getattr(exc, 'msg', exc)}). "
                             f"Request: {url}; body starts {content[:80]!r}", url=url) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ApiFormatError(f"Comtrade response lacks the 'data' list (keys: "
                             f"{sorted(payload) if isinstance(payload, dict) else type(payload)})."
                             f" Request: {url}", url=url)
    if payload.get("error"):
        raise ApiError(f"Comtrade reported an error: {payload['error']}. Request: {url}", url=url)
    data = payload["data"]
    if not keyed and len(data) >= PREVIEW_CAP:
        raise ApiError(f"Comtrade preview returned {len(data)} records, the {PREVIEW_CAP}-record "
                       f"cap: the result is probably truncated. Narrow the query or set "
                       f"{KEY_ENV}. Request: {url}", url=url)
    missing = sorted({c for rec in data for c in REQUIRED if c not in rec})
    if missing:
        raise ApiFormatError(f"Comtrade records lack field(s) {missing}. Request: {url}", url=url)
    frame = pd.DataFrame([{k: rec.get(k) for k in KEEP} for rec in data], columns=list(KEEP))
    for col in ("refYear", "refMonth", "reporterCode", "partnerCode", "partner2Code", "motCode",
                "qtyUnitCode"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    for col in ("qty", "netWgt", "cifvalue", "fobvalue", "primaryValue"):
        frame[col] = pd.to_numeric(frame[col], errors="raise").astype("float64")
    for col in ("isQtyEstimated", "isReported", "isAggregate"):
        frame[col] = pd.array(frame[col], dtype="boolean")
    for col in ("typeCode", "freqCode", "period", "reporterISO", "reporterDesc", "flowCode",
                "partnerISO", "partnerDesc", "classificationCode", "cmdCode", "customsCode",
                "qtyUnitAbbr"):
        frame[col] = frame[col].astype("string")
    return frame.sort_values(SORT, kind="mergesort").reset_index(drop=True)


def fetch(session: ApiSession, req: ComtradeRequest) -> tuple[ApiResponse, pd.DataFrame]:
    resp = session.get(req.url, req.params, secret_env=KEY_ENV if req.keyed else None,
                       secret_header=KEY_HEADER,
                       cacheable=lambda r: r.status == 200 and b'"error":""' in
                       r.content.replace(b" ", b""))
    check_response(resp)
    return resp, parse_json(resp.content, resp.url, keyed=req.keyed)
