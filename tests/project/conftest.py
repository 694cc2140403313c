"""Fixtures of the whole-project tests."""

from __future__ import annotations

import pytest
from support.project import BuiltProject, shared_build


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> BuiltProject:
    """A copy of the project built once per test run (``make data tariffs``; support.project
    .shared_build), shared by every test and every pytest-xdist worker: read it, or ``clone`` it
    before changing anything."""
    base = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # xdist: the run's folder, shared by the workers
        base = base.parent
    return shared_build(base / "built_project")
