"""Opt-in build profile: where a step's time and memory go.

Off unless the environment variable :data:`PROFILE_ENV` names a file (``make bench`` sets it).
Then the runner (:mod:`autotariffs.run`), the ``replicate`` step and the figure saving
(:func:`autotariffs.figures.save`) each append one JSON line per step or figure to that file;
``scripts/bench.py`` reads the lines back into a per-step table. A record is written with one
``write`` to a file opened for appending, so steps running side by side never interleave lines.
Nothing the build writes depends on it: it only adds lines to the profile file.
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

#: environment variable naming the profile file (JSON lines); unset = no profiling
PROFILE_ENV = "AUTOTARIFFS_PROFILE"
#: set by the runner for its kernel, so that figure records name their step
STEP_ENV = "AUTOTARIFFS_PROFILE_STEP"


def enabled() -> bool:
    return bool(os.environ.get(PROFILE_ENV))


def record(kind: str, **fields: Any) -> None:
    """Append ``{"kind": kind, "step": <step>, "ended_at": <Unix time>, **fields}`` as one line
    (no-op when off)."""
    path = os.environ.get(PROFILE_ENV)
    if not path:
        return
    rec = {"kind": kind, "step": os.environ.get(STEP_ENV), "pid": os.getpid(),
           "ended_at": round(time.time(), 3), **fields}
    line = (json.dumps(rec, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``; ``None`` elsewhere): the part of a
    step spent starting Python and importing before the step's own code runs."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), 3)


def usage() -> dict[str, float]:
    """CPU seconds (user + system) and peak RSS (MB) of this process and of its waited-for
    children (the kernel, for the runner)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_self_s": round(me.ru_utime + me.ru_stime, 3),
            "cpu_children_s": round(kids.ru_utime + kids.ru_stime, 3),
            "rss_self_mb": round(me.ru_maxrss / 1024, 1),
            "rss_children_mb": round(kids.ru_maxrss / 1024, 1)}


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
