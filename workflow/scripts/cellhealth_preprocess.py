"""Concatenate the nine plates, normalise (standardize / MAD robustize), select features (§3.2; rule cellhealth_preprocess).

Also writes the profiles' values beyond 1e6 in absolute value (a table, usually empty; read by the
reproduction step)."""

import sys
import warnings

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
warnings.filterwarnings("ignore", message=".*copy_on_write.*")
plates = [ch.tidy_metadata(pd.read_csv(path), path) for path in snakemake.input.plates]
raw = pd.concat(plates, ignore_index=True)
profiles = ch.preprocess_profiles(
    raw,
    snakemake.wildcards.ch_preprocessing,
    operations=snakemake.params.operations,
    na_cutoff=snakemake.params.na_cutoff,
)
print(f"{raw.shape} -> {profiles.shape} after feature selection and Costes removal",
      file=sys.stderr)
write_table(profiles, snakemake.output.profiles)
write_table(ch.values_beyond_bound(profiles, snakemake.wildcards.ch_preprocessing), snakemake.output.beyond)
