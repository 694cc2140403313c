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
