"""A researcher opening the project in Jupyter gets the ``autotariffs`` kernel and can import it.

Starts ``jupyter server`` from the project venv on a free loopback port with a random token,
checks ``/api/kernelspecs`` lists ``autotariffs`` (pointing at this venv's Python), starts that
kernel and runs ``import autotariffs`` over the kernel websocket, then shuts everything down.
Every wait is bounded; no network beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autotariffs import paths

requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket", reason="websocket-client is needed")

JUPYTER = Path(sys.executable).with_name("jupyter")
START_TIMEOUT = 90
EXEC_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    if not JUPYTER.exists():
        pytest.skip(f"{JUPYTER} not found (jupyter_server not installed in this environment)")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # ignore the user's own config
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(JUPYTER),
            "server",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={paths.ROOT}",
            # CI containers run as root; jupyter refuses that unless told explicitly
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"jupyter server exited early:\n{(tmp_path / 'server.log').read_text()}"
                )
            try:
                if requests.get(f"{base}/api/status", headers=headers, timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter server not ready after {START_TIMEOUT}s")
            time.sleep(0.3)
        yield {"base": base, "headers": headers, "token": token, "port": port}
    finally:
        try:
            requests.post(f"{base}/api/shutdown", headers=headers, timeout=10)
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - fall back to terminating our own process
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        log.close()


def _msg(msg_type: str, content: dict, session: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "test",
            "session": session,
            "date": "2020-01-01T00:00:00Z",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


def _run(ws, code: str, session: str) -> tuple[dict, str]:
    """Execute ``code``; return (execute_reply content, captured stdout)."""
    msg = _msg(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        session,
    )
    ws.send(json.dumps(msg))
    out, reply, idle = [], None, False
    deadline = time.monotonic() + EXEC_TIMEOUT
    # iopub 'idle' and the shell 'execute_reply' travel on different channels and may arrive in
    # either order: stop when both have been seen, and never block past the deadline
    while time.monotonic() < deadline and not (reply is not None and idle):
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            m = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            break
        if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind = m["header"]["msg_type"]
        if kind == "stream":
            out.append(m["content"]["text"])
        elif kind == "error":
            out.append("\n".join(m["content"]["traceback"]))
        elif kind == "execute_reply":
            reply = m["content"]
        elif kind == "status" and m["content"]["execution_state"] == "idle":
            idle = True
    if reply is None:
        pytest.fail(f"no execute_reply within {EXEC_TIMEOUT}s; output so far: {''.join(out)}")
    return reply, "".join(out)


@pytest.mark.slow
def test_project_kernel_listed_and_imports_package(server):
    base, headers = server["base"], server["headers"]
    specs = requests.get(f"{base}/api/kernelspecs", headers=headers, timeout=30).json()
    assert "autotariffs" in specs["kernelspecs"], sorted(specs["kernelspecs"])
    argv0 = specs["kernelspecs"]["autotariffs"]["spec"]["argv"][0]
    # the kernel must run this project's interpreter, not some other Python on PATH
    assert Path(argv0).resolve() == Path(sys.executable).resolve(), argv0

    r = requests.post(
        f"{base}/api/kernels", headers=headers, json={"name": "autotariffs"}, timeout=60
    )
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server['port']}/api/kernels/{kid}/channels?token={server['token']}",
        timeout=EXEC_TIMEOUT,
        suppress_origin=True,
    )
    try:
        session = uuid.uuid4().hex
        reply, out = _run(
            ws,
            "import autotariffs, autotariffs.paths as p, sys\n"
            "print(autotariffs.__version__, p.ROOT, sys.executable, sep='|')",
            session,
        )
        assert reply["status"] == "ok", out
        version, root, exe = out.strip().split("|")
        assert version == __import__("autotariffs").__version__
        assert Path(root) == paths.ROOT
        assert Path(exe).resolve() == Path(sys.executable).resolve()
        # a failing cell is reported as an error (the check above can fail)
        reply, out = _run(ws, "import autotariffs_does_not_exist", session)
        assert reply["status"] == "error" and "ModuleNotFoundError" in out
    finally:
        ws.close()
        d = requests.delete(f"{base}/api/kernels/{kid}", headers=headers, timeout=60)
        assert d.status_code == 204
