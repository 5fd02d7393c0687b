"""Phenotypic consistency mAP per target of one assay (rule nelisa_consistency)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402

p = snakemake.params  # noqa: F821
active = None
if "activity" in snakemake.input.keys():  # noqa: F821
    activity = pd.read_csv(snakemake.input.activity)  # noqa: F821
    active = activity.loc[activity["p < 0.05"], nelisa.PERT].tolist()
table = nelisa.consistency_map(
    pd.read_parquet(snakemake.input.profiles),  # noqa: F821
    active=active,
    null_size=p.null_size,
    seed=p.seed,
    null_sampler=p.null_sampler,
    map_null=p.map_null,
    batch_size=p.batch_size,
    threads=snakemake.threads,  # noqa: F821
)
print(f"{len(table)} targets, {table['p < 0.05'].mean():.0%} retrieved", file=sys.stderr)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
