# Rules: known gene-gene relationships for the known-relationship recall of the gene-level
# datasets (docs/methods.md §15.2; mapreprod.annotations). The four sources of RxRx3-core:
# CORUM as Morphmap's complex table (an input of the cpg0016[orf] pipeline already), hu.MAP,
# Reactome and StringDB as the RxRx3-core benchmark's pair lists (config/manifest.tsv, dataset
# "annotations"). A generated dataset (<dataset>.synthetic) reads stand-ins with the same
# schemas instead, made from its planted truth (rule relationships_standin).
import re

from mapreprod import annotations, metrics

# Settings of every metrics rule: every result field but the test (the energy test uses
# n_permutations, which a param with the test keeps only under map.test: permutation); the
# configured test travels apart (the cell-count baseline's and the gene-level mAP calls).
METRICS_SETTINGS_FIELDS = [f for f in settings.RESULT_FIELDS if f != "test"]

# The planted truth each generated dataset's stand-in relationships are made from.
RELATIONSHIP_TRUTH = {
    "cellhealth": "resources/cellhealth_synthetic/truth.csv",
    "cpg0016orf": "resources/cpg0016orf_synthetic/planted_truth.csv",
    "cpjump1": "resources/cpjump1_synthetic/planted_truth.csv",
    "perturbseq": "resources/perturbseq_synthetic/planted_guides.csv",
}
# The metrics rules read the files of every source as named inputs
# (annotations.relationship_inputs(dataset, synthetic): annotations.INPUT_NAMES -> path).


rule relationships_standin:
    input:
        truth=lambda wildcards: RELATIONSHIP_TRUTH[wildcards.rel_dataset],
    output:
        pairs="resources/{rel_dataset}_synthetic/annotations/{rel_file}",
    log:
        "logs/annotations/standin_{rel_dataset}_{rel_file}.log",
    benchmark:
        "logs/benchmarks/annotations/standin_{rel_dataset}_{rel_file}.tsv"
    wildcard_constraints:
        rel_dataset="|".join(RELATIONSHIP_TRUTH),
        rel_file="|".join(re.escape(f) for f in annotations.SOURCES.values()),
    conda:
        "../../envs/mapeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        dataset="{rel_dataset}",
        file="{rel_file}",
        seed=lambda wildcards: config[wildcards.rel_dataset].get("seed", 0),
    script:
        "../scripts/relationships_standin.py"
