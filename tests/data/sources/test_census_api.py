"""Census imports/hs client on recorded responses (see tests/recorded/README.md)."""

from __future__ import annotations

import pandas as pd
import pytest
from support import RECORDED as REC
from support.recorded import YTD

from autotariffs import paths
from autotariffs.data.sources import census_api
from autotariffs.data.sources.http import (
    ApiError,
    ApiFormatError,
    AuthError,
    Recorded,
    replay_session,
)

HS10_2024 = paths.RAW / "trade" / "us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz"
HS2_M = paths.RAW / "trade" / "us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz"
MO = census_api.ID_FIELDS + ("CON_VAL_MO", "CAL_DUT_MO")
pytestmark = pytest.mark.usefixtures("sleeps")  # no test here waits for real (conftest)


def _run(script: list[Recorded], req: census_api.CensusRequest):  # noqa: ANN202
    sess, adapter = replay_session(script)
    return (*census_api.fetch(sess, req), adapter)


def _rec(name: str, status: int = 200, ctype: str = "application/json") -> Recorded:
    return Recorded.from_file(REC / name, status=status, content_type=ctype)


def test_request_params_follow_the_documented_form() -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-01", "2024-12")
    p = req.params
    assert p["time"] == "from 2024-01 to 2024-12"
    assert p["COMM_LVL"] == "HS10" and p["I_COMMODITY"] == "8703*"
    assert p["get"].split(",") == list(census_api.FIELDS)
    assert "CTY_CODE" not in p  # all countries: filter locally
    single = census_api.CensusRequest("87", 2019, "2019-05", "2019-05", "HS2", MO).params
    assert single["time"] == "2019-05" and single["I_COMMODITY"] == "87"


def test_plan_is_one_request_per_heading_and_year() -> None:
    reqs = census_api.plan_requests("2013-01", "2025-10")
    assert len(reqs) == 3 * 13
    assert {r.heading for r in reqs} == {"8703", "8704", "8708"}
    last = [r for r in reqs if r.heading == "8703"][-1]
    assert (last.year, last.first, last.last) == (2025, "2025-01", "2025-10")
    mid = census_api.plan_requests("2020-07", "2021-02", headings=("8703",))
    assert [(r.first, r.last) for r in mid] == [("2020-07", "2020-12"), ("2021-01", "2021-02")]
    with pytest.raises(ValueError, match="before"):
        census_api.plan_requests("2024-05", "2024-01")
    with pytest.raises(ValueError, match="at most 50"):
        _ = census_api.CensusRequest("8703", 2024, "2024-01", "2024-12",
                                     fields=tuple(f"V{i}" for i in range(51))).params


def test_hs10_ytd_recording_parses_to_the_shipped_values() -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12", fields=YTD)
    resp, frame, adapter = _run([_rec("census_hs10_8703_2024-12_ytd.json")], req)
    assert list(frame.columns) == [*YTD, "time"]
    assert all(frame[c].map(type).eq(str).all() for c in frame.columns)  # strings, as sent
    raw = pd.read_csv(HS10_2024, dtype=str, keep_default_na=False)
    raw = raw[raw["I_COMMODITY"].str.startswith("8703")]
    key = ["CTY_CODE", "I_COMMODITY"]
    merged = frame.merge(raw, on=key, suffixes=("", "_raw"), validate="one_to_one")
    assert len(merged) == len(raw) == len(frame) == 466  # PROVENANCE: 466 rows of 8703
    assert (merged["CON_VAL_YR"] == merged["CON_VAL_YR_raw"]).all()
    assert (merged["CAL_DUT_YR"] == merged["CAL_DUT_YR_raw"]).all()
    kor = frame.loc[frame["CTY_CODE"] == "5800", "CON_VAL_YR"].astype("int64").sum()
    jpn = frame.loc[frame["CTY_CODE"] == "5880", "CON_VAL_YR"].astype("int64").sum()
    assert round(kor / 1e9, 2) == 36.86 and round(jpn / 1e9, 2) == 41.90  # PROVENANCE anchors
    assert frame.equals(frame.sort_values(["time", "CTY_CODE", "I_COMMODITY"]).reset_index(
        drop=True))
    assert "I_COMMODITY=8703%2A" in adapter.sent_urls[0] and "time=2024-12" in resp.url


def test_duplicate_predicate_columns_keep_the_first() -> None:
    req = census_api.CensusRequest("8704", 2024, "2024-12", "2024-12", fields=YTD)
    _, frame, _ = _run([_rec("census_hs10_8704_2024-12_ytd.json")], req)
    assert list(frame.columns) == [*YTD, "time"] and len(frame) > 0
    assert frame["I_COMMODITY"].str.startswith("8704").all()


def test_hs2_monthly_recording_matches_shipped_monthly_values() -> None:
    req = census_api.CensusRequest("87", 2019, "2019-01", "2019-12", "HS2", MO)
    _, frame, _ = _run([_rec("census_hs2_87_2019_monthly.json")], req)
    raw = pd.read_csv(HS2_M, dtype=str, keep_default_na=False)
    raw = raw[raw["time"].str.startswith("2019-")]
    assert len(frame) == len(raw) > 360  # 31 series x 12 months minus reported gaps
    merged = frame.merge(raw, on=["CTY_CODE", "time"], suffixes=("", "_raw"),
                         validate="one_to_one")
    assert len(merged) == len(raw)
    assert (merged["CON_VAL_MO"] == merged["CON_VAL_MO_raw"]).all()
    assert (merged["CAL_DUT_MO"] == merged["CAL_DUT_MO_raw"]).all()
    kor = frame[(frame["CTY_CODE"] == "5800") & (frame["time"] == "2019-01")]
    assert kor["CON_VAL_MO"].tolist() == ["1778171378"]


def test_default_fields_parse_full_recording_simulated_values() -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")
    _, frame, _ = _run([_rec("census_hs10_8703_2024-12_fullfields_SIMULATED.json")], req)
    assert list(frame.columns) == [*census_api.FIELDS, "time"]
    assert set(frame["CTY_CODE"]) == {"5800", "5880"} and (frame["UNIT_QY1"] == "NO").all()


def test_204_and_empty_body_mean_no_rows_not_an_error(sleeps: list[float]) -> None:
    req = census_api.CensusRequest("8703", 2005, "2005-01", "2005-01")
    _, frame, adapter = _run([Recorded(204, b"")], req)
    assert frame.empty and list(frame.columns) == [*census_api.FIELDS, "time"]
    assert len(adapter.sent_urls) == 1 and sleeps == []


def test_malformed_json_is_a_format_error_naming_the_request() -> None:
    body = (REC / "census_hs10_8703_2024-12_ytd.json").read_bytes()[:500]  # truncated transfer
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12", fields=YTD)
    with pytest.raises(ApiFormatError, match=r"not valid JSON.*I_COMMODITY=8703"):
        _run([Recorded(200, body)], req)


def test_missing_column_is_reported() -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")  # asks for 16 fields
    with pytest.raises(ApiFormatError, match=r"lacks column\(s\) \['CON_VAL_MO'"):
        _run([_rec("census_hs10_8703_2024-12_ytd.json")], req)


def test_ragged_row_is_reported() -> None:
    body = b'[["CTY_CODE","time"],\n["5800","2024-12"],\n["5880"]]'
    with pytest.raises(ApiFormatError, match=r"rows \[2\]"):
        census_api.parse_json(body, "u", fields=("CTY_CODE",))


def test_400_fails_fast_with_the_server_text(sleeps: list[float]) -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")
    with pytest.raises(ApiError, match="unknown variable 'XYZ'") as err:
        _run([_rec("census_400_unknown_variable.txt", 400, "text/plain")], req)
    assert err.value.status == 400 and sleeps == []


def test_invalid_key_page_is_an_auth_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENSUS_API_KEY", "FAKEKEY-census-invalid-0001")
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")
    with pytest.raises(AuthError, match="CENSUS_API_KEY") as err:
        _run([_rec("census_invalid_key.html", 200, "text/html")], req)
    assert "FAKEKEY" not in str(err.value) and "key=REDACTED" not in str(err.value)


def test_generic_server_error_body_is_retried_then_succeeds(sleeps: list[float]) -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12", fields=YTD)
    script = [_rec("census_generic_error.txt", 500, "text/plain")] * 5 + [
        _rec("census_generic_error.txt", 200, "text/plain"),
        _rec("census_hs10_8703_2024-12_ytd.json")]
    _, frame, adapter = _run(script, req)
    assert len(frame) == 466
    assert len(adapter.sent_urls) == 7  # 5 urllib3 attempts on 500, then 2 body-level tries
    assert sleeps == [2.0, 4.0]  # body-level backoff (replay sessions use zero urllib3 backoff)


def test_generic_error_exhausted_advises_splitting() -> None:
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12", fields=YTD)
    with pytest.raises(ApiError, match="split the time range"):
        _run([_rec("census_generic_error.txt", 200, "text/plain")] * 3, req)


def test_flows_conversion_uses_the_shared_adapter() -> None:
    census = pytest.importorskip("autotariffs.data.sources.census")
    assert hasattr(census, "frame_to_flows")
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12", fields=YTD)
    _, frame, _ = _run([_rec("census_hs10_8703_2024-12_ytd.json")], req)
    flows = census_api.to_flows(frame[frame["CTY_CODE"].isin(["5800", "5880"])],
                                file="imports_hs_8703_hs10_2024.json")
    assert len(flows) > 0
    kor = flows[flows["partner"] == "KOR"]["value_usd"].sum()
    assert round(kor / 1e9, 2) == 36.86


def test_monthly_flows_drop_ytd_twins_and_keep_quantities() -> None:
    """Full 16-field frame (SIMULATED recording values): monthly flows from *_MO only."""
    pytest.importorskip("autotariffs.data.sources.census")
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")
    _, frame, _ = _run([_rec("census_hs10_8703_2024-12_fullfields_SIMULATED.json")], req)
    flows = census_api.to_flows(frame, file="imports_hs_8703_hs10_2024.json")
    assert len(flows) == len(frame) and set(flows["freq"]) == {"M"}
    expected = frame["CON_VAL_MO"].astype("int64").sum()  # monthly, not the YTD column
    assert flows["value_usd"].sum() == expected
    assert flows["quantity"].sum() == frame["CON_QY1_MO"].astype("int64").sum()
