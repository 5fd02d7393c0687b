"""Fig 4E-F: mAP of every guide against the non-targeting guides (rule perturbseq_bulk_map)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod import settings
from mapreprod.datasets.perturbseq import bulk_map, read_screen_phenotypes
from mapreprod.job import start_job

snakemake = start_job()
table = bulk_map(
    pd.read_parquet(snakemake.input.bulk),
    read_screen_phenotypes(snakemake.input.supplement),
    settings.from_job(snakemake),
    unit=snakemake.params.unit,
    variance_threshold=snakemake.params.variance_threshold,
)
print(f"{len(table)} guides, {table['p < 0.05'].mean():.1%} retrieved", file=sys.stderr)
# the authors' tab-separated GSE132080_map.tsv
write_table(table, snakemake.output.table)
