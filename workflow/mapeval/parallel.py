"""Thread parallelism for the blocked loops.

numpy releases the GIL in matrix products, row gathers and comparisons, so independent blocks
(query batches, chunks of groups) run in threads without copying the feature matrix. Inside a
parallel region BLAS is limited to one thread per worker so the cores are not oversubscribed.
Every block writes its own disjoint outputs, so results do not depend on the number of threads.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from threadpoolctl import ThreadpoolController

T = TypeVar("T")
R = TypeVar("R")

#: Upper bound of the default number of threads (memory grows with it: one block per thread).
MAX_DEFAULT_THREADS = 8


def default_threads() -> int:
    """Threads to use: ``MAPEVAL_NUM_THREADS``, else ``OMP_NUM_THREADS`` (set by Snakemake and
    most schedulers), else the CPUs this process may run on (at most 8)."""
    for var in ("MAPEVAL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                n = int(value)
            except ValueError as err:
                raise ValueError(f"environment variable {var}={value!r} is not an integer") from err
            if n < 1:
                raise ValueError(f"environment variable {var}={value!r} must be at least 1")
            return n
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_DEFAULT_THREADS))


def resolve_threads(threads: int | None) -> int:
    """``threads`` checked (a positive integer), or :func:`default_threads` when None."""
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    return threads


@cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded in this process, found once (a scan costs about 2 ms; numpy's
    BLAS, the one our products use, is loaded by the time mapeval runs anything)."""
    return ThreadpoolController()


def map_blocks(
    fn: Callable[[T], R], tasks: Iterable[T], threads: int, limit_blas: bool = True
) -> Iterator[R]:
    """``fn`` over ``tasks`` in order, on ``threads`` threads (serially when threads == 1).

    ``limit_blas=False`` skips limiting BLAS to one thread per worker, for tasks whose products
    are too small for BLAS to use threads anyway (saves finding the BLAS libraries).
    """
    tasks = list(tasks)
    if threads <= 1 or len(tasks) <= 1:
        yield from map(fn, tasks)
        return
    with contextlib.ExitStack() as stack:
        if limit_blas:
            stack.enter_context(_blas().limit(limits=1, user_api="blas"))
        pool = stack.enter_context(ThreadPoolExecutor(threads))
        yield from pool.map(fn, tasks)
