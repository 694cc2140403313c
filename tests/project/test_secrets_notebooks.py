"""A planted API key never reaches an executed notebook, an output or a log.

The key sits in the environment of the notebook runner (as it would for a researcher who exported
CENSUS_API_KEY for `make fetch`); the data and tariff notebooks are executed into a temporary
output root, and every file written there, plus the runner's stdout/stderr, is scanned.
"""

from __future__ import annotations

import secrets

import pytest
from support.notebooks import run_notebook

from autotariffs import paths
from autotariffs.data.sources.http import scan_for_secret

pytestmark = pytest.mark.slow


def test_notebooks_and_outputs_never_contain_the_key(tmp_path):
    key = "FAKEKEY-" + secrets.token_hex(12)
    logs = []
    for nb in ("01_build_data", "02_tariff_schedule"):
        proc = run_notebook(tmp_path, nb, nb, paths.PARAMS / f"{nb}.yaml", CENSUS_API_KEY=key,
                            COMTRADE_API_KEY=key, FRED_API_KEY=key)
        logs += [proc.stdout, proc.stderr]
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert any(p.suffix == ".ipynb" for p in written) and any(p.suffix == ".parquet" for p in written)
    assert scan_for_secret(tmp_path, key) == []
    assert all(key not in text for text in logs)
    # the scan itself can fail: a planted copy is found
    (tmp_path / "leak.txt").write_text(f"url?key={key}")
    assert scan_for_secret(tmp_path, key) == [tmp_path / "leak.txt"]
