"""UN Comtrade extracts: monthly US imports of 8703 (5 partners), Japan's mirror exports to the
USA, and the annual 8703 file.

Value basis: the US reports imports to Comtrade on a CIF-type basis (annual file: primaryValue ==
cifvalue; the monthly file sums to it exactly), so US-import rows are ``value_basis='cif'``;
Japan's exports are FOB (``'fob'``). Quantities are vehicle counts (``'u'``). Known issue: the
monthly file's 2022 quantities are Comtrade estimates that do not add up to the annual counts
(see :mod:`autotariffs.data.reconcile`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.data.countries import map_iso3
from autotariffs.data.schemas import COMTRADE_ANNUAL, COMTRADE_MONTHLY, coerce_flows
from autotariffs.data.sources import LINE_OFFSET, read_raw_csv
from autotariffs.errors import DataContractError

#: (source, year) whose monthly quantities are unreliable: Comtrade-estimated, fractional units
#: summing to 0.860x (Japan) / 1.113x (Mexico) of the annual count (PROVENANCE.md, file 8).
#: Unit-value and quantity-elasticity work should drop or flag these months.
UNRELIABLE_MONTHLY_QUANTITY: frozenset[tuple[str, int]] = frozenset({("comtrade_m_8703", 2022)})


def read_comtrade_monthly(path: Path) -> pd.DataFrame:
    """Raw monthly Comtrade extract, contract-checked (period must equal refYear*100+refMonth)."""
    path = Path(path)
    df = read_raw_csv(path, COMTRADE_MONTHLY)
    bad = df["period"] != df["refYear"] * 100 + df["refMonth"]
    if bad.any():
        raise DataContractError(
            path.name, "period", "period must equal refYear*100 + refMonth",
            rows=list(df.index[bad]), values=list(df.loc[bad, "period"]), line_offset=LINE_OFFSET,
        )
    return df


def comtrade_monthly_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Monthly extract -> flows. Reporter USA/Import -> 'comtrade_m_8703' (partner = origin);
    reporter Japan/Export -> 'comtrade_jpn_exp' (the mirror flow, partner USA)."""
    reporter = map_iso3(df["reporterDesc"], "comtrade", file, "reporterDesc")
    partner = map_iso3(df["partnerDesc"], "comtrade", file, "partnerDesc")
    flow = df["flowDesc"].map({"Import": "import", "Export": "export"})
    is_us_imp = (reporter == "USA") & (flow == "import")
    is_jp_exp = (reporter == "JPN") & (flow == "export") & (partner == "USA")
    bad = ~(is_us_imp | is_jp_exp)
    if bad.any():
        raise DataContractError(
            file, "reporterDesc,flowDesc", "expected USA imports or Japan exports to USA",
            rows=list(df.index[bad]),
            values=list((df["reporterDesc"] + "/" + df["flowDesc"])[bad]), line_offset=LINE_OFFSET,
        )
    out = pd.DataFrame({
        "source": np.where(is_us_imp, "comtrade_m_8703", "comtrade_jpn_exp"),
        "reporter": reporter, "partner": partner, "hs_code": "8703", "hs_level": 4, "freq": "M",
        "month": pd.to_datetime(dict(year=df["refYear"], month=df["refMonth"], day=1)),
        "n_months": 1, "flow": flow, "programme": "", "value_usd": df["primaryValue"],
        "value_basis": np.where(is_us_imp, "cif", "fob"), "quantity": df["qty"],
        "quantity_unit": np.where(df["qty"].notna(), "u", None), "file": file,
    })  # fmt: skip
    return coerce_flows(out)


def read_comtrade_annual(path: Path) -> pd.DataFrame:
    """Raw annual Comtrade bulk extract (cmdCode 8703 only), contract-checked."""
    path = Path(path)
    df = read_raw_csv(path, COMTRADE_ANNUAL)
    bad = df["qty"].notna() & (df["qtyUnitAbbr"] != "u")
    if bad.any():
        raise DataContractError(
            path.name, "qtyUnitAbbr", "quantity unit must be 'u' (number of vehicles)",
            rows=list(df.index[bad]), values=list(df.loc[bad, "qtyUnitAbbr"]),
            line_offset=LINE_OFFSET,
        )
    return df


def comtrade_annual_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Annual extract -> flows (source 'comtrade_a_8703'; World -> 'WLD', a bloc)."""
    partner = map_iso3(df["partnerDesc"], "comtrade", file, "partnerDesc")
    reporter = map_iso3(df["reporterISO"], "iso3", file, "reporterISO")
    out = pd.DataFrame({
        "source": "comtrade_a_8703", "reporter": reporter, "partner": partner,
        "hs_code": df["cmdCode"], "hs_level": df["cmdCode"].str.len(), "freq": "A",
        "month": pd.to_datetime(dict(year=df["refYear"], month=1, day=1)), "n_months": 12,
        "flow": "import", "programme": "", "value_usd": df["primaryValue"], "value_basis": "cif",
        "quantity": df["qty"], "quantity_unit": np.where(df["qty"].notna(), "u", None),
        "file": file,
    })  # fmt: skip
    return coerce_flows(out)
