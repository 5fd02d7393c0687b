# Rules: nELISA vs Cell Painting (Fig 4A-D, docs/methods.md §6). Each assay's profiles are
# MAD-robustized per plate (Cell Painting also feature-selected), restricted to the compounds
# both assays share, and scored for phenotypic activity (replicates vs DMSO) and consistency
# (compounds sharing a target). Fig 4B/4D compare the assays and need both in nelisa.assays.
NELISA = config["nelisa"]
NELISA_ASSAYS = [a for a in ("cellpainting", "nelisa") if a in NELISA["assays"]]
NELISA_BOTH = len(NELISA_ASSAYS) == 2

# Fig 4B/4D compare the two assays: drawn only when both run.
FIGURES_OFF["nelisa"] = set() if NELISA_BOTH else {"fig4b", "fig4d"}


# Per-assay files of the configured assays, named by assay (inputs of the figure rules).
NELISA_FILES = {
    kind: {a: f"results/nelisa/{a}_{kind}.csv" for a in NELISA_ASSAYS}
    for kind in ("activity", "consistency")
}
# The tables each figure compares: activity (Fig 4A/B) or consistency (Fig 4C/D), by assay.
NELISA_FIGURE_KIND = {
    "fig4a": "activity",
    "fig4b": "activity",
    "fig4c": "consistency",
    "fig4d": "consistency",
}

NELISA_NORMALIZED = {a: f"results/nelisa/{a}_normalized.parquet" for a in NELISA_ASSAYS}
# With nelisa.consistency_activity_filter, consistency uses only the assay's active compounds.
NELISA_CONSISTENCY_FILTER = (
    {"activity": "results/nelisa/{assay}_activity.csv"}
    if NELISA["consistency_activity_filter"]
    else {}
)


rule nelisa_synthetic_cellpainting:
    input:
        nelisa="resources/nelisa/nelisa_profiles.parquet",
    output:
        profiles="resources/nelisa_synthetic/cellpainting_profiles.parquet",
    log:
        "logs/nelisa/nelisa_synthetic_cellpainting.log",
    benchmark:
        "logs/benchmarks/nelisa/nelisa_synthetic_cellpainting.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seed=NELISA["seed"],
        design=NELISA["synthetic_design"],
    script:
        "../scripts/nelisa_synthetic_cellpainting.py"


rule nelisa_preprocess:
    input:
        profiles=nelisa_profiles,
    output:
        profiles="results/nelisa/{assay}_normalized.parquet",
        # feature values beyond |x| = 1e6 per plate (usually none; a row of the reproduction table)
        beyond="results/nelisa/{assay}_normalized_beyond_1e6.csv",
    log:
        "logs/nelisa/preprocess_{assay}.log",
    benchmark:
        "logs/benchmarks/nelisa/preprocess_{assay}.tsv"
    wildcard_constraints:
        assay="cellpainting|nelisa",
    conda:
        "../../envs/pycytominer.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        assay="{assay}",
        operations=NELISA["cellpainting_feature_select"],
        na_cutoff=NELISA["cellpainting_na_cutoff"],
    script:
        "../scripts/nelisa_preprocess.py"


rule nelisa_unify:
    input:
        **NELISA_NORMALIZED,
    output:
        expand("results/nelisa/{assay}_unified.parquet", assay=NELISA_ASSAYS),
    log:
        "logs/nelisa/unify.log",
    benchmark:
        "logs/benchmarks/nelisa/unify.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        assays=NELISA_ASSAYS,
    script:
        "../scripts/nelisa_unify.py"


rule nelisa_activity:
    input:
        profiles="results/nelisa/{assay}_unified.parquet",
    output:
        table="results/nelisa/{assay}_activity.csv",
    log:
        "logs/nelisa/activity_{assay}.log",
    benchmark:
        "logs/benchmarks/nelisa/activity_{assay}.tsv"
    wildcard_constraints:
        assay="cellpainting|nelisa",
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("nelisa"),
        same_plate_controls=NELISA["activity_same_plate_controls"],
    script:
        "../scripts/nelisa_activity.py"


rule nelisa_consistency:
    input:
        **NELISA_CONSISTENCY_FILTER,
        profiles="results/nelisa/{assay}_unified.parquet",
    output:
        table="results/nelisa/{assay}_consistency.csv",
    log:
        "logs/nelisa/consistency_{assay}.log",
    benchmark:
        "logs/benchmarks/nelisa/consistency_{assay}.tsv"
    wildcard_constraints:
        assay="cellpainting|nelisa",
    conda:
        "../../envs/pycytominer.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("nelisa"),
    script:
        "../scripts/nelisa_consistency.py"


# Activity and consistency of each assay under every test of map.test (shared, independent,
# exact, permutation; docs/methods.md §6): the same settings but the test, so the param holds
# the relabelings and the exact limit but not the configured test (changing map.test does not
# rerun it).
rule nelisa_calls_by_test:
    input:
        **{a: f"results/nelisa/{a}_unified.parquet" for a in NELISA_ASSAYS},
    output:
        summary="results/nelisa/test_comparison.csv",
        calls="results/nelisa/test_calls.csv",
    log:
        "logs/nelisa/calls_by_test.log",
    benchmark:
        "logs/benchmarks/nelisa/calls_by_test.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1100,
        runtime=19,
    params:
        settings=map_settings(
            "nelisa", fields=[f for f in settings.RESULT_FIELDS if f != "test"]
        ),
        assays=NELISA_ASSAYS,
        same_plate_controls=NELISA["activity_same_plate_controls"],
        consistency_activity_filter=NELISA["consistency_activity_filter"],
    script:
        "../scripts/nelisa_calls_by_test.py"


rule nelisa_figure:
    input:
        unpack(nelisa_figure_inputs),
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/nelisa/figure_{figure}.log",
    benchmark:
        "logs/benchmarks/nelisa/figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("nelisa", "nelisa_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
    script:
        "../scripts/figure.py"


rule nelisa_reproduction:
    input:
        **{f"activity_{a}": path for a, path in NELISA_FILES["activity"].items()},
        **{f"consistency_{a}": path for a, path in NELISA_FILES["consistency"].items()},
        **{
            f"beyond_{a}": f"results/nelisa/{a}_normalized_beyond_1e6.csv"
            for a in NELISA_ASSAYS
        },
        test_comparison=rules.nelisa_calls_by_test.output.summary,
        metrics="results/nelisa/metrics.csv",
    output:
        table="results/nelisa/reproduction.csv",
    log:
        "logs/nelisa/reproduction.log",
    benchmark:
        "logs/benchmarks/nelisa/reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        assays=NELISA_ASSAYS,
        null_size=NELISA["null_size"],
        synthetic_cellpainting=NELISA["synthetic_cellpainting"],
    script:
        "../scripts/nelisa_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15), on the profiles the activity and
# consistency steps score: energy distance to the DMSO wells (permutation p-value, the
# relabelings of map.test: permutation) and its agreement with each compound's activity call,
# retrieval metrics of the consensus profiles by target, and the cell-count baseline of the Cell
# Painting assay (raw profiles; nELISA has no cell count). Drawn as metrics_nelisa.
NELISA_METRICS = metrics.output_paths(
    "nelisa", ["summary", "energy", "retrieval", "cell_count"]
)
NELISA_METRICS_CELL_COUNT = (
    {
        "raw_cellpainting": (
            "resources/nelisa_synthetic/cellpainting_profiles.parquet"
            if NELISA["synthetic_cellpainting"]
            else "resources/nelisa/cellpainting_profiles.parquet"
        )
    }
    if "cellpainting" in NELISA_ASSAYS and NELISA["metrics"]["cell_count_feature"]
    else {}
)


rule nelisa_metrics:
    input:
        **NELISA_METRICS_CELL_COUNT,
        **{
            f"profiles_{a}": f"results/nelisa/{a}_unified.parquet"
            for a in NELISA_ASSAYS
        },
        **{f"activity_{a}": path for a, path in NELISA_FILES["activity"].items()},
    output:
        **NELISA_METRICS,
    log:
        "logs/nelisa/metrics.log",
    benchmark:
        "logs/benchmarks/nelisa/metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("nelisa", fields=METRICS_SETTINGS_FIELDS),
        test=settings.from_config(config, "nelisa").test,
        assays=NELISA_ASSAYS,
        same_plate_controls=NELISA["activity_same_plate_controls"],
        activity_filter=NELISA["consistency_activity_filter"],
        cell_count_feature=NELISA["metrics"]["cell_count_feature"],
    script:
        "../scripts/nelisa_metrics.py"


rule nelisa_metrics_figure:
    input:
        **NELISA_METRICS,
    output:
        **figure_outputs("metrics_nelisa"),
    log:
        "logs/nelisa/figure_metrics_nelisa.log",
    benchmark:
        "logs/benchmarks/nelisa/figure_metrics_nelisa.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_nelisa",
        options={
            "threshold": settings.from_config(config, "nelisa").threshold,
            **(
                {"standin": "nelisa.synthetic_cellpainting"}
                if NELISA["synthetic_cellpainting"] and "cellpainting" in NELISA_ASSAYS
                else {}
            ),
        },
    script:
        "../scripts/figure.py"
