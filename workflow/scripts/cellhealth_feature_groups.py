"""Fig 3D (channels) or S6C (compartment x feature type): drop vs exclusive (§3.7, §3.8; rule cellhealth_feature_groups)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
profiles = pd.read_parquet(snakemake.input.profiles)
features = ch.cp_features(profiles)
if snakemake.wildcards.ch_groups == "channel":
    groups, to_table = ch.channel_groups(features), ch.channel_table
else:
    groups, to_table = ch.compartment_groups(features), ch.compartment_table
for name, members in groups.items():
    print(f"{name}: {len(members)} features", file=sys.stderr)
analysis = ch.feature_group_analysis(profiles, groups, settings.from_job(snakemake))
write_table(to_table(analysis), snakemake.output.table)
