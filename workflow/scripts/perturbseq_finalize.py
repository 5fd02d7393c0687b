"""Single-cell table (scaled genes + cell identities) and median profiles per guide (rule
perturbseq_finalize)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.perturbseq import bulk_profiles, read_cell_identities, single_cell_table  # noqa: E402

scaled = pd.read_parquet(snakemake.input.scaled)  # noqa: F821
identities = read_cell_identities(snakemake.input.identities)  # noqa: F821
cells = single_cell_table(scaled, identities)
bulk = bulk_profiles(cells, unit=snakemake.params.bulk_unit)  # noqa: F821
print(f"single-cell table {cells.shape}, bulk profiles {bulk.shape}", file=sys.stderr)
cells.to_parquet(snakemake.output.single_cell, index=False)  # noqa: F821
bulk.to_parquet(snakemake.output.bulk, index=False)  # noqa: F821
