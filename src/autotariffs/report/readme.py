"""The README's generated blocks: the findings, the list of figures and tables, and the runtimes.

Each is written (``make readme`` -> ``autotariffs readme``) between HTML comment markers: the
findings and outputs from the build, the runtimes from ``reports/benchmarks/*.json`` (what
``make bench`` measured), so the README cannot name an output the build no longer makes or quote
a number the results or benchmarks do not hold; ``tests/report/test_findings_numbers.py``,
``tests/report/test_readme.py`` and ``tests/project/test_readme_runtimes.py`` fail while a block
is stale.
"""

from __future__ import annotations

import os
from pathlib import Path

from autotariffs.report import collect


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def block(text: str, name: str) -> str:
    """The text between the ``name`` markers (stripped); ValueError if they are missing."""
    start, end = markers(name)
    if start not in text or end not in text:
        raise ValueError(f"README has no {start} ... {end} block")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def with_block(text: str, name: str, new: str) -> str:
    """``text`` with the ``name`` block replaced by ``new`` (as given: a block that holds
    Markdown tables starts and ends with a newline, an inline one does not)."""
    start, end = markers(name)
    block(text, name)  # both markers present
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}{new}{end}{tail}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def outputs_markdown(reports_dir: str | os.PathLike[str]) -> str:
    """Markdown tables of the registered figures and tables of a build, sorted by id."""
    reports_dir = Path(reports_dir)
    figs = sorted(collect.collect_figures(reports_dir / "figures"), key=lambda f: f["id"])
    tabs = sorted(collect.collect_tables(reports_dir / "tables"), key=lambda t: t["id"])
    lines = ["| figure id | title | notebook |", "|---|---|---|"]
    lines += [f"| `{f['id']}` | {_cell(f['title'])} | `notebooks/{f['notebook']}.ipynb` |"
              for f in figs]
    lines += ["", "| table id | title | notebook |", "|---|---|---|"]
    for t in tabs:
        ids = ", ".join(f"`{x}`" for x in [t["id"], *(o["id"] for o in t["same_as"])])
        lines.append(f"| {ids} | {_cell(t['title'])} | `notebooks/{t['notebook']}.ipynb` |")
    return "\n".join(["", *lines, ""])


# ---- runtime: quoted from reports/benchmarks/*.json (written by `make bench`) -------------------

#: the benchmark files the runtime blocks quote (scripts/bench.py, scripts/bench_estimators.py)
BENCH_FILES = ("benchmarks.json", "build_profile.json", "test_suite.json", "estimators.json")


def _load(bench_dir: Path, name: str) -> dict:
    import json

    path = bench_dir / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _status(value: float | None, target: dict | None, strict: bool = False) -> str:
    if value is None:
        return "not measured"
    if not target:
        return "(information)"
    ok = value < target["limit"] if strict else value <= target["limit"]
    return "ok" if ok else "**missed**"


def _row_loads(rows: list[dict], machine: dict) -> str:
    """The 1-minute load averages the estimator rows were timed at (rows re-measured with
    ``--only`` keep their own), or the file's when the rows do not record one."""
    loads = [float(r[k][0]) for r in rows for k in ("load_start", "load_end") if r.get(k)]
    if not loads:
        return (f"load average {_load_text(machine.get('load_start'))} → "
                f"{_load_text(machine.get('load_end'))}")
    lo, hi = min(loads), max(loads)
    return (f"load average {lo:.1f}" if round(lo, 1) == round(hi, 1)
            else f"load average {lo:.1f} to {hi:.1f} across the rows (each row's in the file)")


def _load_text(load: list | None) -> str:
    return "?" if not load else f"{load[0]:.1f}"


def _cpu_text(info: dict) -> str:
    """", <CPU model>" as the benchmark recorded it, or "" (older files have no model)."""
    return f", {info['cpu']}" if info.get("cpu") else ""


def runtime_summary(bench_dir: str | os.PathLike[str]) -> str:
    """One sentence for the README's requirements: clean make and make test, when measured."""
    bench_dir = Path(bench_dir)
    bench = _load(bench_dir, "benchmarks.json")
    res, info = bench.get("results", {}), bench.get("machine", {})
    make, test = res.get("clean_make_s"), res.get("make_test_s")
    parts = []
    if make:
        parts.append(f"a clean `make` takes **{make['median']:.0f} s** (median of "
                     f"{len(make['runs'])} builds)")
    if test:
        parts.append(f"`make test` **{test['median']:.0f} s**")
    if not parts:
        return "Runtime: not measured yet (`make bench`)."
    return (f"Runtime on the reference machine (2 cores{_cpu_text(info)}, measured "
            f"{info.get('date_utc', '?')} "
            f"at load average {_load_text(info.get('load_avg_at_start'))}; see Runtime and "
            "benchmarks): " + ", ".join(parts) + ".")


def runtime_markdown(bench_dir: str | os.PathLike[str]) -> str:
    """The README's runtime tables: every target of benchmarks.json with what was measured, the
    per-step profile of the clean builds, and each estimator design against pyfixest."""
    bench_dir = Path(bench_dir)
    bench = _load(bench_dir, "benchmarks.json")
    res, targets = bench.get("results", {}), bench.get("targets", {})
    info = bench.get("machine", {})
    prof = _load(bench_dir, "build_profile.json")
    suite = _load(bench_dir, "test_suite.json").get("runs", {}).get(res.get("make_test_label", ""))
    est = _load(bench_dir, "estimators.json")
    lines = [
        "", f"Measured by `make bench` on {info.get('date_utc', '?')} ({info.get('logical_cores', '?')}"
        f" cores{_cpu_text(info)}, {info.get('ram_gb', '?')} GB, Python {info.get('python', '?')}; "
        f"load average {_load_text(info.get('load_avg_at_start'))} when it started: other jobs "
        "shared the machine when it is above 0). Times depend on the CPU: compare a new "
        "machine's `make bench` with these by their ratios to pyfixest and between steps, not by "
        "seconds. Written from `reports/benchmarks/*.json` by `make readme`.",
        "", "| measurement | measured | target | |", "|---|---|---|---|"]

    def runs(m: dict, unit: str, fmt: str = ".1f") -> str:
        return (f"median **{m['median']:{fmt}} {unit}** ("
                + ", ".join(f"{x:{fmt}}" for x in m["runs"]) + ")")

    cells: list[tuple[str, str, str, float | None, bool]] = []
    if "clean_make_s" in res:
        loads = "; ".join(f"{_load_text(x['before'])} → {_load_text(x['after'])}"
                          for x in res.get("clean_make_load_avg", []))
        cells.append(("clean_make_s", "clean `make` (every notebook and the validation step, "
                      "`-j2`)", runs(res["clean_make_s"], "s")
                      + (f"; load average before → after each build: {loads}" if loads else ""),
                      res["clean_make_s"]["median"], False))
    if "clean_make_cpu_s" in res:
        cells.append(("clean_make_cpu_s", "CPU time of a clean `make` (user + system, every "
                      "process)", runs(res["clean_make_cpu_s"], "CPU-s"),
                      res["clean_make_cpu_s"]["median"], False))
    if "noop_make_s" in res:
        cells.append(("noop_make_s", "no-op `make`", runs(res["noop_make_s"], "s", ".3f"),
                      res["noop_make_s"]["median"], True))
    if "make_peak_pss_mb" in res:
        cells.append(("make_peak_pss_mb", "peak memory of the `make` process tree (PSS: a page "
                      "shared by n processes counts 1/n in each; sampled every 50 ms)",
                      runs(res["make_peak_pss_mb"], "MB", ".0f"),
                      res["make_peak_pss_mb"]["median"], False))
    if "make_peak_rss_mb" in res:
        single = res.get("make_peak_single_process_rss_mb", {}).get("median")
        cells.append(("make_peak_rss_mb", "sum of the peak RSS of the `make` process tree (counts "
                      "shared pages once per process)", runs(res["make_peak_rss_mb"], "MB", ".0f")
                      + (f"; largest single process {single:.0f} MB" if single else ""),
                      res["make_peak_rss_mb"]["median"], False))
    if "make_test_s" in res:
        extra = ""
        if suite:
            first = suite["make_test_runs"][0]
            tests = "; ".join(s.split(" in ")[0] for s in first.get("pytest", []))
            extra = (f" ({suite['make_test_cpu_s']['median']:.0f} CPU-s; load average "
                     f"{_load_text(first['load_avg_before'])} → "
                     f"{_load_text(first['load_avg_after'])}; pytest's summaries: {tests})")
        cells.append(("make_test_s", "`make test` (ruff; pytest on 3 workers beside nbval, "
                      "then the quick determinism check; timed without the memory sampler, "
                      "which would take CPU from it)", runs(res["make_test_s"], "s", ".0f")
                      + extra, res["make_test_s"]["median"], False))
    worst = res.get("estimator_vs_pyfixest_max")
    if worst is not None:
        cells.append(("estimator_vs_pyfixest_max", "largest estimator time / pyfixest's "
                      "(designs below)", f"**{worst:.2f}×**", worst, False))
    for key, text, measured, value, strict in cells:
        t = targets.get(key)
        lines.append(f"| {text} | {measured} | {_cell(t['rule']) if t else '-'} | "
                     f"{_status(value, t, strict)} |")
    med = prof.get("median")
    if med:
        cols = dict(prof["columns"])  # [key, heading] pairs, in the table's order
        lines += ["", f"Where a clean build's time goes (`reports/benchmarks/build_profile.json`; "
                  f"median of {len(prof.get('runs', []))} builds; seconds: began = after `make` "
                  "started, runner = from the step's process start to its work (a worker "
                  "forked from the build's fork server: no Python start, no imports), params = "
                  "the parameter check, kernel = the kernel's start (forked from the runner), "
                  "imports = the notebook's imports (the runner's preload before that fork and "
                  "the kernel's import cells), compute = its other cells less figure saving; RSS "
                  "= runner + kernel peaks, each counting the pages they share):", "", "| step | " + " | ".join(cols.values()) + " |",
                  "|---|" + "---:|" * len(cols)]
        for step, r in sorted(med.items(), key=lambda kv: (kv[1].get("began_s") or 0, kv[0])):
            vals = ["-" if r.get(c) is None else f"{r[c]:g}" for c in cols]
            lines.append(f"| {step} | " + " | ".join(vals) + " |")
    if est.get("results"):
        m = est.get("machine", {})
        dates = sorted({str(r["measured"]) for r in est["results"] if r.get("measured")})
        cpus = sorted({str(r.get("cpu") or "CPU not recorded") for r in est["results"]})
        lines += ["", "Estimators against pyfixest (`scripts/bench_estimators.py`, "
                  f"`reports/benchmarks/estimators.json`, measured {', '.join(dates) or '?'} "
                  f"on {' and '.join(cpus)}, "
                  f"{_row_loads(est['results'], m)}; both timed in one process, interleaved; "
                  "seconds, ours vs pyfixest's):", "", "| design | `feols` | `fepois` |",
                  "|---|---|---|"]
        by: dict[str, dict[str, dict]] = {}
        for r in est["results"]:
            by.setdefault(str(r["dataset"]), {})[r["estimator"]] = r
        for ds, pair in by.items():
            def one(r: dict | None) -> str:
                if r is None:
                    return "-"
                if r.get("autotariffs_error"):
                    return f"ours failed: {_cell(r['autotariffs_error'])}"
                if r.get("ratio_ours_over_pyfixest") is None:
                    return (f"{r['autotariffs_s']:.2f} s; pyfixest: "
                            f"{_cell(r.get('pyfixest_error') or 'not timed')}")
                return (f"{r['autotariffs_s']:.2f} s vs {r['pyfixest_s']:.2f} s "
                        f"(**{r['ratio_ours_over_pyfixest']:.2f}×**)")
            lines.append(f"| `{ds}` | {one(pair.get('feols'))} | {one(pair.get('fepois'))} |")
    return "\n".join([*lines, ""])
