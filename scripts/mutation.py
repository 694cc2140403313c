"""Mutation testing of the modules that produce published numbers (mutmut; `make mutation`).

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) copies src/ and tests/ into mutants/,
makes small changes ("mutants") to each function of the listed modules and runs the tests that
reach that function against each one. A mutant the tests do not notice ("survived") is a change
to a published number's computation that no test would catch.

This script runs mutmut (``nice -n 10``, at most ``--max-children`` workers; mutmut keeps earlier
verdicts and re-tests only mutants of changed functions or the ones named), then reads mutmut's
result store (``mutants/<file>.meta``) and writes reports/benchmarks/mutation.json: per module the
killed / survived / timeout / no-tests / equivalent counts and the score
killed / (total - equivalent), the surviving mutants with a one-line diff, and the equivalent
mutants with their reason. Equivalent mutants (no test can tell them apart from the original) are
listed by hand in scripts/mutation_equivalent.toml, keyed by mutant id AND its one-line diff: an
entry whose mutant no longer exists, has another diff or is killed is stale and fails the script.

Usage: ``.venv/bin/python scripts/mutation.py [--only one_treated,merge] [--retest] [--no-run]
[--max-children 2]`` (no option: every mutant not tested yet, in every module).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "benchmarks" / "mutation.json"
EQUIVALENT = ROOT / "scripts" / "mutation_equivalent.toml"
TARGET = 0.85

# the modules whose functions compute or print a published number (the benchmark's target) ...
PUBLISHED = [
    "src/autotariffs/models/one_treated.py",
    "src/autotariffs/models/reduced_form.py",
    "src/autotariffs/models/robustness.py",
    "src/autotariffs/models/deals.py",
    "src/autotariffs/report/merge.py",
    "src/autotariffs/report/narrative.py",
]
# ... and modules behind the design choice and the price results, reported separately
ADDITIONAL = [
    "src/autotariffs/models/drift.py",
    "src/autotariffs/models/calibration.py",
    "src/autotariffs/models/export_prices.py",
]
STATUSES = ["killed", "survived", "timeout", "no tests", "equivalent", "other"]


def mutated() -> list[str]:
    """The modules pyproject.toml's [tool.mutmut] mutates, in the order listed here."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = pyproject["tool"]["mutmut"]["only_mutate"]
    return [p for p in PUBLISHED + ADDITIONAL if p in listed]


def module_name(path: str) -> str:
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".")


def run_mutmut(patterns: list[str], max_children: int) -> dict:
    """Run ``mutmut run`` in the project folder; its wall time and arguments."""
    env = {**os.environ, "AUTOTARIFFS_ROOT": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    cmd = ["nice", "-n", "10", str(Path(sys.executable).parent / "mutmut"), "run",
           "--max-children", str(max_children), *patterns]
    print(f"[mutation] mutmut run --max-children {max_children} "
          f"({len(patterns) or 'every untested'} mutants named)", flush=True)
    log = ROOT / "mutants" / "mutmut-run.log"  # mutmut's progress output (a spinner per mutant)
    log.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"[fail] mutmut run exited with {code} (log: {log}):\n{tail}")
    return {"seconds": round(seconds, 1), "max_children": max_children,
            "load_avg_after": [round(x, 2) for x in os.getloadavg()]}


def store(path: str) -> dict[str, int | None]:
    """mutmut's exit code of each mutant of ``path`` (None: not tested yet); {} before a run."""
    meta = ROOT / "mutants" / (path + ".meta")
    if not meta.exists():
        return {}
    try:
        return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    except json.JSONDecodeError:  # mutmut killed while writing it
        raise SystemExit(f"[fail] {meta.relative_to(ROOT)} is truncated (mutmut was stopped while "
                         f"writing it): delete it and mutants/{path}, then rerun") from None


def to_test(only: list[str], retest: bool) -> list[str]:
    """Mutant names for ``mutmut run``: the untested mutants of the ``only`` modules (all
    modules when empty), plus, with ``retest``, every mutant no test has killed yet but those
    listed as equivalent (after tests were added: mutmut keeps a verdict unless the mutant is
    named). A module without results yet is given as a glob."""
    from mutmut.stats import status_by_exit_code

    listed = {e["mutant"] for e in load_equivalent()}  # equivalent: no test can kill them
    names: list[str] = []
    for path in mutated():
        if only and Path(path).stem not in only:
            continue
        codes = store(path)
        if not codes:
            names.append(module_name(path) + ".*")
            continue
        names += sorted(k for k, c in codes.items()
                        if c is None or (retest and status_by_exit_code[c] != "killed"
                                         and k not in listed))
    return names


def one_line(diff: str) -> str:
    """The changed lines of mutmut's unified diff as ``old -> new`` (stripped, joined by ' / ')."""
    old = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    new = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " / ".join(old) + " -> " + " / ".join(new)


def read_store(path: str) -> dict[str, dict]:
    """Each mutant of ``path`` in mutmut's store: status, function, one-line diff, test seconds."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    meta = ROOT / "mutants" / (path + ".meta")
    if not meta.exists():
        return {}
    data = json.loads(meta.read_text(encoding="utf-8"))
    out = {}
    for name, code in data["exit_code_by_key"].items():
        status = status_by_exit_code[code]
        status = status if status in ("killed", "survived", "timeout", "no tests") else (
            "not checked" if code is None else status)
        func, cls = orig_function_and_class_names_from_key(name)
        out[name] = {"status": status, "function": f"{cls}.{func}" if cls else func,
                     "seconds": data["durations_by_key"].get(name)}
        if status != "killed":  # the diffs of killed mutants are not reported
            out[name]["diff"] = one_line(get_diff_for_mutant(name, path=path))
    return out


def load_equivalent() -> list[dict]:
    if not EQUIVALENT.exists():
        return []
    entries = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")).get("equivalent", [])
    for e in entries:
        missing = {"mutant", "diff", "reason"} - set(e)
        if missing:
            raise SystemExit(f"[fail] {EQUIVALENT.name}: entry {e.get('mutant', e)} lacks "
                             f"{sorted(missing)}; give mutant, diff and reason")
    return entries


def summarise(paths: list[str], mutants: dict[str, dict[str, dict]], equivalent: dict[str, dict]):
    """Per-module counts and score, survivors and equivalents (each list sorted by mutant id)."""
    modules, survivors, equivalents = {}, [], []
    for path in paths:
        counts = Counter()
        for name, m in sorted(mutants[path].items()):
            status = m["status"]
            if name in equivalent:
                status = "equivalent"
                equivalents.append({"module": module_name(path), "function": m["function"],
                                    "mutant": name, "diff": m["diff"],
                                    "reason": equivalent[name]["reason"]})
            elif status == "survived":
                survivors.append({"module": module_name(path), "function": m["function"],
                                  "mutant": name, "diff": m["diff"]})
            counts[status if status in STATUSES else "other"] += 1
        total = sum(counts.values())
        real = total - counts["equivalent"]
        modules[module_name(path)] = {
            "total": total, **{s.replace(" ", "_"): counts[s] for s in STATUSES},
            "score": round(counts["killed"] / real, 4) if real else None,
            "test_seconds": round(sum(m["seconds"] or 0 for m in mutants[path].values()), 1),
        }
    return modules, survivors, equivalents


def group_score(modules: dict, paths: list[str]) -> dict:
    if not all(module_name(p) in modules for p in paths):
        return {"modules": [module_name(p) for p in paths], "measured": False, "score": None,
                "note": "not in [tool.mutmut] only_mutate: not measured"}
    rows = [modules[module_name(p)] for p in paths]
    killed = sum(r["killed"] for r in rows)
    real = sum(r["total"] - r["equivalent"] for r in rows)
    return {"modules": [module_name(p) for p in paths], "total": sum(r["total"] for r in rows),
            "killed": killed, "equivalent": sum(r["equivalent"] for r in rows),
            "score": round(killed / real, 4) if real else None}


def table(modules: dict) -> str:
    head = f"{'module':40} {'total':>6} {'killed':>6} {'surv':>5} {'t/out':>5} {'no-t':>5} " \
           f"{'equiv':>5} {'other':>5} {'score':>7}"
    lines = [head, "-" * len(head)]
    for name, r in modules.items():
        score = "-" if r["score"] is None else f"{100 * r['score']:.1f}%"
        lines.append(f"{name:40} {r['total']:6d} {r['killed']:6d} {r['survived']:5d} "
                     f"{r['timeout']:5d} {r['no_tests']:5d} {r['equivalent']:5d} {r['other']:5d} "
                     f"{score:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated module stems, e.g. narrative,merge")
    ap.add_argument("--retest", action="store_true",
                    help="also re-test every mutant not killed yet (after adding tests)")
    ap.add_argument("--no-run", action="store_true", help="only read mutmut's store and write the JSON")
    ap.add_argument("--max-children", type=int, default=2)
    args = ap.parse_args(argv)

    os.chdir(ROOT)  # mutmut reads pyproject.toml and mutants/ from the working directory
    previous = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    run = previous.get("last_run")
    if not args.no_run:
        only = [m for m in args.only.split(",") if m]
        names = to_test(only, args.retest) if (only or args.retest) else []
        if names or not (only or args.retest):
            run = run_mutmut(names, args.max_children)
            run["mutants_named"] = len(names) or "all untested"

    paths = mutated()
    mutants = {p: read_store(p) for p in paths}
    if not any(mutants.values()):
        raise SystemExit("[fail] mutants/ holds no mutmut results: run `make mutation` first")
    entries = load_equivalent()
    everything = {name: m for ms in mutants.values() for name, m in ms.items()}
    stale = []
    for e in entries:
        m = everything.get(e["mutant"])
        if m is None:
            stale.append(f"{e['mutant']}: no such mutant (the source changed?)")
        elif m["status"] != "survived":
            stale.append(f"{e['mutant']}: listed as equivalent but {m['status']}")
        elif m["diff"] != e["diff"]:
            stale.append(f"{e['mutant']}: listed as {e['diff']!r}, mutmut now has {m['diff']!r}")
    equivalent = {e["mutant"]: e for e in entries if e["mutant"] not in {s.split(":")[0] for s in stale}}

    modules, survivors, equivalents = summarise(paths, mutants, equivalent)
    published = group_score(modules, PUBLISHED)
    additional = group_score(modules, ADDITIONAL)
    result = {
        "tool": "mutmut 3.8.1 (pyproject.toml [tool.mutmut]: tests run, mutated modules)",
        "score_rule": "killed / (total - equivalent); timeouts and no-tests count as not killed",
        "target": TARGET,
        "published": published,
        "additional": additional,
        "modules": modules,
        "survivors": survivors,
        "equivalent": equivalents,
        "last_run": run,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print(table(modules))
    for label, g in (("published-number modules", published), ("additional modules", additional)):
        if g.get("measured") is False:
            print(f"[mutation] {label}: {g['note']}")
            continue
        score = "-" if g["score"] is None else f"{100 * g['score']:.1f}%"
        print(f"[mutation] {label}: {g['killed']} of {g['total'] - g['equivalent']} non-equivalent "
              f"mutants killed = {score}")
    below = [n for n, r in modules.items() if r["score"] is not None and r["score"] < TARGET]
    print("[mutation] below 85%: " + (", ".join(below) if below else "none"))
    print(f"[mutation] {len(survivors)} survivors and {len(equivalents)} equivalent mutants in "
          f"{OUT.relative_to(ROOT)}")
    for s in stale:
        print(f"[fail] {EQUIVALENT.name}: {s}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
