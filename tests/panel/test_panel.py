"""build_panel on small hand-made (SIMULATED, not Comtrade) flows / tariffs / fx frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from autotariffs.panel import build as pn

MONTHS = pd.date_range("2022-01-01", "2024-03-01", freq="MS")  # 27 months
ORIGINS = ["MEX", "JPN", "KOR"]  # deliberately unsorted


def _flows():
    rows = []
    for i, o in enumerate(ORIGINS):
        for t, m in enumerate(MONTHS):
            rows.append(
                {
                    "reporter": "USA", "partner": o, "is_bloc": False, "hs_code": "8703",
                    "hs_level": 4, "freq": "M", "month": m, "n_months": 1,
                    "value_usd": 1e9 * (i + 1) + 1e7 * t, "value_basis": "cif",
                    "quantity": 40000.0 * (i + 1) + 100.0 * t, "quantity_unit": "u",
                    "duties_usd": np.nan, "dutiable_value_usd": np.nan, "flow": "import",
                    "programme": "", "source": "comtrade_m_8703", "file": "sim.csv",
                }
            )  # fmt: skip
    for t, m in enumerate(MONTHS):
        rows.append(
            {
                "reporter": "JPN", "partner": "USA", "is_bloc": False, "hs_code": "8703",
                "hs_level": 4, "freq": "M", "month": m, "n_months": 1,
                "value_usd": 3e9 + 1e6 * t, "value_basis": "fob", "quantity": 100000.0 + t,
                "quantity_unit": "u", "duties_usd": np.nan, "dutiable_value_usd": np.nan,
                "flow": "export", "programme": "", "source": "comtrade_jpn_exp", "file": "m.csv",
            }
        )  # fmt: skip
    # a row of another source that must be ignored
    rows.append({**rows[0], "source": "comtrade_a_8703", "freq": "A", "value_usd": 1.0})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def _tariffs():
    rows = []
    for o in ORIGINS + ["DEU"]:
        for m in MONTHS:
            rate = {"MEX": 0.0, "JPN": 2.5, "KOR": 0.0, "DEU": 2.5}[o]
            if m >= pd.Timestamp("2024-01-01"):
                rate += {"MEX": 10.0, "JPN": 25.0, "KOR": 25.0, "DEU": 25.0}[o]
            for prod in ("8703", "8708"):
                rows.append({"month": m, "origin": o, "product": prod, "rate_pct": rate})
    return pd.DataFrame(rows)


def _fx():
    rows = []
    for m in MONTHS:
        for cur, iso, lvl in (("JPY", "JPN", 140.0), ("MXN", "MEX", 18.0), ("KRW", "KOR", 1300.0),
                              ("EUR", "DEU;FRA", 0.9)):  # fmt: skip
            rows.append({"month": m, "currency": cur, "iso3": iso, "lcu_per_usd": lvl, "n_days": 21})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def built():
    return pn.build_panel(_flows(), _tariffs(), _fx(), start="2022-01", end="2024-03")


def test_shape_sort_and_keys(built):
    assert len(built) == 3 * 27
    assert list(built["origin"].unique()) == ["JPN", "KOR", "MEX"]
    assert built.equals(built.sort_values(["origin", "month"]).reset_index(drop=True))
    assert not built.duplicated(["origin", "month"]).any()
    assert (built["data_source"] == "comtrade_m_8703").all()


def test_values_by_hand(built):
    r = built[(built["origin"] == "KOR") & (built["month"] == "2024-02-01")].iloc[0]
    t = 25  # 2024-02 is the 26th month
    v, q = 3e9 + 1e7 * t, 120000.0 + 100.0 * t
    assert r["uv"] == pytest.approx(v / q, rel=1e-12)
    assert r["tau"] == pytest.approx(0.25)
    assert r["ln1p_tau"] == pytest.approx(math.log(1.25))
    assert r["ln_uv_dutyinc"] == pytest.approx(math.log(v / q * 1.25))
    assert r["ln_fx"] == pytest.approx(math.log(1300.0))
    q_lag = 120000.0 + 100.0 * (t - 12)
    assert r["d12_ln_q"] == pytest.approx(math.log(q) - math.log(q_lag))
    assert r["d12_ln1p_tau"] == pytest.approx(math.log(1.25))
    assert r["moy"] == 2 and r["k"] == (2024 - 2025) * 12 + 2 - 4 and not r["post"]
    first_year = built[built["month"] < "2023-01-01"]
    assert first_year["d12_ln_q"].isna().all()


def test_mirror_only_on_japan(built):
    j = built[(built["origin"] == "JPN") & (built["month"] == "2023-03-01")].iloc[0]
    t = 14
    assert j["mirror_uv"] == pytest.approx((3e9 + 1e6 * t) / (100000.0 + t))
    assert j["d12_ln_mirror_v"] == pytest.approx(math.log(3e9 + 1e6 * t) - math.log(3e9 + 1e6 * 2))
    assert built.loc[built["origin"] != "JPN", "mirror_v"].isna().all()


def test_qty_estimated_flag_2022_all_origins(built):
    # every 2022 monthly quantity in the Comtrade file is fractional (a Comtrade estimate) for all
    # five origins, so the whole of 2022 is flagged for each origin present, and nothing else
    flag = built.set_index(["origin", "month"])["qty_estimated_2022"]
    assert flag.loc[("JPN", pd.Timestamp("2022-05-01"))]
    assert flag.loc[("MEX", pd.Timestamp("2022-12-01"))]
    assert flag.loc[("KOR", pd.Timestamp("2022-05-01"))]
    assert not flag.loc[("JPN", pd.Timestamp("2023-01-01"))]
    n_origins_2022 = built.loc[built["month"].dt.year == 2022, "origin"].nunique()
    assert int(flag.sum()) == 12 * n_origins_2022


def test_start_uses_earlier_months_for_d12():
    p = pn.build_panel(_flows(), _tariffs(), _fx(), start="2023-01", end="2023-12")
    assert len(p) == 36 and p["month"].min() == pd.Timestamp("2023-01-01")
    assert p["d12_ln_v"].notna().all()


def test_deterministic(built):
    again = pn.build_panel(_flows().iloc[::-1], _tariffs(), _fx(), start="2022-01", end="2024-03")
    pd.testing.assert_frame_equal(built, again)


def test_duplicate_flow_rows_are_named():
    f = _flows()
    f = pd.concat([f, f[(f["partner"] == "KOR") & (f["source"] == "comtrade_m_8703")].head(1)])
    with pytest.raises(pn.PanelError, match="duplicate.*KOR"):
        pn.build_panel(f, _tariffs(), _fx())


def test_missing_tariff_cell_is_named():
    tr = _tariffs()
    tr = tr[~((tr["origin"] == "KOR") & (tr["month"] == "2023-05-01"))]
    with pytest.raises(pn.PanelError, match=r"KOR.*2023-05-01"):
        pn.build_panel(_flows(), tr, _fx(), start="2022-01", end="2024-03")


def test_tau_above_one_violates_contract():
    tr = _tariffs()
    tr.loc[(tr["origin"] == "MEX") & (tr["month"] == "2024-03-01"), "rate_pct"] = 150.0
    with pytest.raises(pn.PanelError, match=r"column=tau.*in_range.*1\.5"):
        pn.build_panel(_flows(), tr, _fx(), start="2022-01", end="2024-03")


def test_negative_value_violates_contract():
    f = _flows()
    idx = f.index[(f["partner"] == "JPN") & (f["source"] == "comtrade_m_8703")][0]
    f.loc[idx, "value_usd"] = -5.0
    with pytest.raises(pn.PanelError, match=r"column=value_usd.*-5\.0"):
        pn.build_panel(f, _tariffs(), _fx(), start="2022-01", end="2024-03")


def test_missing_columns_and_empty_source():
    with pytest.raises(pn.PanelError, match="tariffs_monthly.*rate_pct"):
        pn.build_panel(_flows(), _tariffs().drop(columns="rate_pct"), _fx())
    with pytest.raises(pn.PanelError, match="no monthly US import rows"):
        pn.build_panel(_flows(), _tariffs(), _fx(), source="census")
    with pytest.raises(pn.PanelError, match="source="):
        pn.build_panel(_flows(), _tariffs(), _fx(), source="wto")


def test_census_hs10_panel():
    f = _flows()
    f = f[f["source"] == "comtrade_m_8703"].copy()
    a, b = f.copy(), f.copy()
    a["hs_code"], b["hs_code"] = "8703230110", "8703240130"
    b["value_usd"] *= 2
    hs10 = pd.concat([a, b]).assign(source="census_hs10_m", hs_level=10)
    p = pn.build_panel(hs10, _tariffs(), _fx(), source="census", start="2022-01", end="2024-03")
    assert len(p) == 2 * 3 * 27 and "hs_code" in p.columns
    assert not p.duplicated(["origin", "hs_code", "month"]).any()
    assert p["mirror_v"].isna().all()
