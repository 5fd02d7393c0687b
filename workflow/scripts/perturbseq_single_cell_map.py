"""Fig 5A-B: AP of every target cell against the sampled non-targeting cells (rule
perturbseq_single_cell_map)."""

import json
import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.perturbseq import (
    sample_controls,
    scored_cells,
    single_cell_ap,
    variable_features,
)
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
cells = scored_cells(pd.read_parquet(snakemake.input.single_cell))
controls = sample_controls(cells, p.control_fraction, p.control_seed)
# the genes: variance over the single-cell table (HEAD) or the bulk profiles (e9a5414)
source = cells if p.features == "single_cell" else pd.read_parquet(snakemake.input.bulk)
features = variable_features(source, p.variance_threshold)
table = single_cell_ap(cells, controls, features, settings.from_job(snakemake), calls=p.calls)
print(f"{len(cells)} scored cells, {len(controls)} sampled controls, {len(features)} genes; "
      f"{len(table)} target cells", file=sys.stderr)
# the authors' tab-separated GSE132080_single_cell_map.tsv.gz
write_table(table, snakemake.output.table)
write_table(controls[["Metadata_cell_identity", "Metadata_guide_identity"]], snakemake.output.controls)
summary = {"scored_cells": len(cells), "controls": len(controls), "features": len(features),
           "target_cells": len(table)}
with open(snakemake.output.summary, "w") as handle:
    json.dump(summary, handle, indent=1)
