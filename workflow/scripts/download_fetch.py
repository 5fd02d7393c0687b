"""Fetch one manifest file to resources/<dataset>/<file> (rule download)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from mapreprod.download import fetch  # noqa: E402

params = snakemake.params  # noqa: F821
fetch(
    params.url,
    snakemake.output.path,  # noqa: F821
    sha256=params.sha256 or None,
    size=int(params.size) if params.size else None,
    retries=int(params.retries),
    timeout=float(params.timeout),
    mirror=params.mirror or None,
    relpath=f"{snakemake.wildcards.dataset}/{snakemake.wildcards.file}",  # noqa: F821
    backoff=float(params.backoff),
    checksum_log=params.checksum_log,
)
