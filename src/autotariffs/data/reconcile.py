"""Cross-source reconciliation: do independent sources tell the same story?

Each row compares two numbers (a vs b) for one check x partner x period. ``pct_diff`` is
``100 * (a - b) / b``. ``tolerance_pct`` is NaN for informational rows (differences expected
for documented reasons: value basis CIF/FOB/customs/general, shipping lags); ``passes`` is then
NA. Tolerances come from the data documentation, not from the observed differences:

* Comtrade monthly vs Census HS10 2024 (8703): 3% (brief; Comtrade's US value is CIF-type
  general imports, Census is customs value of imports for consumption).
* Comtrade annual vs sum of monthly (same publisher, same vintage): 0.01%; 2022 quantities are
  known to fail (monthly units are Comtrade estimates, PROVENANCE file 8).
* Census calculated duties vs DataWeb calculated duties (same administrative records): 0.01%.
* DataWeb CIF by programme summed over months and programmes vs DataWeb annual CIF: 0.01%.
* DataWeb HS10 8703 CAN/MEX customs value (USMCA claims file, summed over HS10 lines and claim
  status) vs Comtrade monthly 8703, 2025-01..07: Canada 1%, Mexico 7% (trade
  PROVENANCE section 12 reports Canada within +0.5% and Mexico -6.3%..+2.4%). Different measures
  (customs value of imports for consumption vs Comtrade's CIF-type general imports), so the
  tolerances are wider than for same-publisher checks.
* KCS Korea-reported exports to the US (FOB) vs US-reported imports from Korea (Comtrade; and,
  for January-June 2026, the CGD excerpt of Census data): informational only (FOB vs CIF or an
  unstated US basis, about one month of shipping).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autotariffs.data.countries import EU27
from autotariffs.outputs import Text

COLUMNS = ["check", "partner", "period", "a_label", "a_value", "b_label", "b_value", "pct_diff",
           "tolerance_pct", "passes", "note"]  # fmt: skip
ORIGINS = ("JPN", "KOR", "MEX", "CAN")


def _row(check, partner, period, a_label, a, b_label, b, tol=np.nan, note=""):
    a = float(a) if a is not None else np.nan
    b = float(b) if b is not None else np.nan
    pct = 100.0 * (a - b) / b if b and np.isfinite(b) and np.isfinite(a) else np.nan
    if np.isfinite(tol) and np.isfinite(pct):
        passes = bool(abs(pct) <= tol)
    else:
        passes = pd.NA
    return dict(check=check, partner=partner, period=period, a_label=a_label, a_value=a,
                b_label=b_label, b_value=b, pct_diff=pct, tolerance_pct=tol, passes=passes,
                note=note)  # fmt: skip


def _sel(flows: pd.DataFrame, source: str, **eq) -> pd.DataFrame:
    f = flows[flows["source"] == source]
    for k, v in eq.items():
        f = f[f[k] == v]
    return f


def _year(f: pd.DataFrame, y: int) -> pd.DataFrame:
    return f[f["month"].dt.year == y]


def comtrade_vs_census_2024(flows: pd.DataFrame) -> list[dict]:
    rows = []
    ct = _year(_sel(flows, "comtrade_m_8703"), 2024)
    ce = _sel(flows, "census_hs10_2024")
    ce = ce[ce["hs_code"].str.startswith("8703")]
    # CIF/customs ratio per origin from DataWeb (CIF) vs Census (customs), ch.87 2024
    dw = _sel(flows, "dataweb_hs2_2024_2025", freq="A")
    ce87 = _sel(flows, "census_hs10_2024")
    for p in ORIGINS:
        a = _sel(ct, "comtrade_m_8703", partner=p)
        a_v = a["value_usd"].sum() if len(a) == 12 else np.nan
        b_v = ce.loc[ce["partner"] == p, "value_usd"].sum()
        rows.append(_row(
            "comtrade_m_vs_census_hs10_8703_value", p, "2024", "Comtrade monthly 8703 sum (CIF)",
            a_v, "Census HS10 8703 sum (customs, consumption)", b_v, 3.0,
            "basis differs: Comtrade CIF-type general imports vs Census customs value",
        ))  # fmt: skip
        cif = dw.loc[dw["partner"] == p, "value_usd"].sum()
        cus = ce87.loc[ce87["partner"] == p, "value_usd"].sum()
        if cif > 0 and cus > 0:
            rows.append(_row(
                "comtrade_m_vs_census_hs10_8703_value_cif_adjusted", p, "2024",
                "Comtrade monthly 8703 sum (CIF)", a_v,
                "Census HS10 8703 x (DataWeb ch.87 CIF / Census ch.87 customs)",
                b_v * cif / cus, np.nan,
                "informational: Census scaled to CIF with the origin's ch.87 CIF/customs ratio",
            ))  # fmt: skip
    return rows


def comtrade_annual_vs_monthly(flows: pd.DataFrame) -> list[dict]:
    rows = []
    ann = _sel(flows, "comtrade_a_8703")
    mon = _sel(flows, "comtrade_m_8703")
    for p in ("JPN", "MEX"):
        for y in range(2020, 2025):
            a = _year(ann[ann["partner"] == p], y)
            m = _year(mon[mon["partner"] == p], y)
            if len(a) != 1 or len(m) != 12:
                continue
            rows.append(_row("comtrade_annual_vs_monthly_value", p, str(y),
                             "Comtrade annual 8703", a["value_usd"].iloc[0],
                             "sum of Comtrade monthly 8703", m["value_usd"].sum(), 0.01))
            note = ("known issue: 2022 monthly quantities are Comtrade estimates; do not use "
                    "2022 monthly units" if y == 2022 else "")
            rows.append(_row("comtrade_annual_vs_monthly_quantity", p, str(y),
                             "Comtrade annual 8703 units", a["quantity"].iloc[0],
                             "sum of Comtrade monthly 8703 units", m["quantity"].sum(), 0.01,
                             note))  # fmt: skip
    return rows


def mirror_japan(flows: pd.DataFrame, max_lag: int = 3) -> list[dict]:
    """US-reported imports from Japan vs Japan-reported exports to the USA.

    Annual levels differ by CIF (US) vs FOB (Japan) and by shipping time. The timing check
    correlates monthly log changes of US imports at t with Japanese exports at t-k, k=0..3:
    the best k estimates the shipping lag (log changes avoid trend-driven correlation).
    """
    rows = []
    us = _sel(flows, "comtrade_m_8703", partner="JPN").set_index("month")["value_usd"]
    jp = _sel(flows, "comtrade_jpn_exp", partner="USA").set_index("month")["value_usd"]
    for y in range(2020, 2025):
        u, j = us[us.index.year == y], jp[jp.index.year == y]
        if len(u) == 12 and len(j) == 12:
            rows.append(_row("mirror_jpn_annual_value", "JPN", str(y),
                             "US imports from Japan (Comtrade, CIF)", u.sum(),
                             "Japan exports to USA (Comtrade, FOB)", j.sum(), np.nan,
                             "informational: CIF vs FOB and shipping time"))  # fmt: skip
    both = pd.concat({"us": us, "jp": jp}, axis=1).dropna().sort_index()
    if len(both) > max_lag + 3:
        gap = 100.0 * (both["us"] - both["jp"]) / both["jp"]
        first, last = both.index.min().strftime("%Y-%m"), both.index.max().strftime("%Y-%m")
        rows.append(_row("mirror_jpn_monthly_mean_abs_gap_pct", "JPN", f"{first}..{last}",
                         "mean |US - JP| / JP, %", gap.abs().mean(), "n months", len(both),
                         np.nan, "pct_diff not meaningful for this row"))  # fmt: skip
        rows[-1]["pct_diff"] = np.nan
        dus = np.log(both["us"]).diff()
        djp = np.log(both["jp"]).diff()
        corrs = {k: dus.corr(djp.shift(k)) for k in range(max_lag + 1)}
        for k, c in corrs.items():
            rows.append(_row("mirror_jpn_lag_corr_dlog", "JPN", f"lag {k}",
                             f"corr(dlog US imports_t, dlog JP exports_t-{k})", c,
                             "n months", int((dus.notna() & djp.shift(k).notna()).sum()),
                             np.nan, ""))  # fmt: skip
            rows[-1]["pct_diff"] = np.nan
        best = max(corrs, key=lambda k: corrs[k])
        rows.append(_row("mirror_jpn_best_lag_months", "JPN", f"{first}..{last}",
                         "lag (months) with the highest correlation", best,
                         "its correlation", corrs[best], np.nan,
                         "shipping Japan -> US takes ~2-4 weeks"))  # fmt: skip
        rows[-1]["pct_diff"] = np.nan
    return rows


def census_vs_dataweb_2024(flows: pd.DataFrame) -> list[dict]:
    rows = []
    ce = _sel(flows, "census_hs10_2024")
    dw = _sel(flows, "dataweb_hs2_2024_2025", freq="A")
    dwp = _year(_sel(flows, "dataweb_cif_prog_m"), 2024)
    for p in (*ORIGINS, "GBR", "CHN", "EUU"):
        c = ce[ce["partner"] == p]
        members = list(EU27) if p == "EUU" else [p]
        d = dw[dw["partner"].isin(members)]
        if c.empty or d.empty:
            continue
        lab = "DataWeb ch.87 (sum of EU27 members)" if p == "EUU" else "DataWeb ch.87"
        rows.append(_row("census_vs_dataweb_ch87_value", p, "2024",
                         "Census HS10 ch.87 sum (customs)", c["value_usd"].sum(),
                         f"{lab} CIF", d["value_usd"].sum(), np.nan,
                         "informational: CIF exceeds customs value by freight and insurance"))
        rows.append(_row("census_vs_dataweb_ch87_duties", p, "2024",
                         "Census HS10 ch.87 calculated duties", c["duties_usd"].sum(),
                         f"{lab} calculated duties", d["duties_usd"].sum(), 0.01,
                         "same administrative duty records"))
        rows.append(_row("census_vs_dataweb_ch87_dutiable", p, "2024",
                         "Census HS10 ch.87 sum (customs)", c["value_usd"].sum(),
                         f"{lab} dutiable value", d["dutiable_value_usd"].sum(), np.nan,
                         "informational: dutiable value excludes duty-free (e.g. FTA) entries"))
        dp = dwp[dwp["partner"].isin(members)]
        if p != "EUU" and not dp.empty:
            rows.append(_row("dataweb_cif_programme_vs_annual", p, "2024",
                             "DataWeb CIF by programme, sum of 2024 months",
                             dp["value_usd"].sum(), "DataWeb ch.87 2024 CIF",
                             d["value_usd"].sum(), 0.01, "same publisher and measure"))
    return rows


def usatrade_vs_census_8708(flows: pd.DataFrame) -> list[dict]:
    rows = []
    ut = _year(_sel(flows, "usatrade_8708"), 2024)
    ce = _sel(flows, "census_hs10_2024")
    ce = ce[ce["hs_code"].str.startswith("8708")]
    for p in ("CAN", "MEX", "CHN", "BRA"):
        u = ut[ut["partner"] == p]
        c = ce[ce["partner"] == p]
        if len(u) == 12 and not c.empty:
            rows.append(_row("usatrade_vs_census_8708_value", p, "2024",
                             "USA Trade Online 8708 (general)", u["value_usd"].sum(),
                             "Census HS10 8708 sum (consumption)", c["value_usd"].sum(), np.nan,
                             "informational: general vs consumption imports"))
    return rows


#: tolerances (percent) for DataWeb HS10 CAN/MEX sums vs Comtrade monthly 8703
USMCA_CLAIMS_TOL = {"CAN": 1.0, "MEX": 7.0}
USMCA_CLAIMS_MONTHS = ("2025-01", "2025-07")


def usmca_claims_vs_comtrade(flows: pd.DataFrame) -> list[dict]:
    """Monthly CAN/MEX 8703 customs value (DataWeb HS10 claims file) vs Comtrade monthly."""
    rows = []
    dw = _sel(flows, "dataweb_usmca_hs10_m")
    ct = _sel(flows, "comtrade_m_8703")
    lo, hi = (pd.Timestamp(m + "-01") for m in USMCA_CLAIMS_MONTHS)
    for p, tol in USMCA_CLAIMS_TOL.items():
        d = dw[(dw["partner"] == p) & dw["month"].between(lo, hi)]
        c = ct[(ct["partner"] == p) & ct["month"].between(lo, hi)]
        a_m = d.groupby("month")["value_usd"].sum()
        b_m = c.groupby("month")["value_usd"].sum()
        for m in a_m.index.intersection(b_m.index):
            rows.append(_row("dataweb_usmca_hs10_vs_comtrade_m_8703_value", p,
                             m.strftime("%Y-%m"),
                             "DataWeb HS10 8703 sum (customs, consumption; claimed + not)",
                             a_m[m], "Comtrade monthly 8703 (CIF-type, general)", b_m[m], tol,
                             "basis differs: customs value vs Comtrade CIF-type general imports"))
        both = a_m.index.intersection(b_m.index)
        if len(both):
            rows.append(_row("dataweb_usmca_hs10_vs_comtrade_m_8703_value", p,
                             f"{both.min():%Y-%m}..{both.max():%Y-%m}",
                             "DataWeb HS10 8703 sum (customs, consumption; claimed + not)",
                             a_m[both].sum(), "Comtrade monthly 8703 (CIF-type, general)",
                             b_m[both].sum(), tol, "sum over the overlapping months"))
    return rows


def mirror_korea_kcs(flows: pd.DataFrame) -> list[dict]:
    """Korea-reported exports to the US (KCS, FOB) vs US-reported imports from Korea (Comtrade).

    Informational: FOB vs CIF-type valuation and ~1 month of shipping; the two are never summed.
    """
    rows = []
    k = _sel(flows, "kcs_kor_exp_m", partner="USA").set_index("month")["value_usd"]
    u = _sel(flows, "comtrade_m_8703", partner="KOR").set_index("month")["value_usd"]
    both = k.index.intersection(u.index).sort_values()
    for m in both:
        rows.append(_row("mirror_kor_kcs_vs_us_imports_value", "KOR", m.strftime("%Y-%m"),
                         "Korea exports to US (KCS, FOB)", k[m],
                         "US imports from Korea (Comtrade, CIF-type)", u[m], np.nan,
                         "informational: FOB vs CIF and ~1 month shipping"))
    if len(both):
        rows.append(_row("mirror_kor_kcs_vs_us_imports_value", "KOR",
                         f"{both.min():%Y-%m}..{both.max():%Y-%m}",
                         "Korea exports to US (KCS, FOB)", k[both].sum(),
                         "US imports from Korea (Comtrade, CIF-type)", u[both].sum(), np.nan,
                         "informational: FOB vs CIF and ~1 month shipping"))
    return rows


def h1_2026_kcs_vs_cgd(flows: pd.DataFrame) -> list[dict]:
    """Korea-reported exports to the US (KCS, FOB) vs US imports from Korea (CGD excerpt of
    Census data), January-June 2026, HS 8703. Informational: FOB at Korean customs vs a US value
    of unstated basis, and about one month of shipping (trade PROVENANCE section 13: +0.9%)."""
    u = _sel(flows, "cgd_ytd_2026", partner="KOR", hs_code="8703")
    k = _sel(flows, "kcs_kor_exp_m", partner="USA")
    rows = []
    for _, r in u.iterrows():
        lo = r["month"]
        hi = lo + pd.DateOffset(months=int(r["n_months"]) - 1)
        kk = k[k["month"].between(lo, hi)]
        if kk["month"].nunique() == int(r["n_months"]):
            rows.append(_row("h1_2026_us_imports_vs_kcs_exports_value", "KOR",
                             f"{lo:%Y-%m}..{hi:%Y-%m}", "US imports from Korea (CGD, Census)",
                             r["value_usd"], "Korea exports to US (KCS, FOB)",
                             kk["value_usd"].sum(), np.nan,
                             "informational: US value (basis unstated) vs FOB, ~1 month shipping"))
    return rows


RECONCILIATION_TEXT = Text(
    "Reconciliation across sources",
    "Cross-source checks: Comtrade vs Census 2024 HS 8703 (3% tolerance), Comtrade annual vs "
    "monthly, US imports vs Japan- and Korea-reported exports (mirrors, incl. January-June "
    "2026), Census ch. 87 vs DataWeb.",
)


def reconciliation_table(flows: pd.DataFrame) -> pd.DataFrame:
    """All reconciliation checks as one table (columns: see COLUMNS), deterministic order."""
    rows = (comtrade_vs_census_2024(flows) + comtrade_annual_vs_monthly(flows)
            + mirror_japan(flows) + census_vs_dataweb_2024(flows)
            + usatrade_vs_census_8708(flows) + usmca_claims_vs_comtrade(flows)
            + mirror_korea_kcs(flows) + h1_2026_kcs_vs_cgd(flows))  # fmt: skip
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["passes"] = df["passes"].astype("boolean")
    return df


def census_8703_totals(flows: pd.DataFrame, origins: tuple[str, ...] = ORIGINS) -> dict[str, float]:
    """Census 2024 HS 8703 imports for consumption by origin (USD), summed over HS10 lines.

    These are the published anchors the snapshot must reproduce exactly (PROVENANCE.md: Japan
    $41.90B, Korea $36.86B, Mexico $49.75B, Canada $28.26B).
    """
    ce = _sel(flows, "census_hs10_2024")
    ce = ce[ce["hs_code"].str.startswith("8703")]
    return {p: float(ce.loc[ce["partner"] == p, "value_usd"].sum()) for p in origins}
