"""Test-suite guard: no test may open a real network connection.

Why: CI must be reproducible offline, and a test that silently downloads would make results
depend on the live APIs. Connections to loopback (127.0.0.0/8, ::1, localhost) and AF_UNIX stay
allowed because Jupyter kernels and a local Jupyter server use them. Every blocked attempt
raises ``NetworkBlockedError`` *and* is recorded; the autouse fixture then fails the test even
if the code under test swallowed the exception (e.g. a client turning it into "no network").
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

# Tests check the outputs of the last `make` (data/processed, reports/), which is where a build run
# reads and writes; without this, autotariffs.paths would point an outside-make process at the
# scratch/ sandbox. Tests that start kernels set AUTOTARIFFS_OUTPUT_ROOT or their own environment.
os.environ.setdefault("AUTOTARIFFS_BUILD", "1")
# Under `make test` pytest inherits Make's variables, and a command a test starts would then act
# as a build step (autotariffs.forkserver serves build steps: one server per test environment,
# each importing every notebook's libraries for one notebook run). Tests run the same under
# `make test` as under plain pytest; a test that wants Make starts make itself.
for _var in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
    os.environ.pop(_var, None)

_ALLOWED_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlockedError(OSError):
    """Raised by the guard instead of opening a non-loopback connection."""


class _Guard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def local(self, host: object) -> bool:
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        host = str(host).strip("[]").split("%", 1)[0]
        if host in ("", "0.0.0.0", "::") or host.lower() in _ALLOWED_NAMES:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def block(self, what: str) -> None:
        self.attempts.append(what)
        raise NetworkBlockedError(f"network access blocked in tests: {what}")


GUARD = _Guard()
_real = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "create_connection": socket.create_connection,
    "getaddrinfo": socket.getaddrinfo,
}


def _inet_target(sock: socket.socket, address: object) -> str | None:
    """'host:port' if ``address`` is a non-loopback internet address, else None."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None  # AF_UNIX, netlink, ...: local by construction
    if isinstance(address, tuple) and address and not GUARD.local(address[0]):
        return f"{address[0]}:{address[1] if len(address) > 1 else '?'}"
    return None


def _connect(self, address):  # noqa: ANN001, ANN202
    if (target := _inet_target(self, address)) is not None:
        GUARD.block(f"socket.connect({target})")
    return _real["connect"](self, address)


def _connect_ex(self, address):  # noqa: ANN001, ANN202
    if (target := _inet_target(self, address)) is not None:
        GUARD.block(f"socket.connect_ex({target})")
    return _real["connect_ex"](self, address)


def _create_connection(address, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    if not GUARD.local(address[0]):
        GUARD.block(f"socket.create_connection({address[0]}:{address[1]})")
    return _real["create_connection"](address, *args, **kwargs)


def _getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    if not GUARD.local(host):
        GUARD.block(f"socket.getaddrinfo({host!r})")
    return _real["getaddrinfo"](host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.create_connection = _create_connection
    socket.getaddrinfo = _getaddrinfo


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _real["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _real["connect_ex"]  # type: ignore[method-assign]
    socket.create_connection = _real["create_connection"]
    socket.getaddrinfo = _real["getaddrinfo"]


@pytest.fixture
def network_guard() -> _Guard:
    """The guard; a test that *expects* blocked attempts clears ``network_guard.attempts``."""
    return GUARD


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """Fail the test itself (not only its teardown) when it tried to reach the network."""
    result = yield
    if GUARD.attempts:
        blocked = list(GUARD.attempts)
        GUARD.attempts.clear()
        pytest.fail(f"test tried to use the network (blocked): {blocked}", pytrace=False)
    return result


@pytest.fixture(autouse=True)
def _no_network() -> object:
    """Also catch attempts made by fixtures during setup/teardown."""
    GUARD.attempts.clear()
    yield
    if GUARD.attempts:
        blocked = list(GUARD.attempts)
        GUARD.attempts.clear()
        pytest.fail(f"test tried to use the network (blocked): {blocked}", pytrace=False)



# ---- data several stages' tests read (session-scoped: read once; a test must not change them) ----
# (imports inside the fixtures: the network guard above is copied alone by tests/project/
# test_no_network.py into an inner pytest session)


def _read_only(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """Hand ``frame`` to every test that asks for it; fail at the end of the session if a test
    changed it in place (a test that edits shared data must copy it first)."""
    before = frame.copy(deep=True)
    yield frame
    assert frame.equals(before), "a test changed a session-shared frame in place (copy it first)"


@pytest.fixture(scope="session")
def events() -> Iterator[pd.DataFrame]:
    """The tariff event table (data/raw/tariffs), as ``tariffs.schedule.load_events`` reads it."""
    from support.mutation import shared

    from autotariffs.tariffs import schedule

    yield from _read_only(shared("events", schedule.load_events))


@pytest.fixture(scope="session")
def tariff_schedule(events: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The monthly statutory schedule 2013-01 to 2026-06, every origin and product."""
    from support.mutation import shared

    from autotariffs.tariffs import schedule

    yield from _read_only(shared("tariff_schedule", lambda: schedule.monthly_schedule(
        schedule.daily_schedule(events, start="2013-01-01", end="2026-06-30"))))


@pytest.fixture(scope="session")
def flows() -> Iterator[pd.DataFrame]:
    """The canonical flows of every shipped raw trade file (``data.build.read_flows``)."""
    from support.mutation import shared

    from autotariffs.data.build import read_flows

    yield from _read_only(shared("flows", read_flows))


# ---- notebooks/ is the researchers' source: no test, and nothing a test runs, may write it --------
# Only `make notebooks-refresh` (autotariffs refresh-notebook) and `make notebooks-sync` (jupytext)
# write notebooks/; a cell edited in JupyterLab must survive `make test`. The session fails if any
# file in notebooks/ (or its params/) was added, removed or changed while the tests ran.
_NOTEBOOKS_AT_START: dict[str, str] = {}


def notebooks_snapshot() -> dict[str, str]:
    """notebooks/ file (relative path) -> SHA-256, for every .ipynb, .py and params .yaml."""
    import hashlib

    from autotariffs import paths

    return {p.relative_to(paths.NOTEBOOKS).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths.NOTEBOOKS.rglob("*"))
            if p.is_file() and p.suffix in (".ipynb", ".py", ".yaml")
            and ".ipynb_checkpoints" not in p.parts}


def notebooks_changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Sorted 'changed|added|removed: path' lines between two snapshots."""
    lines = [f"changed: {k}" for k in before.keys() & after.keys() if before[k] != after[k]]
    lines += [f"added: {k}" for k in after.keys() - before.keys()]
    lines += [f"removed: {k}" for k in before.keys() - after.keys()]
    return sorted(lines)


def _xdist_worker(session: pytest.Session) -> bool:
    """True in a pytest-xdist worker: the controller alone (started before and ending after every
    worker) snapshots notebooks/ and fails the session."""
    return hasattr(session.config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _xdist_worker(session):
        _NOTEBOOKS_AT_START.update(notebooks_snapshot())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _NOTEBOOKS_AT_START or _xdist_worker(session):
        return
    changed = notebooks_changed(_NOTEBOOKS_AT_START, notebooks_snapshot())
    if changed:
        import sys

        sys.stderr.write("[fail] the test run wrote notebooks/ (only `make notebooks-refresh` and "
                         "`make notebooks-sync` may): " + "; ".join(changed) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
