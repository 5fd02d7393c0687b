# Rules: Mitocheck single cells (Fig 5C-D, S9A-D, S10; docs/methods.md §8). The labelled training
# cells and a 0.5% sample of the control cells (drawn as pandas' sample(frac=0.005,
# random_state=0) while streaming the control table out of the Zenodo archive) are stacked,
# QC-filtered and feature-selected; every labelled cell gets an AP against all controls, with
# positives = the other cells of its gene (or morphological class), on CellProfiler and on
# DeepProfiler features; UMAPs per class. With mitocheck.synthetic the same rules run on
# generated inputs with the real layout (resources/mitocheck_synthetic/).
MITOCHECK = config["mitocheck"]
MITOCHECK_INPUTS = (
    "resources/mitocheck_synthetic" if MITOCHECK["synthetic"] else "resources/mitocheck"
)
MITOCHECK_TRAINING = f"{MITOCHECK_INPUTS}/training_data__no_ic.csv.gz"
MITOCHECK_CONTROLS = f"{MITOCHECK_INPUTS}/3.normalize_data__normalized_data.zip"
MITOCHECK_GROUPINGS = {"gene": "Metadata_Gene", "class": "Mitocheck_Phenotypic_Class"}
MITOCHECK_AP = {
    k: f"results/mitocheck/{col}_ap_results.csv"
    for k, col in MITOCHECK_GROUPINGS.items()
}
# Engine settings of the single-cell APs: per-AP p-values (docs/methods.md §1.5; map.test: exact
# enumerates their null, the permutation test has no AP-level version, §1.9).
MITOCHECK_MAP_FIELDS = [
    "similarity",
    "null_size",
    "threshold",
    "seed",
    "null_sampler",
    "test",
]
MITOCHECK_FIGURE_OPTIONS = (
    {"standin": "mitocheck.synthetic"} if MITOCHECK["synthetic"] else {}
)
MITOCHECK_NOTE = (
    "SYNTHETIC cells with planted signal (layout of the Mitocheck tables; real data not "
    "reachable offline): not comparable to the paper"
    if MITOCHECK["synthetic"]
    else "real Mitocheck profiles"
)


rule mitocheck_synthetic_data:
    output:
        training="resources/mitocheck_synthetic/training_data__no_ic.csv.gz",
        controls="resources/mitocheck_synthetic/3.normalize_data__normalized_data.zip",
        truth="resources/mitocheck_synthetic/planted_truth.csv",
    log:
        "logs/mitocheck/mitocheck_synthetic_data.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_synthetic_data.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=2100,
        runtime=10,
    params:
        design=MITOCHECK["synthetic_design"],
        member=MITOCHECK["control_member"],
    script:
        "../scripts/mitocheck_synthetic_data.py"


rule mitocheck_control_sample:
    input:
        controls=MITOCHECK_CONTROLS,
    output:
        sample="results/mitocheck/control_sample.parquet",
    log:
        "logs/mitocheck/mitocheck_control_sample.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_control_sample.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1100,
        runtime=10,
    params:
        member=MITOCHECK["control_member"],
        fraction=MITOCHECK["control_fraction"],
        seed=MITOCHECK["control_seed"],
        chunk_rows=MITOCHECK["control_chunk_rows"],
    script:
        "../scripts/mitocheck_control_sample.py"


rule mitocheck_preprocess:
    input:
        training=MITOCHECK_TRAINING,
        sample=rules.mitocheck_control_sample.output.sample,
    output:
        merged="results/mitocheck/merged_sc_fs.parquet",
    log:
        "logs/mitocheck/mitocheck_preprocess.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_preprocess.tsv"
    conda:
        "../../envs/pycytominer.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        operations=MITOCHECK["feature_select_operations"],
        select_dp=MITOCHECK["feature_select_dp"],
    script:
        "../scripts/mitocheck_preprocess.py"


rule mitocheck_ap:
    input:
        merged=rules.mitocheck_preprocess.output.merged,
    output:
        ap="results/mitocheck/{grouping}_ap_results.csv",
    log:
        "logs/mitocheck/mitocheck_ap_{grouping}.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_ap_{grouping}.tsv"
    wildcard_constraints:
        grouping="Metadata_Gene|Mitocheck_Phenotypic_Class",
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=34,
    params:
        settings=map_settings("mitocheck", fields=MITOCHECK_MAP_FIELDS),
        correction=MITOCHECK["p_value_correction"],
    script:
        "../scripts/mitocheck_ap.py"


rule mitocheck_umap:
    input:
        merged=rules.mitocheck_preprocess.output.merged,
    output:
        embeddings="results/mitocheck/umap_embeddings.parquet",
    log:
        "logs/mitocheck/mitocheck_umap.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_umap.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=23,
    params:
        umap=MITOCHECK["umap"],
    script:
        "../scripts/mitocheck_umap.py"


# Figure rules, one per set of inputs; the ids each draws are the registry's rows naming it
# (workflow/mapreprod/figures.tsv, column rule).
rule mitocheck_figure:
    input:
        gene=MITOCHECK_AP["gene"],
        morphoclass=MITOCHECK_AP["class"],
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/mitocheck/mitocheck_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("mitocheck", "mitocheck_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=MITOCHECK_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule mitocheck_umap_figure:
    input:
        embeddings=rules.mitocheck_umap.output.embeddings,
        morphoclass=MITOCHECK_AP["class"],
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/mitocheck/mitocheck_umap_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_umap_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("mitocheck", "mitocheck_umap_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=MITOCHECK_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule mitocheck_reproduction:
    input:
        gene=MITOCHECK_AP["gene"],
        morphoclass=MITOCHECK_AP["class"],
        merged=rules.mitocheck_preprocess.output.merged,
    output:
        table="results/mitocheck/reproduction.csv",
    log:
        "logs/mitocheck/mitocheck_reproduction.log",
    benchmark:
        "logs/benchmarks/mitocheck/mitocheck_reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        note=MITOCHECK_NOTE,
    script:
        "../scripts/mitocheck_reproduction.py"
