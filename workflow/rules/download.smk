# Rules: download every input file listed in the manifest (config data.manifest), verified
# against its published size and sha256 (mapreprod.download). Files already under resources/ are
# not fetched again; put a file there yourself, or set data.mirror, to work offline.
import re
import sys
from pathlib import Path

import pandas as pd

# The manifest is validated by the package's own reader (workflow/mapeval/download.py).
sys.path.insert(0, str(Path(workflow.current_basedir).parent))
from mapreprod.download import read_manifest

# A relative manifest path is read from the working directory, else from the workflow's own
# folder (so `snakemake -d elsewhere` still finds the bundled config/manifest.tsv).
_MANIFEST_PATH = Path(config["data"]["manifest"])
if not _MANIFEST_PATH.is_absolute() and not _MANIFEST_PATH.exists():
    _bundled = Path(workflow.basedir) / _MANIFEST_PATH
    if _bundled.exists():
        _MANIFEST_PATH = _bundled
MANIFEST = read_manifest(_MANIFEST_PATH)
# (dataset, file) -> {"url": ..., "bytes": ..., "sha256": ...}, "" where unknown.
MANIFEST_ROWS = {
    (row.dataset, row.file): {
        "url": row.url,
        "bytes": "" if pd.isna(row.bytes) else str(row.bytes),
        "sha256": row.sha256 or "",
    }
    for row in MANIFEST.itertuples(index=False)
}
# Constraint of the `dataset` wildcard that lets resources/<dataset>/<file> match only the
# (dataset, file) pairs of the manifest: each dataset name is followed by a lookahead on its
# own files, so this rule can never claim any other path.
MANIFEST_DATASET_REGEX = "|".join(
    f"{re.escape(dataset)}(?=/(?:{'|'.join(re.escape(f) for f in files)})$)"
    for dataset, files in MANIFEST.groupby("dataset", sort=True)["file"]
)


rule download:
    output:
        path="resources/{dataset}/{file}",
    log:
        "logs/download/{dataset}/{file}.log",
    wildcard_constraints:
        dataset=MANIFEST_DATASET_REGEX,
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=240,
    params:
        url=lambda wc: MANIFEST_ROWS[(wc.dataset, wc.file)]["url"],
        sha256=lambda wc: MANIFEST_ROWS[(wc.dataset, wc.file)]["sha256"],
        size=lambda wc: MANIFEST_ROWS[(wc.dataset, wc.file)]["bytes"],
        checksum_log="resources/{dataset}/.checksums.tsv",
        mirror=config["data"]["mirror"],
        retries=config["data"]["retries"],
        timeout=config["data"]["timeout"],
        backoff=config["data"]["backoff"],
    script:
        "../scripts/download_fetch.py"
