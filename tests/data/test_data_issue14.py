"""Issue 14 data layer: KCS Korea exports by destination, DataWeb CAN/MEX USMCA claims, later FX
vintages. Expected values come from the raw files read independently (csv module) or from the
data documentation (trade PROVENANCE.md sections 11-12), never from this code's output.

Bad-input cases edit a temporary copy of data/raw (simulated corruption) and check that the
error names the file, the column, the file line and the offending value.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data.build import build_all
from autotariffs.data.reconcile import reconciliation_table
from autotariffs.data.schemas import total
from autotariffs.data.sources import dataweb, kcs
from autotariffs.errors import DataContractError

KCS = "trade/kor_exp_8703_by_destination_kcs_monthly_2025-01_2026-06.csv"
CLAIMS = ("trade/us_imp_hs10_8703_can_mex_usmca_claims_dataweb_2024_annual_2025-01_2026-02_"
          "monthly.csv")


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_kcs_jan_oct_2025_to_us_is_24_77bn_raw_and_flows(flows):
    """PROVENANCE section 11: Jan-Oct 2025 Korea -> US = $24.77B (MOTIE release: $24.793B)."""
    rows = _rows(paths.RAW / KCS)
    h = rows[0]
    raw_sum = sum(float(r[h.index("export_value_usd")]) for r in rows[1:]
                  if r[h.index("destination")] == "US" and "202501" <= r[h.index("ym")] <= "202510")
    assert abs(raw_sum / 1e9 - 24.77) <= 0.01
    k = flows[(flows["source"] == "kcs_kor_exp_m") & (flows["partner"] == "USA")
              & flows["month"].between("2025-01-01", "2025-10-01")]
    assert len(k) == 10
    assert abs(k["value_usd"].sum() / 1e9 - 24.77) <= 0.01
    assert k["value_usd"].sum() == pytest.approx(raw_sum, rel=0, abs=0.5)
    # calendar 2025 Korea -> US = $30.12B (PROVENANCE)
    y = flows[(flows["source"] == "kcs_kor_exp_m") & (flows["partner"] == "USA")
              & (flows["month"].dt.year == 2025)]
    assert abs(y["value_usd"].sum() / 1e9 - 30.12) <= 0.01


def test_kcs_flows_are_a_separate_korea_reported_fob_flow(flows):
    k = flows[flows["source"] == "kcs_kor_exp_m"]
    assert set(k["reporter"]) == {"KOR"} and set(k["flow"]) == {"export"}
    assert set(k["value_basis"]) == {"fob"} and k["quantity"].isna().all()
    assert set(k["partner"]) == {"USA", "CAN", "DEU", "AUS", "SAU", "WLD"}
    assert k.groupby("partner").size().eq(18).all()
    # WORLD is a bloc next to its members: summing all destinations is refused
    with pytest.raises(DataContractError, match="WLD"):
        total(k, by=["month"])
    # never summed with US-reported imports: a US-imports series from Korea is its own source
    us = flows[(flows["source"] == "comtrade_m_8703") & (flows["partner"] == "KOR")]
    assert set(us["reporter"]) == {"USA"} and set(us["value_basis"]) == {"cif"}


def test_usmca_claim_flows_add_up_to_raw_totals(flows):
    rows = _rows(paths.RAW / CLAIMS)
    h = rows[0]
    tot: dict[tuple[str, str], float] = {}
    for r in rows[1:]:
        if len(r[h.index("period")]) == 7:
            key = (r[h.index("period")], r[h.index("cty_code")])
            tot[key] = tot.get(key, 0.0) + float(r[h.index("total_value")])
    f = flows[flows["source"] == "dataweb_usmca_hs10_m"]
    assert set(f["programme"]) == {"USMCA", "no USMCA claim"}
    assert set(f["value_basis"]) == {"customs"} and set(f["hs_level"]) == {10}
    g = f.groupby(["month", "partner"])["value_usd"].sum()
    code = {"1220": "CAN", "2010": "MEX"}
    for (period, cty), v in tot.items():
        assert g[(pd.Timestamp(period + "-01"), code[cty])] == pytest.approx(v, rel=1e-12)
    assert f["month"].min() == pd.Timestamp("2025-01-01")
    assert f["month"].max() == pd.Timestamp("2026-02-01")


def test_usmca_claim_shares_in_documented_ranges(flows):
    """PROVENANCE/issue: claim shares Canada 98-99%, Mexico 83-95% (monthly)."""
    s = dataweb.usmca_claim_shares(flows)
    raw = dataweb.usmca_claim_shares(dataweb.read_dataweb_usmca_claims(paths.RAW / CLAIMS))
    pd.testing.assert_frame_equal(s, raw)
    can = s[s["partner"] == "CAN"]["claim_share"]
    mex = s[s["partner"] == "MEX"]["claim_share"]
    assert len(can) == len(mex) == 14
    assert can.between(0.975, 0.995).all()
    assert mex.between(0.82, 0.96).all()


def test_reconciliation_can_mex_against_comtrade(flows):
    rec = reconciliation_table(flows)
    r = rec[rec["check"] == "dataweb_usmca_hs10_vs_comtrade_m_8703_value"]
    can, mex = r[r["partner"] == "CAN"], r[r["partner"] == "MEX"]
    assert len(can) == len(mex) == 8  # 7 months + the 2025-01..07 sum
    assert (can["tolerance_pct"] == 1.0).all() and (mex["tolerance_pct"] == 7.0).all()
    assert can["passes"].all() and mex["passes"].all()
    # PROVENANCE section 12: Mexico January is the outlier (Comtrade 6.3% below DataWeb)
    jan = mex[mex["period"] == "2025-01"].iloc[0]
    assert 100 * (jan["b_value"] - jan["a_value"]) / jan["a_value"] == pytest.approx(-6.3, abs=0.1)
    assert can["pct_diff"].abs().max() < 1.0
    k = rec[rec["check"] == "mirror_kor_kcs_vs_us_imports_value"]
    assert len(k) == 8 and k["passes"].isna().all()


def test_fx_reaches_further_with_later_vintages(tmp_path):
    fx = pd.read_parquet(build_all(paths.RAW, tmp_path, verify=False)["fx_monthly"])
    last = fx.groupby("currency")["month"].max()
    assert last["KRW"] == pd.Timestamp("2026-05-01")
    assert last["JPY"] == pd.Timestamp("2026-05-01")


KCS_CASES = [
    ("negative_value", lambda rs: rs[:5] + [rs[5][:2] + ["-1"] + rs[5][3:]] + rs[6:],
     ["kor_exp_8703_by_destination_kcs", "export_value_usd", ">= 0", "file lines [6]", "'-1'"]),
    ("duplicate_ym_destination", lambda rs: rs + [rs[7]],
     ["kor_exp_8703_by_destination_kcs", "ym,destination", "unique", "file lines [8, 110]",
      "202502|"]),
    ("unknown_destination", lambda rs: rs[:3] + [[rs[3][0], "XX"] + rs[3][2:]] + rs[4:],
     ["kor_exp_8703_by_destination_kcs", "destination", "file lines [4]", "'XX'"]),
]  # fmt: skip
CLAIMS_CASES = [
    ("negative_value", lambda rs: rs[:200] + [rs[200][:3] + ["-5"] + rs[200][4:]] + rs[201:],
     ["usmca_claims_dataweb", "total_value", ">= 0", "file lines [201]", "'-5'"]),
    ("duplicate_key", lambda rs: rs + [rs[300]],
     ["usmca_claims_dataweb", "period,hts10,cty_code", "unique", "file lines [301, 1992]"]),
    ("unknown_country", lambda rs: rs[:150] + [rs[150][:2] + ["5800"] + rs[150][3:]] + rs[151:],
     ["usmca_claims_dataweb", "cty_code", "file lines [151]", "'5800'"]),
    ("claimed_above_total", lambda rs: rs[:250] + [rs[250][:4] + [str(float(rs[250][3]) + 1e6)]
                                                   + rs[250][5:]] + rs[251:],
     ["usmca_claims_dataweb", "usmca_value", "exceed", "file lines [251]"]),
]  # fmt: skip


@pytest.mark.parametrize("case", KCS_CASES + CLAIMS_CASES,
                         ids=[f"kcs-{c[0]}" for c in KCS_CASES]
                         + [f"claims-{c[0]}" for c in CLAIMS_CASES])
def test_bad_new_inputs_named(raw, tmp_path, case):
    name, mutate, needles = case
    rel = KCS if case in KCS_CASES else CLAIMS
    p = raw / rel
    _write(p, mutate(_rows(p)))
    out = tmp_path / "out"
    with pytest.raises(DataContractError) as e:
        build_all(raw, out, verify=False)
    msg = str(e.value)
    for n in needles:
        assert n in msg, f"{n!r} not in: {msg}"
    assert not out.exists() or not any(out.iterdir())


def test_kcs_bad_month_named(tmp_path):
    src = paths.RAW / KCS
    rs = _rows(src)
    rs[2][0] = "202513"
    p = tmp_path / src.name
    _write(p, rs)
    with pytest.raises(DataContractError) as e:
        kcs.read_kcs_exports(p)
    assert "ym" in str(e.value) and "202513" in str(e.value) and "file lines [3]" in str(e.value)
