# Rules: Perturb-seq CRISPRi, GEO GSE132080 (Fig 4E-F, 5A-B, S8; docs/methods.md §7). The authors'
# Seurat steps (Read10X, CreateSeuratObject, QC filters, LogNormalize, ScaleData, vst variable
# genes) run with scanpy; the scaled 1,000 variable genes are joined to the cell identities and
# median-aggregated per guide; each guide is scored against the non-targeting guides (bulk mAP)
# and each cell against 20% of the non-targeting cells (single-cell AP); one UMAP per target
# gene. With perturbseq.synthetic the same rules run on a generated stand-in with the real
# files' names and formats (resources/perturbseq_synthetic/).

PERTURBSEQ = config["perturbseq"]
PERTURBSEQ_DIR = (
    "resources/perturbseq_synthetic"
    if PERTURBSEQ["synthetic"]
    else "resources/perturbseq"
)
# The GEO files and the Jost et al. supplement (names as in config/manifest.tsv).
PERTURBSEQ_FILES = {
    "matrix": "GSE132080_10X_matrix.mtx.gz",
    "genes": "GSE132080_10X_genes.tsv.gz",
    "barcodes": "GSE132080_10X_barcodes.tsv.gz",
    "identities": "GSE132080_cell_identities.csv.gz",
    "supplement": "41587_2019_387_MOESM3_ESM.zip",
}
PERTURBSEQ_INPUTS = {k: f"{PERTURBSEQ_DIR}/{f}" for k, f in PERTURBSEQ_FILES.items()}
# Seurat's parameters (the stand-in is laid out around the same filters).
PERTURBSEQ_SEURAT = {
    key: PERTURBSEQ[key]
    for key in (
        "min_cells",
        "min_features",
        "min_nfeature",
        "max_nfeature",
        "max_percent_mt",
        "mt_pattern",
        "scale_factor",
        "scale_max",
        "n_variable_features",
        "loess_span",
    )
}
# Options of the figures (mapreprod.datasets.perturbseq.figures): the genes of Fig 4F and 5B, the
# p-value behind the single-cell "p < 0.05" and its level, the stand-in mark.
PERTURBSEQ_FIGURE_OPTIONS = {
    "genes": PERTURBSEQ["figure_genes"],
    "significance": PERTURBSEQ["single_cell_significance"],
    "threshold": PERTURBSEQ["threshold"],
    **({"standin": "perturbseq.synthetic"} if PERTURBSEQ["synthetic"] else {}),
}
PERTURBSEQ_RESULTS = {
    "scaled": "results/perturbseq/scaled_matrix.parquet",
    "single_cell": "results/perturbseq/single_cell.parquet",
    "bulk_profiles": "results/perturbseq/bulk_profiles.parquet",
    "bulk_map": "results/perturbseq/GSE132080_map.tsv",
    "cell_map": "results/perturbseq/GSE132080_single_cell_map.tsv.gz",
    "controls": "results/perturbseq/negative_control_sample.csv",
    "cell_summary": "results/perturbseq/single_cell_summary.json",
    "umap": "results/perturbseq/GSE132080_single_cell_umap_embeddings.parquet",
    "seurat_summary": "results/perturbseq/seurat_summary.csv",
}


rule perturbseq_synthetic_data:
    output:
        **{
            k: f"resources/perturbseq_synthetic/{f}"
            for k, f in PERTURBSEQ_FILES.items()
        },
        guides="resources/perturbseq_synthetic/planted_guides.csv",
        counts="resources/perturbseq_synthetic/planted_counts.json",
    log:
        "logs/perturbseq/perturbseq_synthetic_data.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_synthetic_data.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=6200,
        runtime=10,
    params:
        design=PERTURBSEQ["synthetic_design"],
        filters={
            k: PERTURBSEQ[k]
            for k in (
                "min_cells",
                "min_features",
                "min_nfeature",
                "max_nfeature",
                "max_percent_mt",
            )
        },
    script:
        "../scripts/perturbseq_synthetic_data.py"


rule perturbseq_seurat:
    input:
        matrix=PERTURBSEQ_INPUTS["matrix"],
        genes=PERTURBSEQ_INPUTS["genes"],
        barcodes=PERTURBSEQ_INPUTS["barcodes"],
    output:
        scaled=PERTURBSEQ_RESULTS["scaled"],
        variable="results/perturbseq/variable_features.csv",
        summary=PERTURBSEQ_RESULTS["seurat_summary"],
    log:
        "logs/perturbseq/perturbseq_seurat.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_seurat.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 2
    resources:
        mem_mb=4400,
        runtime=10,
    params:
        seurat=PERTURBSEQ_SEURAT,
    script:
        "../scripts/perturbseq_seurat.py"


rule perturbseq_finalize:
    input:
        scaled=PERTURBSEQ_RESULTS["scaled"],
        identities=PERTURBSEQ_INPUTS["identities"],
    output:
        single_cell=PERTURBSEQ_RESULTS["single_cell"],
        bulk=PERTURBSEQ_RESULTS["bulk_profiles"],
    log:
        "logs/perturbseq/perturbseq_finalize.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_finalize.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1300,
        runtime=10,
    params:
        bulk_unit=PERTURBSEQ["bulk_unit"],
    script:
        "../scripts/perturbseq_finalize.py"


rule perturbseq_bulk_map:
    input:
        bulk=PERTURBSEQ_RESULTS["bulk_profiles"],
        supplement=PERTURBSEQ_INPUTS["supplement"],
    output:
        table=PERTURBSEQ_RESULTS["bulk_map"],
    log:
        "logs/perturbseq/perturbseq_bulk_map.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_bulk_map.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings("perturbseq", null_size=PERTURBSEQ["bulk_null_size"]),
        unit=PERTURBSEQ["bulk_unit"],
        variance_threshold=PERTURBSEQ["variance_threshold"],
    script:
        "../scripts/perturbseq_bulk_map.py"


rule perturbseq_single_cell_map:
    input:
        single_cell=PERTURBSEQ_RESULTS["single_cell"],
        bulk=PERTURBSEQ_RESULTS["bulk_profiles"],
    output:
        table=PERTURBSEQ_RESULTS["cell_map"],
        controls=PERTURBSEQ_RESULTS["controls"],
        summary=PERTURBSEQ_RESULTS["cell_summary"],
    log:
        "logs/perturbseq/perturbseq_single_cell_map.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_single_cell_map.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 2
    resources:
        mem_mb=1700,
        runtime=15,
    params:
        settings=map_settings(
            "perturbseq", null_size=PERTURBSEQ["single_cell_null_size"]
        ),
        variance_threshold=PERTURBSEQ["variance_threshold"],
        control_fraction=PERTURBSEQ["control_fraction"],
        control_seed=PERTURBSEQ["control_seed"],
        features=PERTURBSEQ["single_cell_features"],
        calls=PERTURBSEQ["single_cell_calls"],
    script:
        "../scripts/perturbseq_single_cell_map.py"


rule perturbseq_umap:
    input:
        single_cell=PERTURBSEQ_RESULTS["single_cell"],
        controls=PERTURBSEQ_RESULTS["controls"],
    output:
        umap=PERTURBSEQ_RESULTS["umap"],
    log:
        "logs/perturbseq/perturbseq_umap.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_umap.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1400,
        runtime=10,
    params:
        umap=PERTURBSEQ["umap"],
    script:
        "../scripts/perturbseq_umap.py"


# Figure rules, one per set of inputs; the ids each draws are the registry's rows naming it
# (workflow/mapreprod/figures.tsv, column rule).
rule perturbseq_bulk_figure:
    input:
        bulk_map=PERTURBSEQ_RESULTS["bulk_map"],
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/perturbseq/perturbseq_bulk_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_bulk_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("perturbseq", "perturbseq_bulk_figure")),
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=PERTURBSEQ_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule perturbseq_single_cell_figure:
    input:
        bulk_map=PERTURBSEQ_RESULTS["bulk_map"],
        cell_map=PERTURBSEQ_RESULTS["cell_map"],
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/perturbseq/perturbseq_single_cell_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_single_cell_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("perturbseq", "perturbseq_single_cell_figure")),
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=PERTURBSEQ_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule perturbseq_umap_figure:
    input:
        bulk_map=PERTURBSEQ_RESULTS["bulk_map"],
        cell_map=PERTURBSEQ_RESULTS["cell_map"],
        umap=PERTURBSEQ_RESULTS["umap"],
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/perturbseq/perturbseq_umap_figure_{figure}.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_umap_figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("perturbseq", "perturbseq_umap_figure")),
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        # Fig S8 has 25 genes x up to 7 panels: 100 dpi keeps its PNG about 2,000 px on a side
        options={**PERTURBSEQ_FIGURE_OPTIONS, "dpi": 100},
    script:
        "../scripts/figure.py"


rule perturbseq_reproduction:
    input:
        seurat_summary=PERTURBSEQ_RESULTS["seurat_summary"],
        bulk_profiles=PERTURBSEQ_RESULTS["bulk_profiles"],
        bulk_map=PERTURBSEQ_RESULTS["bulk_map"],
        cell_map=PERTURBSEQ_RESULTS["cell_map"],
        cell_summary=PERTURBSEQ_RESULTS["cell_summary"],
    output:
        table="results/perturbseq/reproduction.csv",
    log:
        "logs/perturbseq/perturbseq_reproduction.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_reproduction.tsv"
    conda:
        "../../envs/singlecell.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        significance=PERTURBSEQ["single_cell_significance"],
        threshold=PERTURBSEQ["threshold"],
        synthetic=PERTURBSEQ["synthetic"],
    script:
        "../scripts/perturbseq_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15), on the bulk profiles of Fig 4E: energy
# distance of each gene's guide profiles to the non-targeting guide profiles (permutation
# p-value, the relabelings of map.test: permutation) and its agreement with the gene-level mAP
# call of the same pairing; known-relationship recall of the target genes (annotations.smk).
# Drawn as metrics_perturbseq.
PERTURBSEQ_METRICS = metrics.output_paths("perturbseq", ["summary", "energy", "recall"])


rule perturbseq_metrics:
    input:
        **annotations.relationship_inputs("perturbseq", PERTURBSEQ["synthetic"]),
        bulk=PERTURBSEQ_RESULTS["bulk_profiles"],
    output:
        **PERTURBSEQ_METRICS,
    log:
        "logs/perturbseq/perturbseq_metrics.log",
    benchmark:
        "logs/benchmarks/perturbseq/perturbseq_metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=map_settings(
            "perturbseq",
            fields=METRICS_SETTINGS_FIELDS,
            null_size=PERTURBSEQ["bulk_null_size"],
        ),
        test=settings.from_config(config, "perturbseq").test,
        unit=PERTURBSEQ["bulk_unit"],
        variance_threshold=PERTURBSEQ["variance_threshold"],
        relationship_inputs=annotations.INPUT_NAMES,
    script:
        "../scripts/perturbseq_metrics.py"


rule perturbseq_metrics_figure:
    input:
        **PERTURBSEQ_METRICS,
    output:
        **figure_outputs("metrics_perturbseq"),
    log:
        "logs/perturbseq/figure_metrics_perturbseq.log",
    benchmark:
        "logs/benchmarks/perturbseq/figure_metrics_perturbseq.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_perturbseq",
        options={
            "threshold": settings.from_config(config, "perturbseq").threshold,
            **({"standin": "perturbseq.synthetic"} if PERTURBSEQ["synthetic"] else {}),
        },
    script:
        "../scripts/figure.py"
