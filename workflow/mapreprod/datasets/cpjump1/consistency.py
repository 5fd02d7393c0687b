"""Perturbation matching (Fig 4b within a modality, Fig 4c across modalities; docs/methods.md §12.3-12.4).

Every task works on median consensus profiles (one per ``Metadata_broad_sample``, controls and
empty wells removed) of the perturbations retrieved in the detection task of the same
condition (``above_q_threshold``), as ``1.0.calculate-map-cp.ipynb`` does:

* sister compounds (:func:`sister_compound_matching`): each compound's targets
  (``target_list`` split on "|") are its labels; positives share a target, negatives share none
  (multilabel AP, one row per compound and target); absolute cosine similarity. The notebooks'
  copairs (@880f22a) forms these negatives the same way: both sides' labels are lists there.
* sister guides (:func:`sister_guide_matching`): CRISPR guides of genes with at least two
  retrieved guides; positives target the same gene, negatives another gene; cosine similarity.
* compound-gene pairs (:func:`compound_gene_matching`): the retrieved compounds, their targets
  restricted to the genes of the retrieved genetic reagents (compounds left without a target are
  dropped), and every retrieved reagent of one genetic modality (CRISPR or ORF) labelled with
  its gene; positives share a gene and differ in modality; absolute cosine similarity. Negatives
  (``cpjump1.multilabel_negatives``, :data:`CROSS_MODALITY_NEGATIVES`): ``notebook`` (default)
  = every pair of different modality, as copairs @880f22a computed them on the notebooks' input
  (the genetic side's label is a string there, so copairs' share-no-label filter compared a
  compound's targets with the characters of a gene symbol and removed nothing): a compound and
  a reagent of one of its targets are then a positive and also a negative pair;
  ``copairs_0_5_5`` = pairs of different modality that share no gene (copairs 0.5.5's rule).

Each takes the engine settings (:class:`~mapreprod.settings.MapSettings`: null size, seed and
sampler of the AP p-values, threshold of the class q-values; the similarity is the task's, as
above, whatever ``settings.similarity`` says) and returns (ap, classes) like
:func:`~mapreprod.datasets.cpjump1.activity.replicate_retrieval`, classes being target genes;
both are empty where no positive pair exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod.common import require_columns
from mapreprod.settings import TEST_COLUMN, MapSettings

from .activity import CLASS_COLUMNS, ap_p_values, class_scores
from .inputs import GENE, MODALITY, PERT, TARGET, TARGET_LIST
from .preprocess import consensus, feature_columns, remove_negcon_and_empty

#: Similarity of the tasks with compounds (the notebooks' |cosine|: an inhibitor and an
#: overexpression of its target may point in opposite directions) and of sister guides (cosine).
COMPOUND_SIMILARITY = "abs_cosine"
GUIDE_SIMILARITY = "cosine"
#: Pairs of compound-gene matching (Fig 4c), multilabel on the target genes, as the notebooks
#: pass them to copairs: positives share a gene and differ in modality; negatives differ in
#: modality, and how the gene column restricts them is :data:`CROSS_MODALITY_NEGATIVES`
#: (docs/methods.md §12.6).
CROSS_MODALITY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": [TARGET],
    "pos_diffby": [MODALITY],
    "neg_sameby": [],
    "neg_diffby": [TARGET, MODALITY],
}
#: ``cpjump1.multilabel_negatives`` -> the engine's ``negative_rule`` for compound-gene matching.
#: notebook: copairs @880f22a on the notebooks' input, whose label filter removed no pair
#: (labels ignored: every pair of different modality is a negative); copairs_0_5_5: a negative
#: shares no gene. Sister compounds (Fig 4b) share-none under both: there the notebooks' labels
#: are lists on both sides, and copairs @880f22a's filter works.
CROSS_MODALITY_NEGATIVES: dict[str, str] = {
    "notebook": "ignore_labels",
    "copairs_0_5_5": "share_none",
}
#: ``cpjump1.multilabel_negatives`` -> the engine's ``tie_order`` for compound-gene matching.
#: notebook: copairs @880f22a's order of tied entries (its pair layout ranked by numpy 1.23's
#: argsort), which places each positive relative to its tied negative copy as the notebooks did
#: (:mod:`mapeval.tie_order`); copairs_0_5_5: no copies, positives first on chance ties.
CROSS_MODALITY_TIE_ORDER: dict[str, str] = {
    "notebook": "copairs_880f22a",
    "copairs_0_5_5": "positives_first",
}


def replicable_consensus(profiles: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """Consensus profiles of the perturbations retrieved in the detection task.

    ``classes`` is the class table of the same condition (its ``Metadata_broad_sample`` and
    ``above_q_threshold`` columns).
    """
    require_columns(classes, [PERT, "above_q_threshold"], "detection classes")
    kept = set(classes.loc[classes["above_q_threshold"].astype(bool), PERT].astype(str))
    cons = consensus(remove_negcon_and_empty(profiles), PERT)
    return cons[cons[PERT].astype(str).isin(kept)].reset_index(drop=True)


def _empty(ap_columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ap = pd.DataFrame(
        columns=[*ap_columns, "n_pos_pairs", "n_total_pairs", "average_precision", "p_value",
                 TEST_COLUMN]
    )
    return ap, pd.DataFrame(columns=[TARGET, *CLASS_COLUMNS, TEST_COLUMN])


def _score(ap: pd.DataFrame, settings: MapSettings, class_q: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AP p-values of the scored rows and the per-target class table, each with the ``test``
    of the AP-level null (:func:`~.activity.ap_p_values`)."""
    ap = ap[ap["average_precision"].notna()].reset_index(drop=True)
    ap["p_value"] = ap_p_values(ap, settings)
    classes = class_scores(ap, TARGET, settings.threshold, class_q)
    ap[TEST_COLUMN] = classes[TEST_COLUMN] = settings.ap_test_label()
    return ap, classes


def _label_lists(target_list: pd.Series) -> list[list[str]]:
    """'A|B' -> ['A', 'B'] (duplicates removed, order kept); NaN -> []."""
    out = []
    for value in target_list.tolist():
        if isinstance(value, str) and value:
            out.append(list(dict.fromkeys(value.split("|"))))
        else:
            out.append([])
    return out


def _shared_label(lists: list[list[str]]) -> bool:
    seen: set[str] = set()
    for labels in lists:
        if seen.intersection(labels):
            return True
        seen.update(labels)
    return False


def compound_targets(consensus_profiles: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Compound consensus profiles with ``Metadata_matching_target``: the list of their targets
    (from the annotations' ``Metadata_target_list``); compounds without a target are dropped."""
    require_columns(annotations, [PERT, TARGET_LIST], "compound annotations")
    df = consensus_profiles.drop(columns=[c for c in (TARGET, TARGET_LIST) if c in consensus_profiles])
    df = df.merge(annotations[[PERT, TARGET_LIST]], on=PERT, how="left")
    df[TARGET] = _label_lists(df[TARGET_LIST])
    df = df.drop(columns=[TARGET_LIST])
    return df[df[TARGET].str.len() > 0].reset_index(drop=True)


def sister_compound_matching(
    profiles: pd.DataFrame,
    classes: pd.DataFrame,
    annotations: pd.DataFrame,
    settings: MapSettings,
    *,
    class_q: str = "notebook",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 4b, compounds: retrieved compounds sharing a target retrieve each other (|cosine|)."""
    cons = compound_targets(replicable_consensus(profiles, classes), annotations)
    if len(cons) < 2 or not _shared_label(cons[TARGET].tolist()):
        return _empty([PERT, TARGET])
    meta = pd.DataFrame({PERT: cons[PERT].astype(str), TARGET: cons[TARGET]})
    ap = settings.replace(similarity=COMPOUND_SIMILARITY).multilabel_average_precision(
        meta,
        cons[feature_columns(cons)].to_numpy(dtype=np.float64),
        pos_sameby=[TARGET],
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=[TARGET],
        multilabel_col=TARGET,
    )
    return _score(ap, settings, class_q)


def sister_guide_matching(
    profiles: pd.DataFrame,
    classes: pd.DataFrame,
    settings: MapSettings,
    *,
    class_q: str = "notebook",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 4b, CRISPR: retrieved guides of the same gene retrieve each other (cosine).

    Genes with a single retrieved guide are dropped first (the notebook's "genes without a
    sister guide")."""
    cons = replicable_consensus(profiles, classes)
    require_columns(cons, [GENE], "CRISPR consensus profiles")
    counts = cons[GENE].value_counts()
    cons = cons[cons[GENE].isin(counts.index[counts > 1])].reset_index(drop=True)
    if cons[GENE].nunique() < 2:
        return _empty([PERT, TARGET])
    meta = pd.DataFrame({PERT: cons[PERT].astype(str), TARGET: cons[GENE].astype(str)})
    ap = settings.replace(similarity=GUIDE_SIMILARITY).average_precision(
        meta,
        cons[feature_columns(cons)].to_numpy(dtype=np.float64),
        pos_sameby=[TARGET],
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=[TARGET],
    )
    return _score(ap, settings, class_q)


def compound_gene_matching(
    compound_profiles: pd.DataFrame,
    compound_classes: pd.DataFrame,
    genetic_profiles: pd.DataFrame,
    genetic_classes: pd.DataFrame,
    annotations: pd.DataFrame,
    settings: MapSettings,
    *,
    class_q: str = "notebook",
    multilabel_negatives: str = "notebook",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 4c: retrieved compounds and retrieved genetic reagents of their target genes.

    The genetic modality is read from ``Metadata_modality`` of ``genetic_profiles``. Features
    are those both sides share (the notebooks' inner concatenation). The pairs are
    :data:`CROSS_MODALITY_PAIRS`; ``multilabel_negatives`` (config
    ``cpjump1.multilabel_negatives``) picks the negatives: ``notebook`` (every pair of different
    modality, so a compound's rank list holds each reagent of its target twice, as positive and
    as negative, tied, and ordered as copairs @880f22a ordered them: :data:`CROSS_MODALITY_TIE_ORDER`)
    or ``copairs_0_5_5`` (pairs of different modality sharing no gene); see
    :data:`CROSS_MODALITY_NEGATIVES`.
    """
    if multilabel_negatives not in CROSS_MODALITY_NEGATIVES:
        raise ValueError(
            f"multilabel_negatives (config cpjump1.multilabel_negatives) must be one of "
            f"{list(CROSS_MODALITY_NEGATIVES)}, got {multilabel_negatives!r}"
        )
    gen = replicable_consensus(genetic_profiles, genetic_classes)
    require_columns(gen, [GENE, MODALITY], "genetic consensus profiles")
    gen = gen.dropna(subset=[GENE]).reset_index(drop=True)
    genes = set(gen[GENE].astype(str))
    comp = compound_targets(replicable_consensus(compound_profiles, compound_classes), annotations)
    comp[TARGET] = [[t for t in labels if t in genes] for labels in comp[TARGET]]
    comp = comp[comp[TARGET].str.len() > 0].reset_index(drop=True)
    if comp.empty or gen.empty:
        return _empty([PERT, MODALITY, TARGET])
    features = [c for c in feature_columns(comp) if c in set(feature_columns(gen))]
    if not features:
        raise ValueError("compound and genetic profiles share no feature column")
    modality = pd.concat([comp[MODALITY], gen[MODALITY]], ignore_index=True).astype(str)
    if modality.nunique() != 2:
        raise ValueError(f"expected compound and one genetic modality, got {sorted(set(modality))}")
    meta = pd.DataFrame(
        {
            PERT: pd.concat([comp[PERT], gen[PERT]], ignore_index=True).astype(str),
            MODALITY: modality,
            TARGET: list(comp[TARGET]) + [[g] for g in gen[GENE].astype(str)],
        }
    )
    feats = np.vstack(
        [comp[features].to_numpy(dtype=np.float64), gen[features].to_numpy(dtype=np.float64)]
    )
    ap = settings.replace(similarity=COMPOUND_SIMILARITY).multilabel_average_precision(
        meta,
        feats,
        **CROSS_MODALITY_PAIRS,
        multilabel_col=TARGET,
        negative_rule=CROSS_MODALITY_NEGATIVES[multilabel_negatives],
        tie_order=CROSS_MODALITY_TIE_ORDER[multilabel_negatives],
    )
    return _score(ap, settings, class_q)
