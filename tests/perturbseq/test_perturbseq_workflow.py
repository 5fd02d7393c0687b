"""The synthetic Perturb-seq pipeline end to end through Snakemake, at small scale."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mapreprod import registry

SMALL_CONFIG = """\
datasets: [perturbseq]
perturbseq:
  synthetic: true
  min_features: 50
  min_nfeature: 150
  max_nfeature: 600
  n_variable_features: 200
  bulk_null_size: 1000
  single_cell_null_size: 1000
  umap: {n_neighbors: 10}
  synthetic_design:
    n_genes: 1200
    n_expressed_genes: 700
    features_per_cell: [200, 450]
    n_target_genes: 3
    n_guides: 9
    n_nontargeting_guides: 2
    target_cells: 54
    nontargeting_cells: 20
    multiplet_cells: 4
    poor_coverage_cells: 4
    unassigned_cells: 3
    low_feature_cells: 3
    high_feature_cells: 2
    high_mt_cells: 3
    empty_droplets: 4
    rare_genes_detected: 30
    program_size: 20
    shared_program_size: 50
"""
FIGURES = registry.figure_ids("perturbseq")


@pytest.mark.workflow
def test_synthetic_perturbseq_workflow_runs(tmp_path):
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "small.yaml").write_text(SMALL_CONFIG)
    targets = [
        "results/perturbseq/reproduction.csv",
        *[f"results/{kind}/{fid}.{ext}" for fid in FIGURES
          for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))],
    ]
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "small.yaml", timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for target in targets:
        assert (work / target).stat().st_size > 0, target
    planted = json.loads((work / "resources/perturbseq_synthetic/planted_counts.json").read_text())
    steps = pd.read_csv(work / "results/perturbseq/seurat_summary.csv").set_index("step")
    assert steps.loc["CreateSeuratObject", "features"] == planted["seurat_features"]
    assert steps.loc["CreateSeuratObject", "cells"] == planted["seurat_cells"]
    assert steps.loc["subset (nFeature_RNA, percent.mt)", "cells"] == planted["qc_cells"]
    bulk = pd.read_csv(work / "results/tables/fig4e.csv")
    assert len(bulk) == 9 and {"mAP", "p < 0.05", "relative_activity_day5"} <= set(bulk.columns)
    cells = pd.read_csv(work / "results/tables/fig5a.csv")
    assert len(cells) == planted["target_cells"]
    umap = pd.read_csv(work / "results/tables/figS8.csv")
    assert set(umap["Metadata_embedded_gene"]) == {"ALDOA", "ATP5E", "BCR"}
    assert "Negative Ctrl" in set(umap["panel"])
    repro = pd.read_csv(work / "results/perturbseq/reproduction.csv", keep_default_na=False)
    ours = repro[repro["ours"] != "NA"]
    assert {"Fig 4E", "Fig 5A"} <= set(ours["figure"]) and len(ours) >= 13
    assert ours["note"].str.contains("synthetic").all()
    scored = ours.set_index("quantity").loc["target cells with an AP", "ours"]
    assert scored == str(planted["target_cells"])
