"""``make`` in a copied project: the project tests build copies of this project and the small
fixture projects of ``tests/fixtures/`` (pipeline, verify_project, quick_project)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from support import FIXTURES, ROOT

# what `make` reads in a project: a copy of these is a project without a venv or outputs
PROJECT_FILES = ("Makefile", "pyproject.toml", "requirements.lock", "scripts/make_deps.py")
PROJECT_DIRS = ("src", "notebooks", "data/raw", "data/external")


def copy_fixture(name: str, dest: Path) -> Path:
    """A fresh copy of the fixture project ``tests/fixtures/<name>`` at ``dest`` (a test may
    build in it, break it, or interrupt its build)."""
    shutil.copytree(FIXTURES / name, dest)
    return dest


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """A copy of this project's sources at ``dest`` (mtimes kept): what ``make`` reads, without
    ``.venv``, outputs or caches."""
    dest.mkdir(parents=True)
    for f in PROJECT_FILES:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f, dest / f)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "fetched", ".ipynb_checkpoints")
    for d in PROJECT_DIRS:
        shutil.copytree(root / d, dest / d, ignore=ignore, copy_function=shutil.copy2)
    (dest / "data" / "processed").mkdir(parents=True, exist_ok=True)
    return dest


def stand_in_venv(proj: Path, built_for: Path | None = None) -> None:
    """A ``.venv`` as ``make env`` leaves it (its stamp newer than the lock, the folder it was
    built for, its Jupyter configuration), so that ``make PY=<this interpreter>`` builds no
    environment."""
    venv = proj / ".venv"
    venv.mkdir(exist_ok=True)
    (venv / ".project-root").write_text(f"{built_for or proj}\n")
    earlier = time.time() - 60
    for f in ("requirements.lock", "pyproject.toml"):
        os.utime(proj / f, (earlier, earlier))
    (venv / ".installed").touch()
    cfg = venv / "etc" / "jupyter" / "jupyter_config.json"  # (make env writes the real one)
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("{}\n")


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
