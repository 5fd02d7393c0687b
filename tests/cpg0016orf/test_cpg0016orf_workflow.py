"""The cpg0016[orf] pipeline end to end through Snakemake on the stand-in (small settings).

The stand-in is laid out on the real JUMP metadata, fetched by the download rule from a local
mirror of ../shared/data (checksums from config/manifest.tsv); without ../shared it uses the
generated metadata (cpg0016orf.synthetic_real_metadata: false), as config/synthetic.yaml does.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import SHARED
from mapreprod import registry
from workflow_utils import copy_repo, snakemake

pytestmark = pytest.mark.workflow


def test_synthetic_pipeline_draws_every_figure(tmp_path):
    work = copy_repo(tmp_path / "repo")
    real = (SHARED / "data" / "cpg0016orf" / "orf.csv.gz").is_file()
    config = {
        "datasets": ["cpg0016orf"],
        "cpg0016orf": {
            "synthetic": True,
            "synthetic_real_metadata": real,
            "null_size": 1000,
            "synthetic_design": {"plate_maps": 3, "orfs_per_plate_map": 30, "n_features": 40},
        },
    }
    if real:
        config["data"] = {"mirror": str(SHARED / "data")}
    configfile = tmp_path / "orf.yaml"
    configfile.write_text(yaml.safe_dump(config))
    ids = registry.figure_ids("cpg0016orf")
    assert ids  # every registered figure of the dataset is drawn
    targets = [f"results/{kind}/{fid}.{ext}" for fid in ids
               for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))]
    targets.append("results/cpg0016orf/reproduction.csv")
    res = snakemake(work, *targets, "--cores", "2", "--configfile", str(configfile), timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    for target in targets:
        assert (work / target).stat().st_size > 0, target
    table = pd.read_csv(work / "results/cpg0016orf/reproduction.csv")
    assert {"56%", "4%"} <= set(table["paper"])
    assert table["note"].str.contains("SYNTHETIC").all()
    log = (work / "logs/cpg0016orf/cpg0016orf_synthetic_data.log").read_text()
    assert ("real JUMP metadata" in log) if real else ("generated metadata" in log)
    if real:
        assert (work / "resources/cpg0016orf/plate.csv.gz").is_file()  # fetched from the mirror
    s7b = pd.read_csv(work / "results/tables/figS7b.csv")
    assert (s7b["q_threshold"] == 0.1).all() and s7b["p < 0.05"].any()
    s7d = pd.read_csv(work / "results/tables/figS7d.csv")
    assert (s7d["q_threshold"] == 0.05).all()  # each figure says the BH level it was called at
