"""The package's folders are the pipeline's stages, and imports only run down the stages.

Why: a reader (or a new contributor) should be able to tell from ``src/autotariffs/`` which code
belongs to which step, and a change in a late stage (figures, report) must never be able to
break an early one (data, tariffs). Imports are read with ``ast`` (every ``import`` anywhere in a
module, including those inside functions), so the test needs no import side effects.

Layer order, lowest first (see ARCHITECTURE.md): a module may import its own stage and any lower
rank; two stages of the same rank (replication, figures) may not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import ROOT

PKG = ROOT / "src" / "autotariffs"

# stage -> rank; core is the package's top-level leaf modules
RANKS = {
    "core": 0,  # paths, errors, atomic (file writes), outputs (registry), design (study design),
    #             labels (printed names and the one number formatter), timings (opt-in profile)
    "data": 1,  # raw sources, adapters, schemas, countries, build, reconcile
    "tariffs": 2,  # statutory schedule, effective and collected rates, control exposure
    "panel": 3,  # the analysis panel from flows, tariffs and FX
    "models": 4,  # estimators and inference (no figures, no files)
    "replication": 5,  # gravity benchmarks re-estimated with the models' estimators
    "figures": 5,  # draws the panel's and the models' results
    "report": 6,  # merges results, narrative, literature, HTML
    "app": 7,  # runner and parameter checks (they run notebooks and read every stage's data)
}
CORE = {"autotariffs", "autotariffs.paths", "autotariffs.errors", "autotariffs.atomic",
        "autotariffs.outputs", "autotariffs.design", "autotariffs.logs", "autotariffs.labels",
        "autotariffs.timings"}
APP = {"autotariffs.run", "autotariffs.config", "autotariffs.cli", "autotariffs.__main__"}


def module_name(path: Path, root: Path = PKG.parent) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(pkg: Path = PKG) -> dict[str, Path]:
    return {module_name(p, pkg.parent): p for p in sorted(pkg.rglob("*.py"))}


def stage(mod: str) -> str:
    if mod in CORE:
        return "core"
    if mod in APP:
        return "app"
    parts = mod.split(".")
    if len(parts) >= 2 and parts[1] in RANKS and parts[1] not in ("core", "app"):
        return parts[1]
    raise KeyError(mod)


def imports(mod: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``mod`` imports (``from pkg import sub`` -> ``pkg.sub``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # import a.b.c.func -> module a.b.c
                name = name.rpartition(".")[0]
            if name and name != mod:
                out.add(name)
    return out


def graph(pkg: Path = PKG) -> dict[str, set[str]]:
    mods = modules(pkg)
    return {m: imports(m, p, set(mods)) for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def upward(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, deps in sorted(g.items()):
        for dep in sorted(deps):
            s, d = stage(mod), stage(dep)
            if s != d and RANKS[d] >= RANKS[s]:
                bad.append(f"{mod} ({s}) imports {dep} ({d})")
    return bad


def test_every_module_belongs_to_a_stage():
    unplaced = []
    for mod in modules():
        try:
            stage(mod)
        except KeyError:
            unplaced.append(mod)
    assert not unplaced, f"modules outside the stage folders: {unplaced}"


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_imports_only_run_down_the_stages():
    assert upward(graph()) == []


def test_the_checks_can_fail(tmp_path):
    """A two-module cycle and a figures -> report import are found (the test is not vacuous)."""
    pkg = tmp_path / "autotariffs"
    for rel, text in {
        "__init__.py": "",
        "models/__init__.py": "",
        "models/a.py": "from autotariffs.models import b\n",
        "models/b.py": "def f():\n    from autotariffs.models.a import x\n",
        "figures/__init__.py": "from autotariffs.report.html import register\n",
        "report/__init__.py": "",
        "report/html.py": "from . import merge\n",
        "report/merge.py": "",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    g = graph(pkg)
    assert g["autotariffs.report.html"] == {"autotariffs.report.merge"}
    assert cycles(g) == [["autotariffs.models.a", "autotariffs.models.b"]]
    assert upward(g) == [
        "autotariffs.figures (figures) imports autotariffs.report.html (report)"
    ]


@pytest.mark.parametrize("old", ["io", "validation", "report", "panel", "tariffs", "build"])
def test_no_module_left_at_an_old_path(old):
    """One house: no shim or re-export module at the pre-stage paths (``io`` shadowed stdlib)."""
    assert not (PKG / f"{old}.py").exists()
