"""End-to-end build: CLI, outputs validate, two builds are byte-identical."""

from __future__ import annotations

import time

import pandas as pd

from autotariffs import paths
from autotariffs.cli import main
from autotariffs.data.build import OUTPUTS
from autotariffs.data.schemas import FLOW_COLUMNS, validate_flows
from autotariffs.data.sources.fred import FX_SERIES


def test_build_twice_byte_identical(tmp_path, capsys):
    t0 = time.perf_counter()
    assert main(["build-data", "--raw", str(paths.RAW), "--out", str(tmp_path / "a")]) == 0
    elapsed = time.perf_counter() - t0
    printed = capsys.readouterr().out.splitlines()
    n_listed = len((paths.RAW / "SHA256SUMS").read_text().splitlines())
    assert printed[0].startswith(f"manifest: {n_listed} files verified")
    assert any(line.startswith("flows: ") for line in printed)
    assert main(["build-data", "--raw", str(paths.RAW), "--out", str(tmp_path / "b")]) == 0
    for name in OUTPUTS:
        a, b = (tmp_path / d / name for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(OUTPUTS)
    assert elapsed < 30  # ~5 s on a laptop; generous for shared CI runners

    flows = pd.read_parquet(tmp_path / "a" / "flows.parquet")
    assert list(flows.columns) == FLOW_COLUMNS
    validate_flows(flows)  # the written table still satisfies the contract after a round-trip

    fx = pd.read_parquet(tmp_path / "a" / "fx_monthly.parquet")
    assert set(fx["currency"]) == {v[0] for v in FX_SERIES.values()}
    assert not fx.duplicated(["currency", "month"]).any()
    macro = pd.read_parquet(tmp_path / "a" / "macro_monthly.parquet")
    assert {"CUSR0000SETA01", "CUSR0000SETA02", "WPU1411", "JPNTOT", "IR"} <= set(
        macro["series_id"])
    assert macro["value"].notna().all()

    cov = pd.read_csv(tmp_path / "a" / "coverage.csv")
    kor = cov[(cov["source"] == "comtrade_m_8703") & (cov["partner"] == "KOR")].iloc[0]
    assert (kor["first_month"], kor["last_month"], kor["n_periods"]) == ("2020-01", "2025-07", 67)
    rec = pd.read_csv(tmp_path / "a" / "reconciliation.csv")
    assert {"check", "partner", "period", "pct_diff", "tolerance_pct", "passes", "note"} <= set(
        rec.columns)
