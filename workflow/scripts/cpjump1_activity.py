"""Perturbation detection in every condition (Fig 4a; well variants: Extended Data Fig 1)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import activity  # noqa: E402

sm = snakemake  # noqa: F821
profiles = {Path(p).name.removesuffix(".parquet"): p for p in sm.input.profiles}
loaded = {}
for (condition, variant), ap_out, classes_out in zip(
    sm.params.tasks, sm.output.ap, sm.output.classes, strict=True
):
    if condition not in loaded:
        loaded = {condition: pd.read_parquet(profiles[condition])}
    ap, classes = activity.replicate_retrieval(
        loaded[condition], variant=variant, threads=sm.threads, **sm.params.settings
    )
    print(f"{condition} ({variant}): {len(ap)} wells, {len(classes)} perturbations, fraction "
          f"retrieved {activity.fraction_retrieved(classes):.3f}", file=sys.stderr)
    ap.to_csv(ap_out, index=False)
    classes.to_csv(classes_out, index=False)
