"""UMAP embeddings of each morphological class with the control cells (Fig S10, docs/methods.md §8).

For every class the authors fit ``umap.UMAP(metric="cosine", n_neighbors=30, min_dist=0.1,
random_state=42)`` on that class's cells plus all sampled control cells (in table order),
once on the CellProfiler and once on the DeepProfiler features (every column starting with
``CP_`` / ``DP_``). umap-learn is imported only here (it compiles with numba on first use).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .inputs import CLASS, CONTROL_CLASS, FEATURE_PREFIXES, metadata_columns

#: Name of the column saying which class an embedding row was fitted for.
EMBEDDED_CLASS = "UMAP_class"
#: The authors' settings.
UMAP_DEFAULTS: dict[str, object] = {
    "n_neighbors": 30,
    "min_dist": 0.1,
    "metric": "cosine",
    "random_state": 42,
}

__all__ = ["EMBEDDED_CLASS", "UMAP_DEFAULTS", "class_embeddings", "embed"]


def embed(features: np.ndarray, **umap_kwargs) -> np.ndarray:
    """2-D UMAP of ``features`` (n cells x n features) with umap-learn; ``umap_kwargs`` override
    :data:`UMAP_DEFAULTS`. Returns an (n, 2) float array."""
    import warnings

    import umap

    settings = {**UMAP_DEFAULTS, **umap_kwargs}
    if features.shape[0] < 3:
        raise ValueError(f"UMAP needs at least 3 cells, got {features.shape[0]}")
    with warnings.catch_warnings():
        # umap warns that random_state disables parallelism, and on tiny inputs
        warnings.simplefilter("ignore", UserWarning)
        reducer = umap.UMAP(**settings)
        return np.asarray(reducer.fit_transform(features), dtype=np.float64)


def class_embeddings(
    df: pd.DataFrame, classes: Sequence[str] | None = None, **umap_kwargs
) -> pd.DataFrame:
    """UMAP of each class's cells plus the controls, per feature set (the authors' ``umap_{class}``).

    Parameters
    ----------
    df : the preprocessed table (labelled cells and controls).
    classes : classes to embed; default every class except the controls, in order of appearance.
    umap_kwargs : override :data:`UMAP_DEFAULTS` (n_neighbors, min_dist, metric, random_state).

    Returns
    -------
    DataFrame
        Long table: for each class, the metadata of its cells and of the controls, the class in
        :data:`EMBEDDED_CLASS`, and ``CP_umap_0``, ``CP_umap_1``, ``DP_umap_0``, ``DP_umap_1``.
    """
    if classes is None:
        classes = [c for c in pd.unique(df[CLASS]) if c != CONTROL_CLASS]
    meta = metadata_columns(df)
    parts = []
    for cls in classes:
        rows = df[CLASS].isin([cls, CONTROL_CLASS]).to_numpy()
        if not (df[CLASS] == cls).any():
            raise ValueError(f"class {cls!r} has no cells")
        sub = df.loc[rows]
        part = sub[meta].reset_index(drop=True).copy()
        part.insert(0, EMBEDDED_CLASS, cls)
        for key, prefix in FEATURE_PREFIXES.items():
            short = prefix.rstrip("_")  # "CP", "DP"; the authors select columns by "^CP_"
            cols = [c for c in sub.columns if str(c).startswith(short + "_")]
            xy = embed(sub[cols].to_numpy(dtype=np.float64), **umap_kwargs)
            part[f"{short}_umap_0"] = xy[:, 0]
            part[f"{short}_umap_1"] = xy[:, 1]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
