"""Nothing but the two documented targets writes ``notebooks/`` (the researchers' source).

Issue 16: "editing a cell in notebooks/04_estimates.ipynb and running make test keeps the edit;
no file in the repo writes notebooks/*.ipynb except the documented refresh target". Three guards:

1. every Make target's recipe (``make -n -B``) names a notebook only as the input of
   ``autotariffs run``; only ``notebooks-refresh`` (``autotariffs refresh-notebook``) and
   ``notebooks-sync`` (``jupytext --sync``) write there;
2. the test session itself fails when ``notebooks/`` changed while it ran (``tests/conftest.py``),
   shown here on a throwaway project: a test that writes a notebook fails the session, one that
   does not passes;
3. ``.ci/run`` checks ``git status`` of ``notebooks/`` after ``make`` and ``make test``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from support import PYTEST

from autotariffs import paths

ROOT = paths.ROOT
WRITERS = {"notebooks-refresh": "refresh-notebook", "notebooks-sync": "jupytext"}
# interactive or network targets: they start a server, fetch, or need network to lock
SKIP = {"lab", "fetch", "lock", "help"}
NB_DIRS = ("notebooks/", f"{ROOT}/notebooks/")  # as Make names them, or absolute


def _targets() -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^([a-z][a-z-]*):.*## ", text, flags=re.M)) - SKIP)


#: the Makefile's generated prerequisites file (DEPS_MK): brought up to date once, then left
#: alone (-o) by each dry run. With -B, every dry run would otherwise regenerate it (~0.6 s of
#: Python each, 30 targets); its recipe writes only that file.
DEPS_MK = ROOT / ".make" / "deps.mk"


def _dry_run(target: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    if not DEPS_MK.is_file():
        subprocess.run(["make", "-n", "help"], cwd=ROOT, env=env, capture_output=True,
                       timeout=120, check=True)  # (make remakes an included makefile even with -n)
    res = subprocess.run(["make", "-n", "-B", "-o", str(DEPS_MK), target], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return [line for line in res.stdout.splitlines() if line.strip()]


def notebook_writes(lines: list[str]) -> list[str]:
    """Recipe lines that write into notebooks/: a documented writer, or a notebooks/ path in any
    position other than the notebook argument of ``autotariffs run`` (its input)."""
    bad = []
    for line in lines:
        if any(w in line for w in WRITERS.values()):
            bad.append(line)
            continue
        try:
            toks = shlex.split(line)
        except ValueError:
            toks = line.split()
        allowed: set[int] = set()
        for i, t in enumerate(toks[:-1]):
            if t == "autotariffs" and toks[i + 1] == "run":
                pos = [j for j in range(i + 2, len(toks)) if not toks[j].startswith("-")
                       and toks[j - 1] != "--kernel"]
                allowed.update(pos[:2])  # notebook and params file are read, the output written
        if any(t.startswith(NB_DIRS) and j not in allowed for j, t in enumerate(toks)):
            bad.append(line)
    return bad


def test_recipe_parser_sees_a_write_into_notebooks():
    """The check can fail: an output under notebooks/ or a copy into it is caught."""
    assert notebook_writes([".venv/bin/python -m autotariffs run --kernel k notebooks/04.ipynb "
                            "notebooks/params/04.yaml notebooks/04.ipynb"])
    assert notebook_writes(["cp reports/notebooks/01.ipynb notebooks/01.ipynb"])
    assert notebook_writes([".venv/bin/python -m jupytext --sync notebooks/*.ipynb"])
    assert not notebook_writes([".venv/bin/python -m autotariffs run --kernel k "
                                "notebooks/04.ipynb notebooks/params/04.yaml "
                                "reports/notebooks/04_KOR.ipynb"])


@pytest.mark.slow
def test_only_the_documented_targets_write_notebooks():
    targets = _targets()
    assert {"all", "test", "verify", "notebooks-refresh", "notebooks-sync"} <= set(targets)
    for target in targets:
        lines = _dry_run(target)
        writes = notebook_writes(lines)
        if target in WRITERS:
            assert any(WRITERS[target] in line for line in writes), (target, lines)
        else:
            assert not writes, f"make {target} writes notebooks/: {writes}"


def _throwaway(tmp_path: Path, test_body: str, *opts: str) -> subprocess.CompletedProcess[str]:
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    nb = proj / "notebooks" / "04_estimates.ipynb"
    nb.write_text('{"cells": []}\n')
    tests = tmp_path / "t"
    tests.mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tests / "conftest.py")
    (tests / "test_x.py").write_text(
        "import os\nfrom pathlib import Path\n\n\ndef test_x():\n"
        f"    nb = Path(os.environ['AUTOTARIFFS_ROOT']) / 'notebooks' / '04_estimates.ipynb'\n"
        f"    {test_body}\n")
    env = {**os.environ, "AUTOTARIFFS_ROOT": str(proj)}
    env.pop("AUTOTARIFFS_OUTPUT_ROOT", None)
    return subprocess.run([*PYTEST, "-q", *opts, str(tests)], cwd=tmp_path, env=env,
                          capture_output=True,
                          text=True, timeout=300)


# `make test` runs pytest with xdist (-n 3): the guard must hold there as well as in one process
# (one worker is enough to split the session into a controller and a worker, at half the cost)
SESSIONS = {"one process": ("-p", "no:xdist"), "xdist": ("-n", "1")}


@pytest.mark.parametrize("opts", SESSIONS.values(), ids=SESSIONS.keys())
def test_a_test_that_writes_a_notebook_fails_the_session(tmp_path, opts):
    res = _throwaway(tmp_path, "nb.write_text('{\"cells\": [1]}')", *opts)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "wrote notebooks/" in res.stderr and "changed: 04_estimates.ipynb" in res.stderr
    assert res.stderr.count("wrote notebooks/") == 1, res.stderr  # the controller's, once


def test_a_test_that_only_reads_a_notebook_passes(tmp_path):
    res = _throwaway(tmp_path, "assert nb.read_text()", *SESSIONS["one process"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "wrote notebooks/" not in res.stderr


def test_ci_checks_that_make_and_make_test_left_notebooks_alone():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    after = text[text.index("make test"):]
    assert "git status --porcelain -- notebooks" in after
