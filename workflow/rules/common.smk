from snakemake.utils import validate

# The config is validated (and defaults filled in) before anything is planned.
validate(config, schema="../schemas/config.schema.yaml")

# Rule scripts import the `mapeval` package of this repository: Snakemake puts a script's folder
# on sys.path, and workflow/scripts/mapeval links to workflow/mapeval, so this works in the calling
# environment, in conda environments (--sdm conda) and in cluster jobs alike.

# Figures produced by each part of the workflow; each id gives
# results/figures/<id>.png, results/figures/<id>.pdf and results/tables/<id>.csv.
FIGURES = {}


wildcard_constraints:
    figure=r"[A-Za-z0-9_]+",


def figure_targets(figure_ids):
    """Paths of the PNG, PDF and source table of each figure id."""
    return [
        path
        for fid in figure_ids
        for path in (
            f"results/figures/{fid}.png",
            f"results/figures/{fid}.pdf",
            f"results/tables/{fid}.csv",
        )
    ]


def all_targets():
    """Every output of the configured run: the simulation figures, the figures of each
    real dataset listed in config['datasets'], and the reproduction summary."""
    parts = ["simulations", *config["datasets"]]
    figures = [path for part in parts for path in figure_targets(FIGURES.get(part, []))]
    return figures + ["results/reproduction.csv", "results/reproduction.md"]


def reproduction_inputs():
    """The reproduction table of each real dataset that runs."""
    return [f"results/{dataset}/reproduction.csv" for dataset in config["datasets"]]
