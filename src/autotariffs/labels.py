"""What the figures and the report print for codes and numbers, written once.

Origin names, outcome and column labels, and the one number formatter (:func:`fmt_num`, with
:func:`fmt_p` for p-values) live in the core so that figures (rank 5) and the report (rank 6)
read the same words without importing each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from autotariffs import design

#: PNG text key under which :func:`autotariffs.figures.save` records the note drawn in the image
PNG_NOTE_KEY = "Source note"
#: PNG text key holding the smallest font size (points) of the saved figure
PNG_MIN_FONT_KEY = "Smallest text (pt)"

#: plain names of the origin (and destination) codes the data carry
ORIGIN_NAMES: dict[str, str] = {
    "KOR": "Korea", "JPN": "Japan", "DEU": "Germany", "EUN": "EU-27", "GBR": "United Kingdom",
    "MEX": "Mexico", "CAN": "Canada", "ROW": "Rest of world", "USA": "United States",
    "AUS": "Australia", "SAU": "Saudi Arabia",
}  # fmt: skip

#: the outcomes of the analysis panel, in words
OUTCOME_LABELS: dict[str, str] = {
    "ln_q": "log vehicles",
    "ln_v": "log import value (CIF-type)",
    "ln_uv": "log ex-tariff unit value (CIF-type)",
    "d12_ln_q": "12-month change in log vehicles",
    "d12_ln_v": "12-month change in log import value (CIF-type)",
    "d12_ln_uv": "12-month change in log ex-tariff unit value (CIF-type)",
    "quantity": "vehicles",
    "value_usd": "import value (USD)",
}

#: the designs of the one-treated-unit comparison (autotariffs.models.one_treated), in words
DESIGN_LABELS: dict[str, str] = {"level": "level", "yoy": "year on year",
                                 "trend": "trend-adjusted"}

#: table columns in words (a column not listed is shown with spaces for underscores)
COLUMN_LABELS: dict[str, str] = {
    "a_label": "series A", "a_value": "value A", "b_label": "series B", "b_value": "value B",
    "pct_diff": "difference (%)", "tolerance_pct": "tolerance (%)", "passes": "within tolerance",
    "first_month": "first month", "last_month": "last month", "n_rows": "rows",
    "n_periods": "periods", "n_months": "months", "is_bloc": "bloc", "source_first": "first",
    "source_last": "last", "effective_rate_pct": "effective rate (%)",
    "statutory_rate_pct": "statutory rate (%)", "collected_rate_pct": "collected rate (%)",
    "gap_pp": "gap (pp)", "diff_pp": "difference (pp)", "coef": "coefficient",
    "ci95_low": "95% CI low", "ci95_high": "95% CI high", "crv1_ci95_low": "CRV1 95% CI low",
    "crv1_ci95_high": "CRV1 95% CI high", "p_crv1": "p (CRV1)", "p_wild": "p (wild bootstrap)",
    "p_ri": "p (randomization)", "wild_draws": "wild draws",
    "ri_distinct_assignments": "distinct assignments (RI)", "ri_smallest_p": "smallest p (RI)",
    "n_clusters": "clusters", "n_obs": "observations", "sample_start": "sample start",
    "sample_end": "sample end", "published_range": "published (range)",
    "ours_coef": "ours: coefficient", "ref_coef": "published: coefficient",
    "ours_se": "ours: s.e.", "ref_se": "published: s.e.", "comparable_how": "comparable how",
    "why_invalid": "why invalid", "G": "clusters (G)", "N": "observations (N)",
    "freq": "frequency",
}  # fmt: skip

_COUNT_LEAF = re.compile(r"^(n|min_n)($|_)")
_P_LEAF = re.compile(r"^(min_)?p($|_)")


def origin_name(code: str) -> str:
    """Korea for KOR; an unknown code as it is."""
    return ORIGIN_NAMES.get(code, code)


def origin_rank(code: str) -> tuple[int, str]:
    """Sort key: the design's treated origins first, in design order, then the rest by code."""
    treated = design.TREATED
    return (treated.index(code), "") if code in treated else (len(treated), code)


def in_design_order(codes: Iterable[str]) -> list[str]:
    """``codes`` with the treated origins first (design order), then the others by code."""
    return sorted(set(codes), key=origin_rank)


def outcome_label(key: str) -> str:
    """An outcome in words (``ln_q`` -> log vehicles); text after the key is kept."""
    head, sep, rest = key.partition(" ")
    return OUTCOME_LABELS[head] + sep + rest if head in OUTCOME_LABELS else key


def column_label(name: str) -> str:
    """A table column in words: :data:`COLUMN_LABELS`, or its name with spaces for underscores."""
    head, _, code = name.rpartition("_")
    if head and code in ORIGIN_NAMES:  # ours_KOR -> ours: Korea
        return f"{head.replace('_', ' ')}: {origin_name(code)}"
    return COLUMN_LABELS.get(name, name.replace("_", " "))


def is_p_value_key(key: str | None) -> bool:
    """A dotted key or column whose last part names a p-value: ``p``, ``p_conformal``, ``min_p``."""
    return bool(key) and bool(_P_LEAF.match(str(key).rsplit(".", 1)[-1]))


def fmt_p(p: float | None) -> str:
    """A p-value as '< 0.001' or three decimals; 'n/a' when missing."""
    if p is None:
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_num(value: Any, key: str | None = None, decimals: int = 3) -> str:
    """The one display rule for numbers in the report (and the figures' printed numbers).

    * missing, boolean or non-finite: ``n/a``;
    * integers (and integer-valued floats under a count key ``n_...``): ``148``, ``1,408,280``;
    * p-values (``key`` whose last part is ``p``, ``p_...`` or ``min_p...``): :func:`fmt_p`;
    * other numbers of 10,000 or more: whole, with thousands separators (``40,765,669,520``);
    * everything else: ``decimals`` decimals (3 at most).

    Four-digit numbers keep no separator, so years and short counts read as written.
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    leaf = str(key).rsplit(".", 1)[-1] if key else ""
    if isinstance(value, int) or (_COUNT_LEAF.match(leaf) and float(value).is_integer()):
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    if is_p_value_key(key):
        return fmt_p(value)
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.{min(decimals, 3)}f}"


def fmt_text_number(text: str, key: str | None = None) -> str | None:
    """:func:`fmt_num` of a number written as text (a CSV cell), or None if it is not one.

    An integer stays an integer; a decimal keeps its written decimals up to three.
    """
    s = text.strip()
    if re.fullmatch(r"[-+]?\d+", s):
        return fmt_num(int(s), key)
    m = re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s)
    if not m:
        return None
    written = len(m.group(1).split(".")[1]) if "." in m.group(1) and not m.group(2) else 3
    return fmt_num(float(s), key, decimals=written)
