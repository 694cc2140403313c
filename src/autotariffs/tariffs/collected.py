"""Statutory against collected duty rates.

One table, one row per origin x period x source, lining up the statutory all-in HS 8703 rate of
the event table (:func:`autotariffs.tariffs.schedule.monthly_schedule`) with every collected rate the raw
data give:

=====================  ===========================================  =========================
source                 collected rate                               scope / denominator
=====================  ===========================================  =========================
budgetlab_note         Census calculated duty / customs value       HS 8703, KOR and JPN,
                       quoted by the Budget Lab note                monthly 2025-08..2026-03
dataweb_hs2_2024_2025  DataWeb calculated duties / CIF value        ch. 87, 2024 and Jan-Aug 2025
census_hs2_m           Census CAL_DUT_MO / CON_VAL_MO               ch. 87, monthly to 2021-07
census_naics_m         Census CAL_DUT_MO / CON_VAL_MO, all origins  NAICS light vehicles and
                                                                    3361-3363,
                                                                    monthly to 2025-12
=====================  ===========================================  =========================

Disagreements are kept and explained (column ``explanation``), never smoothed away: Korea's
retroactive November 2025 cut was collected at 25% at entry and refunded later; Japan's collected
rate falls below the 15% deal rate in Feb-Mar 2026 (Section 232 import-adjustment offset credits,
per the note); chapter-87 and NAICS rates mix cars with trucks and parts and FTA-free entries, so
their levels are not a car rate. The NAICS rows have no statutory counterpart (all origins).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text
from autotariffs.tariffs.schedule import compare_effective_statutory, effective_rates

COLUMNS = ["origin", "period", "freq", "n_months", "source", "scope", "statutory_rate_pct",
           "collected_rate_pct", "diff_pp", "denominator", "explanation"]  # fmt: skip
AGREE_PP = 0.5  # |collected - statutory| below this (pp) needs no explanation

EXPLAIN = {
    "kor_retro": (f"Korea's 15% deal rate is retroactive to {design.deal_date('KOR')} (KR-30-CAR; "
                  "notice 90 FR "
                  "55964 published 2025-12-04): November entries were collected at 25% and the "
                  "difference refunded after entry, which collected-duty data do not show"),
    "jpn_offset": ("Japan below its 15% deal rate: Section 232 import-adjustment offset credits "
                   "(Proc. 10925) reduce realised duty (Budget Lab note); size and term not "
                   "confirmed (SOURCES.md open item 3)"),
    "ch87": ("chapter 87 mixes cars with light trucks (8704, 25% for most origins), parts and "
             "FTA-free entries, and multi-month periods mix regimes: level is not a car rate"),
    "ch87_cif": ("chapter 87 mixes cars with light trucks (8704, 25% for most origins), parts and "
                 "FTA-free entries; duties over CIF (1-3% above customs value); Jan-Aug 2025 mixes "
                 "three pre-tariff months: level is not a car rate"),
    "naics": ("all origins; NAICS light vehicles (~HS 8703 + light 8704) or 3361-3363 (vehicles, "
              "bodies, parts): no single statutory rate; shows when collections moved"),
    "other": "disagreement not explained by the shipped sources",
}

#: scope label -> NAICS code prefixes. Light vehicles are 336110 from 2025 and 336111 + 336112
#: before (NAICS 2022 break, trade PROVENANCE file 10); they cover ~HS 8703 + light 8704.
NAICS_SCOPES = {
    "NAICS light vehicles": ("336110", "336111", "336112"),
    "NAICS 3361-3363": ("3361", "3362", "3363"),
}


def _stat(monthly: pd.DataFrame, origin: str, period: pd.Timestamp, n: int) -> float:
    m = monthly[(monthly["product"] == "8703") & (monthly["origin"] == origin)]
    s = m.set_index("month")["rate_pct"].reindex(pd.date_range(period, periods=n, freq="MS"))
    return float(s.mean(skipna=False)) if len(s) else np.nan


#: the sourced explanation of an origin's known disagreement, and when it applies: "retroactive"
#: (in the month its retroactive deal took effect) or "below" (collected below statutory)
KNOWN_GAPS: dict[str, tuple[str, str]] = {
    "KOR": ("retroactive", EXPLAIN["kor_retro"]),
    "JPN": ("below", EXPLAIN["jpn_offset"]),
}


def _known_gap(origin: str, month: pd.Timestamp, collected: float, statutory: float) -> str:
    """The explanation of a disagreement (``EXPLAIN["other"]`` when no known one applies)."""
    kind, text = KNOWN_GAPS.get(origin, ("", ""))
    deal = design.deal_for(origin)
    if kind == "retroactive" and deal is not None and deal.retroactive and month == deal.month:
        return text
    if kind == "below" and collected < statutory:
        return text
    return EXPLAIN["other"]


def _note_rows(note: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in note.iterrows():
        st = _stat(monthly, r["origin"], r["month"], 1)
        c = float(r["collected_rate_pct"])
        expl = ""
        if np.isfinite(st) and abs(c - st) >= AGREE_PP:
            expl = _known_gap(r["origin"], r["month"], c, st)
        rows.append(dict(origin=r["origin"], period=r["month"], freq="M", n_months=1,
                         source="budgetlab_note", scope="HS 8703", statutory_rate_pct=st,
                         collected_rate_pct=c, denominator="customs value",
                         explanation=expl))  # fmt: skip
    return pd.DataFrame(rows)


def _ch87_rows(flows: pd.DataFrame, monthly: pd.DataFrame, origins) -> pd.DataFrame:
    eff = effective_rates(flows)
    eff = eff[eff["partner"].isin(origins)]
    cmp_ = compare_effective_statutory(eff, monthly)
    out = pd.DataFrame({
        "origin": cmp_["partner"], "period": cmp_["period"], "freq": cmp_["freq"],
        "n_months": cmp_["n_months"], "source": cmp_["source"], "scope": "ch. 87",
        "statutory_rate_pct": cmp_["statutory_rate_pct"],
        "collected_rate_pct": cmp_["effective_rate_pct"],
        "denominator": np.where(cmp_["source"] == "dataweb_hs2_2024_2025", "CIF value",
                                "customs value"),
    })  # fmt: skip
    far = (out["collected_rate_pct"] - out["statutory_rate_pct"]).abs() >= AGREE_PP
    expl = np.where(out["source"] == "dataweb_hs2_2024_2025", EXPLAIN["ch87_cif"], EXPLAIN["ch87"])
    out["explanation"] = np.where(far.fillna(True), expl, "")
    return out


def _naics_rows(flows: pd.DataFrame) -> pd.DataFrame:
    f = flows[flows["source"] == "census_naics_m"]
    rows = []
    for scope, prefixes in NAICS_SCOPES.items():
        keep = np.logical_or.reduce([f["hs_code"].str.startswith(x) for x in prefixes])
        g = f[keep].groupby("month")[["duties_usd", "value_usd"]].sum()
        for m, r in g.iterrows():
            rows.append(dict(origin="WLD", period=m, freq="M", n_months=1, source="census_naics_m",
                             scope=scope, statutory_rate_pct=np.nan,
                             collected_rate_pct=100.0 * r["duties_usd"] / r["value_usd"]
                             if r["value_usd"] > 0 else np.nan,
                             denominator="customs value", explanation=EXPLAIN["naics"]))
    return pd.DataFrame(rows)


STATUTORY_VS_COLLECTED_TEXT = Text(
    "Statutory against collected duty rates",
    "One row per origin, period and source: statutory HS 8703 rate from the events table against "
    "the collected rate (duties / value) the source gives, with the explanation of every known "
    "disagreement (Korea's retroactive November 2025 cut collected at 25% and refunded later; "
    "Japan's offset credits; chapter-87 product mix).",
)


def statutory_vs_collected(
    flows: pd.DataFrame,
    monthly: pd.DataFrame,
    note: pd.DataFrame,
    origins: tuple[str, ...] = ("KOR", "JPN", "MEX", "CAN", "DEU"),
    include_naics: bool = True,
) -> pd.DataFrame:
    """The statutory-vs-collected table (see the module docstring for sources and scope).

    ``flows``: canonical flows (``autotariffs.data.build.read_flows`` or flows.parquet); ``monthly``:
    :func:`autotariffs.tariffs.schedule.monthly_schedule` covering the periods wanted (e.g. daily schedule
    from 2013-01-01 to 2026-06-30); ``note``: :func:`autotariffs.data.sources.budgetlab.
    read_collected_note`. Returns :data:`COLUMNS`, ``diff_pp`` = collected - statutory (NaN where
    there is no statutory rate), sorted by source, origin, scope, period.
    """
    parts = [_note_rows(note, monthly), _ch87_rows(flows, monthly, origins)]
    if include_naics:
        parts.append(_naics_rows(flows))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out["diff_pp"] = out["collected_rate_pct"] - out["statutory_rate_pct"]
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    out["n_months"] = out["n_months"].astype(np.int64)
    out = out[COLUMNS].sort_values(["source", "origin", "scope", "period"], kind="mergesort")
    return out.reset_index(drop=True)


def collected_by_origin(table: pd.DataFrame, origins: Sequence[str] = design.TREATED,
                        source: str = "budgetlab_note") -> dict[str, dict]:
    """The collected rates of ``origins`` from one source of :func:`statutory_vs_collected` beside
    the statutory rate, keyed ``<ORIGIN>_<YYYY>_<MM>`` (the ``collected`` block of results.json,
    which the report's narrative reads)."""
    rows = table[table["origin"].isin(list(origins)) & (table["source"] == source)]
    return {f"{r.origin}_{r.period:%Y_%m}": {"statutory_rate_pct": r.statutory_rate_pct,
                                             "collected_rate_pct": r.collected_rate_pct,
                                             "source": r.source}
            for r in rows.itertuples()}
