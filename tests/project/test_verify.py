"""scripts/verify.py: the diff helpers on hand-made inputs, and the full check end to end on a tiny
simulated project (tests/fixtures/verify_project) that is deterministic unless told otherwise."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import ROOT
from support.project import clean_env, copy_fixture


def _load_verify():
    spec = importlib.util.spec_from_file_location("verify", ROOT / "scripts" / "verify.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["verify"] = mod
    spec.loader.exec_module(mod)
    return mod


verify = _load_verify()


# ---- diff helpers --------------------------------------------------------------------------------

def test_frame_diff_names_the_differing_rows_and_columns():
    a = pd.DataFrame({"origin": ["KOR", "KOR", "JPN"], "value": [1.0, np.nan, 3.0]})
    b = a.copy()
    b.loc[2, "value"] = 3.0000001
    out = verify.frame_diff(a, b)
    assert out[0] == "1 of 3 rows differ; first 1:"
    assert out[1] == "  row 2: value: 3.0 vs 3.0000001"  # NaN in row 1 equals NaN


def test_frame_diff_reports_shape_and_schema_changes():
    a = pd.DataFrame({"x": [1, 2, 3]})
    assert verify.frame_diff(a, a.rename(columns={"x": "y"})) == ["columns differ: ['x'] vs ['y']"]
    out = verify.frame_diff(a, a.astype("float64").iloc[:2])
    assert "column 'x' dtype int64 vs float64" in out and "row counts differ: 3 vs 2" in out
    assert verify.frame_diff(a, a.copy())[0].startswith("same rows, columns and values")


def test_lines_diff_shows_line_numbers_of_changed_csv_rows():
    a = "origin,value\nKOR,1\nJPN,2\nMEX,3\n"
    b = "origin,value\nKOR,1\nJPN,2.5\nMEX,3\n"
    out = verify.lines_diff(a, b)
    assert out[0] == "  line 3: 'JPN,2'"  # header is line 1
    assert out[1].strip() == "vs 'JPN,2.5'"
    assert verify.lines_diff("a\nb\n", "a\n")[0] == "line counts differ: 2 vs 1"


def test_json_diff_lists_key_paths():
    a = {"b": {"elasticity": -1.2, "se": 0.3}, "n": 10, "list": [1, 2]}
    b = {"b": {"elasticity": -1.25, "se": 0.3}, "n": 10, "list": [1, 3], "extra": True}
    assert verify.json_diff(a, b) == [
        "  $.b.elasticity: -1.2 vs -1.25",
        "  $.extra: <absent> vs True",
        "  $.list[1]: 2 vs 3",
    ]


def _nb(path: Path, start: str, cell_id: str, text: str) -> Path:
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "id": cell_id,
                     "metadata": {"tags": ["injected-parameters"],
                                  "papermill": {"start_time": start}},
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": text}],
                     "source": "x = 1"}],
          "metadata": {"papermill": {"start_time": start, "output_path": str(path)}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_notebooks_equal_after_strip_volatile_and_cell_differences_named(tmp_path):
    a = _nb(tmp_path / "a.ipynb", "2026-01-01T00:00:00", "c1", "1\n")
    b = _nb(tmp_path / "b.ipynb", "2026-02-02T11:11:11", "c1", "1\n")
    assert a.read_bytes() != b.read_bytes()
    assert verify.digest(a) == verify.digest(b), "timings and paths are volatile"
    c = _nb(tmp_path / "c.ipynb", "2026-01-01T00:00:00", "zz", "2\n")
    out = verify.notebook_diff(a, c)
    # papermill's random id of the injected cell is pinned by strip_volatile, so it is not a
    # difference; the changed output is, and it is named by cell and field
    assert not any(".id:" in line for line in out)
    assert "  cell 0 (injected-parameters).outputs[0].text: '1\\n' vs '2\\n'" in out


def test_compare_runs_reports_missing_files(tmp_path):
    for run, files in (("r1", ["data/processed/a.csv", "reports/x.txt"]),
                       ("r2", ["data/processed/a.csv"])):
        for f in files:
            p = tmp_path / run / f
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("same\n")
    n, diffs = verify.compare_runs([tmp_path / "r1", tmp_path / "r2"])
    assert n == 2
    assert [(d.path, d.detail) for d in diffs] == [
        ("reports/x.txt", ["present in run 1, missing in run 2"])]


# ---- end to end on the simulated project ---------------------------------------------------------

needs_tools = pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None,
                                 reason="needs GNU make and git")


@pytest.fixture
def project(tmp_path) -> Path:
    proj = copy_fixture("verify_project", tmp_path / "proj")
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    subprocess.run(["git", "add", "-A"], cwd=proj, check=True)
    (proj / "data" / "raw" / "fetched").mkdir()
    (proj / "data" / "raw" / "fetched" / "live.csv").write_text("not shipped\n")
    return proj


def _verify(project: Path, tmp_path: Path, monkeypatch, capsys, **env: str):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    rc = verify.main(["--project", str(project), "--venv", sys.prefix, "--runs", "2",
                      "--workdir", str(work)])
    return rc, capsys.readouterr(), work


@needs_tools
def test_project_files_are_tracked_plus_raw_without_fetched(project):
    files = verify.project_files(project)
    assert "data/raw/input.csv" in files and "Makefile" in files and "build.py" in files
    assert not any(f.startswith("data/raw/fetched") or f.startswith(".git/") for f in files)


@needs_tools
def test_deterministic_project_verifies_ok(project, tmp_path, monkeypatch, capsys):
    rc, out, work = _verify(project, tmp_path, monkeypatch, capsys)
    assert rc == 0, out.out + out.err
    # panel.parquet, table.csv, summary.json, fake.ipynb: the notebook differs in bytes only
    assert "[verify] OK: 4 files under data/processed/, reports/ identical across 2 runs" in out.out
    assert not list(work.iterdir()), "temporary copies must be removed after success"
    assert not (project / "data" / "processed").exists(), "the project itself must stay untouched"


@needs_tools
def test_nondeterministic_project_fails_and_names_rows(project, tmp_path, monkeypatch, capsys):
    rc, out, _ = _verify(project, tmp_path, monkeypatch, capsys, FIXTURE_NONDET="1")
    assert rc == 1
    text = out.out
    assert "[differ] data/processed/panel.parquet" in text
    assert "1 of 4 rows differ" in text and "row 2: value: 3." in text  # JPN,2025-01 (row 2)
    assert "[differ] data/processed/table.csv" in text and "line 4: 'JPN,2025-01,3." in text
    assert "[differ] reports/results/summary.json" in text and "$.total" in text
    assert "reports/notebooks/fake.ipynb" not in text
    assert "[verify] FAIL: 3 of 4 files" in text


@needs_tools
def test_failed_build_exits_2_with_log_tail(project, tmp_path, monkeypatch, capsys):
    rc, out, _ = _verify(project, tmp_path, monkeypatch, capsys, FIXTURE_FAIL="1")
    assert rc == 2
    assert "`make all` failed" in out.err and "simulated failure in the report step" in out.err


def test_quick_mode_runs_stages_into_temp_output_roots(tmp_path, monkeypatch, capsys):
    """--quick executes notebooks in place with AUTOTARIFFS_OUTPUT_ROOT per run; the project's own
    data/processed and reports/ must stay untouched."""
    proj = copy_fixture("quick_project", tmp_path / "proj")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("AUTOTARIFFS_OUTPUT_ROOT", str(tmp_path / "must-not-be-used"))
    rc = verify.main(["--quick", "--project", str(proj), "--stages", "06_report",
                      "--workdir", str(work)])
    text = capsys.readouterr().out
    assert not (proj / "data").exists() and not (proj / "reports").exists()
    assert not (tmp_path / "must-not-be-used").exists()
    differ = [line for line in text.splitlines() if line.startswith("[differ]")]
    # the data output and the executed notebook both match byte for byte: run.strip_volatile
    # removes what changes from run to run (times, papermill's random injected-cell id)
    assert differ == [], text
    assert rc == 0 and "[verify] OK: 2 files" in text, text


# ---- scripts/bench.py helpers (correctness of the measuring code; nothing here is timed) ---------

def _load_bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_peak_rss_sees_a_grandchild_allocation(tmp_path):
    """A grandchild (like a kernel under papermill under make) holding 300 MB must show up."""
    bench = _load_bench()
    inner = ("import time; b = bytearray(300 * 1024 * 1024); "
             "b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)")
    outer = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {inner!r}], check=True)"
    res = bench.measure([sys.executable, "-c", outer], tmp_path, dict(os.environ),
                        tmp_path / "log")
    assert res["returncode"] == 0
    assert res["peak_single_rss_mb"] >= 290
    assert res["peak_tree_rss_mb"] >= res["peak_single_rss_mb"]
    assert 290 <= res["peak_tree_pss_mb"] <= res["peak_tree_rss_mb"] + 1  # (not shared: ~ RSS)


def test_bench_times_make_test_without_sampling_memory(tmp_path, monkeypatch):
    """The test suite is timed without the memory sampler (whose reads of every process's PSS
    took a fifth of the two cores from make test); its CPU seconds are still counted."""
    bench = _load_bench()

    def sampler(*_a, **_k):
        raise AssertionError("make test was sampled")

    monkeypatch.setattr(bench, "_poll", sampler)
    burn = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.3: pass')"
    res = bench._timed([sys.executable, "-c", burn], tmp_path, dict(os.environ), tmp_path / "log")
    assert res["returncode"] == 0 and res["cpu_s"] >= 0.2
    assert res["peak_tree_rss_mb"] is None and res["peak_tree_pss_mb"] is None
    for build in (lambda: bench.measure([sys.executable, "-c", "pass"], tmp_path,
                                        dict(os.environ), tmp_path / "l2"),
                  lambda: bench._timed([sys.executable, "-c", "pass"], tmp_path,
                                       dict(os.environ), tmp_path / "l3", sample_memory=True)):
        with pytest.raises(AssertionError, match="sampled"):  # a build is still sampled
            build()


def test_bench_ratio_and_table():
    bench = _load_bench()
    # the schema scripts/bench_estimators.py writes (dataset = requested size as a string)
    est = {"results": [
        {"estimator": "feols", "dataset": "1000000", "nobs": 999_871,
         "ratio_ours_over_pyfixest": 1.4},
        {"estimator": "fepois", "dataset": "1000000", "nobs": 999_871,
         "ratio_ours_over_pyfixest": 2.6},
        {"estimator": "feols", "dataset": "100000", "ratio_ours_over_pyfixest": 9.0},
        {"estimator": "feols", "dataset": "yotov_t3c4", "ratio_ours_over_pyfixest": 7.0}]}
    assert bench.ratio_at(est) == 2.6 and bench.ratio_at({"x": 1}) is None
    assert bench.ratio_at(est, rows=None) == 9.0  # the issue-7 target covers every panel
    # the limits of "Fast enough to iterate": 30 s, 45 CPU-s, < 0.1 s, 1 GB, 240 s, 0.5x
    results = {"clean_make_s": bench.summary([31.0, 28.0, 29.5]),
               "clean_make_cpu_s": bench.summary([46.0, 44.0, 45.5]),
               "noop_make_s": bench.summary([0.1, 0.1, 0.05]),
               "make_peak_pss_mb": bench.summary([1000.0]),
               "estimator_vs_pyfixest_max": 0.65}
    assert results["clean_make_s"]["median"] == 29.5
    info = {"logical_cores": 2, "ram_gb": 8.0, "python": "3.11.7", "platform": "Linux"}
    text = bench.table(results, info)
    lines = {line.split()[0]: line for line in text.splitlines()[2:]}
    assert lines["clean_make_s"].rstrip().endswith("ok")
    assert lines["make_peak_pss_mb"].rstrip().endswith("ok")
    assert "not measured" in lines["make_test_s"]
    # missed: 45.5 CPU-s > 45, a no-op of exactly 0.1 s (the limit is strict), 0.65x > 0.5x
    missed = bench.missed_targets(results)
    assert [m.split(":")[0] for m in missed] == [
        "clean_make_cpu_s", "noop_make_s", "estimator_vs_pyfixest_max"]
    assert "45.5 CPU-s" in missed[0]
    for key in ("clean_make_cpu_s", "noop_make_s", "estimator_vs_pyfixest_max"):
        assert lines[key].rstrip().endswith("MISSED")


def test_bench_step_profile_from_records(tmp_path):
    """The per-step table from the records the runner, the replicate step and figure saving
    append (autotariffs.timings): figure time is taken out of the cells' time, CPU and RSS are
    runner + kernel, 'began' is counted from the make's start."""
    bench = _load_bench()
    recs = [
        {"kind": "figure", "step": "02_x", "figure": "a", "seconds": 0.25, "ended_at": 103.0},
        {"kind": "figure", "step": "02_x", "figure": "b", "seconds": 0.5, "ended_at": 104.0},
        {"kind": "step", "step": "02_x", "ended_at": 105.0, "started_s": 0.5, "wall_s": 4.0,
         "runner_import_s": 0.25, "params_check_s": 0.125, "kernel_start_s": 0.75,
         "imports_s": 1.0, "cells_s": 1.5, "after_cells_s": 0.1, "cpu_self_s": 1.0,
         "cpu_children_s": 2.5, "rss_self_mb": 100.0, "rss_children_mb": 300.0},
        {"kind": "step", "step": "validation", "ended_at": 102.0, "started_s": 0.25,
         "wall_s": 2.0, "imports_s": 0.5, "cells_s": 1.25, "cpu_self_s": 1.75,
         "cpu_children_s": 0.0, "rss_self_mb": 200.0, "rss_children_mb": 0.0},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    rows = bench.step_profile(bench.read_profile(path), t0=99.0)
    assert list(rows) == ["validation", "02_x"]  # in the order they began
    assert rows["02_x"] == {"began_s": 2.0, "wall_s": 4.0, "cpu_s": 3.5, "rss_mb": 400.0,
                            "runner_s": 0.75, "params_s": 0.125, "kernel_s": 0.75,
                            "imports_s": 1.0, "compute_s": 0.75, "figures_s": 0.75,
                            "n_figures": 2}
    assert rows["validation"]["runner_s"] == 0.25 and rows["validation"]["kernel_s"] is None
    assert rows["validation"]["compute_s"] == 1.25 and rows["validation"]["figures_s"] is None
    med = bench.median_profile([rows, {**rows, "02_x": {**rows["02_x"], "wall_s": 6.0}},
                                {**rows, "02_x": {**rows["02_x"], "wall_s": 5.0}}])
    assert med["02_x"]["wall_s"] == 5.0
    table = bench.profile_table(med).splitlines()
    assert table[0].split()[:3] == ["step", "began", "wall"] and len(table) == 4


def test_bench_test_suite_reads_pytest_summaries_and_keeps_other_labels(tmp_path):
    """scripts/bench.py --only test: the pytest summary lines of a phase (what was run, so a
    faster run that ran fewer tests shows) and test_suite.json merged by label."""
    bench = _load_bench()
    log = tmp_path / "log"
    log.write_text("old run\n577 passed, 2 skipped in 226.27s (0:03:46)\n")
    since = log.stat().st_size
    with log.open("a") as fh:
        fh.write("....... [100%]\n==== 12 passed, 1 skipped in 3.5s ====\nrc\n"
                 "46 passed in 35.39s\n1 failed, 3 passed in 2.00s\n")
    assert bench.pytest_summaries(log, since) == [
        "12 passed, 1 skipped in 3.5s", "46 passed in 35.39s", "1 failed, 3 passed in 2.00s"]
    out = tmp_path / "suite.json"
    bench.write_test_suite("before", {"make_test_s": bench.summary([300.0])}, out)
    data = bench.write_test_suite("after", {"make_test_s": bench.summary([200.0])}, out)
    assert data["runs"]["before"]["make_test_s"]["median"] == 300.0
    assert data["runs"]["after"]["make_test_s"]["median"] == 200.0
    assert data["target"]["make_test_s"] == 240.0
    assert json.loads(out.read_text()) == data


def test_hints_for_split_streams_and_absolute_build_paths(tmp_path):
    def write(run: str, chunks: list[str]) -> None:
        p = tmp_path / run / "reports" / "notebooks" / "n.ipynb"
        p.parent.mkdir(parents=True)
        nb = {"cells": [{"cell_type": "code", "execution_count": 1, "id": "c0", "metadata": {},
                         "outputs": [{"name": "stdout", "output_type": "stream", "text": t}
                                     for t in chunks], "source": "x"}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        p.write_text(json.dumps(nb))

    # stream chunks are merged by strip_volatile, so differently split output is not a difference
    write("r1", ["a\n", "b\n"])
    write("r2", ["a\nb\n"])
    _, diffs = verify.compare_runs([tmp_path / "r1", tmp_path / "r2"])
    assert diffs == []
    for run in ("p1", "p2"):
        write(run, [f"wrote {tmp_path / run}/data/processed\n"])
    _, diffs = verify.compare_runs([tmp_path / "p1", tmp_path / "p2"])
    assert "absolute path of the build folder" in diffs[0].detail[-1]


def _cmdline(p) -> list[str]:
    """A process's command line; empty for one that ended (or is a zombie) meanwhile."""
    import psutil

    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


@needs_tools
def test_sigterm_to_verify_stops_the_build_and_removes_the_copies(project, tmp_path):
    import psutil

    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(("AUTOTARIFFS_",), FIXTURE_SLEEP="60")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "verify.py"), "--project", str(project),
         "--venv", sys.prefix, "--workdir", str(work)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    build = None
    for _ in range(600):  # up to 60 s for the first build step to start
        kids = psutil.Process(proc.pid).children(recursive=True)
        build = next((p for p in kids if "build.py" in " ".join(_cmdline(p))), None)
        if build is not None:
            break
        time.sleep(0.1)
    assert build is not None, "the simulated build never started"
    proc.terminate()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0, out
    gone, alive = psutil.wait_procs([build], timeout=10)
    assert not alive, "the build kept running after verify was stopped"
    assert not list(work.iterdir()), f"temporary copies left behind: {list(work.iterdir())}"
