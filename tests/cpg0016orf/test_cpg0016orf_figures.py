"""Fig S7B/S7D tables and drawing, and the reproduction rows (paper values at both FDRs).

Oracles: hand-made mAP tables (expected columns and -log10 values by hand) and the paper's
numbers as quoted in docs/methods.md §10 (56%, 4%, 15,136 reagents, 12,602 genes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mapreprod.datasets.cpg0016orf import figures, reproduction

ACTIVITY = pd.DataFrame({
    "Metadata_JCP2022": ["J3", "J1", "J2", "J4"],
    "mean_average_precision": [0.9, 0.5, 0.2, 0.4],
    "p_value": [0.0001, 0.02, 0.6, 0.04],
    "corrected_p_value": [0.0004, 0.04, 0.6, 0.08],
    "below_p": [True, True, False, True],
    "below_corrected_p": [True, True, False, True],  # at the authors' q < 0.1
})
CONSISTENCY = pd.DataFrame({
    "Metadata_corum_complex_list": ["C1", "C2"],
    "mean_average_precision": [0.8, 0.3],
    "p_value": [0.001, 0.5],
    "corrected_p_value": [0.002, 0.5],
    "below_p": [True, False],
    "below_corrected_p": [True, False],
})
STEPS = pd.DataFrame({"step": ["profiles", "orf_reagents", "genes"], "wells": [100, 40, 30]})


def test_figure_table_has_the_authors_plot_columns():
    table = figures.figure_table(ACTIVITY, "Metadata_JCP2022", threshold=0.1)
    assert table["Metadata_JCP2022"].tolist() == ["J1", "J2", "J3", "J4"]
    assert list(table.columns) == ["Metadata_JCP2022", "mAP", "p_value", "corrected_p_value",
                                   "p < 0.05", "-log10(mAP p-value)", "const", "q_threshold"]
    np.testing.assert_allclose(table["-log10(mAP p-value)"],
                               -np.log10([0.04, 0.6, 0.0004, 0.08]))
    assert table["p < 0.05"].tolist() == [True, False, True, True]  # q < 0.1, labelled p < 0.05
    assert (table["const"] == "dataset: cpg0016[orf]").all() and (table["q_threshold"] == 0.1).all()


def test_figure_draws_one_hue_level_with_the_percent_retrieved(tmp_path):
    table = figures.figure_table(ACTIVITY, "Metadata_JCP2022", threshold=0.1)
    ax = figures.draw_figure(table, "S7B")
    texts = [t.get_text() for t in ax.texts] + [
        c.get_text() for c in ax.get_children() if hasattr(c, "get_text")
    ]
    assert any("75%" in t for t in texts)  # 3 of 4 retrieved
    assert ax.get_xlabel() == "mAP" and ax.get_ylabel() == "-log10(mAP p-value)"
    ax.figure.savefig(tmp_path / "s7b.png")


def _titles(fig) -> str:
    axes = [a for ax in fig.axes for a in (ax, *ax.child_axes)]  # the title sits on the KDE inset
    return " ".join(a.get_title() for a in axes)


def test_draw_functions_title_the_bh_level_and_return_the_figure_table():
    table, fig = figures.draw_figS7b({"map": ACTIVITY}, {"q": 0.1})
    pd.testing.assert_frame_equal(table, figures.figure_table(ACTIVITY, "Metadata_JCP2022", 0.1))
    assert "retrieved: BH q < 0.1" in _titles(fig)
    table, fig = figures.draw_figS7d({"map": CONSISTENCY}, {"q": 0.05})
    assert table["Metadata_corum_complex_list"].tolist() == ["C1", "C2"]
    assert (table["q_threshold"] == 0.05).all()
    assert "retrieved: BH q < 0.05" in _titles(fig)


def test_reproduction_reports_both_fdr_readings_next_to_the_paper():
    table = reproduction.reproduction_table(
        ACTIVITY, CONSISTENCY, STEPS, consistency_fdr=0.05, synthetic=True
    )
    rows = table.set_index("quantity")
    # q < 0.1: J1, J3, J4 (3 of 4); q < 0.05: J1, J3 (2 of 4), whatever the config FDR was
    assert rows.loc[reproduction.Q_ACTIVITY_CODE, "ours"] == "75.0%"
    assert rows.loc[reproduction.Q_ACTIVITY_LABEL, "ours"] == "50.0%"
    assert rows.loc[reproduction.Q_ACTIVITY_CODE, "paper"] == "56%"
    assert rows.loc[reproduction.Q_ACTIVITY_LABEL, "paper"] == "56%"
    assert rows.loc[reproduction.Q_CONSISTENCY, ["paper", "ours"]].tolist() == ["4%", "50.0%"]
    assert rows.loc[reproduction.Q_REAGENTS, ["paper", "ours"]].tolist() == ["15136", "40"]
    assert rows.loc[reproduction.Q_GENES, ["paper", "ours"]].tolist() == ["12602", "30"]
    assert rows.loc[reproduction.Q_ORFS_SCORED, "paper"] == "not reported"
    assert table["note"].str.contains("SYNTHETIC").all()
    assert list(table.columns) == ["figure", "quantity", "paper", "ours", "note"]
    assert set(table["figure"]) == {"Fig S7B", "Fig S7D"}
