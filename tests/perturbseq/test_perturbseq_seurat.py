"""The Seurat steps done with scanpy, each against an independent computation (docs/methods.md §7).

Oracles: R's documented ``make.unique`` outputs; numpy by the definitions of Seurat's
CreateSeuratObject, LogNormalize and ScaleData (FastRowScale); and Seurat's vst written from the
published algorithm (Stuart et al. 2019) with skmisc's loess (span 0.3, degree 2, the same
netlib code R's ``loess`` runs) and the standardised variance computed here by hand.
"""

from __future__ import annotations

import gzip
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.sparse as sp

from mapreprod.datasets import perturbseq as ps

warnings.filterwarnings("ignore", category=FutureWarning)


def _adata(counts: np.ndarray, genes: list[str] | None = None, dtype=np.float32):
    import anndata as ad

    n_cells, n_genes = counts.shape
    genes = genes or [f"G{i}" for i in range(n_genes)]
    return ad.AnnData(
        X=sp.csr_matrix(counts.astype(dtype)),
        obs=pd.DataFrame(index=pd.Index([f"C{i}" for i in range(n_cells)], dtype=object)),
        var=pd.DataFrame(index=pd.Index(genes, dtype=object)),
    )


def _write_triple(tmp_path, counts_genes_by_cells, symbols, barcodes):
    m = tmp_path / "m.mtx.gz"
    with gzip.open(m, "wb") as h:
        scipy.io.mmwrite(h, sp.csc_matrix(counts_genes_by_cells), field="integer")
    g = tmp_path / "g.tsv.gz"
    with gzip.open(g, "wt") as h:
        h.write("".join(f"ENSG{i}\t{s}\n" for i, s in enumerate(symbols)))
    b = tmp_path / "b.tsv.gz"
    with gzip.open(b, "wt") as h:
        h.write("".join(f"{x}\n" for x in barcodes))
    return m, g, b


# --- Read10X --------------------------------------------------------------------------------


def test_make_unique_matches_r():
    # R's do_makeunique: a duplicate gets the first ".<n>" (n counting from the last one used for
    # that name) not among the original names or the ones made so far
    assert ps.r_make_unique(["a", "a", "a"]) == ["a", "a.1", "a.2"]
    assert ps.r_make_unique(["a", "a", "a.1"]) == ["a", "a.2", "a.1"]
    assert ps.r_make_unique(["a", "b", "a", "b", "a"]) == ["a", "b", "a.1", "b.1", "a.2"]
    names = ps.r_make_unique(["x", "x", "y", "x", "y", "x.1", "x.2"])
    assert names == ["x", "x.3", "y", "x.4", "y.1", "x.1", "x.2"]
    assert len(set(names)) == len(names)


def test_seurat_names_make_unique_then_replace_underscores():
    assert ps.seurat_feature_names(["A_B", "C", "C", "MT-CO1"]) == ["A-B", "C", "C.1", "MT-CO1"]


def test_read_10x_transposes_and_names_like_seurat(tmp_path):
    rng = np.random.default_rng(0)
    dense = rng.poisson(1.0, size=(5, 4))  # genes x cells, as in the file
    m, g, b = _write_triple(tmp_path, dense, ["A", "A", "B_1", "C", "D"],
                            ["AAAC-1", "AAAG-1", "CCCT-2", "GGGA-3"])
    adata = ps.read_10x(m, g, b)
    np.testing.assert_array_equal(adata.X.toarray(), dense.T)
    assert adata.X.dtype == np.float32
    assert list(adata.var_names) == ["A", "A.1", "B-1", "C", "D"]
    assert list(adata.var["gene_symbols"]) == ["A", "A", "B_1", "C", "D"]
    assert list(adata.obs_names) == ["AAAC-1", "AAAG-1", "CCCT-2", "GGGA-3"]


def test_read_10x_names_the_file_it_rejects(tmp_path):
    dense = np.ones((3, 2), dtype=int)
    m, g, b = _write_triple(tmp_path, dense, ["A", "B"], ["x-1", "y-1"])  # 3 genes, 2 listed
    with pytest.raises(ValueError, match="3 genes x 2 cells"):
        ps.read_10x(m, g, b)
    m, g, b = _write_triple(tmp_path, -dense, ["A", "B", "C"], ["x-1", "y-1"])
    with pytest.raises(ValueError, match="non-negative integers"):
        ps.read_10x(m, g, b)


# --- CreateSeuratObject and the QC filter ---------------------------------------------------


def _seurat_create_oracle(counts: np.ndarray, min_cells: int, min_features: int, mt: np.ndarray):
    """CreateSeuratObject by its definition: cells first, then genes, then the metadata."""
    cells = (counts > 0).sum(axis=1) >= min_features
    kept = counts[cells]
    genes = (kept > 0).sum(axis=0) >= min_cells
    kept = kept[:, genes]
    n_count = kept.sum(axis=1)
    return cells, genes, {
        "nCount_RNA": n_count,
        "nFeature_RNA": (kept > 0).sum(axis=1),
        "percent_mt": 100 * kept[:, mt[genes]].sum(axis=1) / n_count,
    }


def test_create_seurat_object_filters_cells_before_genes():
    # gene G3 is detected in 3 cells, one of which has too few genes: Seurat drops both
    counts = np.zeros((6, 8), dtype=int)
    counts[:5, :6] = 1  # 5 cells with 6 genes
    counts[5, [6]] = 2  # a cell with 1 gene (< min_features 2)
    counts[[0, 1, 5], 6] = 1  # G6 in 3 cells before filtering, in 2 after
    counts[[0, 1, 2], 7] = 3  # G7 in 3 kept cells
    names = ["MT-A", "B", "C", "D", "E", "F", "G6", "G7"]
    obj = ps.create_seurat_object(_adata(counts, names), min_cells=3, min_features=2)
    mt = np.array([n.startswith("MT-") for n in names])
    cells, genes, meta = _seurat_create_oracle(counts, 3, 2, mt)
    assert list(obj.var_names) == [n for n, k in zip(names, genes) if k]
    assert "G6" not in obj.var_names and "G7" in obj.var_names
    assert obj.n_obs == cells.sum() == 5
    for key, values in meta.items():
        np.testing.assert_allclose(obj.obs[key].to_numpy(), values)


def test_qc_filter_bounds_are_strict():
    rng = np.random.default_rng(1)
    counts = rng.poisson(2.0, size=(40, 30)) + 1  # every gene detected in every cell
    obj = ps.create_seurat_object(_adata(counts), min_cells=1, min_features=1)
    obj.obs["nFeature_RNA"] = np.arange(40)
    obj.obs["percent_mt"] = np.where(np.arange(40) % 2 == 0, 15.0, 14.99)
    kept = ps.filter_cells(obj, min_nfeature=10, max_nfeature=20, max_percent_mt=15)
    expected = [i for i in range(40) if 10 < i < 20 and i % 2 == 1]
    assert list(kept.obs["nFeature_RNA"]) == expected


# --- vst (FindVariableFeatures) --------------------------------------------------------------


def _vst_oracle(counts: np.ndarray, n_features: int, span: float = 0.3):
    """Seurat vst from the paper's definition, in float64, with skmisc's loess."""
    from skmisc.loess import loess

    n = counts.shape[0]
    x = counts.astype(np.float64)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).sum(axis=0) / (n - 1)
    expected = np.zeros_like(var)
    ok = var > 0
    fit = loess(np.log10(mean[ok]), np.log10(var[ok]), span=span, degree=2)
    fit.fit()
    expected[ok] = 10 ** fit.outputs.fitted_values
    std_var = np.zeros_like(var)
    for g in np.flatnonzero(ok):
        z = (x[:, g] - mean[g]) / np.sqrt(expected[g])
        z = np.minimum(z, np.sqrt(n))  # clip.max = sqrt(number of cells), from above only
        std_var[g] = (z**2).sum() / (n - 1)
    detected = np.flatnonzero(mean != 0)
    order = detected[np.argsort(-std_var[detected], kind="stable")]
    return std_var, order[:n_features]


@pytest.fixture(scope="module")
def nb_counts():
    """300 cells x 400 genes of negative-binomial counts over a wide range of means, with a few
    planted highly variable genes, one constant gene and one never detected."""
    rng = np.random.default_rng(7)
    means = np.exp(rng.uniform(-3, 3, size=400))
    counts = rng.negative_binomial(2, 2 / (2 + means), size=(300, 400))
    counts[:, :20] = rng.negative_binomial(0.3, 0.3 / (0.3 + 5 * means[:20]), size=(300, 20))
    counts[:, 398] = 2
    counts[:, 399] = 0
    return counts


def test_vst_equals_the_published_algorithm(nb_counts):
    n_features = 50
    table = ps.find_variable_features(_adata(nb_counts), n_features=n_features, span=0.3)
    std_var, top = _vst_oracle(nb_counts, n_features)
    np.testing.assert_allclose(table["variance_standardized"].to_numpy(), std_var, rtol=1e-6, atol=1e-9)
    assert set(table.index[table["variable"]]) == {f"G{i}" for i in top}
    assert table.loc["G398", "variance_standardized"] == 0 and not table.loc["G399", "variable"]


def test_vst_selection_equals_scanpys_seurat_v3_flag(nb_counts):
    import scanpy as sc

    adata = _adata(nb_counts)
    ours = ps.find_variable_features(adata, n_features=50)
    hvg = sc.pp.highly_variable_genes(adata, flavor="seurat_v3", n_top_genes=50, inplace=False)
    assert set(ours.index[ours["variable"]]) == set(hvg.index[hvg["highly_variable"]])


def test_variable_genes_tie_break_in_gene_order():
    table = pd.DataFrame({"mean": [1, 1, 0, 1, 1], "variance_standardized": [2.0, 3.0, 9.0, 3.0, 3.0]},
                         index=list("abcde"))
    # c is never detected (mean 0); b, d, e tie: R's stable order keeps b, d
    assert ps.select_variable_features(table, 3) == ["b", "d", "e"]
    assert ps.select_variable_features(table, 2) == ["b", "d"]


# --- LogNormalize and ScaleData ---------------------------------------------------------------


def test_log_normalize_is_log1p_of_counts_per_10k():
    counts = np.array([[1, 0, 3], [0, 5, 5], [2, 2, 0]])
    out = ps.log_normalize(_adata(counts), scale_factor=1e4, block=2).X.toarray()
    expected = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4)
    np.testing.assert_array_equal(out, expected)  # Seurat's LogNorm arithmetic, bit for bit
    assert out.dtype == np.float64


def test_log_normalize_equals_scanpy_normalize_total_and_log1p(nb_counts):
    import scanpy as sc

    ref = _adata(nb_counts[nb_counts.sum(axis=1) > 0], dtype=np.float64)
    ours = ps.log_normalize(ref, block=7).X.toarray()
    sc.pp.normalize_total(ref, target_sum=1e4)
    sc.pp.log1p(ref)
    np.testing.assert_allclose(ours, ref.X.toarray(), rtol=1e-13, atol=0)


def test_scale_data_clips_only_above_scale_max():
    n = 200
    up = np.zeros(n)
    up[0] = 50.0  # one outlier: z = (50 - mean) / sd ~ sqrt(n) > 10
    down = np.full(n, 5.0)
    down[0] = 0.0  # one low cell: z ~ -sqrt(n) < -10, which Seurat keeps
    mixed = np.linspace(0, 1, n)
    const = np.full(n, 3.0)
    data = np.column_stack([up, down, mixed, const])
    out = ps.scale_data(_adata(data, dtype=np.float64), scale_max=10)
    mean = data.mean(axis=0)
    sd = data.std(axis=0, ddof=1)
    sd[sd == 0] = 1
    expected = np.minimum((data - mean) / sd, 10)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert out[0, 0] == 10 and out[0, 1] < -10


def test_export_equals_seurat_on_all_genes_then_subset(nb_counts):
    """Scaling only the exported genes gives Seurat's values (normalise and scale every gene of
    the object, then keep the variable ones), computed here with numpy."""
    counts = nb_counts.copy()
    counts[:, 5] += 200  # a few cells fail a QC bound below
    settings = ps.SeuratSettings(min_cells=3, min_features=10, min_nfeature=10, max_nfeature=395,
                                 max_percent_mt=100, n_variable_features=40)
    table, variable, summary = ps.seurat_export(_adata(counts), settings)
    x = counts.astype(np.float64)
    cells = ((x > 0).sum(axis=1) >= 10)
    x = x[cells]
    genes = (x > 0).sum(axis=0) >= 3
    x = x[:, genes]
    nfeat = (x > 0).sum(axis=1)
    keep = (nfeat > 10) & (nfeat < 395)
    x = x[keep]
    norm = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e4)
    sd = norm.std(axis=0, ddof=1)
    sd[sd == 0] = 1
    scaled = np.minimum((norm - norm.mean(axis=0)) / sd, 10)
    names = np.array([f"G{i}" for i in range(counts.shape[1])])[genes]
    chosen = variable.index[variable["variable"]]
    ours = table.drop(columns="Metadata_barcode")
    assert list(ours.columns) == sorted(chosen)
    expected = pd.DataFrame(scaled, columns=names)[list(ours.columns)]
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    assert list(summary["cells"]) == [300, int(cells.sum()), int(keep.sum()), int(keep.sum())]


# --- the stand-in has the published counts (docs/methods.md §7) by construction --------------------------------------


SMALL = ps.StandinDesign(
    n_genes=1200, n_expressed_genes=700, features_per_cell=(200, 450), n_target_genes=3,
    n_guides=9, n_nontargeting_guides=2, target_cells=54, nontargeting_cells=20,
    multiplet_cells=4, poor_coverage_cells=4, unassigned_cells=3, low_feature_cells=3,
    high_feature_cells=2, high_mt_cells=3, empty_droplets=4, rare_genes_detected=30,
    program_size=20, shared_program_size=50,
)
SMALL_FILTERS = ps.StandinFilters(min_cells=3, min_features=50, min_nfeature=150, max_nfeature=600)


@pytest.fixture(scope="module")
def small_standin(tmp_path_factory):
    out = tmp_path_factory.mktemp("standin")
    counts = ps.write_standin(out, SMALL, SMALL_FILTERS)
    return out, counts


def test_real_shape_design_gives_the_spec_counts():
    counts = ps.expected_counts(ps.REAL_SHAPE)
    assert (counts["seurat_features"], counts["seurat_cells"]) == (20_275, 23_633)
    assert counts["qc_cells"] == 23_537
    assert counts["scored_cells"] == 22_261 and counts["target_cells"] == 19_901
    assert counts["guides"] == 128 and counts["nontargeting_guides"] == 10


def test_standin_files_have_the_real_formats(small_standin):
    out, counts = small_standin
    with gzip.open(out / ps.FILES["matrix"], "rt") as h:
        assert h.readline().strip() == "%%MatrixMarket matrix coordinate integer general"
    ids = ps.read_cell_identities(out / ps.FILES["identities"])
    assert list(ids.columns) == list(ps.IDENTITY_COLUMNS)
    assert len(ids) == counts["identity_rows"]
    assert (ids["guide_identity"] == "*").sum() == SMALL.multiplet_cells
    assert ids["guide_identity"].str.startswith("neg_ctrl_non-targeting_").any()
    assert (ids["cell_barcode"].str.rsplit("-", n=1).str[1].astype(int) == ids["gemgroup"]).all()
    s16 = ps.read_screen_phenotypes(out / ps.FILES["supplement"])
    assert len(s16) == SMALL.n_guides
    assert s16["perturbation"].isin(ids["guide_identity"]).all()
    assert json.loads((out / "planted_counts.json").read_text()) == counts


def test_standin_steps_keep_exactly_the_planted_counts(small_standin):
    out, counts = small_standin
    adata = ps.read_10x(*(out / ps.FILES[k] for k in ("matrix", "genes", "barcodes")))
    assert adata.shape == (counts["barcodes"], counts["genes"])
    assert "SYN-UNDERSCORE" in adata.var_names and adata.var_names.str.endswith(".1").sum() == 1
    settings = ps.SeuratSettings(min_features=50, min_nfeature=150, max_nfeature=600,
                                 n_variable_features=100)
    table, _, summary = ps.seurat_export(adata, settings)
    steps = summary.set_index("step")
    assert tuple(steps.loc["CreateSeuratObject", ["features", "cells"]]) == (
        counts["seurat_features"], counts["seurat_cells"])
    assert steps.loc["subset (nFeature_RNA, percent.mt)", "cells"] == counts["qc_cells"]
    cells = ps.scored_cells(ps.single_cell_table(table, ps.read_cell_identities(out / ps.FILES["identities"])))
    assert len(cells) == counts["scored_cells"]
    assert (cells["Metadata_gene_identity"] != "neg").sum() == counts["target_cells"]


def test_bad_design_names_the_key():
    with pytest.raises(ValueError, match="features_per_cell"):
        ps.StandinDesign(features_per_cell=(100, 8000)).check(ps.StandinFilters())
    with pytest.raises(ValueError, match="unknown key"):
        ps.StandinDesign.from_config({"n_gens": 3})
    with pytest.raises(ValueError, match="min_nfeature"):
        ps.SeuratSettings(min_nfeature=10, max_nfeature=5).check()
