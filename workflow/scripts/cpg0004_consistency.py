"""Fig S7C: phenotypic consistency of compounds sharing a target gene (consensus profiles)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.cpg0004 import active_compounds, phenotypic_consistency

consensus = pd.read_csv(snakemake.input.consensus, low_memory=False)  # noqa: F821
labels = pd.read_csv(snakemake.input.labels)  # noqa: F821
active = None
if snakemake.params.activity_filter:  # noqa: F821
    active = active_compounds(pd.read_csv(snakemake.input.activity))  # noqa: F821
    print(f"activity filter: {len(active)} active compounds kept", file=sys.stderr)
ap, scores = phenotypic_consistency(
    consensus, labels, active=active, **snakemake.params.settings, threads=snakemake.threads  # noqa: F821
)
print(f"{len(scores)} targets, {scores['below_corrected_p'].mean():.1%} consistent", file=sys.stderr)
ap.to_csv(snakemake.output.ap, index=False)  # noqa: F821
scores.to_csv(snakemake.output.map, index=False)  # noqa: F821
