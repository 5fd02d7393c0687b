"""Read your profile files, map their columns, normalize / select / sphere (rule own_data_prepare)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.own_data import inputs, preprocess  # noqa: E402

spec = inputs.OwnDataSpec.from_config(snakemake.params.name, snakemake.params.entry)  # noqa: F821
raw = inputs.read_profiles(list(snakemake.input.profiles), spec.key("profiles"))  # noqa: F821
mapped, features = inputs.map_columns(raw, spec)
prepared, kept, info = preprocess.prepare_profiles(mapped, features, spec)
info["features"] = kept
print(json.dumps({k: v for k, v in info.items() if k != "features"}), file=sys.stderr)
prepared.to_parquet(snakemake.output.profiles, index=False)  # noqa: F821
with open(snakemake.output.info, "w") as fh:  # noqa: F821
    json.dump(info, fh, indent=1)
