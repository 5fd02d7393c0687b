"""The simulation figures (mapreprod.simulations.figures): every registered id draws the methods
of its spec from the recall table the rule hands it, and gives that table back unchanged."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, binomtest

from mapreprod import registry
from mapreprod.plotting.simulation import calibration_table
from mapreprod.simulations import simulate
from mapreprod.simulations.figures import FIGURES

INTERVAL_FIGURES = [f for f in registry.figure_ids("simulations") if simulate.figure_spec(f).intervals]
GRID_FIGURES = [f for f in registry.figure_ids("simulations") if f not in INTERVAL_FIGURES]


def recall_table(spec: simulate.FigureSpec) -> pd.DataFrame:
    """A table in the layout of rule simulations_table: 2 n_feats x 2 designs x 3 steps."""
    rows = []
    for n_feats in (10, 20):
        for reps, n_controls in ((2, 4), (3, 6)):
            for k, pct in enumerate((0, 10, 50)):
                row = {m: k / 2 for m in spec.methods}
                if spec.intervals:
                    for m in spec.methods:
                        lo, hi = simulate.interval_columns(m)
                        row[lo], row[hi] = max(0.0, k / 2 - 0.1), min(1.0, k / 2 + 0.1)
                rows.append({**row, "# replicates": reps, "n_controls": n_controls,
                             "features_differ": pct, "n_feats": n_feats, "n_perts": 4})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("figure_id", GRID_FIGURES)
def test_each_figure_draws_its_specs_methods_and_returns_its_table(figure_id):
    methods = simulate.figure_spec(figure_id).methods
    table = recall_table(simulate.figure_spec(figure_id))
    got, fig = FIGURES[figure_id]({"table": table}, {})
    assert got is table  # the figure rule writes no table: simulations_table did
    # one panel per (n_feats, n_controls); one line per method in each (one design per panel)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        series = [line for line in ax.get_lines() if line.get_marker() not in (None, "None", "")]
        assert len(series) == len(methods)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == len(methods) + 2 and legend[-2:] == ["2 replicates", "3 replicates"]
    assert "4 perturbations per condition" in fig.get_suptitle()
    plt.close(fig)


@pytest.mark.parametrize("figure_id", INTERVAL_FIGURES)
def test_interval_figures_draw_calibration_and_recall_of_every_method(figure_id):
    spec = simulate.figure_spec(figure_id)
    table = recall_table(spec)
    got, fig = FIGURES[figure_id]({"table": table}, {})
    assert got is table
    # the calibration strip, then one panel per (n_feats, design)
    calib, *panels = fig.axes
    assert len(panels) == 2 * 2
    assert "0% perturbed features" in calib.get_title()
    assert len(calib.containers) == len(spec.methods)  # one error-bar series per method
    for ax in panels:
        series = [line for line in ax.get_lines() if line.get_marker() not in (None, "None", "")]
        assert len(series) == len(spec.methods)
        assert len(ax.collections) == len(spec.methods)  # one shaded interval per method
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == len(spec.methods) + 3
    assert "4 perturbations per condition" in fig.get_suptitle()
    plt.close(fig)


def test_calibration_table_pools_the_calls_at_zero_percent_per_design():
    # two feature counts of one design: 1 of 20 and 3 of 20 calls at 0%, 10 calls at 50%
    table = pd.DataFrame({
        "m": [0.05, 0.5, 0.15, 0.5], "# replicates": 3, "n_controls": 12,
        "features_differ": [0, 50, 0, 50], "n_feats": [10, 10, 20, 20], "n_perts": 20,
    })
    got = calibration_table(table, ["m"])
    assert len(got) == 1
    row = got.iloc[0]
    assert (row["calls"], row["n"], row["rate"]) == (4, 40, 0.1)
    ci = binomtest(4, 40).proportion_ci(0.95, method="exact")
    assert row["low"] == pytest.approx(ci.low) and row["high"] == pytest.approx(ci.high)
    assert row["band_low"] == binom.ppf(0.025, 40, 0.05) / 40
    assert row["band_high"] == binom.ppf(0.975, 40, 0.05) / 40
    assert np.isclose(row["band_high"], 5 / 40)


def test_a_table_without_a_methods_column_is_refused():
    table = recall_table(simulate.FigureSpec(simulate.NORMAL, "bin_exp",
                                             (simulate.MapTest("mAP p-value"),)))
    with pytest.raises(ValueError, match="lacks column"):  # fig2 also needs the baselines'
        FIGURES["fig2"]({"table": table}, {})
    spec = simulate.figure_spec(INTERVAL_FIGURES[0])
    table = recall_table(spec).drop(columns=simulate.interval_columns(spec.methods[0])[1])
    with pytest.raises(ValueError, match="CI high"):
        FIGURES[INTERVAL_FIGURES[0]]({"table": table}, {})


def test_every_registered_simulation_figure_has_a_spec_and_no_other():
    assert set(simulate.FIGURE_SPECS) == set(registry.figure_ids("simulations"))
