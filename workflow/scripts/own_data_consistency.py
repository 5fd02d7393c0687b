"""Consensus profiles and multilabel mAP per annotation (rule own_data_consistency)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.own_data import activity, consistency, inputs  # noqa: E402

p = snakemake.params  # noqa: F821
spec = inputs.OwnDataSpec.from_config(p.name, p.entry)
with open(snakemake.input.info) as fh:  # noqa: F821
    features = json.load(fh)["features"]
prepared = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
active = None
if "activity" in snakemake.input.keys():  # noqa: F821
    active = activity.retrieved_keys(pd.read_csv(snakemake.input.activity), prepared, spec)  # noqa: F821
consensus = consistency.consensus_profiles(prepared, features, spec, active)
table = consistency.consistency_map(
    consensus, features, spec, p.null_sampler, p.map_null, p.batch_size,
    threads=snakemake.threads,  # noqa: F821
)
print(f"{len(consensus)} perturbations, {len(table)} annotations scored", file=sys.stderr)
activity.write_table(table, snakemake.output.table)  # noqa: F821
with open(snakemake.output.info, "w") as fh:  # noqa: F821
    json.dump({"perturbations": len(consensus)}, fh)
