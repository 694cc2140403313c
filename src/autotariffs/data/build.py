"""Build the processed data layer from ``data/raw``: verify, read, validate, then write.

Order matters for reproducibility: the manifest is checked first, every source is parsed and
validated in memory, and only then are outputs written (each atomically via autotariffs.atomic). A
failure anywhere therefore leaves ``out_dir`` exactly as it was.

Command line: ``autotariffs build-data [--raw DIR] [--out DIR] [--no-verify]``. Progress goes to
the module's logger (shown by the command and by the notebooks, see :mod:`autotariffs.logs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from autotariffs import atomic as io
from autotariffs import paths
from autotariffs.data.reconcile import reconciliation_table
from autotariffs.data.schemas import (
    FLOW_KEY,
    SOURCES,
    check_bloc_policy,
    sort_flows,
    validate_flows,
)
from autotariffs.data.sources import census, cgd, comtrade, dataweb, fred, kcs, usatrade
from autotariffs.data.sources.manifest import verify_manifest
from autotariffs.errors import AutotariffsError
from autotariffs.outputs import Text

Reader = Callable[[Path], pd.DataFrame]
ToFlows = Callable[[pd.DataFrame, str], pd.DataFrame]
log = logging.getLogger(__name__)

#: raw trade file (relative to raw_dir) -> (reader, to_flows)
TRADE_FILES: dict[str, tuple[Reader, ToFlows]] = {
    "trade/us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv":
        (comtrade.read_comtrade_monthly, comtrade.comtrade_monthly_to_flows),
    "trade/jpn_exp_to_usa_8703_comtrade_monthly_2020-01_2025-09.csv":
        (comtrade.read_comtrade_monthly, comtrade.comtrade_monthly_to_flows),
    "trade/us_imp_8703_comtrade_annual_4partners_2015_2024.csv":
        (comtrade.read_comtrade_annual, comtrade.comtrade_annual_to_flows),
    "trade/us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz":
        (census.read_census_hs, lambda d, f: census.census_hs_to_flows(d, f, "census_hs10_2024")),
    "trade/us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz":
        (census.read_census_hs, lambda d, f: census.census_hs_to_flows(d, f, "census_hs2_m")),
    "trade/us_imp_naics3361-3363_allcountries_monthly_2020-01_2025-12_census.csv":
        (census.read_census_naics, census.census_naics_to_flows),
    "trade/us_imp_hs2_ch87_cif_by_country_program_monthly_2024-01_2025-07_dataweb.csv.gz":
        (dataweb.read_dataweb_cif_programme, dataweb.dataweb_cif_programme_to_flows),
    "trade/us_imp_hs2_ch87_by_country_2024_and_2025janaug_dataweb.csv.gz":
        (dataweb.read_dataweb_hs2_period, dataweb.dataweb_hs2_period_to_flows),
    "trade/us_imp_8703_dataweb_annual_japan_mexico_2015_2024.csv":
        (dataweb.read_dataweb_annual, dataweb.dataweb_annual_to_flows),
    "trade/us_imp_8708_usatradeonline_monthly_5series_2015-01_2025-08.csv":
        (usatrade.read_usatrade, usatrade.usatrade_to_flows),
    "trade/kor_exp_8703_by_destination_kcs_monthly_2025-01_2026-06.csv":
        (kcs.read_kcs_exports, kcs.kcs_exports_to_flows),
    "trade/us_imp_hs10_8703_can_mex_usmca_claims_dataweb_2024_annual_2025-01_2026-02_monthly.csv":
        (dataweb.read_dataweb_usmca_claims, dataweb.dataweb_usmca_claims_to_flows),
    "trade/us_imp_hs4_8703_8708_by_country_ytd_2026-06_cgd_excerpt.csv":
        (cgd.read_cgd_country_product, cgd.cgd_ytd_to_flows),
}  # fmt: skip

FX_DAILY_FILES = (
    "macro/fred_DEXKOUS_daily.csv", "macro/fred_DEXJPUS_daily.csv",
    "macro/fred_DEXMXUS_daily.csv", "macro/fred_DEXCAUS_daily.csv",
    "macro/fred_DEXUSUK_daily.csv", "macro/fred_DEXUSEU_daily_2000_2025-09.csv",
    "macro/fred_DEXUSEU_daily_2025-01_2026-01.csv",
    # later vintages (macro PROVENANCE, 2025-26 extension): identical on every overlapping day
    # (monthly_fx refuses any disagreement), they extend KRW to 2026-05-22 and JPY to 2026-05-15
    # and complete the months the older copies end in (KRW 2026-03, JPY 2026-02).
    "macro/fred_DEXKOUS_daily_to_2026-05-22.csv", "macro/fred_DEXJPUS_daily_2021-05_2026-05-15.csv",
)  # fmt: skip
MACRO_MONTHLY_FILES = (
    "macro/fred_CUSR0000SETA01_monthly.csv", "macro/fred_CUSR0000SETA02_monthly.csv",
    "macro/fred_JPNTOT_monthly.csv", "macro/fred_CANTOT_monthly.csv",
    "macro/fred_EECTOT_monthly.csv", "macro/fred_GERTOT_monthly.csv",
    "macro/fred_UKTOT_monthly.csv", "macro/fred_INDUSTOT_monthly.csv",
    "macro/fred_CHNTOT_monthly.csv", "macro/fred_IR_monthly.csv",
    "macro/fred_WPU1411_monthly.csv", "macro/fred_EXKOUS_monthly_2015_2024.csv",
    "macro/fred_EXJPUS_monthly_1971_2025-04.csv",
)  # fmt: skip
#: monthly price indexes read by their own adapter and stacked with the FRED series
PRICE_INDEX_FILES = ("prices/bls_import_price_index_hs4_8703_8708_2023-01_2026-07_cgd_excerpt.csv",)

OUTPUTS = ("flows.parquet", "fx_monthly.parquet", "macro_monthly.parquet", "coverage.csv",
           "reconciliation.csv")  # fmt: skip


def read_flows(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Read every raw trade file into one validated, sorted flows table."""
    raw_dir = Path(raw_dir)
    parts = []
    for rel, (reader, to_flows) in TRADE_FILES.items():
        path = raw_dir / rel
        f = to_flows(reader(path), path.name)
        log.info("read %s: %d flows", rel, len(f))
        parts.append(f)
    flows = validate_flows(sort_flows(pd.concat(parts, ignore_index=True)))
    check_bloc_policy(flows)
    return flows


COVERAGE_TEXT = Text(
    "Coverage of the shipped snapshot",
    "Each source × partner: first and last month and number of rows, as read from data/raw.",
)


def coverage_table(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, partner, freq): first/last month, rows, distinct months, file."""
    g = flows.groupby(["source", "partner", "freq"], sort=True)
    cov = g.agg(
        first_month=("month", "min"), last_month=("month", "max"), n_rows=("month", "size"),
        n_periods=("month", "nunique"), is_bloc=("is_bloc", "first"), file=("file", "first"),
    ).reset_index()  # fmt: skip
    cov["source_first"] = cov["source"].map(lambda s: SOURCES[s].first)
    cov["source_last"] = cov["source"].map(lambda s: SOURCES[s].last or "")
    for c in ("first_month", "last_month"):
        cov[c] = cov[c].dt.strftime("%Y-%m")
    return cov


def read_fetched_flows(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Flows parsed by ``make fetch`` from the live Census API (``data/raw/fetched/census``)."""
    files = sorted((Path(raw_dir) / "fetched" / "census").glob("*_flows.parquet"))
    if not files:
        raise AutotariffsError(
            f"source='census' but no fetched Census flows in {Path(raw_dir) / 'fetched' / 'census'}:"
            " run `make fetch` first (needs network), or use source='snapshot'"
        )
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def build_all(
    raw_dir: Path = paths.RAW, out_dir: Path = paths.PROCESSED, verify: bool = True,
    include_fetched: bool = False,
) -> dict[str, Path]:
    """Verify, read, validate and write all processed outputs; return {name: path}.

    ``include_fetched`` adds the HS10 x country x month flows fetched from the Census API, so the
    downstream notebooks can run unchanged on that panel (``source='census'``).
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if verify:
        n = len(verify_manifest(raw_dir))
        log.info(f"manifest: {n} files verified")
    flows = read_flows(raw_dir)
    if include_fetched:
        fetched = read_fetched_flows(raw_dir)
        log.info(f"fetched census flows: {len(fetched)} rows")
        flows = validate_flows(sort_flows(pd.concat([flows, fetched], ignore_index=True)))
    log.info(f"flows: {len(flows)} rows validated (key {', '.join(FLOW_KEY)})")
    fx = fred.monthly_fx(fred.read_fred(raw_dir / f) for f in FX_DAILY_FILES)
    log.info(f"fx_monthly: {len(fx)} rows ({', '.join(sorted(fx['currency'].unique()))})")
    macro = fred.monthly_macro([*(fred.read_fred(raw_dir / f) for f in MACRO_MONTHLY_FILES),
                                *(cgd.read_price_index(raw_dir / f) for f in PRICE_INDEX_FILES)])
    log.info(f"macro_monthly: {len(macro)} rows, {macro['series_id'].nunique()} series")
    cov = coverage_table(flows)
    rec = reconciliation_table(flows)
    n_fail = int((rec["passes"] == False).sum())  # noqa: E712 (nullable boolean)
    log.info(f"reconciliation: {len(rec)} checks, {n_fail} outside tolerance")
    # everything validated: now write (each file atomically)
    out = {
        "flows": io.write_parquet(flows, out_dir / "flows.parquet"),
        "fx_monthly": io.write_parquet(fx, out_dir / "fx_monthly.parquet"),
        "macro_monthly": io.write_parquet(macro, out_dir / "macro_monthly.parquet"),
        "coverage": io.write_csv(cov, out_dir / "coverage.csv"),
        "reconciliation": io.write_csv(rec, out_dir / "reconciliation.csv"),
    }
    log.info(f"wrote {len(out)} files to data/processed")
    return out

