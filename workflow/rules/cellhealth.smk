# Rules: Cell Health CRISPR knockouts in three cell lines (docs/methods.md §3). Fig 3A: plate and well
# effects under two preprocessings; Fig 3B/3C and S6A/S6B: phenotypic activity of each guide
# against cutting (or EMPTY) controls, and CERES; Fig 3D/S6C: channels and compartments dropped
# or used alone; Fig 3E/3F: consistency of guides targeting the same gene. With
# cellhealth.synthetic the same rules run on generated plates (resources/cellhealth_synthetic/).
# Figure ids of this part, from the registry (workflow/mapreprod/figures.tsv).
CELLHEALTH_FIGURES = figure_ids("cellhealth", "cellhealth_figure")

CELLHEALTH = config["cellhealth"]
CELLHEALTH_PLATES = [f"SQ000146{i}" for i in range(10, 19)]


wildcard_constraints:
    ch_preprocessing="standardize|mad_robustize",
    ch_control="cutting|empty",
    ch_groups="channel|compartment",


# Inputs: the real downloads, or their synthetic stand-ins.
CELLHEALTH_INPUTS = (
    "resources/cellhealth_synthetic"
    if CELLHEALTH["synthetic"]
    else "resources/cellhealth"
)
CELLHEALTH_PLATE_FILES = [
    f"{CELLHEALTH_INPUTS}/{plate}_augmented.csv.gz" for plate in CELLHEALTH_PLATES
]
# CERES gene effects and DepMap sample info (Fig S6B).
CELLHEALTH_CERES = {
    "ceres": f"{CELLHEALTH_INPUTS}/ceres.csv",
    "sample_info": f"{CELLHEALTH_INPUTS}/depmap_sample_info.csv",
}
# Null size of every analysis (their settings: map_settings("cellhealth"), i.e. the map section
# with cellhealth.seed); the synthetic run scores its small stand-in with its own (small) null.
CELLHEALTH_NULL_SIZE = (
    CELLHEALTH["synthetic_data"]["null_size"]
    if CELLHEALTH["synthetic"]
    else CELLHEALTH["null_size"]
)
# Options of the figures: the seed of the display-only jitter (Fig 3C/3E/3F) and, on the
# synthetic plates, the stand-in mark.
CELLHEALTH_FIGURE_OPTIONS = {
    "seed": CELLHEALTH["seed"],
    **({"standin": "cellhealth.synthetic"} if CELLHEALTH["synthetic"] else {}),
}
# The analysis tables (the figures and the reproduction summary read all of them).
CELLHEALTH_TABLES = {
    "plate_well": "results/cellhealth/plate_well_position_map.csv",
    "activity_map": "results/cellhealth/phenotypic_activity_cutting_map.csv",
    "activity_ap": "results/cellhealth/phenotypic_activity_cutting_ap.csv",
    "empty_map": "results/cellhealth/phenotypic_activity_empty_map.csv",
    "channels": "results/cellhealth/channel_analysis.csv",
    "compartments": "results/cellhealth/compartment_analysis.csv",
    "consistency_map": "results/cellhealth/phenotypic_consistency_map.csv",
    "consistency_ap": "results/cellhealth/phenotypic_consistency_ap.csv",
}


rule cellhealth_synthetic_data:
    output:
        plates=expand(
            "resources/cellhealth_synthetic/{plate}_augmented.csv.gz",
            plate=CELLHEALTH_PLATES,
        ),
        ceres="resources/cellhealth_synthetic/ceres.csv",
        sample_info="resources/cellhealth_synthetic/depmap_sample_info.csv",
        truth="resources/cellhealth_synthetic/truth.csv",
    log:
        "logs/cellhealth/cellhealth_synthetic_data.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_synthetic_data.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # the generator's keys (its null_size is an analysis setting: CELLHEALTH_NULL_SIZE)
        design={
            k: v for k, v in CELLHEALTH["synthetic_data"].items() if k != "null_size"
        },
    script:
        "../scripts/cellhealth_synthetic.py"


rule cellhealth_preprocess:
    input:
        plates=CELLHEALTH_PLATE_FILES,
    output:
        profiles="results/cellhealth/profiles_{ch_preprocessing}.parquet",
        # feature values beyond |x| = 1e6 per plate (usually none; a row of the reproduction table)
        beyond="results/cellhealth/profiles_{ch_preprocessing}_beyond_1e6.csv",
    log:
        "logs/cellhealth/cellhealth_preprocess_{ch_preprocessing}.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_preprocess_{ch_preprocessing}.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: 1
    resources:
        mem_mb=1300,
        runtime=10,
    params:
        operations=CELLHEALTH["feature_select_operations"],
        na_cutoff=CELLHEALTH["na_cutoff"],
    script:
        "../scripts/cellhealth_preprocess.py"


rule cellhealth_plate_well:
    input:
        standardize="results/cellhealth/profiles_standardize.parquet",
        mad_robustize="results/cellhealth/profiles_mad_robustize.parquet",
    output:
        table=CELLHEALTH_TABLES["plate_well"],
    log:
        "logs/cellhealth/cellhealth_plate_well.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_plate_well.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("cellhealth", null_size=CELLHEALTH_NULL_SIZE),
        bh=CELLHEALTH["plate_well_bh"],
    script:
        "../scripts/cellhealth_plate_well.py"


rule cellhealth_activity:
    input:
        profiles="results/cellhealth/profiles_mad_robustize.parquet",
    output:
        map="results/cellhealth/phenotypic_activity_{ch_control}_map.csv",
        ap="results/cellhealth/phenotypic_activity_{ch_control}_ap.csv",
    log:
        "logs/cellhealth/cellhealth_activity_{ch_control}.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_activity_{ch_control}.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("cellhealth", null_size=CELLHEALTH_NULL_SIZE),
    script:
        "../scripts/cellhealth_activity.py"


rule cellhealth_feature_groups:
    input:
        profiles="results/cellhealth/profiles_mad_robustize.parquet",
    output:
        table="results/cellhealth/{ch_groups}_analysis.csv",
    log:
        "logs/cellhealth/cellhealth_feature_groups_{ch_groups}.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_feature_groups_{ch_groups}.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("cellhealth", null_size=CELLHEALTH_NULL_SIZE),
    script:
        "../scripts/cellhealth_feature_groups.py"


rule cellhealth_consistency:
    input:
        profiles="results/cellhealth/profiles_mad_robustize.parquet",
        activity=CELLHEALTH_TABLES["activity_map"],
    output:
        map=CELLHEALTH_TABLES["consistency_map"],
        ap=CELLHEALTH_TABLES["consistency_ap"],
    log:
        "logs/cellhealth/cellhealth_consistency.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_consistency.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("cellhealth", null_size=CELLHEALTH_NULL_SIZE),
        min_active_guides=CELLHEALTH["min_active_guides"],
    script:
        "../scripts/cellhealth_consistency.py"


rule cellhealth_figure:
    input:
        **CELLHEALTH_TABLES,
        **CELLHEALTH_CERES,
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/cellhealth/cellhealth_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(CELLHEALTH_FIGURES),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=CELLHEALTH_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule cellhealth_reproduction:
    input:
        **CELLHEALTH_TABLES,
        **CELLHEALTH_CERES,
        **{
            f"beyond_{prep}": f"results/cellhealth/profiles_{prep}_beyond_1e6.csv"
            for prep in ("standardize", "mad_robustize")
        },
        metrics="results/cellhealth/metrics.csv",
    output:
        table="results/cellhealth/reproduction.csv",
    log:
        "logs/cellhealth/cellhealth_reproduction.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        synthetic=CELLHEALTH["synthetic"],
    script:
        "../scripts/cellhealth_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15), per cell line on the activity step's
# profiles: energy distance to the cutting controls (permutation p-value, the relabelings of
# map.test: permutation) and its agreement with each guide's activity call, known-relationship
# recall of the gene-level profiles (annotations.smk), and the cell-count baseline of the raw
# plates. Drawn as metrics_cellhealth.
CELLHEALTH_METRICS = metrics.output_paths(
    "cellhealth", ["summary", "energy", "recall", "cell_count"]
)


rule cellhealth_metrics:
    input:
        **annotations.relationship_inputs("cellhealth", CELLHEALTH["synthetic"]),
        profiles="results/cellhealth/profiles_mad_robustize.parquet",
        activity=CELLHEALTH_TABLES["activity_map"],
        plates=(
            CELLHEALTH_PLATE_FILES
            if CELLHEALTH["metrics"]["cell_count_feature"]
            else []
        ),
    output:
        **CELLHEALTH_METRICS,
    log:
        "logs/cellhealth/cellhealth_metrics.log",
    benchmark:
        "logs/benchmarks/cellhealth/cellhealth_metrics.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings(
            "cellhealth",
            fields=METRICS_SETTINGS_FIELDS,
            null_size=CELLHEALTH_NULL_SIZE,
        ),
        test=settings.from_config(config, "cellhealth").test,
        relationship_inputs=annotations.INPUT_NAMES,
        cell_count_feature=CELLHEALTH["metrics"]["cell_count_feature"],
    script:
        "../scripts/cellhealth_metrics.py"


rule cellhealth_metrics_figure:
    input:
        **CELLHEALTH_METRICS,
    output:
        **figure_outputs("metrics_cellhealth"),
    log:
        "logs/cellhealth/figure_metrics_cellhealth.log",
    benchmark:
        "logs/benchmarks/cellhealth/figure_metrics_cellhealth.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_cellhealth",
        options={
            "threshold": settings.from_config(config, "cellhealth").threshold,
            **({"standin": "cellhealth.synthetic"} if CELLHEALTH["synthetic"] else {}),
        },
    script:
        "../scripts/figure.py"
