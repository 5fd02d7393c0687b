"""AP of one shard of the perturbations against the control wells (rule own_data_ap_shard)."""

import json
import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.own_data import activity, inputs
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
spec = inputs.OwnDataSpec.from_config(p.name, p.entry)
with open(snakemake.input.info) as fh:
    features = json.load(fh)["features"]
prepared = pd.read_parquet(snakemake.input.profiles)
ap = activity.shard_average_precision(
    prepared, features, spec, settings.from_job(snakemake), p.shard, p.n_shards
)
print(f"shard {p.shard} of {p.n_shards}: {len(ap)} wells scored", file=sys.stderr)
write_table(ap, snakemake.output.ap)
