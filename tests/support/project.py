"""``make`` in a copied project: the project tests build copies of this project and the small
fixture projects of ``tests/fixtures/`` (pipeline, verify_project, quick_project).

:func:`shared_build` builds one copy of this project per test run (the ``built_project`` fixture
of tests/project/conftest.py); a test that changes a built project clones that one."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support import FIXTURES, ROOT


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


# ---- one build of the project per test run, shared by the tests that need a built copy -----------

#: what a copy of the project needs to build (no .venv: the recipes run with PY=<this interpreter>)
PROJECT_FILES = ("Makefile", "pyproject.toml", "requirements.lock", "scripts/make_deps.py")
PROJECT_DIRS = ("src", "notebooks", "data/raw", "data/external")
#: the steps of the shared build: 01 (data) and 02 (tariffs), what the project tests exercise
SHARED_TARGETS = ("data", "tariffs")


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """The project's sources (Makefile, lock, make_deps.py, src/, notebooks/, data/raw/,
    data/external/) at ``dest``, mtimes kept, with an empty data/processed/."""
    dest.mkdir(parents=True)
    for f in PROJECT_FILES:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f, dest / f)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "fetched", ".ipynb_checkpoints")
    for d in PROJECT_DIRS:
        shutil.copytree(root / d, dest / d, ignore=ignore, copy_function=shutil.copy2)
    (dest / "data" / "processed").mkdir(parents=True, exist_ok=True)
    return dest


def fake_venv(proj: Path, built_for: Path | None = None) -> None:
    """A .venv as `make env` leaves it: the stamp (newer than the lock), the recorded folder and
    its Jupyter configuration, so make builds no environment (the recipes run with
    PY=<this interpreter>)."""
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


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative path -> SHA-256), or {} if it does not exist."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class BuiltProject:
    """A copy of the project built by ``make data tariffs``, once per test run.

    ``original`` holds the sources the build's code came from (PYTHONPATH, as the original's
    editable install would give) and is never built into; ``root`` is the built copy. A fake API
    key (``secret``) was in the build's environment; ``log`` is make's output and ``outputs`` the
    SHA-256 of every file under root's data/processed/ and reports/ right after the build. Shared:
    a test reads it, and copies it (``clone``) before changing anything.
    """

    original: Path
    root: Path
    targets: tuple[str, ...]
    secret: str
    log: str
    outputs: dict[str, str]

    def clone(self, dest: Path) -> Path:
        """A copy of the built project (outputs, mtimes and the stand-in .venv included) at
        ``dest``, its .venv recorded as built for ``dest``: a test may break or rebuild it."""
        shutil.copytree(self.root, dest, symlinks=True, copy_function=shutil.copy2)
        (dest / ".venv" / ".project-root").write_text(f"{dest}\n")
        return dest

    def env(self, **extra: str) -> dict[str, str]:
        """The environment the build ran in, without the key (PYTHONPATH = original's src)."""
        return clean_env(("AUTOTARIFFS_", "MAKE", "MFLAGS"),
                         PYTHONPATH=str(self.original / "src"), **extra)


def built_outputs(root: Path) -> dict[str, str]:
    return {**{f"reports/{k}": v for k, v in tree_digest(root / "reports").items()},
            **{f"data/processed/{k}": v
               for k, v in tree_digest(root / "data" / "processed").items()}}


def shared_build(base: Path, timeout: float = 600) -> BuiltProject:
    """The project built once under ``base`` (a folder every caller of one test run shares, e.g.
    every pytest-xdist worker): the first caller copies and builds while holding a lock, the
    others wait for it and reuse the build. The build must succeed (AssertionError with make's
    output otherwise)."""
    base.mkdir(parents=True, exist_ok=True)
    meta = base / "built.json"
    with (base / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not meta.exists():
            original = copy_project(base / "original")
            root = base / "built"
            shutil.copytree(original, root, symlinks=True, copy_function=shutil.copy2)
            fake_venv(root, built_for=root)
            secret = "FAKEKEY-" + secrets.token_hex(12)
            env = clean_env(("AUTOTARIFFS_", "MAKE", "MFLAGS"),
                            PYTHONPATH=str(original / "src"), CENSUS_API_KEY=secret,
                            COMTRADE_API_KEY=secret, FRED_API_KEY=secret)
            proc = run_make(root, *SHARED_TARGETS, env=env, timeout=timeout)
            log = proc.stdout + proc.stderr
            assert proc.returncode == 0, f"the shared build failed:\n{log[-5000:]}"
            meta.write_text(json.dumps({
                "original": str(original), "root": str(root), "targets": SHARED_TARGETS,
                "secret": secret, "log": log, "outputs": built_outputs(root)}))
    data = json.loads(meta.read_text())
    return BuiltProject(original=Path(data["original"]), root=Path(data["root"]),
                        targets=tuple(data["targets"]), secret=data["secret"], log=data["log"],
                        outputs=data["outputs"])
