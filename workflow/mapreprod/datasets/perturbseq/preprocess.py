"""The authors' Seurat steps (R 4.2.2, Seurat 4.3.0) with scanpy, and their Python finalisation.

Seurat (``1_process_perturbseq.r``), step by step, and the scanpy call that does the same:

1. ``CreateSeuratObject(min.cells=3, min.features=200)``: keep cells with at least 200 detected
   genes, *then* genes detected in at least 3 of the kept cells (SeuratObject's order), and
   compute ``nCount_RNA``, ``nFeature_RNA`` and ``percent.mt`` (share of counts in genes
   matching ``^MT-``) on what is kept: ``sc.pp.filter_cells``, ``sc.pp.filter_genes``,
   ``sc.pp.calculate_qc_metrics`` (:func:`create_seurat_object`).
2. ``subset(nFeature_RNA > 2000 & nFeature_RNA < 7000 & percent.mt < 15)`` (strict bounds;
   :func:`filter_cells`).
3. ``NormalizeData(LogNormalize, scale.factor=1e4)``: log1p(count / cell total x 1e4), in
   double precision, in place on the sparse values (:func:`log_normalize`; equal to
   ``sc.pp.normalize_total`` + ``sc.pp.log1p``, which would hold a second copy of the matrix).
4. ``ScaleData``: centre and scale each gene over cells (SD with n - 1), then clip values
   *above* 10 (Seurat clips only from above; scanpy's ``max_value`` would also clip below -10,
   so ``sc.pp.scale`` runs unclipped and the upper clip is applied after; :func:`scale_data`).
5. ``FindVariableFeatures(vst, nfeatures=1000)`` on the raw counts: loess (span 0.3, degree 2)
   of log10 variance on log10 mean, counts standardised by the fitted SD and clipped at
   sqrt(n cells), genes ranked by the variance of the clipped values:
   ``sc.pp.highly_variable_genes(flavor="seurat_v3")``; ties are ranked in gene order, as R's
   ``order`` does (:func:`find_variable_features`).
6. Export the scaled values of the 1,000 variable genes (:func:`seurat_export`).

Scaling is gene by gene and normalisation cell by cell (with the cell's total over all genes),
so scaling only the exported genes gives exactly Seurat's exported values while never making
the 20,275 x 23,633 matrix dense.

Then the authors' ``2_finalize_perturbseq.py``: transpose, join the cell identities (right join
on the barcode, columns prefixed ``Metadata_``), name cells ``sc_profile_<i>``
(:func:`single_cell_table`), and median-aggregate per guide (:func:`bulk_profiles`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .inputs import (
    BARCODE,
    CELL,
    GEMGROUP,
    GENE,
    GUIDE,
    IDENTITY_COLUMNS,
    MULTIPLET,
    gene_identity,
)

__all__ = [
    "SeuratSettings",
    "bulk_profiles",
    "create_seurat_object",
    "feature_columns",
    "filter_cells",
    "find_variable_features",
    "log_normalize",
    "scale_data",
    "select_variable_features",
    "seurat_export",
    "seurat_export_10x",
    "single_cell_table",
]


@dataclass(frozen=True)
class SeuratSettings:
    """The Seurat parameters of the authors' script (config keys of the same names)."""

    min_cells: int = 3
    min_features: int = 200
    min_nfeature: int = 2000
    max_nfeature: int = 7000
    max_percent_mt: float = 15.0
    mt_pattern: str = "^MT-"
    scale_factor: float = 1e4
    scale_max: float = 10.0
    n_variable_features: int = 1000
    loess_span: float = 0.3

    @classmethod
    def from_config(cls, section: dict) -> SeuratSettings:
        """The settings from the ``perturbseq`` config section (other keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in section.items() if k in names})

    def check(self) -> SeuratSettings:
        """Raise a ValueError naming the config key of an impossible setting."""
        if self.min_nfeature >= self.max_nfeature:
            raise ValueError(
                f"perturbseq.min_nfeature ({self.min_nfeature}) must be below "
                f"perturbseq.max_nfeature ({self.max_nfeature})"
            )
        if not 0 < self.loess_span <= 1:
            raise ValueError(f"perturbseq.loess_span must be in (0, 1], got {self.loess_span}")
        if self.n_variable_features < 1:
            raise ValueError("perturbseq.n_variable_features must be at least 1")
        return self


def _scanpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import scanpy as sc
    return sc


def create_seurat_object(
    adata, min_cells: int = 3, min_features: int = 200, mt_pattern: str = "^MT-", copy: bool = True
):
    """``CreateSeuratObject(min.cells, min.features)`` plus ``percent.mt``.

    Parameters
    ----------
    adata : AnnData of raw counts, cells x genes (:func:`~.inputs.read_10x`).
    min_cells, min_features : cells with >= ``min_features`` detected genes are kept first, then
        genes detected (count > 0) in >= ``min_cells`` of the kept cells.
    mt_pattern : regular expression of mitochondrial gene names (``PercentageFeatureSet``).
    copy : False filters ``adata`` itself (no second copy of the counts in memory).

    Returns
    -------
    AnnData (a new object unless ``copy`` is false) with ``obs`` columns ``nCount_RNA``,
    ``nFeature_RNA`` and ``percent_mt`` (0-100), computed on the kept genes, as Seurat does.
    """
    sc = _scanpy()
    if copy:
        adata = adata.copy()
    sc.pp.filter_cells(adata, min_genes=min_features, inplace=True)
    sc.pp.filter_genes(adata, min_cells=min_cells, inplace=True)
    adata.var["mt"] = np.asarray(pd.Series(adata.var_names).str.contains(mt_pattern, regex=True), dtype=bool)
    qc, _ = sc.pp.calculate_qc_metrics(
        adata, qc_vars=["mt"], percent_top=None, log1p=False, inplace=False
    )
    adata.obs = pd.DataFrame(
        {
            "nCount_RNA": qc["total_counts"].to_numpy(dtype=np.float64),
            "nFeature_RNA": qc["n_genes_by_counts"].to_numpy(dtype=np.int64),
            "percent_mt": qc["pct_counts_mt"].to_numpy(dtype=np.float64),
        },
        index=adata.obs_names,
    )
    return adata


def filter_cells(adata, min_nfeature: int = 2000, max_nfeature: int = 7000, max_percent_mt: float = 15.0):
    """Cells with ``min_nfeature < nFeature_RNA < max_nfeature`` and ``percent_mt <
    max_percent_mt`` (Seurat's ``subset``; all bounds strict). Returns a new AnnData."""
    obs = adata.obs
    require_columns(obs, ["nFeature_RNA", "percent_mt"], "cells (run create_seurat_object first)")
    keep = (
        (obs["nFeature_RNA"] > min_nfeature)
        & (obs["nFeature_RNA"] < max_nfeature)
        & (obs["percent_mt"] < max_percent_mt)
    ).to_numpy()
    if not keep.any():
        raise ValueError(
            f"no cell passes {min_nfeature} < nFeature_RNA < {max_nfeature} and percent.mt < "
            f"{max_percent_mt} (config perturbseq.min_nfeature / max_nfeature / max_percent_mt)"
        )
    return adata[keep].copy()


def select_variable_features(table: pd.DataFrame, n_features: int) -> list[str]:
    """The ``n_features`` genes of highest ``variance_standardized`` among genes with a non-zero
    ``mean`` (Seurat drops genes never detected), ties in gene order (R's
    ``order(decreasing=TRUE)`` is stable)."""
    require_columns(table, ["mean", "variance_standardized"], "variable-feature table")
    detected = table[table["mean"].to_numpy() != 0]
    values = detected["variance_standardized"].to_numpy(dtype=np.float64)
    order = np.argsort(-values, kind="stable")[:n_features]
    return detected.index[order].tolist()


def find_variable_features(adata, n_features: int = 1000, span: float = 0.3) -> pd.DataFrame:
    """``FindVariableFeatures(selection.method="vst")`` on the raw counts in ``adata.X``.

    scanpy's ``flavor="seurat_v3"`` computes the vst standardised variance; the selection of the
    top ``n_features`` is :func:`select_variable_features`.

    Returns
    -------
    DataFrame indexed by gene: ``mean``, ``variance`` (n - 1), ``variance_standardized`` and
    ``variable`` (bool: :func:`select_variable_features`).
    """
    sc = _scanpy()
    n_genes = adata.n_vars
    if n_genes < 2:
        raise ValueError("vst needs at least two genes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hvg = sc.pp.highly_variable_genes(
            adata,
            flavor="seurat_v3",
            n_top_genes=min(n_features, n_genes),
            span=span,
            inplace=False,
        )
    table = pd.DataFrame(
        {
            "mean": hvg["means"].to_numpy(),
            "variance": hvg["variances"].to_numpy(),
            "variance_standardized": hvg["variances_norm"].to_numpy(),
        },
        index=adata.var_names,
    )
    chosen = select_variable_features(table, n_features)
    table["variable"] = table.index.isin(chosen)
    return table


def log_normalize(adata, scale_factor: float = 1e4, block: int = 4096):
    """``NormalizeData(LogNormalize)``: X = log1p(count / cell total x ``scale_factor``).

    The same arithmetic as Seurat's ``LogNorm`` (double precision, divide by the cell's total
    over every gene of ``adata``, then multiply), done in place on a float64 copy of the sparse
    values that shares the index arrays: scanpy's ``normalize_total`` + ``log1p`` give the same
    numbers (tested) but hold one more copy of the matrix, about 1.3 GB on the real data.
    ``block`` rows are divided at a time. Returns a new AnnData.
    """
    import anndata as ad
    import scipy.sparse as sp

    x = sp.csr_matrix(adata.X)
    totals = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
    if (totals <= 0).any():
        raise ValueError("LogNormalize: a cell has no counts")
    data = x.data.astype(np.float64)
    indptr = x.indptr
    for start in range(0, x.shape[0], block):
        stop = min(start + block, x.shape[0])
        lo, hi = indptr[start], indptr[stop]
        data[lo:hi] /= np.repeat(totals[start:stop], np.diff(indptr[start : stop + 1]))
    data *= scale_factor
    np.log1p(data, out=data)
    out = sp.csr_matrix((data, x.indices, indptr), shape=x.shape)
    return ad.AnnData(X=out, obs=adata.obs.copy(), var=adata.var.copy())


def scale_data(adata, scale_max: float = 10.0) -> np.ndarray:
    """``ScaleData``: per gene, (x - mean) / SD (SD with n - 1; a constant gene scales to 0),
    then values above ``scale_max`` set to ``scale_max`` (Seurat does not clip from below).

    Returns a dense (cells x genes) float64 array.
    """
    sc = _scanpy()
    sub = adata.copy()
    sub.X = sub.X.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "zero-centering a sparse matrix densifies it"
        sc.pp.scale(sub, zero_center=True, max_value=None)
    x = np.asarray(sub.X, dtype=np.float64)
    np.minimum(x, scale_max, out=x)
    return x


def seurat_export(
    adata, settings: SeuratSettings = SeuratSettings(), copy: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The whole Seurat script on raw counts: the scaled data of the variable genes.

    Parameters
    ----------
    adata : AnnData of raw counts, cells x genes (:func:`~.inputs.read_10x`).
    settings : the Seurat parameters.
    copy : False filters ``adata`` in place instead of copying it first (one copy of the
        counts less at the peak; :func:`seurat_export_10x` uses it on the data it reads).

    Returns
    -------
    scaled : DataFrame, one row per cell that passes the filters (file order): ``Metadata_barcode``
        then the variable genes in alphabetical order (the order of the authors' table).
    variable : :func:`find_variable_features` table of every gene of the Seurat object.
    summary : DataFrame ``step``, ``cells``, ``features`` after reading, after
        ``CreateSeuratObject``, after the QC filters and for the export.
    """
    settings.check()
    steps = [("Read10X", adata.n_obs, adata.n_vars)]
    obj = create_seurat_object(
        adata, settings.min_cells, settings.min_features, settings.mt_pattern, copy=copy
    )
    del adata
    steps.append(("CreateSeuratObject", obj.n_obs, obj.n_vars))
    obj = filter_cells(obj, settings.min_nfeature, settings.max_nfeature, settings.max_percent_mt)
    steps.append(("subset (nFeature_RNA, percent.mt)", obj.n_obs, obj.n_vars))
    variable = find_variable_features(obj, settings.n_variable_features, settings.loess_span)
    genes = variable.index[variable["variable"]]
    normalized = log_normalize(obj, settings.scale_factor)
    del obj
    exported = normalized[:, genes]
    del normalized
    scaled = scale_data(exported, settings.scale_max)
    order = np.argsort(np.asarray(genes, dtype=str), kind="stable")
    names = [str(genes[i]) for i in order]
    table = pd.DataFrame(scaled[:, order], columns=names)
    table.insert(0, BARCODE, np.asarray(exported.obs_names, dtype=object))
    steps.append(("export (scaled variable genes)", len(table), len(names)))
    summary = pd.DataFrame(steps, columns=["step", "cells", "features"])
    return table, variable, summary


def seurat_export_10x(
    matrix, genes, barcodes, settings: SeuratSettings = SeuratSettings()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`~.inputs.read_10x` then :func:`seurat_export` on the counts it read, filtered in
    place (what rule ``perturbseq_seurat`` runs; peak memory is in docs/benchmarks.md)."""
    from .inputs import read_10x

    return seurat_export(read_10x(matrix, genes, barcodes), settings, copy=False)


def feature_columns(df: pd.DataFrame) -> list[str]:
    """Every column not starting with ``Metadata_`` (the genes)."""
    return [c for c in df.columns if not str(c).startswith("Metadata_")]


def single_cell_table(scaled: pd.DataFrame, identities: pd.DataFrame) -> pd.DataFrame:
    """The authors' single-cell analytical table (``2_finalize_perturbseq.py``).

    Parameters
    ----------
    scaled : :func:`seurat_export` table (``Metadata_barcode`` + genes).
    identities : the cell identity table (:func:`~.inputs.read_cell_identities`).

    Returns
    -------
    DataFrame, one row per exported cell in export order (a right join: cells without an identity
    keep NaN metadata): ``Metadata_cell_identity`` (``sc_profile_<row>``), the identity columns
    prefixed ``Metadata_``, ``Metadata_gene_identity`` (:func:`~.inputs.gene_identity`),
    ``Metadata_barcode``, ``Metadata_sequence`` (barcode before "-"), then the genes.
    """
    require_columns(scaled, [BARCODE], "scaled table")
    require_columns(identities, IDENTITY_COLUMNS, "cell identities")
    ids = identities.copy()
    ids.columns = [f"Metadata_{c}" for c in ids.columns]
    ids[GENE] = gene_identity(ids[GUIDE])
    genes = feature_columns(scaled)
    meta = scaled[[BARCODE]].copy()
    meta["Metadata_sequence"] = [str(b).split("-")[0] for b in meta[BARCODE]]
    merged = ids.merge(meta, how="right", left_on="Metadata_cell_barcode", right_on=BARCODE)
    if len(merged) != len(scaled):
        raise ValueError("cell identities: a barcode matches more than one identity row")
    merged.insert(0, CELL, [f"sc_profile_{i}" for i in range(len(merged))])
    features = scaled[genes].reset_index(drop=True)
    return pd.concat([merged.reset_index(drop=True), features], axis=1)


def bulk_profiles(sc: pd.DataFrame, unit: str = "guide") -> pd.DataFrame:
    """Median profile of every guide (the authors' pycytominer ``aggregate``, operation median).

    Parameters
    ----------
    sc : :func:`single_cell_table`.
    unit : "guide" (the authors' code: one profile per guide) or "gemgroup" (the paper's "biological
        replicate level": one profile per guide and 10X gem group).

    Returns
    -------
    DataFrame ``Metadata_guide_identity``, ``Metadata_gene_identity`` (and ``Metadata_gemgroup``),
    then the genes; cells without a guide and multiplets ("*") dropped; sorted by guide.
    """
    if unit not in ("guide", "gemgroup"):
        raise ValueError(f"perturbseq.bulk_unit must be 'guide' or 'gemgroup', got {unit!r}")
    strata = [GUIDE] if unit == "guide" else [GUIDE, GEMGROUP]
    require_columns(sc, strata, "single-cell table")
    genes = feature_columns(sc)
    bulk = sc.groupby(strata, sort=True, dropna=True)[genes].median().reset_index()
    bulk.insert(1, GENE, gene_identity(bulk[GUIDE]).to_numpy())
    bulk = bulk[bulk[GENE] != MULTIPLET].reset_index(drop=True)
    if unit == "gemgroup":
        bulk[GEMGROUP] = bulk[GEMGROUP].astype(np.int64)
    return bulk[[GUIDE, GENE, *strata[1:], *genes]]
