"""Fig S7B: annotate and filter the wells, then mAP of every ORF against same-plate negcons."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.cpg0016orf.activity import phenotypic_activity
from mapreprod.datasets.cpg0016orf.inputs import (
    read_compounds,
    read_experiment_metadata,
    read_low_infection_reagents,
    read_orf_metadata,
    read_profiles,
)
from mapreprod.datasets.cpg0016orf.preprocess import filter_profiles

inp = snakemake.input  # noqa: F821
params = snakemake.params  # noqa: F821
profiles = read_profiles(inp.profiles)
filtered, steps = filter_profiles(
    profiles,
    read_orf_metadata(inp.orf_metadata),
    read_compounds(inp.compounds),
    read_experiment_metadata(inp.experiment),
    read_low_infection_reagents(inp.reagents),
)
del profiles
print(steps.to_string(index=False), file=sys.stderr)
ap, scores = phenotypic_activity(
    filtered, fdr=params.fdr, threads=snakemake.threads, **params.settings  # noqa: F821
)
print(f"{len(scores)} ORFs, {scores['below_corrected_p'].mean():.1%} retrieved at "
      f"q < {params.fdr}", file=sys.stderr)
out = snakemake.output  # noqa: F821
ap.to_csv(out.ap, index=False)
scores.to_csv(out.map, index=False)
steps.to_csv(out.steps, index=False)
