"""Compound-gene matching across modalities (Fig 4c), every compound x genetic condition pair of
a cell type (rule cpjump1_cross)."""

import sys
from functools import cache
from pathlib import Path

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import consistency, inputs
from mapreprod.datasets.cpjump1.activity import fraction_retrieved
from mapreprod.job import start_job

snakemake = start_job()
engine = settings.from_job(snakemake)
profile_paths = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.profiles}
class_paths = {Path(p).name.removesuffix(".csv"): p for p in snakemake.input.classes}
annotations = inputs.read_compound_annotations(snakemake.input.annotations)


@cache
def load(condition: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profiles and detection classes (all replicates) of one condition, read once."""
    return pd.read_parquet(profile_paths[condition]), pd.read_csv(class_paths[f"{condition}_all"])


for pair, ap_out, classes_out in zip(
    snakemake.params.pairs, snakemake.output.ap, snakemake.output.classes, strict=True
):
    compound, genetic = inputs.parse_cross_pair(pair)
    ap, classes = consistency.compound_gene_matching(
        *load(compound), *load(genetic), annotations, engine, class_q=snakemake.params.class_q,
        multilabel_negatives=snakemake.params.multilabel_negatives,
    )
    print(f"{pair}: {len(classes)} genes, fraction retrieved {fraction_retrieved(classes):.3f}",
          file=sys.stderr)
    write_table(ap, ap_out)
    write_table(classes, classes_out)
