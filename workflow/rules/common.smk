from pathlib import Path

from snakemake.exceptions import WorkflowError

# Rule scripts import the installed packages `mapeval` (engine) and `mapreprod` (the paper's
# code); `pip install -e .` installs both from this checkout. A stale or foreign install would
# run other code silently, so planning stops if they come from anywhere else.
import mapeval
import mapreprod
from mapreprod import registry, settings


def _check_packages_from_checkout():
    here = (Path(workflow.basedir) / "workflow").resolve()
    for module in (mapeval, mapreprod):
        origin = Path(module.__file__).resolve().parent
        if origin.parent != here:
            raise WorkflowError(
                f"The Python package {module.__name__!r} is imported from {origin}, not from this "
                f"checkout ({here / module.__name__}). Install this checkout's packages with "
                f"`pip install -e {Path(workflow.basedir).resolve()}` in the environment that runs "
                "Snakemake (or uninstall the other copy)."
            )


_check_packages_from_checkout()

# The config is validated (and defaults filled in, also inside each section) before anything is
# planned. The schema is split per section (workflow/schemas/*.schema.yaml, joined by $ref).
from mapreprod.config import validate_config

try:
    validate_config(
        config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    )
except ValueError as error:
    raise WorkflowError(str(error)) from None

# Threads of every job that computes AP/mAP: the rule declares them, its script passes
# snakemake.threads to the engine (Snakemake caps them at --cores).
MAP_THREADS = config["map"]["threads"]


def map_settings(dataset, fields=settings.RESULT_FIELDS, section=None, **overrides):
    """The engine settings of one dataset (mapreprod.settings.MapSettings: the map section
    overlaid with the dataset's keys, then ``overrides``), handed over as a plain dict of the
    result ``fields`` the job depends on: changing one of them reruns the job, changing anything
    else (batch size, threads, a field it does not use) does not. The job's script rebuilds the
    object with mapreprod.settings.from_job(snakemake)."""
    built = settings.from_config(config, dataset, section).replace(**overrides)
    return built.param(fields)


# The figure registry (workflow/mapreprod/figures.tsv): id, dataset, paper figure, rule, caption.
FIGURE_REGISTRY = registry.figures()


wildcard_constraints:
    figure=r"[A-Za-z0-9_]+",


def figure_ids(dataset, rule=None):
    """Registered figure ids of one dataset (simulations, or a name of config['datasets']),
    only those drawn by ``rule`` if given."""
    return registry.figure_ids(dataset, rule)


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


# Figures a dataset's rule file turns off for this config (e.g. nELISA's Fig 4B/4D need both
# assays); dataset -> set of ids.
FIGURES_OFF = {}


def active_figures(dataset):
    """Registered figure ids of a dataset that this config draws."""
    return [f for f in figure_ids(dataset) if f not in FIGURES_OFF.get(dataset, set())]


def all_targets():
    """Every output of the configured run: the simulation figures, the figures of each
    real dataset listed in config['datasets'], and the reproduction summary."""
    parts = ["simulations", *config["datasets"]]
    figures = [path for part in parts for path in figure_targets(active_figures(part))]
    return (
        figures
        + OWN_DATA_TARGETS
        + ["results/reproduction.csv", "results/reproduction.md"]
        # the cost of every job (workflow/rules/benchmarks.smk)
        + ["results/benchmarks.csv"]
    )


def _figure_id(output):
    """The registered figure id of a figure job, from its PNG path (own-data figures,
    own_<name>_<analysis>, are registered as own_<analysis>)."""
    stem = Path(output.png).stem
    return OWN_FIGURE_IDS.get(stem, stem)


def _report_category(wildcards, output):
    return registry.report_category(_figure_id(output))


def _report_labels(wildcards, output):
    row = registry.entry(_figure_id(output))
    return {"figure": row["paper_figure"], "id": Path(output.png).stem}


# Captions of the report (snakemake --report): the registry's caption, its paper figure and the
# numbers of this run next to the paper's (results/reproduction.csv). workflow/report/caption.rst
# looks them up by figure stem when the report is built; planning reads no data file (the
# mapping reads the table on first use). Own-data figures are named by the user's datasets:
# own_<name>_<analysis> -> own_<analysis>.
OWN_FIGURE_IDS = (
    {
        f"own_{name}_{analysis}": f"own_{analysis}"
        for name in config["own_data"].get("datasets", {})
        for analysis in ("activity", "consistency")
    }
    if "own_data" in config["datasets"]
    else {}
)
config["_report_captions"] = registry.ReportCaptions(
    "results/reproduction.csv", OWN_FIGURE_IDS
)


def figure_outputs(figure, table=True):
    """Named outputs of the job that draws one figure -- png (in the report, captioned from
    the registry), pdf and (unless ``table`` is false: another rule writes it) the source table
    results/tables/<id>.csv. ``figure`` may be a literal id or "{figure}"."""
    outputs = {
        "png": report(
            f"results/figures/{figure}.png",
            caption="../report/caption.rst",
            category=_report_category,
            labels=_report_labels,
        ),
        "pdf": f"results/figures/{figure}.pdf",
    }
    if table:
        outputs["table"] = f"results/tables/{figure}.csv"
    return outputs


def reproduction_inputs():
    """The reproduction table of each real dataset that runs."""
    return [f"results/{dataset}/reproduction.csv" for dataset in config["datasets"]]


# Input functions of the dataset rules, one section per dataset (the constants they read are
# defined in the dataset's rule file).

# -- simulations --

# -- cellhealth --

# -- cpg0004 --


def cpg0004_figure_inputs(wildcards):
    """The mAP table of one cpg0004 figure (CPG0004_FIGURE_MAP), named map."""
    return {"map": CPG0004_FIGURE_MAP[wildcards.figure]}


# -- cpg0016orf --


def cpg0016orf_figure_inputs(wildcards):
    """The mAP table of one cpg0016[orf] figure (CPG0016ORF_FIGURE_MAP), named map."""
    return {"map": CPG0016ORF_FIGURE_MAP[wildcards.figure]}


def cpg0016orf_figure_options(wildcards):
    """Options of one cpg0016[orf] figure: the BH level its table was called at, and the
    stand-in mark."""
    standin = {"standin": "cpg0016orf.synthetic"} if CPG0016ORF["synthetic"] else {}
    return {"q": CPG0016ORF_FIGURE_FDR[wildcards.figure], **standin}


# -- cpjump1 --


def cpjump1_figure_inputs(wildcards):
    """The class tables of one CPJUMP1 figure (CPJUMP1_FIGURE_INPUTS), named by condition or
    task (the names mapreprod.datasets.cpjump1.figures reads)."""
    return CPJUMP1_FIGURE_INPUTS[wildcards.figure]


# -- perturbseq --

# -- mitocheck --

# -- own_data --


def own_data_entry(wildcards):
    """The config entry of one own dataset without its engine keys (OwnDataSpec.ENGINE_KEYS:
    similarity, null size, seed, threshold; they reach the rules that use them through
    own_data_settings) and its shard count, keys sorted (OwnDataWorkflow.entry)."""
    return OWN.entry(wildcards)


def own_data_settings(fields=settings.RESULT_FIELDS):
    """params.settings of an own-data rule: the engine settings of the job's dataset (its entry's
    similarity, null size, seed, threshold over the map section), only the result ``fields``
    the rule depends on."""

    def settings_of(wildcards):
        entry = config["own_data"]["datasets"][wildcards.own_name]
        return map_settings("own_data", fields, section=entry)

    return settings_of


def own_data_figure_options(wildcards):
    """Options of an own-data figure: the dataset's name (title) and BH level (legend)."""
    entry = config["own_data"]["datasets"][wildcards.own_name]
    threshold = settings.from_config(config, "own_data", entry).threshold
    return {"name": wildcards.own_name, "threshold": threshold}


# -- nelisa --


def nelisa_figure_inputs(wildcards):
    """The per-assay tables of one nELISA figure (NELISA_FIGURE_KIND), named by assay."""
    return NELISA_FILES[NELISA_FIGURE_KIND[wildcards.figure]]


def nelisa_profiles(wildcards):
    """Profiles of one nELISA-experiment assay: the download, or (nelisa.synthetic_cellpainting)
    the generated Cell Painting half built on the real nELISA file's wells and compounds.
    """
    if wildcards.assay == "cellpainting" and config["nelisa"]["synthetic_cellpainting"]:
        return "resources/nelisa_synthetic/cellpainting_profiles.parquet"
    return f"resources/nelisa/{wildcards.assay}_profiles.parquet"
