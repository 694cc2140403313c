"""End-to-end ``fetch`` runs on recorded responses: files, manifest, atomicity, exit codes."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from support import RECORDED as REC
from support.recorded import YTD, recorded_route

from autotariffs import cli, paths
from autotariffs.data.sources import fetch
from autotariffs.data.sources.http import (
    ApiError,
    FetchError,
    Recorded,
    replay_session,
)

N_JOBS = 3 + 4 + 8  # census headings, comtrade (3 headings + mirror), FRED series
pytestmark = pytest.mark.usefixtures("sleeps")  # no test here waits for real (conftest)


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def _stages() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("autotariffs-fetch-*")}


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fetch stages in tempfile's folder: give each test its own, so that _stages() sees only
    this test's staging folders, not those of a fetch running beside it (another pytest-xdist
    worker, another checkout's tests on the same machine)."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))


@pytest.fixture
def fred_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "0000aaaa1111bbbb2222cccc3333dddd"  # fake, 32 characters like a real one
    monkeypatch.setenv("FRED_API_KEY", key)
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    return key


def test_full_fetch_run(tmp_path: Path, fred_key: str) -> None:
    out = tmp_path / "fetched"
    before, stages = snapshot(paths.DATA), _stages()
    sess, adapter = replay_session(recorded_route)
    entries = fetch.run_fetch(out, start="2024-12", end="2024-12", session=sess,
                              progress=False, census_fields=YTD)
    assert len(entries) == len(adapter.sent_urls) == N_JOBS
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["entries"] == entries
    for e in entries:
        native = out / e["file"]
        assert hashlib.sha256(native.read_bytes()).hexdigest() == e["sha256"]
        assert e["bytes"] == native.stat().st_size
        parsed = pd.read_parquet(out / e["parsed_file"])
        assert len(parsed) == e["rows"]
        assert e["retrieved_utc"].endswith("Z") and e["http_status"] == 200
        assert "api_key" not in e["request_url"] and fred_key not in e["request_url"]
    by_file = {e["file"]: e for e in entries}
    census = by_file["census/imports_hs_8703_hs10_2024.json"]
    # native bytes kept verbatim: identical to the recording the "server" sent
    assert (out / census["file"]).read_bytes() == (
        REC / "census_hs10_8703_2024-12_ytd.json").read_bytes()
    assert census["rows"] == 466
    assert "comtrade/usa_imports_8703_2024.json" in by_file
    assert by_file["comtrade/usa_imports_8704_2024.json"]["rows"] == 0
    assert by_file["fred/DEXKOUS.json"]["rows"] == 22  # 21 trading days + 1 holiday in Dec 2024
    if "flows_file" in census:  # present once autotariffs.data.sources.census is importable
        flows = pd.read_parquet(out / census["flows_file"])
        assert round(flows.loc[flows["partner"] == "KOR", "value_usd"].sum() / 1e9, 2) == 36.86
    assert {p.name for p in out.iterdir()} == {"MANIFEST.json", "census", "comtrade", "fred"}
    assert snapshot(paths.DATA) == before  # nothing outside tmp_path changed
    assert _stages() == stages  # the private staging directory was removed

    # a second run appends to the manifest history
    sess2, _ = replay_session(recorded_route)
    fetch.run_fetch(out, only=["fred"], start="2024-12", end="2024-12", session=sess2,
                    progress=False)
    assert len(json.loads((out / "MANIFEST.json").read_text())["entries"]) == N_JOBS + 8


def test_failure_midway_leaves_out_unchanged(tmp_path: Path, fred_key: str) -> None:
    out = tmp_path / "fetched"
    out.mkdir()
    (out / "MANIFEST.json").write_text('{"entries": []}\n')
    before, stages = snapshot(tmp_path), _stages()

    def route(url: str) -> Recorded:
        if "series_id=DEXUSUK" in url:
            return Recorded(503, b"Service Unavailable")
        return recorded_route(url)

    sess, adapter = replay_session(route)
    with pytest.raises(ApiError, match="FRED returned HTTP 503"):
        fetch.run_fetch(out, start="2024-12", end="2024-12", session=sess, progress=False,
                        census_fields=YTD)
    assert len(adapter.sent_urls) == 3 + 4 + 5 + 5  # DEXUSUK is FRED job 6: 1 try + 4 retries
    assert snapshot(tmp_path) == before
    assert _stages() == stages


def test_main_without_network_exits_2_fast(tmp_path: Path, network_guard, capsys) -> None:  # noqa: ANN001
    """Real session, real urllib3 retries; the test guard plays 'no network'."""
    out = tmp_path / "fetched"
    t0 = time.monotonic()
    code = cli.main(["fetch", "--only", "census", "--start", "2024-01", "--end", "2024-02",
                       "--out", str(out), "--no-progress"])
    elapsed = time.monotonic() - t0
    network_guard.attempts.clear()
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach api.census.gov (no network?)" in err
    assert elapsed < 30
    assert not (out / "census").exists() and not (out / "MANIFEST.json").exists()


def test_out_inside_shipped_raw_is_refused(tmp_path: Path) -> None:
    before = snapshot(paths.RAW)
    with pytest.raises(FetchError, match="only write below data/raw/fetched"):
        fetch.run_fetch(paths.RAW / "trade", only=["fred"], start="2024-12", end="2024-12",
                        session=replay_session(recorded_route)[0], progress=False)
    assert snapshot(paths.RAW) == before


def test_unknown_source_and_progress_bar(tmp_path: Path, fred_key: str, capsys) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="unknown source"):
        fetch.plan(["bls"])
    sess, _ = replay_session(recorded_route)
    fetch.run_fetch(tmp_path / "o", only=["fred"], start="2024-12", end="2024-12",
                    session=sess, progress=True)
    err = capsys.readouterr().err
    assert "fetch" in err and "8/8" in err


def test_census_codes_outside_country_table_are_listed_not_fatal(
        tmp_path: Path, fred_key: str) -> None:
    pytest.importorskip("autotariffs.data.sources.census")
    from autotariffs.data.countries import lookup_table

    assert "9999" not in lookup_table("census")
    body = (REC / "census_hs10_8703_2024-12_ytd.json").read_bytes()
    # SIMULATED extra row with a code the project country table does not list
    extra = b',\n["9999","NOWHERELAND","8703230140","PASS VEH,NESOI,4 CYL,1500-3000CC","HS10",' \
            b'"1000","25","2024-12"]]'
    body = body[:-1] + extra

    def route(url: str) -> Recorded:
        return Recorded(200, body) if "I_COMMODITY=8703" in url else recorded_route(url)

    sess, _ = replay_session(route)
    entries = fetch.run_fetch(tmp_path / "o", only=["census"], start="2024-12", end="2024-12",
                              session=sess, progress=False, census_fields=YTD)
    e = entries[0]
    assert e["rows"] == 467 and e["flows_dropped_cty_codes"] == ["9999"]
    flows = pd.read_parquet(tmp_path / "o" / e["flows_file"])
    assert e["flows_rows"] == len(flows) == 466
    assert "9999" in set(pd.read_parquet(tmp_path / "o" / e["parsed_file"])["CTY_CODE"])
