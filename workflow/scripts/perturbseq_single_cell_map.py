"""Fig 5A-B: AP of every target cell against the sampled non-targeting cells (rule
perturbseq_single_cell_map)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.perturbseq import (  # noqa: E402
    sample_controls,
    scored_cells,
    single_cell_ap,
    variable_features,
)

p = snakemake.params  # noqa: F821
settings = dict(p.settings)
threshold = settings.pop("variance_threshold")
cells = scored_cells(pd.read_parquet(snakemake.input.single_cell))  # noqa: F821
controls = sample_controls(cells, p.control_fraction, p.control_seed)
source = cells if p.features == "single_cell" else pd.read_parquet(snakemake.input.bulk)  # noqa: F821
features = variable_features(source, threshold)
table = single_cell_ap(
    cells, controls, features, calls=p.calls, null_size=p.null_size,
    threads=snakemake.threads, **settings,  # noqa: F821
)
print(f"{len(cells)} scored cells, {len(controls)} sampled controls, {len(features)} genes; "
      f"{len(table)} target cells", file=sys.stderr)
table.to_csv(snakemake.output.table, sep="\t", index=False)  # noqa: F821
controls[["Metadata_cell_identity", "Metadata_guide_identity"]].to_csv(
    snakemake.output.controls, index=False  # noqa: F821
)
summary = {"scored_cells": len(cells), "controls": len(controls), "features": len(features),
           "target_cells": len(table)}
with open(snakemake.output.summary, "w") as handle:  # noqa: F821
    json.dump(summary, handle, indent=1)
