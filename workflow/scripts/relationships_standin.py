"""A stand-in of one known-relationship source for a generated dataset (rule
relationships_standin; docs/methods.md §15.2): the pairs of genes whose profiles share planted
signal (the dataset's planted truth), a share per source, plus random pairs, in the published
file's format."""

import importlib
import sys
from pathlib import Path

from mapreprod import annotations
from mapreprod.common import read_table
from mapreprod.job import start_job

snakemake = start_job()
dataset = snakemake.params.dataset
module = importlib.import_module(f"mapreprod.datasets.{dataset}.metrics")
groups, genes = module.planted_relationship_groups(read_table(snakemake.input.truth))
tables = annotations.standin_relationships(groups, genes, seed=snakemake.params.seed)
source = {name: s for s, name in annotations.SOURCES.items()}[snakemake.params.file]
print(
    f"{dataset}: {len(genes)} genes, {groups['group'].nunique() if len(groups) else 0} planted "
    f"groups; {source}: {len(tables[source])} pairs",
    file=sys.stderr,
)
annotations.write_relationships({source: tables[source]}, Path(snakemake.output.pairs).parent)
