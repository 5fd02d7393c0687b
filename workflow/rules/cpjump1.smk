# Rules: the CPJUMP1 benchmark (Chandrasekaran et al. 2024; docs/methods.md §12). For each of the 12
# conditions (compound / CRISPR / ORF x A549 / U2OS x short / long time point) the primary plates
# are stacked; perturbation detection retrieves each well's replicates against same-plate
# negative controls (Fig 4a; ORF same-well / different-well variants: Extended Data Fig 1); the
# retrieved perturbations are matched to their sisters (Fig 4b) and compounds to genes (Fig 4c);
# Fig 5 checks the direction of same-target similarities. With cpjump1.synthetic the same rules
# run on a generated stand-in (resources/cpjump1_synthetic/).
import os

from mapreprod.datasets.cpjump1 import inputs as cpjump1_inputs
from mapreprod.datasets.cpjump1 import standin as cpjump1_standin

CPJUMP1 = config["cpjump1"]
CPJUMP1_INPUTS = (
    "resources/cpjump1_synthetic" if CPJUMP1["synthetic"] else "resources/cpjump1"
)
CPJUMP1_CONDITIONS = cpjump1_inputs.all_conditions()
# Extended Data Fig 1 variants for the configured modalities (ORF in the paper).
CPJUMP1_VARIANTS = {
    cond: ["all"]
    + (
        ["same_well", "different_well"]
        if cpjump1_inputs.parse_condition(cond)[0] in CPJUMP1["well_variant_modalities"]
        else []
    )
    for cond in CPJUMP1_CONDITIONS
}
# Plates with profile files: the stand-in's plates, or the manifest's rows profiles/<plate>_...
if CPJUMP1["synthetic"]:
    CPJUMP1_PLATES = cpjump1_standin.standin_plates()
else:
    CPJUMP1_PLATES = sorted(
        cpjump1_inputs.plate_of_profile_file(f)
        for (d, f) in MANIFEST_ROWS
        if d == "cpjump1" and f.startswith("profiles/")
    )
if "cpjump1" in config["datasets"] and not CPJUMP1_PLATES:
    raise WorkflowError(
        "cpjump1: no profile file listed in the manifest (rows cpjump1 profiles/<plate>_"
        f"{cpjump1_inputs.PROFILE_SUFFIX}); add them, or set cpjump1.synthetic: true"
    )
CPJUMP1_PROFILE_FILES = [
    f"{CPJUMP1_INPUTS}/{cpjump1_inputs.profile_file(p)}" for p in CPJUMP1_PLATES
]
CPJUMP1_MAP = {
    "null_size": CPJUMP1["null_size"],
    "seed": CPJUMP1["seed"],
    "threshold": CPJUMP1["threshold"],
    "class_q": CPJUMP1["class_q"],
    "null_sampler": config["map"]["null_sampler"],
    "batch_size": config["map"]["batch_size"],
}


# The stand-in's plate maps and metadata: real (downloaded, or copied from a local mirror) or
# generated (config cpjump1.synthetic_metadata; "auto" looks for the files without downloading).
CPJUMP1_LAYOUT_SOURCE = cpjump1_standin.layout_source(
    CPJUMP1["synthetic_metadata"], "resources/cpjump1", config["data"]["mirror"]
)
CPJUMP1_LAYOUT_INPUTS = (
    {key: f"resources/cpjump1/{f}" for key, f in cpjump1_standin.LAYOUT_FILES.items()}
    if CPJUMP1_LAYOUT_SOURCE == "real"
    else {}
)
# Class tables of replicate retrieval, named <condition>__<variant>.
CPJUMP1_ACTIVITY_FILES = {
    f"{cond}__{v}": f"results/cpjump1/activity/{cond}_{v}.csv"
    for cond in CPJUMP1_CONDITIONS
    for v in CPJUMP1_VARIANTS[cond]
}
CPJUMP1_MATCHING = [
    c
    for c in CPJUMP1_CONDITIONS
    if cpjump1_inputs.parse_condition(c)[0] in ("compound", "crispr")
]
CPJUMP1_CROSS = [
    f"compound_{cell}_{ct}-{gm}_{cell}_{gt}"
    for cell in cpjump1_inputs.CELL_TYPES
    for ct in cpjump1_inputs.TIME_LABELS
    for gm in cpjump1_inputs.GENETIC_MODALITIES
    for gt in cpjump1_inputs.TIME_LABELS
]
# Inputs of each figure.
CPJUMP1_FIGURE_INPUTS = {
    "cpjump1_fig4a": {
        k: v for k, v in CPJUMP1_ACTIVITY_FILES.items() if k.endswith("__all")
    },
    "cpjump1_edfig1": {
        k: v for k, v in CPJUMP1_ACTIVITY_FILES.items() if k.startswith("orf_")
    },
    "cpjump1_fig4b": {c: f"results/cpjump1/matching/{c}.csv" for c in CPJUMP1_MATCHING},
    "cpjump1_fig4c": {p: f"results/cpjump1/cross/{p}.csv" for p in CPJUMP1_CROSS},
    "cpjump1_fig5": {
        "signal": "results/cpjump1/directionality_signal.csv.gz",
        "summary": "results/cpjump1/directionality_summary.csv",
    },
}


rule cpjump1_synthetic_data:
    input:
        **CPJUMP1_LAYOUT_INPUTS,
    output:
        experiment=f"resources/cpjump1_synthetic/{cpjump1_inputs.EXPERIMENT_FILE}",
        annotations=f"resources/cpjump1_synthetic/{cpjump1_inputs.ANNOTATION_FILE}",
        truth="resources/cpjump1_synthetic/planted_truth.csv",
        profiles=[
            f"resources/cpjump1_synthetic/{cpjump1_inputs.profile_file(p)}"
            for p in cpjump1_standin.standin_plates()
        ],
    log:
        "logs/cpjump1/cpjump1_synthetic_data.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        design=CPJUMP1["synthetic_design"],
        seed=CPJUMP1["seed"],
        layout_source=CPJUMP1_LAYOUT_SOURCE,
        outdir=lambda wildcards, output: os.path.dirname(output.experiment),
    script:
        "../scripts/cpjump1_synthetic_data.py"


rule cpjump1_profiles:
    input:
        experiment=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.EXPERIMENT_FILE}",
        plates=CPJUMP1_PROFILE_FILES,
    output:
        profiles=expand(
            "results/cpjump1/profiles/{condition}.parquet",
            condition=CPJUMP1_CONDITIONS,
        ),
    log:
        "logs/cpjump1/cpjump1_profiles.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        conditions=CPJUMP1_CONDITIONS,
    script:
        "../scripts/cpjump1_profiles.py"


rule cpjump1_activity:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
    output:
        ap=[
            f"results/cpjump1/activity/{c}_{v}_ap.csv.gz"
            for c in CPJUMP1_CONDITIONS
            for v in CPJUMP1_VARIANTS[c]
        ],
        classes=[
            f"results/cpjump1/activity/{c}_{v}.csv"
            for c in CPJUMP1_CONDITIONS
            for v in CPJUMP1_VARIANTS[c]
        ],
    log:
        "logs/cpjump1/cpjump1_activity.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        tasks=[(c, v) for c in CPJUMP1_CONDITIONS for v in CPJUMP1_VARIANTS[c]],
        settings=CPJUMP1_MAP,
    script:
        "../scripts/cpjump1_activity.py"


rule cpjump1_matching:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        classes=rules.cpjump1_activity.output.classes,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        ap=expand("results/cpjump1/matching/{c}_ap.csv.gz", c=CPJUMP1_MATCHING),
        classes=expand("results/cpjump1/matching/{c}.csv", c=CPJUMP1_MATCHING),
    log:
        "logs/cpjump1/cpjump1_matching.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        conditions=CPJUMP1_MATCHING,
        settings=CPJUMP1_MAP,
    script:
        "../scripts/cpjump1_matching.py"


rule cpjump1_cross:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        classes=rules.cpjump1_activity.output.classes,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        ap=expand("results/cpjump1/cross/{p}_ap.csv.gz", p=CPJUMP1_CROSS),
        classes=expand("results/cpjump1/cross/{p}.csv", p=CPJUMP1_CROSS),
    log:
        "logs/cpjump1/cpjump1_cross.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        pairs=CPJUMP1_CROSS,
        settings=CPJUMP1_MAP,
    script:
        "../scripts/cpjump1_cross.py"


rule cpjump1_directionality:
    input:
        profiles=rules.cpjump1_profiles.output.profiles,
        annotations=f"{CPJUMP1_INPUTS}/{cpjump1_inputs.ANNOTATION_FILE}",
    output:
        signal="results/cpjump1/directionality_signal.csv.gz",
        summary="results/cpjump1/directionality_summary.csv",
    log:
        "logs/cpjump1/cpjump1_directionality.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        fig5a_tails=CPJUMP1["fig5a_tails"],
    script:
        "../scripts/cpjump1_directionality.py"


rule cpjump1_figure:
    input:
        unpack(lambda wildcards: CPJUMP1_FIGURE_INPUTS[wildcards.figure]),
    output:
        **figure_outputs("{figure}"),
    log:
        "logs/cpjump1/cpjump1_figure_{figure}.log",
    wildcard_constraints:
        figure="cpjump1_fig4a|cpjump1_fig4b|cpjump1_fig4c|cpjump1_edfig1|cpjump1_fig5",
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        synthetic=CPJUMP1["synthetic"],
        fig5a_tails=CPJUMP1["fig5a_tails"],
    script:
        "../scripts/cpjump1_figure.py"


rule cpjump1_reproduction:
    input:
        **CPJUMP1_ACTIVITY_FILES,
        matching=expand("results/cpjump1/matching/{c}.csv", c=CPJUMP1_MATCHING),
        cross=expand("results/cpjump1/cross/{p}.csv", p=CPJUMP1_CROSS),
        summary="results/cpjump1/directionality_summary.csv",
    output:
        table="results/cpjump1/reproduction.csv",
    log:
        "logs/cpjump1/cpjump1_reproduction.log",
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        synthetic=CPJUMP1["synthetic"],
        null_size=CPJUMP1["null_size"],
        class_q=CPJUMP1["class_q"],
        fig5a_tails=CPJUMP1["fig5a_tails"],
    script:
        "../scripts/cpjump1_reproduction.py"
