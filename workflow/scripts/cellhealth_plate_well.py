"""Fig 3A table: plate and well-position effects under both preprocessings (§3.4; rule cellhealth_plate_well)."""

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
engine = settings.from_job(snakemake)
tables = [
    ch.plate_well_position(
        pd.read_parquet(snakemake.input[method]), method, engine, bh=snakemake.params.bh
    )
    for method in ch.PREPROCESSINGS
]
write_table(pd.concat(tables, ignore_index=True), snakemake.output.table)
