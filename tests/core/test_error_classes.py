"""Every exception class the package defines inherits from ``AutotariffsError``.

Why: callers (the runner, a notebook, a script) catch ``AutotariffsError`` to tell a known,
explained error from a bug; a deliberate error outside the hierarchy would escape as a traceback.
Classes are found by importing every module and walking its namespace, so a new module is
covered without editing this test.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import autotariffs
from autotariffs.errors import AutotariffsError


def _modules():
    yield autotariffs
    for info in pkgutil.walk_packages(autotariffs.__path__, prefix="autotariffs."):
        yield importlib.import_module(info.name)


def defined_exceptions() -> dict[str, type[BaseException]]:
    found = {}
    for mod in _modules():
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == mod.__name__):
                found[f"{mod.__name__}.{name}"] = obj
    return found


def test_the_walk_finds_the_package_errors():
    found = defined_exceptions()
    assert "autotariffs.errors.DataContractError" in found
    assert "autotariffs.errors.ParameterError" in found
    assert len(found) >= 15


@pytest.mark.parametrize("name", sorted(defined_exceptions()))
def test_inherits_from_autotariffs_error(name):
    cls = defined_exceptions()[name]
    assert issubclass(cls, AutotariffsError), (
        f"{name} derives from {[b.__name__ for b in cls.__mro__[1:]]}, not AutotariffsError"
    )


def test_the_runner_prints_every_package_error_as_one_line():
    """``autotariffs run`` recognises a known error by its class name (papermill's
    ``ename``): every error class of the package must be in ``KNOWN_ERRORS``."""
    from autotariffs.run import KNOWN_ERRORS

    names = {cls.__name__ for cls in defined_exceptions().values()}
    assert names <= KNOWN_ERRORS, sorted(names - KNOWN_ERRORS)
