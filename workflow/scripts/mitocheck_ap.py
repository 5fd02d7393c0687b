"""Single-cell AP of every labelled cell by one grouping, CellProfiler and DeepProfiler features."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.activity import grouping_ap, summarize

merged = pd.read_parquet(snakemake.input.merged)  # noqa: F821
ap = grouping_ap(merged, snakemake.wildcards.grouping, threads=snakemake.threads,  # noqa: F821
                 **snakemake.params.settings)  # noqa: F821
print(summarize(ap).to_string(index=False), file=sys.stderr)
ap.to_csv(snakemake.output.ap, index=False)  # noqa: F821
