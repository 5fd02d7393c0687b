"""Perturb-seq CRISPRi, GEO GSE132080 (Fig 4E-F, 5A-B, S8; docs/methods.md §7).

The authors preprocess the 10X counts with Seurat in R and score guides with mAP in Python;
here every step is Python (scanpy + anndata for the single-cell steps, umap-learn for S8):

1. :func:`read_10x`, :func:`seurat_export`: Seurat's Read10X, CreateSeuratObject, QC filters,
   LogNormalize, ScaleData and vst variable genes, exporting the scaled 1,000 variable genes.
2. :func:`single_cell_table`, :func:`bulk_profiles`: join the cell identities, median per guide.
3. :func:`bulk_map` (Fig 4E-F): each guide against the non-targeting guides (positives: the
   other guides of its gene), merged with the relative activities of Table S16.
4. :func:`single_cell_ap` (Fig 5A-B): each cell against 20% of the non-targeting cells.
5. :func:`gene_embeddings` (Fig S8): one UMAP per target gene.

Parts (the dataset contract): inputs, preprocess, activity, embedding, figures, reproduction,
standin. Their public names are re-exported here.
"""

from importlib import import_module

#: Public name -> the part (submodule) that defines it. Parts are imported on first use, so a
#: rule script pays only for what it needs (the figures part imports matplotlib).
_PARTS = {
    "BULK_COLUMNS": "activity",
    "SIGNIFICANCE_COLUMNS": "activity",
    "SIGNIFICANCE_LABELS": "activity",
    "EMBEDDED_GENE": "embedding",
    "FILES": "inputs",
    "GENE": "inputs",
    "GUIDE": "inputs",
    "IDENTITY_COLUMNS": "inputs",
    "PHENOTYPE_TABLE": "inputs",
    "REAL_SHAPE": "standin",
    "SeuratSettings": "preprocess",
    "StandinDesign": "standin",
    "StandinFilters": "standin",
    "UMAP_SETTINGS": "embedding",
    "bulk_figure_table": "figures",
    "bulk_map": "activity",
    "bulk_profiles": "preprocess",
    "correlations": "figures",
    "create_seurat_object": "preprocess",
    "embed": "embedding",
    "expected_counts": "standin",
    "feature_columns": "preprocess",
    "filter_cells": "preprocess",
    "find_variable_features": "preprocess",
    "gene_embeddings": "embedding",
    "gene_identity": "inputs",
    "gene_umap_table": "figures",
    "linear_fit_band": "figures",
    "log_normalize": "preprocess",
    "our_values": "reproduction",
    "plot_bulk_activity": "figures",
    "plot_bulk_by_gene": "figures",
    "plot_gene_umaps": "figures",
    "plot_single_cell_activity": "figures",
    "plot_single_cell_by_gene": "figures",
    "r_make_unique": "inputs",
    "read_10x": "inputs",
    "read_cell_identities": "inputs",
    "read_screen_phenotypes": "inputs",
    "reproduction_table": "reproduction",
    "sample_controls": "activity",
    "scale_data": "preprocess",
    "scored_cells": "activity",
    "select_variable_features": "preprocess",
    "seurat_export": "preprocess",
    "seurat_export_10x": "preprocess",
    "seurat_feature_names": "inputs",
    "significance": "activity",
    "single_cell_ap": "activity",
    "single_cell_figure_table": "figures",
    "single_cell_table": "preprocess",
    "variable_features": "activity",
    "with_reference_index": "activity",
    "write_standin": "standin",
}

__all__ = [
    "BULK_COLUMNS",
    "SIGNIFICANCE_COLUMNS",
    "SIGNIFICANCE_LABELS",
    "EMBEDDED_GENE",
    "FILES",
    "GENE",
    "GUIDE",
    "IDENTITY_COLUMNS",
    "PHENOTYPE_TABLE",
    "REAL_SHAPE",
    "SeuratSettings",
    "StandinDesign",
    "StandinFilters",
    "UMAP_SETTINGS",
    "bulk_figure_table",
    "bulk_map",
    "bulk_profiles",
    "correlations",
    "create_seurat_object",
    "embed",
    "expected_counts",
    "feature_columns",
    "filter_cells",
    "find_variable_features",
    "gene_embeddings",
    "gene_identity",
    "gene_umap_table",
    "linear_fit_band",
    "log_normalize",
    "our_values",
    "plot_bulk_activity",
    "plot_bulk_by_gene",
    "plot_gene_umaps",
    "plot_single_cell_activity",
    "plot_single_cell_by_gene",
    "r_make_unique",
    "read_10x",
    "read_cell_identities",
    "read_screen_phenotypes",
    "reproduction_table",
    "sample_controls",
    "scale_data",
    "scored_cells",
    "select_variable_features",
    "seurat_export",
    "seurat_export_10x",
    "seurat_feature_names",
    "significance",
    "single_cell_ap",
    "single_cell_figure_table",
    "single_cell_table",
    "variable_features",
    "with_reference_index",
    "write_standin",
]


def __getattr__(name: str):
    if name in _PARTS:
        value = getattr(import_module(f".{_PARTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
