"""Plain facts (autotariffs.models.facts): January-June 2026 by origin and the import price index.

Real data only, through the pipeline's adapters (the session's ``flows``; the price CSV through
``data.sources.cgd`` and ``fred.monthly_macro`` as the data build stacks it), checked against
the raw CSVs read here with pandas and summed by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs import design, paths
from autotariffs.models import facts

CGD = paths.RAW / "trade" / "us_imp_hs4_8703_8708_by_country_ytd_2026-06_cgd_excerpt.csv"
COMTRADE = paths.RAW / "trade" / "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv"
KCS = paths.RAW / "trade" / "kor_exp_8703_by_destination_kcs_monthly_2025-01_2026-06.csv"
PRICES = paths.RAW / "prices" / "bls_import_price_index_hs4_8703_8708_2023-01_2026-07_cgd_excerpt.csv"
COMTRADE_NAMES = {"Canada": "CAN", "Germany": "DEU", "Japan": "JPN", "Rep. of Korea": "KOR",
                  "Mexico": "MEX"}


def test_h1_2026_equals_hand_sums_of_the_raw_csvs(flows):
    h = facts.h1_2026(flows, design.CONTROLS)
    cgd = pd.read_csv(CGD, dtype={"hs4": str})
    cgd = cgd[(cgd["record_type"] == "country_product") & (cgd["hs4"] == "8703")]
    assert set(cgd["imports_ytd_date"]) == {"2026-06-01"}  # January-June 2026
    h1 = dict(zip(cgd["country_iso3"], cgd["us_imports_ytd"].astype(float), strict=True))
    ct = pd.read_csv(COMTRADE)
    ct = ct[(ct["refYear"] == 2024) & ct["refMonth"].between(1, 6)]
    assert ct.groupby("partnerDesc")["refMonth"].nunique().eq(6).all()
    base = {COMTRADE_NAMES[k]: float(v) for k, v in
            ct.groupby("partnerDesc")["primaryValue"].sum().items()}
    kcs = pd.read_csv(KCS)
    kor_own = float(kcs[(kcs["destination"] == "US") & kcs["ym"].between(202601, 202606)]
                    ["export_value_usd"].sum())
    assert set(h) - {"_note"} == set(h1)
    change = {o: np.log(h1[o] / base[o]) for o in base}
    ctrl = np.mean([change[c] for c in design.CONTROLS])
    for o, v in h1.items():
        row = h[o]
        assert row["value_bn"] == pytest.approx(v / 1e9, rel=1e-12)
        assert row["months"] == ["2026-01", "2026-06"]
        if o not in base:  # e.g. GBR: not in the Comtrade monthly file
            assert "change_vs_h1_2024" not in row and "relative_to_controls" not in row
            continue
        assert row["value_base_bn"] == pytest.approx(base[o] / 1e9, rel=1e-12)
        assert row["change_vs_h1_2024"] == pytest.approx(change[o], abs=1e-12)
        assert row["change_vs_h1_2024_pct"] == pytest.approx(100 * np.expm1(change[o]))
        if o in design.CONTROLS:
            assert "relative_to_controls" not in row
        else:
            assert row["relative_to_controls"] == pytest.approx(change[o] - ctrl, abs=1e-12)
    assert h["KOR"]["own_exports_bn"] == pytest.approx(kor_own / 1e9, rel=1e-12)
    assert "GBR" in h and "own_exports_bn" not in h["JPN"]


def test_import_price_index_equals_the_raw_price_csv():
    from autotariffs.data.sources import cgd, fred

    macro = fred.monthly_macro([cgd.read_price_index(PRICES)])
    ipi = facts.import_price_index(macro)
    raw = pd.read_csv(PRICES, dtype={"hs4": str})
    raw = raw[raw["hs4"] == "8703"].assign(month=lambda d: pd.to_datetime(d["date"]))
    s = raw.set_index("month")["price_index"].astype(float)
    base = s[pd.Timestamp("2025-03-01")]
    chg = 100 * (s / base - 1)
    assert ipi["base_month"] == "2025-03" and ipi["last_month"] == f"{s.index.max():%Y-%m}"
    assert ipi["change_since_2025_03"] == pytest.approx(chg.iloc[-1], abs=1e-12)
    assert ipi["change_since_2025_03"] == pytest.approx(-3.57)  # PROVENANCE: 96.43 in 2026-07
    after = chg[chg.index > pd.Timestamp("2025-03-01")]
    assert ipi["trough_month"] == f"{after.idxmin():%Y-%m}"
    assert ipi["trough_change"] == pytest.approx(after.min(), abs=1e-12)
    assert ipi["missing_months"] == ["2025-10"]  # missing at source (PROVENANCE)
    want = {f"{m:%Y-%m}": v for m, v in chg.items() if m >= pd.Timestamp("2024-01-01")}
    assert ipi["by_month"].keys() == want.keys()
    assert np.allclose(list(ipi["by_month"].values()), list(want.values()), rtol=0, atol=1e-12)
    assert facts.import_price_index(macro[macro["series_id"] == "none"]) == {}
