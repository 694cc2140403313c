"""FRED client (JSON API and keyless CSV) on recorded responses."""

from __future__ import annotations

import csv
import statistics

import numpy as np
import pytest
from support import RECORDED as REC

from autotariffs import paths
from autotariffs.data.sources import fred_api
from autotariffs.data.sources.http import (
    ApiFormatError,
    AuthError,
    Recorded,
    replay_session,
)

pytestmark = pytest.mark.usefixtures("sleeps")  # no test here waits for real (conftest)


def _raw_dec2024(name: str) -> list[tuple[str, str]]:
    """Independent reader: (date, cell) rows of a shipped FRED CSV dated 2024-12."""
    with open(paths.RAW / "macro" / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [(d, v) for d, v in rows if d.startswith("2024-12")]


def _fetch(script: list[Recorded], req: fred_api.FredRequest):  # noqa: ANN202
    sess, adapter = replay_session(script)
    return (*fred_api.fetch(sess, req), adapter)


def test_json_api_parses_dots_as_missing_and_matches_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", "fake-fred-key-0123456789abcdef")
    req = fred_api.plan_requests("2024-12", "2024-12", keyed=True, series=("DEXKOUS",))[0]
    assert req.params["file_type"] == "json"  # the API default would be XML
    assert (req.params["observation_start"], req.params["observation_end"]) == (
        "2024-12-01", "2024-12-31")
    resp, frame, adapter = _fetch(
        [Recorded.from_file(REC / "fred_DEXKOUS_2024-12.json")], req)
    assert "api_key=fake-fred-key-0123456789abcdef" in adapter.sent_urls[0]
    assert "fake-fred-key-0123456789abcdef" not in resp.url
    raw = _raw_dec2024("fred_DEXKOUS_daily.csv")
    assert len(frame) == len(raw)
    holidays = [d for d, v in raw if v == ""]
    assert holidays and frame.loc[frame["value"].isna(), "date"].dt.strftime(
        "%Y-%m-%d").tolist() == holidays
    expected = statistics.fmean(float(v) for _, v in raw if v)
    assert frame["value"].mean() == pytest.approx(expected, rel=1e-12)
    assert list(frame.columns) == ["date", "series_id", "value"]
    assert frame["value"].dtype == np.float64 and (frame["series_id"] == "DEXKOUS").all()


def test_keyless_csv_current_format_is_filtered_to_window() -> None:
    req = fred_api.plan_requests("2024-06", "2024-12", keyed=False,
                                 series=("CUSR0000SETA01",))[0]
    assert req.url == fred_api.CSV_URL and req.params == {"id": "CUSR0000SETA01"}
    _, frame, _ = _fetch([Recorded.from_file(
        REC / "fredgraph_CUSR0000SETA01_2024_excerpt.csv", content_type="text/csv")], req)
    assert frame["date"].dt.strftime("%Y-%m").tolist() == [f"2024-{m:02d}" for m in
                                                           range(6, 13)]
    assert frame["value"].iloc[-1] == 178.620  # data/raw/macro CPI new vehicles, 2024-12-01


def test_legacy_csv_header_and_dot_marker_are_accepted() -> None:
    body = b"DATE,DEXJPUS\n2024-12-24,157.29\n2024-12-25,.\n2024-12-26,158.01\n"
    frame = fred_api.parse_csv(body, "u", "DEXJPUS")
    assert frame["value"].isna().tolist() == [False, True, False]


def test_non_numeric_value_is_rejected() -> None:
    body = b"observation_date,DEXJPUS\n2024-12-24,157.29\n2024-12-26,n/a\n"
    with pytest.raises(ApiFormatError, match=r"non-numeric value\(s\) \['n/a'\]"):
        fred_api.parse_csv(body, "u", "DEXJPUS")


def test_wrong_series_header_is_rejected() -> None:
    with pytest.raises(ApiFormatError, match="lacks 'observation_date'"):
        fred_api.parse_csv(b"date,value\n2024-12-24,1\n", "u", "DEXJPUS")


def test_bad_key_400_is_auth_error_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", "ffffffffffffffffffffffffffff0000")
    req = fred_api.plan_requests("2024-12", "2024-12", keyed=True, series=("DEXJPUS",))[0]
    with pytest.raises(AuthError, match="api_key is not registered") as err:
        _fetch([Recorded.from_file(REC / "fred_400_api_key_not_registered.json", 400,
                                   content_type="text/xml")], req)  # type per the FRED docs
    assert "ffffffffffffffffffffffffffff0000" not in str(err.value)
    assert "api_key=" not in str(err.value)  # the public URL never carries the key


def test_all_fx_and_cpi_recordings_parse() -> None:
    for series in fred_api.SERIES:
        body = (REC / f"fred_{series}_2024-12.json").read_bytes()
        frame = fred_api.parse_json(body, "u", series)
        assert len(frame) >= 1 and frame["value"].notna().any(), series
    assert fred_api.SERIES[:6] == ("DEXKOUS", "DEXJPUS", "DEXUSEU", "DEXMXUS", "DEXCAUS",
                                   "DEXUSUK")
