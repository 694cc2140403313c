"""``make`` in a copied project: the project tests build copies of this project and the small
fixture projects of ``tests/fixtures/`` (pipeline, verify_project, quick_project)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import FIXTURES


def copy_fixture(name: str, dest: Path) -> Path:
    """A fresh copy of the fixture project ``tests/fixtures/<name>`` at ``dest`` (a test may
    build in it, break it, or interrupt its build)."""
    shutil.copytree(FIXTURES / name, dest)
    return dest


def clean_env(drop: tuple[str, ...], **extra: str) -> dict[str, str]:
    """This process's environment without the variables whose names start with one of ``drop``
    (e.g. the outer build's ``AUTOTARIFFS_*``), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def run_make(proj: Path, *args: str, env: dict[str, str], timeout: float,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``make PY=<this interpreter> ARGS`` in ``proj`` (or ``cwd``), output captured: the recipes
    run with the tests' interpreter, so no environment is built."""
    return subprocess.run(["make", f"PY={sys.executable}", *args], cwd=cwd or proj, env=env,
                          capture_output=True, text=True, timeout=timeout)
