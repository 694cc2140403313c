"""The fork server (autotariffs.forkserver): a step run by a worker of the server must be the step
run in its own process, byte for byte, and the server must pass signals on, stop the worker of a
client that died, and go away when idle.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from support import ROOT
from support.kernel_facts import run_facts
from support.project import clean_env

from autotariffs import forkserver

pytestmark = pytest.mark.skipif(not forkserver.enabled({forkserver.SERVER_ENV: "1"}),
                                reason="needs fork and Unix sockets")

TIMEOUT = 120


def test_a_served_step_equals_the_step_run_in_its_own_process(tmp_path):
    alone, alone_log = run_facts(tmp_path / "alone", AUTOTARIFFS_FORKSERVER="0")
    served, log = run_facts(tmp_path / "served", AUTOTARIFFS_FORKSERVER="1")
    assert served == alone
    # the worker wrote the same lines to the client's own streams (once each: its logger starts
    # as a new process's; the step's seconds aside)
    def lines(text: str) -> list[str]:
        return [re.sub(r"\(\d+\.\d s\)", "(s)", x) for x in text.splitlines()]

    assert lines(log) == lines(alone_log) and "[ ok ] 06_report (s)" in lines(log)
    # (the run above started a server for its project, which waits IDLE_S seconds for more)
    servers = [p for p in psutil.process_iter(["cmdline"])
               if "autotariffs forkserver" in " ".join(p.info["cmdline"] or [])
               and str(tmp_path / "served") in (p.info["cmdline"] or [])]
    assert servers, "no fork server was started: the step ran on its own"


def _sleeper(folder: Path) -> tuple[Path, Path, Path]:
    """A notebook whose cell writes its kernel's pid to ``mark`` and then sleeps."""
    mark = folder / "kernel.pid"
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell('title = "t"', metadata={"tags": ["parameters"]}),
               nbformat.v4.new_code_cell(
                   f"import os, pathlib, time\npathlib.Path({str(mark)!r}).write_text("
                   "str(os.getpid()))\ntime.sleep(120)")],
        metadata={"kernelspec": {"name": "autotariffs", "display_name": "p", "language": "python"}})
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "06_report.ipynb")
    (folder / "p.yaml").write_text('title: "t"\n')
    return folder / "06_report.ipynb", folder / "p.yaml", mark


def _start(folder: Path) -> tuple[subprocess.Popen, Path, Path]:
    nb, params, mark = _sleeper(folder)
    out = folder / "out" / "06_report.ipynb"
    env = clean_env(("AUTOTARIFFS_",), AUTOTARIFFS_OUTPUT_ROOT=str(folder / "out"),
                    AUTOTARIFFS_FORKSERVER="1")
    proc = subprocess.Popen([sys.executable, "-m", "autotariffs", "run", str(nb), str(params),
                             str(out)], cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + TIMEOUT
    while not (mark.exists() and mark.read_text()):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the kernel never ran the cell"
        time.sleep(0.05)
    return proc, out, mark


def _kernel_gone(mark: Path) -> bool:
    """The kernel that wrote ``mark`` exits (or is an unreaped zombie: see _wait_exit)."""
    try:
        p = psutil.Process(int(mark.read_text()))
        _wait_exit(p)
    except psutil.NoSuchProcess:
        return True
    except AssertionError:
        p.kill()
        return False
    return True


def _wait_exit(proc: psutil.Process) -> None:
    """Until ``proc`` (not our child) has exited: gone, or a zombie its new parent has not reaped
    yet (under `make bench` that parent is the benchmark, a subreaper that reaps at the end)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        assert time.monotonic() < deadline, f"process {proc.pid} still running"
        time.sleep(0.05)


def test_sigterm_to_a_client_interrupts_its_worker_which_leaves_no_output(tmp_path):
    proc, out, mark = _start(tmp_path / "s")
    kernel = psutil.Process(int(mark.read_text()))
    runner = kernel.parent()
    assert runner.pid != proc.pid and "autotariffs forkserver" in " ".join(runner.cmdline()), \
        "the kernel's runner is not a worker of the fork server: the step was not served"
    proc.send_signal(signal.SIGTERM)
    text = proc.communicate(timeout=TIMEOUT)[0]
    assert proc.returncode == 130, text  # the runner's "interrupted" (cli.EXIT_INTERRUPTED)
    assert "[stop] 06_report: interrupted" in text
    assert not out.exists()
    assert _kernel_gone(mark)


def test_a_killed_client_has_its_worker_stopped(tmp_path):
    proc, out, mark = _start(tmp_path / "k")
    proc.kill()
    proc.wait(timeout=TIMEOUT)
    assert _kernel_gone(mark), "the worker of a dead client kept its kernel running"
    assert not out.exists()


def test_the_server_goes_away_when_idle_and_removes_its_socket(tmp_path):
    sock = tmp_path / "s.sock"
    proc = subprocess.Popen([sys.executable, "-m", "autotariffs", "forkserver", str(sock),
                             str(tmp_path)], env=clean_env(("AUTOTARIFFS_",)))
    deadline = time.monotonic() + TIMEOUT
    while not sock.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    t0 = time.monotonic()
    assert proc.wait(timeout=TIMEOUT) == 0
    assert time.monotonic() - t0 >= forkserver.IDLE_S  # (preloading came first)
    assert not sock.exists()


def test_the_servers_key_is_the_environment_less_what_differs_between_steps():
    env = {"PATH": "/bin", "MAKEFLAGS": " -j2 --jobserver-auth=fifo:/tmp/GMfifo1"}
    same = {**env, "PWD": "/elsewhere", "_": "/usr/bin/make", "SHLVL": "3"}
    assert forkserver._key(env) == forkserver._key(same)
    assert forkserver._key(env) != forkserver._key({**env, "OPENBLAS_NUM_THREADS": "4"})
    other_make = {**env, "MAKEFLAGS": " -j1"}
    assert forkserver._key(env) != forkserver._key(other_make)


def test_a_server_under_make_or_when_asked_never_when_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv(forkserver.SERVER_ENV, "0")
    assert forkserver.call(["run", "a", "b", "c"], tmp_path, "autotariffs.cli:main") is None
    on = forkserver.SERVER_ENV
    assert not forkserver.enabled({on: "0", "MAKELEVEL": "1"})
    assert forkserver.enabled({"MAKELEVEL": "1"}) and forkserver.enabled({on: "1"})
    assert not forkserver.enabled({}), "a single command outside make starts no server"


def test_a_request_names_the_clients_streams_folder_environment_and_ignored_signals(tmp_path):
    """The request as the server reads it (a fake server on a socket pair)."""
    import socket

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    code = ("import signal, socket, sys, json\n"
            "from autotariffs import forkserver\n"
            "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
            f"forkserver._connect = lambda p: socket.socket(fileno={b.fileno()})\n"
            "print(forkserver.call(['run', 'x'], __import__('pathlib').Path('.'), 'm:f'))\n")
    env = clean_env(("AUTOTARIFFS_",), MARK="m", AUTOTARIFFS_FORKSERVER="1")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=env, pass_fds=[b.fileno()],
                            stdout=subprocess.PIPE, text=True)
    b.close()
    msg, fds, _, _ = socket.recv_fds(a, forkserver.MAX_REQUEST, 3)
    req = json.loads(msg)
    assert req["argv"] == ["run", "x"] and Path(req["cwd"]) == tmp_path and req["entry"] == "m:f"
    assert req["env"]["MARK"] == "m" and req["ignored"] == [int(signal.SIGHUP)]
    assert len(fds) == 3
    for fd in fds:
        os.close(fd)
    a.sendall(b"pid 999999")
    a.sendall(b"exit 7")
    assert proc.communicate(timeout=TIMEOUT)[0].strip() == "7"
    a.close()


def test_the_first_step_starts_the_server_and_goes_on(tmp_path):
    """``raw verify`` (the first step of a build) starts the server and returns without a request
    of its own; the server drops the empty connection and exits when idle. Switched off: none."""
    code = ("from pathlib import Path; from autotariffs import forkserver; "
            f"print(forkserver.start(Path({str(tmp_path)!r})))")

    def start(switch: str) -> str:
        env = clean_env(("AUTOTARIFFS_",), AUTOTARIFFS_FORKSERVER=switch)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=TIMEOUT)
        return out.stdout.strip() + out.stderr

    assert start("1") == "True"
    servers = [p for p in psutil.process_iter(["cmdline"])
               if "forkserver" in (p.info["cmdline"] or [])
               and (p.info["cmdline"] or [])[-1] == str(tmp_path)]
    assert len(servers) == 1
    _wait_exit(servers[0])  # idle exit, after its imports
    assert start("0") == "False"


def test_the_first_step_starts_the_server_the_next_steps_use():
    """``raw verify`` starts the server under the key a ``run`` client then computes: the key is
    the environment a command starts with, so raw verify asks for it before its own imports
    (pandera sets PYARROW_IGNORE_TIMEZONE on import; asked after them, it started a server no
    later step used)."""
    env = clean_env(("AUTOTARIFFS_",), AUTOTARIFFS_FORKSERVER="1", AUTOTARIFFS_ROOT=str(ROOT))
    env.pop("PYARROW_IGNORE_TIMEZONE", None)
    res = subprocess.run([sys.executable, "-m", "autotariffs", "raw", "verify"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    client = subprocess.run([sys.executable, "-c", "from autotariffs import forkserver; "
                             "print(forkserver.socket_path())"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    sock = client.stdout.strip()
    servers = [p for p in psutil.process_iter(["cmdline"]) if sock in (p.info["cmdline"] or [])]
    assert servers, f"no server on {sock}: raw verify started one under another key"
    _wait_exit(servers[0])
