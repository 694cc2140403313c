"""One source for the study design: no module but ``autotariffs.design`` types its dates or its
inference numbers.

A date or a default typed in two places can be corrected in one and missed in the other (the
event month was once hard-coded in three modules; ``n_boot=9999`` and ``leads=12`` drifted from
the design's 999 and 6). This test reads every module's code (not its docstrings or comments)
and fails on a string constant holding a design date, and on a number typed as the default of a
design parameter (draws, seeds, leads and lags, donut, post length, alpha, minimum baseline) in
``models/`` or ``report/``; it checks that the figures, the parameter defaults and the Makefile
take theirs from the design.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from autotariffs import config, design, paths
from autotariffs.data import countries
from autotariffs.figures import EVENTS
from autotariffs.figures.tariffs import TIMELINE_EVENTS

PKG = Path(design.__file__).parent
DATES = {e.date for e in design.EVENTS_ALL} | {design.ANNOUNCEMENT_DATE}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def typed_dates(source: str) -> list[str]:
    """String constants in code (docstrings excluded) that contain a design date."""
    tree = ast.parse(source)
    docs = _docstring_nodes(tree)
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
            and any(d in n.value for d in DATES)]


def test_checker_can_fail():
    assert typed_dates('"""Tariff of 2025-04-03."""\nEVENT = "2025-04-03"\n') == ["2025-04-03"]
    assert typed_dates('"""Tariff of 2025-04-03."""\nEVENT = design.TARIFF.date\n') == []


def test_no_module_but_design_types_a_design_date():
    found = {}
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "design.py":
            continue
        hits = typed_dates(path.read_text(encoding="utf-8"))
        if hits:
            found[str(path.relative_to(PKG))] = hits
    assert found == {}


# ---- inference and window numbers: only design.py types them -------------------------------------
#: parameters whose default is part of the study design (a default must read ``design.<NAME>``)
DESIGN_PARAMS = {"n_boot", "seed", "leads", "lags", "donut", "post_len", "alpha", "min_pre",
                 "n_sim", "sim_draws", "n_draws", "n_perm", "placebo_post_len", "placebo_min_pre"}
#: module constants named like a design number (``DEFAULT_SEED = 20250403``)
DESIGN_CONSTANT = ("SEED", "N_BOOT", "LEADS", "DONUT", "POST_LEN", "ALPHA", "MIN_PRE", "SIM_DRAWS",
                   "N_PERM")
#: numbers that are the design's wherever they appear as a default or a module constant
DESIGN_NUMBERS = {design.SEED, design.N_BOOT, design.SIM_DRAWS, 9999}


def _number(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool))


def typed_design_numbers(source: str) -> list[str]:
    """Signature defaults of design parameters written as numbers, and module constants or
    defaults that type one of the design's distinctive numbers (its seed, its draws)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            pos = a.posonlyargs + a.args
            pairs = [*zip(pos[len(pos) - len(a.defaults):], a.defaults, strict=True),
                     *[(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d]]
            for arg, d in pairs:
                if _number(d) and (arg.arg in DESIGN_PARAMS
                                   or ast.literal_eval(d) in DESIGN_NUMBERS):
                    found.append(f"{node.name}({arg.arg}={ast.unparse(d)})")
        elif isinstance(node, ast.ClassDef):  # dataclass fields: ``min_pre: int = 12``
            for st in node.body:
                if (isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name)
                        and _number(st.value) and st.target.id in DESIGN_PARAMS):
                    found.append(f"{node.name}.{st.target.id} = {ast.unparse(st.value)}")
    for st in tree.body:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(
            st, ast.AnnAssign) else []
        for t in targets:
            if isinstance(t, ast.Name) and _number(st.value) and (
                    any(c in t.id for c in DESIGN_CONSTANT)
                    or ast.literal_eval(st.value) in DESIGN_NUMBERS):
                found.append(f"{t.id} = {ast.unparse(st.value)}")
    return found


def test_design_number_checker_can_fail():
    assert typed_design_numbers("def f(x, n_boot=9999, seed=design.SEED):\n    pass\n") == [
        "f(n_boot=9999)"]
    assert typed_design_numbers("def f(*, leads=12, tol=1e-12):\n    pass\n") == ["f(leads=12)"]
    assert typed_design_numbers("def f(n=20250403):\n    pass\n") == ["f(n=20250403)"]
    assert typed_design_numbers("DEFAULT_SEED = 20250403\nMIN_PRE_CONFORMAL = 12\n") == [
        "DEFAULT_SEED = 20250403", "MIN_PRE_CONFORMAL = 12"]
    assert typed_design_numbers("class D:\n    min_pre: int = 12\n") == ["D.min_pre = 12"]
    assert typed_design_numbers("def f(alpha=design.ALPHA, k=3):\n    pass\n") == []


def test_models_and_report_take_their_design_numbers_from_the_design():
    found = {}
    for sub in ("models", "report"):
        for path in sorted((PKG / sub).rglob("*.py")):
            hits = typed_design_numbers(path.read_text(encoding="utf-8"))
            if hits:
                found[str(path.relative_to(PKG))] = hits
    assert found == {}


GROUPS = {tuple(design.TREATED), tuple(design.CONTROLS)}


def typed_origin_groups(source: str) -> list[str]:
    """Function defaults and module constants spelled as the design's treated or comparison
    origins (e.g. ``controls=("MEX", "CAN")``): they must read ``design.TREATED``/``CONTROLS``."""
    tree = ast.parse(source)
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            values += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    values += [n.value for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)]
    found = []
    for v in values:
        if isinstance(v, ast.Tuple | ast.List) and all(isinstance(e, ast.Constant) for e in v.elts):
            t = tuple(e.value for e in v.elts)
            if t in GROUPS:
                found.append(ast.unparse(v))
    return found


def test_origin_group_checker_can_fail():
    assert typed_origin_groups('def f(controls=("MEX", "CAN")):\n    pass\n') == ["('MEX', 'CAN')"]
    assert typed_origin_groups('ORIGINS = ("KOR", "JPN")\n') == ["('KOR', 'JPN')"]
    assert typed_origin_groups('def f(controls=design.CONTROLS):\n    pass\n') == []


def test_no_module_but_design_types_the_treated_or_comparison_origins():
    found = {}
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "design.py":
            continue
        hits = typed_origin_groups(path.read_text(encoding="utf-8"))
        if hits:
            found[str(path.relative_to(PKG))] = hits
    assert found == {}


def test_stages_read_their_dates_and_defaults_from_the_design():
    assert EVENTS == {e.date: e.label for e in design.EVENTS_ALL}
    assert TIMELINE_EVENTS["2025-11-01"] == "Korea deal (retro.)"  # labels kept byte-identical
    assert design.TARIFF.origins is None  # the tariff concerns every origin
    spec = config.SPECS["04_estimates"]
    assert spec["event_date"].default == design.TARIFF.date
    assert spec["baseline_start"].default == design.BASELINE_START
    assert spec["n_boot"].default == design.N_BOOT and spec["leads"].default == design.LEADS
    assert config.SPECS["05_robustness"]["origins"].default == list(design.TREATED)


def test_makefile_runs_04_once_per_params_file():
    """Adding an origin is adding notebooks/params/04_estimates_<ORIGIN>.yaml."""
    out = subprocess.run(["make", "-pn", "--no-print-directory", "help"], cwd=paths.ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("ORIGINS :="))
    files = sorted(p.stem.split("_")[-1] for p in paths.PARAMS.glob("04_estimates_*.yaml"))
    assert line.split(":=", 1)[1].split() == files


# ---- no module but the design decides which origin an analysis concerns (issue 21.6) ------------
#: ISO-3 codes an origin can carry: every country of the data's country table and the design's own
#: origin codes; "USA" is the importer, never an origin of US imports.
ORIGIN_CODES = ({c for c, bloc in zip(countries.COUNTRIES["iso3"], countries.COUNTRIES["is_bloc"],
                                      strict=True) if not bloc}
                | {o for e in design.EVENTS_ALL for o in e.origins or ()}) - {"USA"}
#: modules allowed to compare an origin with a code for now, and why
ORIGIN_COMPARISON_ALLOWED = {
    # being rewritten (issue 20)
    "models/deals.py": "being rewritten (issue 20)",
    "models/reduced_form.py": "being rewritten (issue 20)",
    "report/narrative.py": "being rewritten (issue 20)",
    # a source contract, not an analysis: the file holds US imports and Japan's exports to the US
    "data/sources/comtrade.py": "source contract of the Comtrade monthly file",
}


def _codes(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value in ORIGIN_CODES else []
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for e in node.elts for c in _codes(e)]
    return []


def origin_comparisons(source: str) -> list[str]:
    """Comparisons (``==``, ``!=``, ``in``, ``not in``) of anything with an origin's ISO code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
                _codes(side) for side in (node.left, *node.comparators)):
            found.append(ast.unparse(node))
    return found


def test_origin_comparison_checker_can_fail():
    assert origin_comparisons('if origin == "JPN":\n    pass\n') == ["origin == 'JPN'"]
    assert origin_comparisons('x = df[df["origin"] != "KOR"]\n') == ["df['origin'] != 'KOR'"]
    assert origin_comparisons('ok = o in ("DEU", "GBR")\n') == ["o in ('DEU', 'GBR')"]
    assert origin_comparisons('ok = reporter == "USA"\n') == []  # the importer
    assert origin_comparisons('if design.TARIFF.concerns(origin):\n    pass\n') == []


def test_no_module_branches_on_an_origin_code():
    """Which events, deals and series concern an origin is read from the design and the data."""
    found = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = str(path.relative_to(PKG))
        if path.name == "design.py" or rel in ORIGIN_COMPARISON_ALLOWED:
            continue
        hits = origin_comparisons(path.read_text(encoding="utf-8"))
        if hits:
            found[rel] = hits
    assert found == {}


def test_events_say_whom_they_concern():
    eu = design.DEALS["EU"]
    assert eu.concerns("DEU") and eu.concerns("EUN") and not eu.concerns("JPN")
    assert design.TARIFF.concerns("DEU") and design.TARIFF.concerns("MEX")
    assert design.own_events("DEU") == {design.TARIFF.date: design.TARIFF.label,
                                        eu.date: eu.label}
    assert design.deal_date("DEU") == eu.date
    assert design.own_events("MEX") == {design.TARIFF.date: design.TARIFF.label}
