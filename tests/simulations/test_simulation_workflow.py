"""The simulation rules end to end on a tiny grid (set by config), in a temporary copy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from mapreprod.registry import figure_ids
from mapreprod.simulations import simulate
from mapreprod.simulations.simulate import FIGURE_SPECS
from workflow_utils import copy_repo, snakemake

FIGS = figure_ids("simulations")
#: The method columns of the authors' simulation tables (figures with the baseline tests).
AUTHORS_METHODS = ["mAP p-value", "mp-value", "MMD", "k-means"]

TINY = {
    "simulations": {
        "n_perts": 4,
        "n_permutations": 30,
        "map_null_size": 30,
        "seed": 7,
        "n_feats": [20, 40],
        "plates_controls": [
            {"plates": 2, "controls_per_plate": [2]},
            {"plates": 3, "controls_per_plate": [2]},
        ],
        "percent_differ": {"bin_exp": [10, 50], "linear": [10, 100], "calibration": [0, 50]},
    }
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    work = copy_repo(tmp_path_factory.mktemp("simrepo"))
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    targets = [f"results/figures/{f}.png" for f in FIGS]
    # targets first: --configfile takes several values
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "tiny.yaml", timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return work


@pytest.mark.workflow
def test_tiny_grid_renders_every_simulation_figure(tiny_run):
    for f in FIGS:
        for ext in ("png", "pdf"):
            assert (tiny_run / f"results/figures/{f}.{ext}").stat().st_size > 1000, (f, ext)


@pytest.mark.workflow
def test_tables_have_the_authors_columns_and_one_row_per_condition(tiny_run):
    grid = ["# replicates", "n_controls", "features_differ", "n_feats"]
    for fig in FIGS:
        spec = FIGURE_SPECS[fig]
        methods = spec.methods
        if spec.baselines:  # the authors' columns, in their order (other methods may be added)
            assert [m for m in methods if m in AUTHORS_METHODS] == AUTHORS_METHODS, fig
        t = pd.read_csv(tiny_run / f"results/tables/{fig}.csv")
        assert list(t.columns) == [*spec.columns, *grid, "n_perts"], fig
        # 2 n_feats x 2 (plates, controls) designs x 2 steps
        assert len(t) == 8, fig
        assert set(t["n_controls"]) == {4, 6}
        assert ((t[methods] >= 0) & (t[methods] <= 1)).all().all()
        if spec.intervals:
            for m in methods:
                lo, hi = simulate.interval_columns(m)
                assert ((t[lo] <= t[m]) & (t[m] <= t[hi])).all(), (fig, m)
    s2 = pd.read_csv(tiny_run / "results/tables/figS2.csv")
    assert sorted(s2["features_differ"].unique()) == [10, 100]
    for fig in FIGS:
        if FIGURE_SPECS[fig].steps == "calibration":  # figS_null, metrics_simulations: with 0%
            assert 0 in set(pd.read_csv(tiny_run / f"results/tables/{fig}.csv")["features_differ"])


@pytest.mark.workflow
def test_rerunning_a_job_gives_an_identical_table(tiny_run):
    table = tiny_run / "results/simulations/fig2/n_feats_20.csv"
    before = table.read_bytes()
    res = snakemake(tiny_run, str(table.relative_to(tiny_run)), "--cores", "1", "--configfile",
                    "tiny.yaml", "--forcerun", "simulations_recall")
    assert res.returncode == 0, res.stderr[-3000:]
    assert table.read_bytes() == before
