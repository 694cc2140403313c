"""Korea by destination around both shocks (issue 14, item 4; issue 20, item 7).

Real data: the KCS destination panel (values checked against the raw CSV, read here with the
csv module). Simulated data: a destination panel with one treated destination and four others,
a first shock then an opposite-signed one (``destination_panels`` in
tests/support/one_treated.py). Inference is the package's :mod:`autotariffs.models.one_treated`;
expected values are computed by hand here.
"""

from __future__ import annotations

import csv
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from support.mutation import module_unless_mutating
from support.one_treated import SHOCK1, SHOCK2, destination_panels

from autotariffs import paths
from autotariffs.design import Window
from autotariffs.figures import save
from autotariffs.figures.deals import fig_deal_event_study
from autotariffs.models import deals

KCS = paths.RAW / "trade" / "kor_exp_8703_by_destination_kcs_monthly_2025-01_2026-06.csv"
ISO = {"US": "USA", "CA": "CAN", "DE": "DEU", "AU": "AUS", "SA": "SAU", "WORLD": "WLD"}
DESTS = ["USA", "CAN", "DEU", "AUS", "SAU"]


@pytest.fixture(scope=module_unless_mutating)
def wide(flows) -> pd.DataFrame:
    return deals.destination_wide(flows)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Month x destination export values (USD) of the raw KCS CSV, read with the csv module."""
    with open(KCS, newline="", encoding="utf-8") as f:
        rows = [(pd.Timestamp(f"{r['ym'][:4]}-{r['ym'][4:]}-01"), ISO[r["destination"]],
                 float(r["export_value_usd"])) for r in csv.DictReader(f)]
    return pd.DataFrame(rows, columns=["month", "dest", "v"]).pivot(
        index="month", columns="dest", values="v")


@pytest.fixture(scope=module_unless_mutating)
def results(flows) -> dict:
    return deals.deal_results(flows)


def _did(gap: pd.Series, pre: tuple[str, str], post: tuple[str, str]) -> float:
    """Post mean minus pre mean of a monthly gap (months 'YYYY-MM', inclusive)."""
    return float(gap[f"{post[0]}-01":f"{post[1]}-01"].mean()
                 - gap[f"{pre[0]}-01":f"{pre[1]}-01"].mean())


def test_destination_wide_matches_raw(wide, flows, raw):
    assert list(wide.columns) == DESTS
    assert len(wide) == 18 and wide.notna().all().all()
    assert np.allclose(wide.to_numpy(), np.log(raw[DESTS].to_numpy()), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="WLD"):
        deals.destination_wide(flows, destinations=("USA", "WLD"))


def test_event_study_equals_gap_relative_to_reference(wide):
    es = deals.event_study(wide)
    gap = wide["USA"] - wide[["CAN", "DEU", "AUS", "SAU"]].mean(axis=1)
    expect = gap - gap.loc["2025-03-01"]
    np.testing.assert_allclose(es["coef"].to_numpy(), expect.to_numpy(), atol=1e-8)
    assert es.loc[es["is_ref"], "month"].iloc[0] == pd.Timestamp("2025-03-01")
    ev = es.set_index("month")["event"]
    assert ev["2025-04-01"].startswith("S232") and ev["2025-11-01"].startswith("Korea deal")
    assert (es.loc[~es["is_ref"], "se_iid"] > 0).all()


def test_event_study_with_one_control_gives_the_gap_and_no_standard_errors(wide):
    """One control: a dummy per month fits every row exactly (no residual degrees of freedom).
    The coefficients are still the gap relative to the reference month; the SEs and intervals
    are NaN (they used to raise a bare ZeroDivisionError)."""
    es = deals.event_study(wide, controls=["CAN"])
    gap = wide["USA"] - wide["CAN"]
    np.testing.assert_allclose(es["coef"].to_numpy(), (gap - gap.loc["2025-03-01"]).to_numpy(),
                               atol=1e-8)
    post = es.loc[~es["is_ref"]]
    assert post["se_iid"].isna().all() and post["ci95_low"].isna().all()


def test_implied_elasticities_hand_values():
    e = deals.implied_elasticities(-0.2231435513, 0.0833816089)
    assert e["step_dln1p_tau"] == pytest.approx(np.log(1.25))
    assert e["cut_dln1p_tau"] == pytest.approx(np.log(1.15 / 1.25))
    assert e["step_elasticity"] == pytest.approx(-1.0, abs=1e-9)
    assert e["cut_elasticity"] == pytest.approx(-1.0, abs=1e-6)
    assert e["signs_agree"] and e["pooled_elasticity"] == pytest.approx(-1.0, abs=1e-6)
    e = deals.implied_elasticities(-0.2, -0.05)  # the cut "lowers" exports too: inconsistent
    assert not e["signs_agree"] and np.isnan(e["pooled_elasticity"])


def test_japan_half_month(flows):
    j = deals.deal_coverage(flows, "JPN")
    assert j["last_month"] == "2025-09" and j["post_deal_days_observed"] == 15
    assert not j["identifies"]
    assert deals.deal_coverage(flows, "GBR") is None  # a deal, but no export series of its own


def test_deal_results_wiring(flows, results, raw, tmp_path):
    r = results
    assert r["window"] == "2025-05..2026-06"
    assert r["n_pre"] == 6 and r["n_post"] == 8
    assert r["pre_months"] == ["2025-05", "2025-10"]
    assert r["post_months"] == ["2025-11", "2026-06"]
    # the cut DiD is the gap's post mean minus its pre mean (computed here by hand, raw values)
    g = np.log(raw["USA"]) - np.log(raw[["CAN", "DEU", "AUS", "SAU"]]).mean(axis=1)
    assert r["coef"] == pytest.approx(_did(g, ("2025-05", "2025-10"), ("2025-11", "2026-06")))
    assert r["step"]["n_pre"] == 3
    assert r["step"]["coef"] == pytest.approx(_did(g, ("2025-01", "2025-03"),
                                                   ("2025-05", "2025-10")))
    assert r["min_p_conformal"] == pytest.approx(1 / 14)  # 6 + 8 months: cannot reach 5%
    assert r["ci95_low"] is None and r["ci95_high"] is None  # the whole line, written as null
    # placebos: fake cuts of 3 months inside the 6 pre months, each with >= 2 months before it
    # (2025-07 and 2025-08 are the only such events): min p 1/3
    assert r["n_placebos"] == 2 and r["placebo_post_len"] == 3
    w = deals.destination_wide(flows)
    es = deals.event_study(w)
    fig = fig_deal_event_study(es, r)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert any(lab.startswith("Korea -> US") for lab in labels)
    # one treated destination: no regression band is drawn (it would not be valid inference)
    from matplotlib.collections import PolyCollection

    assert not any(isinstance(c, PolyCollection) for c in fig.axes[0].collections)
    a = save(fig, "deal", tmp_path / "a")
    b = save(fig_deal_event_study(es, r), "deal", tmp_path / "b")
    assert a["png"].read_bytes() == b["png"].read_bytes()
    plt.close("all")


# --------------------------------------------------------------------------------------------
# the cut's variants (issue 20, item 7): each one by hand on the raw values
# --------------------------------------------------------------------------------------------
def test_each_variant_is_the_hand_did_with_its_own_controls_and_window(results, raw):
    """drop_C / only_C: the gap against the other / that control; rest_of_world: against
    ln(WORLD - US) from the raw CSV; value_weighted: controls' logs weighted by their export
    value over the pre months 2025-05..10; anticipation: pre 2025-05..07 (the deal was
    announced in late July 2025), post 2025-11..2026-06."""
    v = results["variants"]
    ctrl = ["CAN", "DEU", "AUS", "SAU"]
    lv = np.log(raw)
    us = lv["USA"]
    pre, post = ("2025-05", "2025-10"), ("2025-11", "2026-06")
    want = {}
    for c in ctrl:
        want[f"drop_{c}"] = _did(us - lv[[x for x in ctrl if x != c]].mean(axis=1), pre, post)
        want[f"only_{c}"] = _did(us - lv[c], pre, post)
    want["rest_of_world"] = _did(us - np.log(raw["WLD"] - raw["USA"]), pre, post)
    wts = raw.loc["2025-05-01":"2025-10-01", ctrl].sum()
    want["value_weighted"] = _did(us - (lv[ctrl] * (wts / wts.sum())).sum(axis=1), pre, post)
    want["anticipation"] = _did(us - lv[ctrl].mean(axis=1), ("2025-05", "2025-07"), post)
    assert set(v) == set(want)
    for k, x in want.items():
        assert v[k]["coef"] == pytest.approx(x, abs=1e-12), k
    assert v["anticipation"]["pre_months"] == ["2025-05", "2025-07"]
    assert v["rest_of_world"]["controls"] == ["ROW"]
    assert (results["variant_low"], results["variant_high"]) == (
        pytest.approx(min(want.values())), pytest.approx(max(want.values())))


def test_signs_agree_only_if_every_variant_agrees(results, raw):
    """On the shipped data the main estimate and leaving Saudi Arabia out have opposite signs
    (hand DiDs), so "signs agree" must be False; on SIMULATED panels it is True exactly when
    every variant has the main estimate's sign."""
    lv = np.log(raw)
    pre, post = ("2025-05", "2025-10"), ("2025-11", "2026-06")
    main = _did(lv["USA"] - lv[["CAN", "DEU", "AUS", "SAU"]].mean(axis=1), pre, post)
    no_sau = _did(lv["USA"] - lv[["CAN", "DEU", "AUS"]].mean(axis=1), pre, post)
    assert np.sign(main) != np.sign(no_sau)
    assert results["signs_agree"] is False

    months = pd.date_range("2025-01-01", "2026-06-01", freq="MS")
    rng = np.random.default_rng(7)
    base = pd.DataFrame(20 + rng.normal(0, 0.01, (len(months), 5)), index=months, columns=DESTS)
    post_m = months >= pd.Timestamp("2025-11-01")
    agree = base.copy()
    agree.loc[post_m, "USA"] += 0.2  # +0.2 against every control
    cut = deals.deal_cut(agree, ci=False)
    assert all(x.coef > 0.15 for x in cut.variants.values()) and cut.signs_agree is True
    lumpy = agree.copy()
    lumpy.loc[post_m, "SAU"] += 1.0  # the controls' mean jumps 0.25: main -0.05, only_SAU -0.8
    cut = deals.deal_cut(lumpy, ci=False)
    assert cut.main.coef == pytest.approx(0.2 - 0.25, abs=0.02)
    assert cut.variants["drop_SAU"].coef == pytest.approx(0.2, abs=0.02)
    assert cut.signs_agree is False
    # one disagreeing variant is enough
    flipped = dict(cut.variants)
    ok = dataclasses.replace(cut, variants={k: x for k, x in flipped.items()
                                            if np.sign(x.coef) == np.sign(cut.main.coef)})
    assert ok.signs_agree is True
    assert cut.variant_range == (min(x.coef for x in flipped.values()),
                                 max(x.coef for x in flipped.values()))


# --------------------------------------------------------------------------------------------
# simulation (done-when of issue 14): one treated destination, four others, a first shock then
# an opposite-signed one (the DGP: support.one_treated.destination_panels)
# --------------------------------------------------------------------------------------------
def _run(y, months):
    """The cut of every draw through the public ``cut_estimate`` on the window after the first
    shock's month (no donut)."""
    win = Window(f"{months[SHOCK2]:%Y-%m}", f"{months[SHOCK1 + 1]:%Y-%m}", 0,
                 f"{months[-1]:%Y-%m}")
    coefs, ps = [], []
    for k in range(y.shape[0]):
        w = pd.DataFrame(y[k], index=months, columns=DESTS)
        r = deals.cut_estimate(w, "sim", deals.CONTROL_DESTINATIONS, win)
        coefs.append(r.coef)
        ps.append(r.test.p)
    return np.array(coefs), np.array(ps)


def test_simulation_bias_and_size():
    """Bias over 100 draws: the estimate's sd per draw is 0.037 (measured over 500 draws), so the
    mean of 100 has an MC s.e. of 0.0037 and the 0.02 bound is 5.4 of them (a bias of 0.03 would
    still fail). Size over 1000 (the binomial sd of a 5% rejection rate is 0.7 pp at 1000 draws
    against 1.0 pp at 500, so a correct test stays inside 3-7%). The window has 40 months, so
    conformal p-values are multiples of 1/40 and p <= 0.05 is exactly the top 2."""
    y, months = destination_panels(100, beta2=0.15)
    coefs, _ = _run(y, months)
    bias = coefs.mean() - 0.15
    assert abs(bias) < 0.02, bias
    y0, _ = destination_panels(1000, beta2=0.0, seed=41)
    _, p0 = _run(y0, months)
    size = float(np.mean(p0 <= 0.05))
    assert 0.03 <= size <= 0.07, size


# --------------------------------------------------------------------------------------------
# coverage of a deal by the origin's own export series, and the after-deals blocks
# --------------------------------------------------------------------------------------------
def _exports(last: str, origin: str = "XXX") -> pd.DataFrame:
    """SIMULATED monthly exports of ``origin`` to the US from 2025-01 to ``last``, plus rows the
    coverage must ignore (other partner, imports, annual, another reporter) that reach later."""
    rows = [{"reporter": origin, "partner": "USA", "flow": "export", "freq": "M", "month": m,
             "source": "own_src", "value_usd": 1.0}
            for m in pd.date_range("2025-01-01", last, freq="MS")]
    late = pd.Timestamp("2026-03-01")
    for change in ({"partner": "CAN"}, {"flow": "import"}, {"freq": "A"}, {"reporter": "YYY"}):
        rows.append({**rows[0], "month": late, "source": "other_src", **change})
    return pd.DataFrame(rows)


def test_deal_coverage_counts_the_days_after_the_deal(monkeypatch):
    from autotariffs import design

    monkeypatch.setattr(design, "DEALS", {
        "X": design.Event("2025-10-03", "test deal", ("XXX",)),
        "Z": design.Event("2025-01-01", "a deal of nobody here", None)})
    # 2025-10-03..31 (29 days) + November (30) + December (31) = 90 days: three months count
    assert deals.deal_coverage(_exports("2025-12-01"), "XXX") == {
        "last_month": "2025-12", "deal_date": "2025-10-03", "deal_month": "2025-10",
        "post_deal_days_observed": 90, "identifies": True, "source": "own_src",
        "note": "the export series ends 2025-12, 90 days after the 2025-10-03 deal"}
    short = deals.deal_coverage(_exports("2025-11-01"), "XXX")
    assert short["post_deal_days_observed"] == 59 and short["identifies"] is False
    # a series that ends before the deal observes no day of it
    assert deals.deal_coverage(_exports("2025-08-01"), "XXX")["post_deal_days_observed"] == 0
    # no deal for the origin, or no series of its own: nothing to say
    assert deals.deal_coverage(_exports("2025-12-01", origin="QQQ"), "QQQ") is None
    assert deals.deal_coverage(_exports("2025-12-01"), "YYY") is None


def test_after_deals_blocks(flows, results):
    kor = deals.after_deals(flows, "KOR")  # Korea's own exports by destination: the cut
    assert list(kor) == ["deal_cut"] and kor["deal_cut"]["coef"] == results["coef"]
    assert kor["deal_cut"]["variants"].keys() == results["variants"].keys()
    jpn = deals.after_deals(flows, "JPN")  # Japan's series to the US only: its coverage
    assert jpn == {"deal_coverage": deals.deal_coverage(flows, "JPN")}
    assert jpn["deal_coverage"]["last_month"] == "2025-09"
    assert deals.after_deals(flows, "GBR") == {}


def test_after_deals_table_keeps_the_scalars_of_each_block():
    t = deals.after_deals_table({"a": {"x": 1.5, "s": "text", "l": [1], "d": {"k": 1}},
                                 "b": {"x": 2.0}})
    assert list(t.columns) == ["a", "b"] and sorted(t.index) == ["s", "x"]
    assert t.loc["x", "a"] == 1.5 and t.loc["x", "b"] == 2.0 and t.loc["s", "a"] == "text"
    assert pd.isna(t.loc["s", "b"])


def test_event_study_standard_errors_are_the_dummy_regression(wide):
    """The event study's coefficients, iid SEs and t intervals equal statsmodels OLS with
    destination, month and US x month dummies (the reference month's dummy left out)."""
    import statsmodels.api as sm
    from scipy import stats

    es = deals.event_study(wide)
    d = wide.stack(future_stack=True).rename("y").reset_index()
    d.columns = ["month", "dest", "y"]
    X = pd.get_dummies(d[["dest"]].assign(m=d["month"].dt.strftime("%Y-%m")), drop_first=True,
                       dtype=float)
    names = []
    for m in wide.index:
        if m != pd.Timestamp("2025-03-01"):
            X[f"us_{m:%Y_%m}"] = ((d["dest"] == "USA") & (d["month"] == m)).astype(float)
            names.append(f"us_{m:%Y_%m}")
    fit = sm.OLS(d["y"], sm.add_constant(X)).fit()
    got = es.set_index("month")
    for n in names:
        m = pd.Timestamp(f"{n[3:7]}-{n[8:10]}-01")
        assert got.loc[m, "coef"] == pytest.approx(fit.params[n], abs=1e-9)
        assert got.loc[m, "se_iid"] == pytest.approx(fit.bse[n], rel=1e-6)
        half = stats.t.ppf(0.975, fit.df_resid) * fit.bse[n]
        assert got.loc[m, "ci95_low"] == pytest.approx(fit.params[n] - half, rel=1e-6)
        assert got.loc[m, "ci95_high"] == pytest.approx(fit.params[n] + half, rel=1e-6)
    ref = got.loc[pd.Timestamp("2025-03-01")]
    assert (ref["coef"], ref["se_iid"], ref["ci95_low"], ref["ci95_high"]) == (0, 0, 0, 0)
    assert es.attrs["n_obs"] == 5 * 18 and es.attrs["ref"] == "2025-03"
    assert es.attrs["treated"] == "USA" and es.attrs["controls"] == ["CAN", "DEU", "AUS", "SAU"]
    assert (es["event"] != "").sum() == 2
    other = deals.event_study(wide, controls=["CAN", "DEU"], ref="2025-06",
                              events={"2025-08-15": "x"})
    assert other.attrs["ref"] == "2025-06" and other.attrs["n_obs"] == 3 * 18
    assert other.set_index("month")["event"].to_dict()[pd.Timestamp("2025-08-01")] == "x"
    assert (other["event"] != "").sum() == 1
    with pytest.raises(ValueError, match="reference month 2024-01 not in the window"):
        deals.event_study(wide, ref="2024-01")


def _kcs(rows: list[tuple[str, str, float]], **extra) -> pd.DataFrame:
    """SIMULATED flows of the KCS source: (month, partner, value)."""
    return pd.DataFrame([{"source": deals.SOURCE, "reporter": "KOR", "flow": "export",
                          "month": pd.Timestamp(m), "partner": p, "value_usd": v, **extra}
                         for m, p, v in rows])


def test_destination_wide_and_rest_of_world_by_hand():
    rows = [("2025-01-01", "USA", 100.0), ("2025-01-01", "CAN", 10.0),
            ("2025-02-01", "USA", 0.0), ("2025-02-01", "CAN", 20.0),
            ("2025-04-01", "USA", 50.0),  # 2025-03 missing
            ("2024-12-01", "USA", 7.0),  # before the window
            ("2025-01-01", "WLD", 150.0), ("2025-02-01", "WLD", 30.0),
            ("2025-04-01", "WLD", 40.0)]  # WORLD below the US: no rest of world
    f = _kcs(rows)
    w = deals.destination_wide(f, destinations=("USA", "CAN"), start="2025-01", end="2025-04")
    assert list(w.columns) == ["USA", "CAN"] and w.index.name == "month"
    assert w.columns.name == "destination"
    assert list(w.index) == list(pd.date_range("2025-01-01", "2025-04-01", freq="MS"))
    assert w.loc["2025-01-01", "USA"] == pytest.approx(np.log(100.0))
    assert w.loc["2025-02-01", "CAN"] == pytest.approx(np.log(20.0))
    assert np.isnan(w.loc["2025-02-01", "USA"])  # a zero is not logged, not filled
    assert w.loc["2025-03-01"].isna().all() and np.isnan(w.loc["2025-04-01", "CAN"])
    row = deals.rest_of_world(f, start="2025-01", end="2025-04")
    assert row.name == "ROW"
    assert row.loc["2025-01-01"] == pytest.approx(np.log(50.0))
    assert row.loc["2025-02-01"] == pytest.approx(np.log(30.0))  # the US zero: WLD - 0
    assert np.isnan(row.loc["2025-03-01"]) and np.isnan(row.loc["2025-04-01"])
    with pytest.raises(ValueError, match=r"no flows of source 'other' for \['USA', 'CAN'\]"):
        deals.destination_wide(f, destinations=("USA", "CAN"), source="other")
    with pytest.raises(ValueError, match="must hold Korea-reported exports only"):
        deals.destination_wide(f.assign(reporter="JPN"), destinations=("USA", "CAN"))
    with pytest.raises(ValueError, match="must hold Korea-reported exports only"):
        deals.destination_wide(f.assign(flow="import"), destinations=("USA", "CAN"))


def test_cut_record_placebos_and_step_by_hand(results, raw):
    """The cut's placebo ranks by hand: fake 3-month cuts at 2025-07 (pre 05-06) and 2025-08
    (pre 05-07), level DiDs of the raw gap; p = (1 + #{|placebo| >= |actual|}) / 3."""
    g = np.log(raw["USA"]) - np.log(raw[["CAN", "DEU", "AUS", "SAU"]]).mean(axis=1)
    actual = _did(g, ("2025-05", "2025-10"), ("2025-11", "2026-06"))
    fake = [_did(g, ("2025-05", "2025-06"), ("2025-07", "2025-09")),
            _did(g, ("2025-05", "2025-07"), ("2025-08", "2025-10"))]
    assert results["p_placebo"] == pytest.approx((1 + sum(abs(x) >= abs(actual) for x in fake)) / 3)
    assert results["min_p_placebo"] == pytest.approx(1 / 3) and results["n_perm"] == 14
    assert (results["event"], results["donut"], results["treated"]) == ("2025-11", 0, "USA")
    assert results["controls"] == ["CAN", "DEU", "AUS", "SAU"]
    assert results["notes"] == [
        "window 2025-05..2026-06: after the 2025-04 step's transition month",
        "conformal p cannot fall below 0.071 (14 time permutations)",
        "2 in-time placebos of 3 months",
        "FOB export value (no quantities); ~1 month shipping; deal known from July 2025"]
    step = results["step"]
    assert step["n_post"] == 6 and step["pre_months"] == ["2025-01", "2025-03"]
    assert step["post_months"] == ["2025-05", "2025-10"]
    assert step["note"] == "only three pre months (2025-01..03): no pre-trend test possible"
    assert step["min_p_conformal"] == pytest.approx(1 / 9)  # 3 + 6 months
    el = results["elasticity"]
    assert el["step_elasticity"] == pytest.approx(step["coef"] / np.log(1.25))
    assert el["cut_elasticity"] == pytest.approx(results["coef"] / np.log(1.15 / 1.25))


def test_implied_elasticities_edge_cases():
    d1, d2 = np.log(1.25), np.log(1.15 / 1.25)
    e = deals.implied_elasticities(-0.3, 0.1)  # both negative elasticities: pooled through 0
    pooled = np.linalg.lstsq(np.array([[d1], [d2]]), np.array([-0.3, 0.1]), rcond=None)[0][0]
    assert e["signs_agree"] and e["pooled_elasticity"] == pytest.approx(pooled)
    flat = deals.implied_elasticities(-0.3, 0.1, rates=(25.0, 25.0, 15.0))  # no step
    assert flat["step_dln1p_tau"] == 0 and np.isnan(flat["step_elasticity"])
    assert not flat["signs_agree"] and np.isnan(flat["pooled_elasticity"])
    no_cut = deals.implied_elasticities(-0.3, 0.1, rates=(0.0, 25.0, 25.0))
    assert np.isnan(no_cut["cut_elasticity"]) and not no_cut["signs_agree"]
    zero = deals.implied_elasticities(0.0, 0.0)  # no response to either: not "agreeing"
    assert zero["step_elasticity"] == 0 and not zero["signs_agree"]


def test_value_weights_drop_a_month_with_a_missing_control(wide):
    w = wide.copy()
    w.loc["2025-06-01", "DEU"] = np.nan
    r = deals.cut_estimate(w, "vw", ["CAN", "DEU"], deals.cut_window(), weights=[1.0, 3.0])
    assert r.estimate.n_dropped_missing == 1 and r.estimate.n_pre == 5
    # by hand: USA minus the 1:3 weighted controls, 2025-06 left out
    g = w["USA"] - (0.25 * w["CAN"] + 0.75 * w["DEU"])
    g = g.drop(pd.Timestamp("2025-06-01"))
    assert r.coef == pytest.approx(_did(g, ("2025-05", "2025-10"), ("2025-11", "2026-06")))


def test_event_study_note_and_one_residual_degree_of_freedom(wide):
    from scipy import stats

    es = deals.event_study(wide)
    assert es.attrs["note"] == (
        "coefficients = (treated - mean of controls) gap relative to the reference month; iid "
        "SEs use the controls' residual variance and are descriptive with one treated "
        "destination")
    # two months, two controls: 6 rows, 5 parameters, one residual degree of freedom
    two = deals.event_study(wide.loc["2025-02-01":"2025-03-01"], controls=["CAN", "DEU"])
    row = two.set_index("month").loc[pd.Timestamp("2025-02-01")]
    assert row["ci95_high"] - row["coef"] == pytest.approx(stats.t.ppf(0.975, 1) * row["se_iid"])


def test_deal_coverage_of_a_one_month_series(monkeypatch):
    from autotariffs import design

    monkeypatch.setattr(design, "DEALS", {"X": design.Event("2025-10-03", "test", ("XXX",))})
    one = _exports("2025-01-01")
    one = one[(one["partner"] == "USA") & (one["flow"] == "export") & (one["freq"] == "M")
              & (one["reporter"] == "XXX")]
    c = deals.deal_coverage(one, "XXX")
    assert c["last_month"] == "2025-01" and c["post_deal_days_observed"] == 0
    assert c["source"] == "own_src"


def test_the_cut_interval_on_a_longer_simulated_window():
    """30 months (22 before the cut): p can fall below 5%, so the interval is bounded; it holds
    the simulated +0.2 and narrows at alpha = 0.10. The variants use the same window."""
    months = pd.date_range("2024-01-01", "2026-06-01", freq="MS")
    rng = np.random.default_rng(3)
    panel = pd.DataFrame(20 + rng.normal(0, 0.02, (len(months), 5)), index=months, columns=DESTS)
    panel.loc[months >= pd.Timestamp("2025-11-01"), "USA"] += 0.2
    win = Window("2025-11", "2024-01", 0, "2026-06")
    cut = deals.deal_cut(panel, window=win)
    d = cut.to_dict()
    assert d["ci95_low"] < 0.2 < d["ci95_high"] and np.isfinite([d["ci95_low"], d["ci95_high"]]).all()
    assert d["min_p_conformal"] == pytest.approx(1 / 30)
    narrow = deals.deal_cut(panel, window=win, alpha=0.10).to_dict()
    assert d["ci95_low"] < narrow["ci95_low"] < narrow["ci95_high"] < d["ci95_high"]
    assert deals.deal_cut(panel, window=win, ci=False).to_dict()["ci95_low"] is None
    assert d["variants"]["drop_CAN"]["pre_months"] == ["2024-01", "2025-10"]
    # the placebos rank the main estimate itself
    assert cut.placebos.actual == pytest.approx(cut.main.coef)
    assert d["variants"]["only_DEU"]["p_conformal"] == cut.variants["only_DEU"].test.p


def test_variants_default_to_the_cut_window(wide, results):
    v = deals.cut_variants(wide)
    assert v["drop_CAN"].coef == pytest.approx(results["variants"]["drop_CAN"]["coef"])
    assert v["drop_CAN"].to_dict()["p_conformal"] == results["variants"]["drop_CAN"]["p_conformal"]


def test_small_and_zero_values_by_hand():
    rows = [("2025-01-01", "USA", 0.5), ("2025-01-01", "CAN", 2.0), ("2025-01-01", "WLD", 1.0),
            ("2025-02-01", "USA", 3.0), ("2025-02-01", "CAN", 2.0), ("2025-02-01", "WLD", 3.0)]
    f = _kcs(rows)
    w = deals.destination_wide(f, destinations=("USA", "CAN"), start="2025-01", end="2025-02")
    assert w.loc["2025-01-01", "USA"] == pytest.approx(np.log(0.5))  # below 1 is still logged
    row = deals.rest_of_world(f, start="2025-01", end="2025-02")
    assert len(row) == 2 and row.loc["2025-01-01"] == pytest.approx(np.log(0.5))
    assert np.isnan(row.loc["2025-02-01"])  # WORLD equal to the US: nothing else, not log 0
    with pytest.raises(ValueError) as err:
        deals.destination_wide(f, destinations=("USA", "WLD"))
    assert str(err.value) == ("WLD (Korea's total exports) contains every destination: "
                              "exclude it")
