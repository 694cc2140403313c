"""Data contracts: raw-input contracts and the canonical ``flows`` table (pandera).

Why contracts: the estimates downstream are only as good as the panel; a duplicated month, a
mis-mapped origin or a bloc added to its own members silently biases elasticities. Every
contract failure is raised as :class:`~autotariffs.errors.DataContractError` naming the file,
column, rows, offending values and rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from autotariffs.data import countries
from autotariffs.errors import DataContractError

# --------------------------------------------------------------------------------------------
# Raw inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawContract:
    """Columns (name -> kind) a raw file must have, plus value rules.

    kinds: 'str' (non-blank text), 'str0' (text, may be blank), 'int', 'float',
    'float_na' (blank = missing), 'fred_value' (blank, '.' or 'NA' = missing), 'month'
    (YYYY-MM), 'date' (YYYY-MM-DD).
    """

    columns: dict[str, str]
    key: tuple[str, ...] = ()
    nonnegative: tuple[str, ...] = ()
    allowed: dict[str, tuple] = field(default_factory=dict)
    optional: dict[str, str] = field(default_factory=dict)


COMTRADE_MONTHLY = RawContract(
    columns={"freqCode": "str", "refYear": "int", "refMonth": "int", "period": "int",
             "reporterDesc": "str", "flowDesc": "str", "partnerDesc": "str", "qty": "float_na",
             "primaryValue": "float"},
    key=("reporterDesc", "flowDesc", "partnerDesc", "period"),
    nonnegative=("qty", "primaryValue"),
    allowed={"freqCode": ("M",), "flowDesc": ("Import", "Export"),
             "refMonth": tuple(range(1, 13))},
)  # fmt: skip

COMTRADE_ANNUAL = RawContract(
    columns={"freqCode": "str", "refYear": "int", "reporterISO": "str", "flowCode": "str",
             "partnerCode": "int", "partnerISO": "str", "partnerDesc": "str", "cmdCode": "str",
             "qtyUnitAbbr": "str0", "qty": "float_na", "isQtyEstimated": "str0",
             "cifvalue": "float_na", "primaryValue": "float"},
    key=("reporterISO", "flowCode", "partnerCode", "cmdCode", "refYear"),
    nonnegative=("qty", "primaryValue", "cifvalue"),
    allowed={"freqCode": ("A",), "flowCode": ("M",), "cmdCode": ("8703",)},
)  # fmt: skip

CENSUS_COLUMNS_OPTIONAL = (
    "CON_VAL_MO", "CAL_DUT_MO", "CON_QY1_MO", "GEN_VAL_MO", "DUT_VAL_MO",
    "CON_VAL_YR", "CAL_DUT_YR", "CON_QY1_YR", "GEN_VAL_YR", "DUT_VAL_YR",
)  # fmt: skip

CENSUS_HS = RawContract(
    columns={"CTY_CODE": "str", "CTY_NAME": "str", "I_COMMODITY": "str", "COMM_LVL": "str",
             "time": "month"},
    key=("CTY_CODE", "I_COMMODITY", "time"),
    allowed={"COMM_LVL": ("HS2", "HS4", "HS6", "HS10")},
    optional={c: "float_na" for c in CENSUS_COLUMNS_OPTIONAL},
    nonnegative=CENSUS_COLUMNS_OPTIONAL,
)  # fmt: skip

CENSUS_NAICS = RawContract(
    columns={"CTY_NAME": "str", "NAICS": "str", "NAICS_SDESC": "str", "COMM_LVL": "str",
             "time": "month", "CON_VAL_MO": "float", "CAL_DUT_MO": "float"},
    key=("CTY_NAME", "NAICS", "time"),
    nonnegative=("CON_VAL_MO", "CAL_DUT_MO"),
    allowed={"COMM_LVL": ("NA6",)},
)  # fmt: skip

DATAWEB_CIF_PROGRAM = RawContract(
    columns={"Data Type": "str", "Country": "str", "Year": "int", "Month": "int",
             "HTS Number": "str", "Program": "str", "CIF Import Value": "float"},
    key=("Country", "Year", "Month", "HTS Number", "Program"),
    nonnegative=("CIF Import Value",),
    allowed={"Data Type": ("CIF Import Value",), "Month": tuple(range(1, 13))},
)  # fmt: skip

DATAWEB_HS2_PERIOD = RawContract(
    columns={"source_file": "str", "sheet": "str", "period_label": "str", "Data Type": "str",
             "Country": "str", "HTS Number": "str", "value": "float"},
    key=("sheet", "period_label", "Country", "HTS Number"),
    nonnegative=("value",),
    allowed={"sheet": ("Landed Duty-Paid Value", "Dutiable Value", "Calculated Duties",
                       "Import Charges", "CIF Import Value"),
             "period_label": ("January_2024_to_december_2024", "January_2025_to_august_2025")},
)  # fmt: skip

DATAWEB_ANNUAL = RawContract(
    columns={"trade_flow": "str", "data_to_report": "str", "country": "str", "commodity": "str",
             "commodity_level": "int", "year": "int", "value_usd": "float"},
    key=("country", "commodity", "year"),
    nonnegative=("value_usd",),
    allowed={"trade_flow": ("General Imports",), "data_to_report": ("General Customs Value",)},
)  # fmt: skip

USATRADE = RawContract(
    columns={"Commodity": "str", "Country": "str", "Time": "str",
             "Customs Value (Gen) ($US)": "str", "period": "month", "value_usd": "float"},
    key=("Commodity", "Country", "period"),
    nonnegative=("value_usd",),
)  # fmt: skip


#: Korea Customs Service exports of HS 8703 by destination (trade PROVENANCE section 11). ``ym`` is
#: YYYYMM; destinations are KCS codes listed in autotariffs.data.countries (source 'kcs').
KCS_EXPORTS = RawContract(
    columns={"ym": "int", "destination": "str", "export_value_usd": "float",
             "source_commit": "str", "source_path": "str"},
    key=("ym", "destination"),
    nonnegative=("export_value_usd",),
    allowed={"destination": tuple(countries.lookup_table("kcs"))},
)  # fmt: skip

#: DataWeb HS10 8703 imports for consumption from Canada (1220) and Mexico (2010), total and
#: USMCA-claimed customs value (trade PROVENANCE section 12). ``period`` is 'YYYY' (2024: share
#: only, values blank) or 'YYYY-MM' (values given).
DATAWEB_USMCA_CLAIMS = RawContract(
    columns={"period": "str", "hts10": "str", "cty_code": "str", "total_value": "float_na",
             "usmca_value": "float_na", "usmca_share": "float", "source_path": "str"},
    key=("period", "hts10", "cty_code"),
    nonnegative=("total_value", "usmca_value", "usmca_share"),
    allowed={"cty_code": ("1220", "2010")},
)  # fmt: skip


#: Center for Global Development import monitor, excerpt of COUNTRY_PRODUCT_DATA.csv (trade
#: PROVENANCE section 13): country summaries, monthly total-import growth, and per-HS4 rows with
#: US imports January to ``imports_ytd_date``. Only the columns the package reads are typed.
CGD_COUNTRY_PRODUCT = RawContract(
    columns={"record_type": "str", "country_iso3": "str", "cty_name": "str", "date": "str0",
             "hs4": "str0", "product": "str0", "price_change_since_mar2025": "float_na",
             "us_imports_ytd": "float_na", "imports_ytd_date": "str0"},
    key=("record_type", "country_iso3", "date", "hs4"),
    nonnegative=("us_imports_ytd",),
    allowed={"record_type": ("country_summary", "country_month", "country_product"),
             "country_iso3": tuple(sorted(countries.KNOWN_ISO3))},
)  # fmt: skip

#: BLS import price index by HS4, all origins, before duty, March 2025 = 100, as compiled by the
#: same monitor (prices PROVENANCE section 1); 2025-10 is missing at source.
CGD_PRICE_INDEX = RawContract(
    columns={"date": "date", "hs4": "str", "product": "str", "price_index": "float"},
    key=("date", "hs4"),
    nonnegative=("price_index",),
    allowed={"hs4": ("8703", "8708")},
)  # fmt: skip


def fred_contract(date_col: str, value_col: str) -> RawContract:
    return RawContract(columns={date_col: "date", value_col: "fred_value"}, key=(date_col,))


# --------------------------------------------------------------------------------------------
# Canonical flows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    first: str  # first month covered, 'YYYY-MM'
    last: str | None  # last month covered (None = open-ended, e.g. live API)
    description: str


#: Source ids and their stated coverage (data/raw/trade/PROVENANCE.md).
SOURCES: dict[str, SourceInfo] = {
    "comtrade_m_8703": SourceInfo("2020-01", "2025-07", "Comtrade monthly US imports 8703"),
    "comtrade_jpn_exp": SourceInfo("2020-01", "2025-09", "Comtrade Japan exports to USA 8703"),
    "comtrade_a_8703": SourceInfo("2015-01", "2024-12", "Comtrade annual US imports 8703"),
    "census_hs10_2024": SourceInfo("2024-01", "2024-12", "Census HS10 ch.87 2024 (YTD Dec)"),
    "census_hs2_m": SourceInfo("2013-01", "2021-07", "Census HS2 ch.87 monthly"),
    "census_naics_m": SourceInfo("2020-01", "2025-12", "Census NAICS 3361-3363 monthly"),
    "census_api": SourceInfo("2013-01", None, "Census API frame (live fetcher)"),
    "dataweb_cif_prog_m": SourceInfo("2024-01", "2025-07", "DataWeb ch.87 CIF by programme"),
    "dataweb_hs2_2024_2025": SourceInfo("2024-01", "2025-08", "DataWeb ch.87 2024, Jan-Aug 2025"),
    "dataweb_8703_a": SourceInfo("2015-01", "2024-12", "DataWeb 8703 general customs value"),
    "usatrade_8708": SourceInfo("2015-01", "2025-08", "USA Trade Online 8708 monthly"),
    # Korea-reported (mirror) flow: reporter KOR, flow 'export', FOB at Korean customs. Never sum
    # with US-reported imports (different reporter, valuation and timing: ~1 month shipping).
    "kcs_kor_exp_m": SourceInfo("2025-01", "2026-06", "KCS Korea exports 8703 by destination"),
    "dataweb_usmca_hs10_m": SourceInfo("2025-01", "2026-02",
                                       "DataWeb HS10 8703 CAN/MEX customs value by USMCA claim"),
    # US imports by origin and HS4 summed over January-June 2026 (one 6-month period, values
    # only); the valuation basis is not stated at source ('unstated').
    "cgd_ytd_2026": SourceInfo("2026-01", "2026-06", "CGD monitor: US imports HS4 Jan-Jun 2026"),
}

FLOW_COLUMNS = [
    "source", "reporter", "partner", "is_bloc", "classification", "hs_code", "hs_level", "freq",
    "month", "n_months", "flow", "programme", "value_usd", "value_basis", "quantity",
    "quantity_unit", "duties_usd", "dutiable_value_usd", "file",
]  # fmt: skip
FLOW_KEY = [
    "source", "reporter", "partner", "classification", "hs_code", "freq", "month", "programme",
    "flow",
]  # fmt: skip


def _period_end(df: pd.DataFrame) -> pd.Series:
    """First day of the last month of each row's period (vectorised month arithmetic)."""
    m = df["month"].dt.year * 12 + (df["month"].dt.month - 1) + df["n_months"] - 1
    return pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1}))


class FlowSchema(pa.DataFrameModel):
    """Canonical long table of trade flows; one row per key (see FLOW_KEY)."""

    source: Series[str] = pa.Field(isin=list(SOURCES))
    reporter: Series[str] = pa.Field(isin=sorted(countries.KNOWN_ISO3))
    partner: Series[str] = pa.Field(isin=sorted(countries.KNOWN_ISO3))
    is_bloc: Series[bool]
    classification: Series[str] = pa.Field(isin=["HS", "NAICS"])
    hs_code: Series[str] = pa.Field(str_matches=r"^\d{2,10}$")
    hs_level: Series[np.int64] = pa.Field(isin=[2, 4, 6, 10])
    freq: Series[str] = pa.Field(isin=["M", "A", "P"])
    month: Series[pa.DateTime]
    n_months: Series[np.int64] = pa.Field(ge=1, le=12)
    flow: Series[str] = pa.Field(isin=["import", "export"])
    programme: Series[str]
    value_usd: Series[np.float64] = pa.Field(ge=0)
    value_basis: Series[str] = pa.Field(isin=["customs", "general", "cif", "fob", "unstated"])
    quantity: Series[np.float64] = pa.Field(ge=0, nullable=True)
    quantity_unit: Series[object] = pa.Field(nullable=True, isin=["u"])
    duties_usd: Series[np.float64] = pa.Field(ge=0, nullable=True)
    dutiable_value_usd: Series[np.float64] = pa.Field(ge=0, nullable=True)
    file: Series[str]

    class Config:
        strict = True
        ordered = True
        coerce = False
        unique = FLOW_KEY

    @pa.dataframe_check(error="month must be the first day of a month")
    def month_start(cls, df: pd.DataFrame) -> Series[bool]:
        return df["month"].dt.is_month_start

    @pa.dataframe_check(error="month (and period end) must lie within the source's coverage")
    def within_coverage(cls, df: pd.DataFrame) -> Series[bool]:
        first = pd.to_datetime(df["source"].map(lambda s: SOURCES[s].first if s in SOURCES
                                                else "1900-01"), format="%Y-%m")
        last = pd.to_datetime(df["source"].map(lambda s: (SOURCES[s].last or "2099-12")
                                               if s in SOURCES else "2099-12"), format="%Y-%m")
        return (df["month"] >= first) & (_period_end(df) <= last)

    @pa.dataframe_check(error="n_months must be 1 for freq 'M' and 12 for freq 'A'")
    def freq_n_months(cls, df: pd.DataFrame) -> Series[bool]:
        return ((df["freq"] != "M") | (df["n_months"] == 1)) & (
            (df["freq"] != "A") | ((df["n_months"] == 12) & (df["month"].dt.month == 1))
        )

    @pa.dataframe_check(error="is_bloc must agree with autotariffs.data.countries for the partner")
    def bloc_flag(cls, df: pd.DataFrame) -> Series[bool]:
        return df["is_bloc"] == df["partner"].map(countries.is_bloc)

    @pa.dataframe_check(error="hs_level must equal the number of digits of hs_code")
    def hs_level_digits(cls, df: pd.DataFrame) -> Series[bool]:
        return df["hs_code"].str.len() == df["hs_level"]


def empty_flows() -> pd.DataFrame:
    return coerce_flows(pd.DataFrame(columns=FLOW_COLUMNS))


def coerce_flows(df: pd.DataFrame) -> pd.DataFrame:
    """Put a flows-like frame into canonical column order and dtypes (no validation)."""
    df = df.copy()
    for c in ("programme",):
        if c not in df:
            df[c] = ""
    for c in ("quantity", "duties_usd", "dutiable_value_usd"):
        if c not in df:
            df[c] = np.nan
    if "quantity_unit" not in df:
        df["quantity_unit"] = None
    if "classification" not in df:
        df["classification"] = "HS"
    if "is_bloc" not in df:
        df["is_bloc"] = df["partner"].map(countries.is_bloc)
    df = df[FLOW_COLUMNS]
    for c in ("source", "reporter", "partner", "classification", "hs_code", "freq", "flow",
              "programme", "value_basis", "file"):  # fmt: skip
        df[c] = df[c].astype(str)
    df["is_bloc"] = df["is_bloc"].astype(bool)
    for c in ("hs_level", "n_months"):
        df[c] = df[c].astype(np.int64)
    df["month"] = pd.to_datetime(df["month"]).astype("datetime64[ns]")
    for c in ("value_usd", "quantity", "duties_usd", "dutiable_value_usd"):
        df[c] = df[c].astype(np.float64)
    df["quantity_unit"] = df["quantity_unit"].astype(object).where(df["quantity_unit"].notna(),
                                                                   None)
    return df.reset_index(drop=True)


def sort_flows(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(FLOW_KEY, kind="mergesort").reset_index(drop=True)


_FRAME_CHECK_COLUMN = {
    "month must be the first day of a month": "month",
    "month (and period end) must lie within the source's coverage": "month",
    "n_months must be 1 for freq 'M' and 12 for freq 'A'": "n_months",
    "is_bloc must agree with autotariffs.data.countries for the partner": "is_bloc",
    "hs_level must equal the number of digits of hs_code": "hs_level",
}


def _describe_failures(df: pd.DataFrame, fc: pd.DataFrame) -> list[DataContractError]:
    """Turn pandera failure cases into one DataContractError per (column, rule).

    Frame-level checks (coverage, bloc flag, ...) are reported once per rule with the
    offending rows' source|partner|hs_code|month|n_months, not once per column.
    """
    errs = []
    fc = fc.copy()
    frame_level = (fc["schema_context"] == "DataFrameSchema") | fc["column"].isna()
    fc["column"] = fc["column"].astype(object).where(~frame_level, "<frame>")
    for (column, check), g in fc.groupby(["column", "check"], dropna=False, sort=False):
        idx = sorted({int(i) for i in g["index"].dropna().tolist()})
        if check == "multiple_fields_uniqueness":
            col = ",".join(FLOW_KEY)
            rule = f"unique key ({', '.join(FLOW_KEY)}): duplicate rows"
            vals = df.loc[idx, FLOW_KEY].astype(str).agg("|".join, axis=1).tolist() if idx else []
        elif column == "<frame>":
            col = _FRAME_CHECK_COLUMN.get(str(check))
            rule = str(check)
            show = ["source", "partner", "hs_code", "month", "n_months"]
            vals = df.loc[idx, show].astype(str).agg("|".join, axis=1).tolist() if idx else []
        else:
            col = str(column)
            rule = str(check)
            vals = g["failure_case"].tolist()
        files = sorted(set(df.loc[idx, "file"].astype(str))) if idx and "file" in df else []
        file = ", ".join(files) if files else "flows"
        errs.append(DataContractError(file, col, rule, rows=idx, values=vals,
                                      extra="rows index the combined flows table"))
    return errs


def validate_flows(df: pd.DataFrame) -> pd.DataFrame:
    """Validate against :class:`FlowSchema`; raise one readable DataContractError on failure."""
    missing = [c for c in FLOW_COLUMNS if c not in df.columns]
    if missing:
        files = sorted(set(df["file"].astype(str))) if "file" in df else ["flows"]
        raise DataContractError(", ".join(files), missing[0], f"required flow columns {missing}")
    try:
        return FlowSchema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as e:
        errs = _describe_failures(df, e.failure_cases)
        first = errs[0]
        if len(errs) > 1:
            others = "; ".join(f"{x.column}: {x.rule}" for x in errs[1:6])
            first = DataContractError(
                first.file, first.column, first.rule, first.rows, first.values,
                extra=f"rows index the combined flows table; {len(errs) - 1} more "
                f"violation(s): {others}",
            )
        raise first from e


# --------------------------------------------------------------------------------------------
# Bloc double counting
# --------------------------------------------------------------------------------------------


def assert_no_bloc_double_count(frame: pd.DataFrame, file: str = "flows") -> None:
    """Raise if ``frame`` (about to be summed over partners) holds a bloc and any of its members.

    Why: the Census HS10 file lists the EU bloc (0003) *and* Slovakia; USA Trade Online lists
    USMCA *and* Canada/Mexico; Comtrade lists World *and* countries. Summing any of these
    double counts.
    """
    partners = set(frame["partner"].astype(str))
    for bloc in sorted(p for p in partners if countries.is_bloc(p)):
        clash = countries.overlaps(bloc, partners)
        if clash:
            rows = frame.index[frame["partner"].isin(clash | {bloc})].tolist()
            files = sorted(set(frame["file"].astype(str))) if "file" in frame else [file]
            raise DataContractError(
                ", ".join(files), "partner",
                f"bloc {bloc!r} must not be summed with its members",
                rows=rows, values=sorted(clash | {bloc}),
                extra="Filter with is_bloc == False (countries) or keep only the bloc row.",
            )


def total(
    flows: pd.DataFrame,
    by: Sequence[str] = (),
    values: Sequence[str] = ("value_usd",),
) -> pd.DataFrame:
    """Sum ``values`` over partners within groups ``by``, refusing bloc + member double counts.

    Each group (and a source mix within it) is checked with :func:`assert_no_bloc_double_count`.
    NaN is treated as missing (min_count=1 keeps an all-missing sum NaN).
    """
    by = list(by)
    groups = flows.groupby(by, sort=True, dropna=False) if by else [((), flows)]
    for _, g in groups:
        assert_no_bloc_double_count(g)
    if not by:
        return flows[list(values)].sum(min_count=1).to_frame().T
    return flows.groupby(by, sort=True, dropna=False)[list(values)].sum(min_count=1).reset_index()


#: Sources that legitimately list a bloc next to its members (never sum them together).
MIXED_BLOC_SOURCES: dict[str, str] = {
    "census_hs10_2024": "EU bloc 0003 and Slovakia 4359 both listed",
    "census_hs2_m": "TOTAL FOR ALL COUNTRIES listed with countries",
    "comtrade_a_8703": "World listed with China, Japan, Mexico",
    "usatrade_8708": "USMCA series listed with Canada and Mexico",
    "kcs_kor_exp_m": "WORLD (Korea's total exports) listed with five destinations",
}
_GROUP = ["source", "classification", "hs_code", "freq", "month", "flow", "programme"]


def check_bloc_policy(flows: pd.DataFrame) -> None:
    """Bloc rules for a whole flows table.

    * A source not in :data:`MIXED_BLOC_SOURCES` must never list a bloc next to its members
      (e.g. an 'European Union' row in a DataWeb country file): raise DataContractError.
    * Where mixing is documented, a bloc can never be smaller than the sum of its members
      present in the same cell (tolerance 1e-6 relative); a violation means a mislabelled row.
    """
    blocs = flows[flows["is_bloc"]]
    for src in sorted(set(blocs["source"])):
        f = flows[flows["source"] == src]
        if src not in MIXED_BLOC_SOURCES:
            assert_no_bloc_double_count(f)
            continue
        for key, g in f[f["source"] == src].groupby(_GROUP, sort=True):
            partners = set(g["partner"])
            for bloc in sorted(p for p in partners if countries.is_bloc(p)):
                inside = countries.overlaps(bloc, partners)
                if not inside:
                    continue
                b = g.loc[g["partner"] == bloc, "value_usd"].sum()
                m = g.loc[g["partner"].isin(inside), "value_usd"].sum()
                if b < m * (1 - 1e-6):
                    rows = g.index[g["partner"].isin(inside | {bloc})].tolist()
                    raise DataContractError(
                        ", ".join(sorted(set(g["file"]))), "value_usd",
                        f"bloc {bloc!r} value must be >= the sum of its listed members",
                        rows=rows, values=[f"{bloc}={b:.0f}", f"members sum={m:.0f}"],
                        extra=f"cell {dict(zip(_GROUP, map(str, key), strict=True))}",
                    )
