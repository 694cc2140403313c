"""One logging set-up for the package (standard :mod:`logging`, no print callbacks).

Why: stages report progress (rows read, files written, checks passed) through
``logging.getLogger(__name__)``, so a library call stays silent unless somebody asks, while the
``autotariffs`` command and the notebooks show the same lines. :func:`configure` attaches two
handlers to the package's logger: INFO lines to standard output, warnings and errors to standard
error, the message alone (the command's lines carry their own ``[run ]``/``[fail]`` tags, which
Make's ``--output-sync=line`` keeps whole). The command (:mod:`autotariffs.cli`) and
``config.validate`` (the first call of every notebook) configure it. The handlers look up ``sys.stdout``/``sys.stderr`` at
each record, so a Jupyter kernel's or pytest's replaced streams receive them.
"""

from __future__ import annotations

import logging
import sys

NAME = "autotariffs"


class _CurrentStream(logging.StreamHandler):
    """A stream handler bound to ``sys.<name>`` as it is when a record is emitted."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return getattr(sys, self._name)

    @stream.setter
    def stream(self, value) -> None:  # noqa: ANN001 - set by StreamHandler.__init__; ignored
        pass


def _below_warning(record: logging.LogRecord) -> bool:
    return record.levelno < logging.WARNING


def configure(level: int = logging.INFO) -> logging.Logger:
    """Show the package's log records: ``level`` and up on stdout, WARNING and above on stderr.

    Idempotent (the handlers are added once per process). The logger's level is lowered to
    ``level`` only if it would otherwise drop such records, so a finer level set elsewhere (a test's
    ``caplog.set_level(logging.DEBUG)``) is kept; records still propagate to the root logger, so
    pytest and any handler a user adds see them too.
    """
    logger = logging.getLogger(NAME)
    if not any(isinstance(h, _CurrentStream) for h in logger.handlers):
        fmt = logging.Formatter("%(message)s")
        out, err = _CurrentStream("stdout"), _CurrentStream("stderr")
        out.setLevel(level)
        out.addFilter(_below_warning)
        err.setLevel(logging.WARNING)
        for h in (out, err):
            h.setFormatter(fmt)
            logger.addHandler(h)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    return logger
