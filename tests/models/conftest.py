"""Fixtures of the models' tests: the shipped data as the estimates notebook sees it.

``shipped_panel`` is the origin x month panel built by ``panel.build.build_panel`` from the
shipped raw files (the session's ``flows`` and ``tariff_schedule``, FX from the raw FRED
copies), so these tests do not depend on a previous ``make``. ``shipped_window`` is the
estimates notebook's window, read from the KOR parameter file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import yaml
from support.mutation import shared

from autotariffs import paths
from autotariffs.design import Window


@pytest.fixture(scope="session")
def shipped_fx() -> Iterator[pd.DataFrame]:
    from autotariffs.data import build
    from autotariffs.data.sources import fred

    fx = shared("shipped_fx", lambda: fred.monthly_fx(
        fred.read_fred(paths.RAW / f) for f in build.FX_DAILY_FILES))
    before = fx.copy(deep=True)
    yield fx
    assert fx.equals(before), "a test changed the session-shared FX frame in place"


@pytest.fixture(scope="session")
def shipped_params() -> dict:
    with open(paths.NOTEBOOKS / "params" / "04_estimates_KOR.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="session")
def shipped_window(shipped_params) -> Window:
    return Window.from_params(shipped_params)


@pytest.fixture(scope="session")
def shipped_panel(flows, tariff_schedule, shipped_fx, shipped_params) -> Iterator[pd.DataFrame]:
    from autotariffs.panel.build import build_panel

    p = shared("shipped_panel", lambda: build_panel(
        flows, tariff_schedule, shipped_fx, start=shipped_params["start"],
        end=shipped_params["end"], source=shipped_params["source"]))
    before = p.copy(deep=True)
    yield p
    assert p.equals(before), "a test changed the session-shared panel in place (copy it first)"
