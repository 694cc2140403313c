"""Make reruns exactly the steps whose code changed (issue 21, item 1).

The source prerequisites of each step come from the imports (``scripts/make_deps.py`` writes
``.make/deps.mk``, which the Makefile includes). On one copy of the project, marked built with
``make -t`` (every target touched in dependency order, as after a real build, without running a
recipe), each case touches one file and asks ``make -q`` which steps are stale; the file's time
stamp is then put back. A step is asked about on its own: ``make -q -o <every other output>
<its target>`` (``-o``: that file counts as up to date and changes nothing downstream), so a step
that is stale only because an upstream step is (and would rerun after it) does not hide a missing
prerequisite. The expected steps are read off the imports by hand (each case names the import that
puts the file in the step). (``make -n`` cannot list them: GNU make 4.3 does not propagate a
grouped target's remake to its dependents under ``-n``.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ROOT
from support.project import clean_env, copy_project, fake_venv, run_make

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")

NOTEBOOK_STEPS = {"01_build_data", "02_tariff_schedule", "03_descriptives", "04_estimates_JPN",
                  "04_estimates_KOR", "05_robustness", "06_report"}
COMMAND_STEPS = {"validation", "raw-verify"}
# the file each step writes that Make asks about (its executed notebook, or the command's output)
TARGET = {**{s: f"reports/notebooks/{s}.ipynb" for s in NOTEBOOK_STEPS},
          "validation": "data/processed/validation.csv", "raw-verify": "data/processed/.raw-verified"}


# file touched -> the steps that run it directly (why, by hand from the imports)
CODE_CASES = {
    # core: config (the runner, every notebook step) imports design; the replication step's
    # yotov imports models.fe, whose package __init__ imports design; raw verify does not
    "src/autotariffs/design.py": NOTEBOOK_STEPS | {"validation"},
    # core: cli imports logs at module level (every command), config.validate imports it
    "src/autotariffs/logs.py": NOTEBOOK_STEPS | COMMAND_STEPS,
    # data: imported by notebook 01 (and data.build) only
    "src/autotariffs/data/reconcile.py": {"01_build_data"},
    # data: imported by notebook 03 only
    "src/autotariffs/data/sources/budgetlab.py": {"03_descriptives"},
    # tariffs: imported by notebook 03 only
    "src/autotariffs/tariffs/collected.py": {"03_descriptives"},
    # panel: config imports panel.build inside its functions (the runner, every notebook step)
    "src/autotariffs/panel/build.py": NOTEBOOK_STEPS,
    # models: imported by notebook 05 only
    "src/autotariffs/models/robustness.py": {"05_robustness"},
    # replication: replication.tables imports sst inside a function; 06 imports tables
    "src/autotariffs/replication/sst.py": {"validation", "06_report"},
    # figures: imported by notebook 03 only
    "src/autotariffs/figures/descriptives.py": {"03_descriptives"},
    # report: imported by notebook 06 only; its template is read by report.html
    "src/autotariffs/report/narrative.py": {"06_report"},
    "src/autotariffs/report/templates/report.html.j2": {"06_report"},
    # app: the runner of every notebook step; cli is also every command's entry
    "src/autotariffs/run.py": NOTEBOOK_STEPS,
    "src/autotariffs/cli.py": NOTEBOOK_STEPS | COMMAND_STEPS,
    # a notebook is its own step's source
    "notebooks/03_descriptives.ipynb": {"03_descriptives"},
}


def _params_cases(root: Path) -> dict[str, set[str]]:
    cases = {}
    files = sorted((root / "notebooks" / "params").glob("*.yaml"))
    assert len(files) >= 7, files
    for f in sorted((root / "notebooks" / "params").glob("*.yaml")):
        step = f.stem if f.stem != "04_estimates" else None
        assert step in NOTEBOOK_STEPS, f"a params file without a step: {f.name}"
        cases[f"notebooks/params/{f.name}"] = {step}
    return cases


def _env() -> dict[str, str]:
    return clean_env(("AUTOTARIFFS_", "MAKE", "MFLAGS"))


def _make(proj: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_make(proj, f"PYTHON_BOOT={sys.executable}", *args, env=_env(), timeout=120)


def outputs(proj: Path) -> list[str]:
    return sorted(p.relative_to(proj).as_posix() for d in ("reports", "data/processed")
                  for p in (proj / d).rglob("*") if p.is_file())


def stale_steps(proj: Path) -> set[str]:
    """The steps whose own prerequisites are newer than their outputs (upstream outputs held as
    up to date with -o, so each step is judged on its own prerequisites)."""
    outs = outputs(proj)
    stale = set()
    for step, target in TARGET.items():
        held = [a for o in outs if o != target for a in ("-o", o)]
        res = _make(proj, "-q", *held, target)
        assert res.returncode in (0, 1), res.stdout + res.stderr
        if res.returncode == 1:
            stale.add(step)
    return stale


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of the project without .make/deps.mk (as a fresh clone), marked built by make -t."""
    proj = copy_project(tmp_path_factory.mktemp("deps") / "autotariffs")
    fake_venv(proj)
    assert not (proj / ".make").exists()
    for d in ("reports/results", "reports/notebooks", "reports/figures"):
        (proj / d).mkdir(parents=True)  # (make -t touches files, it makes no folders)
    # (make -t touches only the member of a grouped target that was asked for: ask for each)
    res = _make(proj, "-t", "all", *TARGET.values(), "reports/results.json",
                "reports/figures/registry.csv")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (proj / ".make" / "deps.mk").is_file(), "make did not write its generated prerequisites"
    again = _make(proj, "-q")
    assert again.returncode == 0, "a second make after a build is not a no-op"
    return proj


@pytest.fixture()
def touch(built):
    """Touch a file of the built copy (newer than every output) and put its time stamp back."""
    saved: list[tuple[Path, os.stat_result]] = []

    def _touch(rel: str) -> None:
        f = built / rel
        saved.append((f, f.stat()))
        newest = max((built / o).stat().st_mtime for o in outputs(built))
        while time.time() <= newest + 0.01:  # newer than every output, but not in the future
            time.sleep(0.01)
        os.utime(f)

    yield _touch
    for f, st in saved:
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _make(built, "-q").returncode == 0, "the copy is not up to date again"


def test_nothing_touched_nothing_to_do(built):
    assert stale_steps(built) == set()


@pytest.mark.parametrize("rel", sorted(CODE_CASES))
def test_a_changed_source_file_reruns_exactly_the_steps_that_run_it(built, touch, rel):
    touch(rel)
    assert _make(built, "-q").returncode == 1, f"make -q says up to date after touching {rel}"
    assert stale_steps(built) == CODE_CASES[rel], rel


@pytest.mark.parametrize("rel", sorted(_params_cases(ROOT)))
def test_each_params_file_reruns_its_own_step(built, touch, rel):
    touch(rel)
    assert stale_steps(built) == _params_cases(ROOT)[rel], rel


def test_a_new_import_is_followed_and_a_removed_module_is_forgotten(built, touch):
    """A module added to the package and imported (inside a function) by a module of 03 becomes a
    prerequisite of 03 only; deleting it again leaves no dangling prerequisite."""
    new = built / "src" / "autotariffs" / "figures" / "extra_probe.py"
    fig = built / "src" / "autotariffs" / "figures" / "descriptives.py"
    original = fig.read_text()
    st = fig.stat()
    try:
        new.write_text("X = 1\n")
        fig.write_text(original + "\n\ndef _probe():\n    from autotariffs.figures import extra_probe\n"
                       "    return extra_probe.X\n")
        os.utime(fig, ns=(st.st_atime_ns, st.st_mtime_ns))  # only the new module is newer
        assert stale_steps(built) == {"03_descriptives"}
        deps = (built / ".make" / "deps.mk").read_text()
        assert "src/autotariffs/figures/extra_probe.py" in deps
    finally:
        new.unlink(missing_ok=True)
        fig.write_text(original)
        os.utime(fig, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert stale_steps(built) == set()
    assert "extra_probe" not in (built / ".make" / "deps.mk").read_text()


def test_generated_prerequisites_are_git_ignored():
    res = subprocess.run(["git", "check-ignore", "-q", ".make/deps.mk"], cwd=ROOT)
    if res.returncode == 128:
        pytest.skip("not a git work tree")
    assert res.returncode == 0, ".make/ must be git-ignored (it is generated)"
