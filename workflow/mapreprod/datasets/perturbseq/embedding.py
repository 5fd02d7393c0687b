"""UMAP of each target gene's cells with the sampled neg cells (Fig S8, docs/methods.md §7).

For every target gene the authors fit ``umap.UMAP(metric="cosine", n_neighbors=30,
min_dist=0.1, random_state=42)`` (HEAD; umap-learn's defaults at e9a5414) on that gene's scored
cells followed by the sampled neg cells, in that order, on all exported genes. umap-learn is
imported only here (numba compiles it on first use, ~30 s per process).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .inputs import CELL, GENE, GUIDE, NEGATIVE

__all__ = ["UMAP_SETTINGS", "EMBEDDED_GENE", "embed", "gene_embeddings"]

#: The authors' settings at HEAD (config perturbseq.umap).
UMAP_SETTINGS: dict[str, object] = {
    "metric": "cosine",
    "n_neighbors": 30,
    "min_dist": 0.1,
    "random_state": 42,
}
#: Column naming the gene whose embedding a row belongs to (neg cells appear once per gene).
EMBEDDED_GENE = "Metadata_embedded_gene"


def embed(features: np.ndarray, settings: Mapping[str, object] | None = None) -> np.ndarray:
    """2-D UMAP of ``features`` (cells x genes) with umap-learn; ``settings`` override
    :data:`UMAP_SETTINGS` (any ``umap.UMAP`` argument). Returns an (n, 2) float array."""
    settings = {**UMAP_SETTINGS, **(settings or {})}
    n = features.shape[0]
    if n < 4:
        raise ValueError(f"UMAP needs at least 4 cells, got {n}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import umap

        reducer = umap.UMAP(n_components=2, **settings)
        return np.asarray(reducer.fit_transform(np.asarray(features, dtype=np.float64)))


def gene_embeddings(
    cells: pd.DataFrame,
    controls: pd.DataFrame,
    features: Sequence[str],
    genes: Sequence[str] | None = None,
    settings: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """One UMAP per target gene on its cells plus ``controls``.

    Parameters
    ----------
    cells : scored cells (:func:`~.activity.scored_cells`).
    controls : the sampled neg cells (:func:`~.activity.sample_controls`).
    features : genes to embed (the authors use every exported gene).
    genes : target genes to embed (default: every gene identity except "neg", in table order).
    settings : ``umap.UMAP`` arguments over :data:`UMAP_SETTINGS`.

    Returns
    -------
    DataFrame ``Metadata_embedded_gene``, ``Metadata_cell_identity``,
    ``Metadata_guide_identity``, ``Metadata_gene_identity`` (neg cells keep "neg"), ``umap_0``,
    ``umap_1``; per gene its cells first, then the controls.
    """
    require_columns(cells, [CELL, GUIDE, GENE, *features], "single-cell table")
    if genes is None:
        genes = [g for g in pd.unique(cells[GENE]) if g != NEGATIVE and isinstance(g, str)]
    parts = []
    for gene in genes:
        subset = pd.concat([cells[cells[GENE].eq(gene)], controls], ignore_index=True)
        if not subset[GENE].eq(gene).any():
            raise ValueError(f"no scored cell targets gene {gene!r}")
        xy = embed(subset[list(features)].to_numpy(dtype=np.float64), settings)
        part = subset[[CELL, GUIDE, GENE]].copy()
        part.insert(0, EMBEDDED_GENE, gene)
        part["umap_0"] = xy[:, 0]
        part["umap_1"] = xy[:, 1]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
