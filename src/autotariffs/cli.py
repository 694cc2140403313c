"""The ``autotariffs`` command: one entry point with a subcommand per task.

``autotariffs <subcommand> ...`` (installed by ``[project.scripts]``; ``python -m autotariffs`` is
the same command). The Makefile calls it for every step; each subcommand is a thin call into the
stage that does the work:

=================  ===============================================================================
``run``            execute one notebook with papermill for Make (:mod:`autotariffs.run`)
``check-params``   check a params file against a notebook's parameter spec (:mod:`autotariffs.config`)
``raw``            ``verify`` data/raw against SHA256SUMS, or ``rehash`` one deliberately changed file
``build-data``     build data/processed from data/raw without a notebook (:mod:`autotariffs.data.build`)
``replicate``      re-estimate the gravity benchmarks into a CSV (:mod:`autotariffs.replication.tables`)
``fetch``          opt-in live refresh from the APIs into data/raw/fetched (network and keys needed)
``refresh-notebook`` store an executed notebook's checked outputs in its source (``make notebooks-refresh``)
=================  ===============================================================================

Why one command: a researcher finds every entry point with ``autotariffs --help``, and every
subcommand reports the same way: progress and results through :mod:`logging` (stdout), a known
error (:class:`autotariffs.errors.AutotariffsError`) as one ``[fail]`` line on stderr with a
non-zero exit and no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autotariffs import logs, paths
from autotariffs.errors import AutotariffsError

log = logging.getLogger("autotariffs.cli")

#: exit codes: a known error, bad usage / parameters (as argparse), an interrupt (as the shell)
EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def one_line(text: object) -> str:
    """Several lines of an error message joined into one terminal line."""
    return "; ".join(line.strip() for line in str(text).strip().splitlines() if line.strip())


# ---- run -------------------------------------------------------------------------------------------
def _add_run(sub: Any) -> None:
    p = sub.add_parser("run", help="execute one notebook for Make (papermill, atomic, byte-stable)",
                       description="Validate PARAMS, execute NOTEBOOK with papermill into OUTPUT "
                       "(written atomically; a failed run keeps <OUTPUT>.failed.ipynb with the "
                       "traceback and leaves no OUTPUT).")
    p.add_argument("notebook", type=Path)
    p.add_argument("params", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--kernel", default=os.environ.get("AUTOTARIFFS_KERNEL", "autotariffs"))
    p.set_defaults(func=_cmd_run)


def _interrupt(signum: int, frame: Any) -> None:  # pragma: no cover - exercised by fault tests
    raise KeyboardInterrupt(f"signal {signum}")


def _cmd_run(args: argparse.Namespace) -> int:
    from autotariffs import run
    from autotariffs.errors import ParameterError

    signal.signal(signal.SIGTERM, _interrupt)
    label = args.output.stem
    log.info("[run ] %s", label)
    try:
        secs = run.execute(args.notebook, args.params, args.output, kernel=args.kernel,
                           warm_kernel=os.environ.get(run.WARM_ENV, "1") != "0")
    except ParameterError as exc:
        log.error("[fail] %s: %s", label, one_line(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.error("[stop] %s: interrupted; no output written", label)
        return EXIT_INTERRUPTED
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell traceback
        ename = getattr(exc, "ename", None)
        if ename in run.KNOWN_ERRORS:
            log.error("[fail] %s: %s: %s (traceback: %s)", label, ename, one_line(exc.evalue),
                      run.failed_path(args.output))
            return EXIT_FAIL
        tail = "\n".join(str(exc).strip().splitlines()[-12:])
        log.error("[fail] %s: %s\n%s", label, type(exc).__name__, tail)
        return EXIT_FAIL
    log.info("[ ok ] %s (%.1f s)", label, secs)
    return 0


# ---- check-params ------------------------------------------------------------------------------------
def _add_check_params(sub: Any) -> None:
    p = sub.add_parser("check-params", help="check a params file against a notebook's spec",
                       description="Check PARAMS (YAML) as `autotariffs run` does before a kernel "
                       "starts: against the parameter spec of NOTEBOOK (e.g. 04_estimates), its "
                       "file name, and the data of the build (origins, months, the baseline the "
                       "inference needs); exit 2 with one line naming the fix if it is wrong.")
    p.add_argument("notebook", help="notebook name, e.g. 04_estimates")
    p.add_argument("params", type=Path)
    p.set_defaults(func=_cmd_check_params)


def _cmd_check_params(args: argparse.Namespace) -> int:
    from autotariffs.config import ParameterError, check

    try:
        check(args.notebook, args.params)
    except ParameterError as exc:
        log.error("[fail] check-params: %s", one_line(exc))
        return EXIT_USAGE
    log.info("[ ok ] %s passes the checks %s makes before its kernel starts", args.params,
             args.notebook)
    return 0


# ---- raw -----------------------------------------------------------------------------------------------
def _add_raw(sub: Any) -> None:
    p = sub.add_parser("raw", help="verify data/raw against SHA256SUMS, or rehash one file")
    rs = p.add_subparsers(dest="raw_cmd", required=True, metavar="{verify,rehash}")
    v = rs.add_parser("verify", help="check data/raw against SHA256SUMS")
    v.set_defaults(func=_cmd_raw_verify)
    rh = rs.add_parser("rehash", help="record a deliberate change of one raw file")
    rh.add_argument("file")
    rh.add_argument("--reason", default="")
    rh.add_argument("--date", default=None, help="YYYY-MM-DD (default: today, UTC)")
    rh.set_defaults(func=_cmd_raw_rehash)


def _cmd_raw_verify(args: argparse.Namespace) -> int:
    from autotariffs import forkserver, timings

    # the build's first step: its fork server imports meanwhile. Started before this step's own
    # imports: pandera sets environment variables on import, and the server's key is the
    # environment the build's commands start with
    forkserver.start(paths.project_root())
    from autotariffs.data.sources.manifest import verify_manifest

    n = len(verify_manifest())
    timings.record("step", step="raw_verify", wall_s=timings.process_age(), **timings.usage())
    log.info("[raw ] data/raw matches SHA256SUMS (%d files)", n)
    return 0


def _cmd_raw_rehash(args: argparse.Namespace) -> int:
    from autotariffs.data.sources.manifest import rehash

    old, new = rehash(args.file, args.reason, date=args.date)
    log.info("[raw ] %s: %s -> %s; entry added to PROVENANCE.md", args.file, old or "unlisted", new)
    return 0


# ---- build-data ------------------------------------------------------------------------------------------
def _add_build_data(sub: Any) -> None:
    p = sub.add_parser("build-data", help="build data/processed from data/raw (no notebook)")
    p.add_argument("--raw", type=Path, default=paths.RAW, help="raw data dir (data/raw)")
    p.add_argument("--out", type=Path, default=paths.PROCESSED, help="output dir")
    p.add_argument("--no-verify", action="store_true", help="skip the SHA256SUMS check")
    p.set_defaults(func=_cmd_build_data)


def _cmd_build_data(args: argparse.Namespace) -> int:
    from autotariffs.data.build import build_all

    t0 = time.perf_counter()
    build_all(args.raw, args.out, verify=not args.no_verify)
    log.info("done in %.1fs", time.perf_counter() - t0)
    return 0


# ---- replicate ---------------------------------------------------------------------------------------------
def _add_replicate(sub: Any) -> None:
    p = sub.add_parser("replicate", help="re-estimate the gravity benchmarks (Yotov et al. 2016; "
                       "Santos Silva-Tenreyro 2006) into OUT.csv",
                       description="A separate Make step (not inside the report notebook): it "
                       "depends only on the shipped benchmark data and the estimators, so Make "
                       "runs it beside the analysis notebooks and skips it when neither changed. "
                       "Exit 1 if a term does not match.")
    p.add_argument("out", type=Path)
    p.set_defaults(func=_cmd_replicate)


def _cmd_replicate(args: argparse.Namespace) -> int:
    from autotariffs import timings

    started = timings.process_age()
    t0 = time.perf_counter()
    from autotariffs.atomic import write_csv
    from autotariffs.replication.tables import validation_summary, validation_table

    t_import = time.perf_counter()
    log.info("[run ] validation (Yotov et al. 2016; Santos Silva-Tenreyro 2006)")
    table = validation_table()
    write_csv(table, args.out, float_format="%.12g")
    s = validation_summary(table)
    timings.record("step", step="validation", started_s=started, wall_s=timings.process_age(),
                   imports_s=round(t_import - t0, 3),
                   cells_s=round(time.perf_counter() - t_import, 3), **timings.usage())
    log.info("[ ok ] validation: %d/%d terms match (%.1f s)", s["n_matched"], s["n_terms"],
             time.perf_counter() - t0)
    return 0 if s["all_matched"] else EXIT_FAIL


# ---- fetch ---------------------------------------------------------------------------------------------------
def _add_fetch(sub: Any) -> None:
    # (sources and the first month are checked by the fetch module itself: importing it here
    # would load pandas and pandera for every subcommand, ~0.7 s on each notebook step)
    p = sub.add_parser("fetch", help="opt-in live refresh into data/raw/fetched (network needed)",
                       description="Opt-in live refresh of Census / UN Comtrade / FRED data into "
                       "data/raw/fetched (keys from CENSUS_API_KEY, COMTRADE_API_KEY, FRED_API_KEY).")
    p.add_argument("--only", action="append", metavar="{census,comtrade,fred}",
                   help="fetch only this source (repeatable)")
    p.add_argument("--start", default=None, help="first month YYYY-MM (default: the API's first)")
    p.add_argument("--end", default=None, help="last month YYYY-MM (default: last month)")
    p.add_argument("--out", type=Path, default=paths.FETCHED, help="output directory")
    p.add_argument("--no-cache", action="store_true", help="ignore the response cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_fetch)


def _cmd_fetch(args: argparse.Namespace) -> int:
    from autotariffs.data.sources import fetch
    from autotariffs.data.sources.http import FetchError, NoNetworkError, redact

    unknown = sorted(set(args.only or ()) - set(fetch.SOURCES))
    if unknown:
        log.error("[fail] fetch: unknown source %s; use --only with one of %s", ", ".join(unknown),
                  ", ".join(fetch.SOURCES))
        return EXIT_USAGE
    when = {"start": args.start} if args.start else {}
    try:
        entries = fetch.run_fetch(args.out, args.only, end=args.end, progress=not args.no_progress,
                                  use_cache=not args.no_cache, **when)
    except NoNetworkError as exc:
        log.error("fetch failed (no network): %s", redact(exc))
        return fetch.EXIT_NO_NETWORK
    except FetchError as exc:
        log.error("fetch failed: %s", redact(exc))
        return fetch.EXIT_FAILED
    except ValueError as exc:
        log.error("fetch: %s", redact(exc))
        return fetch.EXIT_FAILED
    rows = sum(e["rows"] for e in entries)
    log.info("fetched %d responses (%d rows) into %s; manifest %s", len(entries), rows, args.out,
             args.out / fetch.MANIFEST)
    return fetch.EXIT_OK


# ---- refresh-notebook ----------------------------------------------------------------------------------------
def _add_refresh_notebook(sub: Any) -> None:
    p = sub.add_parser("refresh-notebook",
                       help="store an executed notebook's checked outputs in its source notebook",
                       description="The one writer of notebooks/*.ipynb besides `make "
                       "notebooks-sync` (jupytext): `make notebooks-refresh` calls it after a "
                       "build. Keeps the outputs of cells tagged nbval-check-output only.")
    p.add_argument("executed", type=Path, help="e.g. reports/notebooks/04_estimates_KOR.ipynb")
    p.add_argument("source", type=Path, help="e.g. notebooks/04_estimates.ipynb")
    p.set_defaults(func=_cmd_refresh_notebook)


def _cmd_refresh_notebook(args: argparse.Namespace) -> int:
    from autotariffs.run import refresh_source

    refresh_source(args.executed, args.source)
    log.info("[nb  ] %s refreshed from %s", args.source, args.executed)
    return 0


# ---- readme --------------------------------------------------------------------------------------
def _add_readme(sub: Any) -> None:
    p = sub.add_parser("readme", help="write the generated findings, output lists and runtimes "
                       "into README.md",
                       description="Replaces README.md's findings block with reports/findings.md "
                       "(the sentences step 06 generated from results.json), its outputs block "
                       "with the build's registered figures and tables, and its runtime blocks "
                       "with reports/benchmarks/*.json (make bench). `make readme` calls it.")
    p.add_argument("--reports", type=Path, default=None, help="default: the build's reports/")
    p.add_argument("--readme", type=Path, default=None, help="default: README.md")
    p.set_defaults(func=_cmd_readme)


def _cmd_readme(args: argparse.Namespace) -> int:
    from autotariffs import atomic, paths
    from autotariffs.report import readme as rd

    reports = args.reports or paths.build_root() / "reports"
    readme = args.readme or paths.ROOT / "README.md"
    findings = reports / "findings.md"
    if not findings.is_file():
        raise AutotariffsError(f"{findings} not found: run make (step 06 writes it) first")
    old = readme.read_text(encoding="utf-8")
    new = rd.with_block(old, "findings", findings.read_text(encoding="utf-8").strip())
    new = rd.with_block(new, "outputs", rd.outputs_markdown(reports))
    bench = paths.ROOT / "reports" / "benchmarks"  # committed measurements, not the build's
    new = rd.with_block(new, "runtime", rd.runtime_markdown(bench))
    new = rd.with_block(new, "runtime-summary", rd.runtime_summary(bench))
    if new != old:
        atomic.write_text(new, readme)
    log.info("[doc ] %s %s", readme.name, "updated" if new != old else "already current")
    return 0


# ---- forkserver (internal) ----------------------------------------------------------------------
def _add_forkserver(sub: Any) -> None:
    # (no help line: the `run` client starts it, see autotariffs.forkserver)
    p = sub.add_parser("forkserver", description="The build's fork server (started by `run`; "
                       "exits when idle). See autotariffs.forkserver.")
    p.add_argument("socket", type=Path)
    p.add_argument("root", type=Path, help="the project whose notebooks' imports it preloads")
    p.set_defaults(func=_cmd_forkserver)


def _cmd_forkserver(args: argparse.Namespace) -> int:
    from autotariffs import forkserver

    return forkserver.main(args.socket, args.root)


SUBCOMMANDS: tuple[Callable[[Any], None], ...] = (
    _add_run, _add_check_params, _add_raw, _add_build_data, _add_replicate, _add_fetch,
    _add_refresh_notebook, _add_readme, _add_forkserver,
)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="autotariffs", description="One command for every step of the autotariffs pipeline.",
        epilog="Make calls these; `make help` lists the pipeline's targets.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="<subcommand>")
    for add in SUBCOMMANDS:
        add(sub)
    return ap


#: subcommands a build step runs through the fork server (:mod:`autotariffs.forkserver`)
SERVED = frozenset({"run", "replicate"})


def main(argv: Sequence[str] | None = None, serve: bool | None = None) -> int:
    """Parse, run the subcommand; a known error prints one line (no traceback) and exits 1.

    The subcommands in :data:`SERVED` go to a worker of the fork server where one can be used
    (:mod:`autotariffs.forkserver`) if ``serve``, which is by default true for the command line
    (``argv`` None) and false for a call from Python (tests; the worker itself)."""
    logger = logging.getLogger(logs.NAME)
    before = logger.level
    logs.configure()
    try:
        args = parser().parse_args(argv)
        if (argv is None if serve is None else serve) and args.command in SERVED:
            from autotariffs import forkserver

            code = forkserver.call(list(sys.argv[1:] if argv is None else argv),
                                   paths.project_root(), entry=f"{__name__}:main")
            if code is not None:
                return code
        try:
            return int(args.func(args))
        except AutotariffsError as exc:
            log.error("[fail] %s: %s: %s", args.command, type(exc).__name__, one_line(exc))
            return EXIT_FAIL
    finally:
        logger.setLevel(before)  # a call from Python (tests) leaves the logger as it found it
