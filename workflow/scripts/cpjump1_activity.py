"""Perturbation detection in every condition (Fig 4a; well variants: Extended Data Fig 1; rule
cpjump1_activity)."""

import sys
from pathlib import Path

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import activity
from mapreprod.job import start_job

snakemake = start_job()
engine = settings.from_job(snakemake)
profiles = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.profiles}
loaded = {}
for (condition, variant), ap_out, classes_out in zip(
    snakemake.params.tasks, snakemake.output.ap, snakemake.output.classes, strict=True
):
    if condition not in loaded:  # tasks come grouped by condition: keep one table in memory
        loaded = {condition: pd.read_parquet(profiles[condition])}
    ap, classes = activity.replicate_retrieval(
        loaded[condition], engine, variant=variant, class_q=snakemake.params.class_q
    )
    print(f"{condition} ({variant}): {len(ap)} wells, {len(classes)} perturbations, fraction "
          f"retrieved {activity.fraction_retrieved(classes):.3f}", file=sys.stderr)
    write_table(ap, ap_out)
    write_table(classes, classes_out)
