"""Project-wide exception hierarchy.

Every error a researcher can hit while building the data must say *where* (file, column, rows),
*what* (offending values) and *which rule* was broken, so it can be fixed without a debugger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

_MAX_SHOWN = 10


def _short(items: Sequence[Any] | None, n: int = _MAX_SHOWN) -> str:
    if items is None:
        return "-"
    items = list(items)
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in items[:n])
    more = f" ... (+{len(items) - n} more)" if len(items) > n else ""
    return f"[{shown}{more}]"


class AutotariffsError(Exception):
    """Base class: catch this to handle any error raised deliberately by the package."""


class ChecksumError(AutotariffsError):
    """Raw files differ from, are missing from, or are not listed in the SHA256SUMS manifest."""

    def __init__(self, message: str, files: Iterable[str] = ()):
        self.files = sorted(files)
        super().__init__(message)


class SourceFormatError(AutotariffsError):
    """A raw file cannot be parsed at all (empty, malformed row, wrong encoding, bad gzip)."""

    def __init__(self, file: str, expected: str, detail: str = ""):
        self.file = str(file)
        self.expected = expected
        self.detail = detail
        msg = f"{self.file}: cannot read file; expected {expected}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class DataContractError(AutotariffsError):
    """A parsed table breaks a data contract (column, dtype, range, key, coverage, bloc rule).

    ``rows`` are 0-based data-row positions of the table named by ``file``; for raw CSV inputs
    the message also gives the 1-based line numbers in the file (header = line 1).
    """

    def __init__(
        self,
        file: str,
        column: str | None,
        rule: str,
        rows: Sequence[int] | None = None,
        values: Sequence[Any] | None = None,
        *,
        line_offset: int | None = None,
        extra: str = "",
    ):
        self.file = str(file)
        self.column = column
        self.rule = rule
        self.rows = list(rows) if rows is not None else []
        self.values = list(values) if values is not None else []
        parts = [f"{self.file}: data contract violated", f"column={column!r}", f"rule: {rule}"]
        if self.rows:
            parts.append(f"rows {_short(self.rows)}")
            if line_offset is not None:
                parts.append(f"file lines {_short([r + line_offset for r in self.rows])}")
        if self.values:
            parts.append(f"offending values {_short(self.values)}")
        msg = "; ".join(parts)
        if extra:
            msg += f". {extra}"
        super().__init__(msg)


class ParameterError(AutotariffsError, ValueError):
    """A notebook parameter is unknown, of the wrong type or out of range (raised by
    :mod:`autotariffs.config`; defined here so that the runner can catch it without importing
    the study design, and with it pandas, before it preloads the notebook's imports)."""
