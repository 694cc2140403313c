"""USITC DataWeb exports: ch.87 CIF by country x programme x month; ch.87 2024 / Jan-Aug 2025
by country (CIF, dutiable value, calculated duties); annual 8703 general customs value.

DataWeb values are *imports for consumption* except the annual 8703 file (general imports).
CIF value includes freight and insurance, so it is ~1-3% above customs value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.countries import map_iso3
from autotariffs.errors import DataContractError
from autotariffs.schemas import (
    DATAWEB_ANNUAL,
    DATAWEB_CIF_PROGRAM,
    DATAWEB_HS2_PERIOD,
    coerce_flows,
)
from autotariffs.sources import LINE_OFFSET, read_raw_csv

#: period_label -> (first month, number of months)
PERIODS = {
    "January_2024_to_december_2024": ("2024-01-01", 12),
    "January_2025_to_august_2025": ("2025-01-01", 8),
}
_SHEETS = {
    "CIF Import Value": "value_usd",
    "Calculated Duties": "duties_usd",
    "Dutiable Value": "dutiable_value_usd",
}


def _check_hts(df: pd.DataFrame, file: str) -> None:
    bad = ~df["HTS Number"].str.fullmatch(r"\d{2}(\d{2})*")
    if bad.any():
        raise DataContractError(
            file, "HTS Number", "HTS codes must have 2, 4, 6, 8 or 10 digits",
            rows=list(df.index[bad]), values=list(df.loc[bad, "HTS Number"]),
            line_offset=LINE_OFFSET,
        )


def read_dataweb_cif_programme(path: Path) -> pd.DataFrame:
    path = Path(path)
    df = read_raw_csv(path, DATAWEB_CIF_PROGRAM)
    _check_hts(df, path.name)
    return df


def dataweb_cif_programme_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """-> flows (source 'dataweb_cif_prog_m', monthly, programme = DataWeb 'Program')."""
    out = pd.DataFrame({
        "source": "dataweb_cif_prog_m", "reporter": "USA",
        "partner": map_iso3(df["Country"], "dataweb", file, "Country"),
        "hs_code": df["HTS Number"], "hs_level": df["HTS Number"].str.len(), "freq": "M",
        "month": pd.to_datetime(dict(year=df["Year"], month=df["Month"], day=1)), "n_months": 1,
        "flow": "import", "programme": df["Program"], "value_usd": df["CIF Import Value"],
        "value_basis": "cif", "file": file,
    })  # fmt: skip
    return coerce_flows(out)


def read_dataweb_hs2_period(path: Path) -> pd.DataFrame:
    path = Path(path)
    df = read_raw_csv(path, DATAWEB_HS2_PERIOD)
    _check_hts(df, path.name)
    return df


def dataweb_hs2_period_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Long sheet x period file -> one flow per country x period with CIF value (value_usd),
    calculated duties and dutiable value. 2024 is a calendar year (freq 'A'); Jan-Aug 2025 is
    freq 'P' with n_months 8. Landed duty-paid value and charges are not carried (derivable)."""
    partner = map_iso3(df["Country"], "dataweb", file, "Country")
    d = df.assign(partner=partner)
    d = d[d["sheet"].isin(list(_SHEETS))]
    wide = d.pivot(index=["partner", "HTS Number", "period_label"], columns="sheet",
                   values="value").reset_index()  # fmt: skip
    for s in _SHEETS:
        if s not in wide:
            wide[s] = np.nan
    nocif = wide["CIF Import Value"].isna()
    if nocif.any():
        raise DataContractError(
            file, "sheet", "every country x period needs a 'CIF Import Value' row",
            values=list(wide.loc[nocif, "partner"] + "/" + wide.loc[nocif, "period_label"]),
        )
    first = wide["period_label"].map(lambda p: PERIODS[p][0])
    n = wide["period_label"].map(lambda p: PERIODS[p][1])
    out = pd.DataFrame({
        "source": "dataweb_hs2_2024_2025", "reporter": "USA", "partner": wide["partner"],
        "hs_code": wide["HTS Number"], "hs_level": wide["HTS Number"].str.len(),
        "freq": np.where(n == 12, "A", "P"), "month": pd.to_datetime(first), "n_months": n,
        "flow": "import", "programme": "", "value_usd": wide["CIF Import Value"],
        "value_basis": "cif", "duties_usd": wide["Calculated Duties"],
        "dutiable_value_usd": wide["Dutiable Value"], "file": file,
    })  # fmt: skip
    return coerce_flows(out)


def read_dataweb_annual(path: Path) -> pd.DataFrame:
    path = Path(path)
    df = read_raw_csv(path, DATAWEB_ANNUAL)
    bad = df["commodity"].str.len() != df["commodity_level"]
    if bad.any():
        raise DataContractError(
            path.name, "commodity", "commodity code length must equal commodity_level",
            rows=list(df.index[bad]), values=list(df.loc[bad, "commodity"]),
            line_offset=LINE_OFFSET,
        )
    return df


def dataweb_annual_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """-> flows (source 'dataweb_8703_a', general imports, general customs value)."""
    out = pd.DataFrame({
        "source": "dataweb_8703_a", "reporter": "USA",
        "partner": map_iso3(df["country"], "dataweb", file, "country"),
        "hs_code": df["commodity"], "hs_level": df["commodity_level"], "freq": "A",
        "month": pd.to_datetime(dict(year=df["year"], month=1, day=1)), "n_months": 12,
        "flow": "import", "programme": "", "value_usd": df["value_usd"],
        "value_basis": "general", "file": file,
    })  # fmt: skip
    return coerce_flows(out)
