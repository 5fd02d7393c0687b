"""Gather the AP shards; mAP, p-values and BH over all perturbations (rule own_data_activity)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.own_data import activity, inputs  # noqa: E402

p = snakemake.params  # noqa: F821
spec = inputs.OwnDataSpec.from_config(p.name, p.entry)
shards = [pd.read_parquet(path) for path in snakemake.input.shards]  # noqa: F821
# the metadata the tables need: no feature column is read
columns = [inputs.KEY_COL, inputs.CONTROL_COL, *spec.perturbation]
prepared = pd.read_parquet(snakemake.input.profiles, columns=columns)  # noqa: F821
ap, table = activity.gather_activity(shards, prepared, spec, p.null_sampler, p.map_null)
print(f"{len(table)} perturbations, {table['retrieved'].mean():.0%} retrieved", file=sys.stderr)
ap.to_parquet(snakemake.output.ap, index=False)  # noqa: F821
activity.write_table(table, snakemake.output.table)  # noqa: F821
