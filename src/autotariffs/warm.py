"""Warm starts for notebook steps: the kernel is forked from the runner, not started afresh.

Why: on the reference machine about 40% of a clean build's CPU time went into starting Python
processes and importing the same libraries again in each of them: for every notebook step, the
runner, its parameter check and its kernel each imported pandas, scipy, statsmodels and
matplotlib. A kernel started by ``python -m ipykernel_launcher`` cannot reuse what the runner
already imported; a forked one can.

So the runner (:mod:`autotariffs.run`)

1. executes the import statements of the notebook's cells above its ``parameters`` cell
   (:func:`preload`): what the kernel's first cells will import anyway;
2. forks a :class:`KernelSeed`: a child that waits, before any event loop, socket or thread
   exists, for the kernel manager to hand it its connection file;
3. runs papermill as before; its kernel manager (``run._ipc_kernel_manager``) gives the command
   papermill would have launched to the seed instead of to ``Popen``. The seed then does what
   ``python -m ipykernel_launcher -f <file>`` does, in the same environment and folder, with the
   same standard streams: a new session, the kernel's stderr in the step's log, stdin closed.

The kernel's imports then cost nothing, and every cell runs as in a fresh kernel: same
environment (``MPLBACKEND`` is set before matplotlib is imported, as ipykernel would set it), no
inherited exit handlers, signal handlers or log handlers, and the executed notebooks are byte for
byte those of a ``Popen``-started kernel (``tests/app/test_warm.py``). A kernel command other than
this interpreter's ``ipykernel_launcher`` (another kernel spec) is launched the usual way.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

#: what ipykernel sets when the environment names no matplotlib backend (kernelapp.init_gui_pylab);
#: matplotlib reads it once, on import, so a preloaded matplotlib must see it already
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def import_source(notebook: Path) -> str:
    """The import statements of the notebook's code cells above its ``parameters`` cell, as one
    block of Python (``""`` if there is no such cell or nothing parses)."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # papermill reports it when it reads the notebook
        return ""
    lines: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return "\n".join(lines)
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body
                  if isinstance(node, ast.Import | ast.ImportFrom)]
    return ""


def preload(notebook: Path) -> None:
    """Import here what the notebook's first cells import, so that a kernel forked from this
    process finds them loaded. A statement that fails is skipped: the kernel runs it again and
    reports the error in its cell, as it always did."""
    import_as_kernel(["import ipykernel.kernelapp", *import_source(notebook).splitlines()],
                     str(notebook))


def import_as_kernel(statements: list[str], where: str = "<preload>") -> None:
    """Run import ``statements`` the way a kernel would import them: matplotlib sees the
    kernel's backend, and a library asking whether it runs in a Jupyter kernel hears yes."""
    import builtins

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    had = hasattr(builtins, "get_ipython")
    if not had:  # what a kernel's modules see when they import: see _KernelShell
        builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]
    try:
        for stmt in statements:
            try:
                exec(compile(stmt, where, "exec"), {"__name__": "__preload__"})  # noqa: S102
            except Exception:  # noqa: BLE001, S112 - the kernel raises it where the user sees it
                continue
    finally:
        if not had:
            del builtins.get_ipython  # type: ignore[attr-defined]


class _KernelShell:
    """Stands in for the builtin ``get_ipython`` while :func:`preload` imports: a library that
    asks on import whether it runs in a Jupyter kernel (pandas: ``get_ipython()`` has a
    ``kernel`` -> ``display.max_columns`` 20, not the terminal's 0) gets the answer the kernel
    it is imported for would give."""

    kernel = None


#: interpreter options a kernel spec may give that do not change what a kernel computes
#: (ipykernel's spec asks for ``-Xfrozen_modules=off`` so that its debugger sees the stdlib's source)
HARMLESS_OPTIONS = frozenset({"-Xfrozen_modules=off"})


def _is_ipykernel(cmd: list[str]) -> bool:
    """``cmd`` is ``<this python> [harmless options] -m ipykernel_launcher -f <connection file>``."""
    return (len(cmd) >= 5 and cmd[-4:-1] == ["-m", "ipykernel_launcher", "-f"]
            and set(cmd[1:-4]) <= HARMLESS_OPTIONS
            and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable))


class ForkedKernel:
    """The seed after it became the kernel, with the parts of :class:`subprocess.Popen` that
    jupyter_client's local provisioner uses (``pid``, ``poll``, ``wait``, signals, streams)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped elsewhere: it is gone
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class KernelSeed:
    """A child forked now that becomes the kernel when :meth:`launch` sends it its command.

    Fork it early, before the runner creates threads, event loops, sockets or exit handlers that
    the kernel must not inherit. :meth:`discard` (or the runner's exit, which closes the pipe)
    makes an unused seed exit at once."""

    def __init__(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the seed: never returns
            os.close(w)
            _become_kernel(r)
        os.close(r)
        self.pid, self._w = pid, w

    def launch(self, cmd: list[str], env: dict[str, str], cwd: str | None,
               stderr_path: str | None) -> ForkedKernel:
        """Turn the seed into ``cmd`` (an ipykernel command line) in ``env`` and ``cwd``, its
        stderr appended to ``stderr_path``; the handle the provisioner keeps."""
        req = {"argv": cmd[-2:], "env": env, "cwd": cwd or os.getcwd(), "stderr": stderr_path}
        with os.fdopen(self._w, "wb") as fh:
            fh.write(json.dumps(req).encode("utf-8"))
        self._w = -1
        return ForkedKernel(self.pid)

    def discard(self) -> None:
        """An unused seed exits (closing its pipe tells it) and is reaped."""
        if self._w >= 0:
            os.close(self._w)
            self._w = -1
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


#: the forked kernel's process name (``ps``, ``top``, psutil's ``name()``): its command line is
#: still the runner's, so this is how to tell it apart
KERNEL_NAME = "ipykernel"


def _name_process(name: str) -> None:  # pragma: no cover - runs in the forked child
    """Set this process's name where Linux allows it (best effort; no-op elsewhere)."""
    try:
        with open("/proc/self/comm", "w", encoding="ascii") as fh:
            fh.write(name[:15])
    except OSError:
        pass


def _become_kernel(r: int) -> None:  # pragma: no cover - runs in the forked child
    """The seed's life: wait for the command, then be ``python -m ipykernel_launcher`` with it."""
    import atexit
    import logging

    code = 1
    try:
        atexit._clear()  # the runner's exit handlers (temporary folders, ...) are not the kernel's
        atexit.register(logging.shutdown)  # as logging's import registers it in a new process
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
        if not data:  # discarded
            code = 0
            return
        req = json.loads(data)
        _name_process(KERNEL_NAME)
        os.setsid()  # as launch_kernel's start_new_session: the terminal's Ctrl-C is the runner's
        if req["stderr"]:
            fd = os.open(req["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.dup2(fd, 2)
            os.close(fd)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        here = os.getcwd()
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        # sys.path as ipykernel_launcher leaves it: without the runner's own first entry
        if sys.path and (sys.path[0] in ("", here) or Path(sys.path[0]) == Path(here)):
            del sys.path[0]
        forget_env_readers()
        import importlib.util

        from ipykernel import kernelapp

        launcher = importlib.util.find_spec("ipykernel_launcher")
        sys.argv = [launcher.origin if launcher else kernelapp.__file__, *req["argv"]]
        # (IPKernelApp reads these two when its class is defined, i.e. when the runner imported
        # it: they are given from the kernel's environment instead)
        kernelapp.launch_new_instance(
            argv=req["argv"], parent_handle=int(os.environ.get("JPY_PARENT_PID") or 0),
            interrupt=int(os.environ.get("JPY_INTERRUPT_EVENT") or 0))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - printed to the kernel's stderr log like any crash
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


#: modules that read the environment when imported, which differs between the runner and its
#: kernel: the package's own (``paths`` fixes the output root from ``AUTOTARIFFS_BUILD`` on
#: import; ``autotariffs`` sets ``TQDM_DISABLE`` in a kernel) and tqdm (reads ``TQDM_*`` on import)
ENV_READERS = ("autotariffs", "tqdm")


def forget_env_readers() -> None:
    """Drop :data:`ENV_READERS` and their submodules from ``sys.modules``: the kernel imports them
    again in its own environment, as a fresh kernel would (they are light; the libraries they
    import stay loaded). The package's logger is reset too (it outlives its modules, in
    :mod:`logging`): no handlers, no level, as in a new interpreter."""
    import logging

    for name in [m for m in sys.modules if m.split(".", 1)[0] in ENV_READERS]:
        del sys.modules[name]
    pkg = logging.getLogger("autotariffs")
    pkg.handlers.clear()
    pkg.setLevel(logging.NOTSET)


def seed_for(notebook: Path, enabled: bool = True) -> KernelSeed | None:
    """Preload the notebook's imports and fork the kernel's seed (``None`` where the platform has
    no ``fork`` or ``enabled`` is false: the kernel starts as a new process)."""
    if not enabled or not hasattr(os, "fork"):
        return None
    preload(notebook)
    return KernelSeed()


def launch(seed: KernelSeed, provisioner: Any, cmd: list[str], kw: dict[str, Any]) -> bool:
    """Start ``cmd`` in ``seed`` for jupyter_client's local ``provisioner`` (what its
    ``launch_kernel`` does with ``Popen``); false if ``cmd`` is not an ipykernel of this Python."""
    if not _is_ipykernel(cmd):
        return False
    env = dict(kw.get("env") or os.environ)
    env["JPY_PARENT_PID"] = str(os.getpid())  # as launch_kernel: the kernel exits with us
    err = kw.get("stderr")
    proc = seed.launch(cmd, env, kw.get("cwd"), getattr(err, "name", None))
    provisioner.process = proc
    provisioner.pid = proc.pid
    provisioner.pgid = proc.pid  # its own session (setsid), as launch_kernel's new session
    provisioner.cwd = kw.get("cwd") or os.getcwd()
    return True
