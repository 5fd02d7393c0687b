"""AP of one shard of the perturbations against the control wells (rule own_data_ap_shard)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.own_data import activity, inputs  # noqa: E402

p = snakemake.params  # noqa: F821
spec = inputs.OwnDataSpec.from_config(p.name, p.entry)
with open(snakemake.input.info) as fh:  # noqa: F821
    features = json.load(fh)["features"]
prepared = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
ap = activity.shard_average_precision(
    prepared, features, spec, p.shard, p.n_shards, batch_size=p.batch_size,
    threads=snakemake.threads,  # noqa: F821
)
print(f"shard {p.shard} of {p.n_shards}: {len(ap)} wells scored", file=sys.stderr)
ap.to_parquet(snakemake.output.ap, index=False)  # noqa: F821
