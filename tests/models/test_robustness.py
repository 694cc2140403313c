"""The robustness table (05) as built: every row is a different fit.

A referee reading "Poisson PML" beside "Poisson PML with absorbed FE" expects two specifications;
both rows were the same fepois fit (same coefficient, same sample), differing only in the CRV1
small-sample factor. Rows with the same outcome, sample size and coefficient are one fit shown
twice. The specification list: ids stable under label changes, each spec fitted on its sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.models import elasticity as el
from autotariffs.models import robustness as rob


def test_no_fit_is_shown_twice_under_two_labels():
    table = pd.read_csv(paths.TABLES / "robustness.csv")
    assert len(table) > 10, "run make first (05_robustness)"
    key = table.assign(coef=table["coef"].round(10))[["outcome", "n_obs", "coef"]]
    dup = table[key.duplicated(keep=False)]
    assert dup.empty, dup[["check", "variant", "outcome", "coef", "n_obs"]].to_string()


def test_ppml_rows_say_what_was_dropped():
    table = pd.read_csv(paths.TABLES / "robustness.csv")
    ppml = table[table["check"] == "PPML"]
    assert len(ppml) == 2 and set(ppml["outcome"]) == {"quantity", "value_usd"}
    assert ppml["note"].str.contains("dropped: ").all()


# ---- the specification list (models.robustness.specifications) ----------------------------------


def test_ids_are_unique_and_do_not_follow_the_labels():
    """A caption edit or another placebo date must not rename a result."""
    a = rob.specifications(shares=[0.3, 0.7])
    b = rob.specifications(start="2019-01", end="2025-05", placebo_date="2023-10-01",
                           shares=[0.3, 0.7])
    assert len({s.id for s in a}) == len(a) == 24
    assert [s.id for s in a] == [s.id for s in b]
    assert [s.label for s in a] != [s.label for s in b]  # the labels did change
    assert {s.id for s in a} >= {"pooled_ln_q", "placebo_ln_q", "KOR_without_MEX_ln_q",
                                 "usmca_share_30_ln_uv", "ppml_value"}


def test_run_all_fits_each_spec_on_its_own_sample(shipped_panel):
    specs = [rob.Spec("w", "window", "from 2021", "ln_q", rob.Sample("2021-01", "2025-07")),
             rob.Spec("g2", "leave one control out", "KOR vs CAN", "ln_q",
                      rob.Sample("2020-01", "2025-07", origin="KOR", controls=("CAN",)))]
    res = rob.run_all(shipped_panel, specs, n_boot=999, seed=1)
    direct = el.import_demand(shipped_panel, "q", "levels", start="2021-01", end="2025-07",
                              n_boot=999, seed=1, progress=False)
    out = res.to_dict()
    assert out["w"]["coef"] == direct["coef"] and out["w"]["n_obs"] == direct["n_obs"]
    assert out["w"]["p_wild"] == direct["p_wild"]
    # one treated origin against one control: no CRV1 interval or wild p-value is reported
    g2 = out["g2"]
    assert g2["n_clusters"] == 2 and np.isnan(g2["ci95_low"]) and np.isnan(g2["p_wild"])
    assert list(res.table()["variant"]) == ["from 2021", "KOR vs CAN"]


def test_run_all_refuses_duplicate_ids_and_missing_share_panels(shipped_panel):
    s = rob.Spec("x", "window", "a", "ln_q", rob.Sample("2021-01"))
    with pytest.raises(ValueError, match="unique"):
        rob.run_all(shipped_panel, [s, s])
    share = rob.Spec("y", "USMCA content share", "b", "ln_q", rob.Sample("2021-01", panel=0.3))
    with pytest.raises(ValueError, match="no panel 0.3"):
        rob.run_all(shipped_panel, [share])


# ---- the parts, by hand ---------------------------------------------------------------------------


def test_interval_note_by_cluster_count():
    none = rob.interval_note({"n_clusters": 2, "ci95_low": np.nan, "ci95_high": 0.1})
    assert none == ("none: G = 2 clusters (one treated origin, one control); the CRV1 variance "
                    "is identically zero or undefined, so no interval or CRV1/wild p-value is "
                    "shown")
    assert rob.interval_note({"n_clusters": 3, "ci95_low": -1.0, "ci95_high": np.inf}).startswith(
        "none: G = 3 clusters")
    assert rob.interval_note({"n_clusters": None}).startswith("none: G = 0 clusters")
    assert rob.interval_note({"n_clusters": 3, "ci95_low": -1.0, "ci95_high": 0.5}) == (
        "CRV1, G = 3: one treated origin, invalid by design (shown only to compare "
        "specifications; see the appendix tables)")
    assert rob.interval_note({"n_clusters": 4, "ci95_low": -1.0, "ci95_high": 0.5}) == (
        "CRV1, G = 4: few clusters, over-rejects; read with the wild and RI p-values")


def test_placebo_panel_moves_the_step_back_and_keeps_pre_event_months():
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    rows = [{"origin": o, "month": m, "ln1p_tau": (i + 1) / 100 + (o == "A"), "y": float(i)}
            for o in ("B", "A") for i, m in enumerate(months)]
    p = rob.placebo_panel(pd.DataFrame(rows), "2024-06-15", event=pd.Timestamp("2025-04-01"))
    # 10 months earlier: 2024-06 gets 2025-04's duty; only months before 2025-04 are kept
    assert list(p["origin"].unique()) == ["A", "B"] and list(p.index) == list(range(30))
    a = p[p["origin"] == "A"].set_index("month")
    assert a.index.max() == pd.Timestamp("2025-03-01") and len(a) == 15
    assert a.loc["2024-06-01", "ln1p_tau"] == pytest.approx(1 + 16 / 100)  # 2025-04 is month 16
    assert a.loc["2024-01-01", "ln1p_tau"] == pytest.approx(1 + 11 / 100)  # 2024-11
    assert a.loc["2024-08-01", "ln1p_tau"] == pytest.approx(1 + 18 / 100)  # 2025-06, the last
    assert a.loc["2024-09-01":, "ln1p_tau"].isna().all()  # beyond the data: no duty known
    assert a.loc["2024-06-01", "y"] == 5.0  # the outcome stays where it was


def test_sample_restrict_leaves_out_open_restrictions():
    assert rob.Sample("2021-01").restrict() == {"start": "2021-01"}
    assert rob.Sample("2021-01", "2025-06", origin="KOR", controls=("MEX",)).restrict() == {
        "origin": "KOR", "controls": ["MEX"], "start": "2021-01", "end": "2025-06"}
    assert rob.Sample(None).restrict() == {}


def test_the_specification_list_in_table_order():
    specs = rob.specifications(shares=[0.7, 0.3])
    S = rob.Sample
    base, moved = S("2020-01", "2025-07"), "tariff step moved to 2024-04-03"
    want = [
        ("pooled_ln_q", "baseline", "pooled, levels", "ln_q", base, "ALL", ""),
        ("pooled_ln_v", "outcome", "pooled, value", "ln_v", base, "ALL", ""),
        ("pooled_d12_ln_q", "form", "pooled, 12-month differences", "d12_ln_q", base, "ALL", ""),
        ("pooled_ln_uv", "baseline", "pooled, levels", "ln_uv (pass-through)", base, "ALL", ""),
    ]
    for wid, s, e, label in [("from_2021", "2021-01", "2025-07", "from 2021 (drop COVID 2020)"),
                             ("from_2023", "2023-01", "2025-07",
                              "from 2023 (drop 2022 estimated quantities)"),
                             ("to_2025_06", "2020-01", "2025-06", "to 2025-06")]:
        want += [(f"window_{wid}_ln_q", "window", label, "ln_q", S(s, e), "ALL", ""),
                 (f"window_{wid}_ln_uv", "window", label, "ln_uv (pass-through)", S(s, e),
                  "ALL", "")]
    pl = S("2020-01", placebo="2024-04-03")
    note = "pre-treatment sample only; expect no effect"
    want += [("placebo_ln_q", "placebo", moved, "ln_q", pl, "ALL", note),
             ("placebo_ln_uv", "placebo", moved, "ln_uv (pass-through)", pl, "ALL", note)]
    g2 = "G = 2: cluster-robust inference is not meaningful"
    for o in ("KOR", "JPN"):
        want += [
            (f"{o}_vs_controls_ln_q", "origin vs controls", f"{o} vs MEX, CAN", "ln_q",
             S("2020-01", "2025-07", origin=o, controls=("MEX", "CAN")), o, ""),
            (f"{o}_without_MEX_ln_q", "leave one control out", f"{o} vs CAN (drop MEX)", "ln_q",
             S("2020-01", "2025-07", origin=o, controls=("CAN",)), o, g2),
            (f"{o}_without_CAN_ln_q", "leave one control out", f"{o} vs MEX (drop CAN)", "ln_q",
             S("2020-01", "2025-07", origin=o, controls=("MEX",)), o, g2)]
    for s in (0.3, 0.7):  # sorted
        want += [(f"usmca_share_{round(100 * s)}_ln_q", "USMCA content share",
                  f"non-US share {s:.2f}", "ln_q", S("2020-01", "2025-07", panel=s), "ALL", ""),
                 (f"usmca_share_{round(100 * s)}_ln_uv", "USMCA content share",
                  f"non-US share {s:.2f}", "ln_uv (pass-through)",
                  S("2020-01", "2025-07", panel=s), "ALL", "")]
    ppml = "Santos Silva-Tenreyro check on log-linear bias; dropped: "
    want += [("ppml_quantity", "PPML", "Poisson PML, vehicles", "quantity", base, "ALL", ppml),
             ("ppml_value", "PPML", "Poisson PML, value", "value_usd", base, "ALL", ppml)]
    got = [(s.id, s.check, s.label, s.outcome, s.sample, s.origin, s.note) for s in specs]
    assert got == want
    assert [s.id for s in specs if s.says_dropped] == ["ppml_quantity", "ppml_value"]
    assert rob.specifications(controls=("MEX",), origins=("KOR",))[12].id == "KOR_vs_controls_ln_q"
    assert not any("without" in s.id for s in rob.specifications(controls=("MEX",)))
    assert rob.specifications(shares=[0.05])[-4].id == "usmca_share_05_ln_q"


def _spec(**kw) -> rob.Spec:
    return rob.Spec(**{"id": "x", "check": "PPML", "label": "lbl", "outcome": "quantity",
                       "sample": rob.Sample("2021-01"), **kw})


def test_a_row_from_an_estimator_result():
    r = {"coef": -1.5, "ci95_low": -2.0, "ci95_high": -1.0, "p_crv1": 0.01, "p_wild": 0.2,
         "p_ri": 0.3, "n_clusters": 5, "n_obs": 100, "sample_start": "2021-01",
         "sample_end": "2025-07", "spec": "ln q ~ ln1p_tau", "n_dropped": {"all_zero": 3}}
    row = rob.Row.of(_spec(note="dropped: ", says_dropped=True), r)
    assert row.table_row() == {
        "check": "PPML", "variant": "lbl", "origin": "ALL", "outcome": "quantity", "coef": -1.5,
        "ci95_low": -2.0, "ci95_high": -1.0, "p_crv1": 0.01, "p_wild": 0.2, "p_ri": 0.3,
        "n_clusters": 5, "n_obs": 100, "sample_start": "2021-01", "sample_end": "2025-07",
        "specification": "ln q ~ ln1p_tau",
        "interval": "CRV1, G = 5: few clusters, over-rejects; read with the wild and RI p-values",
        "note": "dropped: all zero 3"}
    assert row.to_dict() == {"coef": -1.5, "ci95_low": -2.0, "ci95_high": -1.0, "p_wild": 0.2,
                             "p_ri": 0.3, "n_clusters": 5, "n_obs": 100}
    assert rob.Row.of(_spec(note="n"), r).note == "n"  # nothing appended unless asked
    # two clusters, or a zero-width interval: no interval, CRV1 or wild p-value
    for bad in ({"n_clusters": 2}, {"ci95_low": -1.0}):
        b = rob.Row.of(_spec(), {**r, **bad})
        assert np.isnan([b.ci95_low, b.ci95_high, b.p_crv1, b.p_wild]).all()
        assert b.coef == -1.5 and b.p_ri == 0.3
    bare = rob.Row.of(_spec(), {k: r[k] for k in ("coef", "ci95_low", "ci95_high", "p_crv1",
                                                  "n_clusters", "n_obs")})
    assert np.isnan(bare.p_wild) and np.isnan(bare.p_ri)
    assert (bare.sample_start, bare.sample_end, bare.specification) == ("", "", "")


def test_table_and_summary_lines():
    r = {"coef": -1.23456, "ci95_low": -2.0, "ci95_high": -1.0, "p_crv1": 0.01,
         "p_wild": 0.0004, "p_ri": 0.3, "n_clusters": 5, "n_obs": 100}
    long = "a label that is longer than forty-six characters in all"
    res = rob.Robustness((rob.Row.of(_spec(id="a", check="baseline", label=long,
                                           outcome="ln_uv (pass-through) x"), r),
                          rob.Row.of(_spec(id="b"), {**r, "p_wild": np.nan, "coef": 0.5})))
    assert list(res.table().columns) == rob.COLUMNS and list(res.table()["variant"]) == [long, "lbl"]
    assert res.summary_lines() == [
        f"{'baseline':<22} {long[:46]} {'ln_uv (pass-through)'} -1.235 p_wild=< 0.001 G=5",
        f"{'PPML':<22} {'lbl':<46} {'quantity':<20} +0.500 p_wild=  n/a G=5"]
    assert list(res.to_dict()) == ["a", "b"] and res.to_dict()["b"]["coef"] == 0.5


def test_run_all_hands_each_spec_its_panel_sample_and_bootstrap(monkeypatch):
    """Which data, sample and bootstrap settings reach the estimator of each row."""
    calls = []

    def fake(tag):
        def est(panel, sample, boot):
            calls.append((tag, panel.attrs.get("name", "placebo"), len(panel), sample, boot))
            return {"coef": float(len(calls)), "ci95_low": 0.0, "ci95_high": 1.0, "p_crv1": 0.5,
                    "n_clusters": 5, "n_obs": len(panel)}
        return est

    monkeypatch.setattr(rob, "ESTIMATORS", {"ln_q": fake("q"), "ln_v": fake("v")})
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    base = pd.DataFrame({"origin": "A", "month": months, "ln1p_tau": 0.0})
    base.attrs["name"] = "base"
    share = base.iloc[:3].copy()
    share.attrs["name"] = "share"
    specs = [rob.Spec("p1", "placebo", "l", "ln_q", rob.Sample("2024-01", placebo="2024-06-01")),
             rob.Spec("s", "USMCA content share", "l", "ln_v", rob.Sample("2024-01", panel=0.3)),
             rob.Spec("p2", "placebo", "l", "ln_v", rob.Sample("2024-01", placebo="2024-06-01")),
             rob.Spec("b", "window", "l", "ln_q", rob.Sample("2024-02", "2025-01", origin="A"))]
    res = rob.run_all(base, specs, share_panels={0.3: share}, n_boot=9, seed=4, progress=True)
    boot = {"n_boot": 9, "seed": 4, "progress": True}
    # the placebo panel keeps the months before the event (2025-04): 15 of 18
    assert calls == [("q", "placebo", 15, {"start": "2024-01"}, boot),
                     ("v", "share", 3, {"start": "2024-01"}, boot),
                     ("v", "placebo", 15, {"start": "2024-01"}, boot),
                     ("q", "base", 18, {"origin": "A", "start": "2024-02", "end": "2025-01"}, boot)]
    assert [r.coef for r in res.rows] == [1.0, 2.0, 3.0, 4.0]
    assert [r.spec.id for r in res.rows] == ["p1", "s", "p2", "b"]


def test_each_estimator_is_the_routine_it_names(shipped_panel):
    from autotariffs.models import passthrough as pt

    sample, boot = {"start": "2021-01", "end": "2025-07"}, {"n_boot": 999, "seed": 3,
                                                              "progress": False}
    direct = {
        "ln_q": el.import_demand(shipped_panel, "q", "levels", **sample, **boot),
        "ln_v": el.import_demand(shipped_panel, "v", "levels", **sample, **boot),
        "d12_ln_q": el.import_demand(shipped_panel, "q", "d12", **sample, **boot),
        "ln_uv (pass-through)": pt.passthrough(shipped_panel, "levels", **sample, **boot),
        "quantity": el.ppml_levels(shipped_panel, "quantity", **sample, progress=False),
        "value_usd": el.ppml_levels(shipped_panel, "value_usd", **sample, progress=False),
    }
    assert list(rob.ESTIMATORS) == list(direct)
    for k, want in direct.items():
        got = rob.ESTIMATORS[k](shipped_panel, sample, boot)
        assert (got["coef"], got["n_obs"]) == (want["coef"], want["n_obs"]), k
        assert got.get("p_wild") == want.get("p_wild") or np.isnan(want.get("p_wild", np.nan)), k
    assert len({direct[k]["coef"] for k in direct}) == 6  # six different fits


def test_the_remaining_rules_of_rows_tables_and_run_all(monkeypatch):
    from autotariffs import design

    # one bound missing: no interval; three clusters keep theirs; nothing dropped says "none"
    assert rob.interval_note({"n_clusters": 3, "ci95_low": -1.0}).startswith("none: G = 3")
    r = {"coef": -1.5, "ci95_low": -2.0, "ci95_high": -1.0, "p_crv1": 0.01, "p_wild": 0.2,
         "n_clusters": 3, "n_obs": 100}
    three = rob.Row.of(_spec(), r)
    assert (three.ci95_low, three.ci95_high, three.p_crv1, three.p_wild) == (-2.0, -1.0, 0.01, 0.2)
    assert rob.Row.of(_spec(note="dropped: ", says_dropped=True), r).note == "dropped: none"
    assert list(rob.Robustness(()).table().columns) == rob.COLUMNS
    three_controls = rob.specifications(controls=("MEX", "CAN", "DEU"), origins=("KOR",))
    assert three_controls[13].label == "KOR vs CAN, DEU (drop MEX)"
    with pytest.raises(ValueError) as err:
        rob.run_all(pd.DataFrame(), [_spec(id="x"), _spec(id="x")])
    assert str(err.value) == "robustness specification ids must be unique: ['x', 'x']"
    # defaults reach the estimators; each placebo date gets its own shifted panel
    seen = []

    def est(panel, sample, boot):
        seen.append((int(panel["ln1p_tau"].notna().sum()), boot))
        return {"coef": 0.0, "ci95_low": 0.0, "ci95_high": 1.0, "p_crv1": 0.5, "n_clusters": 5,
                "n_obs": len(panel)}

    monkeypatch.setattr(rob, "ESTIMATORS", {"ln_q": est})
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    base = pd.DataFrame({"origin": "A", "month": months, "ln1p_tau": 0.0})
    rob.run_all(base, [
        rob.Spec("a", "placebo", "l", "ln_q", rob.Sample("2024-01", placebo="2024-06-01")),
        rob.Spec("b", "placebo", "l", "ln_q", rob.Sample("2024-01", placebo="2024-09-01"))])
    # 2025-04 moved to 2024-06 (10 months back): duties known to 2024-08, 8 months; to 2024-09
    # (7 back): to 2024-11, 11 months
    assert [n for n, _ in seen] == [8, 11]
    assert seen[0][1] == {"n_boot": design.N_BOOT, "seed": design.SEED, "progress": False}


def test_placebo_panel_has_no_index_column():
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    p = rob.placebo_panel(pd.DataFrame({"origin": "A", "month": months, "ln1p_tau": 0.0,
                                        "y": 1.0}), "2024-06-01")
    assert list(p.columns) == ["origin", "month", "y", "ln1p_tau"]
