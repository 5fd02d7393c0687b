"""Synthetic cpg0004 replicate and consensus profiles with planted activity and consistency
(rule cpg0004_synthetic_profiles)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import read_repurposing_table
from mapreprod.datasets.cpg0004.standin import (
    SyntheticDesign,
    choose_compounds,
    generate_profiles,
    write_csv_gz,
)
from mapreprod.job import start_job

snakemake = start_job()
design = SyntheticDesign.from_config(snakemake.params.design)
seed = snakemake.params.seed
drugs = read_repurposing_table(snakemake.input.drugs)
samples = read_repurposing_table(snakemake.input.samples)

compounds = choose_compounds(drugs, samples, design, seed)
profiles, consensus, truth = generate_profiles(compounds, design, seed)
print(
    f"{len(profiles)} wells, {len(consensus)} consensus profiles, "
    f"{int(truth['active'].sum())}/{len(truth)} active compounds",
    file=sys.stderr,
)
write_csv_gz(profiles, snakemake.output.profiles)
write_csv_gz(consensus, snakemake.output.consensus)
write_table(truth, snakemake.output.truth)
