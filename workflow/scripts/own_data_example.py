"""The generated example screen (rule own_data_example)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.own_data.standin import example_screen  # noqa: E402

profiles, truth = example_screen(**snakemake.params.settings)  # noqa: F821
profiles.to_csv(snakemake.output.profiles, index=False)  # noqa: F821
truth.to_csv(snakemake.output.truth, index=False)  # noqa: F821
print(f"{len(profiles)} wells, {int(truth['active'].sum())} active compounds", file=sys.stderr)
