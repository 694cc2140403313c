"""Support code shared by the tests (and by the benchmark scripts that reuse a test's simulation).

Nothing here is collected (no ``test_*.py``). pyproject puts ``tests/`` on ``sys.path``
(``[tool.pytest.ini_options] pythonpath``), so a test imports this package as ``support``; the
benchmark scripts insert ``tests/`` on ``sys.path`` themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent  # the project root (Makefile, src/, notebooks/, data/)
FIXTURES = TESTS / "fixtures"  # tiny projects that make builds in the project tests
RECORDED = TESTS / "recorded"  # recorded API responses (see tests/recorded/README.md)
#: a pytest session a test starts in a subprocess, as make test starts its own: no cache files,
#: and the optional imports the project skips skipped (it may run outside the project's ini, whose
#: addopts load them)
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
          "-p", "autotariffs.optional_imports")
