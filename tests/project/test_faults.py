"""Fault injection on a tiny two-stage pipeline built like the project's (tests/fixtures/pipeline).

The fixture Makefile has the project's recipe shape: grouped targets (executed notebook + data
output), ``.DELETE_ON_ERROR`` with the notebook steps' outputs ``.PRECIOUS`` and ``autotariffs
run`` on the ``autotariffs`` kernel. The fixture notebooks carry real notebook names
(``03_descriptives``, ``06_report``) so run.py validates their params files against
``autotariffs.config.SPECS``; they compute on simulated data and take fault controls from
environment variables (see the notebooks' second cell).

What must hold after any failure or interrupt: make exits non-zero, the failed step's outputs are
as before it ran (none on a first build, not even the data file the notebook wrote before the
fault; after a good build, the previous notebook and results together, issue 21), no
``.name.XXXX`` temporary or backup file is left, no kernel process is orphaned, and the next
plain ``make`` completes with outputs byte-identical (SHA-256) to a clean run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from support.project import clean_env, copy_fixture, run_make

from autotariffs.warm import KERNEL_NAME

STAGE1 = ("03_descriptives.ipynb", "desc.csv")
STAGE2 = ("06_report.ipynb", "report.json")
ALL = STAGE1 + STAGE2
TIMEOUT = 120.0

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")


def _copy(tmp_path: Path, name: str) -> Path:
    proj = copy_fixture("pipeline", tmp_path / name)
    (proj / "out").mkdir()
    return proj


def _env(**extra: str) -> dict[str, str]:
    # (the runner's own rollback is tested here, on the process tree a runner started by make
    # has; the fork server's passing on of signals is tested in tests/app/test_forkserver.py)
    return clean_env(("FIXTURE_", "AUTOTARIFFS_"), **{"AUTOTARIFFS_FORKSERVER": "0", **extra})


def _make(proj: Path, *targets: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_make(proj, *targets, env=_env(**env), timeout=TIMEOUT)


def _default_signals() -> None:
    """A job started from a non-interactive shell inherits SIGINT as *ignored* (and keeps it
    ignored across exec); reset it so the child reacts like a terminal job would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_make(proj: Path, *targets: str, **env: str) -> tuple[subprocess.Popen, Path]:
    """Start make in its own session, like a shell starts a foreground job."""
    log = proj / "make.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            ["make", f"PY={sys.executable}", *targets],
            cwd=proj,
            env=_env(**env),
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_default_signals,
        )
    _STARTED.append(proc)
    return proc, log


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_stray_jobs():
    """If a test fails half-way, kill what it started (make's group and any kernel below it)."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            for p in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _digest(path: Path) -> str:
    """SHA-256 of a file as written, executed notebooks included: run.strip_volatile already
    removes what changes from run to run (times, papermill's random injected-cell id)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hashes(proj: Path, names: tuple[str, ...] = ALL) -> dict[str, str]:
    return {n: _digest(proj / "out" / n) for n in names}


def _wait_for(cond, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not cond():
        if proc.poll() is not None:
            pytest.fail(f"make ended (rc={proc.returncode}) before {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")
        time.sleep(0.05)


def _kernel_of(proc: subprocess.Popen) -> tuple[psutil.Process, psutil.Process]:
    """The (papermill runner, kernel) pair below make: the kernel is a child of the runner,
    started as ``ipykernel_launcher`` or forked from the runner (autotariffs.warm names it)."""
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            name = child.name()
        except psutil.NoSuchProcess:
            continue
        if "ipykernel_launcher" in cmd or name == KERNEL_NAME:
            parent = child.parent()
            assert parent is not None and "autotariffs run" in " ".join(parent.cmdline()), cmd
            return parent, child
    raise LookupError("no kernel process under make")


def _assert_clean_failure(proj: Path, missing: tuple[str, ...], log: str) -> None:
    out = proj / "out"
    left = [n for n in missing if (out / n).exists()]
    assert not left, f"targets of the failed step left behind: {left}\n{log}"
    temps = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert not temps, f"temporary files left in out/: {temps}\n{log}"


def _assert_gone(pids: list[int], timeout: float = 20.0) -> None:
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    alive = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    for p in alive:
        p.kill()
    assert not alive, f"orphaned processes after the fault: {[p.pid for p in alive]}"


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory) -> Path:
    """The fixture pipeline built once from clean; a test that breaks a build copies this one."""
    proj = _copy(tmp_path_factory.mktemp("clean"), "proj")
    res = _make(proj)
    assert res.returncode == 0, res.stdout + res.stderr
    # independent check of the simulated numbers: 18 months 2024-01..2025-06 (params file),
    # value_i = (7919 i mod 1000) / 8 for i = 0..17
    expected_total = sum((i * 7919) % 1000 / 8 for i in range(18))
    report = json.loads((proj / "out" / "report.json").read_text())
    assert report["n"] == 18 and report["total"] == pytest.approx(expected_total, abs=1e-9)
    return proj


@pytest.fixture(scope="module")
def clean(clean_build) -> dict[str, str]:
    return _hashes(clean_build)


def test_sigint_during_second_stage_leaves_no_target_and_rerun_matches_clean(tmp_path,
                                                                             clean_build, clean):
    # the clean build with stage 2 undone: stage 1 is complete, make runs only stage 2
    proj = shutil.copytree(clean_build, tmp_path / "proj", copy_function=shutil.copy2)
    for name in STAGE2:
        (proj / "out" / name).unlink()
    proc, log = _start_make(proj, FIXTURE_SLEEP_REPORT="60")
    # report.json is written before the sleeping cell: the step is mid-notebook once it exists
    _wait_for(lambda: (proj / "out" / "report.json").exists(), proc, log, "stage 2 to start")
    runner, kernel = _kernel_of(proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
    rc = proc.wait(timeout=TIMEOUT)
    text = log.read_text()
    assert rc != 0, text
    assert "[stop] 06_report: interrupted; no output written" in text, text
    _assert_clean_failure(proj, STAGE2, text)
    assert _hashes(proj, STAGE1) == {k: clean[k] for k in STAGE1}, "finished stage 1 was touched"
    _assert_gone([runner.pid, kernel.pid])

    again = _make(proj)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "03_descriptives" not in again.stdout, "stage 1 was complete and must not rerun"
    assert _hashes(proj) == clean


def test_sigkill_of_kernel_fails_the_step_and_rerun_matches_clean(tmp_path, clean):
    proj = _copy(tmp_path, "proj")
    target = "out/03_descriptives.ipynb"
    proc, log = _start_make(proj, target, FIXTURE_SLEEP_DESC="60")
    _wait_for(lambda: (proj / "out" / "desc.csv").exists(), proc, log, "stage 1 to start")
    runner, kernel = _kernel_of(proc)  # the kernel is a child of the papermill process
    kernel.send_signal(signal.SIGKILL)
    rc = proc.wait(timeout=TIMEOUT)
    text = log.read_text()
    assert rc != 0, text
    assert "[fail] 03_descriptives" in text, text
    _assert_clean_failure(proj, ALL, text)
    _assert_gone([runner.pid])

    again = _make(proj, target)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _hashes(proj, STAGE1) == {k: clean[k] for k in STAGE1}


def test_cell_that_raises_leaves_no_target(tmp_path):
    proj = _copy(tmp_path, "proj")
    res = _make(proj, "out/03_descriptives.ipynb", FIXTURE_RAISE_DESC="1")
    text = res.stdout + res.stderr
    assert res.returncode != 0, text
    assert "simulated failure in stage DESC" in text, "the cell's error must reach the user"
    _assert_clean_failure(proj, STAGE1, text)


def test_bad_params_fail_before_a_kernel_starts_naming_the_file(tmp_path):
    proj = _copy(tmp_path, "proj")
    marks = tmp_path / "marks"
    marks.mkdir()
    bad = proj / "params" / "03_descriptives.yaml"
    bad.write_text('start: "2024-13"\nend: "2025-06"\n')  # month 13 violates the spec
    t0 = time.perf_counter()
    res = _make(proj, FIXTURE_MARK=str(marks))
    elapsed = time.perf_counter() - t0
    text = res.stdout + res.stderr
    assert res.returncode != 0, text
    assert "params/03_descriptives.yaml" in text and "'start'" in text and "2024-13" in text, text
    assert not list(marks.iterdir()), "a kernel was started before the params were checked"
    _assert_clean_failure(proj, ALL, text)
    # no kernel, no notebook: only interpreter + papermill import time (generous for loaded CI)
    assert elapsed < 30, f"params check took {elapsed:.1f} s"


def test_sigterm_to_the_job_leaves_no_target(tmp_path):
    """CI cancellation and `timeout` send SIGTERM; run.py turns it into the same clean stop
    (the rerun after a stop is covered by the SIGINT and SIGKILL tests)."""
    proj = _copy(tmp_path, "proj")
    target = "out/03_descriptives.ipynb"
    proc, log = _start_make(proj, target, FIXTURE_SLEEP_DESC="60")
    _wait_for(lambda: (proj / "out" / "desc.csv").exists(), proc, log, "stage 1 to start")
    runner, kernel = _kernel_of(proc)
    os.killpg(proc.pid, signal.SIGTERM)
    rc = proc.wait(timeout=TIMEOUT)
    text = log.read_text()
    assert rc != 0, text
    assert "[stop] 03_descriptives: interrupted; no output written" in text, text
    _assert_clean_failure(proj, ALL, text)
    _assert_gone([runner.pid, kernel.pid])


# ---- a failed step after a good build: the previous outputs stay together (issue 21, item 5) -------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A pipeline built once, copied (times kept) by each test that breaks a rebuild."""
    proj = _copy(tmp_path_factory.mktemp("built"), "proj")
    res = _make(proj)
    assert res.returncode == 0, res.stdout + res.stderr
    return proj


def _rebuild_copy(built: Path, tmp_path: Path, title: object) -> tuple[Path, dict[str, str]]:
    """A copy of the built pipeline whose stage 2 is stale (a new title), with its outputs' hashes."""
    proj = tmp_path / "proj"
    shutil.copytree(built, proj, symlinks=True, copy_function=shutil.copy2)
    before = _hashes(proj)
    (proj / "params" / "06_report.yaml").write_text(f"title: {json.dumps(title)}\n")
    return proj, before


def _assert_previous_kept(proj: Path, before: dict[str, str], log: str) -> None:
    assert _hashes(proj) == before, f"the failed step changed the previous outputs:\n{log}"
    hidden = sorted(p.name for p in (proj / "out").iterdir() if p.name.startswith("."))
    assert not hidden, f"temporary or backup files left in out/: {hidden}\n{log}"


def test_a_cell_error_keeps_the_previous_notebook_and_results_and_a_failed_notebook(built, tmp_path):
    """Stage 2 rewrites report.json, then a cell raises: the previous executed notebook and the
    previous report.json stay (not a new report.json beside an old notebook, and neither deleted),
    06_report.failed.ipynb has the traceback, and the next make reruns the step."""
    proj, before = _rebuild_copy(built, tmp_path, "new title")
    res = _make(proj, FIXTURE_RAISE_REPORT="1")
    text = res.stdout + res.stderr
    assert res.returncode != 0, text
    _assert_previous_kept(proj, before, text)
    failed = proj / "out" / "06_report.failed.ipynb"
    assert "simulated failure in stage REPORT" in failed.read_text(), "no failed notebook to read"
    assert _make(proj, "-q").returncode == 1, "the failed step must still be due"

    again = _make(proj)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((proj / "out" / "report.json").read_text())["title"] == "new title"
    assert not failed.exists(), "a successful rerun removes the failed notebook"


def test_a_parameter_error_keeps_the_previous_notebook_and_results(built, tmp_path):
    proj, before = _rebuild_copy(built, tmp_path, 7)  # title must be a string
    res = _make(proj)
    text = res.stdout + res.stderr
    assert res.returncode != 0 and "'title' must be str" in text, text
    _assert_previous_kept(proj, before, text)


def test_an_interrupt_puts_back_the_results_the_step_had_rewritten(built, tmp_path):
    proj, before = _rebuild_copy(built, tmp_path, "new title")
    proc, log = _start_make(proj, FIXTURE_SLEEP_REPORT="60")
    report = proj / "out" / "report.json"
    _wait_for(lambda: "new title" in report.read_text(), proc, log, "stage 2 to rewrite its results")
    runner, kernel = _kernel_of(proc)
    os.killpg(proc.pid, signal.SIGINT)
    rc = proc.wait(timeout=TIMEOUT)
    text = log.read_text()
    assert rc != 0, text
    _assert_previous_kept(proj, before, text)
    _assert_gone([runner.pid, kernel.pid])


def test_the_project_makefile_keeps_every_notebook_steps_outputs_like_the_fixture():
    """The fixture's .PRECIOUS mirrors the project's: make must not delete one output of a failed
    notebook step (the runner has put them all back), e.g. the notebook beside its results."""
    from support import ROOT

    res = subprocess.run(["make", "-pq"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=clean_env(("MAKE", "MFLAGS")))
    precious = {w for line in res.stdout.splitlines() if line.startswith(".PRECIOUS:")
                for w in line.split()[1:]}
    origins = sorted(p.stem.removeprefix("04_estimates_")
                     for p in (ROOT / "notebooks" / "params").glob("04_estimates_*.yaml"))
    needed = {"reports/notebooks/%.ipynb", "data/processed/flows.parquet",
              "data/processed/panel.parquet", "reports/results/05_robustness.json",
              "reports/results.json", "reports/index.html",
              *(f"reports/results/04_estimates_{o}.json" for o in origins)}
    assert needed <= precious, sorted(needed - precious)
