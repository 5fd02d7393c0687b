"""Fig S7C: phenotypic consistency of compounds sharing a target gene (consensus profiles; rule
cpg0004_consistency)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import active_compounds, phenotypic_consistency
from mapreprod.job import start_job

snakemake = start_job()
consensus = pd.read_csv(snakemake.input.consensus, low_memory=False)
labels = pd.read_csv(snakemake.input.labels)
active = None
if snakemake.params.activity_filter:
    active = active_compounds(pd.read_csv(snakemake.input.activity))
    print(f"activity filter: {len(active)} active compounds kept", file=sys.stderr)
ap, scores = phenotypic_consistency(
    consensus, labels, settings.from_job(snakemake), dose=snakemake.params.dose, active=active
)
print(f"{len(scores)} targets, {scores['below_corrected_p'].mean():.1%} consistent", file=sys.stderr)
write_table(ap, snakemake.output.ap)
write_table(scores, snakemake.output.map)
