"""Gather the AP shards; mAP, p-values and BH over all perturbations (rule own_data_activity)."""

import json
import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.own_data import activity, inputs
from mapreprod.job import start_job

snakemake = start_job()
spec = inputs.OwnDataSpec.from_config(snakemake.params.name, snakemake.params.entry)
engine = settings.from_job(snakemake)
shards = [pd.read_parquet(path) for path in snakemake.input.shards]
features = None
if engine.test == "permutation":
    # the label-permutation test relabels profiles: it reads the whole prepared table
    with open(snakemake.input.info) as fh:
        features = json.load(fh)["features"]
    prepared = pd.read_parquet(snakemake.input.profiles)
else:
    # the metadata the tables need: no feature column is read
    columns = [inputs.KEY_COL, inputs.CONTROL_COL, *spec.perturbation]
    prepared = pd.read_parquet(snakemake.input.profiles, columns=columns)
ap, table = activity.gather_activity(shards, prepared, spec, engine, features)
print(f"{len(table)} perturbations, {table['retrieved'].mean():.0%} retrieved", file=sys.stderr)
write_table(ap, snakemake.output.ap)
write_table(table, snakemake.output.table)
