"""The literature comparison table, as data, with an honest verification mark per figure.

Why: the report places our KOR/JPN elasticities and pass-through estimates beside the published
benchmarks. A reader must be able to see, per number, whether it was checked against the source
('V'), taken from a secondary source only ('S', e.g. news, course page, replication site), or
recalled and unverified ('U'), so that no benchmark looks more authoritative than it is. Marks
follow the project's literature notes; a figure is only 'V' if the source itself was read.

One convention per object, named in the ``convention`` column of every row:

* elasticities: d ln(imports) / d ln(1 + tariff) (negative when imports fall);
* prices: **pass-through to the duty-inclusive price**, d ln(p (1 + tau)) / d ln(1 + tau):
  1 = complete (US buyers pay the whole duty, ex-tariff price unchanged), 0 = exporters absorb it
  all. Published figures stated as an exporter (ex-tariff) price response are converted to this
  convention (pass-through = 1 + exporter-price response) and say so in ``object``.

The ``ours`` argument of :func:`literature_table` takes our estimates in *their* convention::

    {"KOR": {"elasticity": e, "gamma": g}, "JPN": {...}}

where ``gamma`` is our ex-tariff unit-value response (0 = buyers pay all, -1 = exporters absorb
all), converted here to pass-through 1 + gamma. (Before December 2026 the report passed gamma as
if it were pass-through, printing -0.73 beside "1 = complete": the keys are now explicit so the
two conventions cannot be confused.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text

COLUMNS = [
    "study", "episode", "object", "convention", "published", "published_range",
    "ours_KOR", "ours_JPN", "comparable_how", "checked", "source",
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
    "(pass-through = 1 + γ). "
    "Checked: V = verified against the source, S = secondary source only, U = recalled, "
    "unverified.",
)
CHECK_MARKS = frozenset({"V", "S", "U"})
OURS_KEYS = frozenset({"elasticity", "gamma"})
ORIGINS = design.TREATED

# Tariff rates in the Japan / Korea back-of-envelope (statutory, HS 8703).
JPN_TARIFF_BEFORE = 0.025  # MFN
JPN_TARIFF_AFTER = 0.275  # MFN + 25% s232, from 2025-04-03
KOR_TARIFF_BEFORE = 0.0  # KORUS
KOR_TARIFF_AFTER = 0.25
BOJ_YOY_JUN2025 = -0.194  # BOJ export price index, passenger cars to North America, y/y
KOR_PRICE_CUT = -0.10  # "export price cuts up to 10%" (CEIC, secondary)


def implied_absorption(price_change: float, tariff_before: float, tariff_after: float) -> float:
    """Implied ex-tariff price elasticity: ln(1 + price change) / ln((1 + t1) / (1 + t0)).

    -1 means the exporter cut its (ex-tariff) price one-for-one with the tariff, so the
    duty-inclusive price did not move (zero pass-through); 0 means complete pass-through.
    A crude two-point ratio: it ignores exchange-rate moves, model mix and the timing of the
    y/y comparison, which is why it is labelled back-of-envelope.
    """
    if price_change <= -1:
        raise ValueError(f"price_change must be > -1 (a proportional change), got {price_change}")
    dtau = math.log((1 + tariff_after) / (1 + tariff_before))
    if dtau == 0:
        raise ValueError(f"tariff_before == tariff_after ({tariff_before}): no tariff change")
    return math.log(1 + price_change) / dtau


@dataclass(frozen=True)
class _Row:
    study: str
    episode: str
    object: str
    estimate: float
    se_or_range: str
    compare: str | None  # "elasticity", "passthrough", "exporter_price" or None (not comparable)
    origins: tuple[str, ...]  # which of our origins to place beside it
    comparable_how: str
    checked: str
    source: str


_NAN = float("nan")
_ARW = "Amiti, Redding & Weinstein (2019)"
_FGKK = "Fajgelbaum, Goldberg, Kennedy & Khandelwal (2020)"
_BLP = "Boehm, Levchenko & Pandalai-Nayar (2023)"
_KIEL = "Kiel Institute (2026)"
_US2018 = "US 2018-19 tariffs (not autos)"


def _rows() -> list[_Row]:
    jpn_abs = implied_absorption(BOJ_YOY_JUN2025, JPN_TARIFF_BEFORE, JPN_TARIFF_AFTER)
    kor_abs = implied_absorption(KOR_PRICE_CUT, KOR_TARIFF_BEFORE, KOR_TARIFF_AFTER)
    both = ORIGINS
    return [
        _Row(_FGKK, _US2018, "import demand elasticity sigma (HS10 x country varieties)",
             2.53, "s.e. 0.26", "elasticity", both,
             "-sigma equals our tariff elasticity of quantities only under complete "
             "pass-through; theirs is a within-product variety elasticity, ours an "
             "origin-level one.",
             "U", "QJE 135(1):1-55; estimate from memory, check the paper's tables"),
        _Row(_FGKK, _US2018, "pass-through to duty-inclusive import prices",
             1.0, "complete", "passthrough", both,
             "Same object as our 1 + gamma (1 = complete).",
             "V", "QJE 135(1):1-55; headline result"),
        _Row(_FGKK, _US2018, "inverse foreign export supply elasticity omega*",
             0.0, "approx. 0 (-0.002)", None, (),
             "Not estimated by us; omega* = 0 means horizontal foreign supply, i.e. "
             "complete pass-through.",
             "U", "QJE 135(1):1-55; estimate from memory, check the paper's tables"),
        _Row(_ARW, _US2018, "pass-through to duty-inclusive import prices",
             1.0, "complete", "passthrough", both,
             "Same object as our 1 + gamma (1 = complete).",
             "V", "JEP 33(4):187-210"),
        _Row(_BLP, "MFN tariff changes 1995-2018", "elasticity of tariff-exclusive trade flows, "
             "1 year after", -0.76, "", "elasticity", both,
             "Same sign convention as our elasticity; theirs is a short-run local-projection "
             "estimate across products and partners, ours a single episode in one product.",
             "V", "AER 113(4):861-905; abstract"),
        _Row(_BLP, "MFN tariff changes 1995-2018", "elasticity of tariff-exclusive trade flows, "
             "long run (7-10 years)", _NAN, "-2.25 to -1.75 (range)", "elasticity", both,
             "Long-run horizon; our months-long window should lie closer to the short run.",
             "V", "AER 113(4):861-905; abstract"),
        _Row("Feenstra (1989)", "Japanese light trucks, 25% US tariff (1980s)",
             "tariff pass-through to US prices (light trucks)", 0.6, "approx.", "passthrough", both,
             "Same object; the closest historical precedent (Japanese vehicles).",
             "V", "Journal of International Economics (1989); NBER WP 2453; abstract"),
        _Row("Feenstra (1989)", "Japanese motorcycles (1980s)",
             "tariff pass-through to US prices (motorcycles)", 1.0, "approx.", "passthrough", both,
             "Same object.", "V",
             "Journal of International Economics (1989); NBER WP 2453; abstract"),
        _Row("Cavallo, Gopinath, Neiman & Tang (2021)", _US2018,
             "tariff pass-through at the border (Chinese exporters barely cut dollar prices)",
             _NAN, "near complete (qualitative)", "passthrough", both,
             "Border prices, like our unit values; no single number in the abstract.",
             "V", "AER: Insights 3(1):19-34; abstract"),
        _Row("Cavallo, Llamas & Vazquez (2025)", "US 2025 tariffs, retail prices",
             "retail tariff pass-through", 0.20, "", None, (),
             "Retail, not border: not comparable with our border unit values.",
             "V", "NBER WP 34496 (Nov 2025)"),
        _Row(_KIEL, "US 2025 tariffs, Jan 2024-Nov 2025 shipments",
             "pass-through to US buyers", 0.96, "", "passthrough", both,
             "Same object, all goods.", "S", "Kiel Institute (Jan 2026), via secondary reports"),
        _Row(_KIEL, "US 2025 tariffs, Jan 2024-Nov 2025 shipments",
             "exporter (ex-tariff) price coefficient", -0.039, "", "exporter_price", both,
             "Converted to pass-through (1 + coefficient); compare with our 1 + gamma.", "S",
             "Kiel Institute (Jan 2026), via secondary reports"),
        _Row("Bank of Japan (2025)", "US s232 autos 2025",
             "export price index, passenger cars to North America (contract currency), "
             "% change y/y, June 2025", round(100 * BOJ_YOY_JUN2025, 1), "", None, (),
             "Data, not an estimate; input to the Japan back-of-envelope below.",
             "S", "BOJ Corporate Goods Price Index release of 2025-07-10, as cited by several "
             "independent reports (primary series not read)"),
        _Row("Bank of Japan (2025)", "US s232 autos 2025",
             "export price index level, passenger cars to North America, June 2025",
             86.8, "", None, (), "Data, not an estimate.",
             "S", "BOJ Corporate Goods Price Index release of 2025-07-10, as cited by several "
             "independent reports (primary series not read)"),
        _Row("Back-of-envelope (this package)", "US s232 autos 2025, Japan",
             f"implied ex-tariff price elasticity ln(1{BOJ_YOY_JUN2025:+.3f})/"
             f"ln({1 + JPN_TARIFF_AFTER:.3f}/{1 + JPN_TARIFF_BEFORE:.3f})",
             jpn_abs, "", "exporter_price", ("JPN",),
             "Converted to pass-through (1 + ratio; 0 = full absorption by the exporter). "
             "Ignores yen moves, model mix and transfer pricing to US subsidiaries.",
             "S", "computed here from the BOJ figure (secondary) and statutory tariffs "
             "2.5% -> 27.5%"),
        _Row("Back-of-envelope (this package)", "US s232 autos 2025, Korea",
             f"implied ex-tariff price elasticity ln(1{KOR_PRICE_CUT:+.2f})/"
             f"ln({1 + KOR_TARIFF_AFTER:.2f}/{1 + KOR_TARIFF_BEFORE:.2f})",
             kor_abs, "", "exporter_price", ("KOR",),
             "Converted to pass-through (1 + ratio); the 10% price cut is an 'up to' figure.",
             "S", "computed here from a secondary report of export price cuts up to 10% "
             "(CEIC) and statutory tariffs 0% -> 25%"),
    ]  # fmt: skip


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


def _our_value(ours: dict[str, dict[str, float]], origin: str, row: _Row) -> float:
    """Our number in the row's convention: elasticity as is, pass-through = 1 + gamma."""
    if row.compare is None or origin not in row.origins:
        return _NAN
    vals = ours.get(origin, {})
    if row.compare == "elasticity":
        return vals.get("elasticity", _NAN)
    return 1.0 + vals["gamma"] if "gamma" in vals else _NAN


def _published(row: _Row) -> tuple[float, str, str]:
    """(value, object text, convention) with exporter-price figures converted to pass-through."""
    if row.compare == "exporter_price":
        return (1.0 + row.estimate,
                f"{row.object}, as pass-through (1 + {row.estimate:.3f})",
                CONVENTIONS["passthrough"])
    conv = CONVENTIONS.get(row.compare or "", "as stated in 'object' (not compared with ours)")
    return float(row.estimate), row.object, conv


def literature_table(ours: dict | None = None) -> pd.DataFrame:
    """The literature comparison table, one row per published figure, in a fixed order.

    Columns: ``study, episode, object, convention, published, published_range, ours_KOR,
    ours_JPN, comparable_how, checked, source``. Every number in a row (published and ours) is in
    the row's ``convention`` (module docstring). ``published`` is NaN where the source gives only a
    range or a qualitative statement (then ``published_range`` says it). ``ours_*`` hold our
    estimate of the same object (elasticity, or 1 + gamma for pass-through); NaN where not
    comparable or not supplied.
    """
    ours_c = _validate_ours(ours)
    records = []
    for r in _rows():
        if r.checked not in CHECK_MARKS:  # guards future edits
            raise ValueError(f"literature row {r.study!r}: checked={r.checked!r} not in V/S/U")
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
                "checked": r.checked,
                "source": r.source,
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
