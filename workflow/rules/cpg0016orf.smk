# Rules: cpg0016[orf], JUMP ORF overexpression (docs/methods.md §5). Fig S7B: is each ORF's set of replicate
# wells retrievable against the negative-control ORF wells of its plate? Fig S7D: do the median
# consensus profiles of active ORFs retrieve the genes of the same CORUM complex? With
# cpg0016orf.synthetic the same rules run on a generated stand-in with the real files' names and
# columns (resources/cpg0016orf_synthetic/).
from mapreprod.datasets.cpg0016orf.standin import FILES as CPG0016ORF_FILES

CPG0016ORF = config["cpg0016orf"]
CPG0016ORF_INPUTS = (
    "resources/cpg0016orf_synthetic"
    if CPG0016ORF["synthetic"]
    else "resources/cpg0016orf"
)
# The five inputs of the analysis (the authors' download script).
CPG0016ORF_ANALYSIS = {
    key: f"{CPG0016ORF_INPUTS}/{CPG0016ORF_FILES[key]}"
    for key in ("profiles", "orf_metadata", "compounds", "experiment", "reagents")
}
# The JUMP metadata the stand-in is laid out on, fetched like any input (manifest or
# data.mirror) only with synthetic_real_metadata; otherwise the stand-in generates it.
CPG0016ORF_JUMP_METADATA = (
    {
        "orf": "resources/cpg0016orf/orf.csv.gz",
        "plate": "resources/cpg0016orf/plate.csv.gz",
        "experiment": "resources/cpg0016orf/experiment-metadata_production.tsv",
        "controls": "resources/cpg0016orf/perturbation_control.csv",
    }
    if CPG0016ORF["synthetic_real_metadata"]
    else {}
)
# The mAP table each figure is drawn from, and the BH level it was called at (the settings'
# threshold of that step): S7B activity, S7D consistency.
CPG0016ORF_FIGURE_MAP = {
    "figS7b": "results/cpg0016orf/map_activity.csv",
    "figS7d": "results/cpg0016orf/map_consistency.csv",
}
CPG0016ORF_FIGURE_FDR = {
    "figS7b": CPG0016ORF["activity_fdr"],
    "figS7d": CPG0016ORF["consistency_fdr"],
}
# With consistency_wells: filtered, the consistency step re-applies the S7B filters.
CPG0016ORF_FILTER_INPUTS = (
    {k: v for k, v in CPG0016ORF_ANALYSIS.items() if k != "profiles"}
    if CPG0016ORF["consistency_wells"] == "filtered"
    else {"orf_metadata": CPG0016ORF_ANALYSIS["orf_metadata"]}
)


rule cpg0016orf_synthetic_data:
    input:
        **CPG0016ORF_JUMP_METADATA,
    output:
        **{
            key: f"resources/cpg0016orf_synthetic/{name}"
            for key, name in CPG0016ORF_FILES.items()
        },
    log:
        "logs/cpg0016orf/cpg0016orf_synthetic_data.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/cpg0016orf_synthetic_data.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1400,
        runtime=10,
    params:
        design=CPG0016ORF["synthetic_design"],
        seed=CPG0016ORF["seed"],
    script:
        "../scripts/cpg0016orf_synthetic.py"


rule cpg0016orf_activity:
    input:
        **CPG0016ORF_ANALYSIS,
    output:
        ap="results/cpg0016orf/ap_activity.csv.gz",
        map="results/cpg0016orf/map_activity.csv",
        steps="results/cpg0016orf/filter_steps.csv",
    log:
        "logs/cpg0016orf/cpg0016orf_activity.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/cpg0016orf_activity.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=2400,
        runtime=10,
    params:
        settings=map_settings("cpg0016orf", threshold=CPG0016ORF["activity_fdr"]),
    script:
        "../scripts/cpg0016orf_activity.py"


rule cpg0016orf_consistency:
    input:
        **CPG0016ORF_FILTER_INPUTS,
        profiles=CPG0016ORF_ANALYSIS["profiles"],
        activity=rules.cpg0016orf_activity.output.map,
    output:
        consensus="results/cpg0016orf/consensus.parquet",
        ap="results/cpg0016orf/ap_consistency.csv.gz",
        map="results/cpg0016orf/map_consistency.csv",
    log:
        "logs/cpg0016orf/cpg0016orf_consistency.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/cpg0016orf_consistency.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=1600,
        runtime=10,
    params:
        settings=map_settings("cpg0016orf", threshold=CPG0016ORF["consistency_fdr"]),
        consensus_by=CPG0016ORF["consensus_by"],
        wells=CPG0016ORF["consistency_wells"],
    script:
        "../scripts/cpg0016orf_consistency.py"


rule cpg0016orf_figure:
    input:
        unpack(cpg0016orf_figure_inputs),
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/cpg0016orf/figure_{figure}.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("cpg0016orf", "cpg0016orf_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=cpg0016orf_figure_options,
    script:
        "../scripts/figure.py"


rule cpg0016orf_reproduction:
    input:
        activity=rules.cpg0016orf_activity.output.map,
        consistency=rules.cpg0016orf_consistency.output.map,
        steps=rules.cpg0016orf_activity.output.steps,
    output:
        table="results/cpg0016orf/reproduction.csv",
    log:
        "logs/cpg0016orf/cpg0016orf_reproduction.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/cpg0016orf_reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        synthetic=CPG0016ORF["synthetic"],
        consistency_fdr=CPG0016ORF["consistency_fdr"],
    script:
        "../scripts/cpg0016orf_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15), on the S7B wells: energy distance of each
# ORF to the negcon wells of its plates (permutation p-value, the relabelings of map.test:
# permutation) and its agreement with the S7B call (q < activity_fdr); known-relationship recall
# of the ORF genes (annotations.smk; CORUM is this pipeline's own input). Drawn as
# metrics_cpg0016orf.
CPG0016ORF_METRICS = metrics.output_paths("cpg0016orf", ["summary", "energy", "recall"])


rule cpg0016orf_metrics:
    input:
        **annotations.relationship_inputs("cpg0016orf", CPG0016ORF["synthetic"]),
        **CPG0016ORF_ANALYSIS,
        activity=rules.cpg0016orf_activity.output.map,
    output:
        **CPG0016ORF_METRICS,
    log:
        "logs/cpg0016orf/cpg0016orf_metrics.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/cpg0016orf_metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=2700,
        runtime=10,
    params:
        settings=map_settings(
            "cpg0016orf",
            fields=METRICS_SETTINGS_FIELDS,
            threshold=CPG0016ORF["activity_fdr"],
        ),
        test=settings.from_config(config, "cpg0016orf").test,
        relationship_inputs=annotations.INPUT_NAMES,
    script:
        "../scripts/cpg0016orf_metrics.py"


rule cpg0016orf_metrics_figure:
    input:
        **CPG0016ORF_METRICS,
    output:
        **figure_outputs("metrics_cpg0016orf"),
    log:
        "logs/cpg0016orf/figure_metrics_cpg0016orf.log",
    benchmark:
        "logs/benchmarks/cpg0016orf/figure_metrics_cpg0016orf.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_cpg0016orf",
        options={
            "threshold": CPG0016ORF["activity_fdr"],
            **({"standin": "cpg0016orf.synthetic"} if CPG0016ORF["synthetic"] else {}),
        },
    script:
        "../scripts/figure.py"
