"""Generated Cell Painting half of Fig 4, on the real nELISA file's wells (rule nelisa_synthetic_cellpainting)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.nelisa.standin import make_cellpainting  # noqa: E402

profiles = make_cellpainting(
    pd.read_parquet(snakemake.input.nelisa),  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
)
print(f"stand-in Cell Painting profiles: {profiles.shape}", file=sys.stderr)
profiles.to_parquet(snakemake.output.profiles, index=False)  # noqa: F821
