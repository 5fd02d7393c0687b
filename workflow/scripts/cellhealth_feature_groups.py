"""Fig 3D (channels) or S6C (compartment x feature type): drop vs exclusive (§3.7, §3.8)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

profiles = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
features = ch.cp_features(profiles)
if snakemake.wildcards.ch_groups == "channel":  # noqa: F821
    groups, to_table = ch.channel_groups(features), ch.channel_table
else:
    groups, to_table = ch.compartment_groups(features), ch.compartment_table
for name, members in groups.items():
    print(f"{name}: {len(members)} features", file=sys.stderr)
analysis = ch.feature_group_analysis(profiles, groups, **snakemake.params.settings, threads=snakemake.threads)  # noqa: F821
to_table(analysis).to_csv(snakemake.output.table, index=False)  # noqa: F821
