"""Make resources/<dataset>/<file> present and verified: check it, or fetch it (rule download)."""

import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from mapreprod.download import (  # noqa: E402 (after the log redirection: pooch logs there)
    DownloadError,
    ensure_input,
    manifest_entry,
    read_manifest,
    resolve_manifest,
)

# The transport settings come from the config, not from params: a changed data.mirror must
# not make Snakemake rerun this job (see workflow/rules/download.smk).
data = snakemake.config["data"]  # noqa: F821
manifest = resolve_manifest(data["manifest"], Path(snakemake.scriptdir).parents[1])  # noqa: F821
entry = manifest_entry(
    read_manifest(manifest),
    snakemake.wildcards.dataset,  # noqa: F821
    snakemake.wildcards.file,  # noqa: F821
)
try:
    ensure_input(
        entry,
        snakemake.output.path,  # noqa: F821
        record=snakemake.output.verified,  # noqa: F821
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
