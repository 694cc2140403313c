"""The CGD monitor excerpts: US imports by origin Jan-Jun 2026 and the BLS import price index.

Expected values are read from the raw CSVs with the csv module (independent of the adapter),
and from the numbers PROVENANCE.md states for them.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data.sources import cgd
from autotariffs.errors import DataContractError

YTD = paths.RAW / "trade" / "us_imp_hs4_8703_8708_by_country_ytd_2026-06_cgd_excerpt.csv"
PRICES = paths.RAW / "prices" / "bls_import_price_index_hs4_8703_8708_2023-01_2026-07_cgd_excerpt.csv"


def test_ytd_flows_equal_the_raw_product_rows():
    with open(YTD, newline="", encoding="utf-8") as f:
        raw = {(r["country_iso3"], r["hs4"]): float(r["us_imports_ytd"])
               for r in csv.DictReader(f) if r["record_type"] == "country_product"}
    fl = cgd.cgd_ytd_to_flows(cgd.read_cgd_country_product(YTD), YTD.name)
    got = {(r.partner, r.hs_code): r.value_usd for r in fl.itertuples()}
    assert got == raw
    assert len(raw) == 11  # PROVENANCE 13: DEU has no 8708 row
    assert set(fl["month"]) == {pd.Timestamp("2026-01-01")} and set(fl["n_months"]) == {6}
    assert set(fl["freq"]) == {"P"} and set(fl["value_basis"]) == {"unstated"}
    # PROVENANCE 13 states the HS 8703 values in USD bn
    bn = {o: round(raw[(o, "8703")] / 1e9, 3) for o in ("JPN", "KOR", "MEX", "CAN", "DEU", "GBR")}
    assert bn == {"JPN": 17.612, "KOR": 15.649, "MEX": 18.982, "CAN": 11.424, "DEU": 8.949,
                  "GBR": 3.273}


def test_price_index_equals_the_raw_file():
    with open(PRICES, newline="", encoding="utf-8") as f:
        raw = {(r["date"], r["hs4"]): float(r["price_index"]) for r in csv.DictReader(f)}
    got = cgd.read_price_index(PRICES)
    assert {(f"{d:%Y-%m-%d}", s.removeprefix("BLS_IPI_")): v
            for d, s, v in got.itertuples(index=False)} == raw
    s = got[got["series_id"] == "BLS_IPI_8703"].set_index("date")["value"]
    assert s[pd.Timestamp("2025-03-01")] == 100.0 and s[pd.Timestamp("2025-11-01")] == 95.91
    assert pd.Timestamp("2025-10-01") not in s.index  # missing at source (PROVENANCE)


def test_a_product_row_without_its_value_names_the_line(tmp_path):
    lines = YTD.read_text(encoding="utf-8").splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("country_product,KOR,")
             and ",8703," in ln)
    cells = lines[k].rstrip("\n").split(",")
    cells[-2] = ""  # us_imports_ytd
    lines[k] = ",".join(cells) + "\n"
    bad = tmp_path / YTD.name
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataContractError) as e:
        cgd.read_cgd_country_product(bad)
    msg = str(e.value)
    assert YTD.name in msg and "us_imports_ytd" in msg and f"[{k + 1}]" in msg


def test_the_build_stacks_the_price_index_with_the_macro_series():
    macro = pd.read_parquet(paths.PROCESSED / "macro_monthly.parquet")
    s = macro[macro["series_id"] == "BLS_IPI_8703"]
    assert len(s) == 42 and s["value"].iloc[-1] == 96.43  # 2023-01..2026-07 without 2025-10
