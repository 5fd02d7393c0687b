"""The metrics rules are planned from the config alone (dry runs): a generated dataset reads the
relationship stand-ins made from its planted truth, a real one downloads the published sources."""

from __future__ import annotations

import pytest
from workflow_utils import copy_repo, snakemake


@pytest.mark.workflow
def test_gene_level_metrics_read_standins_when_generated_and_downloads_when_real(tmp_path):
    work = copy_repo(tmp_path / "repo")
    target = "results/figures/metrics_cellhealth.png"
    (work / "synthetic.yaml").write_text("datasets: [cellhealth]\ncellhealth:\n  synthetic: true\n")
    plan = snakemake(work, target, "-n", "--cores", "1", "--configfile", "synthetic.yaml", timeout=300)
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    for name in ("HuMAP.txt", "Reactome.txt", "StringDB.txt", "CORUM_proteincomplex_annotations.tsv"):
        assert f"resources/cellhealth_synthetic/annotations/{name}" in plan.stdout, name
    assert "rule cellhealth_metrics:" in plan.stdout and "resources/annotations/" not in plan.stdout

    (work / "real.yaml").write_text("datasets: [cellhealth]\n")
    plan = snakemake(work, target, "-n", "--cores", "1", "--configfile", "real.yaml", timeout=300)
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    for path in ("resources/annotations/HuMAP.txt", "resources/annotations/Reactome.txt",
                 "resources/annotations/StringDB.txt",
                 "resources/cpg0016orf/CORUM_proteincomplex_annotations.tsv"):
        assert path in plan.stdout, path
    assert "rule relationships_standin:" not in plan.stdout
