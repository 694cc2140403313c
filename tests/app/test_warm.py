"""The warm kernel (autotariffs.warm): a kernel forked from the runner after the notebook's imports
must run every cell exactly as a kernel started as a new process does.

The main test runs one notebook both ways, through the ``autotariffs run`` command, and requires
byte-identical executed notebooks. Its cells print what a fork could carry over from the runner
or get wrong: pandas' display default (decided on import by asking whether a Jupyter kernel
runs), the output root (``autotariffs.paths`` fixes it on import from ``AUTOTARIFFS_BUILD``, which
the runner sets only for its kernel), the matplotlib backend, ipykernel's parent handle (read from
``JPY_PARENT_PID`` when its class is defined), signal and log handlers, ``sys.argv[0]``,
``sys.path[0]``, the working folder, stdin and the session. Each of those differed in a first
version of the fork and is equal now.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import nbformat
import pytest
from support.kernel_facts import run_facts

from autotariffs import warm

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the warm kernel needs fork")

def test_a_forked_kernel_runs_cells_exactly_as_a_new_kernel_process(tmp_path):
    cold, _ = run_facts(tmp_path / "cold", AUTOTARIFFS_WARM_KERNEL="0", AUTOTARIFFS_FORKSERVER="0")
    warm_nb, log = run_facts(tmp_path / "warm", AUTOTARIFFS_FORKSERVER="0")
    cell = next(c for c in nbformat.reads(cold.decode(), as_version=4).cells
                if "facts = {" in c.source)
    facts = json.loads(cell.outputs[0]["text"])
    # (the facts are those of a kernel; checked so that the comparison means something)
    assert facts["max_columns"] == 20 and facts["build"] == "1" and facts["out"] == "."
    assert facts["parent_handle_is_the_runner"] and facts["own_session"]
    assert facts["argv0"] == "ipykernel_launcher.py" and facts["cwd"] == "nb"
    assert warm_nb == cold, "the forked kernel's notebook differs from the new process's"
    assert "--existing" not in log, "the forked kernel printed ipykernel's terminal banner"


def test_import_source_takes_the_imports_above_the_parameters_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("import nothing"),
        nbformat.v4.new_code_cell("import pandas as pd\nx = 1\nfrom a.b import (c,\n d)\n"
                                  "def f():\n    import inner"),
        nbformat.v4.new_code_cell("this is not python"),
        nbformat.v4.new_code_cell("import os.path", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import after"),
    ])
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert warm.import_source(tmp_path / "n.ipynb").splitlines() == [
        "import pandas as pd", "from a.b import c, d"]
    assert warm.import_source(tmp_path / "missing.ipynb") == ""
    no_params = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import x")])
    nbformat.write(no_params, tmp_path / "p.ipynb")
    assert warm.import_source(tmp_path / "p.ipynb") == ""


def test_only_an_ipykernel_of_this_python_is_forked():
    py = sys.executable
    assert warm._is_ipykernel([py, "-m", "ipykernel_launcher", "-f", "c.json"])
    assert warm._is_ipykernel([py, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c"])
    assert not warm._is_ipykernel([py, "-X", "dev", "-m", "ipykernel_launcher", "-f", "c"])
    assert not warm._is_ipykernel(["/usr/bin/env", "-m", "ipykernel_launcher", "-f", "c"])
    assert not warm._is_ipykernel([py, "-m", "other_kernel", "-f", "c"])


def test_an_unused_seed_exits_and_is_reaped():
    seed = warm.KernelSeed()
    seed.discard()
    with pytest.raises(ChildProcessError):
        os.waitpid(seed.pid, os.WNOHANG)  # already reaped: no zombie left behind
    seed.discard()  # twice is harmless


def test_the_forked_kernel_handle_reports_exit_and_signals(tmp_path):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child: never returns into pytest
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.write(w, b"r")  # ready: a SIGTERM now ends it
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"r"
    os.close(r)
    k = warm.ForkedKernel(pid)
    assert k.poll() is None
    k.send_signal(signal.SIGTERM)
    assert k.wait() == -signal.SIGTERM
    assert k.poll() == -signal.SIGTERM
    k.kill()  # a finished process: no error
