"""Exporters' unit values to the US, year on year (autotariffs.models.export_prices).

Real data: the shipped Japan mirror (Japan-reported exports of HS 8703 to the US, UN Comtrade,
2020-01..2025-09), run through the pipeline (``flows`` -> ``panel.build.exporter_series`` ->
``export_prices``) and checked against the raw CSV read here by hand, with the yen rate from the
raw monthly means of FRED's daily DEXJPUS (``data/raw/macro/fx_monthly_avg_from_daily_*.csv``,
derived by the extraction script, not by the package).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.mutation import module_unless_mutating

from autotariffs import paths
from autotariffs.design import Window
from autotariffs.models.export_prices import export_prices
from autotariffs.panel.build import exporter_series

MIRROR = paths.RAW / "trade" / "jpn_exp_to_usa_8703_comtrade_monthly_2020-01_2025-09.csv"
FX_MONTHLY = paths.RAW / "macro" / "fx_monthly_avg_from_daily_2010_2026.csv"
# the estimates notebook's window for the exporter series: the tariff month to the mirror's end
WINDOW = Window("2025-04-03", "2021-01", 1, "2025-09")
POST = pd.period_range("2025-04", "2025-09", freq="M")


@pytest.fixture(scope=module_unless_mutating)
def xp(flows, shipped_fx):
    return export_prices(exporter_series(flows, shipped_fx, "JPN"), "JPN", WINDOW)


@pytest.fixture(scope="module")
def ln_uv() -> pd.Series:
    """ln(FOB value / quantity) by month, from the raw CSV."""
    raw = pd.read_csv(MIRROR)
    raw = raw[(raw["reporterDesc"] == "Japan") & (raw["partnerDesc"] == "USA")]
    per = pd.PeriodIndex([pd.Period(f"{p // 100}-{p % 100:02d}", "M") for p in raw["period"]])
    return pd.Series(np.log(raw["primaryValue"].to_numpy() / raw["qty"].to_numpy()), index=per)


@pytest.fixture(scope="module")
def ln_yen() -> pd.Series:
    fx = pd.read_csv(FX_MONTHLY)
    fx = fx[fx["series_id"] == "DEXJPUS"]
    return pd.Series(np.log(fx["mean_of_daily"].to_numpy()),
                     index=pd.PeriodIndex(fx["month"], freq="M"))


def test_monthly_usd_change_is_the_hand_12_month_log_change(xp, ln_uv):
    assert [m.months for m in xp.by_month] == [(str(p), str(p)) for p in POST]
    hand = {p: ln_uv[p] - ln_uv[p - 12] for p in POST}
    for m in xp.by_month:
        assert m.uv_usd_yoy == pytest.approx(hand[pd.Period(m.months[0], "M")], abs=1e-12)
    assert xp.average.months == ("2025-04", "2025-09")
    assert xp.average.uv_usd_yoy == pytest.approx(np.mean(list(hand.values())), abs=1e-12)
    # the finding the issue quotes: Japanese FOB unit values to the US 15-22% lower year on
    # year in May-August 2025 (hand values, not the module's)
    for p in pd.period_range("2025-05", "2025-08", freq="M"):
        assert -0.25 < hand[p] < -0.15, p
    d = xp.to_dict()
    assert d["2025_05"]["uv_usd_yoy"] == pytest.approx(hand[pd.Period("2025-05", "M")])
    assert d["2025_05"]["uv_usd_yoy_pct"] == pytest.approx(
        100 * np.expm1(hand[pd.Period("2025-05", "M")]))


def test_yen_change_adds_the_change_of_the_yen_rate(xp, ln_uv, ln_yen):
    """uv in yen = uv in USD x yen per USD, so its 12-month log change is the USD change plus
    the 12-month log change of the monthly mean yen rate."""
    for m in xp.by_month:
        p = pd.Period(m.months[0], "M")
        hand = (ln_uv[p] - ln_uv[p - 12]) + (ln_yen[p] - ln_yen[p - 12])
        assert m.uv_lcu_yoy == pytest.approx(hand, abs=1e-6)
        assert m.uv_lcu_yoy - m.uv_usd_yoy == pytest.approx(ln_yen[p] - ln_yen[p - 12],
                                                            abs=1e-6)


def test_each_months_p_is_the_rank_of_its_change_among_the_baseline_changes(xp, ln_uv):
    """The monthly test compares one post month's 12-month change with those of the baseline
    months (2022-01..2025-02: each has its month a year before in 2021-01..2024-02), so the
    cyclic shifts of one residual visit every row once and p = #{|d_t| >= |d_post|} / (38 + 1)."""
    base = pd.period_range("2022-01", "2025-02", freq="M")
    d_base = np.array([ln_uv[p] - ln_uv[p - 12] for p in base])
    for m in xp.by_month:
        p = pd.Period(m.months[0], "M")
        d = ln_uv[p] - ln_uv[p - 12]
        hits = 1 + int((np.abs(d_base) >= abs(d) - 1e-12).sum())
        assert m.test.n_perm == len(base) + 1 == 39
        assert m.test.p == pytest.approx(hits / 39, abs=1e-12), p
