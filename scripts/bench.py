"""Benchmarks for `make bench`: pipeline timings, a per-step profile, peak memory, estimator scaling.

    python scripts/bench.py [--runs 3] [--only make|test|estimators ...] [--cpus 2]
        [--test-runs 1] [--phases] [--reuse-estimators] [--strict]
    python scripts/bench.py --only test --rev 0f6e670 --label before --phases

* ``make``: a clean ``make`` in a fresh temporary copy of the project (same copy as
  scripts/verify.py: committed + untracked-not-ignored files, data/raw, a linked .venv), then a
  no-op ``make`` in the built copy; each ``--runs`` times, median reported, with the CPU seconds
  of the whole build and the load average before and after. Peak RSS is the largest
  sum of resident memory over the make process tree (make, python, papermill, kernels), polled
  every 50 ms with psutil (spikes shorter than that can be missed; the number is a lower bound).
  Each clean build runs with ``AUTOTARIFFS_PROFILE`` set (autotariffs.timings): the runner, the
  validation step and figure saving record where each step's time went; the per-step table
  (began, wall, CPU, peak RSS, runner start, parameter check, kernel start, import cells,
  compute, figure saving) is printed and written to reports/benchmarks/build_profile.json.
* ``test``: ``make test`` in a built copy (its own outputs never touch the project),
  ``--test-runs`` times, timed without the memory sampler (:func:`measure`); with ``--phases`` then each
  of its phases alone (``make lint``, ``test-unit``, ``test-nbval``, ``verify-quick``: ruff,
  pytest, nbval, the quick determinism check), with the load average before and after each and
  pytest's own summary line (so a faster run that ran fewer tests shows). Written to
  reports/benchmarks/test_suite.json under ``--label`` (e.g. ``before`` with ``--rev 0f6e670``:
  a clone at that commit with its own ``.venv`` from its lock; default ``working-tree``). Other
  labels already in the file are kept.
* ``estimators``: runs scripts/bench_estimators.py if present and merges its JSON
  (reports/benchmarks/estimators.json); ``--reuse-estimators`` merges the stored file instead.

Writes reports/benchmarks/benchmarks.json (machine info; every run and the median of each
measurement; the limits of :data:`TARGETS`), prints a table against the targets and one
``MISSED`` line per target missed (``--strict``: exit 1 then). With ``--cpus N`` the builds are
pinned to N CPUs with taskset when the machine has more (targets are stated for 2 cores).
``make readme`` then quotes these files in the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "reports" / "benchmarks"
MB = 1024 * 1024
TARGETS = {  # measurement -> (limit, unit, wording): the limits of "Fast enough to iterate"
    "clean_make_s": (30.0, "s", "clean make <= 30 s (median) on 2 cores"),
    "clean_make_cpu_s": (45.0, "CPU-s", "clean make <= 45 CPU-seconds"),
    "noop_make_s": (0.1, "s", "no-op make < 0.1 s"),
    "make_peak_pss_mb": (1024.0, "MB", "peak memory (PSS) of make's process tree <= 1 GB"),
    "make_test_s": (240.0, "s", "make test <= 240 s on 2 cores, every test run"),
    "estimator_vs_pyfixest_max": (0.5, "x", "every estimator <= 0.5x pyfixest on every design"),
}
TEST_SUITE_JSON = OUT_DIR / "test_suite.json"
PROFILE_JSON = OUT_DIR / "build_profile.json"
#: the per-step table: column -> heading (seconds unless named otherwise)
PROFILE_COLUMNS = {
    "began_s": "began", "wall_s": "wall", "cpu_s": "CPU", "rss_mb": "RSS MB",
    "runner_s": "runner", "params_s": "params", "kernel_s": "kernel", "imports_s": "imports",
    "compute_s": "compute", "figures_s": "figures", "n_figures": "n fig",
}
#: the phases of `make test`, each a Make target of its own: phase name -> target
TEST_PHASES = {"ruff": "lint", "pytest": "test-unit", "nbval": "test-nbval",
               "verify_quick": "verify-quick"}
# pytest's last line, e.g. "577 passed, 2 skipped in 226.27s (0:03:46)"
PYTEST_SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*? in [\d.]+s.*?)\s*=*$")


def _verify_module():
    """scripts/verify.py, for its project copy and environment helpers (one definition)."""
    if "verify" not in sys.modules:
        path = Path(__file__).with_name("verify.py")
        spec = importlib.util.spec_from_file_location("verify", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["verify"] = mod  # dataclasses look their module up while the class is built
        spec.loader.exec_module(mod)
    return sys.modules["verify"]


def measure(cmd: list[str], cwd: Path, env: dict[str, str], log: Path,
            interval: float | None = 0.05) -> dict[str, Any]:
    """Run ``cmd``; return wall seconds, exit code and peak RSS of its whole process tree
    (sampled every ``interval`` seconds; ``None``: not sampled, the peaks are ``None``).

    Sampling costs this process CPU that the two cores then lack: reading the memory (PSS) of 8
    Python processes took 42 ms of CPU here, so at 20 samples a second the sampler alone used
    about a fifth of the machine while ``make test`` (10-15 processes) ran (make test: 231 s
    sampled, 184 s unsampled in the same hour). ``make test`` is therefore timed unsampled."""
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            if interval is None:
                proc.wait()
                peaks = None
            else:
                peaks = _poll(proc, psutil.Process(), interval)
        except BaseException:
            _verify_module().stop_group(proc)
            raise
        secs = time.perf_counter() - t0
        _reap_adopted()
    out: dict[str, Any] = {"seconds": round(secs, 3), "returncode": proc.returncode}
    for i, name in enumerate(("peak_tree_rss_mb", "peak_single_rss_mb", "peak_tree_pss_mb")):
        out[name] = None if peaks is None else round(peaks[i] / MB, 1)
    return out


def adopt_orphans() -> bool:
    """Make this process the Linux "child subreaper" of everything it starts: a process whose
    parent exits is re-parented here instead of to init. The build's fork server
    (autotariffs.forkserver) is started by the first step's client, which exits long before the
    server does; adopted, the server and its workers stay in the tree that :func:`_poll` samples,
    and :func:`_reap_adopted` collects their CPU time into this process's children's usage, so a
    build's CPU seconds include it. False where it is not available."""
    global _ADOPTING
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _ADOPTING = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        _ADOPTING = False
    return _ADOPTING


_ADOPTING = False


def _reap_adopted() -> None:
    """Wait for every remaining descendant adopted by :func:`adopt_orphans` (the fork server
    exits a few seconds after its last worker), so that their CPU time is counted."""
    while _ADOPTING:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _poll(proc: subprocess.Popen, root: psutil.Process,
          interval: float) -> tuple[int, int, int]:
    """Largest RSS sum over ``root``'s descendants, largest single RSS, and largest PSS sum,
    until ``proc`` ends.

    The PSS sum is the tree's memory: a page shared by n processes counts 1/n in each. The RSS
    sum counts it n times, which overstates a build whose kernels are forked from their runners
    (autotariffs.warm): the libraries both imported once are counted twice."""
    peak_tree = peak_single = peak_pss = 0
    while proc.poll() is None:
        total = pss = 0
        try:
            procs = root.children(recursive=True)
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                mem = p.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            total += mem.rss
            pss += getattr(mem, "pss", mem.rss)  # (PSS is Linux's; elsewhere RSS)
            peak_single = max(peak_single, mem.rss)
        peak_tree = max(peak_tree, total)
        peak_pss = max(peak_pss, pss)
        time.sleep(interval)
    return peak_tree, peak_single, peak_pss


def summary(values: list[float]) -> dict[str, Any]:
    return {"runs": values, "median": round(statistics.median(values), 3) if values else None}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    make = subprocess.run(["make", "--version"], capture_output=True, text=True).stdout
    return {
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "make": make.splitlines()[0] if make else None,
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
    }


def _pin(cmd: list[str], cpus: int) -> list[str]:
    if cpus and (os.cpu_count() or 1) > cpus and shutil.which("taskset"):
        return ["taskset", "-c", ",".join(str(i) for i in range(cpus)), *cmd]
    return cmd


def _fail(what: str, res: dict[str, Any], log: Path) -> None:
    verify = _verify_module()
    raise SystemExit(f"[bench] {what} failed (exit {res['returncode']}); last lines of {log}:\n"
                     f"{verify.tail(log)}")


def bench_make(runs: int, cpus: int, work: Path, with_test: bool, with_make: bool,
               target: str = "all") -> dict[str, Any]:
    verify = _verify_module()
    venv = ROOT / ".venv"
    out: dict[str, Any] = {}
    clean, noop, test, peaks, singles, cpu, loads, psss = [], [], [], [], [], [], [], []
    profiles: list[dict[str, dict[str, Any]]] = []
    for i in range(1, runs + 1):
        copy = work / f"run{i}"
        copy.mkdir()
        verify.make_copy(ROOT, copy, venv)
        env = verify.build_env(copy=copy)
        log = work / f"run{i}.log"
        make = ["make", "-o", ".venv/.installed"]
        if with_make:
            prof = work / f"run{i}.profile.jsonl"
            t_make = time.time()
            res = _timed(_pin(make + [target], cpus), copy, {**env, PROFILE_ENV: str(prof)}, log,
                         sample_memory=True)
            if res["returncode"] != 0:
                _fail("clean make", res, log)
            clean.append(res["seconds"])
            cpu.append(res["cpu_s"])
            loads.append({"before": res["load_avg_before"], "after": res["load_avg_after"]})
            peaks.append(res["peak_tree_rss_mb"])
            psss.append(res["peak_tree_pss_mb"])
            singles.append(res["peak_single_rss_mb"])
            profiles.append(step_profile(read_profile(prof), t_make))
            res = measure(_pin(make + [target], cpus), copy, env, log)
            if res["returncode"] != 0:
                _fail("no-op make", res, log)
            noop.append(res["seconds"])
        if with_test:
            res = measure(_pin(make + ["test"], cpus), copy, env, log, interval=None)
            if res["returncode"] != 0:
                _fail("make test", res, log)
            test.append(res["seconds"])
        print(f"[bench] run {i}/{runs}: clean {clean[-1] if clean else '-'} s, no-op "
              f"{noop[-1] if noop else '-'} s, test {test[-1] if test else '-'} s", flush=True)
        shutil.rmtree(copy, ignore_errors=True)
    if with_make:
        out["clean_make_s"] = summary(clean)
        out["clean_make_cpu_s"] = summary(cpu)
        out["clean_make_load_avg"] = loads
        out["profile"] = profiles
        out["noop_make_s"] = summary(noop)
        out["make_peak_pss_mb"] = summary(psss)
        out["make_peak_rss_mb"] = summary(peaks)
        out["make_peak_single_process_rss_mb"] = summary(singles)
    if with_test:
        out["make_test_s"] = summary(test)
    return out


PROFILE_ENV = "AUTOTARIFFS_PROFILE"  # autotariffs.timings.PROFILE_ENV


def read_profile(path: Path) -> list[dict[str, Any]]:
    """The JSON lines the build appended to its profile file (none if it wrote none)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def step_profile(records: list[dict[str, Any]], t0: float) -> dict[str, dict[str, Any]]:
    """One row per step from its records (autotariffs.timings): when it began after ``t0``
    (Unix time of the make's start), wall and CPU seconds (runner + kernel), peak RSS (runner +
    kernel: each process's own peak, summed), and the wall seconds of Python start and runner
    imports, the parameter check, the kernel's start, the notebook's import cells, the other
    cells less figure saving, and figure saving."""
    figs: dict[str, float] = {}
    nfig: dict[str, int] = {}
    for r in records:
        if r["kind"] == "figure":
            figs[r["step"]] = figs.get(r["step"], 0.0) + r["seconds"]
            nfig[r["step"]] = nfig.get(r["step"], 0) + 1
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["kind"] != "step":
            continue
        step = r["step"]
        wall = r.get("wall_s") or 0.0
        fig = figs.get(step, 0.0)
        cells = r.get("cells_s")
        runner = (r.get("started_s") or 0.0) + r.get("runner_import_s", 0.0)
        if "runner_import_s" not in r:  # not a notebook: its imports are its own
            runner = r.get("started_s")
        rows[step] = {
            "began_s": round(r["ended_at"] - wall - t0, 2), "wall_s": round(wall, 2),
            "cpu_s": round(r["cpu_self_s"] + r["cpu_children_s"], 2),
            "rss_mb": round(r["rss_self_mb"] + r["rss_children_mb"], 1),
            "runner_s": None if runner is None else round(runner, 2),
            "params_s": r.get("params_check_s"), "kernel_s": r.get("kernel_start_s"),
            # (the notebook's imports: in its kernel's first cells, or preloaded by the runner
            # before it forked the kernel, autotariffs.warm)
            "imports_s": (None if r.get("imports_s") is None and r.get("preload_s") is None
                          else round((r.get("imports_s") or 0.0) + (r.get("preload_s") or 0.0), 3)),
            "compute_s": None if cells is None else round(cells - fig, 2),
            "figures_s": round(fig, 2) if step in figs else None,
            "n_figures": nfig.get(step),
        }
    return dict(sorted(rows.items(), key=lambda kv: kv[1]["began_s"]))


def median_profile(runs: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Median of each column of each step over the runs (steps in the first run's order)."""
    out: dict[str, dict[str, Any]] = {}
    for step in runs[0] if runs else {}:
        row = {}
        for col in PROFILE_COLUMNS:
            vals = [r[step][col] for r in runs if step in r and r[step].get(col) is not None]
            row[col] = round(statistics.median(vals), 2) if vals else None
        out[step] = row
    return out


def profile_table(steps: dict[str, dict[str, Any]]) -> str:
    """The per-step table as text (``-``: not measured for that step)."""
    head = ["step", *PROFILE_COLUMNS.values()]
    rows = [head] + [[step] + ["-" if row.get(c) is None else f"{row[c]:g}"
                               for c in PROFILE_COLUMNS] for step, row in steps.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_profile(result: dict[str, Any], info: dict[str, Any],
                  path: Path = PROFILE_JSON) -> dict[str, Any]:
    """build_profile.json: each clean make's per-step rows and the median of each cell."""
    sys.path.insert(0, str(ROOT / "src"))
    from autotariffs.atomic import write_json

    data = {"machine": info, "columns": [[k, v] for k, v in PROFILE_COLUMNS.items()],  # in order
            "clean_make_s": result["clean_make_s"], "clean_make_cpu_s": result["clean_make_cpu_s"],
            "load_avg": result["clean_make_load_avg"],
            "median": median_profile(result["profile"]), "runs": result["profile"]}
    write_json(data, path)
    return data


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def checkout(rev: str | None, dest: Path) -> str:
    """A clean clone of this repository at ``rev`` in ``dest`` (tests that ask git, e.g. what is
    ignored, see a work tree as in CI); returns the full commit id. ``rev=None``: the working
    tree as scripts/verify.py copies it (committed and untracked files, linked .venv), committed
    into a fresh repository."""
    if rev is not None:
        sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=ROOT)
        _git("clone", "--quiet", "--no-checkout", str(ROOT), str(dest), cwd=ROOT)
        _git("checkout", "--quiet", "--detach", sha, cwd=dest)
        return sha
    _verify_module().make_copy(ROOT, dest, ROOT / ".venv")
    _git("init", "--quiet", cwd=dest)
    _git("add", "--all", cwd=dest)
    _git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "--quiet",
         "--message", "working tree", cwd=dest)
    return _git("rev-parse", "HEAD", cwd=ROOT)


def pytest_summaries(log: Path, since: int) -> list[str]:
    """pytest's summary lines written to ``log`` after byte ``since``."""
    text = log.read_bytes()[since:].decode("utf-8", errors="replace")
    return [m.group(1) for line in text.splitlines() if (m := PYTEST_SUMMARY.match(line.strip()))]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path,
           sample_memory: bool = False) -> dict[str, Any]:
    """``measure`` plus the CPU seconds of the process tree (user + system, every descendant that
    was waited for: far less sensitive than wall time to other users of a shared machine), the
    load average before and after, and pytest's summary lines. The tree's memory is sampled only
    with ``sample_memory`` (a build, whose peak memory has a target; see :func:`measure`)."""
    since = log.stat().st_size if log.exists() else 0
    load0 = [round(x, 2) for x in os.getloadavg()]
    cpu0 = _children_cpu()
    res = measure(cmd, cwd, env, log, interval=0.05 if sample_memory else None)
    res["cpu_s"] = round(_children_cpu() - cpu0, 1)
    res["load_avg_before"] = load0
    res["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    res["pytest"] = pytest_summaries(log, since)
    return res


def bench_test_suite(runs: int, cpus: int, work: Path, rev: str | None,
                     with_phases: bool = True) -> dict[str, Any]:
    """`make test` (and, ``with_phases``, each of its phases alone) in a built copy of the working
    tree or of ``rev``."""
    verify = _verify_module()
    copy = work / "proj"
    log = work / "test_suite.log"
    if rev is None:
        dirty = bool(_git("status", "--porcelain", cwd=ROOT))
        source = {"tree": "working tree" + (" (uncommitted changes)" if dirty else ""),
                  "commit": checkout(None, copy)}
        make = ["make", "-o", ".venv/.installed"]
    else:  # its own environment from its own lock (installed packages must match its lock)
        source = {"tree": f"clone at {rev}", "commit": checkout(rev, copy)}
        make = ["make"]
    env = verify.build_env(copy=copy)
    print(f"[bench] test suite of {source['tree']} ({source['commit'][:10]}): building ...",
          flush=True)
    if rev is not None:
        res = measure(make + ["env"], copy, env, log)
        if res["returncode"] != 0:
            _fail("make env", res, log)
    build = measure(_pin(make + ["all"], cpus), copy, env, log)
    if build["returncode"] != 0:
        _fail("make all", build, log)
    totals: list[dict[str, Any]] = []
    phases: dict[str, list[dict[str, Any]]] = {k: [] for k in TEST_PHASES if with_phases}
    for i in range(1, runs + 1):
        res = _timed(_pin(make + ["test"], cpus), copy, env, log)
        if res["returncode"] != 0:
            _fail("make test", res, log)
        totals.append(res)
        for phase, target in TEST_PHASES.items():
            if not with_phases:
                break
            res = _timed(_pin(make + [target], cpus), copy, env, log)
            if res["returncode"] != 0:
                _fail(f"make {target}", res, log)
            phases[phase].append(res)
        print(f"[bench] test suite run {i}/{runs}: make test {totals[-1]['seconds']} s "
              f"({totals[-1]['cpu_s']} CPU-s); "
              + ", ".join(f"{k} {v[-1]['seconds']} s ({v[-1]['cpu_s']} CPU-s)"
                          for k, v in phases.items()), flush=True)
    return {"source": source, "machine": machine(), "build_s": build["seconds"],
            "make_test_s": summary([r["seconds"] for r in totals]),
            "make_test_cpu_s": summary([r["cpu_s"] for r in totals]), "make_test_runs": totals,
            "phases": {k: {"target": TEST_PHASES[k], **summary([r["seconds"] for r in v]),
                           "cpu_s": summary([r["cpu_s"] for r in v]), "details": v}
                       for k, v in phases.items()}}


def write_test_suite(label: str, result: dict[str, Any], path: Path = TEST_SUITE_JSON) -> dict:
    """Store ``result`` under ``label`` in ``path``, keeping the other labels."""
    sys.path.insert(0, str(ROOT / "src"))
    from autotariffs.atomic import write_json

    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.setdefault("target", {"make_test_s": TARGETS["make_test_s"][0],
                               "rule": TARGETS["make_test_s"][2]})
    data.setdefault("runs", {})[label] = result
    write_json(data, path)
    return data


def ratio_at(estimators: Any, rows: int | None = 1_000_000) -> float | None:
    """Largest 'ratio to pyfixest' recorded at ``rows`` rows (``None``: at any size or dataset),
    wherever the estimator JSON keeps it (its schema belongs to scripts/bench_estimators.py: rows
    carry ``dataset`` = the requested size as a string and ``ratio_ours_over_pyfixest``; any dict
    whose ``dataset`` or rows-like key equals ``rows`` and that has a key containing 'ratio'
    counts)."""
    found: list[float] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            sizes = {str(x.get(k)) for k in ("dataset", "rows", "n_rows", "n") if k in x}
            if (rows is None and sizes) or str(rows) in sizes:
                found.extend(float(v) for k, v in x.items()
                             if "ratio" in k.lower() and isinstance(v, int | float))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(estimators)
    return max(found) if found else None


def bench_estimators(runs: int) -> dict[str, Any] | None:
    script = ROOT / "scripts" / "bench_estimators.py"
    if not script.is_file():
        print("[bench] scripts/bench_estimators.py not found: estimator benchmark skipped")
        return None
    print("[bench] running scripts/bench_estimators.py ...", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "AUTOTARIFFS_OUTPUT_ROOT"}
    rc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env).returncode
    if rc != 0:
        raise SystemExit(f"[bench] {script} failed (exit {rc}); see its output above")
    path = OUT_DIR / "estimators.json"
    if not path.is_file():
        raise SystemExit(f"[bench] {script} ran but did not write {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def table(results: dict[str, Any], info: dict[str, Any]) -> str:
    rows = [("measurement", "median", "runs", "target", "status")]
    values: dict[str, Any] = {
        k: v for k, v in results.items() if isinstance(v, dict) and "median" in v}
    for key in ("estimator_vs_pyfixest_max",):
        ratio = results.get(key)
        if ratio is not None:
            values[key] = {"median": ratio, "runs": [ratio]}
    for key, val in values.items():
        limit = TARGETS.get(key)
        med = val["median"]
        status = ("-" if limit is None or med is None
                  else "MISSED" if missed_targets({key: med}) else "ok")
        runs = " ".join(f"{x:g}" for x in val["runs"])
        rows.append((key, f"{med:g}" if med is not None else "n/a", runs,
                     limit[2] if limit else "-", status))
    for key, (_, _, wording) in TARGETS.items():
        if key not in values:
            rows.append((key, "n/a", "", wording, "not measured"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if results.get("make_target", "all") != "all":
        lines.append(f"note: 'clean make' timed `make {results['make_target']}`, not `make all`")
    lines.append(f"machine: {info['logical_cores']} logical cores, {info['ram_gb']} GB RAM, "
                 f"Python {info['python']}, {info['platform']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="repetitions per measurement (median)")
    ap.add_argument("--only", action="append", choices=("make", "test", "estimators"),
                    help="measure only this (repeatable); default: everything")
    ap.add_argument("--test-runs", type=int, default=1,
                    help="repetitions of make test (each takes minutes)")
    ap.add_argument("--phases", action="store_true",
                    help="with the test suite: also time each phase of make test alone")
    ap.add_argument("--cpus", type=int, default=2, help="pin builds to this many CPUs (taskset)")
    ap.add_argument("--target", default="all", help="make target timed as 'clean make'")
    ap.add_argument("--output", type=Path, default=OUT_DIR / "benchmarks.json")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--rev", help="with --only test: measure this commit (git archive, own .venv) "
                    "instead of the working tree")
    ap.add_argument("--label", help="with --only test: key in test_suite.json (default: the --rev "
                    "given, else 'working-tree')")
    ap.add_argument("--reuse-estimators", action="store_true",
                    help="merge the existing reports/benchmarks/estimators.json instead of rerunning "
                         "scripts/bench_estimators.py (it takes several minutes at 5M rows)")
    args = ap.parse_args(argv)
    adopt_orphans()
    signal.signal(signal.SIGTERM, _verify_module()._terminate)  # stop builds, remove temp copies
    only = set(args.only or ("make", "test", "estimators"))
    info = machine()
    results: dict[str, Any] = {}
    if "make" in only:
        work = Path(tempfile.mkdtemp(prefix="autotariffs-bench-"))
        try:
            made = bench_make(args.runs, args.cpus, work, False, True, args.target)
            results.update({k: v for k, v in made.items() if k != "profile"})
            results["make_target"] = args.target
            print(f"[bench] per step, median of {args.runs} clean builds (seconds; began = after "
                  f"make started; RSS = runner + kernel peaks):")
            print(profile_table(median_profile(made["profile"])))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if "test" in only:
        work = Path(tempfile.mkdtemp(prefix="autotariffs-bench-"))
        try:
            suite = bench_test_suite(args.test_runs, args.cpus, work, args.rev, args.phases)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        label = args.label or args.rev or "working-tree"
        write_test_suite(label, suite)
        results["make_test_s"] = suite["make_test_s"]
        results["make_test_label"] = label  # its details: test_suite.json, under this label
        print(f"[bench] wrote {TEST_SUITE_JSON}: make test {suite['make_test_s']['median']} s; "
              + ", ".join(f"{k} {v['median']} s" for k, v in suite["phases"].items()))
    if "estimators" in only or args.reuse_estimators:
        path = OUT_DIR / "estimators.json"
        est = (json.loads(path.read_text(encoding="utf-8")) if args.reuse_estimators
               and path.is_file() else bench_estimators(args.runs))
        if est is not None:
            results["estimators"] = est
            results["estimator_vs_pyfixest_max"] = ratio_at(est, rows=None)
    if only == {"test"}:  # its own file: benchmarks.json (the build's numbers) is left as it is
        return 1 if (args.strict and suite["make_test_s"]["median"] > TARGETS["make_test_s"][0]) \
            else 0
    if "make" in only:  # written last, with benchmarks.json: the test suite (above) ran on a
        write_profile(made, info)  # copy whose README quotes the files as they were
        print(f"[bench] wrote {PROFILE_JSON}")
    if "make" not in only and args.output.is_file():
        # a partial re-measure (e.g. --only estimators) keeps the clean-build and test-suite
        # numbers of the last full run, and the machine they were measured on (estimator rows
        # record their own CPU in estimators.json)
        old = json.loads(args.output.read_text(encoding="utf-8"))
        results = {**old.get("results", {}), **results}
        info = old.get("machine", info)
        print(f"[bench] kept the other measurements of {args.output.name} (measured "
              f"{info.get('date_utc', '?')} on {info.get('cpu') or 'an unrecorded CPU'})")
    sys.path.insert(0, str(ROOT / "src"))
    from autotariffs.atomic import write_json

    write_json({"machine": info, "targets": {k: {"limit": v[0], "unit": v[1], "rule": v[2]}
                                             for k, v in TARGETS.items()},
                "results": results}, args.output)
    print(table(results, info))
    print(f"[bench] wrote {args.output}")
    missed = missed_targets(results)
    for line in missed:
        print(f"[bench] MISSED {line}")
    return 1 if (args.strict and missed) else 0


def missed_targets(results: dict[str, Any]) -> list[str]:
    """One line per measured target that the median misses: what, measured, limit."""
    out = []
    for key, (limit, unit, wording) in TARGETS.items():
        val = results.get(key)
        med = val.get("median") if isinstance(val, dict) else val
        if med is not None and (med >= limit if key == "noop_make_s" else med > limit):
            out.append(f"{key}: {med:g} {unit} (target: {wording})")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
