"""Fig S7B: phenotypic activity of each ORF against the negative-control ORFs of its plate.

As the authors' ``calculate_map`` (``1_phenotypic_activity_orf.py``):

- ``Metadata_negcon`` = 1 for pert_type ``negcon`` wells, else 0;
- positive pairs: same ``Metadata_JCP2022`` (replicates on any plate, any well);
- negative pairs: same ``Metadata_Plate`` and different ``Metadata_negcon``, i.e. an ORF well
  against the negcon wells of its plate (and a negcon well against the ORF wells of its plate);
- the negcon wells' own APs are dropped, then mAP per ``Metadata_JCP2022`` with null 20,000,
  seed 12527 and BH at FDR **0.1** (the authors' ``fdr``; ``below_corrected_p`` means q < 0.1, which
  the figure labels "p < 0.05"). ``cpg0016orf.activity_fdr: 0.05`` applies the label's threshold.
  The rule hands the level over as the settings' threshold
  (``map_settings("cpg0016orf", threshold=activity_fdr)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod.settings import MapSettings

from .inputs import Profiles, check_columns

NEGCON = "Metadata_negcon"
#: Pair definition of the activity test.
ACTIVITY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": ["Metadata_JCP2022"],
    "pos_diffby": [],
    "neg_sameby": ["Metadata_Plate"],
    "neg_diffby": [NEGCON],
}
#: The authors' engine settings (``main()`` of their script): null 20,000, seed 12527, BH at 0.1.
AUTHORS_SETTINGS = MapSettings(null_size=20_000, seed=12527, threshold=0.1)

__all__ = [
    "ACTIVITY_PAIRS",
    "AUTHORS_SETTINGS",
    "NEGCON",
    "add_negcon",
    "phenotypic_activity",
]


def add_negcon(meta: pd.DataFrame) -> pd.DataFrame:
    """``Metadata_negcon``: 1 where ``Metadata_pert_type == "negcon"``, else 0."""
    check_columns(meta, ["Metadata_pert_type"], "activity wells")
    return meta.assign(**{NEGCON: np.where(meta["Metadata_pert_type"] == "negcon", 1, 0)})


def phenotypic_activity(
    profiles: Profiles, settings: MapSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AP of every ORF well against same-plate negcon wells, and mAP per ORF (Fig S7B).

    Parameters
    ----------
    profiles : filtered wells (:func:`.preprocess.filter_profiles`) with ``Metadata_JCP2022``,
        ``Metadata_Plate`` and ``Metadata_pert_type``.
    settings : the engine's; its ``threshold`` is the BH level of ``below_corrected_p`` (and of
        ``below_p``): ``cpg0016orf.activity_fdr``, the authors' 0.1 (:data:`AUTHORS_SETTINGS`).

    Returns
    -------
    ap : one row per non-negcon well (metadata, ``n_pos_pairs``, ``n_total_pairs``,
        ``average_precision``; NaN for an ORF left with a single well).
    map : one row per ORF: ``Metadata_JCP2022``, ``mean_average_precision``, ``p_value``,
        ``corrected_p_value``, ``below_p``, ``below_corrected_p``, ``test`` (the test of
        ``map.test``: :meth:`~mapreprod.settings.MapSettings.group_map`; the permutation test
        relabels within plates, as the controls are per plate).
    """
    check_columns(profiles.meta, ["Metadata_JCP2022", "Metadata_Plate"], "activity wells")
    meta = add_negcon(profiles.meta)
    if not meta[NEGCON].any():
        raise ValueError("activity wells: no negcon well (Metadata_pert_type == 'negcon') is left")
    ap = settings.average_precision(meta, profiles.features, **ACTIVITY_PAIRS)
    ap = ap[~(ap["Metadata_pert_type"] == "negcon")].reset_index(drop=True)
    # The same design for the permutation test, which relabels profiles: the negcon wells are
    # the controls (their own APs are dropped above), so each gets an id of its own and forms
    # no positive pair; the ORF wells' positives and negatives are unchanged.
    is_negcon = meta[NEGCON].to_numpy() == 1
    design = meta.assign(Metadata_JCP2022=np.where(
        is_negcon, [f"negcon well {i}" for i in range(len(meta))],
        meta["Metadata_JCP2022"].astype(object)))
    scores = settings.group_map(design, profiles.features, **ACTIVITY_PAIRS,
                                sameby=["Metadata_JCP2022"], ap=ap, analysis="ORF activity (S7B)")
    return ap, scores
