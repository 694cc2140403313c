"""Threads for the estimators' passes over rows and fixed-effect level pairs.

Why threads, and why results stay bit-for-bit the same: numpy's ``bincount``, ``take`` and
ufuncs and scipy's sparse products release the GIL, so two cores can share a pass over 5M rows.
Every task computes whole output elements (one column's group sums, one block of rows, one block
of a sparse product's rows) with the same arithmetic in the same order as a single thread would,
so neither the number of threads nor their timing can change a bit of any estimate.

``AUTOTARIFFS_THREADS`` sets the number of threads (default: the CPUs this process may use, at
most 4); ``AUTOTARIFFS_THREADS=1`` runs every task inline, e.g. when several fits run side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["CHUNK", "PARALLEL_MIN", "chunks", "map_tasks", "parts", "row_blocks", "run_tasks",
           "workers"]

PARALLEL_MIN = 1 << 17  # rows (or level pairs) below which threads cost more than they save
CHUNK = 1 << 16  # rows per step of a pass that touches several columns (they stay in L2)
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def workers() -> int:
    """Threads to use: ``AUTOTARIFFS_THREADS`` if set, else the CPUs this process may use (<= 4)."""
    env = os.environ.get("AUTOTARIFFS_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"AUTOTARIFFS_THREADS={env!r}: expected a whole number of threads "
                             "(e.g. AUTOTARIFFS_THREADS=1)") from None
    cpus = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1))
    return max(1, min(4, cpus))


def run_tasks(tasks: Sequence[Callable[[], None]], size: int) -> None:
    """Run ``tasks`` (each writes its own slice of a result) on the thread pool, or inline when
    there is one task, one thread, or ``size`` (the rows or nonzeros a task passes over) is
    below ``PARALLEL_MIN``, where handing tasks to threads costs more than it saves. The first
    exception of a task is raised here."""
    global _pool, _pool_size
    n = workers()
    if len(tasks) < 2 or n < 2 or size < PARALLEL_MIN:
        for t in tasks:
            t()
        return
    if _pool is None or _pool_size != n:  # first use, or AUTOTARIFFS_THREADS changed
        _pool, _pool_size = ThreadPoolExecutor(max_workers=n, thread_name_prefix="autotariffs"), n
    for f in [_pool.submit(t) for t in tasks]:
        f.result()


def _forget_pool() -> None:
    """A forked child inherits the pool object but not its threads: it starts a fresh one."""
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def parts(n: int) -> int:
    """Blocks to split a pass over ``n`` rows (or nonzeros) into: one per thread from
    ``PARALLEL_MIN`` up, else one."""
    return workers() if n >= PARALLEL_MIN else 1


def row_blocks(n: int) -> list[tuple[int, int]]:
    """Contiguous, near-equal row ranges covering 0..n, ``parts(n)`` of them."""
    edges = np.linspace(0, n, parts(n) + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def chunks(a: int, b: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of at most ``CHUNK`` rows covering a..b."""
    for s in range(a, b, CHUNK):
        yield s, min(s + CHUNK, b)


def map_tasks(fn: Callable, items: Sequence, size: int) -> list:
    """``[fn(x) for x in items]``, one task per item of ``size`` rows (threads as in
    :func:`run_tasks`)."""
    out: list = [None] * len(items)

    def task(i: int) -> Callable[[], None]:
        def go() -> None:
            out[i] = fn(items[i])
        return go

    run_tasks([task(i) for i in range(len(items))], size)
    return out
