"""A notebook whose cells print what a kernel started another way (forked from its runner,
autotariffs.warm; by a worker of the fork server, autotariffs.forkserver) could get wrong, and a
helper that runs it through ``autotariffs run``: tests compare such runs byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from support.project import clean_env

FACTS = r'''
import atexit, builtins, logging, signal, sys
from pathlib import Path
import matplotlib
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
facts = {
    "max_columns": pd.get_option("display.max_columns"),
    "build": os.environ.get("AUTOTARIFFS_BUILD"),
    "out": paths.OUT.relative_to(paths.ROOT).as_posix(),
    "backend": matplotlib.get_backend(),
    "tqdm_disable": os.environ.get("TQDM_DISABLE"),
    "parent_handle_is_the_runner": app.parent_handle == os.getppid(),
    "sigterm": str(signal.getsignal(signal.SIGTERM)),
    "sigint": getattr(signal.getsignal(signal.SIGINT), "__name__", "?"),
    "package_log_handlers": len(logging.getLogger("autotariffs").handlers),
    "argv0": Path(sys.argv[0]).name,
    "path0": sys.path[0],
    "cwd": Path.cwd().name,
    "stdin": repr(os.read(0, 1)),
    "own_session": os.getsid(0) == os.getpid(),
    "get_ipython_is_the_shell": type(builtins.get_ipython()).__name__,
}
print(json.dumps(facts, sort_keys=True, indent=1))
'''


def facts_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import json, os\nimport pandas as pd\n\n"
                                      "from autotariffs import paths"),
            nbformat.v4.new_code_cell('title = "t"', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(FACTS),
            nbformat.v4.new_code_cell("pd.DataFrame({f'c{i}': range(3) for i in range(30)})"),
        ],
        metadata={"kernelspec": {"name": "autotariffs", "display_name": "p", "language": "python"}},
    )
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # (nbformat draws random ids: both runs get the same notebook)
    return nb


def run_facts(folder: Path, **env: str) -> tuple[bytes, str]:
    """Run :func:`facts_notebook` with ``autotariffs run`` in ``folder`` (made; the project root,
    so that the output root is decided by ``AUTOTARIFFS_BUILD`` alone, which the runner sets for
    its kernel only) with ``env`` added; the executed notebook's bytes and the command's output."""
    (folder / "nb").mkdir(parents=True)
    nbformat.write(facts_notebook(), folder / "nb" / "06_report.ipynb")
    (folder / "p.yaml").write_text('title: "t"\n')
    out = folder / "out" / "06_report.ipynb"
    full = clean_env(("AUTOTARIFFS_",), AUTOTARIFFS_ROOT=str(folder), **env)
    full.pop("MPLBACKEND", None)
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run", "nb/06_report.ipynb",
                          "p.yaml", str(out)], cwd=folder, env=full, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return out.read_bytes(), res.stdout + res.stderr
