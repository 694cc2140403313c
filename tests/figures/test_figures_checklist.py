"""Figure checklist on the built reports: every registered figure is complete and traceable.

For each row of ``reports/figures/registry.csv``: a PNG sized for the report (at most 1,600 px
wide, at least 150 dpi; pHYs chunk read directly, no imaging library), a real PDF where the
registry names one (PDFs are made on demand), a sidecar naming its notebook, and that executed
notebook in
``reports/notebooks/`` contains a ``save`` call for the figure id. Skips cleanly before the
reports are built; the matcher itself is tested on hand-made notebook sources.
"""

from __future__ import annotations

import ast
import io
import json
import re
import struct
import tokenize
from pathlib import Path

import pandas as pd
import pytest

from autotariffs import paths

MAX_PNG_PX = 1600
MIN_DPI = 150


def png_dpi(path: Path) -> tuple[float, float] | None:
    """DPI from the PNG pHYs chunk (unit 1 = pixels per metre); None if absent."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"pHYs":
            x, y, unit = struct.unpack(">IIB", data[pos + 8 : pos + 17])
            return (x * 0.0254, y * 0.0254) if unit == 1 else None
        if kind == b"IDAT":  # pHYs must precede image data
            return None
        pos += 12 + length
    return None


def _string_patterns(source: str) -> list[re.Pattern[str]]:
    """Regexes for every string literal in ``source``; f-string fields become wildcards."""
    pats = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    for tok in tokens:
        if tok.type != tokenize.STRING:
            continue
        m = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")(.*)\2$", tok.string, flags=re.S)
        if not m:
            continue
        prefix, body = m.group(1).lower(), m.group(3)
        if "f" in prefix:
            parts = re.split(r"\{[^{}]*\}", body)
            pats.append(re.compile(".+?".join(re.escape(p) for p in parts)))
        else:
            try:
                pats.append(re.compile(re.escape(ast.literal_eval(tok.string))))
            except (ValueError, SyntaxError):
                continue
    return pats


def notebook_saves(nb: dict, fig_id: str) -> bool:
    """True if a code cell with a ``save(`` or ``publish(`` call names ``fig_id`` (literally or via
    f-string)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = "".join(cell.get("source", []))
        if not any(call in src for call in ("save(", "publish(", "save_descriptives(")):
            continue
        if "save_descriptives(" in src:
            from autotariffs.figures.descriptives import DESCRIPTIVE_FIGURES

            m = re.search(r"prefix\s*=\s*['\"]([^'\"]*)['\"]", src)
            prefix = m.group(1) if m else "desc_"
            if fig_id in {prefix + name for name in DESCRIPTIVE_FIGURES}:
                return True
        if any(p.fullmatch(fig_id) for p in _string_patterns(src)):
            return True
    return False


# --------------------------------------------------------------------------- matcher unit tests
def _nb(*sources: str) -> dict:
    return {"cells": [{"cell_type": "code", "source": s} for s in sources]}


def test_matcher_literal_fstring_and_negative():
    nb = _nb(
        "origin = 'KOR'",
        'fig = plot()\nfigures.save(fig, "imports_by_origin")\n',
        "save(fig, f'event_study_{origin}_{window:02d}')",
    )
    assert notebook_saves(nb, "imports_by_origin")
    assert notebook_saves(nb, "event_study_KOR_12")
    assert not notebook_saves(nb, "event_study")  # f-string fields must be non-empty
    assert not notebook_saves(nb, "unit_values")
    assert notebook_saves(_nb('publish(fig, f"placebos_{o}", text, notebook="04")'), "placebos_KOR")
    # a string in a cell without any save call does not count
    assert not notebook_saves(_nb("x = 'unit_values'"), "unit_values")
    # descriptives helper: ids derived from its prefix
    assert notebook_saves(_nb("save_descriptives(panel, '03_descriptives')"), "desc_unit_values")
    assert notebook_saves(
        _nb("save_descriptives(panel, 'nb', prefix='d_')"), "d_mirror_japan"
    ) and not notebook_saves(
        _nb("save_descriptives(panel, 'nb', prefix='d_')"), "desc_mirror_japan"
    )


def test_png_dpi_reads_phys(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    for dpi in (72, 300):
        fig.savefig(tmp_path / f"f{dpi}.png", dpi=dpi)
        x, y = png_dpi(tmp_path / f"f{dpi}.png")
        assert abs(x - dpi) < 0.5 and abs(y - dpi) < 0.5
    plt.close(fig)


# --------------------------------------------------------------------------- the checklist
def _registry() -> pd.DataFrame:
    reg = paths.FIGURES / "registry.csv"
    if not reg.exists():
        pytest.skip("reports/figures/registry.csv not built yet (run the pipeline first)")
    return pd.read_csv(reg, dtype=str, keep_default_na=False)


def test_registry_figures_complete_and_traceable():
    reg = _registry()
    assert len(reg), "registry.csv lists no figures"
    problems = []
    for row in reg.itertuples(index=False):
        fid = row.fig_id
        png = paths.FIGURES / row.png
        if not png.is_file():
            problems.append(f"{fid}: PNG missing ({png})")
        else:
            dpi = png_dpi(png)
            width = struct.unpack(">I", png.read_bytes()[16:20])[0]  # IHDR
            if dpi is None or min(dpi) < MIN_DPI - 0.5:
                problems.append(f"{fid}: PNG resolution {dpi} dpi, expected >= {MIN_DPI}")
            if width > MAX_PNG_PX:
                problems.append(f"{fid}: PNG {width} px wide, more than {MAX_PNG_PX}")
        pdf = paths.FIGURES / row.pdf if row.pdf else None
        if pdf is not None and (not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-"):
            problems.append(f"{fid}: PDF missing or not a PDF ({pdf})")
        if pdf is None and (paths.FIGURES / f"{fid}.pdf").is_file():
            problems.append(f"{fid}: {fid}.pdf exists but the registry does not list it")
        side = paths.FIGURES / f"{fid}.json"
        if not side.is_file():
            problems.append(f"{fid}: sidecar {side.name} missing")
            continue
        meta = json.loads(side.read_text(encoding="utf-8"))
        nb_name = meta.get("notebook") or ""
        if not nb_name or nb_name != row.notebook:
            problems.append(f"{fid}: sidecar notebook {nb_name!r} != registry {row.notebook!r}")
            continue
        executed = sorted(paths.EXECUTED.glob(f"{nb_name}*.ipynb"))
        if not executed:
            problems.append(f"{fid}: no executed notebook {paths.EXECUTED}/{nb_name}*.ipynb")
            continue
        if not any(
            notebook_saves(json.loads(p.read_text(encoding="utf-8")), fid) for p in executed
        ):
            problems.append(
                f"{fid}: no save call for this id in {[p.name for p in executed]} "
                "(sidecar names a notebook that does not produce the figure)"
            )
    assert problems == [], "\n".join(problems)
