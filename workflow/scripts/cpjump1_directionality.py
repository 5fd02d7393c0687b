"""Fig 5: cosine of same-target pairs against the different-target null, Fisher's test (rule
cpjump1_directionality)."""

import sys
from pathlib import Path

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import directionality, inputs
from mapreprod.job import start_job

snakemake = start_job()
profiles = {
    Path(p).name.removesuffix(".parquet"): pd.read_parquet(p) for p in snakemake.input.profiles
}
annotations = inputs.read_compound_annotations(snakemake.input.annotations)
signal, summary = directionality.directionality_tables(
    profiles, annotations, snakemake.params.fig5a_tails
)
print(summary.to_string(), file=sys.stderr)
write_table(signal, snakemake.output.signal)
write_table(summary, snakemake.output.summary)
