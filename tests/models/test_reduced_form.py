"""Reduced form: the design comparison, exposure sensitivity and their text
(autotariffs.models.reduced_form).

All panels here are SIMULATED; expected values are computed by hand from the simulation design,
never taken from the module's output. (``full_exposure_rates`` moved to
``tariffs/exposure.py``; its test moved with it to tests/tariffs/test_exposure.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support.mutation import module_unless_mutating

from autotariffs.design import Window
from autotariffs.models import one_treated as ot
from autotariffs.models import reduced_form as rfm
from autotariffs.report import narrative

MONTHS = pd.date_range("2021-01-01", "2025-07-01", freq="MS")
WINDOW = Window("2025-04-03", "2021-01", 1, "2025-07")
N_SIM = 200  # the simulation's draws only choose the headline here; its numbers are tested in
# tests/models/test_calibration.py


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


@pytest.fixture(scope=module_unless_mutating)
def comp():
    return rfm.compare(_panel(), "KOR", ["MEX", "CAN"], WINDOW, n_draws=N_SIM)


def test_wide_masks_estimated_2022_quantities_only():
    p = _panel()
    q = rfm.wide(p, "ln_q", ["KOR", "MEX"])
    assert q.loc["2022"].isna().all().all() and q.loc["2023"].notna().all().all()
    v = rfm.wide(p, "ln_v", ["KOR", "MEX"])  # value-only outcome: 2022 kept
    assert v.loc["2022"].notna().all().all()


def test_every_design_recovers_the_simulated_shift(comp):
    """No drift in the simulated gap: level, year on year and trend-adjusted all estimate -0.2
    (vehicles) and -0.1 (unit value) up to noise (sd 0.02 per month and origin)."""
    for d in ot.DESIGNS:
        q, uv = comp.result(d.key, "ln_q"), comp.result(d.key, "ln_uv")
        assert q.estimate.coef == pytest.approx(-0.2, abs=0.04), d.key
        assert uv.estimate.coef == pytest.approx(-0.1, abs=0.04), d.key
        assert q.to_dict()["pct"] == pytest.approx(100 * np.expm1(q.estimate.coef))
        assert q.estimate.n_post == 4
    lvl = comp.result("level", "ln_q")
    assert lvl.conformal.ci95_low < -0.2 < lvl.conformal.ci95_high
    # 2022 skipped for quantities: 2021 + 2023 + 2024 + Jan-Feb 2025 = 38 baseline months
    assert lvl.estimate.n_pre == 38 and comp.result("level", "ln_v").estimate.n_pre == 50
    # by hand: the level design's vehicles estimate is the post mean of the gap minus its
    # baseline mean by month of year
    p = _panel()
    w = p.pivot(index="month", columns="origin", values="ln_q")
    g = (w["KOR"] - w[["MEX", "CAN"]].mean(axis=1))
    g = g[g.index.year != 2022]
    base = g[(g.index >= "2021-01-01") & (g.index <= "2025-02-01")]
    post = g[g.index >= "2025-04-01"]
    hand = np.mean([v - base[base.index.month == m.month].mean() for m, v in post.items()])
    assert lvl.estimate.coef == pytest.approx(hand, abs=1e-12)
    d = comp.to_dict()["window"]
    assert (d["pre_start"], d["pre_end"], d["donut_start"], d["post_start"], d["post_end"]) == (
        "2021-01", "2025-02", "2025-03", "2025-04", "2025-07")
    assert d["controls"] == ["MEX", "CAN"] and d["origin"] == "KOR"


def test_comparison_dict_has_the_issue_keys_and_the_headline(comp):
    """results.json keys of issue 20: pretrend, designs (coef, ci, p, method), placebos (n,
    mean, p), headline (design, outcome, coef, ci, p, breakdown); valid JSON."""
    d = comp.to_dict()
    for y in rfm.OUTCOMES:
        assert set(d["pretrend"][y]) >= {"slope_per_year", "se", "p"}
        for k in ("level", "yoy", "trend"):
            assert set(d["designs"][k][y]) >= {"coef", "ci95_low", "ci95_high", "p", "method"}
            assert set(d["placebos"][k][y]) >= {"n", "mean", "p"}
    h = d["headline"]
    chosen = comp.simulation["ln_q"].chosen
    assert h["design"] == chosen and h["outcome"] == "ln_q"
    assert h["coef"] == comp.result(chosen, "ln_q").estimate.coef
    assert set(h) >= {"design", "outcome", "coef", "ci95_low", "ci95_high", "p", "breakdown"}
    json.dumps(d, allow_nan=False)


def test_sensitivity_divides_by_the_hand_computed_tariff_gap(comp):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    s = rfm.sensitivity(comp, p, full, shares=(0.0, 0.5, 1.0))
    design = comp.headline.result.design
    assert s["design"] == design
    q, uv = comp.result(design, "ln_q"), comp.result(design, "ln_uv")
    by = {row["content_share"]: row for row in s["curve"]}
    # KOR: ln(1.25) after, 0 before; controls: ln(1 + 0.25 s) after, 0 before
    for share in (0.0, 0.5):
        gap = np.log(1.25) - np.log1p(0.25 * share)
        assert by[share]["tariff_gap"] == pytest.approx(gap, rel=1e-12)
        assert by[share]["elasticity_q"] == pytest.approx(q.estimate.coef / gap, rel=1e-12)
        assert by[share]["gamma"] == pytest.approx(uv.estimate.coef / gap, rel=1e-12)
        lo, hi = sorted((q.conformal.ci95_low / gap, q.conformal.ci95_high / gap))
        assert (by[share]["elasticity_q_ci95_low"], by[share]["elasticity_q_ci95_high"]) == (
            pytest.approx(lo), pytest.approx(hi))
    assert by[1.0]["elasticity_q"] is None  # controls as exposed as KOR: no ratio


def test_observed_claims_raise_the_controls_exposure(comp):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    claims = pd.DataFrame({"MEX": 0.9, "CAN": 1.0}, index=MONTHS)
    s = rfm.sensitivity(comp, p, full, shares=(0.5,), claims=claims)
    mex = 0.9 * 0.125 + 0.1 * 0.275  # claimed: 25% x share; not claimed: 25% + MFN 2.5%
    ctrl = (np.log1p(mex) + np.log1p(0.125)) / 2
    assert s["observed_claims"][0]["tariff_gap"] == pytest.approx(np.log(1.25) - ctrl)


def test_designs_table_one_row_per_design_and_outcome(comp):
    t = rfm.designs_table(comp)
    assert len(t) == 3 * 3 and int(t["headline"].sum()) == 1
    row = t[t["headline"]].iloc[0]
    assert row["estimate (log points)"] == comp.headline.result.estimate.coef
    lvl = t[(t["design"] == ot.Level.label) & (t["outcome"] == rfm.OUTCOMES["ln_q"])].iloc[0]
    assert lvl["placebos"] == comp.result("level", "ln_q").placebos.n
    assert lvl["baseline months"] == 38 and lvl["post months"] == 4


def test_narrative_numbers_come_from_the_results(comp):
    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    res = {"KOR": {**comp.to_dict(), "sensitivity": rfm.sensitivity(comp, p, full)}}
    notes = narrative.identification_notes(res)
    quotes = {q.key: q.value for s in notes.values() for x in s for q in x.quotes}
    text = " ".join(x.text for s in notes.values() for x in s)
    lvl = comp.result("level", "ln_q")
    assert quotes["KOR.designs.level.ln_q.coef"] == lvl.estimate.coef
    assert quotes["KOR.designs.level.ln_q.ci95_low"] == lvl.conformal.ci95_low
    assert quotes["KOR.placebos.level.ln_q.n"] == lvl.placebos.n
    assert quotes["KOR.pretrend.ln_q.slope_per_year"] == comp.pretrend["ln_q"].slope_per_year
    assert "1/6" not in text and "1/120" not in text and "cannot reject at 5%" not in text


def _same(a, b) -> bool:
    """Equal as results.json would store them (NaN equal to NaN)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_compare_is_each_routine_called_directly(comp):
    """Every part of the comparison equals a direct call of the routine that computes it, with
    the same window, simulation size and seed."""
    from autotariffs import design as study
    from autotariffs.models import calibration, drift

    p = _panel()
    assert comp.origin == "KOR" and comp.controls == ("MEX", "CAN") and comp.window == WINDOW
    assert comp.outcomes == list(rfm.OUTCOMES)
    for y in rfm.OUTCOMES:
        g = rfm.gap_of(p, y, "KOR", ["MEX", "CAN"], WINDOW)
        assert comp.gaps[y].values.tolist() == pytest.approx(g.values.tolist(), nan_ok=True)
        assert _same(comp.pretrend[y].to_dict(), drift.pretrend(g, WINDOW).to_dict())
        for d in ot.DESIGNS:
            r = comp.result(d.key, y)
            est = ot.estimate(g, d, WINDOW)
            test = ot.conformal(g, d, WINDOW, allow_coarse=True)
            assert r.outcome == y and r.design == d.key
            assert _same(r.estimate.to_dict(), est.to_dict())
            assert _same(r.to_dict(), rfm.DesignResult(y, est, test, ot.placebos(
                g, d, WINDOW, min_pre=study.MIN_PRE)).to_dict())
        assert set(comp.bounds) == set(rfm.OUTCOMES)
        trend = comp.result("trend", y)
        assert _same(comp.bounds[y].to_dict(), drift.smoothness_bounds(
            trend.estimate, trend.conformal, WINDOW).to_dict())
        assert _same(comp.simulation[y].to_dict(), calibration.simulate(
            g, WINDOW, y, ot.DESIGNS, n_draws=N_SIM, seed=study.SEED,
            min_pre=study.MIN_PRE).to_dict())
    # the headline is the simulation's choice on the headline outcome; bounds only for trend
    chosen = comp.simulation[study.HEADLINE_OUTCOME].chosen
    assert chosen == "level"  # no drift in the simulated gap: the level design has the least RMSE
    assert comp.headline.result is comp.result(chosen, study.HEADLINE_OUTCOME)
    assert comp.headline.bounds is None


def test_compare_passes_its_settings_on():
    """Another seed, simulation size, baseline minimum and design list reach every routine."""
    from autotariffs.models import calibration

    p, trend = _panel(), ot.TrendAdjusted()
    c = rfm.compare(p, "KOR", ["MEX", "CAN"], WINDOW, outcomes=("ln_q",), designs=(trend,),
                    n_draws=40, seed=7, min_pre=30, headline_outcome="ln_q")
    g = rfm.gap_of(p, "ln_q", "KOR", ["MEX", "CAN"], WINDOW)
    assert list(c.results) == [("trend", "ln_q")] and list(c.simulation) == ["ln_q"]
    pl = ot.placebos(g, trend, WINDOW, min_pre=30)
    assert c.result("trend", "ln_q").placebos.n == pl.n == 4  # 10 placebos with the default 24
    assert _same(c.simulation["ln_q"].to_dict(), calibration.simulate(
        g, WINDOW, "ln_q", (trend,), n_draws=40, seed=7, min_pre=30).to_dict())
    assert c.simulation["ln_q"].to_dict()["seed"] == 7
    assert c.simulation["ln_q"].to_dict()["n_draws"] == 40
    assert c.headline.result.design == "trend" and c.headline.bounds is c.bounds["ln_q"]
    assert c.to_dict()["headline"]["breakdown"] == c.bounds["ln_q"].to_dict()["breakdown"]
    # no headline when the headline outcome is not among the outcomes
    none = rfm.compare(p, "KOR", ["MEX", "CAN"], WINDOW, outcomes=("ln_v",), designs=(trend,),
                       n_draws=40)
    assert none.headline is None and none.to_dict()["headline"] is None


def test_designs_table_rows_are_the_results(comp):
    import dataclasses

    t = rfm.designs_table(comp)
    assert list(t.columns) == [
        "outcome", "design", "headline", "estimate (log points)", "95% interval, low",
        "95% interval, high", "p (conformal)", "smallest attainable p", "placebos",
        "placebo mean", "p (placebo rank)", "placebos centred", "baseline months",
        "post months"]
    assert list(zip(t["outcome"], t["design"], strict=True)) == [
        (label, d.label) for label in rfm.OUTCOMES.values() for d in ot.DESIGNS]
    pairs = [(y, d) for y in rfm.OUTCOMES for d in ot.DESIGNS]
    for (_, row), (y, d) in zip(t.iterrows(), pairs, strict=True):
        r = comp.result(d.key, y)
        c, pl = r.conformal, r.placebos
        assert row["headline"] == (d.key == "level" and y == "ln_q")
        for col, want in (("95% interval, low", c.ci95_low), ("95% interval, high", c.ci95_high),
                          ("placebo mean", pl.mean), ("p (placebo rank)", pl.p)):
            # an unbounded side (the year-on-year design's few months) is left empty
            assert pd.isna(row[col]) if not np.isfinite(want) else row[col] == want, col
        assert row["p (conformal)"] == c.p and row["smallest attainable p"] == c.min_p
        assert row["placebos centred"] == pl.centred and row["placebos"] == pl.n
    # a design without results is skipped, not the end of the table; an unknown outcome keeps
    # its key
    part = dataclasses.replace(comp, results={k: v for k, v in comp.results.items()
                                              if k[0] != "level"})
    assert len(rfm.designs_table(part)) == 6
    odd = dataclasses.replace(comp, pretrend={"x": comp.pretrend["ln_q"]},
                              results={("yoy", "x"): comp.result("yoy", "ln_q")})
    assert rfm.designs_table(odd)["outcome"].tolist() == ["x"]


def test_designs_text_names_the_origin_controls_and_window(comp):
    text = rfm.designs_text(comp)
    assert text.title == "What each design says: KOR"
    assert text.caption == (
        "Change of KOR relative to the mean of MEX, CAN, 2025-04 to 2025-07, under 3 "
        "counterfactuals for the gap (baseline 2021-01 to 2025-02): baseline mean of the gap by "
        "month of year; the same month one year before; linear trend plus month of year, fitted "
        "on the baseline. Intervals and first p-values: conformal inference (Chernozhukov, "
        "Wüthrich & Zhu 2021) with each design's own counterfactual and moving-block "
        "permutations in time; placebo p: rank among in-time placebos of the same estimator, "
        "each with the full post length and donut, valid only where the placebos are centred "
        "on zero. The headline row is the design the calibrated simulation chose by its rule. "
        "Quantity-based outcomes skip 2022 (Comtrade-estimated quantities).")


def test_tariff_changes_with_a_duty_before_and_a_missing_month():
    """Baseline duties not zero, one month missing: post mean minus baseline mean by hand."""
    p = _panel()
    pre = p["month"] < pd.Timestamp("2025-03-01")
    p.loc[(p["origin"] == "KOR") & pre, "ln1p_tau"] = np.log(1.025)
    p = p[p["month"] != pd.Timestamp("2023-06-01")]  # a gap in the months
    assert rfm.tariff_change(p, "KOR", WINDOW) == pytest.approx(np.log(1.25) - np.log(1.025))
    months = pd.date_range("2021-01-01", "2025-07-01", freq="MS").delete(29)  # no 2023-06
    post = months >= pd.Timestamp("2025-04-01")
    full = pd.DataFrame({c: np.where(post, 0.25, 0.1) for c in ("MEX", "CAN")}, index=months)
    claims = pd.DataFrame({"MEX": np.where(post, 0.9, np.nan)}, index=months)
    # MEX, share 0.5: baseline unclaimed-unknown 0.5 x 0.1; post 0.9 x 0.5 x 0.25 + 0.1 x 0.275
    mex = np.log1p(0.9 * 0.5 * 0.25 + 0.1 * 0.275) - np.log1p(0.05)
    can = np.log1p(0.125) - np.log1p(0.05)  # no claims column: share x rate throughout
    assert rfm.control_change(full, ["MEX", "CAN"], 0.5, WINDOW, claims=claims) == (
        pytest.approx((mex + can) / 2))


def test_sensitivity_rows_fall_back_and_skip_by_rule(comp):
    import dataclasses

    p = _panel()
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    s = rfm.sensitivity(comp, p, full, shares=(0.5,))
    gap = np.log(1.25) - np.log(1.125)
    row = s["curve"][0]
    assert s["origin_tariff_change"] == pytest.approx(np.log(1.25)) and s["min_gap"] == 0.02
    assert row["content_share"] == 0.5
    assert row["elasticity_v"] == pytest.approx(comp.result("level", "ln_v").estimate.coef / gap)
    assert s["note"] == ("ratio = headline reduced form / (origin's change in ln(1+tau) - "
                         "controls' change at non-US content share s); left out where |gap| < "
                         "min_gap")
    # no headline: the first design (level); a year-on-year headline: its unbounded interval
    # gives no bounds for the ratio either
    none = rfm.sensitivity(dataclasses.replace(comp, headline=None), p, full, shares=(0.5,))
    assert none["design"] == "level" and none["curve"][0]["elasticity_q"] == row["elasticity_q"]
    yoy = comp.result("yoy", "ln_q")
    assert not np.isfinite(yoy.conformal.ci95_low)
    ys = rfm.sensitivity(dataclasses.replace(comp, headline=rfm.Headline(yoy, None)), p, full,
                         shares=(0.5,))["curve"][0]
    assert ys["elasticity_q"] == pytest.approx(yoy.estimate.coef / gap)
    assert ys["elasticity_q_ci95_low"] is None and ys["elasticity_q_ci95_high"] is None
    # a missing outcome leaves its ratio out, the others stay
    part = dataclasses.replace(comp, results={k: v for k, v in comp.results.items()
                                              if k != ("level", "ln_q")})
    pr = rfm.sensitivity(part, p, full, shares=(0.5,))["curve"][0]
    assert pr["elasticity_q"] is None and pr["gamma"] == pytest.approx(row["gamma"])
    # a gap exactly at min_gap is kept (only |gap| < min_gap is left out)
    at = rfm.sensitivity(comp, p, full, shares=(0.5,), min_gap=abs(row["tariff_gap"]))
    assert at["curve"][0]["elasticity_q"] == row["elasticity_q"]


class _BaselineMean(ot.Design):
    """A fourth design, written as ARCHITECTURE.md's how-to says: the gap's overall baseline mean
    (no seasonality)."""

    key = "flat"
    label = "baseline mean"
    model_text = "baseline mean of the gap"
    min_pre = 12

    def counterfactual(self, months, pre, rows):
        return ot.Level(seasonal=False).counterfactual(months, pre, rows)

    def residual_map(self, months, pre, post):
        return ot.Level(seasonal=False).residual_map(months, pre, post)


def test_a_new_design_is_one_class_and_one_entry(monkeypatch):
    designs = (*ot.DESIGNS, _BaselineMean())
    # the list entry: DESIGNS gains the class; DESIGN_BY_KEY is built from it at import
    monkeypatch.setattr(ot, "DESIGNS", designs)
    monkeypatch.setattr(ot, "DESIGN_BY_KEY", {d.key: d for d in designs})
    c = rfm.compare(_panel(effect=-0.2, sd=0.005), "KOR", ["MEX", "CAN"], WINDOW,
                    outcomes=["ln_q"], designs=designs, n_draws=N_SIM)
    out = json.loads(json.dumps(c.to_dict(), allow_nan=False))
    assert set(out["designs"]) == set(out["placebos"]) == {d.key for d in designs}
    assert out["designs"]["flat"]["ln_q"]["coef"] < 0  # the simulated shift is -0.2
    assert "baseline mean" in set(rfm.designs_table(c)["design"])


def test_results_json_blocks_are_the_parts_records(comp):
    d = comp.to_dict()
    for y in rfm.OUTCOMES:
        assert _same(d["simulation"][y], comp.simulation[y].to_dict())
        assert _same(d["honest"][y], comp.bounds[y].to_dict())
        for k in ("level", "yoy", "trend"):
            r, got = comp.result(k, y), d["designs"][k][y]
            c = r.conformal
            assert got["n_perm"] == c.n_perm and got["min_p"] == 1 / c.n_perm
            assert got["p_peak"] == (c.p_peak if c.p_peak is not None and np.isfinite(c.p_peak)
                                     else None)
            assert got["by_month"] == r.estimate.by_month and len(got["by_month"]) >= 4
            assert _same(d["placebos"][k][y], r.placebos.to_dict())
    h, r = d["headline"], comp.headline.result
    pl = r.placebos
    assert h["chosen_by"].startswith("Among the designs whose conformal test rejects")
    assert (h["p_placebo"], h["n_placebos"], h["min_p_placebo"]) == (pl.p, pl.n, 1 / (1 + pl.n))
    assert h["placebo_mean"] == pytest.approx(np.mean(list(pl.estimates.values())))
    assert h["placebos_centred"] is pl.centred
    assert h["ci95_low_pct"] == pytest.approx(100 * (np.exp(r.conformal.ci95_low) - 1))
    assert h["ci95_high_pct"] == pytest.approx(100 * (np.exp(r.conformal.ci95_high) - 1))
    assert h["breakdown"] is None and "breakdown_identified" not in h  # level: no bounds


def test_a_trend_headline_carries_its_bounds_and_an_unbounded_one_no_percent():
    import dataclasses

    c = rfm.compare(_panel(), "KOR", ["MEX", "CAN"], WINDOW, outcomes=("ln_q",),
                    designs=(ot.TrendAdjusted(),), n_draws=40, seed=7)
    h, b = c.to_dict()["headline"], c.bounds["ln_q"].to_dict()
    for k in ("breakdown", "breakdown_identified", "deviation_at_breakdown",
              "deviation_at_breakdown_identified", "slope_change_per_year_at_breakdown"):
        assert h[k] == b[k], k
    yoy = rfm.compare(_panel(), "KOR", ["MEX", "CAN"], WINDOW, outcomes=("ln_q",),
                      designs=(ot.YearOnYear(),), n_draws=40).result("yoy", "ln_q")
    hy = rfm.Headline(yoy, None).to_dict()
    assert hy["ci95_low"] is None and hy["ci95_low_pct"] is None and hy["ci95_high_pct"] is None
    assert dataclasses.replace(c, headline=None).to_dict()["headline"] is None


def test_observed_claims_rows_name_their_share(comp):
    full = pd.DataFrame({c: np.where(MONTHS >= pd.Timestamp("2025-04-01"), 0.25, 0.0)
                         for c in ("MEX", "CAN")}, index=MONTHS)
    claims = pd.DataFrame({"MEX": 0.9, "CAN": 1.0}, index=MONTHS[::-1])  # another month order
    s = rfm.sensitivity(comp, _panel(), full, shares=(0.5, 1.0), claims=claims)
    assert [r["content_share"] for r in s["observed_claims"]] == [0.5, 1.0]
    mex = 0.9 * 0.125 + 0.1 * 0.275
    ctrl = (np.log1p(mex) + np.log1p(0.125)) / 2
    assert s["observed_claims"][0]["tariff_gap"] == pytest.approx(np.log(1.25) - ctrl)
