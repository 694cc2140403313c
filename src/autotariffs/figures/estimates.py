"""Figures of estimates with inference built for one treated origin: in-time placebos.

No event-study or coefficient plot with CRV1 bands: with one treated origin those bands are not
valid inference; the report draws the monthly gap (:mod:`autotariffs.figures.reduced_form`).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt

from autotariffs.figures import (
    MIN_FONT_PT,
    add_source_note,
    set_style,
)


def fig_in_time_placebos(placebo_result: Mapping, title: str, xlabel: str) -> plt.Figure:
    """Distribution of in-time placebo estimates with the actual estimate marked.

    ``placebo_result`` is the dict of :func:`autotariffs.models.one_treated.in_time_placebos`
    (keys ``actual``, ``placebos``, ``p``, ``n_placebos``, ``min_p``). The placebo estimates are
    drawn as a histogram with each one also shown as a tick (a rug: with ~30-50 placebos the
    individual values matter for the rank p-value); the actual estimate is a vertical line whose
    legend entry carries p and the number of placebos, plus the smallest attainable p.
    """
    set_style()
    vals = [float(v) for v in placebo_result["placebos"].values()]
    actual = float(placebo_result["actual"])
    n = int(placebo_result["n_placebos"])
    p = float(placebo_result["p"])
    min_p = float(placebo_result.get("min_p", 1.0 / (n + 1)))
    fig, ax = plt.subplots()
    ax.hist(vals, bins=max(5, min(30, n // 2)), color="#999999", edgecolor="#333333", hatch="//",
            label=f"placebo estimates (fake events in the pre-period, n = {n})")  # fmt: skip
    ax.plot(vals, [0] * len(vals), linestyle="none", marker="|", markersize=12,
            color="#333333", label="_nolegend_")  # fmt: skip
    ax.axvline(actual, color="#D55E00", linestyle="--", linewidth=1.8,
               label=f"actual estimate = {actual:.3f}; p = {p:.3f} (n = {n}, min p = {min_p:.3f})")  # fmt: skip
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Number of placebo dates")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=MIN_FONT_PT)
    add_source_note(
        fig,
        "Placebos: the same difference-in-differences estimator with a fake event at every "
        "admissible pre-period month (same post length and donut); p = (1 + #|placebo| >= "
        "|actual|) / (1 + n).",
    )
    return fig
