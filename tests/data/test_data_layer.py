"""Data layer on the real shipped files: anchors, reconciliation, FX, countries, contracts.

Expected values come from the data documentation (data/raw/trade/PROVENANCE.md published
anchors) or from independently derived files (data/raw/macro/fx_monthly_avg_from_daily_*.csv,
FRED's own monthly averages), never from this code's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data import countries
from autotariffs.data.build import FX_DAILY_FILES
from autotariffs.data.reconcile import reconciliation_table
from autotariffs.data.schemas import (
    FLOW_KEY,
    assert_no_bloc_double_count,
    total,
    validate_flows,
)
from autotariffs.data.sources import census, fred
from autotariffs.errors import DataContractError

RAW = paths.RAW
TRADE = RAW / "trade"


@pytest.fixture(scope="module")
def rec(flows) -> pd.DataFrame:
    return reconciliation_table(flows)


# Published anchors (PROVENANCE.md, file 3): Census 2024 HS 8703 imports for consumption, $B.
ANCHORS_8703_2024 = {"JPN": 41.90, "KOR": 36.86, "MEX": 49.75, "CAN": 28.26}


@pytest.mark.parametrize("iso3,billions", sorted(ANCHORS_8703_2024.items()))
def test_census_2024_8703_anchor(flows, iso3, billions):
    f = flows[(flows["source"] == "census_hs10_2024") & (flows["partner"] == iso3)]
    f = f[f["hs_code"].str.startswith("8703")]
    assert f["hs_level"].eq(10).all() and f["freq"].eq("A").all()
    assert round(f["value_usd"].sum() / 1e9, 2) == billions


def test_census_japan_duties_anchor(flows):
    # PROVENANCE: Japan 8703 duties $1.05B (~2.5% MFN); Korea $0.002B (KORUS)
    f = flows[(flows["source"] == "census_hs10_2024") & flows["hs_code"].str.startswith("8703")]
    d = f.groupby("partner")["duties_usd"].sum() / 1e9
    assert round(d["JPN"], 2) == 1.05
    assert round(d["KOR"], 3) == 0.002


def test_korea_tariff_shock_units(flows):
    # PROVENANCE sanity check: Korea 8703 units 156.6k (2025-03) -> 80.6k (2025-04)
    f = flows[(flows["source"] == "comtrade_m_8703") & (flows["partner"] == "KOR")]
    q = f.set_index("month")["quantity"]
    assert round(q[pd.Timestamp("2025-03-01")] / 1e3, 1) == 156.6
    assert round(q[pd.Timestamp("2025-04-01")] / 1e3, 1) == 80.6


def test_flows_table_contract(flows):
    validate_flows(flows)  # raises if not
    assert not flows.duplicated(FLOW_KEY).any()
    assert flows.equals(flows.sort_values(FLOW_KEY, kind="mergesort").reset_index(drop=True))
    assert set(flows["source"]) == {
        "comtrade_m_8703", "comtrade_jpn_exp", "comtrade_a_8703", "census_hs10_2024",
        "census_hs2_m", "census_naics_m", "dataweb_cif_prog_m", "dataweb_hs2_2024_2025",
        "dataweb_8703_a", "usatrade_8708", "kcs_kor_exp_m", "dataweb_usmca_hs10_m",
        "cgd_ytd_2026",
    }  # fmt: skip
    # row counts stated in PROVENANCE.md
    n = flows.groupby("source").size()
    assert n["comtrade_m_8703"] == 335 and n["comtrade_jpn_exp"] == 69
    assert n["census_hs10_2024"] == 4192 and n["census_hs2_m"] == 3185
    assert n["dataweb_cif_prog_m"] == 2544 and n["usatrade_8708"] == 640
    assert n["census_naics_m"] == 1044 and n["comtrade_a_8703"] == 40
    assert n["dataweb_hs2_2024_2025"] == 169 + 151
    # trade PROVENANCE 13: six origins x 8703 and 8708, "DEU has no 8708 row in the source"
    assert n["cgd_ytd_2026"] == 6 + 5
    # issue 14: 108 KCS rows; 1,990 claims rows of which 146 annual (shares only, not flows),
    # each monthly row split into a claimed and a not-claimed flow
    assert n["kcs_kor_exp_m"] == 108 and n["dataweb_usmca_hs10_m"] == 2 * (1990 - 146)


def test_reconciliation_comtrade_vs_census_within_3pct(rec):
    r = rec[rec["check"] == "comtrade_m_vs_census_hs10_8703_value"].set_index("partner")
    assert set(r.index) == {"JPN", "KOR", "MEX", "CAN"}
    # PROVENANCE: Japan 40.77 vs 41.90; Korea 38.02 vs 36.86; Mexico 49.99 vs 49.75;
    # Canada 28.40 vs 28.26 ($B): JPN, MEX, CAN within 3%; KOR is 3.16% (CIF-type vs customs).
    for p in ("JPN", "MEX", "CAN"):
        assert abs(r.loc[p, "pct_diff"]) <= 3.0 and bool(r.loc[p, "passes"])
    # Korea is 3.16% apart. Scaling Census to CIF with the chapter-87 ratio does not explain the
    # gaps consistently (it widens Japan's to 5%), so we do not loosen the tolerance: the failure is
    # reported in the reconciliation table and the report, not hidden.
    assert r.loc["KOR", "pct_diff"] == pytest.approx(100 * (38.02 - 36.86) / 36.86, abs=0.05)
    assert not bool(r.loc["KOR", "passes"])


def test_reconciliation_annual_vs_monthly(rec):
    v = rec[rec["check"] == "comtrade_annual_vs_monthly_value"]
    assert len(v) == 10 and v["passes"].all()  # PROVENANCE: ratio 1.000000, 2020-2024
    q = rec[rec["check"] == "comtrade_annual_vs_monthly_quantity"].set_index(["partner", "period"])
    # PROVENANCE: 2022 monthly units sum to 0.860x (Japan) and 1.113x (Mexico) of annual
    assert q.loc[("JPN", "2022"), "b_value"] / q.loc[("JPN", "2022"), "a_value"] == pytest.approx(
        0.860, abs=0.001
    )
    assert q.loc[("MEX", "2022"), "b_value"] / q.loc[("MEX", "2022"), "a_value"] == pytest.approx(
        1.113, abs=0.001
    )
    assert not q.loc[("JPN", "2022"), "passes"] and "2022" in q.loc[("JPN", "2022"), "note"]
    others = q.drop(index=[("JPN", "2022"), ("MEX", "2022")])
    assert others["passes"].all()


def test_reconciliation_duties_and_programmes_agree(rec):
    for check in ("census_vs_dataweb_ch87_duties", "dataweb_cif_programme_vs_annual"):
        r = rec[rec["check"] == check]
        assert len(r) >= 4 and r["passes"].all(), r
    cif = rec[rec["check"] == "census_vs_dataweb_ch87_value"].set_index("partner")
    # PROVENANCE: ch.87 2024 Korea customs 43.9 vs CIF 44.8; Japan 52.1 vs 53.4; MEX 135.4/136.0
    assert round(cif.loc["KOR", "a_value"] / 1e9, 1) == 43.9
    assert round(cif.loc["KOR", "b_value"] / 1e9, 1) == 44.8
    assert round(cif.loc["JPN", "b_value"] / 1e9, 1) == 53.4
    assert (cif["pct_diff"] < 0).all()  # CIF includes freight: always above customs value


def test_reconciliation_mirror_timing(rec):
    lag = rec[rec["check"] == "mirror_jpn_lag_corr_dlog"]
    assert list(lag["period"]) == ["lag 0", "lag 1", "lag 2", "lag 3"]
    best = rec[rec["check"] == "mirror_jpn_best_lag_months"].iloc[0]
    assert best["a_value"] in (0, 1, 2, 3)
    assert best["b_value"] == pytest.approx(lag["a_value"].max())


def test_bloc_double_count_refused(flows):
    f = flows[(flows["source"] == "census_hs10_2024") & flows["hs_code"].str.startswith("8703")]
    with pytest.raises(DataContractError) as e:
        total(f, by=["source"])
    msg = str(e.value)
    assert "EUU" in msg and "SVK" in msg and "us_imp_hs10_ch87" in msg
    ok = total(f[~f["is_bloc"]], by=["source"])
    assert ok["value_usd"].iloc[0] > 0
    ut = flows[flows["source"] == "usatrade_8708"]
    with pytest.raises(DataContractError, match="USMCA"):
        assert_no_bloc_double_count(ut)


def test_usmca_bloc_equals_members(flows):
    # PROVENANCE file 7: the USMCA series is Canada + Mexico
    ut = flows[flows["source"] == "usatrade_8708"].pivot(
        index="month", columns="partner", values="value_usd"
    )
    assert np.allclose(ut["USMCA"], ut["CAN"] + ut["MEX"], rtol=1e-9)


def test_every_shipped_partner_maps():
    """Every code / name in the shipped files is in the country table (read independently)."""
    h10 = pd.read_csv(TRADE / "us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz", dtype=str)
    h2 = pd.read_csv(TRADE / "us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz",
                     dtype=str)  # fmt: skip
    for df in (h10, h2):
        for code, name in df[["CTY_CODE", "CTY_NAME"]].drop_duplicates().itertuples(index=False):
            assert countries.to_iso3(code, "census") == countries.to_iso3(name, "census")
    dw = set()
    for f in (
        "us_imp_hs2_ch87_cif_by_country_program_monthly_2024-01_2025-07_dataweb.csv.gz",
        "us_imp_hs2_ch87_by_country_2024_and_2025janaug_dataweb.csv.gz",
    ):
        dw |= set(pd.read_csv(TRADE / f, dtype=str, keep_default_na=False)["Country"])
    assert len(dw) == 181  # PROVENANCE: 181 origin countries
    iso = {countries.to_iso3(n, "dataweb") for n in dw}
    assert len(iso) == 181  # no two names collapse onto one code
    for f in (
        "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv",
        "jpn_exp_to_usa_8703_comtrade_monthly_2020-01_2025-09.csv",
        "us_imp_8703_comtrade_annual_4partners_2015_2024.csv",
    ):
        df = pd.read_csv(TRADE / f, dtype=str)
        for n in set(df["partnerDesc"]) | set(df["reporterDesc"]):
            countries.to_iso3(n, "comtrade")
    ut = pd.read_csv(TRADE / "us_imp_8708_usatradeonline_monthly_5series_2015-01_2025-08.csv")
    assert {countries.to_iso3(n, "usatrade") for n in ut["Country"]} == {
        "BRA",
        "CAN",
        "CHN",
        "MEX",
        "USMCA",
    }
    # spot checks against ISO 3166 / Census Schedule C
    assert countries.to_iso3("5800", "census") == "KOR"
    assert countries.to_iso3("5880", "census") == "JPN"
    assert countries.to_iso3("-", "census") == "WLD"
    assert countries.to_iso3("Rep. of Korea", "comtrade") == "KOR"
    assert countries.to_iso3("South Korea", "dataweb") == "KOR"
    assert countries.is_bloc("EUU") and "SVK" in countries.members("EUU")


def test_unknown_partner_named():
    with pytest.raises(DataContractError, match="Atlantis"):
        countries.to_iso3("Atlantis", "dataweb", file="x.csv")


# ------------------------------------------------------------------ FRED / FX


@pytest.fixture(scope="module")
def fx() -> pd.DataFrame:
    return fred.monthly_fx(fred.read_fred(RAW / f) for f in FX_DAILY_FILES)


def test_fx_matches_independent_monthly_means(fx):
    """The extraction script's own monthly means (macro/fx_monthly_avg_from_daily_*.csv)."""
    ref = pd.read_csv(RAW / "macro" / "fx_monthly_avg_from_daily_2010_2026.csv")
    ref["month"] = pd.to_datetime(ref["month"])
    # The reference was computed from the older KRW/JPY copies, which end mid-month (KRW
    # 2026-03-27, JPY 2026-02-20); the later vintages (issue 14) complete those edge months, so
    # they are compared separately: same days plus the later vintages' extra days.
    edge = ref[ref["series_id"].isin(["DEXKOUS", "DEXJPUS"])].groupby("series_id")["month"].max()
    is_edge = ref.apply(lambda r: edge.get(r["series_id"]) == r["month"], axis=1)
    e = fx.merge(ref[is_edge], on=["series_id", "month"], suffixes=("", "_ref"))
    assert len(e) == 2 and (e["n_days"] > e["n_days_ref"]).all()
    ref = ref[~is_edge]
    m = fx.merge(ref, on=["series_id", "month"], suffixes=("", "_ref"))
    assert set(m["currency"]) == {"KRW", "JPY", "EUR", "MXN", "CAD", "GBP"}
    assert (m["n_days"] == m["n_days_ref"]).all()
    lcu = m[m["currency"].isin(["KRW", "JPY", "MXN", "CAD"])]
    assert np.allclose(lcu["lcu_per_usd"], lcu["mean_of_daily"], rtol=1e-6)
    usd = m[m["currency"].isin(["EUR", "GBP"])]
    # mean of inverses vs inverse of mean differ by ~ the squared within-month coefficient of
    # variation (Jensen); daily GBP moved ~4-5% within June 2016 (Brexit) / March 2020 -> < 0.25%
    assert np.allclose(usd["lcu_per_usd"], 1 / usd["mean_of_daily"], rtol=2.5e-3)
    assert (usd["lcu_per_usd"] >= 1 / usd["mean_of_daily"] - 1e-12).all()  # Jensen


def test_fx_matches_fred_monthly_exkous(fx):
    ex = fred.read_fred(RAW / "macro" / "fred_EXKOUS_monthly_2015_2024.csv")
    k = fx[fx["currency"] == "KRW"].merge(ex.rename(columns={"date": "month"}), on="month")
    assert len(k) == 120
    assert np.allclose(k["lcu_per_usd"], k["value"], atol=1e-3)  # PROVENANCE: < 0.0001


def test_fx_eur_overlap_counted_once(fx):
    a = fred.read_fred(RAW / "macro" / "fred_DEXUSEU_daily_2000_2025-09.csv")
    b = fred.read_fred(RAW / "macro" / "fred_DEXUSEU_daily_2025-01_2026-01.csv")
    days = pd.concat([a, b]).dropna(subset=["value"])
    days = days[days["date"].dt.to_period("M") == pd.Period("2025-03")]["date"].nunique()
    eur = fx[(fx["currency"] == "EUR") & (fx["month"] == "2025-03-01")]
    assert eur["n_days"].iloc[0] == days
    b2 = b.copy()
    b2.loc[b2["date"] == "2025-03-03", "value"] += 0.01
    with pytest.raises(DataContractError, match="DEXUSEU"):
        fred.monthly_fx([a, b2])


def test_fred_missing_markers(tmp_path):
    p = tmp_path / "fred_TEST_daily.csv"  # simulated data
    p.write_text(
        "observation_date,DEXTEST\n2025-01-02,1.5\n2025-01-03,.\n2025-01-06,\n"
        "2025-01-07,NA\n2025-01-08,2.5\n",
        encoding="utf-8",
    )
    d = fred.read_fred(p)
    assert list(d["series_id"].unique()) == ["DEXTEST"]
    assert d["value"].isna().tolist() == [False, True, True, True, False]
    p.write_text("observation_date,DEXTEST\n2025-01-02,1.5\n2025-01-03,n/a\n", encoding="utf-8")
    with pytest.raises(DataContractError) as e:
        fred.read_fred(p)
    assert "n/a" in str(e.value) and "DEXTEST" in str(e.value) and p.name in str(e.value)


# ------------------------------------------------------------------ Census API frames


def test_frame_to_flows_matches_file_adapter():
    path = TRADE / "us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz"
    text = pd.read_csv(path, dtype=str, keep_default_na=False)  # strings, as the API returns
    api = census.frame_to_flows(text, "api:hs2", source="census_api")
    ref = census.census_hs_to_flows(census.read_census_hs(path), path.name, "census_hs2_m")
    cols = ["partner", "hs_code", "month", "value_usd", "duties_usd"]
    pd.testing.assert_frame_equal(api[cols], ref[cols])


def test_frame_to_flows_ytd_partial_year():
    # simulated API frame: YTD through August -> a multi-month period of 8 months
    df = pd.DataFrame({
        "CTY_CODE": ["5800", "5880"], "CTY_NAME": ["KOREA, SOUTH", "JAPAN"],
        "I_COMMODITY": ["8703230110", "8703230110"], "COMM_LVL": ["HS10", "HS10"],
        "time": ["2025-08", "2025-08"], "CON_VAL_YR": ["1000", "2000"],
        "CAL_DUT_YR": ["250", "550"], "CON_QY1_YR": ["40", "70"],
    })  # fmt: skip
    f = census.frame_to_flows(df, "simulated")
    assert f["freq"].tolist() == ["P", "P"] and f["n_months"].tolist() == [8, 8]
    assert (f["month"] == pd.Timestamp("2025-01-01")).all()
    assert f["partner"].tolist() == ["KOR", "JPN"]
    assert f["quantity"].tolist() == [40.0, 70.0] and f["quantity_unit"].tolist() == ["u", "u"]
    assert f["duties_usd"].tolist() == [250.0, 550.0]
    validate_flows(f)
    bad = df.assign(CON_VAL_YR=["1000", "(D)"])
    with pytest.raises(DataContractError, match=r"CON_VAL_YR.*\(D\)"):
        census.frame_to_flows(bad, "simulated")
    with pytest.raises(DataContractError, match="CTY_NAME"):
        census.frame_to_flows(df.assign(CTY_NAME=["JAPAN", "JAPAN"]), "simulated")


def test_validate_flows_duplicate_key(flows):
    f = flows[flows["source"] == "comtrade_m_8703"]
    dup = pd.concat([f, f.iloc[[3]]], ignore_index=True)
    with pytest.raises(DataContractError) as e:
        validate_flows(dup)
    msg = str(e.value)
    assert "unique key" in msg and "us_imp_8703_comtrade_monthly" in msg
    assert "comtrade_m_8703|USA|" in msg
