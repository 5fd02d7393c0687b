"""The documented example config end to end through Snakemake (config/examples/own_data.yaml):
the generated screen, two AP shards gathered, both figures, the summary rows."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from mapreprod.datasets.own_data import activity, inputs, preprocess
from own_data_cases import entry_settings


@pytest.mark.workflow
def test_example_config_runs_end_to_end_with_shards(tmp_path):
    from workflow_utils import copy_repo

    work = copy_repo(tmp_path / "repo")
    # the rule scripts import this copy's packages (not the checkout's editable install)
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(work / "workflow"))
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "own_data_reproduction", "--cores", "2",
         "--configfile", "config/examples/own_data.yaml"],
        cwd=work, capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

    config = yaml.safe_load((work / "config/examples/own_data.yaml").read_text())
    entry = config["own_data"]["datasets"]["example"]
    assert entry["shards"] == 2
    for analysis in ("activity", "consistency"):
        for path in (f"results/figures/own_example_{analysis}.png",
                     f"results/figures/own_example_{analysis}.pdf",
                     f"results/tables/own_example_{analysis}.csv"):
            assert (work / path).stat().st_size > 0, path
    assert len(list((work / "results/own_data/example/activity_ap").glob("shard*of2.parquet"))) == 2

    # the gathered table equals one unsharded computation, byte for byte
    spec = inputs.OwnDataSpec.from_config("example", entry)
    settings = entry_settings(entry)
    raw = inputs.read_profiles([str(work / entry["profiles"])], spec.key("profiles"))
    mapped, feats = inputs.map_columns(raw, spec)
    prepared, kept, _ = preprocess.prepare_profiles(mapped, feats, spec)
    shard = activity.shard_average_precision(prepared, kept, spec, settings)
    _, table = activity.gather_activity([shard], prepared, spec, settings)
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    assert (work / "results/own_data/example/activity.csv").read_text() == buf.getvalue()

    summary = pd.read_csv(work / "results/own_data/reproduction.csv")
    assert summary.columns.tolist() == ["figure", "quantity", "paper", "ours", "note"]
    assert (summary["paper"] == "(own data)").all()
    assert set(summary["figure"]) == {"own_example_activity", "own_example_consistency"}
    row = summary.set_index("quantity").loc["perturbations retrieved (activity)"]
    assert row["ours"] == f"{table['retrieved'].mean():.0%}"


@pytest.mark.workflow
def test_mapping_errors_stop_the_run_before_any_job(tmp_path):
    """A file that exists is checked when the workflow is planned: the error names the key."""
    from mapreprod.datasets.own_data.standin import example_screen
    from workflow_utils import copy_repo

    work = copy_repo(tmp_path / "repo")
    (work / "data").mkdir()
    example_screen()[0].to_parquet(work / "data/screen.parquet")
    (work / "bad.yaml").write_text(
        "datasets: [own_data]\n"
        "own_data:\n  datasets:\n    screen:\n"
        "      profiles: data/*.parquet\n"
        "      columns: {perturbation: Metadata_Compound, plate: Metadata_Barcode}\n"
        "      controls: \"Metadata_Compound == 'DMSO'\"\n"
    )
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(work / "workflow"))
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", "bad.yaml"],
        cwd=work, capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert "own_data.datasets.screen.columns.plate" in text and "'Metadata_Barcode'" in text, text[-2000:]
