"""A fork server for the build's steps: the libraries are imported once per ``make``, not per step.

Why: each notebook step of a clean build started a Python that imported pandas, scipy,
statsmodels, matplotlib, papermill and ipykernel before doing any work: about 1.5 to 3 seconds
of CPU per step on the reference machine, eight times per build. The warm kernel
(:mod:`autotariffs.warm`) already shares them between a step's runner and its kernel; this
module shares them between steps.

How. ``autotariffs run`` (the command Make calls for each notebook) is a *client*: it connects to
the server of its environment (:func:`socket_path`), starting one if there is none, sends its
arguments, environment, working folder and its standard input, output and error (the file
descriptors themselves), and waits. The server, a process that imported those libraries once,
forks a *worker* that takes over the client's streams, folder and environment, drops the
package's own modules (they are imported again in the worker's environment and from the source
on disk: :func:`autotariffs.warm.forget_env_readers`) and runs the command. The client exits with
the worker's exit code; Ctrl-C or SIGTERM on the client is passed on to the worker, and a worker
whose client disappeared is stopped.

Scope and lifetime. The server's key is a hash of the interpreter, its installed packages and the
environment the client started with (Make's ``MAKEFLAGS`` included: a ``make -j1`` has another
server than a ``make -j2``); it exits when it has had no worker for :data:`IDLE_S` seconds, so
builds run back to back in one environment may share it (each worker imports the package afresh
from the source on disk). A command must ask for the server before it imports libraries that set
environment variables on import (pandera does). Nothing the build writes depends
on it: with ``AUTOTARIFFS_FORKSERVER=0``, or where it cannot start, each command runs in its own
process as before, and the outputs are byte-identical either way (``tests/app/test_forkserver.py``).
Its CPU time is counted where its parent reaps it; ``scripts/bench.py`` adopts it (Linux
subreaper) so that a build's CPU seconds include it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autotariffs import optional_imports  # noqa: F401  (before the preload imports nbformat)

log = logging.getLogger(__name__)


#: ``AUTOTARIFFS_FORKSERVER=0`` runs every command in its own process, ``=1`` uses a server outside
#: Make too (by default only commands that Make runs use one: :func:`enabled`)
SERVER_ENV = "AUTOTARIFFS_FORKSERVER"
#: seconds without a worker after which the server exits
IDLE_S = 3.0
#: seconds a client waits for a server it started to accept connections
START_TIMEOUT_S = 30.0
#: signals a client passes on to its worker (Ctrl-C, make's or a user's SIGTERM, a closed terminal)
PASSED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: the largest request (arguments and environment) a client may send
MAX_REQUEST = 1 << 20
#: environment variables that differ between the steps of one build and that no library reads on
#: import: left out of the server's key
VOLATILE_ENV = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "MAKE_TERMOUT", "MAKE_TERMERR"})
#: what the server imports before it forks its first worker: the libraries of the runner and the
#: kernel and those every notebook uses; each notebook's own first-cell imports follow, one
#: statement at a time while the first steps run (:func:`serve`)
PRELOAD = ("numpy", "pandas", "pyarrow.parquet", "matplotlib.pyplot", "yaml", "nbformat",
           "jupyter_client.manager", "papermill", "ipykernel.kernelapp")


def enabled(env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Use a server: under Make (a build runs several steps; one step alone gains nothing from
    a server that first imports the libraries it then shares) unless ``AUTOTARIFFS_FORKSERVER``
    is 0, or anywhere if it is 1; only where the platform can fork and pass descriptors."""
    want = env.get(SERVER_ENV, "")
    return ((want == "1" or (want != "0" and "MAKELEVEL" in env)) and hasattr(os, "fork")
            and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX"))


def _key(env: dict[str, str] | os._Environ[str]) -> str:
    """The server a client may use: same interpreter, same installed packages, same environment."""
    import sysconfig

    site = sysconfig.get_paths()["purelib"]
    try:
        stamp = os.stat(site).st_mtime_ns
    except OSError:
        stamp = 0
    kept = sorted((k, v) for k, v in env.items() if k not in VOLATILE_ENV)
    # (sys.path less its first entry, which is the folder or '' depending on how Python started)
    blob = json.dumps([os.path.realpath(sys.executable), sys.path[1:], site, stamp, kept])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def socket_path(env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where the server of this environment listens (a private folder of this user)."""
    base = Path(tempfile.gettempdir()) / f"autotariffs-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    return base / f"{_key(env)}.sock"


# ---- client ---------------------------------------------------------------------------------------
def _connect(path: Path) -> socket.socket | None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(str(path))
    except OSError:
        s.close()
        return None
    return s


def _start_server(path: Path, root: Path) -> socket.socket | None:
    """Start the server for ``path`` unless another client is starting it, then connect."""
    lock = path.with_suffix(".lock")
    with open(lock, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # one starter; the others wait here, then connect
        conn = _connect(path)
        if conn is not None:
            return conn
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead server's socket
        subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "autotariffs", "forkserver", str(path), str(root)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True, cwd="/")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            conn = _connect(path)
            if conn is not None:
                return conn
            time.sleep(0.01)
    return None


def _server(root: Path) -> socket.socket | None:
    """A connection to this environment's server, started if there is none (it accepts once its
    first imports are done); ``None`` where none can be used."""
    if not enabled():
        return None
    try:
        path = socket_path()
        return _connect(path) or _start_server(path, root)
    except OSError:
        return None


def start(root: Path) -> bool:
    """Start this environment's server now if there is none, without waiting for its imports
    (the build's first step calls it, so that the server imports while that step works); true
    if a server is running or starting."""
    conn = _server(root)
    if conn is None:
        return False
    conn.close()  # (the server reads an empty request and drops it)
    return True


def call(argv: Sequence[str], root: Path, entry: str) -> int | None:
    """Run ``entry(argv, serve=False)`` (``entry``: ``"module:function"``, the command's main)
    in a worker of this environment's server, as this process would run it, and return its exit
    code; ``None`` if there is no server to use (the caller then runs the command itself).
    ``root``: the project whose notebooks' imports a server started here preloads."""
    conn = _server(root)
    if conn is None:
        return None
    with conn:
        # (a signal this process ignores, e.g. SIGINT in a job of a non-interactive shell, is
        # ignored by the worker too and not passed on)
        ignored = [int(s) for s in PASSED_SIGNALS if signal.getsignal(s) == signal.SIG_IGN]
        req = {"entry": entry, "argv": list(argv), "argv0": sys.argv[0], "cwd": os.getcwd(),
               "env": dict(os.environ), "path": list(sys.path), "ignored": ignored}
        try:
            socket.send_fds(conn, [json.dumps(req).encode("utf-8")], [0, 1, 2])
            reply = conn.recv(64)
        except OSError:
            return None  # nothing started: the caller runs it
        if not reply.startswith(b"pid "):
            return None
        pid = int(reply.split()[1])

        def forward(signum: int, frame: Any) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

        for sig in PASSED_SIGNALS:
            if int(sig) not in ignored:
                signal.signal(sig, forward)
        while True:
            try:
                reply = conn.recv(64)
                break
            except InterruptedError:  # (PEP 475 retries; kept for clarity)
                continue
        if not reply.startswith(b"exit "):
            log.error("[fail] autotariffs %s: the fork server ended before its worker reported; "
                      "run it again (AUTOTARIFFS_FORKSERVER=0 runs it on its own)",
                      " ".join(argv[:1]))
            return 1
        return int(reply.split()[1])


# ---- server ---------------------------------------------------------------------------------------
def notebook_imports(root: Path) -> list[str]:
    """The first-cell import statements of the project's notebooks, in build order, once each."""
    from autotariffs import warm

    nbdir = root / "notebooks"
    stmts: list[str] = []
    for nb in sorted(nbdir.glob("*.ipynb")) if nbdir.is_dir() else []:
        stmts += warm.import_source(nb).splitlines()
    return list(dict.fromkeys(stmts))


def serve(path: Path, root: Path) -> None:
    """Listen on ``path`` until idle for :data:`IDLE_S` seconds with no worker running."""
    from autotariffs import warm

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(64)
    ino = os.stat(path).st_ino
    # imported as a kernel would (autotariffs.warm.import_as_kernel); a failure is left to the
    # step that needs the module. The package's modules are imported for their libraries only:
    # each worker drops them and imports them afresh (forget_env_readers).
    warm.import_as_kernel([f"import {m}" for m in PRELOAD], "<fork server>")
    pending = notebook_imports(root)
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(r, selectors.EVENT_READ, "child")
    workers: dict[int, socket.socket] = {}
    idle_since = time.monotonic()
    try:
        while True:
            events = sel.select(timeout=0 if pending else None if workers else IDLE_S)
            if not events and pending:  # nothing to answer: import the next module
                warm.import_as_kernel([pending.pop(0)], "<fork server>")
                if not pending:
                    warm.forget_env_readers()
                    idle_since = time.monotonic()
                continue
            if not events and not workers and time.monotonic() - idle_since >= IDLE_S:
                break
            for key, _ in events:
                if key.data == "accept":
                    _accept(listener, sel, workers, (listener, r, w, *workers.values()))
                elif key.data == "child":
                    with contextlib.suppress(BlockingIOError):
                        os.read(r, 4096)
                    _reap(sel, workers)
                else:  # a client's socket: readable only when it went away
                    _client_gone(key.data, sel, workers)
            if not workers:
                idle_since = time.monotonic()
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == ino:  # still ours
                path.unlink()


def _accept(listener: socket.socket, sel: selectors.BaseSelector,
            workers: dict[int, socket.socket], inherited: tuple[Any, ...]) -> None:
    conn, _ = listener.accept()
    try:
        msg, fds, _flags, _addr = socket.recv_fds(conn, MAX_REQUEST, 3)
        req = json.loads(msg)
        if len(fds) != 3:
            raise ValueError("expected three file descriptors")
    except (OSError, ValueError):
        conn.close()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the worker: never returns (jemalloc, pyarrow's allocator, has a background
        # thread here; its fork handlers keep the allocator usable in the child)
        _worker(req, fds, conn, inherited, sel)
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(f"pid {pid}".encode())
    except OSError:
        os.kill(pid, signal.SIGTERM)
    workers[pid] = conn
    sel.register(conn, selectors.EVENT_READ, pid)


def _reap(sel: selectors.BaseSelector, workers: dict[int, socket.socket]) -> None:
    while workers:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = workers.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code  # killed by signal N: as a shell reports it
        with contextlib.suppress(OSError):
            conn.sendall(f"exit {code}".encode())
        sel.unregister(conn)
        conn.close()


def _client_gone(pid: int, sel: selectors.BaseSelector, workers: dict[int, socket.socket]) -> None:
    """The client of worker ``pid`` closed its end (it was killed): stop the worker."""
    conn = workers.get(pid)
    if conn is None:
        return
    with contextlib.suppress(OSError):
        if conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
            return  # (clients send nothing more; ignore)
    sel.unregister(conn)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def _worker(req: dict[str, Any], fds: list[int], conn: socket.socket,
            inherited: tuple[Any, ...], sel: selectors.BaseSelector) -> None:  # pragma: no cover
    """Become the client's command: its streams, folder, environment and arguments."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in req.get("ignored", []):  # as the client's: see call()
            signal.signal(sig, signal.SIG_IGN)
        sel.close()
        conn.close()
        for obj in inherited:
            if isinstance(obj, int):
                os.close(obj)
            else:
                obj.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.argv = [req["argv0"], *req["argv"]]
        sys.path[:] = req["path"]
        from autotariffs import warm

        warm.forget_env_readers()
        module, func = req["entry"].split(":")
        code = getattr(importlib.import_module(module), func)(req["argv"], serve=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the client's stderr
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(socket_file: Path, root: Path) -> int:
    """The server's life (``autotariffs forkserver SOCKET ROOT``, which :func:`call` starts)."""
    try:
        serve(socket_file, root)
    except OSError as exc:
        log.error("[fail] fork server %s: %s", socket_file, exc)
        return 1
    return 0
