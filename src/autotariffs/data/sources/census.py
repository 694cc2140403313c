"""Census international-trade API tables (HS and NAICS), as files or as API frames.

Values: ``CON_VAL_*`` = imports for consumption, customs value ('customs'); ``GEN_VAL_*`` =
general imports ('general', used only when no CON_VAL column is present); ``CAL_DUT_*`` =
calculated duties; ``DUT_VAL_*`` = dutiable value; ``CON_QY1_*`` = first quantity (vehicle
counts for HS10 8703 lines; other lines have mixed units, so their quantity is dropped).
``*_MO`` columns are monthly; ``*_YR`` are year-to-date through ``time`` (a full calendar
year when ``time`` is December -> freq 'A', else freq 'P' with n_months = month of ``time``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.data.countries import lookup_table, map_iso3
from autotariffs.data.schemas import (
    CENSUS_COLUMNS_OPTIONAL,
    CENSUS_HS,
    CENSUS_NAICS,
    coerce_flows,
)
from autotariffs.data.sources import LINE_OFFSET, apply_contract, parse_csv
from autotariffs.errors import DataContractError

_LEVEL = {"HS2": 2, "HS4": 4, "HS6": 6, "HS10": 10}


def _check_census(df: pd.DataFrame, file: str) -> pd.DataFrame:
    present = [c for c in CENSUS_COLUMNS_OPTIONAL if c in df.columns]
    value_cols = [c for c in present if c[:7] in ("CON_VAL", "GEN_VAL")]
    if not value_cols:
        raise DataContractError(
            file, "CON_VAL_MO", "a value column is required: one of CON_VAL_MO, CON_VAL_YR, "
            f"GEN_VAL_MO, GEN_VAL_YR; file has {list(df.columns)}",
        )
    freqs = {c[-2:] for c in present}
    if len(freqs) > 1:
        raise DataContractError(
            file, ",".join(present), "mix of monthly (_MO) and year-to-date (_YR) columns"
        )
    # Code and name must agree: a shifted column or a recoded country would otherwise pass.
    by_code = map_iso3(df["CTY_CODE"], "census", file, "CTY_CODE")
    by_name = df["CTY_NAME"].map(lookup_table("census"))
    bad = by_name.notna() & (by_name != by_code)
    if bad.any():
        raise DataContractError(
            file, "CTY_NAME", "CTY_NAME must denote the same country as CTY_CODE",
            rows=list(df.index[bad]),
            values=list((df["CTY_CODE"] + "=" + df["CTY_NAME"])[bad]), line_offset=LINE_OFFSET,
        )
    lvl_len = df["COMM_LVL"].map(_LEVEL)
    bad = df["I_COMMODITY"].str.len() != lvl_len
    if bad.any():
        raise DataContractError(
            file, "I_COMMODITY", "commodity code length must match COMM_LVL",
            rows=list(df.index[bad]), values=list(df.loc[bad, "I_COMMODITY"]),
            line_offset=LINE_OFFSET,
        )
    return df


def read_census_hs(path: Path) -> pd.DataFrame:
    """Raw Census HS table (file), contract-checked; returns the contract columns typed."""
    path = Path(path)
    df = apply_contract(parse_csv(path), CENSUS_HS, path.name)
    return _check_census(df, path.name)


def census_hs_to_flows(df: pd.DataFrame, file: str, source: str = "census_api") -> pd.DataFrame:
    """Typed Census HS table -> flows (reporter USA, flow import)."""
    present = [c for c in CENSUS_COLUMNS_OPTIONAL if c in df.columns]
    sfx = present[0][-2:]
    val_col = f"CON_VAL_{sfx}" if f"CON_VAL_{sfx}" in df else f"GEN_VAL_{sfx}"
    basis = "customs" if val_col.startswith("CON") else "general"
    t = df["time"]
    if sfx == "MO":
        month, n, freq = t, pd.Series(1, index=df.index), pd.Series("M", index=df.index)
    else:
        month = pd.to_datetime(dict(year=t.dt.year, month=1, day=1))
        n = t.dt.month
        freq = pd.Series(np.where(n == 12, "A", "P"), index=df.index)
    level = df["COMM_LVL"].map(_LEVEL)
    qcol = f"CON_QY1_{sfx}"
    if qcol in df:
        qty = df[qcol].where((level == 10) & df["I_COMMODITY"].str.startswith("8703"))
    else:
        qty = pd.Series(np.nan, index=df.index)

    def opt(c: str) -> pd.Series:
        return df[c] if c in df else pd.Series(np.nan, index=df.index)

    out = pd.DataFrame({
        "source": source, "reporter": "USA",
        "partner": map_iso3(df["CTY_CODE"], "census", file, "CTY_CODE"),
        "hs_code": df["I_COMMODITY"], "hs_level": level, "freq": freq, "month": month,
        "n_months": n, "flow": "import", "programme": "", "value_usd": df[val_col],
        "value_basis": basis, "quantity": qty, "quantity_unit": np.where(qty.notna(), "u", None),
        "duties_usd": opt(f"CAL_DUT_{sfx}"), "dutiable_value_usd": opt(f"DUT_VAL_{sfx}"),
        "file": file,
    })  # fmt: skip
    return coerce_flows(out)


def frame_to_flows(df: pd.DataFrame, file: str, source: str = "census_api") -> pd.DataFrame:
    """Census API frame (column names and string cells as the API returns them) -> flows.

    For the live fetcher: the same contract as the shipped files is applied, so an API change
    (renamed column, non-numeric value, duplicate row) fails loudly. ``file`` should name the
    request or cache file so errors point at it.
    """
    text = df.reset_index(drop=True).fillna("").astype(str)
    typed = _check_census(apply_contract(text, CENSUS_HS, file), file)
    return census_hs_to_flows(typed, file, source)


def read_census_naics(path: Path) -> pd.DataFrame:
    """Raw Census NAICS all-countries monthly file, contract-checked."""
    path = Path(path)
    df = apply_contract(parse_csv(path), CENSUS_NAICS, path.name)
    bad = ~df["NAICS"].str.fullmatch(r"\d{6}")
    if bad.any():
        raise DataContractError(
            path.name, "NAICS", "NAICS codes must have 6 digits (COMM_LVL NA6)",
            rows=list(df.index[bad]), values=list(df.loc[bad, "NAICS"]), line_offset=LINE_OFFSET,
        )
    return df


def census_naics_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """NAICS table -> flows (classification 'NAICS', hs_code = NAICS code, partner 'WLD')."""
    out = pd.DataFrame({
        "source": "census_naics_m", "reporter": "USA",
        "partner": map_iso3(df["CTY_NAME"], "census", file, "CTY_NAME"),
        "classification": "NAICS", "hs_code": df["NAICS"], "hs_level": 6, "freq": "M",
        "month": df["time"], "n_months": 1, "flow": "import", "programme": "",
        "value_usd": df["CON_VAL_MO"], "value_basis": "customs",
        "duties_usd": df["CAL_DUT_MO"], "file": file,
    })  # fmt: skip
    return coerce_flows(out)
