"""One figure style for the whole package, and byte-stable saving.

Every figure: seaborn ``ticks`` style, the colour-blind-safe Okabe-Ito palette, distinct line
styles/markers so nothing depends on colour alone, text of at least :data:`MIN_FONT_PT`, axis
labels with units, a source note under the plot, written without timestamps so reruns are
byte-identical. The PNG is sized for the report (at most :data:`MAX_PNG_PX` wide, shown at half
that); the vector PDF is made only on demand (``AUTOTARIFFS_FIGURE_PDF=1``, ``make pdf``), as
it costs more than the PNG.

Each figure module keeps the title, caption and source note of its figures beside the drawing
function (:class:`autotariffs.outputs.Text` constants, or ``*_text`` functions where the text
follows the data or the parameters); :func:`publish` saves a figure and registers it with them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from autotariffs import design
from autotariffs.labels import ORIGIN_NAMES, PNG_MIN_FONT_KEY, PNG_NOTE_KEY
from autotariffs.outputs import Text, register_figure

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.text import Text as MplText  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

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
ORIGIN_LABEL = ORIGIN_NAMES  # the one table of origin names (autotariffs.labels)

# Policy events marked on every time-series figure (dates and labels: autotariffs.design).
EVENTS = design.event_labels()

#: the smallest text in a figure (points): at the report's display width it reads as >= 9 px
MIN_FONT_PT = 8.0
#: the widest PNG (pixels): the report shows a figure at most half as wide (2x screens)
MAX_PNG_PX = 1600
MAX_DPI = 200
#: environment variable that asks :func:`save` for the PDF as well (``make pdf`` sets it)
PDF_ENV = "AUTOTARIFFS_FIGURE_PDF"

_METADATA = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
}


#: seaborn's theme ``set_theme(context="paper", style="ticks", palette=OKABE_ITO,
#: font_scale=1.1)`` as the rcParams it sets (seaborn 0.13): written out, because importing
#: seaborn (and scipy.stats with it) costs about half a second of every figure step. All but
#: ``image.cmap``: seaborn's "rocket" exists only once seaborn is imported, so colour maps stay
#: matplotlib's default (no figure maps data to colours). tests/figures/test_figure_style.py
#: fails if seaborn's theme sets anything else.
SEABORN_THEME: dict[str, Any] = {
    # plotting_context("paper", font_scale=1.1): the "notebook" sizes x 0.8, fonts x 1.1 more
    "axes.labelsize": 10.560000000000002, "axes.linewidth": 1.0,
    "axes.titlesize": 10.560000000000002, "font.size": 10.560000000000002,
    "grid.linewidth": 0.8, "legend.fontsize": 9.680000000000001,
    "legend.title_fontsize": 10.560000000000002, "lines.linewidth": 1.2000000000000002,
    "lines.markersize": 4.800000000000001, "patch.linewidth": 0.8,
    "xtick.labelsize": 9.680000000000001, "xtick.major.size": 4.800000000000001,
    "xtick.major.width": 1.0, "xtick.minor.size": 3.2, "xtick.minor.width": 0.8,
    "ytick.labelsize": 9.680000000000001, "ytick.major.size": 4.800000000000001,
    "ytick.major.width": 1.0, "ytick.minor.size": 3.2, "ytick.minor.width": 0.8,
    # axes_style("ticks") with font "sans-serif"
    "axes.axisbelow": True, "axes.edgecolor": ".15", "axes.facecolor": "white",
    "axes.grid": False, "axes.labelcolor": ".15", "axes.spines.bottom": True,
    "axes.spines.left": True, "axes.spines.right": True, "axes.spines.top": True,
    "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "grid.color": ".8", "grid.linestyle": "-",
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "text.color": ".15", "xtick.bottom": True, "xtick.color": ".15", "xtick.direction": "out",
    "xtick.top": False, "ytick.color": ".15", "ytick.direction": "out", "ytick.left": True,
    "ytick.right": False,
    # set_palette(OKABE_ITO): the colours as RGB tuples
    "axes.prop_cycle": cycler("color", [matplotlib.colors.to_rgb(c) for c in OKABE_ITO]),
}


def set_style() -> None:
    """Apply the house style; call once per notebook (figures call it too)."""
    plt.rcParams.update(SEABORN_THEME)
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
    old = getattr(fig, "_autotariffs_source_artist", None)
    if old is not None:
        old.remove()
    # in the figure's texts from now on; placed (one layout pass) by save(), when the figure's
    # layout is final: placing it here too cost a full draw of the figure for nothing
    fig._autotariffs_source_artist = fig.text(  # type: ignore[attr-defined]
        0.01, 0.0, text, ha="left", va="top", fontsize=MIN_FONT_PT, color="#444444")


def place_source_note(fig: plt.Figure) -> None:
    """(Re)place the source note under every axes' tight box (tick labels, axis labels, legends),
    measured without drawing (:func:`layout_renderer`)."""
    text = getattr(fig, "_autotariffs_source_note", None)
    if not text:
        return
    old = getattr(fig, "_autotariffs_source_artist", None)
    if old is not None:
        old.remove()
    renderer = layout_renderer(fig)
    inv = fig.transFigure.inverted()
    corners = [inv.transform(ax.get_tightbbox(renderer).p0) for ax in fig.axes if ax.get_visible()]
    bottoms = [c[1] for c in corners]
    lefts = [c[0] for c in corners]
    y = (min(bottoms) if bottoms else 0.0) - 0.01
    x = max(min(lefts), 0.0) if lefts else 0.01
    artist = fig.text(x, y, text, ha="left", va="top", fontsize=MIN_FONT_PT, color="#444444",
                      wrap=True)
    # wrap once here: matplotlib would re-measure the note word by word at every draw
    artist._renderer = renderer  # what Text.draw sets before it wraps
    artist.set_text(artist._get_wrapped_text())
    artist.set_wrap(False)
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
        ax.axvline(x, color="#555555", linestyle=":", linewidth=0.9, zorder=0, gid=EVENT_GID)
        if label:
            labels.append(
                ax.annotate(
                    text,
                    xy=(x, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -2),
                    textcoords="offset points",
                    fontsize=MIN_FONT_PT,
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


def layout_renderer(fig: plt.Figure) -> Any:
    """The renderer ``savefig`` will draw ``fig`` with, every axes' limits brought up to date:
    what the extents of texts, ticks and axes (``get_window_extent``, ``get_tightbbox``) need.

    Why not ``fig.draw_without_rendering()``: that lays out every artist of the figure (0.1-0.2 s
    a figure), and the extents used here compute their own layout (ticks, title position,
    aspect, legend offset) when asked. Placing labels and the note this way gave byte-identical
    PNGs for every figure of the build, with one draw per figure (the one ``savefig`` makes)
    instead of four or five.
    """
    for ax in fig.axes:
        ax._unstale_viewLim()  # autoscaled limits, as a draw would apply them first
    return fig.canvas.get_renderer()


EVENT_ROW_PT = 10.5
#: event lines carry this gid, so that the headroom computation can leave them out
EVENT_GID = "autotariffs-event"


def _stagger(ax: plt.Axes, labels: list, renderer: Any = None) -> None:
    """Put each label (left to right) in the first row where it overlaps no placed label, then
    raise the top of the y-axis so that no data reaches the rows of labels."""
    if renderer is None:
        renderer = layout_renderer(ax.figure)
    placed: list = []
    for ann in sorted(labels, key=lambda a: a.xy[0]):
        for row in range(len(labels)):
            ann.xyann = (2, -2 - EVENT_ROW_PT * row)
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(ann.get_window_extent(renderer))
    _headroom(ax, min(b.y0 for b in placed))


def _headroom(ax: plt.Axes, lowest_label_px: float, gap: float = 0.02) -> None:
    """Raise the y-axis top so the data (``ax.dataLim``) stays below ``lowest_label_px``."""
    frac = (ax.bbox.y1 - lowest_label_px) / ax.bbox.height + gap  # share of the axes on top
    bottom, top = ax.get_ylim()
    data_top = ax.dataLim.y1
    if not 0 < frac < 0.6 or not np.isfinite(data_top) or data_top <= bottom:
        return
    needed = bottom + (data_top - bottom) / (1 - frac)
    if needed > top:
        ax.set_ylim(bottom, needed)


def arrange_event_labels(fig: plt.Figure) -> None:
    """Re-place the event labels of every axes for the figure's current layout (no draw)."""
    axes = [ax for ax in fig.axes if getattr(ax, "_autotariffs_event_labels", None)]
    if not axes:
        return
    renderer = layout_renderer(fig)
    for ax in axes:
        _stagger(ax, ax._autotariffs_event_labels, renderer)


def smallest_font_pt(fig: plt.Figure) -> float:
    """The size (points) of the smallest visible text in ``fig``."""

    def shown(t: MplText) -> bool:
        return bool(t.get_visible() and t.get_text().strip()
                    and (t.axes is None or t.axes.get_visible()))

    sizes = [t.get_fontsize() for t in fig.findobj(MplText) if shown(t)]
    return float(min(sizes)) if sizes else float("nan")


def png_extent(fig: plt.Figure, max_px: int = MAX_PNG_PX) -> tuple[int, Bbox]:
    """The resolution that makes the tightly cropped PNG at most ``max_px`` wide (at most
    :data:`MAX_DPI`), and that crop (inches, padded as ``savefig.pad_inches``), measured without
    drawing (:func:`layout_renderer`)."""
    bbox = fig.get_tightbbox(layout_renderer(fig))
    bbox = bbox.padded(float(plt.rcParams["savefig.pad_inches"]))
    return int(min(MAX_DPI, (max_px - 4) // bbox.width)), bbox


def pdf_wanted() -> bool:
    """True when the build asks for PDF versions (``AUTOTARIFFS_FIGURE_PDF=1``)."""
    return os.environ.get(PDF_ENV) == "1"


def save(
    fig: plt.Figure, fig_id: str, outdir: str | os.PathLike[str] | None = None,
    pdf: bool | None = None,
) -> dict[str, Path]:
    """Save ``fig`` as ``<fig_id>.png`` (sized for the report) and, if ``pdf`` (default: the
    ``AUTOTARIFFS_FIGURE_PDF`` setting), ``<fig_id>.pdf``; atomically, without timestamps.

    Without the PDF, an older ``<fig_id>.pdf`` is removed: it would no longer match the PNG.
    """
    from autotariffs import paths, timings

    t0 = time.perf_counter()
    outdir = Path(outdir) if outdir is not None else paths.FIGURES
    arrange_event_labels(fig)
    place_source_note(fig)
    note = getattr(fig, "_autotariffs_source_note", None)
    out: dict[str, Path] = {}
    meta = dict(_METADATA["png"])
    if note:
        # the report reads this key and then does not print the note again under the image
        meta[PNG_NOTE_KEY] = note
    meta[PNG_MIN_FONT_KEY] = f"{smallest_font_pt(fig):g}"
    out["png"] = outdir / f"{fig_id}.png"
    dpi, bbox = png_extent(fig)
    with atomic_path(out["png"]) as tmp:  # the crop is passed: savefig then draws only once
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches=bbox, metadata=meta)
    target = outdir / f"{fig_id}.pdf"
    if pdf_wanted() if pdf is None else pdf:
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="pdf", metadata=dict(_METADATA["pdf"]))
        out["pdf"] = target
    else:
        target.unlink(missing_ok=True)
    timings.record("figure", figure=fig_id, seconds=round(time.perf_counter() - t0, 3))
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
