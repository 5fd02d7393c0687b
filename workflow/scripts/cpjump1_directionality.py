"""Fig 5: cosine of same-target pairs against the different-target null, Fisher's test."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import directionality, inputs  # noqa: E402

sm = snakemake  # noqa: F821
profiles = {Path(p).name.removesuffix(".parquet"): pd.read_parquet(p) for p in sm.input.profiles}
annotations = inputs.read_compound_annotations(sm.input.annotations)
signal, summary = directionality.directionality_tables(profiles, annotations, sm.params.fig5a_tails)
print(summary.to_string(), file=sys.stderr)
signal.to_csv(sm.output.signal, index=False)
summary.to_csv(sm.output.summary, index=False)
