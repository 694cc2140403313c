"""Descriptive figures of the monthly HS 8703 panel: import values and counts, unit values, mirror.

Each function takes the origin x month panel (columns ``origin, month, value_usd, quantity`` and,
for JPN, the Japan-reported export flow ``mirror_v``/``mirror_q`` -- the names
``mirror_value_usd``/``mirror_quantity`` are accepted too) and returns a matplotlib Figure in the
house style: Okabe-Ito colours plus a distinct line style and marker per origin (readable in
greyscale), axis labels with units, policy dates marked, source note underneath.
:func:`save_descriptives` saves all three and registers them for the report with their texts
(``*_text``: title, caption and a source note naming the panel's months).

Unit values are recomputed as value / quantity from the (possibly HS10-aggregated) flows so the
figure never depends on how an upstream ``uv`` column was scaled; a ``uv`` column that disagrees
with value / quantity is reported as an error rather than silently plotted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.errors import AutotariffsError
from autotariffs.figures import (
    EVENTS,
    MIN_FONT_PT,
    ORIGIN_LABEL,
    ORIGIN_ORDER,
    ORIGIN_STYLE,
    add_source_note,
    mark_events,
    publish,
    set_style,
)
from autotariffs.outputs import Text

SOURCE_US = (
    "Source: UN Comtrade monthly, reporter USA, imports of HS 8703 (HS code inferred and "
    "confirmed against annual 8703 totals; see data/raw/trade/PROVENANCE.md). Values in current "
    "USD, CIF-type (ex-tariff); quantities in vehicles."
)
SOURCE_MIRROR = (
    "Source: UN Comtrade monthly; US-reported imports from {name} (CIF-type, USD) and "
    "{name}-reported exports to the US ({name}'s customs statistics via Comtrade, FOB, USD), "
    "HS 8703."
)
NOTE_2022 = (
    "2022 (shaded): monthly quantities are Comtrade estimates (fractional) for all five origins; "
    "JPN/MEX sum to 0.86x/1.11x of the annual counts, DEU to about twice its 2021 count. "
    "2022 quantities and unit values are unreliable"
)
MIRROR_ALIASES = {"mirror_v": "mirror_value_usd", "mirror_q": "mirror_quantity"}
_MARKEVERY = 6
_REL_TOL_UV = 1e-6


class FigureDataError(AutotariffsError, ValueError):
    """The panel handed to a figure function lacks columns or has inconsistent rows."""


def _monthly(panel: pd.DataFrame, cols: Sequence[str], fn: str) -> pd.DataFrame:
    """Check columns, normalise ``month`` to month-start Timestamps, one row per origin x month.

    An ``hs_code`` column (Census HS10 panel) is summed over; any other duplicate is an error.
    """
    need = ["origin", "month", *cols]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise FigureDataError(
            f"{fn}: panel lacks column(s) {missing}; expected {need} (have {sorted(panel.columns)})"
        )
    df = panel[[c for c in [*need, "hs_code"] if c in panel.columns]].copy()
    try:
        month = df["month"]
        if isinstance(month.dtype, pd.PeriodDtype):
            month = month.dt.to_timestamp()
        df["month"] = pd.to_datetime(month).dt.to_period("M").dt.to_timestamp()
    except (ValueError, TypeError) as exc:
        raise FigureDataError(f"{fn}: column 'month' is not parseable as months ({exc})") from exc
    if "hs_code" in df.columns:
        df = df.groupby(["origin", "month"], as_index=False)[list(cols)].sum(min_count=1)
    dup = df.duplicated(["origin", "month"], keep=False)
    if dup.any():
        bad = df.loc[dup, ["origin", "month"]].astype(str).head(5).to_dict("records")
        raise FigureDataError(f"{fn}: origin x month rows must be unique; duplicates e.g. {bad}")
    return df.sort_values(["origin", "month"], kind="mergesort").reset_index(drop=True)


def _origins(df: pd.DataFrame) -> list[str]:
    present = set(df["origin"].astype(str))
    return [o for o in ORIGIN_ORDER if o in present] + sorted(present - set(ORIGIN_ORDER))


def _style(origin: str) -> dict[str, Any]:
    st = ORIGIN_STYLE.get(origin, {"color": "#777777", "linestyle": "-", "marker": "."})
    return {
        **st,
        "label": ORIGIN_LABEL.get(origin, origin),
        "markersize": 3.5,
        "markevery": _MARKEVERY,
        "linewidth": 1.3,
    }


def _frame_time(
    axes: Sequence[plt.Axes],
    months: pd.Series,
    origins: Sequence[str],
    shade: Sequence[bool] = (),
) -> None:
    """Clip the x-range to the data, shade 2022 on quantity axes, mark events inside the data.

    Events after the last observed month are not drawn: a line in empty space invites reading an
    effect the sample cannot show.
    """
    lo, hi = months.min(), months.max()
    x0, x1 = lo - pd.Timedelta(days=15), hi + pd.Timedelta(days=45)
    events = {
        e.date: e.label
        for e in design.EVENTS_ALL
        if lo <= pd.Timestamp(e.date) <= hi + pd.offsets.MonthEnd(0)
        and any(e.concerns(o) for o in origins)
    }
    for i, ax in enumerate(axes):
        ax.set_xlim(x0, x1)
        in_range = lo <= pd.Timestamp("2022-12-31") and hi >= pd.Timestamp("2022-01-01")
        if in_range and i < len(shade) and shade[i]:
            ax.axvspan(
                pd.Timestamp("2022-01-01"),
                pd.Timestamp("2023-01-01"),
                color="#bbbbbb",
                alpha=0.25,
                linewidth=0,
                zorder=0,
            )
        mark_events(ax, events, label=i == 0)


def fig_imports_by_origin(panel: pd.DataFrame) -> plt.Figure:
    """Monthly HS 8703 imports by origin: value (USD bn, top) and count (thousand vehicles)."""
    set_style()
    df = _monthly(panel, ["value_usd", "quantity"], "fig_imports_by_origin")
    origins = _origins(df)
    fig, (ax_v, ax_q) = plt.subplots(2, 1, figsize=(7.0, 6.2), sharex=True)
    for o in origins:
        d = df[df["origin"] == o]
        ax_v.plot(d["month"], d["value_usd"] / 1e9, **_style(o))
        ax_q.plot(d["month"], d["quantity"] / 1e3, **_style(o))
    ax_v.set_ylabel("Import value (USD bn per month)")
    ax_q.set_ylabel("Imports (thousand vehicles per month)")
    ax_q.set_xlabel("Month")
    ax_v.set_title("US imports of passenger cars (HS 8703) by origin", loc="left")
    for ax in (ax_v, ax_q):
        ax.set_ylim(bottom=0)
    _frame_time([ax_v, ax_q], df["month"], origins, shade=(False, True))
    ax_v.legend(ncol=min(len(origins), 5), loc="upper left", bbox_to_anchor=(0, -0.02), fontsize=8)
    add_source_note(fig, f"{SOURCE_US} {NOTE_2022}.")
    fig.tight_layout()
    return fig


def fig_unit_values(panel: pd.DataFrame) -> plt.Figure:
    """Ex-tariff unit value (Comtrade's CIF-type value / vehicles, USD thousand per vehicle)."""
    set_style()
    fn = "fig_unit_values"
    cols = ["value_usd", "quantity"]
    df = _monthly(panel, cols, fn)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["uv_k"] = np.where(df["quantity"] > 0, df["value_usd"] / df["quantity"] / 1e3, np.nan)
    if "uv" in panel.columns and "hs_code" not in panel.columns:
        given = _monthly(panel, ["uv"], fn)
        both = df.merge(given, on=["origin", "month"], how="left")
        ok = both["uv"].isna() | both["uv_k"].isna()
        rel = (both["uv"] / 1e3 - both["uv_k"]).abs() / both["uv_k"].abs()
        bad = both[~ok & (rel > _REL_TOL_UV)]
        if len(bad):
            rows = bad[["origin", "month", "value_usd", "quantity", "uv"]].head(5)
            raise FigureDataError(
                f"{fn}: column 'uv' must equal value_usd / quantity (USD per vehicle); "
                f"{len(bad)} row(s) differ, e.g.\n{rows.to_string(index=False)}"
            )
    origins = _origins(df)
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for o in origins:
        d = df[df["origin"] == o]
        ax.plot(d["month"], d["uv_k"], **_style(o))
    ax.set_ylabel("Unit value, ex-tariff (USD thousand per vehicle)")
    ax.set_xlabel("Month")
    ax.set_title("Ex-tariff unit values of US car imports (HS 8703)", loc="left")
    _frame_time([ax], df["month"], origins, shade=(True,))
    ax.legend(ncol=min(len(origins), 5), loc="upper left", bbox_to_anchor=(0, -0.12), fontsize=8)
    note = (f"{SOURCE_US} Unit value = CIF-type value (freight included) / quantity, before US "
            f"duties; it mixes price and model changes. {NOTE_2022}.")
    add_source_note(fig, note)
    fig.tight_layout()
    return fig


def mirror_origin(panel: pd.DataFrame) -> str:
    """The origin whose own export statistics (``mirror_v``) the panel carries; exactly one."""
    p = panel.rename(columns={v: k for k, v in MIRROR_ALIASES.items() if k not in panel.columns})
    if "mirror_v" not in p.columns:
        raise FigureDataError("mirror figure: panel lacks column 'mirror_v' (no mirror series)")
    found = sorted(p.loc[p["mirror_v"].notna(), "origin"].astype(str).unique())
    if len(found) != 1:
        raise FigureDataError(f"mirror figure: expected one origin with a mirror series "
                              f"('mirror_v'), found {found}")
    return found[0]


def fig_mirror(panel: pd.DataFrame) -> plt.Figure:
    """US-reported imports from the origin with a mirror series vs that origin's reported exports
    to the US (USD bn), and their ratio.

    The ratio should sit a few percent above 1 (CIF vs FOB valuation) and move with shipping
    lags; a break after April 2025 would flag valuation or timing changes, not tariff effects.
    """
    set_style()
    fn = "fig_mirror"
    p = panel.rename(columns={v: k for k, v in MIRROR_ALIASES.items() if k not in panel.columns})
    df = _monthly(p, ["value_usd", "mirror_v"], fn)
    origin = mirror_origin(df)
    name = ORIGIN_LABEL.get(origin, origin)
    df = df[(df["origin"] == origin) & df["value_usd"].notna()].reset_index(drop=True)
    fig, (ax, ax_r) = plt.subplots(
        2, 1, figsize=(7.0, 5.6), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    st = _style(origin)
    ax.plot(df["month"], df["value_usd"] / 1e9, **{**st, "label": f"US-reported imports from {name}"})
    ax.plot(
        df["month"],
        df["mirror_v"] / 1e9,
        color="#000000",
        linestyle="-",
        marker="D",
        markersize=3.5,
        markevery=_MARKEVERY,
        linewidth=1.3,
        label=f"{name}-reported exports to the US",
    )
    ok = df["value_usd"].notna() & (df["mirror_v"] > 0)
    ratio = df["value_usd"] / df["mirror_v"].where(ok)
    # 3-month sums absorb most of the shipping lag between export and import months.
    v3 = df["value_usd"].where(ok).rolling(3, min_periods=3).sum()
    m3 = df["mirror_v"].where(ok).rolling(3, min_periods=3).sum()
    ax_r.plot(df["month"], ratio, color="#999999", linestyle=":", linewidth=0.9, label="monthly")
    ax_r.plot(
        df["month"],
        v3 / m3,
        color="#000000",
        linestyle="-",
        marker="o",
        markersize=3,
        markevery=_MARKEVERY,
        linewidth=1.4,
        label="3-month sums",
    )
    ax_r.axhline(1.0, color="#555555", linewidth=0.8, linestyle="--")
    ax_r.legend(loc="upper right", fontsize=MIN_FONT_PT, ncol=2)
    ax.set_ylabel("Value (USD bn per month)")
    ax.set_ylim(bottom=0)
    ax_r.set_ylabel(f"US imports / {name}'s\nexports (ratio)")
    ax_r.set_xlabel("Month")
    ax.set_title(f"Mirror check: US imports from {name} vs {name}'s exports to the US",
                 loc="left")
    _frame_time([ax, ax_r], df["month"], [origin])
    ax.legend(loc="lower left", fontsize=8)
    add_source_note(
        fig,
        SOURCE_MIRROR.format(name=name)
        + " Ratio slightly > 1 expected from CIF vs FOB valuation; monthly noise from shipping lags.",
    )
    fig.tight_layout()
    return fig


def comtrade_source(panel: pd.DataFrame) -> str:
    """Registered source note of the US-reported panel figures: the panel's first and last month."""
    lo, hi = pd.Timestamp(panel["month"].min()), pd.Timestamp(panel["month"].max())
    return f"Source: UN Comtrade monthly HS 8703 (US reporter; Census data), {lo:%Y-%m} to {hi:%Y-%m}."


def imports_by_origin_text(panel: pd.DataFrame) -> Text:
    return Text("US imports of passenger cars by origin",
                "Monthly US imports of HS 8703 by origin: value (USD bn) and vehicles (thousands).",
                comtrade_source(panel))


def unit_values_text(panel: pd.DataFrame) -> Text:
    return Text("Ex-tariff unit values by origin",
                "Customs-value-based unit value (USD thousand per vehicle), before duty, by origin.",
                comtrade_source(panel))


def mirror_text(panel: pd.DataFrame) -> Text:
    name = ORIGIN_LABEL.get(o := mirror_origin(panel), o)
    return Text(f"US-reported imports from {name} vs {name}-reported exports",
                f"Monthly value of HS 8703 trade {name}→US as reported by each side (mirror "
                "statistics).",
                f"Source: UN Comtrade monthly HS 8703; US imports and {name}-reported exports.")


#: name -> (figure function, text function), both of the panel, in the order 03 publishes them
DESCRIPTIVE_FIGURES: dict[str, tuple[Callable[[pd.DataFrame], plt.Figure],
                                     Callable[[pd.DataFrame], Text]]] = {
    "imports_by_origin": (fig_imports_by_origin, imports_by_origin_text),
    "unit_values": (fig_unit_values, unit_values_text),
    "mirror_japan": (fig_mirror, mirror_text),
}


def save_descriptives(
    panel: pd.DataFrame,
    notebook: str,
    params: Mapping[str, Any] | None = None,
    figures_dir: str | os.PathLike[str] | None = None,
    prefix: str = "desc_",
) -> dict[str, dict[str, Path]]:
    """Draw, save (PNG+PDF) and register the three descriptive figures; ids ``<prefix><name>``."""
    out: dict[str, dict[str, Path]] = {}
    for name, (draw, text) in DESCRIPTIVE_FIGURES.items():
        fig = draw(panel)
        try:
            out[prefix + name] = publish(fig, prefix + name, text(panel), notebook, params,
                                         figures_dir)
        finally:
            plt.close(fig)
    return out


CONTROL_SERIES_EXTENDED_TEXT = Text(
    "Comparison origins' imports past the deals",
    "US imports of HS 8703 from Canada and Mexico: Comtrade monthly to its last month, then "
    "DataWeb customs value scaled by the ratio of the two sources over their overlap.",
    "Source: UN Comtrade monthly HS 8703; USITC DataWeb HS10 8703.",
)


def fig_control_series_extended(ctrl: pd.DataFrame) -> plt.Figure:
    """Canada's and Mexico's monthly car imports past the deals: Comtrade, then DataWeb spliced.

    ``ctrl`` is :func:`autotariffs.tariffs.exposure.control_series_extended`. The solid line is the
    series the estimates can use; the dotted line is DataWeb's own level over the overlap, so the
    splice (a ratio over 2025-01..07) is visible rather than hidden.
    """
    set_style()
    fig, ax = plt.subplots()
    for o in sorted(ctrl["origin"].unique()):
        g = ctrl[ctrl["origin"] == o].sort_values("month")
        st = ORIGIN_STYLE.get(o, ORIGIN_STYLE["ROW"])
        ax.plot(g["month"], g["value_spliced_usd"] / 1e9, color=st["color"],
                linestyle=st["linestyle"], marker=st["marker"], markersize=3,
                label=f"{ORIGIN_LABEL.get(o, o)} (Comtrade, then DataWeb x overlap ratio)")
        ax.plot(g["month"], g["dataweb_usd"] / 1e9, color=st["color"], linestyle=":",
                linewidth=0.9, label=f"{ORIGIN_LABEL.get(o, o)}: DataWeb customs value")
    ax.set_xlabel("Month")
    ax.set_ylabel("US imports of HS 8703 (USD bn)")
    mark_events(ax, {k: v for k, v in EVENTS.items()
                     if pd.Timestamp(k) <= ctrl["month"].max()})
    ax.legend(fontsize=MIN_FONT_PT)
    return fig
