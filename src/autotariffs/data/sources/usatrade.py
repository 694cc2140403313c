"""Census USA Trade Online standard report (HS 8708, general imports customs value).

The verbatim value column has thousands separators ("28,345,952"); the extraction added an
integer parse ``value_usd``. We re-parse the verbatim string and require equality, so the helper
column can never silently drift from the published figure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autotariffs.data.countries import map_iso3
from autotariffs.data.schemas import USATRADE, coerce_flows
from autotariffs.data.sources import LINE_OFFSET, read_raw_csv
from autotariffs.errors import DataContractError

VALUE_COL = "Customs Value (Gen) ($US)"


def parse_thousands(s: pd.Series, file: str, column: str = VALUE_COL) -> pd.Series:
    """'28,345,952' -> 28345952.0; anything else than digits with comma groups is an error."""
    text = s.astype(str).str.strip()
    ok = text.str.fullmatch(r"\d{1,3}(,\d{3})*|\d+")
    if not ok.all():
        raise DataContractError(
            file, column, "values must be digits with optional thousands separators",
            rows=list(s.index[~ok]), values=list(s[~ok]), line_offset=LINE_OFFSET,
        )
    return text.str.replace(",", "", regex=False).astype("int64").astype("float64")


def read_usatrade(path: Path) -> pd.DataFrame:
    path = Path(path)
    df = read_raw_csv(path, USATRADE)
    parsed = parse_thousands(df[VALUE_COL], path.name)
    bad = parsed != df["value_usd"]
    if bad.any():
        raise DataContractError(
            path.name, "value_usd", f"value_usd must equal the parsed '{VALUE_COL}' string",
            rows=list(df.index[bad]), values=list(df.loc[bad, "value_usd"]),
            line_offset=LINE_OFFSET,
        )
    code = df["Commodity"].str.extract(r"^(\d{2,10})\s", expand=False)
    if code.isna().any():
        bad = code.isna()
        raise DataContractError(
            path.name, "Commodity", "Commodity must start with an HS code and a space",
            rows=list(df.index[bad]), values=list(df.loc[bad, "Commodity"]),
            line_offset=LINE_OFFSET,
        )
    return df.assign(hs_code=code)


def usatrade_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """-> flows (source 'usatrade_8708', general basis; 'USMCA' row is a bloc of CAN+MEX)."""
    out = pd.DataFrame({
        "source": "usatrade_8708", "reporter": "USA",
        "partner": map_iso3(df["Country"], "usatrade", file, "Country"),
        "hs_code": df["hs_code"], "hs_level": df["hs_code"].str.len(), "freq": "M",
        "month": df["period"], "n_months": 1, "flow": "import", "programme": "",
        "value_usd": df["value_usd"], "value_basis": "general", "file": file,
    })  # fmt: skip
    return coerce_flows(out)
