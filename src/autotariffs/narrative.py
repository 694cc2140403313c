"""What the shipped data can and cannot identify, written from the estimates themselves.

The report states this plainly (a referee should not have to infer it from standard errors), and
the text is generated from results.json so it cannot drift from the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _p(r: Mapping[str, Any], key: str) -> str:
    v = r.get(key)
    return "n/a" if v is None else f"{v:.2f}"


def identification_notes(results: Mapping[str, Any]) -> dict[str, list[str]]:
    """Topic -> sentences for the report's identification section."""
    notes: dict[str, list[str]] = {}
    general = [
        "The shipped monthly panel has five origins (CAN, DEU, JPN, KOR, MEX) and ends in 2025-07: "
        "four post-tariff months. Every origin was treated on 2025-04-03; Mexico and Canada less "
        "(25% on non-US content only, an assumed share), so identification comes from differences "
        "in the size of the tariff increase across at most five clusters.",
        "With five clusters (three for an origin against the USMCA controls) cluster-robust "
        "standard errors over-reject; we report them only beside the wild cluster bootstrap "
        "(Webb weights) and randomization inference, whose smallest attainable p-values are "
        "1/120 (G = 5) and 1/6 (G = 3). With G = 3 the wild bootstrap cannot reject at 5%.",
        "Japan's deal (15% from 2025-09-16) and Korea's (15% from 2025-11-01, retroactive) fall "
        "after the last month of the panel: the data cannot identify the effect of the deals or the "
        "Korea-Japan differential-timing window (2025-09-16 to 2025-11-01).",
        "Unit values are value per vehicle from Comtrade (CIF-type, before duty): a fall can be a "
        "price cut or a shift in model mix; HS10 x origin x month data with quantities (available "
        "through `make fetch`) would separate the two. 2022 monthly quantities are Comtrade "
        "estimates for every origin and are excluded from quantity-based regressions.",
        "Border prices are not retail prices: a lower ex-tariff unit value at the border can reflect "
        "transfer-price cuts to the exporters' own US subsidiaries, so border pass-through and "
        "consumer-price pass-through are different objects.",
    ]
    notes["what the shipped data can identify"] = general
    for o in ("KOR", "JPN"):
        r = results.get(o)
        if not r:
            continue
        e, g = r["elasticity"], r["passthrough"]
        notes[f"headline for {o}"] = [
            f"Import response (12-month differences, {o} vs {', '.join(r['controls'])}): "
            f"{e['coef']:.2f} per log point of tariff, 95% CI [{e['ci95_low']:.2f}, "
            f"{e['ci95_high']:.2f}] (CRV1), p = {_p(e, 'p_crv1')} (CRV1), {_p(e, 'p_wild')} (wild "
            f"bootstrap), {_p(e, 'p_ri')} (randomization), G = {e['n_clusters']}, "
            f"n = {e['n_obs']}.",
            f"Pass-through to the ex-tariff unit value: gamma = {g['coef']:.2f} (0 = complete "
            f"pass-through to US buyers, -1 = exporters absorb the tariff), p = {_p(g, 'p_crv1')} "
            f"(CRV1), {_p(g, 'p_wild')} (wild), {_p(g, 'p_ri')} (randomization), "
            f"G = {g['n_clusters']}.",
        ]
    return notes
