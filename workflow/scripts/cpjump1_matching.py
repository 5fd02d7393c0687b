"""Perturbation matching within a modality (Fig 4b): sister compounds and sister CRISPR guides
(rule cpjump1_matching)."""

import sys
from pathlib import Path

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import consistency, inputs
from mapreprod.datasets.cpjump1.activity import fraction_retrieved
from mapreprod.job import start_job

snakemake = start_job()
engine = settings.from_job(snakemake)
class_q = snakemake.params.class_q
profiles = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.profiles}
detected = {Path(p).name.removesuffix(".csv"): p for p in snakemake.input.classes}
annotations = inputs.read_compound_annotations(snakemake.input.annotations)
for condition, ap_out, classes_out in zip(
    snakemake.params.conditions, snakemake.output.ap, snakemake.output.classes, strict=True
):
    df = pd.read_parquet(profiles[condition])
    found = pd.read_csv(detected[f"{condition}_all"])
    if inputs.parse_condition(condition)[0] == "compound":
        ap, classes = consistency.sister_compound_matching(
            df, found, annotations, engine, class_q=class_q
        )
    else:
        ap, classes = consistency.sister_guide_matching(df, found, engine, class_q=class_q)
    print(f"{condition}: {len(classes)} targets, fraction retrieved "
          f"{fraction_retrieved(classes):.3f}", file=sys.stderr)
    write_table(ap, ap_out)
    write_table(classes, classes_out)
