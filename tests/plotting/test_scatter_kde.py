"""The generic scatter + KDE figure and the pivot scatter (docs/methods.md §9): texts, markers, edge cases."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mapreprod.plotting.scatter_kde import (  # noqa: E402
    percent_retrieved,
    plot_map_scatter_kde,
    plot_pivot_scatter,
)

Y = "-log10(mAP p-value)"


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _frame(maps, sig, **extra) -> pd.DataFrame:
    sig = np.asarray(sig, dtype=bool)
    return pd.DataFrame({"mAP": maps, Y: np.where(sig, 2.0, 0.5), "p < 0.05": sig, **extra})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([True, True, False], "67%"),  # 66.67 -> 67
        ([True] + [False] * 7, "12%"),  # 12.5 -> 12 (round half to even)
        ([True] * 3 + [False] * 5, "38%"),  # 37.5 -> 38 (round half to even)
        ([False, False], "0%"),
        ([True], "100%"),
    ],
)
def test_percent_retrieved_formats_like_python_percent(values, expected):
    assert percent_retrieved(values) == expected


def test_percent_retrieved_ignores_missing_values():
    assert percent_retrieved(pd.Series([True, None, False], dtype="boolean")) == "50%"


def test_without_hue_texts_show_retrieved_and_mean_map():
    df = _frame([0.9, 0.6, 0.0], [True, True, False])
    ax = plot_map_scatter_kde(df)
    assert "Retrieved: 67%" in _texts(ax)
    (kde,) = ax.child_axes
    assert "Mean mAP: 0.50" in _texts(kde)


def test_axis_range_and_ticks_follow_the_paper():
    ax = plot_map_scatter_kde(_frame([0.1, 0.4, 0.8], [False, True, True]))
    assert ax.get_xlim() == pytest.approx((-0.05, 1.05))
    ticks = [t for t in ax.get_xticks() if -0.05 <= t <= 1.05]
    assert ticks == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert ax.get_ylabel() == "-log10(mAP p-value)"
    assert ax.get_xlabel() == "mAP"


def test_with_hue_lists_percent_per_level_and_pooled():
    # A: 1 of 2 retrieved (50%), B: 1 of 3 (33%), pooled 2 of 5 (40%).
    df = _frame(
        [0.1, 0.9, 0.2, 0.3, 0.8],
        [False, True, False, False, True],
        line=["A", "A", "B", "B", "B"],
    )
    palette = {"A": "#1b9e77", "B": "#d95f02"}
    ax = plot_map_scatter_kde(df, hue="line", palette=palette)
    texts = _texts(ax)
    assert texts.count("Retrieved:") == 1
    assert "50%" in texts and "33%" in texts and "(40%)" in texts
    colours = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in ax.texts}
    assert colours["50%"] == "#1b9e77" and colours["33%"] == "#d95f02"
    # The dashed threshold line sits at -log10(0.05).
    hlines = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert any(np.allclose(ln.get_ydata(), -np.log10(0.05)) for ln in hlines)


def test_hue_markers_come_from_markers_column():
    # Corrected significance says no, uncorrected markers say yes for the first point.
    df = _frame([0.5, 0.6, 0.7], [False, False, True], line=["A", "A", "A"])
    df["markers"] = ["p<0.05", "p>=0.05", "p<0.05"]
    ax = plot_map_scatter_kde(df, hue="line", markers_from="markers")
    sizes = {}
    for coll in ax.collections:
        path = coll.get_paths()[0]
        kind = "circle" if len(path.vertices) > 5 else "square"
        sizes[kind] = sizes.get(kind, 0) + len(coll.get_offsets())
    assert sizes == {"circle": 2, "square": 1}


def test_kde_has_one_curve_per_hue_level():
    rng = np.random.default_rng(0)
    df = _frame(rng.uniform(0, 1, 30), rng.uniform(size=30) < 0.5, line=["A", "B", "C"] * 10)
    ax = plot_map_scatter_kde(df, hue="line", palette="Set1")
    (kde,) = ax.child_axes
    curves = [ln for ln in kde.lines if len(ln.get_xdata()) > 2]
    assert len(curves) == 3
    for ln in curves:  # cut = 1 bandwidth, clipped to the axis range
        assert ln.get_xdata().min() >= -0.05 and ln.get_xdata().max() <= 1.05


def test_single_point_and_constant_groups_do_not_crash():
    one = _frame([0.3], [True])
    plot_map_scatter_kde(one)
    same = _frame([0.5, 0.5, 0.5], [True, True, True], line=["A", "A", "B"])
    ax = plot_map_scatter_kde(same, hue="line")
    assert "(100%)" in _texts(ax)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="Cell type"):
        plot_map_scatter_kde(_frame([0.1], [True]), hue="Cell type")


def test_pivot_scatter_corner_texts_count_each_axis():
    t = -np.log10(0.05)
    # y above threshold: 1 of 4 (25%); x above threshold: 3 of 4 (75%).
    df = pd.DataFrame({"cp": [2.0, 3.0, 0.1, 1.5], "ne": [0.2, t + 0.01, 0.3, t]})
    ax = plot_pivot_scatter(df, x="cp", y="ne")
    texts = _texts(ax)
    assert "Retrieved: 25%" == texts[0]
    assert "Retrieved: 75%" == texts[1]
    red = [ln for ln in ax.lines if matplotlib.colors.to_hex(ln.get_color()) == "#ff0000"]
    (diag,) = red
    assert np.allclose(diag.get_xdata(), diag.get_ydata())


def test_pivot_scatter_custom_labels_and_hue():
    df = pd.DataFrame({"a": [2.0, 0.0], "b": [2.0, 0.0], "g": ["x", "y"]})
    ax = plot_pivot_scatter(
        df, x="a", y="b", hue="g", top_left_label="Exclusive", bottom_right_label="Dropped"
    )
    assert _texts(ax) == ["Exclusive: 50%", "Dropped: 50%"]
