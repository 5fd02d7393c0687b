"""Phenotypic consistency: do perturbations that share an annotation look alike?

One consensus profile per perturbation (median, or mean, of its wells; pycytominer
``aggregate``); each carries the list of its annotations (text split on the separator, or a list
column). Multilabel mAP as in the paper (docs/methods.md §1.6, Fig 3E/4C/S7C): for annotation t, a
perturbation's positives are the other perturbations carrying t (differing also in
``consistency.positives_differ_in``); its negatives are the perturbations that share no
annotation with it. mAP per annotation, p-value from the shared null, BH over annotations.
With ``consistency.activity_filter`` only perturbations retrieved in the activity test are used
(the paper's text; the authors' code for cpg0004 and nELISA used all).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from mapreprod import preprocess as pcm_wrappers
from mapreprod.settings import TEST_COLUMN, MapSettings, test_columns

from .activity import RESULT_COLUMNS, with_paper_columns
from .inputs import CONTROL_COL, KEY_COL, OwnDataSpec

__all__ = ["ANNOTATIONS_COL", "consensus_profiles", "consistency_map", "split_annotations"]

#: Column of the consensus table holding each perturbation's list of annotations.
ANNOTATIONS_COL = "OwnData_annotations"


def split_annotations(value, separator: str = "|") -> list[str]:
    """The annotations of one cell: text split on ``separator`` (stripped, empty parts and
    repeats dropped), a list as is, an integer as its text; [] for a missing value."""
    if isinstance(value, (list, tuple, np.ndarray)):
        parts = [str(v).strip() for v in value if not pd.isna(v)]
    elif value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    else:
        parts = [p.strip() for p in str(value).split(separator)]
    return list(dict.fromkeys(p for p in parts if p))


def _hashable(value):
    return tuple(value) if isinstance(value, (list, np.ndarray)) else value


def _constant_within(treated: pd.DataFrame, col: str, spec: OwnDataSpec, field_name: str) -> None:
    values = treated[col].map(_hashable)
    n = values.groupby(treated[KEY_COL].to_numpy()).nunique(dropna=False)
    if (n > 1).any():
        k = int(n.index[n > 1][0])
        rows = treated[treated[KEY_COL] == k]
        name = rows[list(spec.perturbation)].iloc[0].to_dict()
        raise ValueError(
            f"{spec.key(field_name)}: column {col!r} has more than one value within perturbation "
            f"{name} ({values[rows.index].drop_duplicates().tolist()[:4]}); it must describe the "
            "perturbation, not the well"
        )


def consensus_profiles(
    prepared: pd.DataFrame,
    features: list[str],
    spec: OwnDataSpec,
    active_keys: Iterable[int] | None = None,
) -> pd.DataFrame:
    """One profile per annotated perturbation (``spec.aggregate`` of its wells).

    Parameters
    ----------
    active_keys : perturbation keys to keep (the activity filter); None = all.

    Returns
    -------
    DataFrame
        ``OwnData_perturbation``, your perturbation columns, the ``positives_differ_in``
        columns, ``OwnData_annotations`` (list of str, never empty), then the features; sorted
        by perturbation.
    """
    if spec.annotation is None:
        raise ValueError(f"{spec.key('annotation')}: not set, so there is no consistency to score")
    treated = prepared[~prepared[CONTROL_COL].to_numpy(dtype=bool)]
    if active_keys is not None:
        treated = treated[treated[KEY_COL].isin(set(active_keys))]
    describe = list(dict.fromkeys([*spec.perturbation, *spec.positives_differ_in]))
    _constant_within(treated, spec.annotation, spec, "annotation")
    for col in spec.positives_differ_in:
        _constant_within(treated, col, spec, "positives_differ_in")
    labels = treated.groupby(KEY_COL, sort=True)[spec.annotation].first()
    labels = labels.map(lambda v: split_annotations(v, spec.annotation_separator))
    labels = labels[labels.map(len) > 0]
    treated = treated[treated[KEY_COL].isin(set(labels.index))]
    columns = [KEY_COL, *describe, ANNOTATIONS_COL, *features]
    if treated.empty:
        return pd.DataFrame(columns=columns)
    agg = pcm_wrappers.aggregate(
        treated[[KEY_COL, *features]].copy(), [KEY_COL], features, operation=spec.aggregate
    )
    meta = treated.groupby(KEY_COL, sort=True)[describe].first()
    meta[ANNOTATIONS_COL] = labels
    out = agg.join(meta, on=KEY_COL).sort_values(KEY_COL, kind="stable")
    return out[columns].reset_index(drop=True)


def _has_positive_pair(consensus: pd.DataFrame, spec: OwnDataSpec) -> bool:
    """Whether two perturbations share an annotation (and differ in positives_differ_in)."""
    exploded = consensus[[ANNOTATIONS_COL, *spec.positives_differ_in]].explode(ANNOTATIONS_COL)
    for _, group in exploded.groupby(ANNOTATIONS_COL, sort=False):
        if len(group) < 2:
            continue
        if not spec.positives_differ_in:
            return True
        values = group[list(spec.positives_differ_in)].to_numpy()
        for a in range(len(values)):
            if (values[a + 1 :] != values[a]).all(axis=1).any():
                return True
    return False


def empty_consistency(spec: OwnDataSpec) -> pd.DataFrame:
    """The consistency table with no rows (nothing to score)."""
    return pd.DataFrame(columns=[spec.annotation, "n_perturbations", *RESULT_COLUMNS, TEST_COLUMN])


def consistency_map(
    consensus: pd.DataFrame, features: list[str], spec: OwnDataSpec, settings: MapSettings
) -> pd.DataFrame:
    """Phenotypic consistency of every annotation carried by two or more perturbations
    (``settings``: the engine's, the dataset entry's similarity, null size, seed, threshold).

    Returns
    -------
    DataFrame
        One row per scored annotation, sorted: the annotation (column named as your
        annotation column), ``n_perturbations`` carrying it, then mAP, p_value,
        corrected_p_value (BH over annotations), retrieved, -log10(mAP p-value), test (the
        annotations are lists: under ``map.test: permutation`` the shared null runs and ``test``
        says so). Empty when no two perturbations share an annotation.
    """
    if consensus.empty or not _has_positive_pair(consensus, spec):
        return empty_consistency(spec)
    meta = consensus[[KEY_COL, *spec.positives_differ_in, ANNOTATIONS_COL]]
    scores = settings.multilabel_group_map(
        meta,
        consensus[features].to_numpy(dtype=np.float64),
        pos_sameby=[ANNOTATIONS_COL],
        pos_diffby=[KEY_COL, *spec.positives_differ_in],
        neg_sameby=[],
        neg_diffby=[ANNOTATIONS_COL, KEY_COL],
        multilabel_col=ANNOTATIONS_COL,
        sameby=ANNOTATIONS_COL,
        analysis=f"own_data.datasets.{spec.name}: consistency",
    )
    counts = consensus[ANNOTATIONS_COL].explode().value_counts().rename("n_perturbations")
    out = with_paper_columns(scores).join(counts, on=ANNOTATIONS_COL)
    out = out.rename(columns={ANNOTATIONS_COL: spec.annotation})
    return out[[spec.annotation, "n_perturbations", *RESULT_COLUMNS, *test_columns(out)]].reset_index(drop=True)
