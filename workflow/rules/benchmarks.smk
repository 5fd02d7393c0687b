# Rules: the cost of every job of the run (issue 19). Every rule declares
# benchmark: "logs/benchmarks/<its log path, .log -> .tsv>"; Snakemake writes there each job's
# wall time, CPU time and peak memory. benchmarks_table gathers the files of the configured
# parts into results/benchmarks.csv (in the report). It runs after every other target of the
# run (its inputs), reads the benchmark files it finds (planning reads none, and a job without
# a benchmark file, e.g. one that ran before the file existed, is never rerun for it) and is
# itself a target of rule all. Included after every other rule file, so that BENCHMARK_RULES
# sees all their rules.
from mapreprod import benchmark_table

BENCHMARKS_TABLE = "results/benchmarks.csv"
BENCHMARKS_ROOT = "logs/benchmarks"
# rule -> its benchmark pattern (without the wildcards' constraints, which fit its outputs) and
# part (the rule file's name), for every rule defined so far
BENCHMARK_RULES = {
    r.name: {
        "pattern": benchmark_table.plain_pattern(str(r.benchmark)),
        "dataset": Path(r.snakefile).stem,
    }
    for r in workflow.rules
    if r.benchmark is not None
}
# Parts of this run: the table keeps their jobs only (not files left by runs of other configs).
BENCHMARK_PARTS = [
    "simulations",
    *config["datasets"],
    "reproduction",
    "benchmarks",
]


rule benchmarks_table:
    input:
        [target for target in all_targets() if target != BENCHMARKS_TABLE],
    output:
        table=report(
            BENCHMARKS_TABLE,
            caption="../report/benchmarks.rst",
            category="0 Cost of this run (benchmarks)",
        ),
    log:
        "logs/benchmarks_table.log",
    benchmark:
        "logs/benchmarks/benchmarks_table.tsv"
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        root=BENCHMARKS_ROOT,
        rules=BENCHMARK_RULES,
        datasets=BENCHMARK_PARTS,
    script:
        "../scripts/benchmarks_table.py"
