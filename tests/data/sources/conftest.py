"""Fixtures of the raw-source clients' tests (recorded responses: support.recorded)."""

from __future__ import annotations

import pytest

from autotariffs.data.sources.http import PacedRetry


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The clients' waits (retry backoff, pacing), recorded instead of slept."""
    calls: list[float] = []
    monkeypatch.setattr(PacedRetry, "sleeper", staticmethod(calls.append))
    return calls
