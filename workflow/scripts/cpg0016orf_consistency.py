"""Fig S7D: median consensus per gene of the active ORFs, mAP per CORUM complex (rule
cpg0016orf_consistency)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0016orf.consistency import (
    CONSENSUS_BY,
    active_perturbations,
    complex_annotations,
    consensus,
    phenotypic_consistency,
    select_active_wells,
)
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
params = snakemake.params
map_settings = settings.from_job(snakemake)
active = active_perturbations(pd.read_csv(inp.activity))
orf_metadata = read_orf_metadata(inp.orf_metadata)
profiles = read_profiles(inp.profiles)
filtered = params.wells == "filtered"
if filtered:
    profiles, _ = filter_profiles(
        profiles,
        orf_metadata,
        read_compounds(inp.compounds),
        read_experiment_metadata(inp.experiment),
        read_low_infection_reagents(inp.reagents),
    )
wells = select_active_wells(
    profiles, active, complex_annotations(orf_metadata), key_columns_only=filtered
)
del profiles
profiles_c = consensus(wells, by=CONSENSUS_BY[params.consensus_by])
print(
    f"{len(active)} active ORFs, {len(wells)} of their wells with a complex annotation "
    f"({params.wells} wells), {len(profiles_c)} consensus profiles per {params.consensus_by}",
    file=sys.stderr,
)
ap, scores = phenotypic_consistency(profiles_c, map_settings)
print(
    f"{len(scores)} complexes, {scores['below_corrected_p'].mean():.1%} consistent at "
    f"q < {map_settings.threshold}",
    file=sys.stderr,
)
write_table(profiles_c.to_frame(), snakemake.output.consensus)
write_table(ap, snakemake.output.ap)
write_table(scores, snakemake.output.map)
