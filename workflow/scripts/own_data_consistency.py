"""Consensus profiles and multilabel mAP per annotation (rule own_data_consistency)."""

import json
import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.own_data import activity, consistency, inputs
from mapreprod.datasets.own_data.paths import write_json
from mapreprod.job import start_job

snakemake = start_job()
spec = inputs.OwnDataSpec.from_config(snakemake.params.name, snakemake.params.entry)
with open(snakemake.input.info) as fh:
    features = json.load(fh)["features"]
prepared = pd.read_parquet(snakemake.input.profiles)
active = None
if "activity" in snakemake.input.keys():
    active = activity.retrieved_keys(pd.read_csv(snakemake.input.activity), prepared, spec)
consensus = consistency.consensus_profiles(prepared, features, spec, active)
table = consistency.consistency_map(consensus, features, spec, settings.from_job(snakemake))
print(f"{len(consensus)} perturbations, {len(table)} annotations scored", file=sys.stderr)
write_table(table, snakemake.output.table)
write_json({"perturbations": len(consensus)}, snakemake.output.info)
