"""Captions and titles live with the stage functions, not as prose in notebook cells (issue 16).

Why: a caption typed into a cell drifts from the figure it describes (another notebook, another
origin, another window) and makes the cell hard to read. Every figure and table text is an
:class:`autotariffs.outputs.Text` beside the function that draws or builds it; a cell names the
output id and its text. The guard reads every code cell of ``notebooks/*.ipynb`` with ``ast`` and
fails on (1) a string literal longer than :data:`LIMIT` characters (an f-string counts its typed
text plus ``{}`` per field) and (2) any string with whitespace passed to a call that registers an
output (ids and notebook names are allowed, prose is not). Both fail on the notebooks before the
move (b5b7efa). Then: the helpers that save and register, and the functions that replaced cell
logic (the collected-rate block of 03, the after-the-deals branch of 04).
"""

from __future__ import annotations

import ast
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from autotariffs import design, paths
from autotariffs.data.build import read_flows
from autotariffs.design import Window
from autotariffs.figures import publish
from autotariffs.figures import reduced_form as rffig
from autotariffs.figures.descriptives import comtrade_source, imports_by_origin_text
from autotariffs.models import deals
from autotariffs.models import reduced_form as rfm
from autotariffs.outputs import ReportError, Text, publish_table
from autotariffs.tariffs.collected import collected_by_origin

NB_DIR = paths.NOTEBOOKS
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
LIMIT = 80
#: calls that register an output: their string arguments must be ids, not prose
REGISTERING = {"register_figure", "register_table", "publish", "publish_table",
               "save_descriptives"}


def code_cells(nb: dict) -> list[str]:
    """Sources of the code cells, IPython magics and shell lines dropped."""
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out.append("\n".join(ln for ln in src.splitlines()
                             if not ln.lstrip().startswith(("%", "!"))))
    return out


def _template(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def _strings(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every string literal as typed: constants, and f-strings as templates (parts not twice)."""
    inner = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr)
             for n in ast.walk(j) if n is not j}
    out = []
    for n in ast.walk(tree):
        if id(n) in inner:
            continue
        if isinstance(n, ast.JoinedStr):
            out.append((n, _template(n)))
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.append((n, n.value))
    return out


def long_literals(source: str, limit: int = LIMIT) -> list[str]:
    """String literals in ``source`` longer than ``limit`` characters."""
    return [s for _, s in _strings(ast.parse(source)) if len(s) > limit]


def prose_in_registration(source: str) -> list[str]:
    """Strings with whitespace passed to a call that registers a figure or table."""
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        f = call.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name not in REGISTERING:
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            found += [s for _, s in _strings(arg) if any(c.isspace() for c in s)]
    return found


def notebook_problems(nb: dict) -> list[str]:
    problems = []
    for i, src in enumerate(code_cells(nb)):
        problems += [f"code cell {i}: literal of {len(s)} characters: {s[:60]}..."
                     for s in long_literals(src)]
        problems += [f"code cell {i}: prose passed to a registering call: {s[:60]!r}"
                     for s in prose_in_registration(src)]
    return problems


# --------------------------------------------------------------------------- the checker itself
def test_checker_catches_captions_in_cells_and_passes_ids():
    caption = ('register_figure("x", "A title", "A caption that goes on for quite a while, "\n'
               '    "split over two lines as the notebooks did it.", notebook="03")')
    assert long_literals(caption) == ["A caption that goes on for quite a while, split over two "
                                      "lines as the notebooks did it."]
    assert prose_in_registration(caption)[0] == "A title"
    fstring = 'register_table(t, f"pooled_{o}", f"Reduced form for {o}", cap, notebook="04")'
    assert long_literals(fstring) == []
    assert prose_in_registration(fstring) == ["Reduced form for {}"]
    long_f = 'x = (f"Source: UN Comtrade monthly HS 8703 (US reporter, Census data), "\n' \
             '     f"{a} to {b}, in current USD.")'
    assert long_literals(long_f) == ["Source: UN Comtrade monthly HS 8703 (US reporter, Census "
                                     "data), {} to {}, in current USD."]  # 89 as typed
    good = ('publish(fig, f"event_study_{P[\'origin\']}", rffig.gap_text(rf), '
            'notebook="04_estimates", params=P)')
    assert long_literals(good) == [] and prose_in_registration(good) == []
    assert prose_in_registration('print("a sentence with spaces")') == []
    nb = {"cells": [{"cell_type": "markdown", "source": "x" * 200},
                    {"cell_type": "code", "source": ["%matplotlib inline\n", "y = 1\n"]}]}
    assert notebook_problems(nb) == []


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_caption_prose_in_notebook_cells(ipynb):
    problems = notebook_problems(json.loads(ipynb.read_text(encoding="utf-8")))
    assert problems == [], "\n".join(problems)


# --------------------------------------------------------------------------- the helpers
def test_publish_saves_and_registers_the_text(tmp_path):
    text = Text("A title", "A caption.", "Source: somewhere.")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    out = publish(fig, "fig_x", text, notebook="nb", params={"origin": "KOR"}, outdir=tmp_path)
    plt.close(fig)
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pdf" not in out  # PDFs on demand (AUTOTARIFFS_FIGURE_PDF=1, make pdf)
    meta = json.loads((tmp_path / "fig_x.json").read_text(encoding="utf-8"))
    assert meta == {"id": "fig_x", "title": "A title", "caption": "A caption.", "notebook": "nb",
                    "params": {"origin": "KOR"}, "source_note": "Source: somewhere."}


def test_publish_table_registers_the_text_and_refuses_a_source_note(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    csv = publish_table(df, "tab_x", Text("T", "C."), notebook="nb", tables_dir=tmp_path)
    assert csv.read_text(encoding="utf-8").splitlines() == ["a", "1", "2"]
    meta = json.loads((tmp_path / "tab_x.json").read_text(encoding="utf-8"))
    assert (meta["title"], meta["caption"], meta["notebook"]) == ("T", "C.", "nb")
    with pytest.raises(ReportError, match="no source note"):
        publish_table(df, "tab_y", Text("T", "C.", "Source: x."), notebook="nb",
                      tables_dir=tmp_path)
    assert not (tmp_path / "tab_y.csv").exists()


def test_texts_follow_the_data_they_describe():
    panel = pd.DataFrame({"origin": ["KOR", "JPN"],
                          "month": pd.to_datetime(["2021-03-01", "2024-02-01"])})
    assert comtrade_source(panel).endswith(", 2021-03 to 2024-02.")
    assert imports_by_origin_text(panel).source_note == comtrade_source(panel)
    # the design comparison's texts name its own window, origin and placebo count
    months = pd.period_range("2016-01", "2020-05", freq="M").to_timestamp()
    rng = np.random.default_rng(0)
    sim = pd.DataFrame([{"origin": o, "month": m, "ln_q": rng.normal(0, 0.1), "ln_v": 0.0,
                         "ln_uv": 0.0} for o in ("JPN", "CAN") for m in months])  # SIMULATED
    comp = rfm.compare(sim, "JPN", ["CAN"], Window("2020-02-01", "2016-03", 1, "2020-05"),
                       outcomes=("ln_q",), n_draws=20)
    gap = rffig.gap_text(comp, "ln_q")
    assert gap.title == "The gap and its trend: JPN vs CAN"
    assert gap.caption.startswith("Log vehicles of JPN minus the mean of CAN")
    assert "(2016-03 to 2019-12)" in gap.caption
    pl = comp.result("trend", "ln_q").placebos
    plac = rffig.placebo_text(comp, "trend", "ln_q")
    assert plac.title == "In-time placebos: JPN, trend-adjusted design"
    assert f"each of {pl.n} baseline months" in plac.caption and "4 post months" in plac.caption


# --------------------------------------------------------------------------- logic moved to src
def test_collected_by_origin_keeps_one_source_and_the_treated_origins():
    t = pd.DataFrame({
        "origin": ["KOR", "JPN", "KOR", "MEX"],
        "period": pd.to_datetime(["2025-08-01", "2025-10-01", "2025-08-01", "2025-08-01"]),
        "source": ["budgetlab_note", "budgetlab_note", "dataweb_hs2_2024_2025", "budgetlab_note"],
        "statutory_rate_pct": [15.0, 15.0, 15.0, 12.5],
        "collected_rate_pct": [24.9, 14.2, 9.0, 3.0],
    })
    assert collected_by_origin(t) == {
        "KOR_2025_08": {"statutory_rate_pct": 15.0, "collected_rate_pct": 24.9,
                        "source": "budgetlab_note"},
        "JPN_2025_10": {"statutory_rate_pct": 15.0, "collected_rate_pct": 14.2,
                        "source": "budgetlab_note"},
    }
    assert list(collected_by_origin(t, origins=("MEX",))) == ["MEX_2025_08"]


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return read_flows()


def test_after_deals_by_origin_and_data(flows):
    kor = deals.after_deals(flows, "KOR")
    assert list(kor) == ["deal_cut"] and kor["deal_cut"] == deals.deal_results(flows)
    jpn = deals.after_deals(flows, "JPN")
    assert jpn == {"deal_coverage": deals.deal_coverage(flows, "JPN")}
    assert jpn["deal_coverage"]["deal_date"] == design.deal_date("JPN")
    assert deals.after_deals(flows, "DEU") == {}  # no data past its deal
    no_kcs = flows[flows["source"] != deals.SOURCE]
    assert deals.after_deals(no_kcs, "KOR") == {}
    tab = deals.after_deals_table(kor)
    assert list(tab.columns) == ["deal_cut"]
    assert tab.loc["coef", "deal_cut"] == kor["deal_cut"]["coef"]
    assert "step" not in tab.index and "post_months" not in tab.index  # nested: not shown
    assert deals.after_deals_table({}).empty
