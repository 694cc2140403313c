"""Tests for the statutory tariff schedule (autotariffs.tariffs.schedule).

Expected values are worked out by hand from the legal facts in data/raw/tariffs/SOURCES.md
(dates and all-in rates), using exact fractions for the day-weighted monthly averages.
Corrupted tables are made by editing copies of the shipped table in memory or in tmp_path.
"""

from __future__ import annotations

import math
import shutil
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.errors import DataContractError
from autotariffs.tariffs import schedule as T

EVENTS_CSV = paths.RAW / "tariffs" / "us_auto_tariff_events.csv"


@pytest.fixture(scope="module")
def monthly(events) -> pd.DataFrame:
    return T.monthly_schedule(T.daily_schedule(events))


def rate(monthly: pd.DataFrame, origin: str, product: str, month: str) -> float:
    sel = monthly[
        (monthly["origin"] == origin)
        & (monthly["product"] == product)
        & (monthly["month"] == pd.Timestamp(month + "-01"))
    ]
    assert len(sel) == 1, (origin, product, month, len(sel))
    return float(sel["rate_pct"].iloc[0])


def approx(x: F) -> object:
    return pytest.approx(float(x), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- loading and validation


def test_shipped_table_loads_and_validates(events):
    assert len(events) == 75  # PROVENANCE.md: 75 rows
    assert events["event_id"].is_unique
    assert set(events["status"]) <= set(T.STATUSES)
    assert events["effective_date"].dtype.kind == "M"
    assert events.loc[events["event_id"] == "KR-30-CAR", "end_date"].isna().all()  # open-ended
    T.validate_events(events)  # the real table is a valid schedule (with the documented gap)


def test_context_rows_are_not_schedule_rows(events):
    sched = T.schedule_rows(events)
    ids = set(sched["event_id"])
    assert not any(i.startswith("ALL-") for i in ids)
    assert "JP-00-USJTA" not in ids  # 'no change' annotation
    assert not any("RECIP" in i or "FENT" in i for i in ids)  # Ch.87 non-232 context
    # combined scopes expand to each listed product
    mx = sched[sched["event_id"] == "MX-01-USMCA"]
    assert sorted(mx["product"]) == ["8703", "8704", "8708"]
    assert sorted(sched.loc[sched["event_id"] == "CA-02-S232-VEH", "product"]) == ["8703", "8704"]


def test_every_day_covered_once_in_default_schedule(events):
    d = T.daily_schedule(events)
    n_days = (pd.Timestamp("2026-12-31") - pd.Timestamp("2010-01-01")).days + 1
    assert len(d) == n_days * 7 * 3
    assert not d.duplicated(["date", "origin", "product"]).any()
    assert d["rate_pct"].notna().all()  # SOURCES.md: one regime per origin x scope x day
    assert (d["status"] != "uncovered").all()


def _write_variant(tmp_path, edit) -> pd.DataFrame:
    raw = pd.read_csv(EVENTS_CSV, dtype=str, keep_default_na=False)
    edit(raw)
    p = tmp_path / "events.csv"
    raw.to_csv(p, index=False)
    return T.load_events(p)


def _set(raw, eid, col, value):
    assert (raw["event_id"] == eid).sum() == 1
    raw.loc[raw["event_id"] == eid, col] = value


@pytest.mark.parametrize(
    "eid,col,value,named,word",
    [
        ("KR-02-CAR", "end_date", "2025-04-10", {"KR-02-CAR", "KR-10-CAR"}, "overlap"),
        ("KR-10-CAR", "effective_date", "2025-04-05", {"KR-02-CAR", "KR-10-CAR"}, "gap"),
        ("JP-10-CAR", "total_rate_pct", "-1", {"JP-10-CAR"}, "outside [0, 100]"),
        ("JP-10-LT", "total_rate_pct", "150", {"JP-10-LT"}, "outside [0, 100]"),
        ("JP-30-CAR", "sources", "HTS_JSON;NOT_A_KEY", {"JP-30-CAR"}, "NOT_A_KEY"),
        ("EU-30-LT", "end_date", "2025-07-01", {"EU-30-LT"}, "before effective_date"),
        ("KR-10-CAR", "total_rate_pct", "", {"KR-10-CAR"}, "blank total_rate_pct"),
    ],
)
def test_corrupted_table_rejected_with_event_ids(tmp_path, eid, col, value, named, word):
    ev = _write_variant(tmp_path, lambda raw: _set(raw, eid, col, value))
    with pytest.raises(T.TariffTableError) as exc:
        T.validate_events(ev)
    assert set(exc.value.event_ids) == named
    msg = str(exc.value)
    assert word in msg
    for i in named:
        assert i in msg
    assert isinstance(exc.value, DataContractError) and isinstance(exc.value, ValueError)


def test_uk_pair_is_one_regime_and_missing_middle_regime_is_a_gap(events):
    # the UK in/over-quota rows share their interval: one regime, no overlap error
    T.validate_events(events)
    # a lone in-quota row is an ordinary regime too
    T.validate_events(events[events["event_id"] != "UK-30-CAR-OOQ"])
    # two UK rows on the same days that are *not* the declared pair do overlap
    ev = events.copy()
    ev.loc[ev["event_id"] == "UK-30-CAR-OOQ", "event_id"] = "UK-31-CAR"
    with pytest.raises(T.TariffTableError) as exc:
        T.validate_events(ev)
    assert set(exc.value.event_ids) == {"UK-30-CAR-INQ", "UK-31-CAR"}
    # removing a middle regime makes a gap named by its neighbours
    ev2 = events[events["event_id"] != "KR-10-CAR"]
    with pytest.raises(T.TariffTableError) as exc:
        T.validate_events(ev2)
    assert set(exc.value.event_ids) == {"KR-02-CAR", "KR-30-CAR"}
    assert "2025-04-03..2025-10-31" in str(exc.value)


def test_source_key_table_is_read_from_the_given_path(tmp_path, events):
    text = (paths.RAW / "tariffs" / "SOURCES.md").read_text(encoding="utf-8")
    assert "| P_FXCO_JP |" in text
    bad = tmp_path / "SOURCES.md"
    bad.write_text(text.replace("| P_FXCO_JP |", "| P_FXCO_XX |"), encoding="utf-8")
    users = set(events.loc[events["sources"].str.contains("P_FXCO_JP"), "event_id"])
    assert users == {"JP-30-CAR", "JP-30-LT", "JP-30-PARTS"}
    with pytest.raises(T.TariffTableError) as exc:
        T.validate_events(events, sources_path=bad)
    assert set(exc.value.event_ids) == users
    shutil.copy(paths.RAW / "tariffs" / "SOURCES.md", tmp_path / "ok.md")
    T.validate_events(events, sources_path=tmp_path / "ok.md")


@pytest.mark.parametrize(
    "col,value,word",
    [
        ("status", "guessed", "status"),
        ("effective_date", "03/04/2025", "effective_date"),
        ("total_rate_pct", "25%", "total_rate_pct"),
        ("sources", "HTS JSON", "sources"),
    ],
)
def test_load_events_contract_names_event(tmp_path, col, value, word):
    with pytest.raises(T.TariffTableError) as exc:
        _write_variant(tmp_path, lambda raw: _set(raw, "JP-10-CAR", col, value))
    assert "JP-10-CAR" in str(exc.value) and word in str(exc.value)
    assert exc.value.event_ids == ["JP-10-CAR"]


def test_load_events_rejects_impossible_date(tmp_path):
    with pytest.raises(T.TariffTableError, match="KR-10-CAR"):
        _write_variant(tmp_path, lambda raw: _set(raw, "KR-10-CAR", "end_date", "2025-02-30"))


def test_load_events_rejects_duplicate_id(tmp_path):
    def dup(raw):
        raw.loc[raw["event_id"] == "JP-30-LT", "event_id"] = "JP-30-CAR"

    with pytest.raises(T.TariffTableError, match="JP-30-CAR"):
        _write_variant(tmp_path, dup)


# ---------------------------------------------------------------- hand-computed rates


def test_korea_cars_exact(monthly):
    assert rate(monthly, "KOR", "8703", "2025-03") == 0.0  # KORUS free since 2016
    assert rate(monthly, "KOR", "8703", "2025-05") == 25.0  # 0 + s232 25 (Note 33(a))
    assert rate(monthly, "KOR", "8703", "2025-12") == 15.0  # deal, retroactive to 2025-11-01
    # April 2025: 2 days at 0, 28 days at 25
    assert rate(monthly, "KOR", "8703", "2025-04") == approx(F(28 * 25, 30))
    assert rate(monthly, "KOR", "8703", "2015-06") == 2.5  # KORUS staging kept MFN to 2015


def test_japan_cars_exact(monthly):
    apr = (2 * F(5, 2) + 28 * F(55, 2)) / 30  # 2.5% on 1-2 Apr, 27.5% from 3 Apr
    sep = (15 * F(55, 2) + 15 * F(15)) / 30  # 27.5% to 15 Sep, 15% from 16 Sep
    assert rate(monthly, "JPN", "8703", "2025-04") == approx(apr)
    assert rate(monthly, "JPN", "8703", "2025-09") == approx(sep)
    assert rate(monthly, "JPN", "8703", "2024-06") == 2.5


def test_korea_light_trucks(monthly):
    # KORUS keeps 25% on light trucks; s232 adds 25 from 2025-04-03 to the deal (2025-10-31)
    for m in ("2012-01", "2019-01", "2024-12", "2025-03", "2025-11", "2026-12"):
        assert rate(monthly, "KOR", "8704", m) == 25.0, m
    for m in ("2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"):
        assert rate(monthly, "KOR", "8704", m) == 50.0, m
    assert rate(monthly, "KOR", "8704", "2025-04") == approx((2 * F(25) + 28 * F(50)) / 30)


def test_eu_rows_give_germany_and_bloc(events):
    d = T.daily_schedule(events, origins=("DEU", "EUN"), products=("8703",),
                         start="2025-07-01", end="2025-08-31")  # fmt: skip
    m = T.monthly_schedule(d)
    for o in ("DEU", "EUN"):
        assert rate(m, o, "8703", "2025-07") == 27.5
        assert rate(m, o, "8703", "2025-08") == 15.0  # retroactive to 2025-08-01


@pytest.mark.parametrize("share", [0.3, 0.5])
def test_usmca_vehicles_content_share(events, share):
    m = T.monthly_schedule(T.daily_schedule(events, origins=("MEX", "CAN"),
                                            start="2025-01-01", end="2025-12-31",
                                            usmca_nonus_share=share))  # fmt: skip
    s = F(share).limit_denominator(10)
    for o in ("MEX", "CAN"):
        assert rate(m, o, "8703", "2025-03") == 0.0
        assert rate(m, o, "8703", "2025-04") == approx(F(28, 30) * 25 * s)
        for mo in ("2025-05", "2025-09", "2025-12"):
            assert rate(m, o, "8703", mo) == approx(25 * s)
            assert rate(m, o, "8704", mo) == approx(25 * s)
            assert rate(m, o, "8708", mo) == 0.0  # USMCA-compliant parts exempt


def test_usmca_parts_bridge_is_flagged_derived(events):
    d = T.daily_schedule(events, origins=("MEX",), products=("8708",),
                         start="2025-04-01", end="2025-05-31")  # fmt: skip
    gap = d[d["date"].between("2025-04-03", "2025-05-02")]
    assert (gap["rate_pct"] == 0).all() and gap["is_derived"].all()
    d2 = T.daily_schedule(events, origins=("MEX",), products=("8708",), start="2025-04-01",
                          end="2025-05-31", include_derived=False)  # fmt: skip
    gap2 = d2[d2["date"].between("2025-04-03", "2025-05-02")]
    assert gap2["rate_pct"].isna().all() and (gap2["status"] == "derived").all()
    assert d2.loc[~d2["date"].between("2025-04-03", "2025-05-02"), "rate_pct"].eq(0).all()


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_uk_quota_formula(events, share):
    m = T.monthly_schedule(T.daily_schedule(events, origins=("GBR",), products=("8703",),
                                            start="2025-06-01", end="2025-07-31",
                                            uk_in_quota_share=share))  # fmt: skip
    s = F(share).limit_denominator(10)
    blended = s * 10 + (1 - s) * F(55, 2)  # in-quota 2.5 + 7.5, over-quota 2.5 + 25
    assert rate(m, "GBR", "8703", "2025-07") == approx(blended)
    assert rate(m, "GBR", "8703", "2025-06") == approx((29 * F(55, 2) + blended) / 30)


def test_shares_must_be_in_unit_interval(events):
    with pytest.raises(ValueError, match="usmca_nonus_share"):
        T.daily_schedule(events, usmca_nonus_share=1.5)
    with pytest.raises(ValueError, match="uk_in_quota_share"):
        T.daily_schedule(events, uk_in_quota_share=-0.1)


def test_dropping_derived_rows_gives_nan_not_fill(events):
    d = T.daily_schedule(events, origins=("KOR",), products=("8703",), include_derived=False)
    m = T.monthly_schedule(d)
    kor = m.set_index("month")["rate_pct"]
    window = kor.loc["2012-03-01":"2015-12-01"]
    assert len(window) == 46 and window.isna().all()  # KR-01-CAR is the only derived row
    assert kor.loc["2012-02-01"] == 2.5 and kor.loc["2016-01-01"] == 0.0
    assert kor.drop(window.index).notna().all()
    # the dropped days still say which row covered them
    days = d[d["date"].between("2012-03-15", "2015-12-31")]
    assert (days["event_id"] == "KR-01-CAR").all() and days["is_derived"].all()
    # and the monthly flags are exact: 17 of 31 March 2012 days rest on the derived row
    m_all = T.monthly_schedule(T.daily_schedule(events, origins=("KOR",), products=("8703",)))
    mar = m_all[m_all["month"] == "2012-03-01"].iloc[0]
    assert mar["share_days_derived"] == approx(F(17, 31))
    assert mar["event_ids"] == "KR-00-CAR;KR-01-CAR"


def test_dropping_scheduled_rows(events):
    ev = events.copy()
    ev.loc[ev["event_id"] == "KR-30-CAR", "status"] = "scheduled"
    m = T.monthly_schedule(T.daily_schedule(ev, origins=("KOR",), products=("8703",),
                                            include_scheduled=False))  # fmt: skip
    k = m.set_index("month")
    assert k.loc["2025-10-01", "rate_pct"] == 25.0
    assert k.loc["2025-11-01":, "rate_pct"].isna().all()
    assert (k.loc["2025-11-01":, "share_days_scheduled"] == 1.0).all()


def test_ln1p_tau_and_columns(monthly):
    assert list(monthly.columns) == [
        "month", "origin", "product", "rate_pct", "ln1p_tau", "share_days_derived",
        "share_days_scheduled", "event_ids",
    ]  # fmt: skip
    r = rate(monthly, "JPN", "8703", "2025-06")
    row = monthly[(monthly["origin"] == "JPN") & (monthly["product"] == "8703")
                  & (monthly["month"] == "2025-06-01")]  # fmt: skip
    assert row["ln1p_tau"].iloc[0] == pytest.approx(math.log(1.275))
    assert r == 27.5
    assert len(monthly) == 7 * 3 * 204  # 2010-01..2026-12 = 204 months


def test_write_monthly_deterministic(tmp_path, monthly):
    shuffled = monthly.sample(frac=1.0, random_state=1)
    p1 = T.write_monthly(shuffled, tmp_path / "a.parquet")
    p2 = T.write_monthly(monthly, tmp_path / "b.parquet")
    assert p1.read_bytes() == p2.read_bytes()
    back = pd.read_parquet(p1)
    pd.testing.assert_frame_equal(back, monthly.reset_index(drop=True), check_dtype=False)


# ---------------------------------------------------------------- effective rates


def _flows(rows: list[dict]) -> pd.DataFrame:
    """Simulated canonical flows rows (hand-made numbers, not real data)."""
    base = {"reporter": "USA", "is_bloc": False, "hs_code": "87", "hs_level": 2, "freq": "M",
            "n_months": 1, "value_basis": "customs", "quantity": np.nan, "quantity_unit": "",
            "dutiable_value_usd": np.nan, "flow": "import", "programme": "all",
            "source": "census_hs2_m", "file": "simulated"}  # fmt: skip
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["month"] = pd.to_datetime(out["month"])
    return out


def test_effective_rates_hand_made():
    fl = _flows([
        {"partner": "KOR", "month": "2015-01-01", "value_usd": 1000.0, "duties_usd": 20.0},
        {"partner": "KOR", "month": "2016-01-01", "value_usd": 0.0, "duties_usd": 0.0},
        {"partner": "JPN", "month": "2015-01-01", "value_usd": 300.0, "duties_usd": 6.0,
         "programme": "none"},
        {"partner": "JPN", "month": "2015-01-01", "value_usd": 100.0, "duties_usd": 0.0,
         "programme": "other"},
        {"partner": "JPN", "month": "2025-01-01", "value_usd": 800.0, "duties_usd": 40.0,
         "dutiable_value_usd": 400.0, "freq": "P", "n_months": 8,
         "source": "dataweb_hs2_2024_2025", "value_basis": "cif"},
        {"partner": "KOR", "month": "2015-01-01", "value_usd": 5.0, "duties_usd": 5.0,
         "hs_code": "8703"},  # other product: ignored
        {"partner": "KOR", "month": "2015-01-01", "value_usd": 5.0, "duties_usd": 5.0,
         "source": "comtrade_m_8703"},  # other source: ignored
    ])  # fmt: skip
    e = T.effective_rates(fl).set_index(["source", "partner", "period"])
    assert e.loc[("census_hs2_m", "KOR", pd.Timestamp("2015-01-01")), "effective_rate_pct"] == 2.0
    assert np.isnan(e.loc[("census_hs2_m", "KOR", pd.Timestamp("2016-01-01")),
                          "effective_rate_pct"])  # fmt: skip
    jp = e.loc[("census_hs2_m", "JPN", pd.Timestamp("2015-01-01"))]
    assert jp["effective_rate_pct"] == 1.5 and jp["value_usd"] == 400.0  # programmes summed
    dw = e.loc[("dataweb_hs2_2024_2025", "JPN", pd.Timestamp("2025-01-01"))]
    assert dw["effective_rate_pct"] == 5.0 and dw["rate_on_dutiable_pct"] == 10.0
    assert dw["n_months"] == 8 and dw["value_basis"] == "cif"
    assert len(e) == 4


def test_effective_rates_errors():
    with pytest.raises(T.TariffTableError, match="duties_usd"):
        T.effective_rates(pd.DataFrame({"partner": ["KOR"]}))
    fl = _flows([{"partner": "KOR", "month": "2015-01-01", "value_usd": 1.0, "duties_usd": 0.0,
                  "source": "comtrade_m_8703"}])  # fmt: skip
    with pytest.raises(T.TariffTableError, match="no rows"):
        T.effective_rates(fl)


def test_compare_effective_statutory_period_average(monthly):
    fl = _flows([
        {"partner": "JPN", "month": "2025-01-01", "value_usd": 100.0, "duties_usd": 10.0,
         "freq": "P", "n_months": 8, "source": "dataweb_hs2_2024_2025"},
        {"partner": "KOR", "month": "2025-05-01", "value_usd": 100.0, "duties_usd": 20.0},
    ])  # fmt: skip
    c = T.compare_effective_statutory(T.effective_rates(fl), monthly).set_index("partner")
    # Jan-Aug 2025 for Japan: 3 months at 2.5, April mixed, May-Aug at 27.5
    apr = (2 * F(5, 2) + 28 * F(55, 2)) / 30
    expect = (3 * F(5, 2) + apr + 4 * F(55, 2)) / 8
    assert c.loc["JPN", "statutory_rate_pct"] == approx(expect)
    assert c.loc["KOR", "statutory_rate_pct"] == 25.0
    assert c.loc["KOR", "gap_pp"] == -5.0


def test_period_means_need_every_month_and_refuse_duplicate_months():
    """A period's statutory rate is the mean over all its months; a month without a rate (before
    the schedule, after it, an origin it lacks) leaves the period without one."""
    months = pd.date_range("2025-01-01", periods=4, freq="MS")
    rates = pd.DataFrame({"origin": "KOR", "month": months, "product": "8703",
                          "rate_pct": [1.0, 2.0, 4.0, 8.0]})
    eff = pd.DataFrame({
        "period": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2024-12-01",
                                  "2025-01-01", "2025-02-01"]),
        "n_months": [4, 2, 3, 2, 1, 0], "partner": ["KOR", "KOR", "KOR", "KOR", "JPN", "KOR"]})
    got = T._period_means(eff, rates)
    assert got[:2].tolist() == [15 / 4, 3.0]
    assert np.isnan(got[2:]).all()  # past the end, before the start, no JPN rows, no months
    with pytest.raises(T.TariffTableError, match="duplicate"):
        T._period_means(eff, pd.concat([rates, rates.tail(1)]))


def _census_hs2_flows() -> pd.DataFrame:
    """Canonical flows rows built directly from the shipped Census HS2 ch.87 file."""
    p = paths.RAW / "trade" / "us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz"
    c = pd.read_csv(p, dtype={"CTY_CODE": str, "I_COMMODITY": str, "time": str})
    iso = {"5800": "KOR", "5880": "JPN", "4280": "DEU"}
    c = c[c["CTY_CODE"].isin(iso)]
    return pd.DataFrame({
        "reporter": "USA", "partner": c["CTY_CODE"].map(iso), "is_bloc": False,
        "hs_code": c["I_COMMODITY"], "hs_level": 2, "freq": "M",
        "month": pd.to_datetime(c["time"], format="%Y-%m"), "n_months": 1,
        "value_usd": c["CON_VAL_MO"].astype(float), "value_basis": "customs",
        "quantity": np.nan, "quantity_unit": "", "duties_usd": c["CAL_DUT_MO"].astype(float),
        "dutiable_value_usd": np.nan, "flow": "import", "programme": "all",
        "source": "census_hs2_m", "file": p.name,
    })  # fmt: skip


def _annual(eff: pd.DataFrame, partner: str) -> pd.Series:
    e = eff[(eff["partner"] == partner) & (eff["freq"] == "M")]
    g = e.groupby(e["period"].dt.year)[["duties_usd", "value_usd"]].sum()
    return 100 * g["duties_usd"] / g["value_usd"]


def test_korus_2016_step_visible_in_duties_collected(events):
    """KORUS removed the 2.5% car duty on 2016-01-01. Cars are most of Korea's ch.87 imports,
    so duties/value must fall by well over 1 pp (2.5 x a car share > 0.4), while Japan (no
    change in statutory rates) moves by less than 0.2 pp."""
    flows_pq = paths.PROCESSED / "flows.parquet"
    fl = _census_hs2_flows()
    if flows_pq.exists():
        real = pd.read_parquet(flows_pq)
        real = real[(real["source"] == "census_hs2_m") & real["partner"].isin(["KOR", "JPN"])]
        if len(real):
            fl = real
    eff = T.effective_rates(fl)
    kor, jpn = _annual(eff, "KOR"), _annual(eff, "JPN")
    assert kor[2015] - kor[2016] > 1.0
    assert kor[2016] < 0.5 and kor[2015] > 1.0
    assert abs(jpn[2016] - jpn[2015]) < 0.2
    # and the statutory schedule says the same thing for cars
    m = T.monthly_schedule(T.daily_schedule(events, origins=("KOR",),
                                            products=("8703",)))  # fmt: skip
    c = T.compare_effective_statutory(eff[eff["partner"] == "KOR"], m)
    by_year = c.groupby(c["period"].dt.year)["statutory_rate_pct"].mean()
    assert by_year[2015] == 2.5 and by_year[2016] == 0.0
