# Rules: every input file listed in the manifest (config data.manifest) is made present and
# verified before first use (mapreprod.download.ensure_input). A missing file is fetched
# (retries, resume, sha256 check, atomic rename); a present one, put there by hand or left by an
# earlier run, is checked against the manifest's sha256 instead, once, and is never deleted or
# fetched over. Each check leaves a record, resources/<dataset>/.verified/<file>.tsv.
#
# Why the rule looks the way it does:
# - The transport settings (data.mirror, retries, timeout, backoff) are read by the script from
#   the config, not passed as params: Snakemake reruns a job whose params change, and pointing
#   data.mirror elsewhere must not send a verified file back to the network.
# - update(): Snakemake deletes a job's outputs before rerunning it (whatever the reason: a newer
#   script, a new software environment, -R, a check request). An update() output is kept (and
#   restored if the job fails), so a rerun only checks the file that is there.
# - The only input is a check request, .verified/<file>.to-check (made by download_request
#   when a missing file is fetched). While the workflow is parsed, the request of a present
#   file that no record vouches for (put there by hand, modified since, or another digest in
#   the manifest) is rewritten (mapreprod.download.renew_check_request): the updated input makes
#   the download job run and check the file, and a corrupted one stops the run before any rule
#   has read it.
# - localrule: on a cluster the job runs on the submit host (compute nodes often have no
#   internet). Nothing here touches the network while the workflow is planned.
import re
import sys
from pathlib import Path

import pandas as pd

# The manifest is validated by the package's own reader (workflow/mapreprod/download.py).
sys.path.insert(0, str(Path(workflow.current_basedir).parent))
from mapreprod.download import read_manifest, renew_check_request, resolve_manifest

MANIFEST = read_manifest(resolve_manifest(config["data"]["manifest"], workflow.basedir))
# (dataset, file) -> {"url": ..., "bytes": ..., "sha256": ...}, "" where unknown (also read by
# the dataset rule files, e.g. cpjump1.smk lists its plates from it).
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
# The same for the check requests, resources/<dataset>/.verified/<file>.to-check.
MANIFEST_REQUEST_REGEX = "|".join(
    rf"{re.escape(dataset)}(?=/\.verified/(?:{'|'.join(re.escape(f) for f in files)})\.to-check$)"
    for dataset, files in MANIFEST.groupby("dataset", sort=True)["file"]
)
# Before Snakemake looks at any file: present inputs that no record vouches for get checked
# (by the process that plans the run, not by the ones that run single jobs on a cluster).
if workflow.is_main_process:
    for (_dataset, _file), _row in MANIFEST_ROWS.items():
        renew_check_request("resources", _dataset, _file, _row["sha256"] or None)


rule download_request:
    output:
        touch("resources/{dataset}/.verified/{file}.to-check"),
    log:
        "logs/download/{dataset}/{file}.request.log",
    benchmark:
        "logs/benchmarks/download/{dataset}/{file}.request.tsv"
    wildcard_constraints:
        dataset=MANIFEST_REQUEST_REGEX,
    priority: 100
    localrule: True
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    shell:
        "echo 'check of resources/{wildcards.dataset}/{wildcards.file} requested' > {log}"


rule download:
    input:
        request="resources/{dataset}/.verified/{file}.to-check",
    output:
        path=update("resources/{dataset}/{file}"),
        verified="resources/{dataset}/.verified/{file}.tsv",
    log:
        "logs/download/{dataset}/{file}.log",
    benchmark:
        "logs/benchmarks/download/{dataset}/{file}.tsv"
    wildcard_constraints:
        dataset=MANIFEST_DATASET_REGEX,
    # Checks and downloads first: a bad input stops the run before the analyses start.
    priority: 100
    localrule: True
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=240,
    script:
        "../scripts/download_fetch.py"
