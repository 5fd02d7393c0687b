"""Make resources/<dataset>/<file> present and verified: check it, or fetch it (rule download)."""

import logging
import sys
from pathlib import Path

from mapreprod.download import (
    DownloadError,
    ensure_input,
    manifest_entry,
    read_manifest,
    resolve_manifest,
)
from mapreprod.job import start_job

snakemake = start_job()  # pooch's log lines go to the rule's log too
# The transport settings come from the config, not from params: a changed data.mirror must
# not make Snakemake rerun this job (see workflow/rules/download.smk).
data = snakemake.config["data"]
manifest = resolve_manifest(data["manifest"], Path(snakemake.scriptdir).parents[1])
entry = manifest_entry(read_manifest(manifest), snakemake.wildcards.dataset, snakemake.wildcards.file)
try:
    ensure_input(
        entry,
        snakemake.output.path,
        record=snakemake.output.verified,
        mirror=data["mirror"] or None,
        retries=int(data["retries"]),
        timeout=float(data["timeout"]),
        backoff=float(data["backoff"]),
        progress=sys.stderr,
        manifest=manifest,
    )
except DownloadError as err:  # the message says what to do; a traceback would bury it
    logging.getLogger("download").error("ERROR: %s", err)
    sys.exit(1)
