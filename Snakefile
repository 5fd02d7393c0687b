# Reproduction of Kalinin et al. 2025 (mAP framework) and the CPJUMP1 benchmark.
# This file is a table of contents; rules live in workflow/rules/, logic in the packages workflow/mapeval/ (engine)
# and workflow/mapreprod/ (the paper's code); figures are registered in workflow/mapreprod/figures.tsv.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/annotations.smk"
include: "workflow/rules/simulations.smk"
include: "workflow/rules/nelisa.smk"
include: "workflow/rules/cellhealth.smk"
include: "workflow/rules/cpg0004.smk"
include: "workflow/rules/cpg0016orf.smk"
include: "workflow/rules/cpjump1.smk"
include: "workflow/rules/perturbseq.smk"
include: "workflow/rules/mitocheck.smk"
include: "workflow/rules/own_data.smk"
include: "workflow/rules/reproduction.smk"
include: "workflow/rules/benchmarks.smk"


rule all:
    default_target: True
    input:
        all_targets(),
