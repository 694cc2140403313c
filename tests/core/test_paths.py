"""What a missing processed input says (autotariffs.paths.missing, issue 21 item 2): the fix it
names must be true where the run reads from.

Outside make a run reads scratch/. If the build has the file, "run the data build first" is wrong
(the build exists; scratch/ was not seeded from it); if the build lacks it too, running make is the
fix. Inside a build (or an explicit output root) make is the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autotariffs import paths
from autotariffs.panel import build as pn


@pytest.fixture()
def scratch_project(tmp_path, monkeypatch) -> Path:
    """paths pointed at a project in tmp_path, as an interactive run outside make sees it."""
    for key in ("AUTOTARIFFS_BUILD", "AUTOTARIFFS_OUTPUT_ROOT"):
        monkeypatch.delenv(key, raising=False)
    out = tmp_path / "scratch"
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "OUT", out)
    monkeypatch.setattr(paths, "PROCESSED", out / "data" / "processed")
    return tmp_path


def _build_file(root: Path, name: str = "flows.parquet") -> Path:
    f = root / "data" / "processed" / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_bytes(b"built by make")
    return f


def test_built_but_not_seeded_says_seed_not_build(scratch_project):
    _build_file(scratch_project)
    with pytest.raises(pn.PanelError) as exc:
        pn.available_origins()
    msg = str(exc.value)
    assert str(scratch_project / "scratch" / "data" / "processed" / "flows.parquet") in msg
    assert "seed_scratch()" in msg and "not seeded" in msg, msg
    assert "run `make`" not in msg and "build first" not in msg, msg


def test_not_built_says_run_make(scratch_project):
    msg = paths.missing(paths.PROCESSED / "flows.parquet", "processed input")
    assert "the build has no data/processed/flows.parquet either" in msg, msg
    assert f"run `make` in {scratch_project} first" in msg, msg


def test_in_a_build_says_run_make(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOTARIFFS_BUILD", "1")
    msg = paths.missing(tmp_path / "data" / "processed" / "flows.parquet")
    assert "run `make`" in msg and "seed" not in msg, msg
