"""Subsets and display helpers of the Cell Health figures (the drawings are in mapreprod.plotting.cellhealth)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .inputs import GENE, PERT


def fig3c_guides(activity_map: pd.DataFrame, min_cell_lines: int = 2,
                 positions: Sequence[int] = (*range(14), 18)) -> list[str]:
    """Guides of Fig 3C: active (``p < 0.05``) in >= 2 cell lines, sorted alphabetically, HEAD
    keeps positions 0-13 and 18 (15 guides); positions past the end are skipped."""
    active = activity_map.loc[activity_map["p < 0.05"]].groupby(PERT)["Cell type"].nunique()
    ordered = sorted(active.index[active >= min_cell_lines])
    return [ordered[i] for i in positions if i < len(ordered)]


def consistent_genes(consistency_map: pd.DataFrame, min_cell_lines: int = 2) -> list[str]:
    """Genes of Fig 3F: ``p < 0.05`` in >= 2 cell lines (HEAD: all of them), sorted."""
    sig = consistency_map.loc[consistency_map["p < 0.05"]].groupby(GENE)["Cell type"].nunique()
    return sorted(sig.index[sig >= min_cell_lines])


def consistent_gene_aps(consistency_ap: pd.DataFrame, consistency_map: pd.DataFrame) -> pd.DataFrame:
    """Guide-level AP rows of the genes of Fig 3F."""
    genes = consistent_genes(consistency_map)
    return consistency_ap.loc[consistency_ap[GENE].isin(genes)].reset_index(drop=True)


def jitter(values: pd.Series, width: float, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """Display-only uniform jitter of +-``width``, clipped to [low, high] (Fig 3E)."""
    v = values.to_numpy(dtype=float)
    return np.clip(v + rng.uniform(-width, width, size=v.size), low, high)

