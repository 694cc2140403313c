"""Plain facts before any model: where imports stood in 2026, and what all-origin import prices did.

* :func:`h1_2026` - US imports of HS 8703 by origin, January-June 2026 (the CGD excerpt of Census
  data, the only US-side number by origin after 2025-07, with the 15% deals in force), against
  January-June 2024 (UN Comtrade monthly): the log change per origin and relative to the mean of
  the comparison origins. Values only, one period, two sources whose valuation bases differ
  (Comtrade's US value is CIF-type; the 2026 basis is not stated), so this is a description, not
  an estimate with inference. Korea's own export statistics (KCS, FOB) for the same months are
  shown beside it as a cross-check.
* :func:`import_price_index` - the BLS import price index for HS 8703, all origins, before duty
  (March 2025 = 100): how far foreign sellers' prices fell on average after the duty.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from autotariffs.outputs import Text

H1_SOURCE = "cgd_ytd_2026"
BASE_SOURCE = "comtrade_m_8703"
KCS_SOURCE = "kcs_kor_exp_m"


def _sum(f: pd.DataFrame, lo: pd.Timestamp, n: int) -> float | None:
    m = f[f["month"].between(lo, lo + pd.DateOffset(months=n - 1))]
    return float(m["value_usd"].sum()) if m["month"].nunique() == n else None


def h1_2026(flows: pd.DataFrame, controls: Sequence[str], product: str = "8703",
            base_year: int = 2024) -> dict:
    """Per origin: ``value_bn`` (Jan-Jun 2026), ``value_base_bn`` (same months of ``base_year``),
    ``change_vs_h1_<base_year>`` (log points) and its percent, ``relative_to_controls`` (log
    change minus the controls' mean); Korea also ``kcs_exports_bn``. Origins without base-year
    months (e.g. GBR, not in the Comtrade monthly file) get only ``value_bn``."""
    h = flows[(flows["source"] == H1_SOURCE) & (flows["hs_code"] == product)]
    if h.empty:
        return {}
    base = flows[(flows["source"] == BASE_SOURCE) & (flows["hs_code"] == product)]
    start = pd.Timestamp(h["month"].min())
    n = int(h["n_months"].iloc[0])
    b0 = start - pd.DateOffset(years=start.year - base_year)
    key = f"change_vs_h1_{base_year}"
    out: dict = {}
    for _, r in h.sort_values("partner").iterrows():
        o = r["partner"]
        row: dict = {"value_bn": float(r["value_usd"]) / 1e9,
                     "months": [f"{start:%Y-%m}", f"{start + pd.DateOffset(months=n - 1):%Y-%m}"]}
        b = _sum(base[base["partner"] == o], b0, n)
        if b:
            row["value_base_bn"] = b / 1e9
            row[key] = float(np.log(r["value_usd"] / b))
            row[f"{key}_pct"] = float(100 * np.expm1(row[key]))
        k = _sum(flows[(flows["source"] == KCS_SOURCE) & (flows["reporter"] == o)
                       & (flows["partner"] == "USA")], start, n)
        if k:
            row["own_exports_bn"] = k / 1e9
        out[o] = row
    ctrl = [out[c][key] for c in controls if c in out and key in out[c]]
    if len(ctrl) == len(controls):
        for o, row in out.items():
            if o not in controls and key in row:
                row["relative_to_controls"] = row[key] - float(np.mean(ctrl))
    out["_note"] = {"base_source": BASE_SOURCE, "source": H1_SOURCE, "base_year": base_year,
                    "controls": list(controls),
                    "caveat": "values only, one period; base-year values are Comtrade's "
                              "CIF-type US imports, 2026 values are of unstated basis"}
    return out


def import_price_index(macro: pd.DataFrame, hs4: str = "8703", base: str = "2025-03") -> dict:
    """Change of the all-origin BLS import price index since ``base`` (percent), its trough and
    its last month; empty when the series is absent."""
    s = macro[macro["series_id"] == f"BLS_IPI_{hs4}"].set_index("month")["value"].sort_index()
    if s.empty:
        return {}
    b = float(s.loc[pd.Timestamp(base + "-01")])
    chg = 100 * (s / b - 1)
    post = chg[chg.index > pd.Timestamp(base + "-01")]
    low = post.idxmin()
    return {"base_month": base, "last_month": f"{s.index.max():%Y-%m}",
            "change_since_2025_03": float(chg.iloc[-1]),
            "trough_month": f"{low:%Y-%m}", "trough_change": float(post.min()),
            "missing_months": [f"{m:%Y-%m}" for m in
                               pd.date_range(s.index.min(), s.index.max(), freq="MS")
                               if m not in s.index],
            "by_month": {f"{m:%Y-%m}": float(v) for m, v in chg.items()
                         if m >= pd.Timestamp("2024-01-01")}}


def h1_table(block: dict) -> pd.DataFrame:
    """One row per origin of :func:`h1_2026` (numbers only)."""
    key = next((k for r in block.values() for k in r if k.startswith("change_vs_h1_")
                and not k.endswith("_pct")), None)
    rows = [{"origin": o, "Jan-Jun 2026 ($bn)": r["value_bn"],
             "same months base year ($bn)": r.get("value_base_bn"),
             "change (log points)": r.get(key), "change (%)": r.get(f"{key}_pct"),
             "relative to controls (log points)": r.get("relative_to_controls"),
             "own reported exports to the US ($bn)": r.get("own_exports_bn")}
            for o, r in block.items() if not o.startswith("_")]
    return pd.DataFrame(rows)


def h1_text(block: dict) -> Text:
    """Title and caption of :func:`h1_table`."""
    n = block.get("_note", {})
    return Text(
        "Where imports stood in January-June 2026, with the 15% deals in force",
        "US imports of HS 8703 by origin, January-June 2026 (Census data compiled by the "
        "Center for Global Development's import monitor; an excerpt), against the same months "
        f"of {n.get('base_year')} (UN Comtrade monthly, CIF-type values: the two bases differ "
        "by a few percent). Relative to controls: the origin's log change minus the mean of "
        f"{', '.join(n.get('controls', []))}. Values only and one period, so no inference; "
        "Korea's own reported exports to the US for the same months are the cross-check.",
    )


def import_price_table(block: dict) -> pd.DataFrame:
    """The all-origin index by month, in percent against the base month."""
    return pd.DataFrame({"month": list(block.get("by_month", {})),
                         f"change since {block.get('base_month')} (%)":
                             list(block.get("by_month", {}).values())})


def import_price_text(block: dict) -> Text:
    """Title and caption of the all-origin import price table."""
    return Text(
        "US import prices of cars, all origins, before duty",
        "BLS import price index for HS 8703 (all origins; BLS publishes none by origin), "
        f"before duty, in percent against {block.get('base_month')} (the month before the "
        "duty). A fall means foreign sellers on average absorbed part of the duty at the "
        "border. Missing months are missing at source.",
    )
