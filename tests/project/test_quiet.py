"""`make` and `make test` print nothing the project can silence (issue 21, item 8).

* Kernels started by the runner or by the venv's ``jupyter nbconvert`` print neither
  ``Kernel is running over TCP without encryption`` (ipykernel, when jupyter_client provisions no
  CurveZMQ keys on TCP) nor ``KeyboardInterrupt caught in kernel`` (ipykernel, when the SIGINT
  that jupyter_client sends before every shutdown lands in a message handler). The second is
  timing-dependent, so the tests check its cause: a kernel that records SIGINT must receive none
  when it is shut down idle.
* ``make help`` names the origins that have a params file; ``.hypothesis/`` is git-ignored.
(One short line per make step is checked on a real step in ``test_workflow.py``.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from support import ROOT
from support.project import clean_env, copy_project, run_make

NOISE = ("without encryption", "KeyboardInterrupt")


def _sigint_recorder(mark: Path) -> nbformat.NotebookNode:
    """A notebook whose kernel writes ``mark`` when it receives SIGINT (ipykernel's own handler
    hooks, which swap the handler around each message, are switched off for that)."""
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('title = "t"', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(
                "import pathlib, signal\n"
                "k = get_ipython().kernel\n"
                "k.pre_handler_hook = k.post_handler_hook = lambda: None\n"
                f"signal.signal(signal.SIGINT, lambda *a: pathlib.Path({str(mark)!r})"
                ".write_text('SIGINT'))\n"
                "print('ready')"),
        ],
        metadata={"kernelspec": {"name": "autotariffs", "display_name": "p", "language": "python"}},
    )


def test_the_runner_shuts_an_idle_kernel_down_without_interrupting_it(tmp_path):
    mark = tmp_path / "sigint-received"
    nbformat.write(_sigint_recorder(mark), tmp_path / "06_report.ipynb")
    (tmp_path / "p.yaml").write_text('title: "t"\n')
    out = tmp_path / "out" / "06_report.ipynb"
    env = clean_env(("AUTOTARIFFS_",), AUTOTARIFFS_OUTPUT_ROOT=str(tmp_path / "out"))
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run", str(tmp_path / "06_report.ipynb"),
                          str(tmp_path / "p.yaml"), str(out)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "ready" in out.read_text()
    assert not mark.exists(), "the runner sent SIGINT to an idle kernel at shutdown"
    assert not any(n in res.stdout + res.stderr for n in NOISE), res.stdout + res.stderr


def test_nbconvert_in_the_project_venv_is_quiet(tmp_path):
    """`jupyter nbconvert --execute` (how a researcher or JupyterLab's kernels run a notebook):
    the venv's Jupyter configuration, written by `make env`, gives kernels Curve keys and a
    shutdown without interrupt."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip(f"{jupyter} not found")
    mark = tmp_path / "sigint-received"
    nbformat.write(_sigint_recorder(mark), tmp_path / "nb.ipynb")
    env = clean_env(("AUTOTARIFFS_", "JUPYTER_"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
                    JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), JUPYTER_PLATFORM_DIRS="1",
                    AUTOTARIFFS_OUTPUT_ROOT=str(tmp_path))
    res = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute",
                          str(tmp_path / "nb.ipynb"), "--output", "done.ipynb"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "ready" in (tmp_path / "done.ipynb").read_text()
    # (without the venv's configuration, `make env`, both fail)
    assert not any(n in res.stdout + res.stderr for n in NOISE), res.stderr
    assert not mark.exists(), "nbconvert sent SIGINT to an idle kernel at shutdown"


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")
def test_make_help_names_the_origins_that_have_a_params_file(tmp_path):
    proj = copy_project(tmp_path / "proj")
    params = proj / "notebooks" / "params"
    shutil.copy2(params / "04_estimates_KOR.yaml", params / "04_estimates_DEU.yaml")
    res = run_make(proj, "help", env=clean_env(("AUTOTARIFFS_", "MAKE", "MFLAGS")), timeout=60)
    assert res.returncode == 0, res.stderr
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).split() for ln in res.stdout.splitlines()]
    line = " ".join(next(ln for ln in lines if ln[:1] == ["estimates"]))
    origins = sorted(p.stem.removeprefix("04_estimates_") for p in params.glob("04_estimates_*.yaml"))
    assert origins == ["DEU", "JPN", "KOR"]
    assert "(" + ", ".join(origins) + ")" in line, line


def test_hypothesis_database_is_git_ignored():
    res = subprocess.run(["git", "check-ignore", "-q", ".hypothesis/examples/x"], cwd=ROOT)
    if res.returncode == 128:
        pytest.skip("not a git work tree")
    assert res.returncode == 0, ".hypothesis/ (hypothesis' example database) must be git-ignored"


def test_the_venv_jupyter_configuration_names_a_class_that_exists():
    import json

    from traitlets.utils.importstring import import_item

    cfg = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_config.json"
    if not cfg.is_file():
        pytest.skip("no venv Jupyter configuration (make env writes it)")
    data = json.loads(cfg.read_text())
    cls = import_item(data["NotebookClient"]["kernel_manager_class"])
    from jupyter_client.manager import AsyncKernelManager

    assert issubclass(cls, AsyncKernelManager)
    assert os.fspath(cfg).startswith(sys.prefix)
