"""Determinism check: build the project from clean N times and compare every output byte for byte.

    python scripts/verify.py [--runs 2] [--target all] [--keep]     # `make verify`
    python scripts/verify.py --quick [--stages 01_build_data 02_tariff_schedule]

Full mode copies the project (files ``git ls-files --cached --others --exclude-standard`` lists,
plus the shipped ``data/raw``; mtimes kept) into N temporary folders, gives each a ``.venv`` of
symlinks into the project's environment with a fresh ``.installed`` stamp, runs
``make -o .venv/.installed TARGET`` in each (the environment is reused, never rebuilt), then
compares the SHA-256 of every file under ``data/processed/`` and ``reports/``. Each copy imports
its *own* ``src/`` (PYTHONPATH, AUTOTARIFFS_ROOT), so the check covers exactly the files that
would be committed. PYTHONHASHSEED is left random on purpose:
set-ordering bugs then show up as differences. Executed notebooks are compared after
``autotariffs.run.strip_volatile`` (what remains must be stable). For every differing file the
script prints where it differs: first differing rows (parquet, CSV), keys (JSON), cells
(notebooks), lines (text). Exit code 0 = identical, 1 = differences, 2 = a build failed.

Quick mode (for ``make test``) runs only the given stages in place, each run writing to its own
temporary AUTOTARIFFS_OUTPUT_ROOT via ``autotariffs run``, and compares those outputs.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIRS = ("data/processed", "reports")
QUICK_STAGES = ("01_build_data", "02_tariff_schedule")
TEXT_SUFFIXES = {".html", ".md", ".txt", ".tex", ".svg", ".yaml", ".yml", ".bib", ".log", ".cfg"}
LIMIT = 5  # differing rows/keys/cells shown per file


# ---- copying the project -------------------------------------------------------------------------

def project_files(project: Path) -> list[str]:
    """Relative paths of what a fresh clone of the working tree would contain, plus data/raw.

    Untracked-but-not-ignored files are included so that new work is verified before it is
    committed; data/raw/fetched (opt-in live downloads, git-ignored) is not.
    """
    files: set[str] = set()
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=project, capture_output=True, check=True,
        ).stdout.decode()
        files.update(f for f in out.split("\0") if f)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        raise SystemExit(
            f"verify: {project} is not a git work tree ({exc}); cannot list its files") from exc
    raw = project / "data" / "raw"
    if raw.is_dir():
        for p in raw.rglob("*"):
            rel = p.relative_to(project).as_posix()
            if p.is_file():
                files.add(rel)
    return sorted(f for f in files if (project / f).is_file()
                  and not f.startswith((".venv/", "data/raw/fetched/")))


def make_copy(project: Path, dest: Path, venv: Path, files: list[str] | None = None) -> int:
    """Copy the project files into ``dest`` (mtimes preserved) and give it a ``.venv`` that reuses
    ``venv``: a real folder whose entries (bin, lib, share, pyvenv.cfg, ...) are symlinks, plus a
    fresh ``.installed`` stamp so no make level (``-o`` is not passed to sub-makes) decides to
    rebuild the environment; even ``rm -rf .venv`` there only removes links."""
    files = project_files(project) if files is None else files
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / rel, target)
    venv_copy = dest / ".venv"
    venv_copy.mkdir()
    for entry in sorted(venv.resolve().iterdir()):
        if entry.name not in (".installed", ".project-root"):
            (venv_copy / entry.name).symlink_to(entry)
    # the folder the venv counts as built for (the Makefile rebuilds a venv recorded elsewhere)
    (venv_copy / ".project-root").write_text(f"{dest.resolve()}\n")
    (venv_copy / ".installed").touch()
    return len(files)


def build_env(copy: Path | None = None, output_root: Path | None = None) -> dict[str, str]:
    """Environment for a build: the copy's own src/ first, no inherited output redirection."""
    env = dict(os.environ)
    for key in ("AUTOTARIFFS_OUTPUT_ROOT", "AUTOTARIFFS_ROOT", "AUTOTARIFFS_BUILD", "PYTHONHASHSEED", "MAKEFLAGS",
                "MAKELEVEL", "MFLAGS"):
        env.pop(key, None)
    if copy is not None:
        env["AUTOTARIFFS_ROOT"] = str(copy)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(copy / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if output_root is not None:
        env["AUTOTARIFFS_OUTPUT_ROOT"] = str(output_root)
    return env


def run_logged(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int, float]:
    """Run ``cmd`` in its own process group, output to ``log``. If verify itself is interrupted
    (Ctrl-C, SIGTERM), the whole group (make, papermill, kernels) is stopped too, so nothing
    keeps writing into a temporary copy that is about to be removed."""
    t0 = time.perf_counter()
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait()
        except BaseException:
            stop_group(proc)
            raise
    return rc, time.perf_counter() - t0


def stop_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the process group of ``proc`` (make deletes partial targets), SIGKILL after grace."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def tail(path: Path, n: int = 40) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


# ---- comparing outputs ---------------------------------------------------------------------------

def collect(run_dir: Path, output_dirs: tuple[str, ...] = OUTPUT_DIRS) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for sub in output_dirs:
        base = run_dir / sub
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file():
                    found[p.relative_to(run_dir).as_posix()] = p
    return found


def _notebook(path: Path) -> dict[str, Any]:
    import nbformat

    from autotariffs.run import strip_volatile

    nb = strip_volatile(nbformat.read(path, as_version=4))
    return json.loads(json.dumps(nb))


def digest(path: Path) -> str:
    """SHA-256 of the file; notebooks after strip_volatile (canonical JSON)."""
    if path.suffix == ".ipynb":
        data = json.dumps(_notebook(path), sort_keys=True, ensure_ascii=False).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


@dataclass
class Difference:
    path: str
    detail: list[str]


def _short(v: Any, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."


def frame_diff(a, b, limit: int = LIMIT) -> list[str]:
    """First differing rows of two DataFrames (exact comparison; NaN equals NaN)."""
    lines: list[str] = []
    if list(a.columns) != list(b.columns):
        return [f"columns differ: {list(a.columns)} vs {list(b.columns)}"]
    for c in a.columns:
        if str(a[c].dtype) != str(b[c].dtype):
            lines.append(f"column {c!r} dtype {a[c].dtype} vs {b[c].dtype}")
    if len(a) != len(b):
        lines.append(f"row counts differ: {len(a)} vs {len(b)}")
    n = min(len(a), len(b))
    aa = a.iloc[:n].reset_index(drop=True).astype(object)
    bb = b.iloc[:n].reset_index(drop=True).astype(object)
    ne = ~((aa == bb) | (aa.isna() & bb.isna()))
    bad_rows = [int(i) for i in ne.index[ne.any(axis=1)]]
    if bad_rows:
        lines.append(f"{len(bad_rows)} of {n} rows differ; first {min(limit, len(bad_rows))}:")
    for i in bad_rows[:limit]:
        cols = [c for c in a.columns if ne.at[i, c]]
        cells = "; ".join(f"{c}: {_short(aa.at[i, c], 40)} vs {_short(bb.at[i, c], 40)}"
                          for c in cols[:4])
        more = f" (+{len(cols) - 4} more columns)" if len(cols) > 4 else ""
        lines.append(f"  row {i}: {cells}{more}")
    if not lines:
        lines.append("same rows, columns and values; bytes differ (file metadata or encoding)")
    return lines


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    return path.read_text(encoding="utf-8", errors="replace")


def lines_diff(a: str, b: str, limit: int = LIMIT) -> list[str]:
    """First differing lines (CSV rows, text), 1-based line numbers; line 1 is a CSV header."""
    la, lb = a.splitlines(), b.splitlines()
    out: list[str] = []
    if len(la) != len(lb):
        out.append(f"line counts differ: {len(la)} vs {len(lb)}")
    sm = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            if len(out) >= limit + 1:
                return out
            left = _short(la[i1 + k], 100) if i1 + k < i2 else "<absent>"
            right = _short(lb[j1 + k], 100) if j1 + k < j2 else "<absent>"
            out.append(f"  line {i1 + k + 1}: {left}")
            out.append(f"  {'':>{len(str(i1 + k + 1)) + 5}} vs {right}")
    if not out:
        out.append("same text lines; bytes differ (line endings or trailing newline)")
    return out


def json_diff(a: Any, b: Any, where: str = "$", limit: int = LIMIT) -> list[str]:
    out: list[str] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                if k not in x or k not in y:
                    out.append(f"  {p}.{k}: {'<absent>' if k not in x else _short(x[k])} vs "
                               f"{'<absent>' if k not in y else _short(y[k])}")
                else:
                    walk(x[k], y[k], f"{p}.{k}")
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                walk(u, v, f"{p}[{i}]")
        elif x == y and type(x) is type(y):
            return
        elif isinstance(x, str) and isinstance(y, str) and len(x) + len(y) > 60:
            i = next((k for k, (u, v) in enumerate(zip(x, y, strict=False)) if u != v),
                     min(len(x), len(y)))
            lo = max(0, i - 30)
            pre = "..." if lo else ""
            out.append(f"  {p} (from char {i}): {pre}{_short(x[lo:i + 50])} vs "
                       f"{pre}{_short(y[lo:i + 50])}")
        else:
            out.append(f"  {p}: {_short(x)} vs {_short(y)}")

    walk(a, b, where)
    return out or ["same JSON values; bytes differ (formatting or key order)"]


def _streams(cell: dict[str, Any]) -> dict[str, str]:
    text: dict[str, str] = {}
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            t = o.get("text", "")
            text[o["name"]] = text.get(o["name"], "") + ("".join(t) if isinstance(t, list) else t)
    return text


def _rest(cell: dict[str, Any]) -> list[Any]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]


def notebook_diff(a: Path, b: Path, limit: int = LIMIT) -> list[str]:
    na, nb = _notebook(a), _notebook(b)
    out = [f"  metadata{line[3:]}" for line in json_diff(na["metadata"], nb["metadata"])
           if na["metadata"] != nb["metadata"]]
    ca, cb = na["cells"], nb["cells"]
    if len(ca) != len(cb):
        out.append(f"cell counts differ: {len(ca)} vs {len(cb)}")
    for i, (x, y) in enumerate(zip(ca, cb, strict=False)):
        if x == y:
            continue
        tags = x.get("metadata", {}).get("tags", [])
        label = f"cell {i}" + (f" ({', '.join(tags)})" if tags else "")
        for line in json_diff(x, y, where="", limit=3):
            out.append(f"  {label}{line.strip()}")
        if len(out) >= limit:
            break
    for i, (x, y) in enumerate(zip(ca, cb, strict=False)):
        same_text = _streams(x) == _streams(y) and _rest(x) == _rest(y)
        if x.get("outputs") != y.get("outputs") and same_text:
            out.append(f"  (cell {i}: same stream text split into different chunks: "
                       "strip_volatile should coalesce consecutive stream outputs)")
    if out and all(".id:" in line and "injected-parameters" in line for line in out):
        out.append("  (only papermill's random id of the injected-parameters cell differs: "
                   "autotariffs.run.strip_volatile should pin it)")
    return out or ["same after strip_volatile"]


def describe(path: str, a: Path, b: Path) -> list[str]:
    """Human-readable account of how two versions of one output differ."""
    name = a.name.lower()
    try:
        if name.endswith(".parquet"):
            import pandas as pd

            return frame_diff(pd.read_parquet(a), pd.read_parquet(b))
        if name.endswith((".csv", ".csv.gz", ".tsv")):
            return lines_diff(_read_text(a), _read_text(b))
        if name.endswith(".json"):
            return json_diff(json.loads(_read_text(a)), json.loads(_read_text(b)))
        if name.endswith(".ipynb"):
            return notebook_diff(a, b)
        if a.suffix in TEXT_SUFFIXES:
            return lines_diff(_read_text(a), _read_text(b))
    except Exception as exc:  # a diff helper must never hide the difference itself
        return [f"could not diff contents ({type(exc).__name__}: {exc})"]
    sa, sb = a.stat().st_size, b.stat().st_size
    return [f"binary: {sa} vs {sb} bytes; sha256 {digest(a)[:12]} vs {digest(b)[:12]}"]


def compare_runs(run_dirs: list[Path], output_dirs: tuple[str, ...] = OUTPUT_DIRS
                 ) -> tuple[int, list[Difference]]:
    """Compare every later run with the first; return (files compared, differences)."""
    ref = collect(run_dirs[0], output_dirs)
    diffs: list[Difference] = []
    names: set[str] = set(ref)
    for k, other_dir in enumerate(run_dirs[1:], start=2):
        other = collect(other_dir, output_dirs)
        names |= set(other)
        for rel in sorted(set(ref) | set(other)):
            if rel not in other:
                diffs.append(Difference(rel, [f"present in run 1, missing in run {k}"]))
            elif rel not in ref:
                diffs.append(Difference(rel, [f"missing in run 1, present in run {k}"]))
            elif digest(ref[rel]) != digest(other[rel]):
                detail = describe(rel, ref[rel], other[rel])
                if str(run_dirs[0]).encode() in ref[rel].read_bytes():
                    detail.append("(contains the absolute path of the build folder: write paths "
                                  "relative to the project / output root)")
                diffs.append(Difference(rel, [f"run 1 vs run {k}:", *detail]))
    return len(names), diffs


def report(n_files: int, diffs: list[Difference], runs: int, output_dirs: tuple[str, ...]) -> int:
    for d in diffs:
        print(f"[differ] {d.path}")
        for line in d.detail:
            print(f"    {line}")
    where = ", ".join(f"{d}/" for d in output_dirs)
    if n_files == 0:
        print(f"[verify] FAIL: no output files found under {where}")
        return 1
    if diffs:
        print(f"[verify] FAIL: {len(diffs)} of {n_files} files under {where} differ "
              f"across {runs} runs")
        return 1
    print(f"[verify] OK: {n_files} files under {where} identical across {runs} runs")
    return 0


# ---- the two modes -------------------------------------------------------------------------------

def full(project: Path, runs: int, target: str, venv: Path, workdir: Path, keep: bool,
         jobs: int, output_dirs: tuple[str, ...] = OUTPUT_DIRS) -> int:
    if not (venv / "bin" / "python").exists():
        print(f"[verify] no Python environment at {venv}/bin/python; run `make env` first or "
              f"pass --venv", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="autotariffs-verify-", dir=workdir))
    run_dirs = []
    try:
        # one snapshot of the working tree, so edits made while the builds run cannot make the
        # copies differ; every run starts from an identical copy of it
        snapshot = base / "snapshot"
        files = project_files(project)
        for rel in files:
            (snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / rel, snapshot / rel)
        for i in range(1, runs + 1):
            copy = base / f"run{i}"
            copy.mkdir()
            n = make_copy(snapshot, copy, venv, files)
            log = base / f"run{i}.log"
            cmd = ["make", "-o", ".venv/.installed", f"-j{jobs}", target]
            print(f"[verify] run {i}/{runs}: {n} files copied to {copy}; make {target} ...",
                  flush=True)
            rc, secs = run_logged(cmd, copy, build_env(copy=copy), log)
            if rc != 0:
                print(f"[verify] run {i}: `make {target}` failed (exit {rc}) after {secs:.1f} s; "
                      f"last lines of {log}:\n{tail(log)}", file=sys.stderr)
                keep = True
                return 2
            print(f"[verify] run {i}/{runs}: ok ({secs:.1f} s)", flush=True)
            run_dirs.append(copy)
        n_files, diffs = compare_runs(run_dirs, output_dirs)
        rc = report(n_files, diffs, runs, output_dirs)
        keep = keep or rc != 0
        return rc
    finally:
        if keep:
            print(f"[verify] kept the copies and logs in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def quick(project: Path, runs: int, stages: list[str], workdir: Path, keep: bool,
          python: str = sys.executable) -> int:
    nb_dir, par_dir = project / "notebooks", project / "notebooks" / "params"
    missing = [str(p) for s in stages for p in (nb_dir / f"{s}.ipynb", par_dir / f"{s}.yaml")
               if not p.is_file()]
    if missing:
        print(f"[verify] quick: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="autotariffs-verify-quick-", dir=workdir))
    run_dirs = []
    try:
        for i in range(1, runs + 1):
            out = base / f"run{i}"
            out.mkdir()
            log = base / f"run{i}.log"
            env = build_env(output_root=out)
            t0 = time.perf_counter()
            for s in stages:
                executed = out / "reports" / "notebooks" / f"{s}.ipynb"
                cmd = [python, "-m", "autotariffs", "run", str(nb_dir / f"{s}.ipynb"),
                       str(par_dir / f"{s}.yaml"), str(executed)]
                rc, _ = run_logged(cmd, project, env, log)
                if rc != 0:
                    print(f"[verify] quick run {i}: stage {s} failed (exit {rc}); last lines of "
                          f"{log}:\n{tail(log)}", file=sys.stderr)
                    keep = True
                    return 2
            print(f"[verify] quick run {i}/{runs}: {', '.join(stages)} ok "
                  f"({time.perf_counter() - t0:.1f} s)", flush=True)
            run_dirs.append(out)
        n_files, diffs = compare_runs(run_dirs)
        rc = report(n_files, diffs, runs, OUTPUT_DIRS)
        keep = keep or rc != 0
        return rc
    finally:
        if keep:
            print(f"[verify] kept the outputs and logs in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2, help="number of clean builds (>= 2)")
    ap.add_argument("--quick", action="store_true",
                    help="run only --stages in place, outputs in temp AUTOTARIFFS_OUTPUT_ROOTs")
    ap.add_argument("--stages", nargs="+", default=list(QUICK_STAGES),
                    help="notebook names for --quick (default: %(default)s)")
    ap.add_argument("--target", default="all", help="make target for the full check")
    ap.add_argument("--project", type=Path, default=ROOT, help="project to verify")
    ap.add_argument("--venv", type=Path, default=None, help="environment to reuse "
                    "(default: PROJECT/.venv)")
    ap.add_argument("--workdir", type=Path, default=None, help="where the temp copies go")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="make -j for each build")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies")
    args = ap.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    if args.runs < 2:
        ap.error("--runs must be at least 2")
    project = args.project.resolve()
    workdir = args.workdir.resolve() if args.workdir else None
    if args.quick:
        return quick(project, args.runs, args.stages, workdir, args.keep)
    venv = (args.venv or project / ".venv").absolute()
    return full(project, args.runs, args.target, venv, workdir, args.keep, args.jobs)


if __name__ == "__main__":
    raise SystemExit(main())
