"""Reduced form, exposure sensitivity and their text (autotariffs.models.reduced_form).

All panels here are SIMULATED; expected values are computed by hand from the simulation design,
never taken from the module's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs.models import reduced_form as rfm
from autotariffs.report import narrative

MONTHS = pd.date_range("2021-01-01", "2025-07-01", freq="MS")


def _panel(effect: float = -0.2, seed: int = 0, sd: float = 0.02) -> pd.DataFrame:
    """KOR, MEX, CAN; KOR's log outcomes shift by ``effect`` from 2025-04 (SIMULATED)."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in ("KOR", "MEX", "CAN"):
        season = rng.normal(0, 0.1, 12)
        for m in MONTHS:
            post = m >= pd.Timestamp("2025-04-01")
            tau = (0.25 if o == "KOR" else 0.125) if post else 0.0
            common = 0.3 * np.sin(m.month + m.year)  # shocks shared by every origin
            shift = effect if (o == "KOR" and post) else 0.0
            lq = 10 + common + season[m.month - 1] + shift + rng.normal(0, sd)
            luv = 10 + 0.5 * shift + rng.normal(0, sd)
            rows.append({"origin": o, "month": m, "ln_q": lq, "ln_uv": luv, "ln_v": lq + luv,
                         "ln1p_tau": np.log1p(tau),
                         "qty_estimated_2022": m.year == 2022})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def rf():
    return rfm.reduced_form(_panel(), "KOR", ["MEX", "CAN"], event_month="2025-04",
                            end="2025-07", donut=1, pre_start="2021-01", sarimax=False)


def test_wide_masks_estimated_2022_quantities_only():
    p = _panel()
    q = rfm.wide(p, "ln_q", ["KOR", "MEX"])
    assert q.loc["2022"].isna().all().all() and q.loc["2023"].notna().all().all()
    v = rfm.wide(p, "ln_v", ["KOR", "MEX"])  # value-only outcome: 2022 kept
    assert v.loc["2022"].notna().all().all()


def test_reduced_form_recovers_the_simulated_shift(rf):
    assert rf["ln_q"]["coef"] == pytest.approx(-0.2, abs=0.03)
    assert rf["ln_uv"]["coef"] == pytest.approx(-0.1, abs=0.03)
    assert rf["ln_q"]["ci95_low"] < -0.2 < rf["ln_q"]["ci95_high"]
    assert rf["ln_q"]["pct"] == pytest.approx(100 * np.expm1(rf["ln_q"]["coef"]))
    d = rf["design"]
    assert (d["pre_start"], d["pre_end"], d["donut_start"], d["post_start"], d["post_end"]) == (
        "2021-01", "2025-02", "2025-03", "2025-04", "2025-07")
    assert rf["ln_q"]["n_post"] == 4
    # 2022 skipped for quantities: 2021 + 2023 + 2024 + Jan-Feb 2025 = 38 baseline months
    assert rf["ln_q"]["n_pre"] == 38 and rf["ln_v"]["n_pre"] == 50


def test_sensitivity_divides_by_the_hand_computed_tariff_gap(rf):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    s = rfm.sensitivity(rf, p, full, shares=(0.0, 0.5, 1.0))
    by = {row["content_share"]: row for row in s["curve"]}
    # KOR: ln(1.25) after, 0 before; controls: ln(1 + 0.25 s) after, 0 before
    for share in (0.0, 0.5):
        gap = np.log(1.25) - np.log1p(0.25 * share)
        assert by[share]["tariff_gap"] == pytest.approx(gap, rel=1e-12)
        assert by[share]["elasticity_q"] == pytest.approx(rf["ln_q"]["coef"] / gap, rel=1e-12)
        assert by[share]["gamma"] == pytest.approx(rf["ln_uv"]["coef"] / gap, rel=1e-12)
        lo, hi = sorted((rf["ln_q"]["ci95_low"] / gap, rf["ln_q"]["ci95_high"] / gap))
        assert (by[share]["elasticity_q_ci95_low"], by[share]["elasticity_q_ci95_high"]) == (
            pytest.approx(lo), pytest.approx(hi))
    assert by[1.0]["elasticity_q"] is None  # controls as exposed as KOR: no ratio


def test_observed_claims_raise_the_controls_exposure(rf):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    claims = pd.DataFrame({"MEX": 0.9, "CAN": 1.0}, index=MONTHS)
    s = rfm.sensitivity(rf, p, full, shares=(0.5,), claims=claims)
    mex = 0.9 * 0.125 + 0.1 * 0.275  # claimed: 25% x share; not claimed: 25% + MFN 2.5%
    ctrl = (np.log1p(mex) + np.log1p(0.125)) / 2
    assert s["observed_claims"][0]["tariff_gap"] == pytest.approx(np.log(1.25) - ctrl)


def test_full_exposure_rates_scale_to_the_schedule_at_any_share(events):
    """The controls' duty is linear in the content share (tariffs.daily_schedule at 0.3)."""
    from autotariffs.tariffs import schedule as tariffs

    full = rfm.full_exposure_rates(["MEX", "CAN"])
    m = tariffs.monthly_schedule(tariffs.daily_schedule(events, usmca_nonus_share=0.3))
    m = m[m["product"].astype(str) == "8703"].pivot(index="month", columns="origin",
                                                     values="rate_pct") / 100
    win = slice("2025-01-01", "2026-02-01")
    assert np.allclose(0.3 * full.loc[win, ["MEX", "CAN"]], m.loc[win, ["MEX", "CAN"]])
    assert full.loc["2025-05-01", "MEX"] == pytest.approx(0.25)


def test_narrative_numbers_come_from_the_results(rf):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    res = {"KOR": {"reduced_form": rf, "sensitivity": rfm.sensitivity(rf, p, full)}}
    notes = narrative.identification_notes(res)
    text = " ".join(" ".join(v) for v in notes.values())
    assert f"{rf['ln_q']['coef']:+.3f}" in text and f"{rf['ln_q']['ci95_low']:+.3f}" in text
    assert f"{rf['ln_q']['n_placebos']} in-time placebos" in text
    assert "1/6" not in text and "1/120" not in text and "cannot reject at 5%" not in text
