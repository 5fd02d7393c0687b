# Rules: your own profiles, by config only (config section own_data; docs/methods.md "Your own
# profiles"). Every entry of own_data.datasets runs when own_data is in `datasets:`: its files
# are mapped and normalized, each perturbation's replicates are retrieved against the control
# wells (phenotypic activity; the AP step split over own_data.datasets.<name>.shards jobs and
# gathered before the p-values), and, with an annotation column, perturbations sharing an
# annotation are retrieved against the others (phenotypic consistency).
from mapreprod.datasets.own_data.figures import ANALYSES as OWN_ANALYSES
from mapreprod.datasets.own_data.paths import OwnDataWorkflow

# The configured datasets (checked now: config keys and globs; planning opens no data file, the
# prepare job checks the files' content and columns), their targets and input functions
# (mapreprod/datasets/own_data/paths.py).
try:
    OWN = OwnDataWorkflow(config["own_data"], "own_data" in config["datasets"])
except ValueError as err:
    raise WorkflowError(f"Config error: {err}") from None
OWN_DATA = config["own_data"]
#: Every final file (tables, figures) of the configured own datasets: targets of rule all.
OWN_DATA_TARGETS = OWN.targets
# The registry's ids (own_activity, own_consistency) are templates: the files are named per
# dataset (own_<name>_activity.png), listed in OWN_DATA_TARGETS instead.
FIGURES_OFF["own_data"] = set(figure_ids("own_data"))
# Each rule gets the dataset's entry without its engine keys and shard count, keys sorted
# (params.entry: own_data_entry), and the engine settings it uses (params.settings:
# own_data_settings), so that a setting reruns only the rules whose outputs depend on it: the
# prepare step none of them, the AP shards only the similarity, no rule map.batch_size,
# map.threads or the order of keys in a config file; the shard count changes the AP jobs
# (their file names carry it) and what gathers them.


wildcard_constraints:
    own_name=OWN.name_pattern,
    own_analysis="|".join(OWN_ANALYSES),
    own_shard=r"\d+",
    own_n_shards=r"\d+",


rule own_data_example:
    output:
        profiles="resources/own_data_example/profiles.csv.gz",
        truth="resources/own_data_example/planted_truth.csv",
    log:
        "logs/own_data/own_data_example.log",
    benchmark:
        "logs/benchmarks/own_data/own_data_example.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        example=OWN_DATA["example"],
    script:
        "../scripts/own_data_example.py"


rule own_data_prepare:
    input:
        profiles=OWN.profiles,
    output:
        profiles="results/own_data/{own_name}/prepared.parquet",
        info="results/own_data/{own_name}/prepared.json",
    log:
        "logs/own_data/{own_name}/prepare.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/prepare.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: int(2000 + 12 * input.size_mb),
        runtime=lambda wc, input: int(10 + input.size_mb / 20),
    params:
        name="{own_name}",
        entry=own_data_entry,
    script:
        "../scripts/own_data_prepare.py"


rule own_data_ap_shard:
    input:
        profiles=rules.own_data_prepare.output.profiles,
        info=rules.own_data_prepare.output.info,
    output:
        ap="results/own_data/{own_name}/activity_ap/shard{own_shard}of{own_n_shards}.parquet",
    log:
        "logs/own_data/{own_name}/ap_shard{own_shard}of{own_n_shards}.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/ap_shard{own_shard}of{own_n_shards}.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: int(1000 + 2.5 * input.size_mb),
        runtime=lambda wc, input: int(10 + input.size_mb / 20),
    params:
        name="{own_name}",
        entry=own_data_entry,
        settings=own_data_settings(fields=["similarity"]),
        shard=lambda wc: int(wc.own_shard),
        n_shards=lambda wc: int(wc.own_n_shards),
    script:
        "../scripts/own_data_ap_shard.py"


# The label-permutation test (map.test: permutation) runs in the gather step over the whole
# prepared table (features read, relabelings in threads; the engine keeps its shared matrices
# under 4 GB).
OWN_DATA_PERMUTATION = settings.from_config(config, "own_data").test == "permutation"


rule own_data_activity:
    input:
        profiles=rules.own_data_prepare.output.profiles,
        info=rules.own_data_prepare.output.info,
        shards=OWN.shard_files,
    output:
        table="results/own_data/{own_name}/activity.csv",
        ap="results/own_data/{own_name}/activity_ap.parquet",
    log:
        "logs/own_data/{own_name}/activity.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/activity.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS if OWN_DATA_PERMUTATION else 1
    resources:
        mem_mb=lambda wc, input: (
            int(6000 + 4 * input.size_mb)
            if OWN_DATA_PERMUTATION
            else int(2000 + 0.5 * input.size_mb)
        ),
        runtime=lambda wc, input: (
            int(30 + input.size_mb) if OWN_DATA_PERMUTATION else 30
        ),
    params:
        name="{own_name}",
        entry=own_data_entry,
        settings=own_data_settings(),
    script:
        "../scripts/own_data_activity.py"


rule own_data_consistency:
    input:
        unpack(OWN.consistency_inputs),
        profiles=rules.own_data_prepare.output.profiles,
        info=rules.own_data_prepare.output.info,
    output:
        table="results/own_data/{own_name}/consistency.csv",
        info="results/own_data/{own_name}/consistency.json",
    log:
        "logs/own_data/{own_name}/consistency.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/consistency.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: int(1000 + 4 * input.size_mb),
        runtime=lambda wc, input: int(10 + input.size_mb / 20),
    params:
        name="{own_name}",
        entry=own_data_entry,
        settings=own_data_settings(),
    script:
        "../scripts/own_data_consistency.py"


rule own_data_figure:
    input:
        table="results/own_data/{own_name}/{own_analysis}.csv",
    output:
        **figure_outputs("own_{own_name}_{own_analysis}"),
    log:
        "logs/own_data/{own_name}/figure_{own_analysis}.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/figure_{own_analysis}.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # the registry id (own_activity, own_consistency); the files are named per dataset
        figure=lambda wildcards: f"own_{wildcards.own_analysis}",
        options=own_data_figure_options,
    script:
        "../scripts/figure.py"


rule own_data_summary:
    input:
        unpack(OWN.summary_inputs),
        info=rules.own_data_prepare.output.info,
        metrics="results/own_data/{own_name}/metrics.csv",
    output:
        table="results/own_data/{own_name}/reproduction.csv",
    log:
        "logs/own_data/{own_name}/summary.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/summary.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        name="{own_name}",
        entry=own_data_entry,
        settings=own_data_settings(fields=["similarity", "null_size", "threshold"]),
    script:
        "../scripts/own_data_summary.py"


# The summary rows of every own dataset in one table (a part of results/reproduction.csv). With
# no dataset to run (own_data.datasets empty, or own_data not in `datasets:`) the input function
# stops the run naming the key to set: no empty summary is written over a full one.
rule own_data_combine:
    input:
        summaries=OWN.combine_inputs,
    output:
        table="results/own_data/reproduction.csv",
    log:
        "logs/own_data/combine.log",
    benchmark:
        "logs/benchmarks/own_data/combine.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/own_data_combine.py"


# The target `snakemake own_data_reproduction`: every final file of every own dataset (tables,
# figures, summary). It has no output of its own, so each of its inputs is a target: a deleted
# table is made again (an input of a rule with outputs would count as an intermediate file).
rule own_data_reproduction:
    input:
        unpack(OWN.reproduction_inputs),
        # the other metrics beside mAP of every dataset (defined at the end of this file)
        metrics=lambda wildcards: OWN_METRICS_TARGETS,
    log:
        "logs/own_data/reproduction.log",
    # no benchmark: this target has no output, and a benchmark file would become one (a
    # deleted table would then no longer be made again)
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,


# -- the other metrics beside mAP (docs/methods.md §15) --------------------------------------
# Every own dataset gets every metric its columns allow: the energy distance to its controls and
# its agreement with the activity calls; with an annotation column, the retrieval metrics; with
# own_data.metrics.<name>.gene, the known-relationship recall; with .cell_count, the cell-count
# baseline. Tables results/own_data/<name>/metrics*.csv, figure metrics_own_<name> (registry id
# metrics_own_data), rows in the dataset's summary.
from mapreprod.datasets.own_data import metrics as own_metrics

try:
    for _name in OWN_DATA.get("metrics") or {}:
        if _name not in (OWN_DATA.get("datasets") or {}):
            raise ValueError(
                f"own_data.metrics.{_name}: there is no dataset {_name!r} under own_data.datasets "
                f"({sorted(OWN_DATA.get('datasets') or {})})"
            )
    OWN_METRICS = {
        name: own_metrics.metrics_options(name, OWN_DATA.get("metrics"))
        for name in OWN.specs
    }
except ValueError as err:
    raise WorkflowError(f"Config error: {err}") from None
OWN_METRICS_TARGETS = [
    path
    for name in OWN.specs
    for path in (
        *metrics.output_paths(f"own_data/{name}").values(),
        *figure_targets([f"metrics_own_{name}"]),
    )
]
OWN_DATA_TARGETS.extend(OWN_METRICS_TARGETS)
# The report finds the registered id of the per-dataset figure files.
OWN_FIGURE_IDS.update({f"metrics_own_{name}": "metrics_own_data" for name in OWN.specs})
config["_report_captions"].aliases.update(
    {f"metrics_own_{name}": "metrics_own_data" for name in OWN.specs}
)


rule own_data_metrics:
    input:
        # the relationship files, with own_data.metrics.<name>.gene
        unpack(
            lambda wildcards: own_metrics.relationship_inputs(
                OWN_METRICS[wildcards.own_name]
            )
        ),
        profiles=rules.own_data_prepare.output.profiles,
        info=rules.own_data_prepare.output.info,
        activity="results/own_data/{own_name}/activity.csv",
    output:
        **metrics.output_paths("own_data/{own_name}"),
    log:
        "logs/own_data/{own_name}/metrics.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/metrics.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=lambda wc, input: int(2000 + 4 * input.size_mb),
        runtime=lambda wc, input: int(10 + input.size_mb / 10),
    params:
        name="{own_name}",
        entry=own_data_entry,
        settings=own_data_settings(fields=METRICS_SETTINGS_FIELDS),
        test=settings.from_config(config, "own_data").test,
        options=lambda wildcards: OWN_METRICS[wildcards.own_name],
        relationship_sources=lambda wildcards: own_metrics.relationship_sources(
            OWN_METRICS[wildcards.own_name]
        ),
    script:
        "../scripts/own_data_metrics.py"


rule own_data_metrics_figure:
    input:
        **metrics.output_paths("own_data/{own_name}"),
    output:
        **figure_outputs("metrics_own_{own_name}"),
    log:
        "logs/own_data/{own_name}/figure_metrics.log",
    benchmark:
        "logs/benchmarks/own_data/{own_name}/figure_metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # the registry id; the files are named per dataset
        figure="metrics_own_data",
        options=own_data_figure_options,
    script:
        "../scripts/figure.py"
