"""The simulation figures (mapreprod.simulations.figures): every registered id draws the methods
of its spec from the recall table the rule hands it, and gives that table back unchanged."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from mapreprod import registry
from mapreprod.simulations import simulate
from mapreprod.simulations.figures import FIGURES


def recall_table(methods: list[str]) -> pd.DataFrame:
    """A table in the layout of rule simulations_table: 2 n_feats x 2 designs x 3 steps."""
    rows = []
    for n_feats in (10, 20):
        for reps, n_controls in ((2, 4), (3, 6)):
            for k, pct in enumerate((0, 10, 50)):
                rows.append({**{m: k / 2 for m in methods}, "# replicates": reps,
                             "n_controls": n_controls, "features_differ": pct,
                             "n_feats": n_feats, "n_perts": 4})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("figure_id", registry.figure_ids("simulations"))
def test_each_figure_draws_its_specs_methods_and_returns_its_table(figure_id):
    methods = simulate.figure_spec(figure_id).methods
    table = recall_table(methods)
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


def test_a_table_without_a_methods_column_is_refused():
    table = recall_table(["mAP p-value"])  # fig2 also needs the baselines' columns
    with pytest.raises(ValueError, match="lacks column"):
        FIGURES["fig2"]({"table": table}, {})


def test_every_registered_simulation_figure_has_a_spec_and_no_other():
    assert set(simulate.FIGURE_SPECS) == set(registry.figure_ids("simulations"))
