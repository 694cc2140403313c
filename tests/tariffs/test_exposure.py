"""Observed exposure of the control origins (issue 14, item 2): hand-computed values.

Simulated claim shares (hand-made) for the formula; the real-data check recomputes Mexico's May
2025 claim share from the raw CSV with the csv module.
"""

from __future__ import annotations

import csv

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data.sources.dataweb import usmca_claim_shares
from autotariffs.figures.tariffs import fig_control_exposure
from autotariffs.tariffs.exposure import (
    control_exposure,
    exposure_grid,
    exposure_summary,
    full_exposure_rates,
)

CLAIMS = paths.RAW / "trade" / ("us_imp_hs10_8703_can_mex_usmca_claims_dataweb_2024_annual_"
                                "2025-01_2026-02_monthly.csv")


def _claims(rows):
    return pd.DataFrame(rows, columns=["month", "partner", "claim_share"]).assign(
        month=lambda d: pd.to_datetime(d["month"]))


def test_hand_computed_values():
    cl = _claims([("2025-01-01", "CAN", 0.9), ("2025-04-01", "CAN", 0.9),
                  ("2025-05-01", "CAN", 0.9), ("2025-05-01", "MEX", 0.8)])
    e = control_exposure(cl, content_share=0.5).set_index(["origin", "month"])
    # January: claimed 0, not claimed MFN 2.5 -> 0.1 x 2.5
    assert e.loc[("CAN", "2025-01-01"), "observed_rate_pct"] == pytest.approx(0.25)
    # April (30 days, 2 before 04-03): claimed 28/30 x 12.5; not claimed (2 x 2.5 + 28 x 27.5)/30
    assert e.loc[("CAN", "2025-04-01"), "claimed_rate_pct"] == pytest.approx(28 / 30 * 12.5)
    assert e.loc[("CAN", "2025-04-01"), "observed_rate_pct"] == pytest.approx(
        0.9 * 28 / 30 * 12.5 + 0.1 * 775 / 30)
    # May: 0.9 x 25 x 0.5 + 0.1 x 27.5 = 14.0 ; Mexico 0.8 x 12.5 + 0.2 x 27.5 = 15.5
    assert e.loc[("CAN", "2025-05-01"), "observed_rate_pct"] == pytest.approx(14.0)
    assert e.loc[("MEX", "2025-05-01"), "observed_rate_pct"] == pytest.approx(15.5)
    assert e.loc[("MEX", "2025-05-01"), "ln1p_observed"] == pytest.approx(np.log(1.155))
    assert e["assumed_rate_pct"].isna().all()  # no schedule given


def test_content_procedure_later_means_full_value():
    cl = _claims([("2025-05-01", "CAN", 0.9)])
    e = control_exposure(cl, 0.5, content_procedure_from="2025-06-01")
    assert e["observed_rate_pct"].iloc[0] == pytest.approx(0.9 * 25 + 0.1 * 27.5)
    e = control_exposure(cl, 0.5, content_procedure_from="2025-05-16")  # 15 of 31 days at 25%
    claimed = (15 * 25 + 16 * 12.5) / 31
    assert e["observed_rate_pct"].iloc[0] == pytest.approx(0.9 * claimed + 0.1 * 27.5)
    with pytest.raises(ValueError):
        control_exposure(cl, 1.5)


def test_real_claims_beside_assumed_schedule(flows, events):
    cl = usmca_claim_shares(flows)
    # Mexico May 2025 share recomputed from the raw file
    with open(CLAIMS, newline="", encoding="utf-8") as f:
        rs = [r for r in csv.DictReader(f) if r["period"] == "2025-05" and r["cty_code"] == "2010"]
    s = sum(float(r["usmca_value"]) for r in rs) / sum(float(r["total_value"]) for r in rs)
    g = exposure_grid(cl, events)
    x = g[(g["content_share"] == 0.5) & (g["origin"] == "MEX")].set_index("month")
    assert x.loc["2025-05-01", "claim_share"] == pytest.approx(s)
    assert x.loc["2025-05-01", "observed_rate_pct"] == pytest.approx(s * 12.5 + (1 - s) * 27.5)
    assert x.loc["2025-05-01", "assumed_rate_pct"] == pytest.approx(12.5)
    assert x.index.max() == pd.Timestamp("2026-02-01")
    # observed exposure >= assumed (non-claimed cars pay more) at every share and month
    post = g[g["month"] >= "2025-05-01"]
    assert (post["diff_pp"] > 0).all()
    assert set(g["content_share"]) == {0.3, 0.4, 0.5, 0.6, 0.7}
    summ = exposure_summary(g)
    assert summ["MEX"]["cs50"]["observed_rate_pct"] > summ["CAN"]["cs50"]["observed_rate_pct"]
    assert summ["CAN"]["cs50"]["assumed_rate_pct"] == pytest.approx(12.5)
    assert not any("." in k for o in summ.values() for k in o)  # report paths use dots
    fig = fig_control_exposure(g)
    assert len(fig.axes) == 2
    plt.close("all")


def test_control_series_extended_to_2026_02(flows):
    from autotariffs.tariffs.exposure import control_series_extended

    s = control_series_extended(flows)
    for o in ("CAN", "MEX"):
        x = s[s["origin"] == o].set_index("month")
        assert x.index.min() == pd.Timestamp("2020-01-01")
        assert x.index.max() == pd.Timestamp("2026-02-01")
        assert (x.loc[:"2025-07-01", "spliced_from"] == "comtrade_m_8703").all()
        assert (x.loc["2025-08-01":, "spliced_from"] != "comtrade_m_8703").all()
        # the seam: spliced = DataWeb x mean(Comtrade / DataWeb over 2025-01..07)
        ov = x.loc["2025-01-01":"2025-07-01"]
        r = (ov["comtrade_usd"] / ov["dataweb_usd"]).mean()
        assert x.loc["2026-02-01", "value_spliced_usd"] == pytest.approx(
            x.loc["2026-02-01", "dataweb_usd"] * r)
        assert abs(r - 1) < 0.01


def test_full_exposure_rates_scale_to_the_schedule_at_any_share(events):
    """The controls' duty is linear in the content share (tariffs.daily_schedule at 0.3)."""
    from autotariffs.tariffs import schedule as tariffs

    full = full_exposure_rates(["MEX", "CAN"])
    m = tariffs.monthly_schedule(tariffs.daily_schedule(events, usmca_nonus_share=0.3))
    m = m[m["product"].astype(str) == "8703"].pivot(index="month", columns="origin",
                                                     values="rate_pct") / 100
    win = slice("2025-01-01", "2026-02-01")
    assert np.allclose(0.3 * full.loc[win, ["MEX", "CAN"]], m.loc[win, ["MEX", "CAN"]])
    assert full.loc["2025-05-01", "MEX"] == pytest.approx(0.25)
