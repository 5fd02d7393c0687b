"""Fig 3E/3F tables: consistency of guides targeting the same gene (§3.11, §3.12; rule cellhealth_consistency)."""

import warnings

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
warnings.filterwarnings("ignore", message=".*copy_on_write.*")
consensus = ch.consistency_profiles(pd.read_parquet(snakemake.input.profiles))
map_table, ap_table = ch.phenotypic_consistency(
    consensus,
    pd.read_csv(snakemake.input.activity),
    settings.from_job(snakemake),
    min_active_guides=snakemake.params.min_active_guides,
)
write_table(map_table, snakemake.output.map)
write_table(ap_table, snakemake.output.ap)
