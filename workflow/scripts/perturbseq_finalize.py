"""Single-cell table (scaled genes + cell identities) and median profiles per guide (rule
perturbseq_finalize)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.perturbseq import bulk_profiles, read_cell_identities, single_cell_table
from mapreprod.job import start_job

snakemake = start_job()
scaled = pd.read_parquet(snakemake.input.scaled)
identities = read_cell_identities(snakemake.input.identities)
cells = single_cell_table(scaled, identities)
bulk = bulk_profiles(cells, unit=snakemake.params.bulk_unit)
print(f"single-cell table {cells.shape}, bulk profiles {bulk.shape}", file=sys.stderr)
write_table(cells, snakemake.output.single_cell)
write_table(bulk, snakemake.output.bulk)
