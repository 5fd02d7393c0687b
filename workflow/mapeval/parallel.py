"""Thread parallelism for the blocked loops, and the BLAS threads used meanwhile.

numpy releases the GIL in matrix products, row gathers and comparisons, so independent blocks
(query batches, chunks of groups) run in threads without copying the feature matrix. Every
block writes its own disjoint outputs, so results do not depend on the number of threads.

The engine decides the BLAS threads of its own products (``threads`` is its whole CPU budget):
while :func:`map_blocks` runs, BLAS is limited to ``blas_threads`` (default one), whether the
blocks run in worker threads or serially. Multi-threaded BLAS only pays on large products; on
the small ones (a plate's queries against its 32 control wells) its threads spin-wait, and on a
busy machine that made the AP step of a 1,000,000-profile screen 11x slower
(docs/benchmarks.md). Callers pass ``blas_threads > 1`` only for one large block, where BLAS is
the only parallelism left.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from numbers import Integral
from typing import TypeVar

import numpy as np
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
    # numpy integers are integers too (e.g. a value read from an array or a parquet table)
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, Integral) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    return int(threads)


@cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded in this process, found once (a scan costs about 2 ms; numpy's
    BLAS, the one our products use, is loaded by the time mapeval runs anything)."""
    return ThreadpoolController().select(user_api="blas")


def blas_limit(blas_threads: int) -> contextlib.AbstractContextManager:
    """Context in which BLAS uses at most ``blas_threads`` threads (never more than it had)."""
    blas = _blas()
    if not blas.lib_controllers:
        return contextlib.nullcontext()
    current = min(lib.num_threads for lib in blas.lib_controllers)
    return blas.limit(limits=max(1, min(int(blas_threads), current)), user_api="blas")


def map_blocks(
    fn: Callable[[T], R], tasks: Iterable[T], threads: int, blas_threads: int = 1
) -> Iterator[R]:
    """``fn`` over ``tasks`` in order, on up to ``threads`` worker threads (serially when
    threads == 1 or there is one task), with BLAS limited to ``blas_threads`` meanwhile.

    ``blas_threads`` is per worker: keep it at 1 when several blocks run at once, and raise it
    only for a serial run of large products.
    """
    tasks = list(tasks)
    workers = min(threads, len(tasks))
    with contextlib.ExitStack() as stack:
        stack.enter_context(blas_limit(blas_threads))
        if workers <= 1:
            yield from map(fn, tasks)
            return
        pool = stack.enter_context(ThreadPoolExecutor(workers))
        yield from pool.map(fn, tasks)
