"""Fig S7A: phenotypic activity of every compound at one dose against same-plate DMSO."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.cpg0004 import phenotypic_activity

profiles = pd.read_csv(snakemake.input.profiles, low_memory=False)  # noqa: F821
ap, scores = phenotypic_activity(profiles, **snakemake.params.settings, threads=snakemake.threads)  # noqa: F821
print(f"{len(scores)} compounds, {scores['below_corrected_p'].mean():.1%} retrieved", file=sys.stderr)
ap.to_csv(snakemake.output.ap, index=False)  # noqa: F821
scores.to_csv(snakemake.output.map, index=False)  # noqa: F821
