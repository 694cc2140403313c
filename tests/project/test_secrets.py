"""Secret hygiene: planted fake API keys never reach files, logs, stdout/stderr or exceptions."""

from __future__ import annotations

import logging
import secrets
import traceback
from pathlib import Path

import pytest
from support.recorded import YTD, recorded_route

from autotariffs import cli
from autotariffs.data.sources import census_api, comtrade_api, fetch, fred_api
from autotariffs.data.sources.http import (
    AuthError,
    NoNetworkError,
    PacedRetry,
    Recorded,
    Unreachable,
    replay_session,
    scan_for_secret,
)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    planted = {
        "CENSUS_API_KEY": f"FAKEKEY-{secrets.token_hex(16)}",
        "COMTRADE_API_KEY": f"FAKEKEY-{secrets.token_hex(16)}",
        "FRED_API_KEY": secrets.token_hex(16),  # 32 lower-case alphanumerics, like FRED's
    }
    for k, v in planted.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(PacedRetry, "sleeper", staticmethod(lambda s: None))
    return planted


def _assert_clean(text: str, keys: dict[str, str]) -> None:
    for name, value in keys.items():
        assert value not in text, f"{name} leaked"


def test_fetch_run_leaks_no_key(tmp_path: Path, keys: dict[str, str],
                                caplog: pytest.LogCaptureFixture,
                                capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    sess, adapter = replay_session(recorded_route, cache_dir=tmp_path / "cache")
    entries = fetch.run_fetch(tmp_path / "fetched", start="2024-12", end="2024-12",
                              session=sess, progress=True, census_fields=YTD)
    assert len(entries) == 15 and all(e["keyed"] for e in entries)
    # the keys really were sent (so the test can fail): in URLs for Census/FRED, header for UN
    sent = "\n".join(adapter.sent_urls)
    assert keys["CENSUS_API_KEY"] in sent and keys["FRED_API_KEY"] in sent
    assert any(h.get("Ocp-Apim-Subscription-Key") == keys["COMTRADE_API_KEY"]
               for h in adapter.sent_headers)
    for value in keys.values():
        assert scan_for_secret(tmp_path, value) == []
    out = capsys.readouterr()
    _assert_clean(out.out + out.err + caplog.text, keys)
    assert "GET https://api.census.gov" in caplog.text  # the logs were captured at all


def test_exception_messages_are_redacted(keys: dict[str, str]) -> None:
    key = keys["CENSUS_API_KEY"]
    echo = f"Forbidden: request /data/timeseries/intltrade/imports/hs?get=X&key={key}".encode()
    sess, _ = replay_session([Recorded(403, echo, {"Content-Type": "text/plain"})])
    req = census_api.CensusRequest("8703", 2024, "2024-12", "2024-12")
    with pytest.raises(AuthError) as err:
        census_api.fetch(sess, req)
    text = "".join(traceback.format_exception(err.value))
    assert "HTTP 403" in text and "key=REDACTED" in text
    _assert_clean(text + err.value.url, keys)


def test_no_network_error_and_retry_logs_are_redacted(keys: dict[str, str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sess, _ = replay_session([Unreachable] * 3)
    req = fred_api.FredRequest("DEXKOUS", "2024-12-01", "2024-12-31", keyed=True)
    with pytest.raises(NoNetworkError) as err:
        fred_api.fetch(sess, req)
    text = "".join(traceback.format_exception(err.value))
    assert "api.stlouisfed.org" in text
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert "Retrying" in caplog.text  # urllib3 logged the retries (URL with the key) ...
    _assert_clean(text + caplog.text, keys)  # ... but redacted


def test_comtrade_auth_error_is_redacted(keys: dict[str, str]) -> None:
    body = f'{{"statusCode": 401, "message": "bad key {keys["COMTRADE_API_KEY"]}"}}'.encode()
    sess, _ = replay_session([Recorded(401, body)])
    req = comtrade_api.ComtradeRequest("usa_imports", "8703", 2024, ("202412",), keyed=True)
    with pytest.raises(AuthError) as err:
        comtrade_api.fetch(sess, req)
    _assert_clean(str(err.value), keys)


def test_cli_without_network_prints_no_key(tmp_path: Path, keys: dict[str, str], network_guard,  # noqa: ANN001
                                           capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = cli.main(["fetch", "--only", "fred", "--start", "2024-12", "--end", "2024-12",
                       "--out", str(tmp_path / "f")])
    network_guard.attempts.clear()
    out = capsys.readouterr()
    assert code == 2 and "api.stlouisfed.org" in out.err
    _assert_clean(out.out + out.err + caplog.text, keys)
    for value in keys.values():
        assert scan_for_secret(tmp_path, value) == []
