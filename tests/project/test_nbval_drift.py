"""nbval must catch drift: perturb one raw input value and the checked cell of the stored notebook
fails; with the unperturbed input the same notebook passes.

The tariff notebook is used because it is quick and its checked cell prints rates that can be
derived by hand (KOR 8703 = 25% in 2025-05). The raw tariff folder is copied to a temporary project
root (AUTOTARIFFS_ROOT), so the real data/raw is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import PYTEST, ROOT

from autotariffs.data.sources.manifest import sha256_file

NB = ROOT / "notebooks" / "02_tariff_schedule.ipynb"

pytestmark = pytest.mark.slow


def _project(tmp: Path, perturb: bool) -> Path:
    root = tmp / ("perturbed" if perturb else "clean")
    (root / "data" / "raw").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "raw" / "tariffs", root / "data" / "raw" / "tariffs")
    (root / "data" / "processed").mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    if perturb:
        ev = root / "data" / "raw" / "tariffs" / "us_auto_tariff_events.csv"
        text = ev.read_text(encoding="utf-8")
        row = next(line for line in text.splitlines() if line.startswith("KR-10-CAR,"))
        # all-in 25 -> 24 (a one-point typo in the s232 Korea car rate)
        bad = row.replace(",2025-10-31,25,25,0,", ",2025-10-31,24,24,0,", 1)
        assert bad != row
        ev.write_text(text.replace(row, bad), encoding="utf-8")
    # a manifest matching the (perturbed) files, as a data update would bring: the notebook's own
    # checksum check passes, so only nbval's output comparison can catch the drift
    raw = root / "data" / "raw"
    lines = [f"{sha256_file(f)}  {f.relative_to(raw).as_posix()}"
             for f in sorted(raw.rglob("*")) if f.is_file()]
    (raw / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _nbval(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUTOTARIFFS_ROOT": str(root), "AUTOTARIFFS_OUTPUT_ROOT": str(root)}
    return subprocess.run(
        [*PYTEST, "-q", "-vv", "--nbval-lax",
         "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         str(root / "notebooks" / NB.name)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )


def test_checked_cell_fails_when_an_input_drifts(tmp_path):
    clean = _nbval(_project(tmp_path, perturb=False))
    assert clean.returncode == 0, clean.stdout[-3000:]
    drift = _nbval(_project(tmp_path, perturb=True))
    assert drift.returncode != 0
    out = drift.stdout
    # the failure is the checked cell's output comparison (not an execution error), and only it
    assert "reference_output == test_output" in out, out[-3000:]
    assert "KOR_8703_2025-05: 24.00%" in out and "KOR_8703_2025-05: 25.00%" in out, out[-3000:]
    assert "1 failed" in out, out[-3000:]
