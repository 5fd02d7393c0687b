"""Perturbation matching (Fig 4b within a modality, Fig 4c across modalities; docs/methods.md §12.3-12.4).

Every task works on median consensus profiles (one per ``Metadata_broad_sample``, controls and
empty wells removed) of the perturbations retrieved in the detection task of the same
condition (``above_q_threshold``), as ``1.0.calculate-map-cp.ipynb`` does:

* sister compounds (:func:`sister_compound_matching`): each compound's targets
  (``target_list`` split on "|") are its labels; positives share a target, negatives share none
  (multilabel AP, one row per compound and target); absolute cosine similarity.
* sister guides (:func:`sister_guide_matching`): CRISPR guides of genes with at least two
  retrieved guides; positives target the same gene, negatives another gene; cosine similarity.
* compound-gene pairs (:func:`compound_gene_matching`): the retrieved compounds, their targets
  restricted to the genes of the retrieved genetic reagents (compounds left without a target are
  dropped), and every retrieved reagent of one genetic modality (CRISPR or ORF) labelled with
  its gene; positives share a gene and differ in modality, negatives share no gene and differ in
  modality; absolute cosine similarity.

Each returns (ap, classes) like :func:`~mapreprod.datasets.cpjump1.activity.replicate_retrieval`,
classes being target genes; both are empty where no positive pair exists.
"""

from __future__ import annotations

import mapeval
import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .activity import CLASS_COLUMNS, ap_p_values, class_scores
from .inputs import GENE, MODALITY, PERT, TARGET, TARGET_LIST
from .preprocess import consensus, feature_columns, remove_negcon_and_empty


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
        columns=[*ap_columns, "n_pos_pairs", "n_total_pairs", "average_precision", "p_value"]
    )
    return ap, pd.DataFrame(columns=[TARGET, *CLASS_COLUMNS])


def _score(ap, null_size, seed, threshold, class_q, null_sampler):
    ap = ap[ap["average_precision"].notna()].reset_index(drop=True)
    ap["p_value"] = ap_p_values(ap, null_size, seed, null_sampler)
    return ap, class_scores(ap, TARGET, threshold, class_q)


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
    *,
    null_size: int = 100_000,
    seed: int = 0,
    threshold: float = 0.05,
    class_q: str = "notebook",
    null_sampler: str = "fast",
    batch_size: int = 2048,
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 4b, compounds: retrieved compounds sharing a target retrieve each other (|cosine|)."""
    cons = compound_targets(replicable_consensus(profiles, classes), annotations)
    if len(cons) < 2 or not _shared_label(cons[TARGET].tolist()):
        return _empty([PERT, TARGET])
    meta = pd.DataFrame({PERT: cons[PERT].astype(str), TARGET: cons[TARGET]})
    ap = mapeval.multilabel.average_precision(
        meta,
        cons[feature_columns(cons)].to_numpy(dtype=np.float64),
        pos_sameby=[TARGET],
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=[TARGET],
        multilabel_col=TARGET,
        similarity="abs_cosine",
        batch_size=batch_size,
        threads=threads,
    )
    return _score(ap, null_size, seed, threshold, class_q, null_sampler)


def sister_guide_matching(
    profiles: pd.DataFrame,
    classes: pd.DataFrame,
    *,
    null_size: int = 100_000,
    seed: int = 0,
    threshold: float = 0.05,
    class_q: str = "notebook",
    null_sampler: str = "fast",
    batch_size: int = 2048,
    threads: int | None = None,
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
    ap = mapeval.average_precision(
        meta,
        cons[feature_columns(cons)].to_numpy(dtype=np.float64),
        pos_sameby=[TARGET],
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=[TARGET],
        similarity="cosine",
        batch_size=batch_size,
        threads=threads,
    )
    return _score(ap, null_size, seed, threshold, class_q, null_sampler)


def compound_gene_matching(
    compound_profiles: pd.DataFrame,
    compound_classes: pd.DataFrame,
    genetic_profiles: pd.DataFrame,
    genetic_classes: pd.DataFrame,
    annotations: pd.DataFrame,
    *,
    null_size: int = 100_000,
    seed: int = 0,
    threshold: float = 0.05,
    class_q: str = "notebook",
    null_sampler: str = "fast",
    batch_size: int = 2048,
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 4c: retrieved compounds and retrieved genetic reagents of their target genes.

    The genetic modality is read from ``Metadata_modality`` of ``genetic_profiles``. Features
    are those both sides share (the notebooks' inner concatenation).
    """
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
    ap = mapeval.multilabel.average_precision(
        meta,
        feats,
        pos_sameby=[TARGET],
        pos_diffby=[MODALITY],
        neg_sameby=[],
        neg_diffby=[TARGET, MODALITY],
        multilabel_col=TARGET,
        similarity="abs_cosine",
        batch_size=batch_size,
        threads=threads,
    )
    return _score(ap, null_size, seed, threshold, class_q, null_sampler)
