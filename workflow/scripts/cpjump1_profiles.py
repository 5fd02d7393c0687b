"""Each condition's profiles: its primary plates stacked, DMSO named, empty wells dropped."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import os  # noqa: E402

from mapreprod.datasets.cpjump1 import inputs, preprocess  # noqa: E402

sm = snakemake  # noqa: F821
experiment = inputs.read_experiment_metadata(sm.input.experiment)
files = {inputs.plate_of_profile_file(path): path for path in sm.input.plates}
for condition, out in zip(sm.params.conditions, sm.output.profiles, strict=True):
    plates = inputs.condition_plates(experiment, condition)
    missing = [p for p in plates if p not in files]
    if missing:
        raise ValueError(
            f"{condition}: primary plate(s) {missing} of {sm.input.experiment} have no profile "
            "file among the inputs (config/manifest.tsv rows cpjump1 profiles/<plate>_"
            f"{inputs.PROFILE_SUFFIX})"
        )
    modality = inputs.parse_condition(condition)[0]
    profiles = preprocess.condition_profiles(
        [inputs.read_plate_profiles(files[p], p) for p in plates], modality
    )
    print(f"{condition}: plates {plates}, {len(profiles)} wells, "
          f"{len(preprocess.feature_columns(profiles))} features", file=sys.stderr)
    profiles.to_parquet(out + ".tmp", index=False)
    os.replace(out + ".tmp", out)
