"""Fig S7A: phenotypic activity of every compound at one dose against same-plate DMSO (rule
cpg0004_activity)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import phenotypic_activity
from mapreprod.job import start_job

snakemake = start_job()
profiles = pd.read_csv(snakemake.input.profiles, low_memory=False)
ap, scores = phenotypic_activity(
    profiles, settings.from_job(snakemake), dose=snakemake.params.dose, fdr=snakemake.params.fdr
)
print(f"{len(scores)} compounds, {scores['below_corrected_p'].mean():.1%} retrieved", file=sys.stderr)
write_table(ap, snakemake.output.ap)
write_table(scores, snakemake.output.map)
