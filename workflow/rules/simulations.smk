# Rules: simulation benchmark (Fig 2, S2-S5, docs/methods.md §2; figS_null and metrics_simulations are
# ours). One job per (figure, n_feats) simulates every condition of that figure row and scores it
# with the methods of the figure's spec (mapreprod.simulations.simulate.FIGURE_SPECS); a gather
# job writes the figure's table, a last job draws it (mapreprod.simulations.figures).
from mapreprod.simulations import simulate

SIMULATIONS = config["simulations"]
# The design (n_perts, permutations, MMD bandwidth, k-means restarts, grids): every key of the
# section but the engine's (map_null_size, seed), which map_settings("simulations") carries.
SIMULATION_DESIGN = simulate.design_param(SIMULATIONS)
# Figure ids of this part, from the registry (workflow/mapreprod/figures.tsv).
SIMULATION_FIGURES = figure_ids("simulations")

# Per-n_feats recall tables of one figure ({{figure}} stays a wildcard).
SIMULATION_PARTS = expand(
    "results/simulations/{{figure}}/n_feats_{n_feats}.csv",
    n_feats=SIMULATIONS["n_feats"],
)


rule simulations_recall:
    output:
        table="results/simulations/{figure}/n_feats_{n_feats}.csv",
    log:
        "logs/simulations/recall_{figure}_{n_feats}.log",
    benchmark:
        "logs/benchmarks/simulations/recall_{figure}_{n_feats}.tsv"
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
        n_feats=r"\d+",
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # similarity and test (shared, independent, exact, permutation) are set per mAP test
        # by the figure's spec; map.test is not used here
        settings=map_settings(
            "simulations",
            fields=["null_size", "seed", "null_sampler", "permutation_tie_break"],
        ),
        design=SIMULATION_DESIGN,
    script:
        "../scripts/simulations_recall.py"


rule simulations_table:
    input:
        parts=SIMULATION_PARTS,
    output:
        table="results/tables/{figure}.csv",
    log:
        "logs/simulations/table_{figure}.log",
    benchmark:
        "logs/benchmarks/simulations/table_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/simulations_table.py"


rule simulations_figure:
    input:
        table="results/tables/{figure}.csv",
    output:
        **figure_outputs("{figure}", table=False),
    log:
        "logs/simulations/figure_{figure}.log",
    benchmark:
        "logs/benchmarks/simulations/figure_{figure}.tsv"
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        figure="{figure}",
    script:
        "../scripts/figure.py"
