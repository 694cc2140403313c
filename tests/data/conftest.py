"""Fixtures of the data stage's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autotariffs import paths


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    """A temporary copy of data/raw (without fetched/) that a test may corrupt."""
    dst = tmp_path / "raw"
    shutil.copytree(paths.RAW, dst, ignore=shutil.ignore_patterns("fetched"))
    return dst
