"""Fig S7B: phenotypic activity of each ORF against the negative-control ORFs of its plate.

As the authors' ``calculate_map`` (``1_phenotypic_activity_orf.py``):

- ``Metadata_negcon`` = 1 for pert_type ``negcon`` wells, else 0;
- positive pairs: same ``Metadata_JCP2022`` (replicates on any plate, any well);
- negative pairs: same ``Metadata_Plate`` and different ``Metadata_negcon``, i.e. an ORF well
  against the negcon wells of its plate (and a negcon well against the ORF wells of its plate);
- the negcon wells' own APs are dropped, then mAP per ``Metadata_JCP2022`` with null 20,000,
  seed 12527 and BH at FDR **0.1** (the authors' ``fdr``; ``below_corrected_p`` means q < 0.1, which
  the figure labels "p < 0.05"). ``cpg0016orf.activity_fdr: 0.05`` applies the label's threshold.
"""

from __future__ import annotations

import mapeval
import numpy as np
import pandas as pd

from .inputs import Profiles, check_columns

NEGCON = "Metadata_negcon"
#: Pair definition of the activity test.
ACTIVITY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": ["Metadata_JCP2022"],
    "pos_diffby": [],
    "neg_sameby": ["Metadata_Plate"],
    "neg_diffby": [NEGCON],
}
#: The authors' settings (``main()`` of their script).
AUTHORS_NULL_SIZE = 20_000
AUTHORS_SEED = 12527
AUTHORS_FDR = 0.1

__all__ = [
    "ACTIVITY_PAIRS",
    "AUTHORS_FDR",
    "AUTHORS_NULL_SIZE",
    "AUTHORS_SEED",
    "NEGCON",
    "add_negcon",
    "phenotypic_activity",
]


def add_negcon(meta: pd.DataFrame) -> pd.DataFrame:
    """``Metadata_negcon``: 1 where ``Metadata_pert_type == "negcon"``, else 0."""
    check_columns(meta, ["Metadata_pert_type"], "activity wells")
    return meta.assign(**{NEGCON: np.where(meta["Metadata_pert_type"] == "negcon", 1, 0)})


def phenotypic_activity(
    profiles: Profiles,
    *,
    null_size: int = AUTHORS_NULL_SIZE,
    fdr: float = AUTHORS_FDR,
    seed: int = AUTHORS_SEED,
    similarity: str = "cosine",
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AP of every ORF well against same-plate negcon wells, and mAP per ORF (Fig S7B).

    Parameters
    ----------
    profiles : filtered wells (:func:`.preprocess.filter_profiles`) with ``Metadata_JCP2022``,
        ``Metadata_Plate`` and ``Metadata_pert_type``.
    null_size, seed : null samples per (n_pos, n_total) configuration and the top-level seed.
    fdr : BH level of ``below_corrected_p`` (and of ``below_p``); the authors' 0.1.
    similarity, null_sampler, map_null, batch_size, threads : passed to :mod:`mapeval`.

    Returns
    -------
    ap : one row per non-negcon well (metadata, ``n_pos_pairs``, ``n_total_pairs``,
        ``average_precision``; NaN for an ORF left with a single well).
    map : one row per ORF: ``Metadata_JCP2022``, ``mean_average_precision``, ``p_value``,
        ``corrected_p_value``, ``below_p``, ``below_corrected_p``.
    """
    check_columns(profiles.meta, ["Metadata_JCP2022", "Metadata_Plate"], "activity wells")
    meta = add_negcon(profiles.meta)
    if not meta[NEGCON].any():
        raise ValueError("activity wells: no negcon well (Metadata_pert_type == 'negcon') is left")
    ap = mapeval.average_precision(
        meta,
        profiles.features,
        **ACTIVITY_PAIRS,
        similarity=similarity,
        batch_size=batch_size,
        threads=threads,
    )
    ap = ap[~(ap["Metadata_pert_type"] == "negcon")].reset_index(drop=True)
    scores = mapeval.mean_average_precision(
        ap,
        ["Metadata_JCP2022"],
        null_size=null_size,
        threshold=fdr,
        seed=seed,
        null_sampler=null_sampler,
        map_null=map_null,
    )
    return ap, scores
