"""Fig 3E/3F tables: consistency of guides targeting the same gene (§3.11, §3.12)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import warnings  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

warnings.filterwarnings("ignore", message=".*copy_on_write.*")
profiles = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
activity = pd.read_csv(snakemake.input.activity)  # noqa: F821
consensus = ch.consistency_profiles(profiles)
map_table, ap_table = ch.phenotypic_consistency(
    consensus, activity, min_active_guides=snakemake.params.min_active_guides,  # noqa: F821
    **snakemake.params.settings, threads=snakemake.threads,  # noqa: F821
)
map_table.to_csv(snakemake.output.map, index=False)  # noqa: F821
ap_table.to_csv(snakemake.output.ap, index=False)  # noqa: F821
