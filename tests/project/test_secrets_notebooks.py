"""A planted API key never reaches an executed notebook, an output or a log.

The key sits in the environment of the build (as it would for a researcher who exported
CENSUS_API_KEY for `make fetch`): the run's shared build (``built_project``: `make data tariffs`
in a copy of the project, with the key in its environment) executed the data and tariff
notebooks, and every file of that project, plus make's output, is scanned.
"""

from __future__ import annotations

from autotariffs.data.sources.http import scan_for_secret


def test_notebooks_and_outputs_never_contain_the_key(built_project, tmp_path):
    key, root = built_project.secret, built_project.root
    written = set(built_project.outputs)
    assert {"reports/notebooks/01_build_data.ipynb", "reports/notebooks/02_tariff_schedule.ipynb",
            "data/processed/flows.parquet"} <= written
    assert scan_for_secret(root, key) == []
    assert key not in built_project.log and "[ ok ] 02_tariff_schedule" in built_project.log
    # the scan itself can fail: a planted copy is found
    (tmp_path / "leak.txt").write_text(f"url?key={key}")
    assert scan_for_secret(tmp_path, key) == [tmp_path / "leak.txt"]
