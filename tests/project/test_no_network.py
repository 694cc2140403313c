"""The conftest network guard trips on real connection attempts and spares loopback/AF_UNIX."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from support import PYTEST, TESTS

from autotariffs.data.sources.http import ApiSession, NoNetworkError


def _blocked(guard, fn, *args):  # noqa: ANN001, ANN002
    with pytest.raises(OSError, match="network access blocked"):
        fn(*args)
    assert guard.attempts, "the guard did not record the attempt"
    guard.attempts.clear()


def test_create_connection_to_public_ip_is_blocked(network_guard) -> None:  # noqa: ANN001
    _blocked(network_guard, socket.create_connection, ("93.184.216.34", 80), 1)


def test_dns_lookup_of_public_host_is_blocked(network_guard) -> None:  # noqa: ANN001
    _blocked(network_guard, socket.getaddrinfo, "api.census.gov", 443)


def test_raw_socket_connect_and_connect_ex_are_blocked(network_guard) -> None:  # noqa: ANN001
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        _blocked(network_guard, s.connect, ("8.8.8.8", 53))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        _blocked(network_guard, s.connect_ex, ("1.1.1.1", 443))


def test_requests_get_is_blocked(network_guard) -> None:  # noqa: ANN001
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.stlouisfed.org/fred/series", timeout=2)
    assert any("api.stlouisfed.org" in a for a in network_guard.attempts)
    network_guard.attempts.clear()


def test_loopback_and_unix_sockets_stay_allowed(tmp_path: Path, network_guard) -> None:  # noqa: ANN001
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        with socket.create_connection(("localhost", port), timeout=2):
            pass
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
            c.settimeout(2)
            assert c.connect_ex(("127.0.0.1", port)) == 0
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(8)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.connect(str(path))
    assert network_guard.attempts == []


def test_client_fails_fast_with_no_network_message(tmp_path: Path, network_guard) -> None:  # noqa: ANN001
    """The real session (real urllib3 retries) against a blocked host: NoNetworkError naming the
    host, within the 30 s budget; the guard recorded the 1 + 2 connection attempts."""
    sess = ApiSession(cache_dir=tmp_path / "cache")
    t0 = time.monotonic()
    with pytest.raises(NoNetworkError, match=r"cannot reach api\.census\.gov \(no network\?\)"):
        sess.get("https://api.census.gov/data/timeseries/intltrade/imports/hs", {"get": "X"})
    assert time.monotonic() - t0 < 30
    assert len([a for a in network_guard.attempts if "api.census.gov" in a]) == 3
    network_guard.attempts.clear()
    assert not (tmp_path / "cache").exists()


def test_swallowed_attempt_still_fails_the_test(tmp_path: Path) -> None:
    """Run an inner pytest session whose test catches the guard's error: it must fail."""
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(
        "import socket\n"
        "def test_sneaky():\n"
        "    try:\n"
        "        socket.create_connection(('203.0.113.5', 80), 1)\n"
        "    except OSError:\n"
        "        pass\n"
        "def test_clean():\n"
        "    assert True\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [*PYTEST, "-q", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "tried to use the network" in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout
