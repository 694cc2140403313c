"""Optional third-party imports that the project's own processes skip; importing this module does it.

nbformat imports jsonschema, and jsonschema imports its optional IRI format checker
``rfc3987_syntax``, which compiles a Lark grammar on import: 1.2-2 s of CPU on the reference
machine, in every process that reads or writes a notebook. No schema these processes validate
(nbformat's notebook schema, the results schemas) uses the ``iri`` formats, so the import is
blocked and jsonschema goes on without that checker, as it does when the package is absent.

Who imports this: the notebook runner and the fork server before their first nbformat import, and
pytest (``-p autotariffs.optional_imports`` in pyproject.toml's addopts, which pytest loads before
plugins such as nbval import nbformat), so each test process and each nbval run saves it too.
"""

from __future__ import annotations

import sys

#: modules imported as absent (``import`` raises ImportError, which their importers expect)
SKIPPED = ("rfc3987_syntax",)

for _name in SKIPPED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]
