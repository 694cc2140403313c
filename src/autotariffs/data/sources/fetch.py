"""``autotariffs fetch`` (``make fetch``): opt-in live refresh of Census, Comtrade and FRED data.

The offline build never needs this; it exists so a data editor can re-pull the series the
shipped snapshot approximates. Why it is shaped like this:

* everything is first written to a private temporary directory and only copied into ``--out``
  (atomically, file by file) after *all* requests succeeded, so a failed refresh leaves
  ``data/raw`` unchanged (only the response cache under ``<out>/.cache`` persists, by design, so
  a rerun within 24 h resumes without spending rate limits again; ``--no-cache`` ignores it);
* each response is kept in the API's native format (JSON/CSV bytes as received) next to the
  parsed parquet, and ``MANIFEST.json`` gets one entry per file: public URL (key redacted),
  retrieval time (UTC), SHA-256, bytes, rows;
* without network it fails within seconds with exit code 2 and a message naming the host.

Keys come only from ``CENSUS_API_KEY``, ``COMTRADE_API_KEY``, ``FRED_API_KEY`` (all optional).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from autotariffs import paths
from autotariffs.atomic import atomic_path, sha256_file, write_json, write_parquet
from autotariffs.data.sources import census_api, comtrade_api, fred_api
from autotariffs.data.sources.http import (
    ApiResponse,
    ApiSession,
    FetchError,
    redact,
)

log = logging.getLogger(__name__)

SOURCES = ("census", "comtrade", "fred")
MANIFEST = "MANIFEST.json"
EXIT_OK, EXIT_FAILED, EXIT_NO_NETWORK = 0, 1, 2


@dataclass(frozen=True)
class Job:
    source: str
    name: str
    ext: str
    run: Callable[[ApiSession], tuple[ApiResponse, pd.DataFrame]]
    keyed: bool
    census: bool = False


def _keyed(env: str) -> bool:
    return bool(os.environ.get(env, "").strip())


def plan(only: Sequence[str] | None = None, start: str = census_api.FIRST_MONTH,
         end: str | None = None,
         census_fields: tuple[str, ...] = census_api.FIELDS) -> list[Job]:
    """All requests of a refresh, in a fixed order (census, comtrade, fred)."""
    end = end or census_api.last_complete_month()
    chosen = list(only) if only else list(SOURCES)
    unknown = sorted(set(chosen) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; choose from {list(SOURCES)}")
    jobs: list[Job] = []
    if "census" in chosen:
        keyed = _keyed(census_api.KEY_ENV)
        for r in census_api.plan_requests(start, end, fields=census_fields):
            jobs.append(Job("census", r.name, "json",
                            lambda s, r=r: census_api.fetch(s, r), keyed, census=True))
    if "comtrade" in chosen:
        keyed = _keyed(comtrade_api.KEY_ENV)
        for r in comtrade_api.plan_requests(start, end, keyed):
            jobs.append(Job("comtrade", r.name, "json",
                            lambda s, r=r: comtrade_api.fetch(s, r), keyed))
    if "fred" in chosen:
        keyed = _keyed(fred_api.KEY_ENV)
        for r in fred_api.plan_requests(start, end, keyed):
            jobs.append(Job("fred", r.name, r.native_ext,
                            lambda s, r=r: fred_api.fetch(s, r), keyed))
    return jobs



def _census_flows(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame | None, list[str]]:
    """Canonical flows for partners in the country table (+ the CTY_CODEs left out), or None
    while ``autotariffs.data.sources.census`` is not available."""
    if frame.empty:
        return None, []
    try:
        known, dropped = census_api.split_known_partners(frame)
        if dropped:
            log.warning("%s: %d CTY_CODE(s) not in autotariffs.data.countries kept only in the "
                        "parsed parquet, not in flows: %s", file, len(dropped), dropped)
        return census_api.to_flows(known, file=file), dropped
    except ImportError:
        log.warning("autotariffs.data.sources.census.frame_to_flows not available; "
                    "skipping the flows parquet for %s", file)
        return None, []


def _check_out(out: Path) -> Path:
    out = Path(out).resolve()
    raw, fetched = paths.RAW.resolve(), paths.FETCHED.resolve()
    if out.is_relative_to(raw) and not out.is_relative_to(fetched):
        raise FetchError(f"--out {out} is inside {raw} but not under {fetched}; the refresh may "
                         "only write below data/raw/fetched/ (shipped raw files are read-only)")
    return out


def run_fetch(
    out: Path = paths.FETCHED,
    only: Sequence[str] | None = None,
    start: str = census_api.FIRST_MONTH,
    end: str | None = None,
    session: ApiSession | None = None,
    progress: bool = True,
    use_cache: bool = True,
    census_fields: tuple[str, ...] = census_api.FIELDS,
) -> list[dict[str, Any]]:
    """Fetch, stage, then publish into ``out``; return the manifest entries added.

    Raises ``NoNetworkError`` / ``FetchError`` (keys redacted); on any error ``out`` is unchanged
    apart from the response cache.
    """
    out = _check_out(out)
    jobs = plan(only, start, end, census_fields)
    if session is None:
        session = ApiSession(cache_dir=out / ".cache", use_cache=use_cache)
    entries: list[dict[str, Any]] = []
    staged: list[tuple[Path, Path]] = []
    stage = Path(tempfile.mkdtemp(prefix="autotariffs-fetch-"))
    try:
        for job in tqdm(jobs, desc="fetch", unit="req", disable=not progress, file=sys.stderr):
            resp, frame = job.run(session)
            rel_native = Path(job.source) / f"{job.name}.{job.ext}"
            rel_parquet = Path(job.source) / f"{job.name}.parquet"
            (stage / job.source).mkdir(parents=True, exist_ok=True)
            (stage / rel_native).write_bytes(resp.content)
            write_parquet(frame, stage / rel_parquet)
            entry = {
                "source": job.source,
                "request_url": redact(resp.url),
                "retrieved_utc": resp.retrieved_utc,
                "http_status": resp.status,
                "from_cache": resp.from_cache,
                "keyed": job.keyed,
                "file": rel_native.as_posix(),
                "sha256": sha256_file(stage / rel_native),
                "bytes": (stage / rel_native).stat().st_size,
                "rows": int(len(frame)),
                "parsed_file": rel_parquet.as_posix(),
                "parsed_sha256": sha256_file(stage / rel_parquet),
            }
            staged += [(stage / rel_native, rel_native), (stage / rel_parquet, rel_parquet)]
            if job.census:
                flows, dropped = _census_flows(frame, file=rel_native.name)
                if flows is not None:
                    entry["flows_dropped_cty_codes"] = dropped
                    rel_flows = Path(job.source) / f"{job.name}_flows.parquet"
                    write_parquet(flows, stage / rel_flows)
                    staged.append((stage / rel_flows, rel_flows))
                    entry["flows_file"] = rel_flows.as_posix()
                    entry["flows_rows"] = int(len(flows))
                    entry["flows_sha256"] = sha256_file(stage / rel_flows)
            entries.append(entry)
        # every request succeeded: publish (each file atomically), then the manifest
        for src, rel in staged:
            with atomic_path(out / rel) as tmp:
                shutil.copyfile(src, tmp)
        manifest_path = out / MANIFEST
        old: list[dict[str, Any]] = []
        if manifest_path.exists():
            old = json.loads(manifest_path.read_text(encoding="utf-8")).get("entries", [])
        write_json({"description": "Live refresh log: one entry per fetched file (URLs have "
                    "keys REDACTED). Written by autotariffs.data.sources.fetch.",
                    "entries": old + entries}, manifest_path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return entries

