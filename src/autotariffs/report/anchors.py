"""Published price anchors beside our own exporter prices: the Bank of Japan's export price index.

The anchors (``data/external/boj_export_price_anchors/``) are secondary reports of a primary
series, kept to check our estimate against, never estimated from. Our number is the origin's
FOB unit value to the US (``<origin>.export_prices`` of results.json); theirs is a
matched-model price index, so a gap between the two can be model mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autotariffs.outputs import Text

COLUMNS = ("origin", "destination", "product", "month", "basis", "yoy_pct", "status", "source")


def read_boj(path: Path) -> pd.DataFrame:
    """The anchors file, with its columns checked."""
    df = pd.read_csv(path, dtype={"month": str})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        from autotariffs.errors import DataContractError

        raise DataContractError(Path(path).name, missing[0], f"required columns {missing} missing")
    return df


def anchors_block(df: pd.DataFrame) -> dict:
    """results.json ``anchors.boj_export_prices``: origin -> basis -> 'YYYY_MM' -> percent."""
    out: dict[str, Any] = {}
    for (o, basis), g in df.groupby(["origin", "basis"], sort=True):
        out.setdefault(o, {})[basis] = {m.replace("-", "_"): float(v)
                                        for m, v in zip(g["month"], g["yoy_pct"], strict=True)}
    out["source"] = "Bank of Japan export price index, passenger cars to North America, as " \
                    "reported by the financial press (data/external/boj_export_price_anchors)"
    return out


COMPARISON_COLUMNS = ("origin", "month", "ours, USD (%)", "ours, local currency (%)",
                      "ours, p (conformal)", "BOJ, contract currency (%)", "BOJ, yen (%)")


def comparison_table(results: Mapping[str, Any], block: Mapping[str, Any]) -> pd.DataFrame:
    """Per origin with anchors and export prices, per month: our USD and local-currency unit-
    value change (percent) beside the BOJ's contract-currency and yen changes."""
    rows = []
    for o, bases in block.items():
        xp = results.get(o, {}).get("export_prices") if isinstance(bases, dict) else None
        if not xp:
            continue
        months = sorted({k for k in xp if k[:4].isdigit()}
                        | {m for b in bases.values() for m in b})
        for m in months:
            ours = xp.get(m, {})
            cur = str(ours.get("currency", "")).lower()
            rows.append({
                "origin": o, "month": m.replace("_", "-"),
                "ours, USD (%)": ours.get("uv_usd_yoy_pct"),
                "ours, local currency (%)": ours.get(f"uv_{cur}_yoy_pct"),
                "ours, p (conformal)": ours.get("p"),
                "BOJ, contract currency (%)": bases.get("contract_currency", {}).get(m),
                "BOJ, yen (%)": bases.get("yen", {}).get(m),
            })  # fmt: skip
    df = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)  # the columns even when no origin has both
    return df.replace({np.nan: None}) if len(df) else df


ANCHORS_TEXT = Text(
    "Exporters' prices to the US: our unit values beside the Bank of Japan's index",
    "Ours: 12-month change of the FOB unit value of Japan-reported exports of passenger cars "
    "(HS 8703) to the US (UN Comtrade), in US dollars and in yen, with the conformal p-value "
    "of each month against the baseline months. BOJ: export price index for passenger cars to "
    "North America, year on year, contract-currency and yen basis, as reported by the "
    "financial press. A unit value also moves with the model mix; the index does not.",
)
