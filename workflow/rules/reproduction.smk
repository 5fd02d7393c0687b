# The paper's numbers next to ours, from every part of the workflow that ran (docs/methods.md §10).


rule reproduction:
    input:
        fig2="results/tables/fig2.csv",
        parts=reproduction_inputs(),
    output:
        csv=report(
            "results/reproduction.csv",
            caption="../report/reproduction.rst",
            category="0 Reproduction: paper vs this run",
        ),
        md="results/reproduction.md",
    log:
        "logs/reproduction.log",
    benchmark:
        "logs/benchmarks/reproduction.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        note=config["simulations"].get("scale_note", ""),
    script:
        "../scripts/reproduction.py"
