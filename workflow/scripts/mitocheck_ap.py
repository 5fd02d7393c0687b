"""Single-cell AP of every labelled cell by one grouping, CellProfiler and DeepProfiler features
(rule mitocheck_ap)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.mitocheck.activity import grouping_ap, summarize
from mapreprod.job import start_job

snakemake = start_job()
ap = grouping_ap(
    pd.read_parquet(snakemake.input.merged),
    snakemake.wildcards.grouping,
    settings.from_job(snakemake),
    correction=snakemake.params.correction,
)
print(summarize(ap).to_string(index=False), file=sys.stderr)
write_table(ap, snakemake.output.ap)
