"""Run one notebook with papermill the way Make needs it.

``autotariffs run NOTEBOOK.ipynb PARAMS.yaml OUTPUT.ipynb`` (the command line is in
:mod:`autotariffs.cli`; this module is what it calls)

1. validates the params file against :mod:`autotariffs.config` (spec, file name against ``origin``)
   and against the data (origins in the chosen source, start/end within its months, a baseline
   long enough for the inference) *before* starting a kernel;
2. executes with papermill on the project kernel (IPC transport, ``AUTOTARIFFS_BUILD=1`` so the
   notebook writes the build, not scratch/) into a temporary file next to the target; the kernel
   is forked from the runner after the notebook's imports (:mod:`autotariffs.warm`), so they are
   imported once per step, not by the runner's check and the kernel each;
3. strips volatile metadata (timings, absolute paths, progress-bar output) so executed copies are
   byte-stable; 4. renames onto the target. Every file the kernel writes goes through
   :mod:`autotariffs.atomic`, which records it in the step's journal: on any failure or interrupt
   (a cell error, SIGINT, SIGTERM, a killed kernel) the runner puts the previous version of each
   back (or removes a new one), so the previous executed notebook and its results stay together
   and the next ``make`` reruns the step. A failed execution is kept as
   ``<target>.failed.ipynb`` (with the traceback); a known error
   (:class:`autotariffs.errors.AutotariffsError`, bad parameters) prints as one line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# before nbformat: jsonschema's optional IRI checker compiles a grammar on import (about 1 s of
# every notebook step); the notebook schema needs none
import autotariffs.optional_imports  # noqa: F401  # isort: skip

import nbformat  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

from autotariffs import paths, timings, warm  # noqa: E402
from autotariffs.atomic import JOURNAL_ENV, atomic_path, commit, rollback  # noqa: E402
from autotariffs.errors import ParameterError  # noqa: E402

KERNEL = "autotariffs"
#: ``AUTOTARIFFS_WARM_KERNEL=0`` starts each kernel as a new process instead of forking it from
#: the runner (:mod:`autotariffs.warm`), e.g. to rule the fork out when a kernel misbehaves
WARM_ENV = "AUTOTARIFFS_WARM_KERNEL"
# errors raised on purpose by the package or its notebooks: one line on the terminal is enough
# (by name: the runner sees only papermill's ename; tests/core/test_error_classes.py checks that every
# AutotariffsError subclass of the package is listed)
KNOWN_ERRORS = frozenset({
    "AutotariffsError", "ChecksumError", "SourceFormatError", "DataContractError", "ParameterError",
    "PanelError", "InferenceError", "EstimationError", "DemeanNotConverged", "FigureDataError",
    "ReportError", "TariffTableError", "FetchError", "NoNetworkError", "ApiError", "AuthError",
    "ApiFormatError", "Unreachable", "TimedOut",
})
_PROGRESS = re.compile(r"(\d+%\|)|(\d(it/s|s/it)\b)|\r")


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove what changes from run to run without changing results."""
    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in ("start_time", "end_time", "duration", "input_path", "output_path",
                    "environment_variables", "version"):
            pm.pop(key, None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in ("start_time", "end_time", "duration", "exception", "status"):
                cpm.pop(key, None)
        if cell.cell_type != "code":
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random id on every run
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                if _PROGRESS.search(out.get("text", "")):
                    continue
            if out.get("output_type") == "display_data":
                data = out.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data:
                    continue
            if (out.get("output_type") == "stream" and kept
                    and kept[-1].get("output_type") == "stream"
                    and kept[-1].get("name") == out.get("name")):
                kept[-1]["text"] += out["text"]  # chunking of kernel output depends on timing
                continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


#: how long a kernel asked to shut down may take to exit before it is interrupted (it is idle
#: after the last cell: ipykernel exits in well under a second)
SHUTDOWN_ASK_S = 3.0


class QuietShutdownKernelManager(AsyncKernelManager):
    """A kernel manager whose shutdown asks the kernel to exit before interrupting it.

    Why: jupyter_client's ``shutdown_kernel`` always sends SIGINT first, then the shutdown request
    (jupyter_client PR 620). A kernel that is still inside a message handler when the signal lands
    logs ``KeyboardInterrupt caught in kernel`` on its stderr, at the end of any papermill or
    nbconvert run that hits that window. After the last cell there is nothing to interrupt, so this
    manager sends the shutdown request and waits for the kernel to exit; only a kernel still
    running after :data:`SHUTDOWN_ASK_S` (a cell that did not finish) is interrupted as before.
    The venv's Jupyter configuration (``make env``) makes ``jupyter nbconvert`` use it too.
    """

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down and self.has_kernel:
            await self._async_request_shutdown()
            try:
                await asyncio.wait_for(self._async_wait(pollinterval=0.05), SHUTDOWN_ASK_S)
                return  # it exited on the request: nothing left to interrupt
            except TimeoutError:
                pass  # still running a cell: interrupt it, then shut down as usual
        await super()._async_interrupt_kernel()


def _ipc_kernel_manager(ipc_dir: str, seed: warm.KernelSeed | None = None) -> type:
    """The runner's kernel manager: IPC (Unix socket) transport, sockets in ``ipc_dir`` (local by
    construction, so ipykernel has no reason to warn "running over TCP without encryption"), the
    shutdown of :class:`QuietShutdownKernelManager`, and the kernel's own stderr in a log beside
    the sockets, whose tail :func:`execute` shows if the kernel dies. With a ``seed``
    (:mod:`autotariffs.warm`) the kernel is that forked child instead of a new process."""
    class IPCKernelManager(QuietShutdownKernelManager):
        def __init__(self, **kw: Any) -> None:
            kw.setdefault("transport", "ipc")
            kw.setdefault("ip", os.path.join(ipc_dir, "kernel"))
            super().__init__(**kw)

        async def _async_pre_start_kernel(self, **kw: Any):
            kw.setdefault("stderr", open(kernel_log(ipc_dir), "ab"))  # noqa: SIM115
            return await super()._async_pre_start_kernel(**kw)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            from jupyter_client.provisioning import LocalProvisioner

            prov = self.provisioner
            if (seed is not None and isinstance(prov, LocalProvisioner)
                    and warm.launch(seed, prov, kernel_cmd, LocalProvisioner._scrub_kwargs(kw))):
                self._reconcile_connection_info(prov.connection_info)
                return
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


def kernel_log(ipc_dir: str) -> str:
    """Where the kernel process writes its stderr during a run (a temporary folder)."""
    return os.path.join(ipc_dir, "kernel-stderr.log")


def failed_path(output: Path) -> Path:
    return output.with_name(output.stem + ".failed.ipynb")


def check_params(params_file: Path, notebook: str) -> dict[str, Any]:
    """Params file against the spec and its name, then against the data of the build, the
    baseline against the inference's needs included (:func:`autotariffs.config.check`).

    In a forked child (:func:`in_child`) where the platform has ``fork``: for 04 the check
    imports the models and builds a panel, ~200 MB that the runner would otherwise hold for as
    long as its kernel runs (two 04 runs side by side took the build past 1 GB). A bad params
    file raises the same :class:`~autotariffs.config.ParameterError` here."""
    from autotariffs.config import check  # (after the preload: it imports pandas)

    if not hasattr(os, "fork"):
        return check(notebook, params_file)
    return in_child(check, notebook, params_file)


def in_child(func: Any, *args: Any) -> Any:
    """``func(*args)`` in a forked child: its return value comes back, or its exception is
    raised here (both pickled through a pipe); the child's memory is returned when it exits."""
    import pickle
    import signal

    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(r)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the runner's handler
            try:
                out = (True, func(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the parent as it is
                out = (False, exc)
            with os.fdopen(w, "wb") as fh:
                fh.write(pickle.dumps(out))
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
    except BaseException:  # interrupted: stop the child too
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"{getattr(func, '__name__', func)} died in its child process "
                           "without a result")
    ok, value = pickle.loads(data)  # noqa: S301 - our own child's output
    if not ok:
        raise value
    return value


def execute(notebook: Path, params_file: Path, output: Path, kernel: str = KERNEL,
            warm_kernel: bool = True) -> float:
    """Check, execute and store one notebook step; a failed or interrupted step leaves the
    previous outputs (executed notebook, results, tables, figures, data) as they were, plus
    ``<output>.failed.ipynb`` with the traceback when a cell failed. With profiling on
    (:mod:`autotariffs.timings`), records where the step's time went."""
    started = timings.process_age()
    t0 = time.perf_counter()
    seed = warm.seed_for(notebook, enabled=warm_kernel)  # before papermill: see autotariffs.warm
    t_preload = time.perf_counter()
    try:
        return _execute(notebook, params_file, output, kernel, seed, started, t0, t_preload)
    finally:
        if seed is not None:
            seed.discard()  # unused (a bad params file, an interrupt before the kernel's start)


def _execute(notebook: Path, params_file: Path, output: Path, kernel: str,
             seed: warm.KernelSeed | None, started: float | None, t0: float,
             t_preload: float) -> float:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t_import = time.perf_counter()
    name = notebook.stem
    params = check_params(params_file, name)
    t_check = time.perf_counter()
    os.environ[paths.BUILD_ENV] = "1"  # the kernel inherits it: this run writes the build
    if timings.enabled():
        os.environ[timings.STEP_ENV] = output.stem  # the kernel's figure records name the step
    called = dt.datetime.now(dt.UTC)
    cells: dict[str, float | None] = {}
    failed = failed_path(output)
    with tempfile.TemporaryDirectory(prefix="autotariffs-kernel-") as ipc:
        journal = Path(ipc) / "journal.jsonl"  # what the kernel replaced (autotariffs.atomic)
        try:
            with atomic_path(output, suffix=".ipynb") as tmp:
                os.environ[JOURNAL_ENV] = str(journal)  # for the kernel only
                try:
                    pm.execute_notebook(
                        str(notebook),
                        str(tmp),
                        parameters=params,
                        kernel_name=kernel,
                        cwd=str(notebook.parent),
                        progress_bar=sys.stderr.isatty(),
                        log_output=False,
                        report_mode=False,
                        kernel_manager_class=_ipc_kernel_manager(ipc, seed),
                    )
                except PapermillExecutionError:
                    if tmp.is_file() and tmp.stat().st_size:
                        shutil.copyfile(tmp, failed)  # the executed notebook keeps the traceback
                    raise
                except (KeyboardInterrupt, ParameterError):
                    raise
                except Exception as exc:  # e.g. the kernel died: say what it printed before dying
                    log = Path(kernel_log(ipc))
                    tail = (log.read_text(errors="replace").strip().splitlines()[-8:]
                            if log.is_file() else [])
                    if tail:
                        raise RuntimeError(f"{exc}\nkernel stderr (last lines):\n"
                                           + "\n".join(tail)) from exc
                    raise
                finally:
                    os.environ.pop(JOURNAL_ENV, None)
                nb = nbformat.read(tmp, as_version=4)
                if timings.enabled():
                    cells = cell_times(nb, called)
                nbformat.write(strip_volatile(nb), tmp)
        except BaseException:
            rollback(journal)  # the step's outputs as they were before it
            raise
        commit(journal)
    failed.unlink(missing_ok=True)
    secs = time.perf_counter() - t0
    if timings.enabled():
        timings.record("step", step=output.stem, started_s=started,
                       wall_s=timings.process_age(),
                       runner_import_s=round(t_import - t_preload, 3),
                       preload_s=round(t_preload - t0, 3),
                       params_check_s=round(t_check - t_import, 3), **cells, **timings.usage())
    return secs


def cell_times(nb: nbformat.NotebookNode, called: dt.datetime) -> dict[str, float | None]:
    """From papermill's cell times: the kernel's start (call to first cell), the import cells
    (code cells before the ``parameters`` cell), the other cells, and what followed the last
    cell (kernel shutdown); seconds."""
    import dateutil.parser

    code = [c for c in nb.cells if c.cell_type == "code"
            and c.metadata.get("papermill", {}).get("start_time")]
    if not code:
        return {}
    first = next((i for i, c in enumerate(code)
                  if "parameters" in c.metadata.get("tags", [])), 0)
    dur = [float(c.metadata.papermill.get("duration") or 0.0) for c in code]
    start = dateutil.parser.parse(code[0].metadata.papermill["start_time"])
    end = dateutil.parser.parse(code[-1].metadata.papermill["end_time"])
    return {"kernel_start_s": round((start - called).total_seconds(), 3),
            "imports_s": round(sum(dur[:first]), 3), "cells_s": round(sum(dur[first:]), 3),
            "after_cells_s": round((dt.datetime.now(dt.UTC) - end).total_seconds(), 3)}


def refresh_source(executed: Path, source: Path) -> None:
    """Copy an executed notebook's checked outputs back into the source notebook.

    Only cells tagged ``nbval-check-output`` keep their outputs (and an execution count, which nbval
    needs to compare them); every other cell is stored clean, and papermill's injected-parameters
    cell is dropped so the stored notebook carries its own defaults.
    """
    nb = nbformat.read(executed, as_version=4)
    cells = []
    count = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            if "nbval-check-output" in tags:
                count += 1
                cell.execution_count = count
                outs = []
                for o in cell.outputs:
                    if o.get("output_type") == "stream" and o.get("name") == "stderr":
                        continue
                    if o.get("output_type") == "execute_result":
                        o["execution_count"] = count
                    outs.append(o)
                cell.outputs = outs
            else:
                cell.execution_count = None
                cell.outputs = []
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python (autotariffs)",
        "language": "python",
        "name": KERNEL,
    }
    with atomic_path(source, suffix=".ipynb") as tmp:
        nbformat.write(nb, tmp)
        # nbformat writes a trailing newline-less file; normalise for stable diffs
        text = tmp.read_text(encoding="utf-8")
        tmp.write_text(json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")

