"""One figure style for the whole package, and byte-stable saving.

Every figure: seaborn ``ticks`` style, the colour-blind-safe Okabe-Ito palette, distinct line
styles/markers so nothing depends on colour alone, axis labels with units, a source note under the
plot, and PNG (300 dpi) plus PDF written without timestamps so reruns are byte-identical.

Each figure module keeps the title, caption and source note of its figures beside the drawing
function (:class:`autotariffs.outputs.Text` constants, or ``*_text`` functions where the text
follows the data or the parameters); :func:`publish` saves a figure and registers it with them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

from autotariffs import design
from autotariffs.outputs import Text, register_figure

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from autotariffs.atomic import atomic_path  # noqa: E402

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = [
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)), "-"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

# Fixed colour / style per origin so every figure reads the same way.
ORIGIN_ORDER = ["KOR", "JPN", "DEU", "EUN", "GBR", "MEX", "CAN", "ROW"]
ORIGIN_STYLE = {
    o: {"color": OKABE_ITO[i], "linestyle": LINESTYLES[i], "marker": MARKERS[i]}
    for i, o in enumerate(ORIGIN_ORDER)
}
ORIGIN_LABEL = {
    "KOR": "Korea",
    "JPN": "Japan",
    "DEU": "Germany",
    "EUN": "EU-27",
    "GBR": "United Kingdom",
    "MEX": "Mexico",
    "CAN": "Canada",
    "ROW": "Rest of world",
}

# Policy events marked on every time-series figure (dates and labels: autotariffs.design).
EVENTS = design.event_labels()

#: PNG text key holding the source note drawn in the image (read by ``report.collect_figures``).
PNG_NOTE_KEY = "Source note"

_METADATA = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
}


def set_style() -> None:
    """Apply the house style; call once per notebook (figures call it too)."""
    sns.set_theme(context="paper", style="ticks", palette=OKABE_ITO, font_scale=1.1)
    plt.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
            "pdf.fonttype": 42,
            "svg.hashsalt": "autotariffs",
            "path.simplify": False,
        }
    )


def add_source_note(fig: plt.Figure, text: str) -> None:
    """Attach the data source and vintage; :func:`place_source_note` puts it under everything.

    The position is computed from the drawn axes (tick labels, axis labels, legends) rather than a
    fixed offset, so the note never collides with rotated tick labels or an x-axis label.
    """
    fig._autotariffs_source_note = text  # type: ignore[attr-defined]
    place_source_note(fig)


def place_source_note(fig: plt.Figure) -> None:
    text = getattr(fig, "_autotariffs_source_note", None)
    if not text:
        return
    old = getattr(fig, "_autotariffs_source_artist", None)
    if old is not None:
        old.remove()
    fig.draw_without_rendering()  # layout and text extents, no rasterization
    renderer = fig.canvas.get_renderer()
    inv = fig.transFigure.inverted()
    bottoms = [
        inv.transform(ax.get_tightbbox(renderer).p0)[1] for ax in fig.axes if ax.get_visible()
    ]
    lefts = [inv.transform(ax.get_tightbbox(renderer).p0)[0] for ax in fig.axes if ax.get_visible()]
    y = (min(bottoms) if bottoms else 0.0) - 0.01
    x = max(min(lefts), 0.0) if lefts else 0.01
    artist = fig.text(x, y, text, ha="left", va="top", fontsize=7, color="#444444", wrap=True)
    fig._autotariffs_source_artist = artist  # type: ignore[attr-defined]


def mark_events(ax: plt.Axes, events: dict[str, str] | None = None, label: bool = True) -> None:
    """Draw dashed vertical lines at the policy dates inside the x-range.

    Labels hang from the top of the axes, right of their line; a label that would overlap an
    earlier one drops to the next free row (:func:`arrange_event_labels`, re-run by :func:`save`
    once the layout is final, so labels never overlap in the saved file).
    """
    import matplotlib.dates as mdates
    import pandas as pd

    events = EVENTS if events is None else events
    lo, hi = ax.get_xlim()
    labels = getattr(ax, "_autotariffs_event_labels", [])
    for d, text in sorted(events.items()):
        x = mdates.date2num(pd.Timestamp(d))
        if not lo <= x <= hi:
            continue
        ax.axvline(x, color="#555555", linestyle=":", linewidth=0.9, zorder=0)
        if label:
            labels.append(
                ax.annotate(
                    text,
                    xy=(x, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -2),
                    textcoords="offset points",
                    fontsize=6.5,
                    color="#333333",
                    va="top",
                    # a light box keeps the label legible where a data line crosses it
                    bbox={
                        "boxstyle": "square,pad=0.1",
                        "facecolor": "white",
                        "edgecolor": "none",
                        "alpha": 0.8,
                    },
                )
            )
    ax._autotariffs_event_labels = labels  # type: ignore[attr-defined]
    if labels:
        _stagger(ax, labels)


EVENT_ROW_PT = 9.0


def _stagger(ax: plt.Axes, labels: list) -> None:
    """Put each label (left to right) in the first row where it overlaps no placed label."""
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    placed: list = []
    for ann in sorted(labels, key=lambda a: a.xy[0]):
        for row in range(len(labels)):
            ann.xyann = (2, -2 - EVENT_ROW_PT * row)
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(ann.get_window_extent(renderer))


def arrange_event_labels(fig: plt.Figure) -> None:
    """Re-place the event labels of every axes for the figure's current layout."""
    for ax in fig.axes:
        labels = getattr(ax, "_autotariffs_event_labels", None)
        if labels:
            _stagger(ax, labels)


def save(
    fig: plt.Figure, fig_id: str, outdir: str | os.PathLike[str] | None = None
) -> dict[str, Path]:
    """Save ``fig`` as ``<fig_id>.png`` (300 dpi) and ``<fig_id>.pdf`` atomically, no timestamps."""
    from autotariffs import paths

    outdir = Path(outdir) if outdir is not None else paths.FIGURES
    arrange_event_labels(fig)
    place_source_note(fig)
    note = getattr(fig, "_autotariffs_source_note", None)
    out: dict[str, Path] = {}
    for ext in ("png", "pdf"):
        target = outdir / f"{fig_id}.{ext}"
        meta = dict(_METADATA[ext])
        if note and ext == "png":
            # the report reads this key and then does not print the note again under the image
            meta[PNG_NOTE_KEY] = note
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=ext, metadata=meta)
        out[ext] = target
    return out


def publish(
    fig: plt.Figure,
    fig_id: str,
    text: Text,
    notebook: str,
    params: Mapping[str, Any] | None = None,
    outdir: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """:func:`save` ``fig`` and register it for the report with its :class:`Text`.

    The sidecar ``<fig_id>.json`` carries the text's title, caption and source note (the note
    drawn under the plot is the figure function's own, more detailed one).
    """
    out = save(fig, fig_id, outdir)
    register_figure(fig_id, text.title, text.caption, notebook, params, text.source_note,
                    figures_dir=outdir)
    return out
