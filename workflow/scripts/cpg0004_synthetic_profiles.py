"""Synthetic cpg0004 replicate and consensus profiles with planted activity and consistency."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import os

from mapreprod.datasets.cpg0004 import read_repurposing_table
from mapreprod.datasets.cpg0004.standin import SyntheticDesign, choose_compounds, generate_profiles

design = SyntheticDesign.from_config(snakemake.params.design)  # noqa: F821
seed = snakemake.params.seed  # noqa: F821
drugs = read_repurposing_table(snakemake.input.drugs)  # noqa: F821
samples = read_repurposing_table(snakemake.input.samples)  # noqa: F821

compounds = choose_compounds(drugs, samples, design, seed)
profiles, consensus, truth = generate_profiles(compounds, design, seed)
print(f"{len(profiles)} wells, {len(consensus)} consensus profiles, "
      f"{int(truth['active'].sum())}/{len(truth)} active compounds", file=sys.stderr)

for frame, path in ((profiles, snakemake.output.profiles),  # noqa: F821
                    (consensus, snakemake.output.consensus),  # noqa: F821
                    (truth, snakemake.output.truth)):  # noqa: F821
    tmp = f"{path}.tmp"
    frame.to_csv(tmp, index=False, compression="gzip" if path.endswith(".gz") else None)
    os.replace(tmp, path)
