"""Perturbation matching within a modality (Fig 4b): sister compounds and sister CRISPR guides."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import consistency, inputs  # noqa: E402
from mapreprod.datasets.cpjump1.activity import fraction_retrieved  # noqa: E402

sm = snakemake  # noqa: F821
profiles = {Path(p).name.removesuffix(".parquet"): p for p in sm.input.profiles}
detected = {Path(p).name.removesuffix(".csv"): p for p in sm.input.classes}
annotations = inputs.read_compound_annotations(sm.input.annotations)
settings = dict(sm.params.settings, threads=sm.threads)
for condition, ap_out, classes_out in zip(
    sm.params.conditions, sm.output.ap, sm.output.classes, strict=True
):
    df = pd.read_parquet(profiles[condition])
    found = pd.read_csv(detected[f"{condition}_all"])
    if inputs.parse_condition(condition)[0] == "compound":
        ap, classes = consistency.sister_compound_matching(df, found, annotations, **settings)
    else:
        ap, classes = consistency.sister_guide_matching(df, found, **settings)
    print(f"{condition}: {len(classes)} targets, fraction retrieved "
          f"{fraction_retrieved(classes):.3f}", file=sys.stderr)
    ap.to_csv(ap_out, index=False)
    classes.to_csv(classes_out, index=False)
