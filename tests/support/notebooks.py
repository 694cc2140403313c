"""Running a notebook through the project's runner into a temporary output root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autotariffs import paths


def run_notebook(out_root: Path, notebook: str, stem: str, params: Path,
                 **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``notebooks/<notebook>.ipynb`` with the params file ``params`` through the project's
    runner into the output root ``out_root`` (a temporary folder: the build is not touched),
    with ``env`` added to the environment; fail the test with the runner's last lines if it
    fails, else return the finished run (its stdout and stderr). Shared by the notebook-level
    tests."""
    out = out_root / "reports" / "notebooks" / f"{stem}.ipynb"
    env = {**os.environ, **env, "AUTOTARIFFS_OUTPUT_ROOT": str(out_root)}
    proc = subprocess.run([sys.executable, "-m", "autotariffs", "run",
                           str(paths.NOTEBOOKS / f"{notebook}.ipynb"), str(params), str(out)],
                          cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc
