"""Write the Makefile's source prerequisites from the code: which files of ``src/autotariffs`` each
step really runs.

    python3 scripts/make_deps.py OUT.mk      # the Makefile runs this (stdlib only, any Python 3.8+)

Why: a step must rerun when any code it executes changes (a design date, a logging change, a
module imported inside a function), and hand-kept lists drift from the imports. For every step
this script takes the modules the step starts from and follows every ``import`` of the package
with :mod:`ast`, also those inside functions, to the transitive closure:

* a notebook step (``notebooks/NN_name.ipynb``): the imports of the notebook's code cells, plus the
  runner Make calls (``python -m autotariffs run``: ``__main__``, the module level of ``cli`` and
  its ``run`` subcommand, hence ``run``, ``config`` and everything they import);
* ``replicate`` and ``raw_verify``: the command's module level plus that subcommand's function;
* an import under ``if TYPE_CHECKING:`` does not count (it never runs);
* ``importlib.import_module("a.b")`` with a literal name counts as an import;
* ``import a.b.c`` also runs the packages ``a/__init__.py`` and ``a/b/__init__.py``;
  ``from a.b import c`` runs ``a.b.c`` when ``c`` is a module;
* a data folder beside a module (``report/templates/``) belongs to the modules of that package
  that name it in a string literal (``Path(__file__).parent / "templates"``).

The output defines ``DEPS_<step>`` (paths relative to the project root, sorted) for the Makefile
to include; it is rewritten only when its content changes (its time stamp is always refreshed,
so Make sees it up to date).
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PKG = "autotariffs"
NOTEBOOKS = ROOT / "notebooks"

# steps that are a subcommand of the `autotariffs` command: the module-level code of these
# modules plus the named functions (a subcommand's function imports what only it needs)
COMMAND = (f"{PKG}.__main__", f"{PKG}.cli")
COMMAND_STEPS = {
    "runner": f"{PKG}.cli:_cmd_run",
    "replicate": f"{PKG}.cli:_cmd_replicate",
    "raw_verify": f"{PKG}.cli:_cmd_raw_verify",
}


def modules(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its ``__init__.py``)."""
    out = {}
    for p in sorted((src / PKG).rglob("*.py")):
        parts = list(p.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


def _with_parents(name: str, known: dict[str, Path]) -> set[str]:
    """``a.b.c`` -> {a, a.b, a.b.c}: importing a module runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(known)


def imported(nodes: list[ast.AST], mod: str, is_pkg: bool, known: dict[str, Path]) -> set[str]:
    """Modules of the package that the import statements found anywhere in ``nodes`` run."""
    out: set[str] = set()
    for top in nodes:
        for node in _walk(top):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.Call) and _dynamic_import(node):
                targets = [node.args[0].value]  # importlib.import_module("autotariffs.x")
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x / from ..y import z
                    anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names
                                    if f"{base}.{a.name}" in known]
            else:
                continue
            for name in targets:
                while name and name not in known:  # import a.b.func -> module a.b
                    name = name.rpartition(".")[0]
                if name:
                    out |= _with_parents(name, known)
    return out


def _walk(node: ast.AST):
    """Every node below ``node`` but the body of ``if TYPE_CHECKING:`` (never runs)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _dynamic_import(call: ast.Call) -> bool:
    """``importlib.import_module("a.b")`` or ``__import__("a.b")`` with a literal name."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return (name in ("import_module", "__import__") and bool(call.args)
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports (anywhere in it, also inside functions)."""
    return {m: imported([_tree(p)], m, p.name == "__init__.py", known) - {m}
            for m, p in known.items()}


def data_files(known: dict[str, Path]) -> dict[str, set[Path]]:
    """module -> data files it reads from a non-package folder beside it, found by the folder's
    name appearing as a string literal in the module."""
    out: dict[str, set[Path]] = {}
    for m, p in known.items():
        folder = p.parent
        for sub in sorted(d for d in folder.iterdir() if d.is_dir()
                          and not (d / "__init__.py").exists() and d.name != "__pycache__"):
            files = {f for f in sub.rglob("*") if f.is_file() and "__pycache__" not in f.parts}
            if not files:
                continue
            names = {n.value for n in ast.walk(_tree(p))
                     if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if sub.name in names:
                out.setdefault(m, set()).update(files)
    return out


def closure(start: set[str], g: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = sorted(start)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(sorted(g.get(m, set()) - seen))
    return seen


def notebook_imports(nb: Path, known: dict[str, Path]) -> set[str]:
    """Package modules imported by the code cells of a notebook (magics and shell lines dropped)."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    trees = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        trees.append(ast.parse("\n".join(lines), filename=f"{nb.name} (cell)"))
    return imported(trees, f"{PKG}.__notebook__", False, known)


def command_start(entry: str, known: dict[str, Path]) -> set[str]:
    """Modules a subcommand runs first: the command's module level and the function ``entry``."""
    mod, _, func = entry.partition(":")
    start: set[str] = set()
    for m in (*COMMAND, mod):
        tree = _tree(known[m])
        top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                          ast.ClassDef))]
        start |= imported(top, m, False, known) | _with_parents(m, known)
    fn = next(n for n in ast.walk(_tree(known[mod]))
              if isinstance(n, ast.FunctionDef) and n.name == func)
    return start | imported([fn], mod, False, known)


def step_files(known: dict[str, Path], notebooks: list[Path]) -> dict[str, set[Path]]:
    """step -> every source file it runs (modules and their data files)."""
    g = graph(known)
    # a command module is only entered through its subcommands: its functions' imports do not
    # belong to every step (e.g. `fetch` is not part of a notebook run)
    for m in COMMAND:
        g[m] = set()
    extra = data_files(known)

    def files(mods: set[str]) -> set[Path]:
        out = {known[m] for m in mods}
        for m in mods:
            out |= extra.get(m, set())
        return out

    steps = {name: closure(command_start(entry, known), g) for name, entry in COMMAND_STEPS.items()}
    out = {name: files(mods) for name, mods in steps.items()}
    for nb in notebooks:
        out[nb.stem] = files(closure(notebook_imports(nb, known), g) | steps["runner"])
    return out


def render(deps: dict[str, set[Path]], root: Path = ROOT) -> str:
    lines = ["# Generated by scripts/make_deps.py from the imports of src/autotariffs and "
             "notebooks/*.ipynb; do not edit.",
             "# DEPS_<step>: every source file the step runs (the Makefile includes this file)."]
    for step in sorted(deps):
        rel = sorted(p.relative_to(root).as_posix() for p in deps[step])
        lines.append(f"DEPS_{step} := " + " \\\n  ".join(rel))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make_deps.py OUT.mk", file=sys.stderr)
        return 2
    out = Path(argv[0])
    known = modules()
    text = render(step_files(known, sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))))
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    else:
        out.touch()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
