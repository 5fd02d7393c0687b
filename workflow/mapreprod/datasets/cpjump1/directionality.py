"""Directionality of cross-modality matches (Fig 5; not mAP), as ``5.visualize-similarities.ipynb``.

Consensus profiles, no activity filter:

* compound side: one median profile per compound (controls and empty wells removed), repeated
  once per target gene (``target_list`` exploded) and kept only for genes that the genetic side
  perturbs;
* genetic side: one median profile per gene (both CRISPR guides and every replicate collapsed;
  ORF likewise).

Every (compound-target row, gene) pair gets its cosine similarity; a pair is "Same" when the
row's target is the gene, else "Different". For each cell type and genetic modality, the four
time-point combinations are pooled; the 5th and 95th percentiles (pandas' linear quantile) of
the "Different" pairs are the null thresholds; the "Same" pairs at or below the 5th / at or
above the 95th percentile are counted, and Fisher's exact test (scipy, two-sided) compares
the two tails: table [[n - n_low, n_low], [n - n_high, n_high]]; an odds ratio above 1 means
more same-target pairs in the positive tail.

Fig 5a: ORF and CRISPR consensus per gene, every ORF x CRISPR pair of a cell type (four time
combinations). The notebook computes Fig 5a's thresholds, percentages and Fisher test from the
cell type's compound-genetic pairs (CRISPR and ORF pooled; its ``matching_df``, which is why the
paper's Fig 5a has n = 3,728 = 2 x 1,864); ``fig5a_tails="paper"`` uses the ORF-CRISPR pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .inputs import (
    GENETIC_MODALITIES,
    MODALITIES,
    MODALITY_LABELS,
    PERT,
    TARGET,
    TARGET_LIST,
    parse_condition,
)
from .preprocess import consensus, feature_columns, remove_negcon_and_empty

#: Where Fig 5a's thresholds and tail counts come from (config key cpjump1.fig5a_tails).
FIG5A_TAILS: tuple[str, ...] = ("notebook", "paper")
#: Columns of the table of same-target pairs (the source of the violins).
SIGNAL_COLUMNS = [
    "panel",
    "Cell",
    "Genetic_Perturbation",
    "Modality_1_timepoint",
    "Modality_2_timepoint",
    "Metadata_broad_sample",
    "Metadata_matching_target",
    "cosine_sim",
]


def cosine_matrix(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Cosine similarity of every (left row, right row) pair on the features both share."""
    features = [c for c in feature_columns(left) if c in set(feature_columns(right))]
    if not features:
        raise ValueError("the two sides share no feature column")
    a = left[features].to_numpy(dtype=np.float64)
    b = right[features].to_numpy(dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError("a consensus profile is all zeros: its cosine similarity is undefined")
    return (a / na) @ (b / nb).T


def gene_consensus(profiles: pd.DataFrame) -> pd.DataFrame:
    """One median profile per gene (``Metadata_matching_target``) of a genetic condition."""
    return consensus(remove_negcon_and_empty(profiles), TARGET)


def compound_consensus(profiles: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """One median profile per compound, repeated once per target (``Metadata_matching_target``;
    compounds without a target have none and drop out later)."""
    require_columns(annotations, [PERT, TARGET_LIST], "compound annotations")
    cons = consensus(remove_negcon_and_empty(profiles), PERT)
    cons = cons.drop(columns=[c for c in (TARGET, TARGET_LIST) if c in cons])
    cons = cons.merge(annotations[[PERT, TARGET_LIST]], on=PERT, how="left")
    cons[TARGET] = cons[TARGET_LIST].str.split("|")
    return cons.drop(columns=[TARGET_LIST]).explode(TARGET).reset_index(drop=True)


def similarity_pairs(
    left: pd.DataFrame, right: pd.DataFrame, restrict_left: bool = True
) -> tuple[pd.DataFrame, np.ndarray]:
    """Cosine of every (left row, right row) pair, split by target.

    ``left`` and ``right`` are consensus tables with ``Metadata_matching_target`` (left: one
    row per compound and target, or per ORF gene; right: per gene). With ``restrict_left``, left
    rows whose target is not among the right side's genes are dropped first (the notebook does
    this for compounds, "genes not perturbed by ORFs or CRISPRs", not for ORF-CRISPR pairs).

    Returns
    -------
    (same, different): the same-target pairs (``Metadata_broad_sample`` and
    ``Metadata_matching_target`` of the left row, ``cosine_sim``) and the cosine similarities of
    all the other pairs (1-D array).
    """
    genes = right[TARGET].astype(str).to_numpy()
    if restrict_left:
        left = left[left[TARGET].isin(set(genes))].reset_index(drop=True)
    sims = cosine_matrix(left, right)
    targets = left[TARGET].astype(str).to_numpy()
    same = targets[:, None] == genes[None, :]
    i, j = np.nonzero(same)
    same_pairs = pd.DataFrame(
        {
            "Metadata_broad_sample": left[PERT].to_numpy()[i],
            "Metadata_matching_target": targets[i],
            "cosine_sim": sims[i, j],
        }
    )
    return same_pairs, sims[~same]


def tail_summary(signal: np.ndarray, null: np.ndarray) -> dict[str, float]:
    """Null thresholds and the signal's tails, with Fisher's exact test on them.

    Returns fifth_percentile, ninetyfifth_percentile (linear interpolation, like pandas'
    ``quantile``), n, n_fifth_percentile (signal <= 5th), n_ninetyfifth_percentile
    (signal >= 95th), the two percents (shares of n) and fishers_exact_statistic /
    fishers_exact_pvalue of [[n - n_low, n_low], [n - n_high, n_high]].
    """
    from scipy import stats  # imported here: scipy.stats is slow to import

    signal = np.asarray(signal, dtype=np.float64)
    null = np.asarray(null, dtype=np.float64)
    if signal.size == 0 or null.size == 0:
        raise ValueError("tail_summary needs same-target pairs and a null of different-target pairs")
    low, high = np.quantile(null, [0.05, 0.95])
    n = int(signal.size)
    n_low = int((signal <= low).sum())
    n_high = int((signal >= high).sum())
    test = stats.fisher_exact(np.array([[n - n_low, n_low], [n - n_high, n_high]]))
    return {
        "fifth_percentile": float(low),
        "ninetyfifth_percentile": float(high),
        "n": n,
        "n_fifth_percentile": n_low,
        "n_ninetyfifth_percentile": n_high,
        "percent_fifth_percentile": n_low / n,
        "percent_ninetyfifth_percentile": n_high / n,
        "fishers_exact_statistic": float(test.statistic),
        "fishers_exact_pvalue": float(test.pvalue),
    }


def directionality_tables(
    profiles: Mapping[str, pd.DataFrame],
    annotations: pd.DataFrame,
    fig5a_tails: str = "notebook",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 5 from the condition profiles.

    Parameters
    ----------
    profiles : condition name (e.g. ``compound_A549_short``) -> condition profiles (as
        :func:`~mapreprod.datasets.cpjump1.preprocess.condition_profiles` returns them); every
        compound and genetic condition of a cell type is used.
    annotations : compound targets (``Metadata_broad_sample``, ``Metadata_target_list``).
    fig5a_tails : "notebook" (Fig 5a's thresholds and tails from the cell type's
        compound-genetic pairs, CRISPR and ORF pooled) or "paper" (from its ORF-CRISPR pairs).

    Returns
    -------
    (signal, summary): the same-target pairs (:data:`SIGNAL_COLUMNS`; panel "a" = ORF-CRISPR,
    "b" = compound-genetic) and one row per panel, cell type and genetic perturbation with the
    thresholds, tail counts and Fisher's test (:func:`tail_summary`).
    """
    if fig5a_tails not in FIG5A_TAILS:
        raise ValueError(f"cpjump1.fig5a_tails must be one of {FIG5A_TAILS}, got {fig5a_tails!r}")
    by_cell: dict[str, dict[str, dict[str, pd.DataFrame]]] = {}
    for name, df in profiles.items():
        modality, cell, time = parse_condition(name)
        by_cell.setdefault(cell, {}).setdefault(modality, {})[time] = df
    signal_parts, rows = [], []
    for cell in sorted(by_cell):
        conds = by_cell[cell]
        missing = [m for m in MODALITIES if m not in conds]
        if missing:
            raise ValueError(f"Fig 5 needs every modality of {cell}; missing {missing}")
        genes = {m: {t: gene_consensus(df) for t, df in conds[m].items()} for m in GENETIC_MODALITIES}
        compounds = {t: compound_consensus(df, annotations) for t, df in conds["compound"].items()}
        pooled_same, pooled_null = [], []
        for gm in GENETIC_MODALITIES:
            label = MODALITY_LABELS[gm]
            same_all, null_all = [], []
            for ct, comp in sorted(compounds.items()):
                for gt, gen in sorted(genes[gm].items()):
                    same, null = similarity_pairs(comp, gen)
                    signal_parts.append(
                        same.assign(panel="b", Cell=cell, Genetic_Perturbation=label,
                                    Modality_1_timepoint=ct, Modality_2_timepoint=gt)
                    )
                    same_all.append(same["cosine_sim"].to_numpy())
                    null_all.append(null)
            rows.append({"panel": "b", "cell": cell, "genetic_perturbation": label,
                         **tail_summary(np.concatenate(same_all), np.concatenate(null_all))})
            pooled_same += same_all
            pooled_null += null_all
        orf_same, orf_null = [], []
        for ot, orf in sorted(genes["orf"].items()):
            for crt, crispr in sorted(genes["crispr"].items()):
                same, null = similarity_pairs(orf, crispr, restrict_left=False)
                signal_parts.append(
                    same.assign(panel="a", Cell=cell, Genetic_Perturbation="ORF-CRISPR",
                                Modality_1_timepoint=ot, Modality_2_timepoint=crt)
                )
                orf_same.append(same["cosine_sim"].to_numpy())
                orf_null.append(null)
        if fig5a_tails == "paper":
            signal, null = np.concatenate(orf_same), np.concatenate(orf_null)
        else:
            signal, null = np.concatenate(pooled_same), np.concatenate(pooled_null)
        rows.append({"panel": "a", "cell": cell, "genetic_perturbation": "ORF-CRISPR",
                     **tail_summary(signal, null)})
    signal_table = pd.concat(signal_parts, ignore_index=True)[SIGNAL_COLUMNS]
    summary = pd.DataFrame(rows).sort_values(["panel", "cell", "genetic_perturbation"])
    return signal_table, summary.reset_index(drop=True)
