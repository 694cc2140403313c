"""The literature comparison table: published figures beside ours, each cited by table and column.

Why: a published number is shown only with the table and column it comes from, so a reader can
find it; :data:`ROWS` holds the checked figures (none yet, so the printed table is empty and its
caption says why). Conventions (elasticity; pass-through to the duty-inclusive price) and the
shape of ``ours``: ARCHITECTURE.md ("Estimator notes: literature.py").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text

COLUMNS = [
    "study", "episode", "object", "convention", "published", "published_range",
    "ours_KOR", "ours_JPN", "comparable_how", "source", "table", "column",
]  # fmt: skip
CONVENTIONS = {
    "elasticity": "elasticity: d ln(flow) / d ln(1+tariff)",
    "passthrough": "pass-through to duty-inclusive price: 1 = buyers pay all, 0 = exporters absorb all",
}
#: the MEX/CAN non-US content share at which our ratios enter the literature table
OURS_CONTENT_SHARE = 0.5
#: title and caption of :func:`literature_table` in the report
LITERATURE_TEXT = Text(
    "Our estimates beside the literature",
    "Each row's numbers are in the convention named in its 'convention' column. Ours: reduced form "
    f"divided by the tariff gap at a USMCA non-US content share of {OURS_CONTENT_SHARE} "
    "(pass-through = 1 + γ). Each published figure is cited by the table and column of its "
    "source; figures that could not be checked against a table (abstracts' rounded headlines, "
    "numbers recalled or read in secondary reports) are left out, so the table is empty until "
    "the papers' tables are checked.",
)
OURS_KEYS = frozenset({"elasticity", "gamma"})
ORIGINS = design.TREATED


@dataclass(frozen=True)
class Row:
    """One published figure: the study, the object, the number and where it is printed."""

    study: str
    episode: str
    object: str
    estimate: float
    se_or_range: str
    compare: str | None  # "elasticity", "passthrough", "exporter_price" or None (not comparable)
    origins: tuple[str, ...]  # which of our origins to place beside it
    comparable_how: str
    source: str  # the publication (journal, volume, pages)
    table: str  # "Table 3" (or "Appendix Table A2"), as printed in the source
    column: str  # "column (2)", as printed in the source


#: the published figures checked against their source's table and column
ROWS: tuple[Row, ...] = ()
_NAN = float("nan")
_TABLE = re.compile(r"^(Appendix )?Table [A-Z]?\d+[a-z]?$")


def check_citation(row: Row) -> None:
    """A ValueError unless ``row`` names the table and the column its number comes from."""
    if not _TABLE.match(row.table.strip()) or not row.column.strip():
        raise ValueError(f"literature row {row.study!r} ({row.object!r}): cite the table and "
                         f"column of the source (got table={row.table!r}, "
                         f"column={row.column!r})")


def _validate_ours(ours: dict | None) -> dict[str, dict[str, float]]:
    if ours is None:
        return {}
    if not isinstance(ours, dict):
        raise TypeError(f"ours must be a dict like {{'KOR': {{'elasticity': ..}}}}, got {ours!r}")
    clean: dict[str, dict[str, float]] = {}
    for origin, vals in ours.items():
        if origin not in ORIGINS:
            raise ValueError(f"ours: unknown origin {origin!r}; expected one of {list(ORIGINS)}")
        if not isinstance(vals, dict):
            raise TypeError(f"ours[{origin!r}] must be a dict, got {vals!r}")
        clean[origin] = {}
        for key, v in vals.items():
            if key not in OURS_KEYS:
                raise ValueError(
                    f"ours[{origin!r}]: unknown key {key!r}; expected {sorted(OURS_KEYS)}"
                )
            if v is None:
                continue
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"ours[{origin!r}][{key!r}] = {v!r} is not a number") from None
            if not math.isfinite(fv):
                raise ValueError(f"ours[{origin!r}][{key!r}] = {v!r} is not finite")
            clean[origin][key] = fv
    return clean


def _our_value(ours: dict[str, dict[str, float]], origin: str, row: Row) -> float:
    """Our number in the row's convention: elasticity as is, pass-through = 1 + gamma."""
    if row.compare is None or origin not in row.origins:
        return _NAN
    vals = ours.get(origin, {})
    if row.compare == "elasticity":
        return vals.get("elasticity", _NAN)
    return 1.0 + vals["gamma"] if "gamma" in vals else _NAN


def _published(row: Row) -> tuple[float, str, str]:
    """(value, object text, convention) with exporter-price figures converted to pass-through."""
    if row.compare == "exporter_price":
        return (1.0 + row.estimate,
                f"{row.object}, as pass-through (1 + {row.estimate:.3f})",
                CONVENTIONS["passthrough"])
    conv = CONVENTIONS.get(row.compare or "", "as stated in 'object' (not compared with ours)")
    return float(row.estimate), row.object, conv


def literature_table(ours: dict | None = None, rows: tuple[Row, ...] | None = None
                     ) -> pd.DataFrame:
    """The literature comparison table, one row per published figure (:data:`ROWS` unless
    ``rows`` is given), in a fixed order.

    Columns: ``study, episode, object, convention, published, published_range, ours_KOR,
    ours_JPN, comparable_how, source, table, column``. Every number in a row (published and ours) is in
    the row's ``convention`` (module docstring). ``published`` is NaN where the source gives only a
    range or a qualitative statement (then ``published_range`` says it). ``ours_*`` hold our
    estimate of the same object (elasticity, or 1 + gamma for pass-through); NaN where not
    comparable or not supplied.
    """
    ours_c = _validate_ours(ours)
    records = []
    for r in ROWS if rows is None else rows:
        check_citation(r)
        value, obj, conv = _published(r)
        records.append(
            {
                "study": r.study,
                "episode": r.episode,
                "object": obj,
                "convention": conv,
                "published": value,
                "published_range": r.se_or_range,
                "ours_KOR": _our_value(ours_c, "KOR", r),
                "ours_JPN": _our_value(ours_c, "JPN", r),
                "comparable_how": r.comparable_how,
                "source": r.source,
                "table": r.table,
                "column": r.column,
            }
        )
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def ours_from_results(results: dict, content_share: float = OURS_CONTENT_SHARE
                      ) -> dict[str, dict[str, float]]:
    """Our numbers for :func:`literature_table` from results.json, in OUR convention.

    The elasticity and gamma are the reduced form divided by the tariff gap at the given USMCA
    non-US content share (``<ORIGIN>.sensitivity.curve``); gamma stays gamma here and becomes
    pass-through 1 + gamma only inside :func:`literature_table`, so the two conventions meet in
    one place. Origins without a sensitivity curve, or whose ratio is not identified at that
    share, are left out.
    """
    ours: dict[str, dict[str, float]] = {}
    for o in ORIGINS:
        curve = results.get(o, {}).get("sensitivity", {}).get("curve", [])
        pt = next((p for p in curve if abs(p["content_share"] - content_share) < 1e-9), None)
        if pt is None:
            continue
        vals = {k: pt[src] for k, src in (("elasticity", "elasticity_q"), ("gamma", "gamma"))
                if pt.get(src) is not None}
        if vals:
            ours[o] = vals
    return ours
