"""The environment is pinned: the lock covers every installed package, environment.yml agrees."""

from __future__ import annotations

import importlib.metadata as md
import re
import subprocess
import sys

from support import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = PIN.match(line)
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def _env_yml() -> dict[str, str]:
    out = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.\-]+)==(\S+)$", line)
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def test_lock_pins_with_hashes():
    text = (ROOT / "requirements.lock").read_text()
    assert "--hash=sha256:" in text
    assert len(_lock()) > 50


def test_environment_yml_agrees_with_lock():
    lock, env = _lock(), _env_yml()
    assert env == lock, {k: (lock.get(k), env.get(k)) for k in set(lock) | set(env) if lock.get(k) != env.get(k)}
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_environment_yml_is_generated_from_lock():
    """Regenerating must give the committed file byte for byte (no hand edits)."""
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys; sys.path.insert(0, 'scripts'); import write_environment_yml as w; "
         "from pathlib import Path; print(w.render(Path('requirements.lock')), end='')"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert out == (ROOT / "environment.yml").read_text()


def test_every_installed_package_is_pinned_at_its_version():
    lock = _lock()
    ignore = {"pip", "setuptools", "wheel", "autotariffs", "uv"}
    wrong = {}
    for dist in md.distributions():
        name = _norm(dist.metadata["Name"])
        if name in ignore:
            continue
        if lock.get(name) != dist.version:
            wrong[name] = (dist.version, lock.get(name))
    assert not wrong, f"installed but not pinned (installed, locked): {wrong}"


def test_running_python_is_311():
    assert sys.version_info[:2] == (3, 11)
