"""The documented example config end to end through Snakemake (config/examples/own_data.yaml):
the generated screen, two AP shards gathered, both figures, the summary rows; then, by dry runs
on the finished run, which rules a changed setting reruns and that a deleted table is made
again. And: planning opens no data file, the prepare job names the file, column and key, and
nothing runs (or is overwritten) when own_data is not listed in `datasets:`."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from mapreprod.datasets.own_data import activity, inputs, preprocess
from own_data_cases import entry_settings


def _planned(work, env, *args) -> dict[str, int]:
    """The jobs a dry run plans: own-data rule -> count."""
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "2", *args],
        cwd=work, capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    text = res.stdout + res.stderr
    assert res.returncode == 0, text[-3000:]
    stats = text.split("Job stats:")[1].split("total")[0] if "Job stats:" in text else ""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(own_data_\w+)\s+(\d+)$", stats, re.M)}


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
    # the rows of the other metrics beside mAP (docs/methods.md §15) come with their figure's id
    assert set(summary["figure"]) == {"own_example_activity", "own_example_consistency",
                                      "metrics_own_example"}
    rows = summary.set_index("quantity")
    assert rows.loc["perturbations retrieved (activity)", "ours"] == f"{table['retrieved'].mean():.0%}"
    assert rows.loc["features dropped: zero dispersion", "ours"] == "0"
    assert rows.loc["normalized values beyond 1e6", "ours"] == "none"

    # A setting reruns only the rules whose outputs depend on it (dry runs on the finished run).
    def changed(name: str, sort_keys: bool = False, **changes) -> dict[str, int]:
        new = yaml.safe_load((work / "config/examples/own_data.yaml").read_text())
        for key, value in changes.items():
            section, _, field = key.rpartition(".")
            node = new.setdefault("map", {}) if section == "map" else new["own_data"]["datasets"]["example"]
            node[field] = value
        (work / name).write_text(yaml.safe_dump(new, sort_keys=sort_keys))
        return _planned(work, env, "own_data_reproduction", "--configfile", name)

    gather = {"own_data_activity": 1, "own_data_consistency": 1, "own_data_figure": 2,
              "own_data_metrics": 1, "own_data_metrics_figure": 1,
              "own_data_summary": 1, "own_data_combine": 1, "own_data_reproduction": 1}
    # batch size, threads and the order of the keys in the config file change nothing
    assert changed("tuning.yaml", sort_keys=True, **{"map.batch_size": 7, "map.threads": 1}) == {}
    # null size, seed and threshold rerun the gathering step and what follows: not the prepare
    # step, not the AP jobs
    assert changed("null.yaml", null_size=2000, seed=3, threshold=0.1) == gather
    # so does the test of the calls (map.test, docs/methods.md §1.9)
    assert changed("test.yaml", **{"map.test": "exact"}) == gather
    # the similarity reruns the AP jobs too, not the prepare step
    assert changed("similarity.yaml", similarity="correlation") == {"own_data_ap_shard": 2, **gather}
    # the shard count plans the new AP jobs and the gathering, not the prepare step
    assert changed("shards.yaml", shards=3) == {"own_data_ap_shard": 3, **gather}

    # A deleted final table is made again, by own_data_reproduction and by rule all.
    (work / "results/own_data/example/activity.csv").unlink()
    for target in ("own_data_reproduction", "all"):
        plan = _planned(work, env, target, "--configfile", "config/examples/own_data.yaml")
        assert plan.get("own_data_activity") == 1 and "own_data_prepare" not in plan, (target, plan)


@pytest.mark.workflow
def test_planning_opens_no_file_and_the_prepare_job_names_file_column_and_key(tmp_path):
    """Planning reads no data file: a run plans (and starts) a dataset whose file is empty (0
    bytes) and one that maps a column its file lacks; their prepare jobs fail with messages
    naming the file, the column and the key. Without own_data in `datasets:`, own_data_reproduction stops
    naming the key to add, and writes nothing over the previous summary."""
    from mapreprod.datasets.own_data.standin import example_screen
    from workflow_utils import copy_repo

    work = copy_repo(tmp_path / "repo")
    (work / "data").mkdir()
    example_screen()[0].to_parquet(work / "data/screen.parquet")
    (work / "data/empty.csv").write_bytes(b"")
    (work / "bad.yaml").write_text(
        "datasets: [own_data]\n"
        "own_data:\n  datasets:\n"
        "    screen:\n"
        "      profiles: data/*.parquet\n"
        "      columns: {perturbation: Metadata_Compound, plate: Metadata_Barcode}\n"
        "      controls: \"Metadata_Compound == 'DMSO'\"\n"
        "    broken:\n"
        "      profiles: data/empty.csv\n"
        "      columns: {perturbation: Metadata_Compound}\n"
        "      controls: \"Metadata_Compound == 'DMSO'\"\n"
        "      activity: {controls: all}\n"
    )
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(work / "workflow"))
    # planning passes (it would fail on either file if it opened them); each prepare job fails
    prepared = ["results/own_data/screen/prepared.parquet", "results/own_data/broken/prepared.parquet"]
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", *prepared, "--cores", "2", "--keep-going", "--configfile", "bad.yaml"],
        cwd=work, capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert res.returncode != 0
    screen_log = (work / "logs/own_data/screen/prepare.log").read_text()
    assert "own_data.datasets.screen.columns.plate: column 'Metadata_Barcode'" in screen_log, screen_log[-2000:]
    assert "'data/screen.parquet'" in screen_log and "did you mean" in screen_log
    broken_log = (work / "logs/own_data/broken/prepare.log").read_text()
    assert "own_data.datasets.broken.profiles: file 'data/empty.csv' is empty (0 bytes)" in broken_log, broken_log[-2000:]
    assert not any((work / path).exists() for path in prepared)

    # own_data.datasets set, own_data not in `datasets:`: stop, name the key, keep the summary
    summary = work / "results/own_data/reproduction.csv"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text("figure,quantity,paper,ours,note\nown_x_activity,wells,(own data),96,\n")
    before = summary.read_bytes()
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "own_data_reproduction", "--cores", "1", "--configfile", "bad.yaml",
         "--config", "datasets=[]"],
        cwd=work, capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert "'own_data' is not in the top-level `datasets:`" in text and "datasets: [own_data]" in text, text[-2000:]
    assert summary.read_bytes() == before
