# Rules: cpg0004 / LINCS compounds (docs/methods.md §4). Fig S7A: can each compound's replicates at 10 uM be
# retrieved against same-plate DMSO wells? Fig S7C: are compounds annotated with the same target
# gene similar (consensus profiles, multilabel mAP)? With cpg0004.synthetic the same rules run on
# generated profiles with planted signal (resources/cpg0004_synthetic/).

CPG0004 = config["cpg0004"]
CPG0004_LABEL_FILES = {
    "drugs": "repurposing_drugs_20200324.txt",
    "samples": "repurposing_samples_20200324.txt",
}
# Inputs: the real downloads, or their synthetic stand-ins.
CPG0004_INPUTS = (
    "resources/cpg0004_synthetic" if CPG0004["synthetic"] else "resources/cpg0004"
)
# With cpg0004.synthetic_real_labels the synthetic run uses the real label tables (downloaded,
# mirrored or placed under resources/cpg0004/); otherwise the generator writes small stand-in
# tables. Chosen by config, never by looking at the disk while planning.
CPG0004_REAL_LABELS = (
    {k: f"resources/cpg0004/{f}" for k, f in CPG0004_LABEL_FILES.items()}
    if CPG0004["synthetic_real_labels"]
    else {}
)
# The S7A table is an input of consistency only with the paper's activity filter.
CPG0004_ACTIVITY_FILTER = (
    {"activity": "results/cpg0004/map_activity.csv"}
    if CPG0004["consistency_activity_filter"]
    else {}
)
# The mAP table each figure is drawn from: S7A activity, S7C consistency.
CPG0004_FIGURE_MAP = {
    "figS7a": "results/cpg0004/map_activity.csv",
    "figS7c": "results/cpg0004/map_consistency.csv",
}
# figure.py marks the figures as drawn from the generated stand-in.
CPG0004_FIGURE_OPTIONS = (
    {"standin": "cpg0004.synthetic"} if CPG0004["synthetic"] else {}
)


rule cpg0004_synthetic_labels:
    input:
        **CPG0004_REAL_LABELS,
    output:
        drugs=f"resources/cpg0004_synthetic/{CPG0004_LABEL_FILES['drugs']}",
        samples=f"resources/cpg0004_synthetic/{CPG0004_LABEL_FILES['samples']}",
    log:
        "logs/cpg0004/cpg0004_synthetic_labels.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_synthetic_labels.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        design=CPG0004["synthetic_design"],
    script:
        "../scripts/cpg0004_synthetic_labels.py"


rule cpg0004_synthetic_profiles:
    input:
        drugs=rules.cpg0004_synthetic_labels.output.drugs,
        samples=rules.cpg0004_synthetic_labels.output.samples,
    output:
        profiles="resources/cpg0004_synthetic/profiles.csv.gz",
        consensus="resources/cpg0004_synthetic/consensus_profiles.csv.gz",
        truth="resources/cpg0004_synthetic/planted_truth.csv",
    log:
        "logs/cpg0004/cpg0004_synthetic_profiles.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_synthetic_profiles.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=2400,
        runtime=10,
    params:
        design=CPG0004["synthetic_design"],
        seed=CPG0004["seed"],
    script:
        "../scripts/cpg0004_synthetic_profiles.py"


rule cpg0004_labels:
    input:
        drugs=f"{CPG0004_INPUTS}/{CPG0004_LABEL_FILES['drugs']}",
        samples=f"{CPG0004_INPUTS}/{CPG0004_LABEL_FILES['samples']}",
    output:
        labels="results/cpg0004/labels.csv",
        mapper="results/cpg0004/name_mapper.csv",
    log:
        "logs/cpg0004/cpg0004_labels.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_labels.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/cpg0004_labels.py"


rule cpg0004_activity:
    input:
        profiles=f"{CPG0004_INPUTS}/profiles.csv.gz",
    output:
        ap="results/cpg0004/ap_activity.csv.gz",
        map="results/cpg0004/map_activity.csv",
    log:
        "logs/cpg0004/cpg0004_activity.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_activity.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1900,
        runtime=10,
    params:
        settings=map_settings("cpg0004"),
        dose=CPG0004["dose"],
        fdr=CPG0004["fdr"],
    script:
        "../scripts/cpg0004_activity.py"


rule cpg0004_consistency:
    input:
        **CPG0004_ACTIVITY_FILTER,
        consensus=f"{CPG0004_INPUTS}/consensus_profiles.csv.gz",
        labels=rules.cpg0004_labels.output.labels,
    output:
        ap="results/cpg0004/ap_consistency.csv.gz",
        map="results/cpg0004/map_consistency.csv",
    log:
        "logs/cpg0004/cpg0004_consistency.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_consistency.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=1000,
        runtime=24,
    params:
        settings=map_settings("cpg0004"),
        dose=CPG0004["dose"],
        activity_filter=CPG0004["consistency_activity_filter"],
    script:
        "../scripts/cpg0004_consistency.py"


rule cpg0004_figure:
    input:
        unpack(cpg0004_figure_inputs),
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/cpg0004/figure_{figure}.log",
    benchmark:
        "logs/benchmarks/cpg0004/figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(figure_ids("cpg0004", "cpg0004_figure")),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
        options=CPG0004_FIGURE_OPTIONS,
    script:
        "../scripts/figure.py"


rule cpg0004_reproduction:
    input:
        activity=rules.cpg0004_activity.output.map,
        consistency=rules.cpg0004_consistency.output.map,
    output:
        table="results/cpg0004/reproduction.csv",
    log:
        "logs/cpg0004/cpg0004_reproduction.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        synthetic=CPG0004["synthetic"],
        activity_filter=CPG0004["consistency_activity_filter"],
    script:
        "../scripts/cpg0004_reproduction.py"


# The other metrics beside mAP (docs/methods.md §15): energy distance of each compound at the
# activity dose to its plates' DMSO wells (permutation p-value, the relabelings of map.test:
# permutation) and its agreement with the S7A call; retrieval metrics of the S7C consensus
# profiles by target and mechanism. Drawn as metrics_cpg0004.
CPG0004_METRICS = metrics.output_paths("cpg0004", ["summary", "energy", "retrieval"])


rule cpg0004_metrics:
    input:
        **CPG0004_ACTIVITY_FILTER,
        profiles=f"{CPG0004_INPUTS}/profiles.csv.gz",
        activity=rules.cpg0004_activity.output.map,
        consensus=f"{CPG0004_INPUTS}/consensus_profiles.csv.gz",
        labels=rules.cpg0004_labels.output.labels,
    output:
        **CPG0004_METRICS,
    log:
        "logs/cpg0004/cpg0004_metrics.log",
    benchmark:
        "logs/benchmarks/cpg0004/cpg0004_metrics.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: MAP_THREADS
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=map_settings("cpg0004", fields=METRICS_SETTINGS_FIELDS),
        test=settings.from_config(config, "cpg0004").test,
        dose=CPG0004["dose"],
        activity_filter=CPG0004["consistency_activity_filter"],
    script:
        "../scripts/cpg0004_metrics.py"


rule cpg0004_metrics_figure:
    input:
        **CPG0004_METRICS,
    output:
        **figure_outputs("metrics_cpg0004"),
    log:
        "logs/cpg0004/figure_metrics_cpg0004.log",
    benchmark:
        "logs/benchmarks/cpg0004/figure_metrics_cpg0004.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="metrics_cpg0004",
        options={
            "threshold": settings.from_config(config, "cpg0004").threshold,
            **CPG0004_FIGURE_OPTIONS,
        },
    script:
        "../scripts/figure.py"
