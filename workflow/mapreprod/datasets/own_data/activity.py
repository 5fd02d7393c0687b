"""Phenotypic activity of your perturbations: replicates retrieved against control wells.

Design (the paper's, docs/methods.md §1.1): controls get a unique reference index, so they never form
positive pairs; positives are two wells of one perturbation (differing in
``activity.replicates_differ_in``); negatives are (perturbation well, control well) pairs, on
the same plate with ``activity.controls: same_plate``.

Sharding (``shards: N``): the AP of a query well depends only on its own positive and negative
pairs, that is on the wells of its perturbation and on the control wells. So the perturbations
are split into N contiguous shares of about equal well counts (:func:`shard_of_rows`), and shard
s scores the wells of its share together with every control well (:func:`shard_average_precision`).
The mAP null distributions are *not* shard-invariant: copairs seeds one null per distinct
(n_pos, n_total) configuration, in the sorted order of all configurations of the call, and BH
runs over all perturbations. So the p-values are computed once, after gathering the shards in
the original row order (:func:`gather_activity`), and the tables equal one unsharded job's.
"""

from __future__ import annotations

import mapeval
import numpy as np
import pandas as pd

from mapreprod.common import paper_columns
from mapreprod.settings import MapSettings, test_columns

from .inputs import CONTROL_COL, KEY_COL, OwnDataSpec, has_pair_differing_in

__all__ = [
    "AP_COLUMNS",
    "RESULT_COLUMNS",
    "ROW_COL",
    "activity_design",
    "activity_table",
    "gather_activity",
    "retrieved_keys",
    "shard_average_precision",
    "shard_of_rows",
    "with_paper_columns",
]

ROW_COL = "OwnData_row"
_REFERENCE_COL = "OwnData_reference"
#: Columns of one shard's AP table (one row per scored perturbation well).
AP_COLUMNS = [ROW_COL, KEY_COL, "n_pos_pairs", "n_total_pairs", "average_precision"]
#: Result columns after the perturbation columns (activity) or the annotation (consistency).
RESULT_COLUMNS = [
    "mAP",
    "p_value",
    "corrected_p_value",
    "retrieved",
    "-log10(mAP p-value)",
]


def shard_of_rows(key: np.ndarray, n_shards: int) -> np.ndarray:
    """Shard of every well: perturbations (ascending key) cut into ``n_shards`` contiguous
    shares of about equal well counts; -1 for controls (key -1), which every shard uses.

    A perturbation is never split across shards. Shards may be empty when there are fewer
    perturbations than shards.
    """
    if n_shards < 1:
        raise ValueError(f"n_shards must be at least 1, got {n_shards}")
    key = np.asarray(key, dtype=np.int64)
    out = np.full(len(key), -1, dtype=np.int64)
    treated = key >= 0
    if not treated.any():
        return out
    sizes = np.bincount(key[treated])
    before = np.cumsum(sizes) - sizes  # wells of the perturbations with a smaller key
    pert_shard = np.minimum(before * n_shards // int(sizes.sum()), n_shards - 1)
    out[treated] = pert_shard[key[treated]]
    return out


def _empty_ap() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64") for c in AP_COLUMNS[:-1]}
                        | {"average_precision": pd.Series(dtype="float64")})


def activity_design(
    prepared: pd.DataFrame, features: list[str], spec: OwnDataSpec, rows: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray, dict[str, list[str]]]:
    """The activity design of the wells ``rows`` of ``prepared`` (default all): their pairing
    metadata (the perturbation key, the controls' reference index, the columns replicates must
    differ in, the plate with same-plate controls), their features (rows x features, float64)
    and the pair rules (pos_sameby, pos_diffby, neg_sameby, neg_diffby)."""
    rows = np.arange(len(prepared)) if rows is None else rows
    diff_cols = list(spec.replicates_differ_in)
    plate_cols = [spec.plate] if spec.activity_controls == "same_plate" else []
    meta_cols = list(dict.fromkeys([KEY_COL, CONTROL_COL, *diff_cols, *plate_cols]))
    meta = prepared.iloc[rows][meta_cols].reset_index(drop=True)
    meta = mapeval.assign_reference_index(
        meta, meta[CONTROL_COL].to_numpy(dtype=bool), reference_col=_REFERENCE_COL
    )
    feats = prepared.iloc[rows, prepared.columns.get_indexer(features)].to_numpy(dtype=np.float64)
    pairs = {
        "pos_sameby": [KEY_COL, _REFERENCE_COL],
        "pos_diffby": diff_cols,
        "neg_sameby": plate_cols,
        "neg_diffby": [KEY_COL, _REFERENCE_COL],
    }
    return meta, feats, pairs


def shard_average_precision(
    prepared: pd.DataFrame,
    features: list[str],
    spec: OwnDataSpec,
    settings: MapSettings,
    shard: int = 0,
    n_shards: int = 1,
) -> pd.DataFrame:
    """AP of every well of one shard's perturbations against the control wells.

    Parameters
    ----------
    prepared : the prepared table (``preprocess.prepare_profiles``), all wells.
    features : its feature columns.
    spec : the dataset's mapping (pairing columns, same-plate controls).
    settings : the engine's (only the similarity, batch size and threads are used: no null).
    shard, n_shards : which share of the perturbations (:func:`shard_of_rows`).

    Returns
    -------
    DataFrame with :data:`AP_COLUMNS`: ``OwnData_row`` (row of ``prepared``), the perturbation
    key, ``n_pos_pairs``, ``n_total_pairs`` and ``average_precision``, one row per well with at
    least one replicate; empty when the shard has no perturbation with two wells.
    """
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard must be in [0, {n_shards}), got {shard}")
    key = prepared[KEY_COL].to_numpy(dtype=np.int64)
    where = shard_of_rows(key, n_shards)
    rows = np.flatnonzero((where == shard) | (where == -1))
    treated = prepared.iloc[rows[key[rows] >= 0]]
    if treated.empty or not has_pair_differing_in(treated, KEY_COL, list(spec.replicates_differ_in)):
        return _empty_ap()  # no replicate pair in this shard
    meta, feats, pairs = activity_design(prepared, features, spec, rows)
    ap = settings.average_precision(meta, feats, **pairs)
    ap[ROW_COL] = rows
    ap = ap[ap["average_precision"].notna() & (ap["n_pos_pairs"] > 0)]
    return ap[AP_COLUMNS].reset_index(drop=True)


def with_paper_columns(scores: pd.DataFrame) -> pd.DataFrame:
    """An mAP table (:func:`mapeval.mean_average_precision`) with the paper's columns
    (:func:`mapreprod.common.paper_columns`: ``mAP``, ``-log10(mAP p-value)``), the call named
    ``retrieved`` (corrected p below the threshold)."""
    return paper_columns(scores).rename(columns={"p < 0.05": "retrieved"})


def gather_activity(
    shards: list[pd.DataFrame],
    prepared: pd.DataFrame,
    spec: OwnDataSpec,
    settings: MapSettings,
    features: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stack the shards' APs in row order and compute mAP, p-values and BH once, with the test
    of ``map.test`` (``settings``: null size, seed, sampler, test, relabelings, threshold).

    The label-permutation test (``map.test: permutation``) relabels profiles, so it needs the
    whole prepared table with its ``features``: it runs here, once over every perturbation
    (its result does not depend on the shards), with the plates as strata where replicates
    must differ in the plate (one well per plate relabelled among that plate's controls).

    Returns
    -------
    (ap, activity)
        ``ap``: one row per scored well (:data:`AP_COLUMNS` plus the perturbation columns);
        ``activity``: :func:`activity_table`.
    """
    ap = pd.concat([s for s in shards if len(s)] or [_empty_ap()], ignore_index=True)
    ap = ap.sort_values(ROW_COL, kind="stable").reset_index(drop=True)
    if ap[ROW_COL].duplicated().any():
        raise ValueError("a well was scored by two shards: the shard files do not belong together")
    if ap.empty:
        raise ValueError(
            f"{spec.key('perturbation')}: no perturbation well has a replicate to retrieve"
        )
    what = f"own_data.datasets.{spec.name}: activity"
    if settings.test == "permutation":
        if features is None:
            raise ValueError("gather_activity: map.test is 'permutation': pass the prepared table "
                             "with its features (features=...)")
        meta, feats, pairs = activity_design(prepared, features, spec)
        # replicates on different plates with controls from every plate: relabel within plates
        per_plate = spec.plate is not None and spec.plate in spec.replicates_differ_in
        strata = spec.plate if per_plate and not pairs["neg_sameby"] else None
        scores = settings.group_map(meta, feats, **pairs, sameby=KEY_COL, strata=strata,
                                    analysis=what)
    else:  # the AP-table tests score the gathered APs
        scores = settings.group_map(None, None, [], [], [], [], sameby=KEY_COL, ap=ap,
                                    analysis=what)
    pert = list(spec.perturbation)
    ap_out = ap.join(prepared[pert], on=ROW_COL)
    return ap_out[[ROW_COL, *pert, *AP_COLUMNS[1:]]], activity_table(scores, prepared, spec)


def activity_table(scores: pd.DataFrame, prepared: pd.DataFrame, spec: OwnDataSpec) -> pd.DataFrame:
    """The activity result: one row per scored perturbation, your perturbation columns first,
    then ``n_replicates`` (its wells), mAP, p_value, corrected_p_value (BH), retrieved
    (corrected p below the threshold), -log10(mAP p-value) (of the corrected p, floored at
    machine epsilon) and ``test`` (the test that made the call, with ``p_value_exact`` and the
    relabelings where the test reports them), in the sorted order of the perturbation columns."""
    pert = list(spec.perturbation)
    treated = prepared[~prepared[CONTROL_COL].to_numpy(dtype=bool)]
    names = treated.groupby(KEY_COL, sort=True)[pert].first()
    wells = treated.groupby(KEY_COL, sort=True).size().rename("n_replicates")
    out = with_paper_columns(scores).join(names, on=KEY_COL).join(wells, on=KEY_COL)
    return out[[*pert, "n_replicates", *RESULT_COLUMNS, *test_columns(out)]].reset_index(drop=True)


def retrieved_keys(table: pd.DataFrame, prepared: pd.DataFrame, spec: OwnDataSpec) -> list[int]:
    """Perturbation keys of the retrieved rows of an activity table read back from CSV (its
    perturbation columns are matched to the prepared table's, cast to the same types)."""
    pert = list(spec.perturbation)
    treated = prepared.loc[~prepared[CONTROL_COL].to_numpy(dtype=bool), [KEY_COL, *pert]]
    names = treated.drop_duplicates(KEY_COL)
    hits = table.loc[table["retrieved"].astype(bool), pert].copy()
    for col in pert:
        hits[col] = hits[col].astype(names[col].dtype)
    keys = names.merge(hits, on=pert, how="inner")[KEY_COL]
    if len(keys) != len(hits):
        raise ValueError(
            f"{spec.key('perturbation')}: {len(hits) - len(keys)} retrieved perturbation(s) of the "
            "activity table are not in the prepared profiles: rerun the activity step"
        )
    return sorted(keys.astype(int).tolist())

