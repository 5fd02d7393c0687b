"""The running Snakemake job, inside a rule script (``script:`` directive).

Snakemake's script preamble puts the job object into the script's globals as ``snakemake``
(the script runs as ``__main__``). :func:`start_job` returns it, sends the script's stderr to
the job's log file and routes the ``logging`` module there (so the engine's progress lines,
logger ``mapeval``, reach the log). Every rule script starts with::

    from mapreprod.job import start_job

    snakemake = start_job()
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snakemake.iocontainers import Snakemake


def start_job() -> Snakemake:
    """The running job (Snakemake's ``snakemake`` object), with stderr and logging sent to its
    first log file."""
    import __main__

    job = getattr(__main__, "snakemake", None)
    if job is None:
        raise RuntimeError(
            "start_job() must run inside a Snakemake rule script (the script: directive), where "
            "Snakemake defines the `snakemake` object"
        )
    if len(job.log):
        sys.stderr = open(job.log[0], "w", buffering=1)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
        force=True,
    )
    return job
