"""HTTP layer: retries (urllib3 Retry through a replay transport), cache, redaction."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from autotariffs.data.sources import http
from autotariffs.data.sources.http import (
    REDACTED,
    FetchError,
    NoNetworkError,
    Recorded,
    TimedOut,
    Unreachable,
    redact,
    replay_session,
    scan_for_secret,
)

URL = "https://api.census.gov/data/timeseries/intltrade/imports/hs"
OK = Recorded(200, b'[["A","time"],\n["1","2024-12"]]', {"Content-Type": "application/json"})


def test_429_with_retry_after_is_honoured_then_succeeds(sleeps: list[float]) -> None:
    sess, adapter = replay_session([Recorded(429, b"Too Many", {"Retry-After": "7"}), OK])
    resp = sess.get(URL, {"get": "A"})
    assert resp.status == 200 and resp.content == OK.body
    assert len(adapter.sent_urls) == 2
    assert sleeps == [7.0]  # waited exactly what the server asked, no extra backoff


def test_500_retries_exhausted_returns_final_status(sleeps: list[float]) -> None:
    sess, adapter = replay_session([Recorded(500, b"boom")] * 10)
    resp = sess.get(URL, {"get": "A"})
    assert resp.status == 500
    assert len(adapter.sent_urls) == 5  # 1 try + 4 status retries (make_retry(status=4))


def test_backoff_is_exponential_with_default_policy(sleeps: list[float]) -> None:
    """urllib3 backoff: none after the 1st error, then factor * 2**(n-1) (+ jitter <= 0.5 s)."""
    sess, adapter = replay_session([Recorded(503)] * 5)
    adapter.max_retries = http.make_retry(backoff_factor=1.0)
    sess.get(URL, {"get": "A"})
    assert len(sleeps) == 3
    for got, base in zip(sleeps, [2, 4, 8], strict=True):
        assert base <= got <= base + 0.5


def test_4xx_is_not_retried(sleeps: list[float]) -> None:
    sess, adapter = replay_session([Recorded(400, b"error: unknown variable 'XYZ'")])
    assert sess.get(URL, {"get": "XYZ"}).status == 400
    assert len(adapter.sent_urls) == 1 and sleeps == []


def test_unresolvable_host_fails_fast_after_two_connection_retries(sleeps: list[float]) -> None:
    sess, adapter = replay_session([Unreachable] * 10)
    with pytest.raises(NoNetworkError) as err:
        sess.get(URL, {"get": "A"})
    assert "cannot reach api.census.gov (no network?)" in str(err.value)
    assert len(adapter.sent_urls) == 3


def test_key_added_at_send_time_but_not_in_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENSUS_API_KEY", "FAKEKEY-httptest-0001")
    sess, adapter = replay_session([OK])
    resp = sess.get(URL, {"get": "A"}, secret_env="CENSUS_API_KEY", secret_param="key")
    assert "key=FAKEKEY-httptest-0001" in adapter.sent_urls[0]
    assert "FAKEKEY" not in resp.url and "key=" not in resp.url


def test_cache_is_keyed_without_secret_and_serves_second_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", "abcdefabcdefabcdefabcdefabcd1234")
    sess, adapter = replay_session([OK], cache_dir=tmp_path)
    first = sess.get(URL, {"get": "A"}, secret_env="FRED_API_KEY", secret_param="api_key")
    second = sess.get(URL, {"get": "A"}, secret_env="FRED_API_KEY", secret_param="api_key")
    assert not first.from_cache and second.from_cache and second.content == first.content
    assert len(adapter.sent_urls) == 1
    metas = list(tmp_path.rglob("*.json"))
    assert len(metas) == 1
    assert json.loads(metas[0].read_text())["url"] == first.url
    assert scan_for_secret(tmp_path, "abcdefabcdefabcdefabcdefabcd1234") == []


def test_error_responses_are_not_cached(tmp_path: Path, sleeps: list[float]) -> None:
    sess, _ = replay_session([Recorded(500)] * 5, cache_dir=tmp_path)
    sess.get(URL, {"get": "A"})
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("https://x.org/a?get=A&key=abc123&time=1", "https://x.org/a?get=A&key=REDACTED&time=1"),
        ("https://x.org/a?api_key=0123456789abcdef", "https://x.org/a?api_key=REDACTED"),
        ("...?subscription-key=zz9&x=1", "...?subscription-key=REDACTED&x=1"),
        ("{'Ocp-Apim-Subscription-Key': 'k3y'}", "{'Ocp-Apim-Subscription-Key': 'REDACTED'}"),
        ("no secrets here: monkey=1", "no secrets here: monkey=1"),
    ],
)
def test_redact_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_masks_env_key_values_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMTRADE_API_KEY", "FAKEKEY-xyz/+=")
    assert redact("echo FAKEKEY-xyz/+= and FAKEKEY-xyz%2F%2B%3D") == f"echo {REDACTED} and {REDACTED}"


def test_log_filter_redacts_urllib3_debug_lines(caplog: pytest.LogCaptureFixture) -> None:
    http.install_log_redaction()
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            '%s "GET %s HTTP/1.1" 200', "https://api.census.gov:443", "/data?key=SECRET999")
    assert "SECRET999" not in caplog.text and "key=REDACTED" in caplog.text


def test_scan_for_secret_finds_raw_and_encoded(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"\x00FAKE-K/1\x00")
    (tmp_path / "c.txt").write_text("url?key=FAKE-K%2F1")
    assert scan_for_secret(tmp_path, "FAKE-K/1") == [tmp_path / "c.txt", tmp_path / "sub" / "b.bin"]


def test_requests_are_paced_per_host(sleeps: list[float]) -> None:
    sess, adapter = replay_session([OK, OK, OK])
    sess.min_interval = {"api.census.gov": 1.0}
    sess.get(URL, {"get": "A"})
    sess.get(URL, {"get": "B"})
    sess.get("https://api.stlouisfed.org/fred/series/observations", {"series_id": "X"})
    assert len(sleeps) == 1 and 0.9 < sleeps[0] <= 1.0  # only the 2nd census call waited


def test_read_timeouts_are_retried_then_reported_as_timeout_not_no_network(
        sleeps: list[float]) -> None:
    sess, adapter = replay_session([TimedOut] * 5)
    with pytest.raises(FetchError, match="did not answer in time") as err:
        sess.get(URL, {"get": "A"})
    assert not isinstance(err.value, NoNetworkError)
    assert len(adapter.sent_urls) == 3  # 1 try + 2 read retries


def test_timeout_then_success(sleeps: list[float]) -> None:
    sess, adapter = replay_session([TimedOut, OK])
    assert sess.get(URL, {"get": "A"}).status == 200 and len(adapter.sent_urls) == 2


def test_stale_cache_entries_are_refetched(tmp_path: Path) -> None:
    sess, adapter = replay_session([OK, OK], cache_dir=tmp_path)
    sess.get(URL, {"get": "A"})
    meta = next(tmp_path.rglob("*.json"))
    data = json.loads(meta.read_text())
    data["retrieved_utc"] = "2020-01-01T00:00:00Z"  # older than cache_max_age_s (1 day)
    meta.write_text(json.dumps(data))
    assert not sess.get(URL, {"get": "A"}).from_cache
    assert len(adapter.sent_urls) == 2
