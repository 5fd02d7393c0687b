# Rules: simulation benchmark (Fig 2, S2-S5, docs/methods.md §2; figS_null is ours). One job per
# (figure, n_feats) simulates every condition of that figure row and scores it with mAP,
# mp-value, MMD and k-means; a gather job writes the figure's table, a last job draws it.
SIMULATIONS = config["simulations"]
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
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
        n_feats=r"\d+",
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=SIMULATIONS,
        engine=config["map"],
    script:
        "../scripts/simulations_recall.py"


rule simulations_table:
    input:
        parts=SIMULATION_PARTS,
    output:
        table="results/tables/{figure}.csv",
    log:
        "logs/simulations/table_{figure}.log",
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/simulations_table.py"


rule simulations_figure:
    input:
        table="results/tables/{figure}.csv",
    output:
        **figure_outputs("{figure}", table=False),
    log:
        "logs/simulations/figure_{figure}.log",
    wildcard_constraints:
        figure="|".join(SIMULATION_FIGURES),
    conda:
        "../../envs/simulations.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/simulations_figure.py"
