"""The own-data figures (registry ids own_activity, own_consistency; the figure contract):
hand-made result tables in, the table itself and a titled scatter out."""

from __future__ import annotations

import pandas as pd
from mapreprod import registry
from mapreprod.datasets.own_data import figures

ACTIVITY = pd.DataFrame({
    "Metadata_Compound": ["a", "b", "c", "d"],
    "n_replicates": [4, 4, 4, 4],
    "mAP": [0.9, 0.2, 0.7, 0.1],
    "p_value": [0.001, 0.5, 0.01, 0.9],
    "corrected_p_value": [0.004, 0.6, 0.02, 0.9],
    "retrieved": [True, False, True, False],
    "-log10(mAP p-value)": [2.39794, 0.22185, 1.69897, 0.04576],
})


def _texts(fig) -> str:
    axes = [a for ax in fig.axes for a in (ax, *ax.child_axes)]
    parts = [a.get_title() for a in axes] + [t.get_text() for a in axes for t in a.texts]
    legends = [a.get_legend() for a in axes if a.get_legend() is not None]
    parts += [leg.get_title().get_text() for leg in legends]
    return " | ".join(parts)


def test_every_registered_own_figure_draws_the_result_table_per_dataset():
    for figure_id in registry.figure_ids("own_data", "own_data_figure"):  # not metrics_own_data
        draw = registry.draw_function(figure_id)
        table, fig = draw({"table": ACTIVITY}, {"name": "screen1", "threshold": 0.1})
        pd.testing.assert_frame_equal(table, ACTIVITY)
        text = _texts(fig)
        assert "screen1: phenotypic" in text and "4 " in text
        assert "q < 0.1" in text  # the dataset's BH level names the retrieved points
        assert "50%" in text  # 2 of 4 retrieved


def test_an_empty_consistency_table_gives_a_figure_that_says_so():
    empty = ACTIVITY.iloc[:0]
    table, fig = figures.draw_own_consistency({"table": empty}, {"name": "s", "threshold": 0.05})
    assert table.empty
    assert "No annotations to score" in _texts(fig)
