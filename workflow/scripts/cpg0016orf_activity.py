"""Fig S7B: annotate and filter the wells, then mAP of every ORF against same-plate negcons
(rule cpg0016orf_activity)."""

import sys

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0016orf.activity import phenotypic_activity
from mapreprod.datasets.cpg0016orf.inputs import (
    read_compounds,
    read_experiment_metadata,
    read_low_infection_reagents,
    read_orf_metadata,
    read_profiles,
)
from mapreprod.datasets.cpg0016orf.preprocess import filter_profiles
from mapreprod.job import start_job

snakemake = start_job()
inp = snakemake.input
map_settings = settings.from_job(snakemake)
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
ap, scores = phenotypic_activity(filtered, map_settings)
print(
    f"{len(scores)} ORFs, {scores['below_corrected_p'].mean():.1%} retrieved at "
    f"q < {map_settings.threshold}",
    file=sys.stderr,
)
write_table(ap, snakemake.output.ap)
write_table(scores, snakemake.output.map)
write_table(steps, snakemake.output.steps)
