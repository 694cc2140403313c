"""UN Comtrade client on recorded responses (see tests/recorded/README.md)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from support import RECORDED as REC

from autotariffs import paths
from autotariffs.data.sources import comtrade_api
from autotariffs.data.sources.http import (
    ApiError,
    ApiFormatError,
    AuthError,
    Recorded,
    replay_session,
)

USA_M = paths.RAW / "trade" / "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv"
PERIODS_2024 = tuple(f"2024{m:02d}" for m in range(1, 13))
pytestmark = pytest.mark.usefixtures("sleeps")  # no test here waits for real (conftest)


def _rec(name: str, status: int = 200, headers: dict | None = None) -> Recorded:
    return Recorded.from_file(REC / name, status=status, headers=headers)


def _fetch(script: list[Recorded], req: comtrade_api.ComtradeRequest):  # noqa: ANN202
    sess, adapter = replay_session(script)
    return (*comtrade_api.fetch(sess, req), adapter)


def test_keyed_request_sends_key_in_header_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMTRADE_API_KEY", "FAKEKEY-comtrade-0001")
    req = comtrade_api.ComtradeRequest("usa_imports", "8703", 2024, PERIODS_2024, keyed=True)
    resp, frame, adapter = _fetch([_rec("comtrade_usa_imports_8703_2024.json")], req)
    assert adapter.sent_urls[0].startswith(comtrade_api.KEYED_URL)
    assert "FAKEKEY" not in adapter.sent_urls[0] and "FAKEKEY" not in resp.url
    assert adapter.sent_headers[0]["Ocp-Apim-Subscription-Key"] == "FAKEKEY-comtrade-0001"
    assert "partnerCode" not in req.params  # keyed: all partners
    assert req.params["includeDesc"] == "true" and req.params["breakdownMode"] == "classic"


def test_usa_imports_recording_reproduces_shipped_values() -> None:
    req = comtrade_api.ComtradeRequest("usa_imports", "8703", 2024, PERIODS_2024, keyed=True)
    _, frame, _ = _fetch([_rec("comtrade_usa_imports_8703_2024.json")], req)
    assert len(frame) == 60
    kor = frame[frame["partnerCode"] == 410]  # join on codes: partnerDesc is "Rep. of Korea"
    assert len(kor) == 12 and (kor["qtyUnitAbbr"] == "u").all()
    # PROVENANCE sanity checks on the shipped file: Korea 2024 $38.02B, 129.5k vehicles/month
    assert round(kor["primaryValue"].sum() / 1e9, 2) == 38.02
    assert round(kor["qty"].mean() / 1e3, 1) == 129.5
    raw = pd.read_csv(USA_M)
    raw = raw[raw["refYear"] == 2024].set_index(["period", "partnerDesc"])
    got = frame.set_index([frame["period"].astype(int), frame["partnerDesc"].astype(str)])
    assert (got["primaryValue"] == raw.loc[got.index, "primaryValue"].to_numpy()).all()
    assert frame["period"].is_monotonic_increasing


def test_keyless_uses_preview_with_project_partners() -> None:
    req = comtrade_api.ComtradeRequest("jpn_exports", "8703", 2024, PERIODS_2024, keyed=False)
    _, frame, adapter = _fetch([_rec("comtrade_jpn_exports_8703_2024.json")], req)
    assert adapter.sent_urls[0].startswith(comtrade_api.PREVIEW_URL)
    assert "Ocp-Apim-Subscription-Key" not in adapter.sent_headers[0]
    assert len(frame) == 12 and (frame["reporterCode"] == 392).all()
    assert (frame["flowCode"] == "X").all() and frame["isQtyEstimated"].any()  # fractional qty
    usa = comtrade_api.ComtradeRequest("usa_imports", "8703", 2024, PERIODS_2024, keyed=False)
    assert usa.params["partnerCode"] == "0,124,156,276,392,410,484,826"


def test_plan_splits_years_and_covers_mirror_flow() -> None:
    reqs = comtrade_api.plan_requests("2023-11", "2024-02", keyed=True)
    assert len(reqs) == (3 + 1) * 2
    assert reqs[0].periods == ("202311", "202312") and reqs[1].periods == ("202401", "202402")
    assert [r.dataset for r in reqs].count("jpn_exports") == 2


def test_empty_result_is_zero_rows() -> None:
    req = comtrade_api.ComtradeRequest("usa_imports", "8704", 2030, ("203001",), keyed=True)
    _, frame, _ = _fetch([_rec("comtrade_empty.json")], req)
    assert frame.empty and list(frame.columns) == list(comtrade_api.KEEP)


def test_429_then_success_honours_retry_after(sleeps: list[float]) -> None:
    req = comtrade_api.ComtradeRequest("jpn_exports", "8703", 2024, ("202412",), keyed=False)
    script = [_rec("comtrade_429_rate_limit.json", 429, {"Retry-After": "2"}),
              _rec("comtrade_jpn_exports_8703_202412.json")]
    _, frame, adapter = _fetch(script, req)
    assert len(frame) == 1 and len(adapter.sent_urls) == 2 and sleeps == [2.0]


def test_429_exhausted_is_a_clear_error() -> None:
    req = comtrade_api.ComtradeRequest("jpn_exports", "8703", 2024, ("202412",), keyed=False)
    with pytest.raises(ApiError, match="rate limit still exceeded"):
        _fetch([_rec("comtrade_429_rate_limit.json", 429, {"Retry-After": "1"})] * 5, req)


def test_401_is_auth_error_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMTRADE_API_KEY", "FAKEKEY-comtrade-bad")
    req = comtrade_api.ComtradeRequest("usa_imports", "8703", 2024, ("202412",), keyed=True)
    with pytest.raises(AuthError, match="COMTRADE_API_KEY") as err:
        _fetch([_rec("comtrade_401_invalid_key.json", 401)], req)
    assert "FAKEKEY" not in str(err.value)


def test_preview_at_cap_is_rejected_as_truncated() -> None:
    rec = json.loads((REC / "comtrade_usa_imports_8703_2024.json").read_bytes())["data"][0]
    body = json.dumps({"elapsedTime": "1 secs", "count": 500, "data": [rec] * 500, "error": ""})
    # SIMULATED: 500 copies of one real record, only to hit the documented preview cap
    with pytest.raises(ApiError, match="500-record cap"):
        comtrade_api.parse_json(body.encode(), "u", keyed=False)


def test_malformed_and_error_envelopes() -> None:
    with pytest.raises(ApiFormatError, match="not valid JSON"):
        comtrade_api.parse_json(b'{"count":1,"data":[{"refYear":20', "u")
    with pytest.raises(ApiFormatError, match="'data' list"):
        comtrade_api.parse_json(b'{"elements":[]}', "u")
    with pytest.raises(ApiError, match="reported an error: bad cmdCode"):
        comtrade_api.parse_json(b'{"count":0,"data":[],"error":"bad cmdCode"}', "u")
    rec = json.loads((REC / "comtrade_jpn_exports_8703_202412.json").read_bytes())
    del rec["data"][0]["primaryValue"]
    with pytest.raises(ApiFormatError, match=r"lack field\(s\) \['primaryValue'\]"):
        comtrade_api.parse_json(json.dumps(rec).encode(), "u")
