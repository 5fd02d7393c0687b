"""Compound-gene matching across modalities (Fig 4c), every compound x genetic condition pair of
a cell type."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from functools import cache  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import consistency, inputs  # noqa: E402
from mapreprod.datasets.cpjump1.activity import fraction_retrieved  # noqa: E402

sm = snakemake  # noqa: F821
profile_paths = {Path(p).name.removesuffix(".parquet"): p for p in sm.input.profiles}
class_paths = {Path(p).name.removesuffix(".csv"): p for p in sm.input.classes}
annotations = inputs.read_compound_annotations(sm.input.annotations)


@cache
def load(condition):
    return pd.read_parquet(profile_paths[condition]), pd.read_csv(class_paths[f"{condition}_all"])


for pair, ap_out, classes_out in zip(sm.params.pairs, sm.output.ap, sm.output.classes, strict=True):
    compound, genetic = pair.split("-")
    ap, classes = consistency.compound_gene_matching(
        *load(compound), *load(genetic), annotations, threads=sm.threads, **sm.params.settings
    )
    print(f"{pair}: {len(classes)} genes, fraction retrieved {fraction_retrieved(classes):.3f}",
          file=sys.stderr)
    ap.to_csv(ap_out, index=False)
    classes.to_csv(classes_out, index=False)
