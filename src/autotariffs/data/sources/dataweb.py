"""USITC DataWeb exports: ch.87 CIF by country x programme x month; ch.87 2024 / Jan-Aug 2025
by country (CIF, dutiable value, calculated duties); annual 8703 general customs value; HS10 8703
imports from Canada and Mexico by USMCA claim (customs value, 2025-01..2026-02 monthly).

DataWeb values are *imports for consumption* except the annual 8703 file (general imports).
CIF value includes freight and insurance, so it is ~1-3% above customs value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.data.countries import map_iso3
from autotariffs.data.schemas import (
    DATAWEB_ANNUAL,
    DATAWEB_CIF_PROGRAM,
    DATAWEB_HS2_PERIOD,
    DATAWEB_USMCA_CLAIMS,
    coerce_flows,
)
from autotariffs.data.sources import LINE_OFFSET, read_raw_csv
from autotariffs.errors import DataContractError

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


# --------------------------------------------------------------------------------------------
# HS10 8703 imports from Canada and Mexico by USMCA claim (trade PROVENANCE section 12)
# --------------------------------------------------------------------------------------------

#: DataWeb programme labels of the two parts of each HS10 x country x month total.
USMCA_CLAIMED = "USMCA"
USMCA_NOT_CLAIMED = "no USMCA claim"
USMCA_SOURCE = "dataweb_usmca_hs10_m"
USMCA_SHARE_TOL = 1e-6


def read_dataweb_usmca_claims(path: Path) -> pd.DataFrame:
    """Raw DataWeb CAN/MEX HS10 8703 claims file, contract-checked.

    Rules beyond the column contract: ``hts10`` is a 10-digit 8703 line; ``period`` is '2024'
    (annual: share only, values blank) or 'YYYY-MM' (monthly: both values given); the claimed
    value never exceeds the total; ``usmca_share`` lies in [0, 1] and equals
    usmca_value / total_value where the total is positive.
    """
    path = Path(path)
    df = read_raw_csv(path, DATAWEB_USMCA_CLAIMS)

    def fail(mask: pd.Series, column: str, rule: str, values: pd.Series) -> None:
        if mask.any():
            raise DataContractError(path.name, column, rule, rows=list(df.index[mask]),
                                    values=list(values[mask]), line_offset=LINE_OFFSET)

    fail(~df["hts10"].str.fullmatch(r"8703\d{6}"), "hts10", "hts10 must be a 10-digit 8703 line",
         df["hts10"])
    annual = df["period"].str.fullmatch(r"\d{4}")
    monthly = df["period"].str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    fail(~(annual | monthly), "period", "period must be 'YYYY' or 'YYYY-MM'", df["period"])
    noval = df["total_value"].isna() | df["usmca_value"].isna()
    fail(monthly & noval, "total_value", "monthly rows need total_value and usmca_value",
         df["period"] + "|" + df["hts10"])
    fail(df["usmca_value"] > df["total_value"], "usmca_value",
         "USMCA-claimed value must not exceed the total", df["usmca_value"])
    fail(df["usmca_share"] > 1, "usmca_share", "usmca_share must be <= 1", df["usmca_share"])
    pos = df["total_value"] > 0
    off = pos & ((df["usmca_value"] / df["total_value"] - df["usmca_share"]).abs()
                 > USMCA_SHARE_TOL)
    fail(off, "usmca_share", f"usmca_share must equal usmca_value / total_value "
         f"(tolerance {USMCA_SHARE_TOL})", df["usmca_share"])
    return df


def dataweb_usmca_claims_to_flows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Monthly rows -> flows (source 'dataweb_usmca_hs10_m', imports for consumption, customs
    value, hs_level 10). Each HS10 x country x month total is split into two programme rows that
    add up to it exactly: 'USMCA' (claimed value) and 'no USMCA claim' (total - claimed). The
    2024 annual rows carry shares only and are not flows (see :func:`usmca_claim_shares`)."""
    m = df[df["period"].str.len() == 7].reset_index(drop=True)
    partner = map_iso3(m["cty_code"], "census", file, "cty_code")
    month = pd.to_datetime(m["period"] + "-01")
    base = {"source": USMCA_SOURCE, "reporter": "USA", "partner": partner, "hs_code": m["hts10"],
            "hs_level": 10, "freq": "M", "month": month, "n_months": 1, "flow": "import",
            "value_basis": "customs", "file": file}  # fmt: skip
    claimed = pd.DataFrame({**base, "programme": USMCA_CLAIMED, "value_usd": m["usmca_value"]})
    other = pd.DataFrame({**base, "programme": USMCA_NOT_CLAIMED,
                          "value_usd": m["total_value"] - m["usmca_value"]})
    return coerce_flows(pd.concat([claimed, other], ignore_index=True))


def usmca_claim_shares(claims: pd.DataFrame) -> pd.DataFrame:
    """Value-weighted USMCA claim share of HS 8703 imports by partner and month.

    ``claims`` is either the raw contract-checked frame (:func:`read_dataweb_usmca_claims`) or
    flows rows of source 'dataweb_usmca_hs10_m'. Returns ``month, partner, total_value,
    usmca_value, claim_share`` (monthly rows only; months with zero total get NaN share).
    Note: the 2026 files list 46 HS10 lines against 146 in 2025 (PROVENANCE section 12).
    """
    cols = ["month", "partner", "total_value", "usmca_value", "claim_share"]
    if "source" in claims.columns:
        f = claims[claims["source"] == USMCA_SOURCE]
        if f.empty:  # flows without the claims file (e.g. a fetched Census panel): no shares
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
                {"month": "datetime64[ns]", "partner": "object"})
        g = f.pivot_table(index=["month", "partner"], columns="programme", values="value_usd",
                          aggfunc="sum", fill_value=0.0)
        out = pd.DataFrame({"usmca_value": g.get(USMCA_CLAIMED, 0.0)})
        out["total_value"] = out["usmca_value"] + g.get(USMCA_NOT_CLAIMED, 0.0)
        out = out.reset_index()
    else:
        m = claims[claims["period"].str.len() == 7]
        out = (m.assign(month=pd.to_datetime(m["period"] + "-01"),
                        partner=map_iso3(m["cty_code"], "census", "claims", "cty_code"))
               .groupby(["month", "partner"])[["total_value", "usmca_value"]].sum()
               .reset_index())  # fmt: skip
    out["claim_share"] = out["usmca_value"] / out["total_value"].where(out["total_value"] > 0)
    out["month"] = out["month"].astype("datetime64[ns]")
    return out[cols].sort_values(["partner", "month"]).reset_index(drop=True)
