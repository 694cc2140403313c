"""Center for Global Development import monitor excerpts: US imports by origin, Jan-Jun 2026, and
the BLS import price index for cars and parts.

Raw files (both EXCERPTS of the public repository
``Center-for-Global-Development/import-prices-trade-monitoring`` at commit 6a5ab1e):

* ``trade/us_imp_hs4_8703_8708_by_country_ytd_2026-06_cgd_excerpt.csv`` (trade PROVENANCE section
  13): per origin and HS4, ``us_imports_ytd`` = US imports January to ``imports_ytd_date``
  (2026-06: January-June 2026), USD. One six-month period, values only, valuation basis not
  stated at source. It is the only US-side number by origin after 2025-07, with the 15% deals in
  force. Flows: source 'cgd_ytd_2026', freq 'P', n_months 6, value_basis 'unstated'.
* ``prices/bls_import_price_index_hs4_8703_8708_2023-01_2026-07_cgd_excerpt.csv`` (prices
  PROVENANCE section 1): the BLS import price index by HS4, ALL origins (BLS publishes none by
  origin), before duty, March 2025 = 100; 2025-10 missing at source. Stacked with the FRED
  monthly series as ``BLS_IPI_<hs4>`` (``macro_monthly.parquet``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autotariffs.data.schemas import CGD_COUNTRY_PRODUCT, CGD_PRICE_INDEX, coerce_flows
from autotariffs.data.sources import LINE_OFFSET, read_raw_csv
from autotariffs.errors import DataContractError

SOURCE = "cgd_ytd_2026"
PRICE_SERIES = "BLS_IPI_{hs4}"


def read_cgd_country_product(path: Path) -> pd.DataFrame:
    """The monitor's excerpt, contract-checked; product rows must name their HS4, a positive-or-
    zero ``us_imports_ytd`` and an ``imports_ytd_date`` (first of a month)."""
    path = Path(path)
    df = read_raw_csv(path, CGD_COUNTRY_PRODUCT)
    prod = df["record_type"] == "country_product"
    ytd = pd.to_datetime(df["imports_ytd_date"].where(prod), format="%Y-%m-%d", errors="coerce")
    bad = prod & (df["hs4"].str.fullmatch(r"\d{4}").fillna(False).eq(False)
                  | df["us_imports_ytd"].isna() | ytd.isna() | ~ytd.dt.is_month_start.fillna(False))
    if bad.any():
        raise DataContractError(
            path.name, "hs4,us_imports_ytd,imports_ytd_date",
            "country_product rows need a 4-digit hs4, us_imports_ytd and imports_ytd_date "
            "(YYYY-MM-01)", rows=list(df.index[bad]),
            values=list(df.loc[bad, "country_iso3"] + " " + df.loc[bad, "hs4"]),
            line_offset=LINE_OFFSET)
    return df


def cgd_ytd_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """-> flows: one row per origin x HS4, January to ``imports_ytd_date`` of that year."""
    p = df[df["record_type"] == "country_product"]
    last = pd.to_datetime(p["imports_ytd_date"], format="%Y-%m-%d")
    out = pd.DataFrame({
        "source": SOURCE, "reporter": "USA", "partner": p["country_iso3"], "hs_code": p["hs4"],
        "hs_level": 4, "freq": "P",
        "month": pd.to_datetime(dict(year=last.dt.year, month=1, day=1)),
        "n_months": last.dt.month.astype("int64"), "flow": "import", "programme": "",
        "value_usd": p["us_imports_ytd"], "value_basis": "unstated", "file": file,
    })  # fmt: skip
    return coerce_flows(out)


def read_price_index(path: Path) -> pd.DataFrame:
    """The BLS HS4 import price index -> ``date, series_id, value`` (like the FRED readers)."""
    df = read_raw_csv(Path(path), CGD_PRICE_INDEX)
    return pd.DataFrame({"date": df["date"],
                         "series_id": df["hs4"].map(lambda h: PRICE_SERIES.format(hs4=h)),
                         "value": df["price_index"]})
