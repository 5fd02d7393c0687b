"""Fig 4E-F: mAP of every guide against the non-targeting guides (rule perturbseq_bulk_map)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.perturbseq import bulk_map, read_screen_phenotypes  # noqa: E402

bulk = pd.read_parquet(snakemake.input.bulk)  # noqa: F821
phenotypes = read_screen_phenotypes(snakemake.input.supplement)  # noqa: F821
table = bulk_map(
    bulk,
    phenotypes,
    unit=snakemake.params.unit,  # noqa: F821
    null_size=snakemake.params.null_size,  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
    **snakemake.params.settings,  # noqa: F821
)
print(f"{len(table)} guides, {table['p < 0.05'].mean():.1%} retrieved", file=sys.stderr)
table.to_csv(snakemake.output.table, sep="\t", index=False)  # noqa: F821
