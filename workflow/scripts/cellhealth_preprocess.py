"""Concatenate the nine plates, normalise (standardize / MAD robustize), select features (§3.2)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import warnings  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

warnings.filterwarnings("ignore", message=".*copy_on_write.*")
plates = [ch.tidy_metadata(pd.read_csv(path), path) for path in snakemake.input.plates]  # noqa: F821
raw = pd.concat(plates, ignore_index=True)
profiles = ch.preprocess_profiles(
    raw,
    snakemake.wildcards.ch_preprocessing,  # noqa: F821
    operations=snakemake.params.operations,  # noqa: F821
    na_cutoff=snakemake.params.na_cutoff,  # noqa: F821
)
print(f"{raw.shape} -> {profiles.shape} after feature selection and Costes removal",
      file=sys.stderr)
profiles.to_parquet(snakemake.output.profiles, index=False)  # noqa: F821
