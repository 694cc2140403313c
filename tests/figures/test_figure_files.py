"""Figure files: a PNG sized for the report (at most 1,600 px wide, its smallest text recorded)
and a PDF only on demand, never a stale one. The figure drawn is SIMULATED."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from autotariffs import figures, labels


def _fig(width_in: float = 9.0) -> plt.Figure:
    figures.set_style()
    fig, ax = plt.subplots(figsize=(width_in, 4.0))
    ax.plot([0, 1, 2], [1, 3, 2], label="simulated")
    ax.legend(fontsize=figures.MIN_FONT_PT)
    ax.set_xlabel("x (unit)")
    figures.add_source_note(fig, "Source: simulated.")
    return fig


@pytest.mark.parametrize("width_in", [5.0, 7.5, 12.0])
def test_png_is_sized_for_the_report(tmp_path, width_in):
    fig = _fig(width_in)
    out = figures.save(fig, "sim", tmp_path, pdf=False)
    plt.close(fig)
    with Image.open(out["png"]) as im:
        assert im.size[0] <= 1600
        assert im.info["dpi"][0] >= 150  # not a thumbnail either: sharp at 2x on the page
        assert float(im.text[labels.PNG_MIN_FONT_KEY]) >= 8
        assert im.text[labels.PNG_NOTE_KEY] == "Source: simulated."


def test_pdf_only_on_demand_and_never_stale(tmp_path, monkeypatch):
    fig = _fig()
    monkeypatch.delenv(figures.PDF_ENV, raising=False)
    assert "pdf" not in figures.save(fig, "sim", tmp_path)
    assert not (tmp_path / "sim.pdf").exists()
    monkeypatch.setenv(figures.PDF_ENV, "1")
    out = figures.save(fig, "sim", tmp_path)
    assert out["pdf"].read_bytes()[:5] == b"%PDF-"
    monkeypatch.delenv(figures.PDF_ENV)
    figures.save(fig, "sim", tmp_path)  # the PNG is new: the old PDF would not match it
    assert not (tmp_path / "sim.pdf").exists()
    plt.close(fig)


def test_saving_twice_gives_the_same_bytes(tmp_path):
    fig = _fig()
    a = figures.save(fig, "sim", tmp_path / "a", pdf=True)
    b = figures.save(fig, "sim", tmp_path / "b", pdf=True)
    plt.close(fig)
    assert all(a[k].read_bytes() == b[k].read_bytes() for k in ("png", "pdf"))
