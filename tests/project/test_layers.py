"""The package's folders are the pipeline's stages, and imports only run down the stages.

Why: a reader (or a new contributor) should be able to tell from ``src/autotariffs/`` which code
belongs to which step, and a change in a late stage (figures, report) must never be able to
break an early one (data, tariffs). Imports are read with ``ast`` (every ``import`` anywhere in a
module, including those inside functions), so the test needs no import side effects.

Layer order, lowest first (see ARCHITECTURE.md): a module may import its own stage and any lower
rank; two stages of the same rank (replication, figures) may not import each other. On top of
the ranks: the models import only the core and each other (the panel hands them their data, so
they import neither the data, tariff nor panel stage), no module reaches for another module's
private ``_name``, and no module of ``models/`` touches a file (ARCHITECTURE: "no files").
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
    #             labels (printed names and the one number formatter), timings (opt-in profile),
    #             threads (the estimators' thread pool)
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
        "autotariffs.timings", "autotariffs.threads"}
APP = {"autotariffs.run", "autotariffs.warm", "autotariffs.forkserver", "autotariffs.config",
       "autotariffs.cli", "autotariffs.__main__", "autotariffs.optional_imports"}


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


def from_module(mod: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    """The absolute module of ``from <module> import ...`` in ``mod`` (relative imports resolved)."""
    base = node.module or ""
    if node.level:
        anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    return base


def imports(mod: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``mod`` imports (``from pkg import sub`` -> ``pkg.sub``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = from_module(mod, node, is_pkg)
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


#: stages a stage must not import although they rank lower: what the models need from the data,
#: tariff and panel stages reaches them as a frame or a parameter
SIDEWAYS = {"models": {"data", "tariffs", "panel"}}


def sideways(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, deps in sorted(g.items()):
        for dep in sorted(deps):
            if stage(dep) in SIDEWAYS.get(stage(mod), ()):
                bad.append(f"{mod} ({stage(mod)}) imports {dep} ({stage(dep)})")
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(mod: str, path: Path, known: set[str]) -> list[str]:
    """``from other import _name``, and ``alias._name`` on an imported module of the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    aliases: dict[str, str] = {}  # local name -> package module
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = from_module(mod, node, is_pkg)
            for a in node.names:
                full = f"{base}.{a.name}"
                if full in known:
                    aliases[a.asname or a.name] = full
                elif base in known and base != mod and _private(a.name):
                    bad.append(f"{mod} imports {base}.{a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in known and a.asname:
                    aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in aliases
                and aliases[node.value.id] != mod):
            bad.append(f"{mod} uses {aliases[node.value.id]}.{node.attr}")
    return sorted(set(bad))


def private_imports(pkg: Path = PKG) -> list[str]:
    mods = modules(pkg)
    return [b for m, p in mods.items() for b in private_uses(m, p, set(mods))]


#: calls that read or write a file (pandas readers and writers, pathlib, open, numpy, json)
FILE_IO = {"open", "read_csv", "read_parquet", "read_excel", "read_json", "read_table",
           "read_pickle", "read_feather", "read_stata", "read_text", "read_bytes", "write_text",
           "write_bytes", "to_csv", "to_parquet", "to_excel", "to_pickle", "to_feather",
           "to_stata", "savefig", "Path", "PurePath", "load", "loadtxt", "genfromtxt", "save",
           "savez", "savetxt", "dump", "mkdir", "unlink", "glob", "rglob", "iterdir", "exists",
           "is_file"}
#: modules whose import means file access
FILE_MODULES = {"pathlib", "os", "shutil", "glob", "pickle", "io", "tempfile", "autotariffs.paths",
                "autotariffs.atomic"}


def file_io(source: str) -> list[str]:
    """Calls of :data:`FILE_IO` (as a name or an attribute) and imports of :data:`FILE_MODULES`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in FILE_IO:
                found.append((node.lineno, f"line {node.lineno}: {ast.unparse(f)}(...)"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                names += [f"{node.module}.{a.name}" for a in node.names]
            hit = sorted({n for n in names if n in FILE_MODULES})
            if hit:
                found.append((node.lineno, f"line {node.lineno}: import {', '.join(hit)}"))
    return [text for _, text in sorted(found)]


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


def test_the_models_import_no_data_tariff_or_panel_module():
    assert sideways(graph()) == []


def test_no_module_uses_another_modules_private_names():
    assert private_imports() == []


def test_the_models_touch_no_file():
    found = {str(p.relative_to(PKG)): hits for p in sorted((PKG / "models").rglob("*.py"))
             if (hits := file_io(p.read_text(encoding="utf-8")))}
    assert found == {}


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A planted package ``autotariffs`` under ``tmp_path`` with ``files`` (path -> text)."""
    pkg = tmp_path / "autotariffs"
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return pkg


def test_the_checks_can_fail(tmp_path):
    """A two-module cycle and a figures -> report import are found (the test is not vacuous)."""
    pkg = _package(tmp_path, {
        "__init__.py": "",
        "models/__init__.py": "",
        "models/a.py": "from autotariffs.models import b\n",
        "models/b.py": "def f():\n    from autotariffs.models.a import x\n",
        "figures/__init__.py": "from autotariffs.report.html import register\n",
        "report/__init__.py": "",
        "report/html.py": "from . import merge\n",
        "report/merge.py": "",
    })
    g = graph(pkg)
    assert g["autotariffs.report.html"] == {"autotariffs.report.merge"}
    assert cycles(g) == [["autotariffs.models.a", "autotariffs.models.b"]]
    assert upward(g) == [
        "autotariffs.figures (figures) imports autotariffs.report.html (report)"
    ]


def test_the_sideways_private_and_file_checks_can_fail(tmp_path):
    """A models -> panel import, private names taken from another module, and file access in a
    model are each found; a module's own private names and pure computation are not."""
    pkg = _package(tmp_path, {
        "__init__.py": "",
        "models/__init__.py": "",
        "models/a.py": "def _own():\n    pass\n\ndef f():\n    return _own()\n",
        "models/b.py": ("from autotariffs.panel.build import load_panel\n"
                        "from autotariffs.models.a import _own\n"
                        "from autotariffs.models import a as aa\n"
                        "x = aa._own()\n"),
        "panel/__init__.py": "",
        "panel/build.py": "def load_panel():\n    pass\n",
        "config.py": "def g():\n    from autotariffs.panel.build import _select_flows\n",
    })
    assert sideways(graph(pkg)) == [
        "autotariffs.models.b (models) imports autotariffs.panel.build (panel)"]
    assert private_imports(pkg) == [
        "autotariffs.config imports autotariffs.panel.build._select_flows",
        "autotariffs.models.b imports autotariffs.models.a._own",
        "autotariffs.models.b uses autotariffs.models.a._own",
    ]
    code = ("import pandas as pd\nfrom pathlib import Path\n"
            "def f(p):\n    a = pd.read_csv(p)\n    b = Path('x').read_text()\n"
            "    with open(p) as fh:\n        pass\n    a.to_parquet(p)\n    return a, b\n")
    assert file_io(code) == ["line 2: import pathlib", "line 4: pd.read_csv(...)",
                             "line 5: Path('x').read_text(...)", "line 5: Path(...)",
                             "line 6: open(...)", "line 8: a.to_parquet(...)"]
    assert file_io("import numpy as np\ndef f(x):\n    return np.log(x).to_dict()\n") == []


@pytest.mark.parametrize("old", ["io", "validation", "report", "panel", "tariffs", "build"])
def test_no_module_left_at_an_old_path(old):
    """One house: no shim or re-export module at the pre-stage paths (``io`` shadowed stdlib)."""
    assert not (PKG / f"{old}.py").exists()
