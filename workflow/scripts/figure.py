"""Draw one registered figure and write its source table (every figure rule).

The figure id (params.figure) leads to its drawing function through the registry
(workflow/mapreprod/figures.tsv, column ``function``); the function gets the rule's named inputs
read as tables and the rule's params.options, and returns (source table, figure).
"""

import sys

from mapreprod import registry
from mapreprod.common import read_table, write_table
from mapreprod.job import start_job
from mapreprod.plotting import mark_standin, save_figure, set_style

snakemake = start_job()
figure_id = snakemake.params.figure
options = dict(snakemake.params.get("options", {}))
draw = registry.draw_function(figure_id)
tables = {name: read_table(path) for name, path in snakemake.input.items()}
set_style()
table, fig = draw(tables, options)
if options.get("standin"):
    mark_standin(fig, options["standin"])
print(f"{figure_id}: {draw.__module__}.{draw.__name__}, {len(table)} table rows", file=sys.stderr)
if "table" in snakemake.output.keys():
    write_table(table, snakemake.output.table)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=options.get("dpi"))
