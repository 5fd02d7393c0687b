"""The stand-in's layout, the figure tables (hand-worked cases), the UMAP call and the
reproduction table of the Mitocheck part."""

from __future__ import annotations

import sys
import types
import zipfile

import numpy as np
import pandas as pd
import pytest

from mapreprod import registry
from mapreprod.datasets.mitocheck import embedding, figures, inputs, reproduction, standin

SMALL = standin.SyntheticDesign(n_cells=90, n_classes=4, n_genes=9, n_failed_qc=5,
                                n_out_of_focus=4, n_control_rows=400, n_dp_features=16)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("standin")
    training, controls, truth = standin.generate(SMALL)
    standin.write_training(training, folder / inputs.TRAINING_FILE)
    standin.write_control_archive(controls, folder / inputs.CONTROL_ARCHIVE)
    return folder, truth


def test_stand_in_files_have_the_real_layout(written):
    folder, truth = written
    raw = pd.read_csv(folder / inputs.TRAINING_FILE)
    assert list(raw.columns[:14]) == [
        "Unnamed: 0", "Mitocheck_Phenotypic_Class", "Cell_UUID", "Location_Center_X",
        "Location_Center_Y", "Metadata_Plate", "Metadata_Well", "Metadata_Frame", "Metadata_Site",
        "Metadata_Plate_Map_Name", "Metadata_DNA", "Metadata_Gene", "Metadata_Gene_Replicate",
        "Metadata_Object_Outline"]
    cp = [c for c in raw.columns if c.startswith("CP__")]
    assert len(cp) == 165 and cp[0] == "CP__AreaShape_Area" and cp[-1] == "CP__Texture_Variance_DNA_3_03_256"
    assert [c for c in raw.columns if c.startswith("DP__")] == [f"DP__efficientnet_{i}" for i in range(16)]
    assert "\n" in raw["Metadata_Object_Outline"].iloc[0]  # multi-line quoted, as upstream
    assert (raw["Metadata_Gene"] == "failed QC").sum() == 5
    assert (raw["Mitocheck_Phenotypic_Class"] == "OutOfFocus").sum() == 4
    assert set(truth["class"]) == set(raw["Mitocheck_Phenotypic_Class"]) - {"OutOfFocus"}
    with zipfile.ZipFile(folder / inputs.CONTROL_ARCHIVE) as archive:
        assert archive.namelist() == [inputs.CONTROL_MEMBER]
    assert inputs.count_rows(folder / inputs.CONTROL_ARCHIVE, inputs.CONTROL_MEMBER) == 400
    sample = inputs.read_control_sample(folder / inputs.CONTROL_ARCHIVE, frac=0.05, chunk_rows=64)
    assert len(sample) == 20
    assert "Mitocheck_Phenotypic_Class" not in sample.columns
    assert (sample["Metadata_Gene"] == "negative control").all()
    assert [c for c in sample.columns if c.startswith("CP__")] == cp


def test_stand_in_design_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="n_cell"):
        standin.SyntheticDesign.from_config({"n_cell": 10})
    with pytest.raises(ValueError, match="n_classes"):
        standin.SyntheticDesign.from_config({"n_classes": 16})


def _ap(features, cells, genes, classes, ap, sig):
    return pd.DataFrame({"Cell_UUID": cells, "Metadata_Gene": genes, "Mitocheck_Phenotypic_Class": classes,
                         "average_precision": ap, "p < 0.05": sig, "Features": features})


def test_retrieved_boxplot_orders_classes_by_cp_minus_dp_mean():
    cells = ["a", "b", "c", "d", "e", "f"]
    classes = ["X", "X", "Y", "Y", "Z", "Z"]
    genes = ["g"] * 6
    cp = _ap("cp", cells, genes, classes, [0.9, 0.5, 0.2, 0.4, 0.6, 0.6], [True, True, True, True, True, False])
    dp = _ap("dp", cells, genes, classes, [0.2, 0.9, 0.8, 0.8, 0.1, 0.9], [True, False, True, True, True, False])
    table = figures.retrieved_boxplot_table(pd.concat([cp, dp], ignore_index=True))
    # retrieved means: X cp 0.7 dp 0.2 (+0.5); Y cp 0.3 dp 0.8 (-0.5); Z cp 0.6 dp 0.1 (+0.5)
    order = table.drop_duplicates("Morphological Class")["Morphological Class"].tolist()
    assert order[2] == "Y" and set(order[:2]) == {"X", "Z"}
    assert len(table) == 5 + 4  # retrieved cells only


def test_gene_vs_class_table_labels_which_task_retrieves_each_cell():
    cells, genes, classes = ["a", "b", "c", "d"], ["g1", "g1", "g2", "g2"], ["X", "X", "Y", "Y"]
    gene = _ap("dp", cells, genes, classes, [0.5, 0.4, 0.3, 0.2], [True, True, False, False])
    cls = _ap("dp", cells, genes, classes, [0.6, 0.1, 0.7, 0.1], [True, False, True, False])
    table = figures.gene_vs_class_table(gene, cls, "dp")
    assert table["p < 0.05"].tolist() == ["Both", "Gene only", "MC only", "None"]
    shuffled = cls.iloc[[1, 0, 2, 3]]
    with pytest.raises(ValueError, match="same cells"):
        figures.gene_vs_class_table(gene, shuffled, "dp")


def test_umap_table_colours_controls_and_retrieval():
    cls = pd.concat([_ap("cp", ["a", "b"], ["g", "g"], ["X", "X"], [0.5, 0.1], [True, False]),
                     _ap("dp", ["a", "b"], ["g", "g"], ["X", "X"], [0.5, 0.1], [False, True])])
    emb = pd.DataFrame({embedding.EMBEDDED_CLASS: "X", "Cell_UUID": ["a", "b", "k1"],
                        "Mitocheck_Phenotypic_Class": ["X", "X", "neg_control"],
                        "CP_umap_0": 0.0, "CP_umap_1": 0.0, "DP_umap_0": 0.0, "DP_umap_1": 0.0})
    table = figures.umap_table(emb, cls)
    assert table["CP_hue"].tolist() == ["True", "False", "Negative control"]
    assert table["DP_hue"].tolist() == ["False", "True", "Negative control"]


def test_class_embeddings_fit_each_class_with_the_controls(monkeypatch):
    calls = []

    class FakeUMAP:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def fit_transform(self, x):
            calls.append((self.kwargs, x.copy()))
            return np.column_stack([x[:, 0], x[:, 1]])

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    df = pd.DataFrame({
        "Mitocheck_Phenotypic_Class": ["A", "B", "neg_control", "A", "neg_control"],
        "Cell_UUID": list("12345"),
        "CP__f0": [1.0, 2, 3, 4, 5], "CP__f1": [0.0, 0, 0, 1, 1],
        "DP__e0": [10.0, 20, 30, 40, 50], "DP__e1": [1.0, 1, 1, 2, 2], "DP__e2": 0.5,
    })
    out = embedding.class_embeddings(df)
    assert [c[0] for c in calls] == [embedding.UMAP_DEFAULTS] * 4  # cosine, 30, 0.1, 42
    np.testing.assert_array_equal(calls[0][1], [[1.0, 0], [3, 0], [4, 1], [5, 1]])  # A + controls, CP
    assert calls[1][1].shape == (4, 3)  # DP columns
    assert out[embedding.EMBEDDED_CLASS].tolist() == ["A"] * 4 + ["B"] * 3
    assert out.loc[out[embedding.EMBEDDED_CLASS] == "B", "Cell_UUID"].tolist() == ["2", "3", "5"]
    np.testing.assert_array_equal(out["DP_umap_0"].iloc[:4], [10, 30, 40, 50])


def test_reproduction_table_formats_as_the_paper_and_covers_every_row():
    cells = [f"c{i}" for i in range(4)]
    gene = pd.concat([_ap("cp", cells, ["a", "a", "b", "b"], ["X", "X", "Y", "Y"], [0.1, 0.2, 0.3, np.nan], [True, False, True, False]),
                      _ap("dp", cells, ["a", "a", "b", "b"], ["X", "X", "Y", "Y"], [0.4, 0.2, 0.3, np.nan], [True, True, True, False])])
    gene["test"] = "exact"  # the null of the AP p-values (map.test), as single_cell_ap names it
    cls = gene.copy()
    table = reproduction.reproduction_table(gene, cls, n_controls=7)
    assert "not reported" not in set(table["paper"]) and "NA" not in set(table["ours"])
    tests = table[table["quantity"] == "test of the calls (map.test)"]
    assert tests["figure"].tolist() == ["Fig 5C/S9A", "Fig S9B"] and set(tests["ours"]) == {"exact"}
    ours = dict(zip(table["quantity"], table["ours"]))
    assert ours["gene mAP, CellProfiler"] == "0.20"  # mean of the non-missing APs
    assert ours["gene retrieved, CellProfiler"] == "50%"
    assert ours["gene retrieved, DeepProfiler"] == "75%"
    assert ours["cells after QC"] == "4" and ours["genes"] == "2" and ours["sampled control cells"] == "7"


@pytest.fixture(scope="module")
def figure_tables():
    """The three tables of the figure rules: AP by gene and by class (CellProfiler rows, then
    DeepProfiler rows, same cells), per-class embeddings with the controls."""
    rng = np.random.default_rng(0)
    cells = [f"c{i}" for i in range(24)]
    classes = np.repeat(["Prometaphase", "Large", "Interphase"], 8).tolist()
    genes = [f"g{i % 6}" for i in range(24)]

    def ap_table():
        parts = []
        for features in ("cp", "dp"):
            p = rng.uniform(0.001, 0.3, 24)
            part = _ap(features, cells, genes, classes, rng.uniform(0, 1, 24), p < 0.05)
            part["p_value"] = p
            part["-log10(AP p-value)"] = -np.log10(p)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    controls = [f"k{i}" for i in range(10)]
    emb = pd.concat([
        pd.DataFrame({embedding.EMBEDDED_CLASS: cls,
                      "Cell_UUID": [c for c, k in zip(cells, classes) if k == cls] + controls,
                      "Mitocheck_Phenotypic_Class": [cls] * 8 + ["neg_control"] * 10})
        for cls in dict.fromkeys(classes)
    ], ignore_index=True)
    for col in ("CP_umap_0", "CP_umap_1", "DP_umap_0", "DP_umap_1"):
        emb[col] = rng.normal(size=len(emb))
    return {"gene": ap_table(), "morphoclass": ap_table(), "embeddings": emb}


@pytest.mark.parametrize("figure_id", registry.figure_ids("mitocheck"))
def test_every_registered_figure_draws_from_its_tables(figure_tables, figure_id):
    """The figure contract: the registry's function draws from the rule's named tables."""
    import matplotlib.pyplot as plt

    table, fig = registry.draw_function(figure_id)(figure_tables, {})
    assert len(table) > 0 and fig.axes
    plt.close(fig)


def test_cp_vs_dp_table_pairs_the_feature_sets_cell_by_cell(figure_tables):
    import matplotlib.pyplot as plt

    table, fig = figures.draw_fig5c(figure_tables, {})
    plt.close(fig)
    cls = figure_tables["morphoclass"]
    cp, dp = cls[cls["Features"] == "cp"], cls[cls["Features"] == "dp"]
    assert table["Cell_UUID"].tolist() == cp["Cell_UUID"].tolist()
    np.testing.assert_array_equal(table["AP, CellProfiler features"], cp["average_precision"])
    np.testing.assert_array_equal(table["AP, DeepProfiler features"], dp["average_precision"])
