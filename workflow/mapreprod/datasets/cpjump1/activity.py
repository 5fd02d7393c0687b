"""Perturbation detection (Fig 4a, Extended Data Fig 1): replicates against same-plate controls.

For one condition (docs/methods.md §12.2): every non-control well is a query; its positives are the other
wells of the same perturbation (``Metadata_broad_sample``), its negatives the negative-control
wells of its own plate; similarity is cosine. Each AP gets a permutation p-value
(1 + #{null > AP}) / (1 + null_size) from the null of its (n_pos, n_total) configuration, and
each perturbation ("class") a q-value (:func:`class_scores`). A class is retrieved when its
q-value is below the threshold (0.05); the fraction retrieved is the share of such classes.

Variants (Extended Data Fig 1): ``same_well`` keeps only positives in the same well position
(``pos_sameby`` gains ``Metadata_Well``), ``different_well`` only positives in another well
(``pos_diffby = [Metadata_Well]``); ``all`` (Fig 4a) has no well constraint.
"""

from __future__ import annotations

import mapeval
import numpy as np
import pandas as pd
from mapeval.nulls import p_value_greater

from mapreprod.common import require_columns
from mapreprod.settings import TEST_COLUMN, MapSettings

from .inputs import CONTROL_INDEX, CONTROL_TYPE, MODALITY, NEGCON, PERT, PLATE, WELL
from .preprocess import feature_columns

#: Replicate-retrieval variants: no well constraint, same well only, different well only.
VARIANTS: tuple[str, ...] = ("all", "same_well", "different_well")
#: Similarity of replicate retrieval (the notebooks' cosine; not a config key).
SIMILARITY = "cosine"
#: How a class's q-value is formed (config key cpjump1.class_q).
CLASS_Q: tuple[str, ...] = ("notebook", "paper")
#: Columns of a class table, after the class column(s).
CLASS_COLUMNS = [
    "n_members",
    "mAP",
    "p_value",
    "nlog10pvalue",
    "q_value",
    "nlog10qvalue",
    "above_p_threshold",
    "above_q_threshold",
]


def ap_p_values(ap: pd.DataFrame, settings: MapSettings) -> np.ndarray:
    """Permutation p-value of every AP: (1 + #{null > AP}) / (1 + null_size).

    The strict ">" is copairs' ``compute_p_values`` at the commit the notebooks ran (880f22a),
    hence not :meth:`MapSettings.ap_p_values` (">="). The nulls are mapeval's, one per distinct
    (n_pos_pairs, n_total_pairs) in sorted order, drawn with ``settings.null_size``, ``seed``
    and ``null_sampler`` (the notebooks: 100,000 samples, unseeded).

    Parameters
    ----------
    ap : rows with ``average_precision``, ``n_pos_pairs`` and ``n_total_pairs`` (no NaN AP).
    settings : the engine settings (needs a ``null_size``).

    Under ``map.test: exact`` the p-value is the exact P(null >= AP) of the AP's configuration
    (:meth:`MapSettings.ap_p_values`; the strict ">" belongs to the sampled null of copairs, where
    it drops the observed value's ties, and has no meaning for the exact distribution). The other
    tests use the sampled null: for one AP the shared and the independent null coincide, and the
    label-permutation test has no AP-level version (the class tables' ``test`` column says so;
    docs/methods.md §1.9).

    Returns
    -------
    Array of p-values aligned with the rows of ``ap``.
    """
    require_columns(ap, ["average_precision", "n_pos_pairs", "n_total_pairs"], "ap_p_values")
    if ap["average_precision"].isna().any():
        raise ValueError("ap_p_values: drop the rows without an average precision first")
    if ap.empty:
        return np.empty(0)
    if settings.test == "exact":
        return settings.ap_p_values(ap)
    settings.log_ap_level()
    confs = ap[["n_pos_pairs", "n_total_pairs"]].to_numpy(dtype=np.int64)
    configs, rev = np.unique(confs, axis=0, return_inverse=True)
    rev = rev.ravel()
    nulls = settings.null_distributions(configs)
    values = ap["average_precision"].to_numpy(dtype=np.float64)
    p = np.empty(len(ap))
    for c in range(len(configs)):
        sel = rev == c
        p[sel] = p_value_greater(np.sort(nulls[c]), values[sel])
    return p


def class_scores(
    ap: pd.DataFrame,
    class_cols: str | list[str],
    threshold: float = 0.05,
    class_q: str = "notebook",
) -> pd.DataFrame:
    """mAP and q-value of each class from its members' APs and AP p-values.

    ``class_q="notebook"`` (default; copairs ``aggregate`` as the notebooks call it): the class
    p-value is the geometric mean of its members' p-values, -log10 p = mean(-log10 p_i); BH is
    applied once, across the classes. ``class_q="paper"`` (the Methods' wording): BH over all AP
    p-values of the call first, then the class q-value is the geometric mean of its members'
    q-values. Either way a class is retrieved when -log10 q > -log10(threshold).

    Returns
    -------
    DataFrame, one row per class (sorted by the class columns): the class columns and
    :data:`CLASS_COLUMNS`.
    """
    if class_q not in CLASS_Q:
        raise ValueError(f"cpjump1.class_q must be one of {CLASS_Q}, got {class_q!r}")
    if not 0 < threshold < 1:
        raise ValueError(f"cpjump1.threshold must be in (0, 1), got {threshold}")
    cols = [class_cols] if isinstance(class_cols, str) else list(class_cols)
    require_columns(ap, [*cols, "average_precision", "p_value"], "class_scores")
    if ap.empty:
        raise ValueError("class_scores: no average precision to aggregate")
    work = ap[cols].copy()
    work["average_precision"] = ap["average_precision"].to_numpy(dtype=np.float64)
    work["nlog10p"] = -np.log10(ap["p_value"].to_numpy(dtype=np.float64))
    if class_q == "paper":
        work["nlog10q"] = -np.log10(mapeval.benjamini_hochberg(ap["p_value"].to_numpy(dtype=np.float64)))
    grouped = work.groupby(cols, sort=True, observed=True)
    out = grouped.size().rename("n_members").reset_index()
    out["mAP"] = grouped["average_precision"].mean().to_numpy()
    out["nlog10pvalue"] = grouped["nlog10p"].mean().to_numpy()
    out["p_value"] = 10.0 ** -out["nlog10pvalue"]
    if class_q == "notebook":
        out["q_value"] = mapeval.benjamini_hochberg(out["p_value"].to_numpy())
        out["nlog10qvalue"] = -np.log10(out["q_value"])
    else:
        out["nlog10qvalue"] = grouped["nlog10q"].mean().to_numpy()
        out["q_value"] = 10.0 ** -out["nlog10qvalue"]
    cut = -np.log10(threshold)
    out["above_p_threshold"] = out["nlog10pvalue"] > cut
    out["above_q_threshold"] = out["nlog10qvalue"] > cut
    return out[[*cols, *CLASS_COLUMNS]]


def fraction_retrieved(classes: pd.DataFrame) -> float:
    """Share of classes with ``above_q_threshold`` (the papers' "fraction retrieved")."""
    require_columns(classes, ["above_q_threshold"], "fraction_retrieved")
    if classes.empty:
        return float("nan")
    return float(classes["above_q_threshold"].astype(bool).mean())


def replicate_retrieval(
    profiles: pd.DataFrame,
    settings: MapSettings,
    *,
    variant: str = "all",
    class_q: str = "notebook",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Perturbation detection in one condition (the notebooks' replicability mAP).

    Parameters
    ----------
    profiles : output of :func:`~mapreprod.datasets.cpjump1.preprocess.condition_profiles`.
    settings : the engine settings: ``null_size``, ``seed``, ``null_sampler`` of the AP
        p-values, ``threshold`` of the class q-values; the similarity is the notebooks'
        (:data:`SIMILARITY`), whatever ``settings.similarity`` says.
    variant : "all" (Fig 4a), "same_well" or "different_well" (Extended Data Fig 1).
    class_q : how a class's q-value is formed (:func:`class_scores`, config cpjump1.class_q).

    Returns
    -------
    (ap, classes): one row per scored well (its metadata, ``n_pos_pairs``, ``n_total_pairs``,
    ``average_precision``, ``p_value``, ``test``) and one row per perturbation
    (:func:`class_scores`, then ``test``: the AP-level null behind the class q-values, see
    :func:`ap_p_values`).
    Negative-control wells are never queries: they get the reference index, so they form no
    positive pairs; the APs of the other wells are those of the notebooks' pairing
    (pos_sameby = broad_sample, neg_sameby = Plate, neg_diffby = negcon).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown replicate-retrieval variant {variant!r}: use one of {VARIANTS}")
    require_columns(profiles, [PERT, PLATE, WELL, NEGCON, CONTROL_TYPE], "replicate_retrieval")
    df = mapeval.assign_reference_index(
        profiles, profiles[NEGCON].to_numpy() == 1, reference_col=CONTROL_INDEX
    )
    features = feature_columns(df)
    keep_meta = [c for c in (PERT, PLATE, WELL, CONTROL_TYPE, MODALITY, NEGCON, CONTROL_INDEX) if c in df.columns]
    meta = df[keep_meta].copy()
    for col in (PERT, PLATE, WELL):
        meta[col] = meta[col].astype(str)
    pos_sameby = [PERT, CONTROL_INDEX] + ([WELL] if variant == "same_well" else [])
    pos_diffby = [WELL] if variant == "different_well" else []
    ap = settings.replace(similarity=SIMILARITY).average_precision(
        meta,
        df[features].to_numpy(dtype=np.float64),
        pos_sameby=pos_sameby,
        pos_diffby=pos_diffby,
        neg_sameby=[PLATE],
        neg_diffby=[NEGCON],
    )
    ap = ap[ap["average_precision"].notna() & (ap[NEGCON] == 0)].reset_index(drop=True)
    ap = ap.drop(columns=[CONTROL_INDEX])
    if ap.empty:
        raise ValueError(f"replicate_retrieval ({variant}): no well has a replicate to retrieve")
    ap["p_value"] = ap_p_values(ap, settings)
    classes = class_scores(ap, PERT, settings.threshold, class_q)
    ap[TEST_COLUMN] = classes[TEST_COLUMN] = settings.ap_test_label()
    return ap, classes
