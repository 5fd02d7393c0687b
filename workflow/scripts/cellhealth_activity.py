"""Fig 3B/3C (cutting controls) or S6A (EMPTY controls): guide activity per cell line (§3.5; rule cellhealth_activity)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
map_table, ap_table = ch.activity_by_cell_line(
    pd.read_parquet(snakemake.input.profiles),
    snakemake.wildcards.ch_control,
    settings.from_job(snakemake),
)
print(f"{len(map_table)} guide x cell line rows, {map_table['p < 0.05'].mean():.0%} retrieved",
      file=sys.stderr)
write_table(map_table, snakemake.output.map)
write_table(ap_table, snakemake.output.ap)
