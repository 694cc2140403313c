"""Fixture scope under mutation testing (``make mutation``).

mutmut runs, for each mutant, only the tests it saw call the mutated function. A module-scoped
fixture calls its routine once, inside the first test that asks for it, so every later test of
that fixture would never be run against a mutant of the routine. Under mutmut (which sets
``MUTANT_UNDER_TEST`` in its processes) such fixtures are function-scoped instead; an ordinary
pytest run keeps them module-scoped.
"""

from __future__ import annotations

import os


def module_unless_mutating(fixture_name: str, config: object) -> str:
    """A pytest dynamic scope: "function" under mutmut, else "module"."""
    return "function" if "MUTANT_UNDER_TEST" in os.environ else "module"


#: data the session fixtures read, kept for the life of the process (see :func:`shared`)
_SHARED: dict[str, object] = {}


def shared(key: str, make):  # noqa: ANN001, ANN201
    """``make()`` once per process. Under mutmut every mutant runs in a process forked from the
    one that ran the clean tests, so the shipped data read there (raw files, the panel: about
    4 s) is inherited instead of read again for each mutant; an ordinary session reads it once
    either way. Only for data built by modules that are not mutated."""
    if key not in _SHARED:
        _SHARED[key] = make()
    return _SHARED[key]
