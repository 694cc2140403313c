"""A planted API key never reaches an executed notebook, an output or a log.

The key sits in the environment of the notebook runner (as it would for a researcher who exported
CENSUS_API_KEY for `make fetch`); the data and tariff notebooks are executed into a temporary
output root, and every file written there, plus the runner's stdout/stderr, is scanned.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from support import ROOT

from autotariffs.data.sources.http import scan_for_secret

pytestmark = pytest.mark.slow


def test_notebooks_and_outputs_never_contain_the_key(tmp_path):
    key = "FAKEKEY-" + secrets.token_hex(12)
    env = {**os.environ, "CENSUS_API_KEY": key, "COMTRADE_API_KEY": key, "FRED_API_KEY": key,
           "AUTOTARIFFS_OUTPUT_ROOT": str(tmp_path)}
    logs = []
    for nb in ("01_build_data", "02_tariff_schedule"):
        out = tmp_path / "reports" / "notebooks" / f"{nb}.ipynb"
        proc = subprocess.run(
            [sys.executable, "-m", "autotariffs.run", str(ROOT / "notebooks" / f"{nb}.ipynb"),
             str(ROOT / "notebooks" / "params" / f"{nb}.yaml"), str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        logs += [proc.stdout, proc.stderr]
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert any(p.suffix == ".ipynb" for p in written) and any(p.suffix == ".parquet" for p in written)
    assert scan_for_secret(tmp_path, key) == []
    assert all(key not in text for text in logs)
    # the scan itself can fail: a planted copy is found
    (tmp_path / "leak.txt").write_text(f"url?key={key}")
    assert scan_for_secret(tmp_path, key) == [tmp_path / "leak.txt"]
