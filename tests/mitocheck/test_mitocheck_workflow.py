"""The synthetic Mitocheck pipeline end to end through Snakemake (small settings)."""

from __future__ import annotations

import pandas as pd
import pytest

from mapreprod import registry

FIGURES = registry.figure_ids("mitocheck")
SMALL = """\
datasets: [mitocheck]
mitocheck:
  synthetic: true
  null_size: 500
  control_fraction: 0.02
  control_chunk_rows: 700
  synthetic_design:
    n_cells: 120
    n_classes: 3
    n_genes: 8
    n_failed_qc: 4
    n_out_of_focus: 4
    n_control_rows: 1500
    n_dp_features: 24
"""


@pytest.mark.workflow
def test_synthetic_mitocheck_workflow_renders_every_figure(tmp_path):
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "small.yaml").write_text(SMALL)
    targets = ["results/mitocheck/reproduction.csv"] + [
        f"results/{kind}/{fid}.{ext}" for fid in FIGURES
        for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))
    ]
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "small.yaml", timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for fid in FIGURES:
        assert (work / f"results/figures/{fid}.png").stat().st_size > 10_000, fid
    # 0.02 of the 1,500 generated control cells; the QC filter removed the extra cells
    sample = pd.read_parquet(work / "results/mitocheck/control_sample.parquet")
    assert len(sample) == 30
    ap = pd.read_csv(work / "results/mitocheck/Mitocheck_Phenotypic_Class_ap_results.csv")
    assert len(ap) == 2 * 120 and set(ap["Features"]) == {"cp", "dp"}
    assert not (ap["Metadata_Gene"] == "failed QC").any()
    repro = pd.read_csv(work / "results/mitocheck/reproduction.csv")
    assert dict(zip(repro["quantity"], repro["ours"].astype(str)))["sampled control cells"] == "30"
    s10 = pd.read_csv(work / "results/tables/figS10.csv")
    assert s10["UMAP_class"].nunique() == 3
