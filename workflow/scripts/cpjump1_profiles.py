"""Each condition's profiles: its primary plates stacked, DMSO named, empty wells dropped (rule
cpjump1_profiles)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import inputs, preprocess
from mapreprod.job import start_job

snakemake = start_job()
experiment = inputs.read_experiment_metadata(snakemake.input.experiment)
files = {inputs.plate_of_profile_file(path): path for path in snakemake.input.plates}
for condition, out in zip(snakemake.params.conditions, snakemake.output.profiles, strict=True):
    plates = inputs.condition_plates(experiment, condition)
    missing = [p for p in plates if p not in files]
    if missing:
        raise ValueError(
            f"{condition}: primary plate(s) {missing} of {snakemake.input.experiment} have no "
            "profile file among the inputs (config/manifest.tsv rows cpjump1 profiles/<plate>_"
            f"{inputs.PROFILE_SUFFIX})"
        )
    modality = inputs.parse_condition(condition)[0]
    profiles = preprocess.condition_profiles(
        [inputs.read_plate_profiles(files[p], p) for p in plates], modality
    )
    print(f"{condition}: plates {plates}, {len(profiles)} wells, "
          f"{len(preprocess.feature_columns(profiles))} features", file=sys.stderr)
    write_table(profiles, out)
