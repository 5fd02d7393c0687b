# Rules: the CPJUMP1 benchmark (Chandrasekaran et al. 2024; docs/methods.md §12). For each of the 12
# conditions (compound / CRISPR / ORF x A549 / U2OS x short / long time point) the primary plates
# are stacked; perturbation detection retrieves each well's replicates against same-plate
# negative controls (Fig 4a; ORF same-well / different-well variants: Extended Data Fig 1); the
# retrieved perturbations are matched to their sisters (Fig 4b) and compounds to genes (Fig 4c);
# Fig 5 checks the direction of same-target similarities. With cpjump1.synthetic the same rules
# run on a generated stand-in (resources/cpjump1_synthetic/).
import os

from mapreprod.datasets.cpjump1 import inputs as cpjump1_inputs
from mapreprod.datasets.cpjump1 import standin as cpjump1_standin

CPJUMP1 = config["cpjump1"]
CPJUMP1_INPUTS = (
    "resources/cpjump1_synthetic" if CPJUMP1["synthetic"] else "resources/cpjump1"
)
CPJUMP1_CONDITIONS = cpjump1_inputs.all_conditions()
# Extended Data Fig 1 variants for the configured modalities (ORF in the paper).
CPJUMP1_VARIANTS = {
    cond: ["all"]
    + (
        ["same_well", "different_well"]
        if cpjump1_inputs.parse_condition(cond)[0] in CPJUMP1["well_variant_modalities"]
        else []
    )
    for cond in CPJUMP1_CONDITIONS
}
# Plates with profile files: the stand-in's plates, or the manifest's rows profiles/<plate>_...
if CPJUMP1["synthetic"]:
    CPJUMP1_PLATES = cpjump1_standin.standin_plates()
else:
    CPJUMP1_PLATES = sorted(
        cpjump1_inputs.plate_of_profile_file(f)
        for (d, f) in MANIFEST_ROWS
        if d == "cpjump1" and f.startswith("profiles/")
    )
if "cpjump1" in config["datasets"] and not CPJUMP1_PLATES:
    raise WorkflowError(
        "cpjump1: no profile file listed in the manifest (rows cpjump1 profiles/<plate>_"
        f"{cpjump1_inputs.PROFILE_SUFFIX}); add them, or set cpjump1.synthetic: true"
    )
CPJUMP1_PROFILE_FILES = [
    f"{CPJUMP1_INPUTS}/{cpjump1_inputs.profile_file(p)}" for p in CPJUMP1_PLATES
]
# Engine settings the CPJUMP1 results depend on: the AP p-values' null (size, seed, sampler;
# map.test: exact enumerates it, the permutation test has no AP-level version: docs/methods.md
# §1.9) and the class q-value threshold. Each task's similarity is the notebooks' (not a config
# key), so similarity is not part of the param.
CPJUMP1_MAP_FIELDS = ["null_size", "threshold", "seed", "null_sampler", "test"]


# The stand-in's plate maps and metadata: real (downloaded, or copied from a local mirror) or
# generated (config cpjump1.synthetic_metadata; "auto" looks for the files without downloading).
CPJUMP1_LAYOUT_SOURCE = cpjump1_standin.layout_source(
    CPJUMP1["synthetic_metadata"], "resources/cpjump1", config["data"]["mirror"]
)
CPJUMP1_LAYOUT_INPUTS = (
    {key: f"resources/cpjump1/{f}" for key, f in cpjump1_standin.LAYOUT_FILES.items()}
    if CPJUMP1_LAYOUT_SOURCE == "real"
    else {}
)
# Class tables of replicate retrieval, named <condition>__<variant>.
CPJUMP1_ACTIVITY_FILES = {
    cpjump1_inputs.activity_table_name(c, v): f"results/cpjump1/activity/{c}_{v}.csv"
    for c in CPJUMP1_CONDITIONS
    for v in CPJUMP1_VARIANTS[c]
}
CPJUMP1_MATCHING = [
    c
    for c in CPJUMP1_CONDITIONS
    if cpjump1_inputs.parse_condition(c)[0] in ("compound", "crispr")
]
# Compound-gene tasks, named <compound condition>-<genetic condition>.
CPJUMP1_CROSS = cpjump1_inputs.cross_pairs()
# Inputs of each figure (tables named as mapreprod.datasets.cpjump1.figures expects them).
CPJUMP1_FIGURE_INPUTS = {
    "cpjump1_fig4a": {
        k: v for k, v in CPJUMP1_ACTIVITY_FILES.items() if k.endswith("__all")
    },
    "cpjump1_edfig1": {
        k: v for k, v in CPJUMP1_ACTIVITY_FILES.items() if k.startswith("orf_")
    },
    "cpjump1_fig4b": {c: f"results/cpjump1/matching/{c}.csv" for c in CPJUMP1_MATCHING},
    "cpjump1_fig4c": {p: f"results/cpjump1/cross/{p}.csv" for p in CPJUMP1_CROSS},
    "cpjump1_fig5": {
        "signal": "results/cpjump1/directionality_signal.csv.gz",
        "summary": "results/cpjump1/directionality_summary.csv",
    },
}
CPJUMP1_FIGURE_OPTIONS = {
    "fig5a_tails": CPJUMP1["fig5a_tails"],
    **({"standin": "cpjump1.synthetic"} if CPJUMP1["synthetic"] else {}),
}


rule cpjump1_synthetic_data:
    input:
        **CPJUMP1_LAYOUT_INPUTS,
    output:
        experiment=f"resources/cpjump1_synthetic/{cpjump1_inputs.EXPERIMENT_FILE}",
        annotations=f"resources/cpjump1_synthetic/{cpjump1_inputs.ANNOTATION_FILE}",
        truth="resources/cpjump1_synthetic/planted_truth.csv",
        profiles=[
            f"resources/cpjump1_synthetic/{cpjump1_inputs.profile_file(p)}"
            for p in cpjump1_standin.standin_plates()
        ],
    log:
        "logs/cpjump1/cpjump1_synthetic_data.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_synthetic_data.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        design=CPJUMP1["synthetic_design"],
        seed=CPJUMP1["seed"],
        layout_source=CPJUMP1_LAYOUT_SOURCE,
        outdir=lambda wildcards, output: os.path.dirname(output.experiment),
    script:
        "../scripts/cpjump1_synthetic_data.py"


rule cpjump1_profiles:
    input:
        experiment=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.EXPERIMENT_FILE}",
        plates=CPJUMP1_PROFILE_FILES,
    output:
        profiles=expand(
            "results/cpjump1/profiles/{condition}.parquet",
            condition=CPJUMP1_CONDITIONS,
        ),
    log:
        "logs/cpjump1/cpjump1_profiles.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_profiles.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        conditions=CPJUMP1_CONDITIONS,
    script:
        "../scripts/cpjump1_profiles.py"


rule cpjump1_activity:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
    output:
        ap=[
            f"results/cpjump1/activity/{c}_{v}_ap.csv.gz"
            for c in CPJUMP1_CONDITIONS
            for v in CPJUMP1_VARIANTS[c]
        ],
        classes=[
            f"results/cpjump1/activity/{c}_{v}.csv"
            for c in CPJUMP1_CONDITIONS
            for v in CPJUMP1_VARIANTS[c]
        ],
    log:
        "logs/cpjump1/cpjump1_activity.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_activity.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tasks=[(c, v) for c in CPJUMP1_CONDITIONS for v in CPJUMP1_VARIANTS[c]],
        settings=map_settings("cpjump1", fields=CPJUMP1_MAP_FIELDS),
        class_q=CPJUMP1["class_q"],
    script:
        "../scripts/cpjump1_activity.py"


rule cpjump1_matching:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        classes=rules.cpjump1_activity.output.classes,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        ap=expand("results/cpjump1/matching/{c}_ap.csv.gz", c=CPJUMP1_MATCHING),
        classes=expand("results/cpjump1/matching/{c}.csv", c=CPJUMP1_MATCHING),
    log:
        "logs/cpjump1/cpjump1_matching.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_matching.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        conditions=CPJUMP1_MATCHING,
        settings=map_settings("cpjump1", fields=CPJUMP1_MAP_FIELDS),
        class_q=CPJUMP1["class_q"],
    script:
        "../scripts/cpjump1_matching.py"


rule cpjump1_cross:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        classes=rules.cpjump1_activity.output.classes,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        ap=expand("results/cpjump1/cross/{p}_ap.csv.gz", p=CPJUMP1_CROSS),
        classes=expand("results/cpjump1/cross/{p}.csv", p=CPJUMP1_CROSS),
    log:
        "logs/cpjump1/cpjump1_cross.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_cross.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        pairs=CPJUMP1_CROSS,
        settings=map_settings("cpjump1", fields=CPJUMP1_MAP_FIELDS),
        class_q=CPJUMP1["class_q"],
        # Fig 4c's negatives (docs/methods.md §12.6); Fig 4b does not depend on it
        multilabel_negatives=CPJUMP1["multilabel_negatives"],
    script:
        "../scripts/cpjump1_cross.py"


rule cpjump1_directionality:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        signal="results/cpjump1/directionality_signal.csv.gz",
        summary="results/cpjump1/directionality_summary.csv",
    log:
        "logs/cpjump1/cpjump1_directionality.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_directionality.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        fig5a_tails=CPJUMP1["fig5a_tails"],
    script:
        "../scripts/cpjump1_directionality.py"


rule cpjump1_figure:
    input:
        unpack(cpjump1_figure_inputs),
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/cpjump1/cpjump1_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("cpjump1", "cpjump1_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=CPJUMP1_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule cpjump1_reproduction:
    input:
        **CPJUMP1_ACTIVITY_FILES,
        matching=expand("results/cpjump1/matching/{c}.csv", c=CPJUMP1_MATCHING),
        cross=expand("results/cpjump1/cross/{p}.csv", p=CPJUMP1_CROSS),
        summary="results/cpjump1/directionality_summary.csv",
    output:
        table="results/cpjump1/reproduction.csv",
    log:
        "logs/cpjump1/cpjump1_reproduction.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        activity_tables=list(CPJUMP1_ACTIVITY_FILES),
        synthetic=CPJUMP1["synthetic"],
        null_size=CPJUMP1["null_size"],
        class_q=CPJUMP1["class_q"],
        fig5a_tails=CPJUMP1["fig5a_tails"],
        multilabel_negatives=CPJUMP1["multilabel_negatives"],
    script:
        "../scripts/cpjump1_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15), per condition on the detection profiles:
# energy distance of each perturbation to the negative controls of its plates (permutation
# p-value, the relabelings of map.test: permutation) and its agreement with the detection call;
# known-relationship recall of the CRISPR and ORF genes (annotations.smk); retrieval of the
# detected compounds by target. Drawn as metrics_cpjump1.
CPJUMP1_METRICS = metrics.output_paths(
    "cpjump1", ["summary", "energy", "recall", "retrieval"]
)


rule cpjump1_metrics:
    input:
        **annotations.relationship_inputs("cpjump1", CPJUMP1["synthetic"]),
        profiles=rules.cpjump1_profiles.output.profiles,
        classes=[f"results/cpjump1/activity/{c}_all.csv" for c in CPJUMP1_CONDITIONS],
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        **CPJUMP1_METRICS,
    log:
        "logs/cpjump1/cpjump1_metrics.log",
    benchmark:
        "logs/benchmarks/cpjump1/cpjump1_metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("cpjump1", fields=METRICS_SETTINGS_FIELDS),
        test=settings.from_config(config, "cpjump1").test,
        conditions=CPJUMP1_CONDITIONS,
        relationship_inputs=annotations.INPUT_NAMES,
    script:
        "../scripts/cpjump1_metrics.py"


rule cpjump1_metrics_figure:
    input:
        **CPJUMP1_METRICS,
    output:
        **figure_outputs("metrics_cpjump1"),
    log:
        "logs/cpjump1/figure_metrics_cpjump1.log",
    benchmark:
        "logs/benchmarks/cpjump1/figure_metrics_cpjump1.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_cpjump1",
        options={
            "threshold": settings.from_config(config, "cpjump1").threshold,
            **({"standin": "cpjump1.synthetic"} if CPJUMP1["synthetic"] else {}),
        },
    script:
        "../scripts/figure.py"
