"""The CPJUMP1 reproduction table (hand-made inputs) and the synthetic pipeline end to end
through Snakemake (every figure id, its table, the reproduction rows)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from mapreprod import registry
from mapreprod.datasets.cpjump1 import figures, inputs, reproduction
from mapreprod.reproduction import paper_values

# the benchmark's figures (metrics_cpjump1, ours, has its own rule and tests)
FIGURE_IDS = registry.figure_ids("cpjump1", "cpjump1_figure")


def _classes(n, hits, key="Metadata_broad_sample", mAP=0.5):
    return pd.DataFrame({key: [f"x{i}" for i in range(n)], "mAP": mAP,
                         "above_q_threshold": [i < hits for i in range(n)]})


@pytest.fixture(scope="module")
def hand_tables():
    det = {}
    for cond in inputs.all_conditions():
        m = inputs.parse_condition(cond)[0]
        hits = {"compound": 9, "crispr": 6, "orf": 2}[m]
        det[inputs.activity_table_name(cond, "all")] = _classes(10, hits)
        if m == "orf":
            det[inputs.activity_table_name(cond, "same_well")] = _classes(10, 4)
            det[inputs.activity_table_name(cond, "different_well")] = _classes(10, 1)
    match = {c: _classes(20, 3, "Metadata_matching_target") for c in inputs.all_conditions(["compound", "crispr"])}
    cross = {
        pair: _classes(8, 1, "Metadata_matching_target", mAP=0.3 if "-crispr_" in pair else 0.2)
        for pair in inputs.cross_pairs()
    }
    summary = pd.DataFrame({
        "panel": ["a", "a", "b", "b", "b", "b"], "cell": ["A549", "U2OS"] * 3,
        "genetic_perturbation": ["ORF-CRISPR", "ORF-CRISPR", "CRISPR", "CRISPR", "ORF", "ORF"],
        "n": [100] * 6, "fishers_exact_statistic": [2.0, 1.5, 3.0, 0.9, 1.2, 2.5],
        "fishers_exact_pvalue": [0.01, 0.2, 0.001, 0.5, 0.04, 0.03],
    })
    return det, match, cross, summary


def test_reproduction_rows_are_the_paper_values_rows(hand_tables):
    det, match, cross, summary = hand_tables
    table = reproduction.reproduction_table(
        figures.detection_table(det), figures.matching_table(match), figures.cross_table(cross), summary
    )
    paper = paper_values("cpjump1")
    # then one row per figure naming the test of its calls (the hand tables have no test column)
    tests = table[table["quantity"] == "test of the calls (map.test)"]
    assert tests["figure"].tolist() == ["Fig 4a", "Extended Data Fig 1", "Fig 4b", "Fig 4c"]
    assert (tests["ours"] == "NA").all() and (tests["paper"] == "shared (copairs)").all()
    table = table.drop(tests.index)
    assert list(zip(table["figure"], table["quantity"], strict=True)) == list(
        zip(paper["figure"], paper["quantity"], strict=True)
    )
    assert (table["ours"] != "NA").all()
    get = dict(zip(table["quantity"], table["ours"], strict=True))
    assert get["fraction retrieved, compound A549 short"] == "0.900"
    assert get["fraction retrieved, orf U2OS long"] == "0.200"
    assert get["ORF fraction retrieved, same well, A549 short"] == "0.400"
    assert get["ORF fraction retrieved, different well, U2OS long"] == "0.100"
    assert get["compound > CRISPR > ORF (cell type x time point)"] == "4 of 4"
    assert get["fraction retrieved range, sister compounds"] == "15%-15%"
    assert get["compound-CRISPR mean mAP above compound-ORF (cell x time points)"] == "8 of 8"
    assert get["Fisher odds ratio (positive vs negative tail), compound-CRISPR U2OS"] == "0.900"
    assert get["tails significantly more positive than negative (Fisher, p < 0.05)"] == "4 of 6"


def test_figure_ids_are_registered_with_the_rule_that_draws_them():
    table = registry.figures()
    mine = table[table["dataset"] == "cpjump1"]
    assert sorted(mine["id"]) == sorted(figures.FIGURES)
    papers = mine[mine["id"].isin(FIGURE_IDS)]
    assert set(papers["rule"]) == {"cpjump1_figure"} and set(papers["paper"]) == {"chandrasekaran2024"}
    assert set(mine.loc[~mine["id"].isin(FIGURE_IDS), "rule"]) == {"cpjump1_metrics_figure"}


def test_task_names_round_trip():
    assert inputs.parse_activity_table_name(inputs.activity_table_name("orf_A549_long", "same_well")) == (
        "orf_A549_long", "same_well")
    assert inputs.parse_cross_pair("compound_U2OS_short-orf_U2OS_long") == (
        "compound_U2OS_short", "orf_U2OS_long")
    # 2 cell types x 2 compound time points x 2 genetic modalities x 2 genetic time points
    assert len(set(inputs.cross_pairs())) == 16
    with pytest.raises(ValueError, match="<condition>__<variant>"):
        inputs.parse_activity_table_name("orf_A549_long_all")
    with pytest.raises(ValueError, match="unknown CPJUMP1 condition"):
        inputs.parse_cross_pair("compound_A549_short-crispr_HeLa_long")


def test_figures_draw_from_hand_made_tables(hand_tables, tmp_path):
    """Every registered CPJUMP1 figure draws from its named tables, as figure.py calls it."""
    from mapreprod.plotting import save_figure

    det, match, cross, summary = hand_tables
    rng = np.random.default_rng(0)
    signal = pd.DataFrame({
        "panel": ["a"] * 20 + ["b"] * 40, "Cell": (["A549"] * 10 + ["U2OS"] * 10) * 3,
        "Genetic_Perturbation": ["ORF-CRISPR"] * 20 + ["CRISPR"] * 20 + ["ORF"] * 20,
        "cosine_sim": rng.uniform(-0.5, 0.5, 60),
    })
    summary = summary.assign(fifth_percentile=-0.3, ninetyfifth_percentile=0.3,
                             percent_fifth_percentile=0.05, percent_ninetyfifth_percentile=0.1)
    inputs_of = {  # the tables each drawing function reads, named as rule cpjump1_figure names them
        figures.draw_cpjump1_fig4a: {k: v for k, v in det.items() if k.endswith("__all")},
        figures.draw_cpjump1_edfig1: {k: v for k, v in det.items() if k.startswith("orf_")},
        figures.draw_cpjump1_fig4b: match,
        figures.draw_cpjump1_fig4c: cross,
        figures.draw_cpjump1_fig5: {"signal": signal, "summary": summary},
    }
    assert set(inputs_of) == {registry.draw_function(fid) for fid in FIGURE_IDS}
    for i, (draw, tables) in enumerate(inputs_of.items()):
        table, fig = draw(tables, {"fig5a_tails": "notebook"})
        save_figure(fig, tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").stat().st_size > 10_000
        # every row of every input table is in the source table
        rows = len(signal) if draw is figures.draw_cpjump1_fig5 else sum(map(len, tables.values()))
        assert len(table) == rows
    fig4a, _ = figures.draw_cpjump1_fig4a(inputs_of[figures.draw_cpjump1_fig4a], {})
    assert set(fig4a["variant"]) == {"all"} and len(fig4a) == 12 * 10  # 12 conditions x 10 classes


@pytest.mark.workflow
def test_synthetic_cpjump1_workflow_runs(tmp_path):
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "small.yaml").write_text(
        "datasets: [cpjump1]\n"
        "cpjump1:\n  synthetic: true\n  null_size: 2000\n  synthetic_design:\n    n_features: 60\n"
    )
    targets = ["results/cpjump1/reproduction.csv"] + [
        f"results/{kind}/{fid}.{ext}" for fid in FIGURE_IDS
        for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))
    ]
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "small.yaml", timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for fid in FIGURE_IDS:
        assert (work / f"results/figures/{fid}.png").stat().st_size > 10_000
        assert len(pd.read_csv(work / f"results/tables/{fid}.csv")) > 0
    repro = pd.read_csv(work / "results/cpjump1/reproduction.csv", dtype=str, keep_default_na=False)
    tests = repro[repro["quantity"] == "test of the calls (map.test)"]
    # the class q-values come from AP-level p-values: the sampled (shared) AP null by default
    assert tests["figure"].tolist() == ["Fig 4a", "Extended Data Fig 1", "Fig 4b", "Fig 4c"]
    assert set(tests["ours"]) == {"shared"}
    assert len(repro) - len(tests) == len(paper_values("cpjump1"))
    assert repro["note"].str.contains("generated stand-in data").all()
    fig4a = pd.read_csv(work / "results/tables/cpjump1_fig4a.csv")
    fr = fig4a.groupby("Modality")["above_q_threshold"].mean()
    assert fr["compound"] > fr["crispr"] > fr["orf"]
    log = (work / "logs/cpjump1/cpjump1_synthetic_data.log").read_text()
    assert "plate maps and metadata" in log


@pytest.mark.workflow
def test_real_run_plans_the_forty_primary_plates_and_two_tables(tmp_path):
    """The real inputs (config/manifest.tsv): 40 plate profiles, the plate table and the compound
    annotations are downloaded, then the same rules run (dry run, no network)."""
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "real.yaml").write_text("datasets: [cpjump1]\n")
    res = snakemake(work, "-n", "results/cpjump1/reproduction.csv", "--cores", "1",
                    "--configfile", "real.yaml", timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    profiles = set(re.findall(r"resources/cpjump1/profiles/\w+\.csv\.gz", res.stdout))
    assert len(profiles) == 40
    assert "resources/cpjump1/experiment-metadata.tsv" in res.stdout
    assert f"resources/cpjump1/{inputs.ANNOTATION_FILE}" in res.stdout
    assert "cpjump1_synthetic_data" not in res.stdout
