"""Tests for the tariff figures: what they draw (checked against the schedule), labels, events,
source note, and byte-stable saving. Effective-rate inputs here are simulated (hand-made)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from autotariffs.figures import ORIGIN_LABEL, ORIGIN_STYLE, save
from autotariffs.figures.tariffs import fig_effective_vs_statutory, fig_tariff_timeline

SHARES = {"usmca_nonus_share": 0.5, "uk_in_quota_share": 1.0}


def _event_lines(ax) -> set[str]:
    xs = set()
    for ln in ax.get_lines():
        x = ln.get_xdata()
        if len(x) == 2 and x[0] == x[1] and ln.get_linestyle() == ":":
            xs.add(mdates.num2date(x[0]).strftime("%Y-%m-%d"))
    return xs


def test_timeline_draws_each_origin_with_its_style(tariff_schedule):
    fig = fig_tariff_timeline(tariff_schedule, **SHARES)
    ax = fig.axes[0]
    labels = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    for o in ("KOR", "JPN", "DEU", "GBR", "MEX", "CAN", "ROW"):
        ln = labels[ORIGIN_LABEL[o]]
        assert ln.get_marker() == ORIGIN_STYLE[o]["marker"]  # not colour alone
        assert ln.get_linestyle() != "None"
    # Korea's line reaches 25 (s232) and ends at 15 (deal); Japan's goes through 27.5
    kor = np.asarray(labels["Korea"].get_ydata(), dtype=float)
    assert kor.max() == 25.0 and kor[-1] == 15.0
    assert np.asarray(labels["Japan"].get_ydata(), dtype=float).max() == 27.5
    assert "%" in ax.get_ylabel() and ax.get_xlabel() == "Month"
    assert {"2025-04-03", "2025-06-30", "2025-08-01", "2025-09-16", "2025-11-01"} <= _event_lines(
        ax
    )
    assert any("Source:" in t.get_text() and "0.5" in t.get_text() for t in fig.texts)
    plt.close(fig)


def test_timeline_rejects_empty_window(tariff_schedule):
    with pytest.raises(ValueError, match="no rows"):
        fig_tariff_timeline(tariff_schedule, start="2030-01", end="2030-06", **SHARES)


def test_effective_vs_statutory_shows_korus_step(tariff_schedule, tmp_path):
    # simulated effective rates (not real data): a 2% to 0.1% step at 2016-01 for Korea
    months = pd.date_range("2014-01-01", "2017-12-01", freq="MS")
    eff = pd.DataFrame({
        "period": list(months) * 2, "freq": "M", "n_months": 1,
        "partner": ["KOR"] * len(months) + ["JPN"] * len(months),
        "effective_rate_pct": [2.0 if m.year < 2016 else 0.1 for m in months] + [2.4] * len(months),
        "source": "census_hs2_m",
    })  # fmt: skip
    eff = pd.concat([eff, pd.DataFrame({
        "period": [pd.Timestamp("2025-01-01")], "freq": ["P"], "n_months": [8],
        "partner": ["KOR"], "effective_rate_pct": [11.3], "source": ["dataweb_hs2_2024_2025"],
    })], ignore_index=True)  # fmt: skip
    fig = fig_effective_vs_statutory(eff, tariff_schedule)
    ax_kor, ax_jpn = fig.axes[:2]
    assert ax_kor.get_title(loc="left") == "Korea"
    assert "2016-01-01" in _event_lines(ax_kor) and "2016-01-01" not in _event_lines(ax_jpn)
    stat = next(ln for ln in ax_kor.get_lines() if ln.get_label().startswith("Statutory"))
    x = [mdates.num2date(v).strftime("%Y-%m") if not isinstance(v, pd.Timestamp)
         else v.strftime("%Y-%m") for v in stat.get_xdata()]  # fmt: skip
    y = dict(zip(x, np.asarray(stat.get_ydata(), dtype=float), strict=True))
    assert y["2015-12"] == 2.5 and y["2016-01"] == 0.0  # KORUS step in the statutory line
    assert len(ax_kor.collections) == 1  # the DataWeb period segment
    assert ax_kor.get_ylabel() == "Duty rate (%)"
    out1 = save(fig, "t_eff", outdir=tmp_path / "a", pdf=True)
    out2 = save(fig, "t_eff", outdir=tmp_path / "b", pdf=True)
    for ext in ("png", "pdf"):
        assert out1[ext].read_bytes() == out2[ext].read_bytes()
    plt.close(fig)


def _label_boxes(fig):
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        for t in ax.texts:  # event labels are annotations hung from the top of the axes
            out.append((t.get_text(), t.get_window_extent(renderer)))
    return out


def _overlaps(boxes):
    return [
        (a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)
    ]


def test_timeline_event_labels_do_not_overlap(tariff_schedule, tmp_path):
    fig = fig_tariff_timeline(tariff_schedule, **SHARES)
    save(fig, "tl", outdir=tmp_path)  # the saved layout is the one that must be clean
    boxes = _label_boxes(fig)
    assert {t for t, _ in boxes} >= {"S232 autos 25%", "UK deal", "Japan deal"}
    assert _overlaps(boxes) == []
    plt.close(fig)


def _crossings(fig):
    """(label, line) pairs where a plotted series (a legend entry) runs through an event label."""
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        for t in ax.texts:
            box = t.get_window_extent(renderer)
            for ln in ax.get_lines():
                if ln.get_label().startswith("_"):
                    continue  # event lines and helpers: not data
                path = ln.get_transform().transform_path(ln.get_path())
                if path.intersects_bbox(box, filled=False):
                    out.append((t.get_text(), ln.get_label()))
    return out


def test_timeline_event_labels_stay_clear_of_the_rates(tariff_schedule, tmp_path):
    """No rate line (Japan's 27.5% step, the rest of the world's) runs through an event label."""
    fig = fig_tariff_timeline(tariff_schedule, **SHARES)
    save(fig, "tl", outdir=tmp_path)
    boxes = _label_boxes(fig)
    assert len(boxes) >= 5 and _overlaps(boxes) == []
    assert _crossings(fig) == []
    plt.close(fig)


def test_crowded_event_labels_do_not_overlap():
    """Four events within ten weeks on a narrow axes: a fixed three-row cycle would put the
    fourth label on the first one; each label must take the first free row instead."""
    from autotariffs.figures import mark_events, set_style

    set_style()
    fig, ax = plt.subplots(figsize=(3.0, 2.5))
    ax.plot(pd.to_datetime(["2025-01-01", "2025-12-01"]), [0, 1])
    events = {"2025-04-03": "first event", "2025-04-20": "second", "2025-05-10": "third one",
              "2025-06-01": "fourth label"}  # fmt: skip
    mark_events(ax, events)
    boxes = _label_boxes(fig)
    assert len(boxes) == 4
    assert _overlaps(boxes) == []
    plt.close(fig)


def test_timeline_note_states_the_shares_the_schedule_used(tariff_schedule):
    """The source note follows the parameters (02 passes its own; nothing defaults to 0.5/1.0)."""
    fig = fig_tariff_timeline(tariff_schedule, usmca_nonus_share=0.3, uk_in_quota_share=0.8)
    note = " ".join(t.get_text() for t in fig.texts)
    assert "assumed share 0.3" in note and "in-quota share 0.8" in note, note
    assert "share 0.5" not in note and "share 1" not in note, note
    plt.close(fig)
    bare = fig_tariff_timeline(tariff_schedule, usmca_nonus_share=None, uk_in_quota_share=None)
    assert "share" not in " ".join(t.get_text() for t in bare.texts)
    plt.close(bare)
    with pytest.raises(TypeError):
        fig_tariff_timeline(tariff_schedule)  # the shares must be stated
