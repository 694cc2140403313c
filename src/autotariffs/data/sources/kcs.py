"""Korea Customs Service (KCS) exports of HS 8703 by destination, monthly 2025-01..2026-06.

Raw file: ``trade/kor_exp_8703_by_destination_kcs_monthly_2025-01_2026-06.csv`` (trade
PROVENANCE.md section 11): KCS OpenAPI ``nitemtrade`` field ``expDlr`` collected by a public
dashboard repository; one row per month (``ym`` = YYYYMM) x destination (US, CA, DE, AU, SA and
WORLD = Korea's total 8703 exports), with the commit and path of the vintage each value comes from.

Caveats carried into the flows (respect them downstream):

* **Korea-reported mirror flow**: reporter KOR, flow 'export', partner = destination. It is a
  different measurement from US-reported imports (FOB at Korean customs vs US customs value /
  Comtrade's CIF-type value; about one month of shipping to US ports: April 2025 exports 2.887 vs
  US April imports 1.813 $B), so it gets its own ``source`` ('kcs_kor_exp_m') and must never be
  summed with US-reported imports.
* **No quantities** (KCS reports none in this extract) and **no 2023-2024 history**: no
  year-on-year comparison or pre-2025 seasonality can be estimated from this file.
* WORLD is a bloc listed with its members (Korea's total >= the five destinations).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autotariffs.data.countries import map_iso3
from autotariffs.data.schemas import KCS_EXPORTS, coerce_flows
from autotariffs.data.sources import LINE_OFFSET, read_raw_csv
from autotariffs.errors import DataContractError

SOURCE = "kcs_kor_exp_m"


def read_kcs_exports(path: Path) -> pd.DataFrame:
    """Raw KCS extract, contract-checked: columns, value >= 0, known destination, unique
    (ym, destination), ``ym`` a valid YYYYMM month."""
    path = Path(path)
    df = read_raw_csv(path, KCS_EXPORTS)
    mon = df["ym"] % 100
    bad = (mon < 1) | (mon > 12) | (df["ym"] < 190001) | (df["ym"] > 210012)
    if bad.any():
        raise DataContractError(
            path.name, "ym", "ym must be a month written YYYYMM (month 01-12)",
            rows=list(df.index[bad]), values=list(df.loc[bad, "ym"]), line_offset=LINE_OFFSET,
        )
    return df


def kcs_exports_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """-> flows (source 'kcs_kor_exp_m', reporter KOR, flow 'export', value_basis 'fob', monthly;
    partner = destination ISO-3, WORLD -> 'WLD' (a bloc)). No quantities."""
    out = pd.DataFrame({
        "source": SOURCE, "reporter": "KOR",
        "partner": map_iso3(df["destination"], "kcs", file, "destination"),
        "hs_code": "8703", "hs_level": 4, "freq": "M",
        "month": pd.to_datetime(dict(year=df["ym"] // 100, month=df["ym"] % 100, day=1)),
        "n_months": 1, "flow": "export", "programme": "", "value_usd": df["export_value_usd"],
        "value_basis": "fob", "file": file,
    })  # fmt: skip
    return coerce_flows(out)
