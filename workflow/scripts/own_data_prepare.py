"""Read your profile files, map their columns, normalize / select / sphere (rule own_data_prepare).

This is the first job of a dataset, and the first to open its files (planning reads none):
content, columns and values are checked here, each error naming the file, column and key."""

import json
import sys

from mapreprod.common import write_table
from mapreprod.datasets.own_data import inputs, preprocess
from mapreprod.datasets.own_data.paths import write_json
from mapreprod.job import start_job

snakemake = start_job()
spec = inputs.OwnDataSpec.from_config(snakemake.params.name, snakemake.params.entry)
raw = inputs.read_profiles(
    list(snakemake.input.profiles), spec.key("profiles"), na_values=spec.na_values, origin=True
)
mapped, features = inputs.map_columns(raw, spec)
prepared, kept, info = preprocess.prepare_profiles(mapped, features, spec)
info["features"] = kept
print(json.dumps({k: v for k, v in info.items() if k != "features"}), file=sys.stderr)
write_table(prepared, snakemake.output.profiles)
write_json(info, snakemake.output.info)
