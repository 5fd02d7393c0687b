"""The other metrics beside mAP on your own profiles: every metric your columns allow
(docs/methods.md §15; config ``own_data.metrics.<name>``).

On the prepared profiles (the activity and consistency steps' input):

* always: the energy distance of each perturbation's replicate wells to its control wells (the
  activity pairing: controls of the same plate with ``activity.controls: same_plate``, and the
  relabelings per plate), its permutation p-value and the agreement with the activity call;
* with ``columns.annotation``: retrieval metrics (recall@k, interpolated MAP, folds of
  enrichment) of the consistency step's consensus profiles by annotation; with
  ``consistency.positives_differ_in`` (a compound column of compound-dose perturbations)
  another dose of the same compound is neither a hit nor a miss;
* with ``own_data.metrics.<name>.gene``: known-relationship recall of the gene-level profiles
  (mean of the wells of a gene's perturbations) against the relationship files;
* with ``own_data.metrics.<name>.cell_count``: the cell-count baseline (the count normalized to
  the control wells of each plate), run through the activity pairing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mapeval
import numpy as np
import pandas as pd

from mapreprod import annotations, metrics
from mapreprod.settings import MapSettings

from .consistency import ANNOTATIONS_COL, consensus_profiles
from .inputs import CONTROL_COL, KEY_COL, OwnDataSpec

__all__ = [
    "METRICS_KEYS",
    "cell_count_table",
    "energy_table",
    "map_calls",
    "metrics_options",
    "recall_table",
    "relationship_inputs",
    "relationship_sources",
    "retrieval_table",
]

_REFERENCE = "OwnData_reference"
#: Keys of an ``own_data.metrics.<name>`` entry and their defaults (the schema's).
METRICS_KEYS: dict[str, Any] = {"gene": None, "cell_count": None, "relationships": None}


def metrics_options(name: str, section: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``own_data.metrics.<name>`` entry with the defaults filled in (unknown keys refused,
    naming the key)."""
    entry = dict((section or {}).get(name) or {})
    unknown = sorted(set(entry) - set(METRICS_KEYS))
    if unknown:
        raise ValueError(f"own_data.metrics.{name}: unknown key(s) {unknown}; known: {list(METRICS_KEYS)}")
    return {**METRICS_KEYS, **entry}


def relationship_inputs(options: Mapping[str, Any]) -> dict[str, str]:
    """Named inputs of the relationship files of a dataset with a gene column: its own files
    (``relationships``: pair lists, ``relationships_<i>``), or the four published sources
    (:func:`mapreprod.annotations.relationship_inputs`); none without a gene column."""
    if options.get("gene") is None:
        return {}
    if options.get("relationships"):
        return {f"relationships_{i}": str(path) for i, path in enumerate(options["relationships"])}
    return annotations.relationship_inputs("own_data", synthetic=False)


def relationship_sources(options: Mapping[str, Any]) -> dict[str, str]:
    """Named input of :func:`relationship_inputs` -> its source name (your files: the file name
    without its extensions)."""
    if options.get("gene") is None:
        return {}
    if options.get("relationships"):
        return {f"relationships_{i}": Path(str(path)).name.split(".")[0]
                for i, path in enumerate(options["relationships"])}
    return {name: source for source, name in annotations.INPUT_NAMES.items()}


def activity_pairs(spec: OwnDataSpec) -> dict[str, list[str]]:
    """The activity pairing (``activity.shard_average_precision``) without
    ``activity.replicates_differ_in``: the energy distance compares all of a perturbation's wells
    with its controls, and its relabelings need every pair of replicates to be positives."""
    plate = [spec.plate] if spec.activity_controls == "same_plate" else []
    return {
        "pos_sameby": [KEY_COL, _REFERENCE],
        "pos_diffby": [],
        "neg_sameby": plate,
        "neg_diffby": [KEY_COL, _REFERENCE],
    }


def _meta(prepared: pd.DataFrame, spec: OwnDataSpec) -> pd.DataFrame:
    cols = list(dict.fromkeys([KEY_COL, CONTROL_COL, *([spec.plate] if spec.plate else [])]))
    meta = prepared[cols].reset_index(drop=True)
    return mapeval.assign_reference_index(
        meta, meta[CONTROL_COL].to_numpy(dtype=bool), reference_col=_REFERENCE
    )


def map_calls(activity: pd.DataFrame, prepared: pd.DataFrame, spec: OwnDataSpec) -> pd.DataFrame:
    """The activity table (read back from CSV) keyed by ``OwnData_perturbation`` (its
    perturbation columns matched to the prepared table's, as text), as the mAP side of the
    agreement table; ``perturbation`` names it ("|"-joined perturbation columns)."""
    pert = list(spec.perturbation)
    treated = prepared.loc[~prepared[CONTROL_COL].to_numpy(dtype=bool), [KEY_COL, *pert]]
    names = treated.drop_duplicates(KEY_COL).astype({c: str for c in pert})
    table = activity.astype({c: str for c in pert}).merge(names, on=pert, how="inner", validate="one_to_one")
    return pd.DataFrame({
        KEY_COL: table[KEY_COL].astype(str),
        "perturbation": table[pert].agg("|".join, axis=1),
        "mAP": table["mAP"], "map_p_value": table["p_value"],
        "map_corrected_p_value": table["corrected_p_value"],
        "map_called": table["retrieved"].astype(bool),
    })


def energy_table(
    prepared: pd.DataFrame,
    features: list[str],
    activity: pd.DataFrame,
    spec: OwnDataSpec,
    settings: MapSettings,
) -> pd.DataFrame:
    """Energy distance of every perturbation to its controls, next to its activity call.

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` keyed by ``OwnData_perturbation`` with the
    ``perturbation`` name after it and a first column ``scope`` (the dataset's name).
    """
    meta = _meta(prepared, spec)
    feats = prepared[features].to_numpy(dtype=np.float64)
    energy = metrics.energy_activity(meta, feats, activity_pairs(spec), KEY_COL, settings)
    energy = energy[energy[KEY_COL] >= 0]
    calls = map_calls(activity, prepared, spec)
    table = metrics.agreement_table(calls.drop(columns="perturbation"), energy, [KEY_COL], settings.threshold)
    table.insert(1, "perturbation", table[KEY_COL].map(dict(zip(calls[KEY_COL], calls["perturbation"]))))
    table.insert(0, "scope", spec.name)
    return table


def retrieval_table(
    prepared: pd.DataFrame,
    features: list[str],
    spec: OwnDataSpec,
    settings: MapSettings,
    active_keys: Iterable[int] | None = None,
) -> pd.DataFrame | None:
    """Retrieval metrics of the consistency step's consensus profiles by annotation
    (:func:`~.consistency.consensus_profiles`, the same activity filter); None when no two
    perturbations share an annotation. ``consistency.positives_differ_in`` columns are the
    ``exclude_same`` key (e.g. the compound of compound-dose perturbations)."""
    cons = consensus_profiles(prepared, features, spec, active_keys)
    labels = cons[ANNOTATIONS_COL].tolist()
    same = None
    if spec.positives_differ_in:
        same = cons[list(spec.positives_differ_in)].astype(str).agg("|".join, axis=1)
    counts = pd.Series([a for ls in labels for a in set(ls)], dtype=object).value_counts()
    if len(cons) < 2 or not (counts >= 2).any():
        return None
    try:
        row, _ = metrics.retrieval_summary(
            cons[features].to_numpy(dtype=np.float64), labels, settings, scope=spec.name,
            annotation=spec.annotation or "annotation", exclude_same=same,
        )
    except ValueError as err:
        if "nothing to retrieve" in str(err):  # only doses of one compound share an annotation
            return None
        raise
    return row


def recall_table(
    prepared: pd.DataFrame,
    features: list[str],
    spec: OwnDataSpec,
    gene: str,
    relationships: pd.DataFrame,
    settings: MapSettings,
) -> pd.DataFrame:
    """Known-relationship recall of the gene-level profiles: every non-control well whose
    ``gene`` column is set, averaged per gene (:func:`mapreprod.metrics.relationship_recall`).

    Raises
    ------
    ValueError
        The gene column is missing (naming the key ``own_data.metrics.<name>.gene``).
    """
    if gene not in prepared.columns:
        raise ValueError(
            f"own_data.metrics.{spec.name}.gene: column {gene!r} is not in your profiles "
            f"(columns e.g. {[c for c in prepared.columns if not c.startswith('OwnData_')][:8]})"
        )
    treated = ~prepared[CONTROL_COL].to_numpy(dtype=bool) & prepared[gene].notna().to_numpy()
    part = prepared[treated]
    return metrics.relationship_recall(
        part[features].to_numpy(dtype=np.float64), part[gene].astype(str).str.strip().to_numpy(),
        relationships, settings, scope=spec.name,
    )


def cell_count_table(
    prepared: pd.DataFrame,
    activity: pd.DataFrame,
    spec: OwnDataSpec,
    column: str,
    settings: MapSettings,
    *,
    sphered: bool = False,
) -> tuple[pd.DataFrame | None, str | None]:
    """The cell-count baseline (:func:`mapreprod.metrics.cell_count_baseline`) of the count in
    ``column`` of the prepared table. A metadata column is as in your files; a feature column
    has been normalized per plate, an affine change that the per-plate normalization to the
    controls undoes (the same numbers), unless the profiles were sphered.

    Returns
    -------
    (table, None), or (None, why) when it cannot be computed: no such column (e.g. dropped by
    feature selection), sphered features, one plate for all wells without a plate column is
    fine, a count constant in a plate's control wells (:func:`mapreprod.metrics.cell_count_problem`).
    """
    key = f"own_data.metrics.{spec.name}.cell_count"
    if column not in prepared.columns:
        return None, (f"{key}: column {column!r} is not in the prepared profiles (a feature dropped by "
                      "feature selection, or a typo); name a metadata copy of the count")
    if sphered and not column.startswith(spec.metadata_prefix):
        return None, f"{key}: {column!r} is a feature and the profiles are sphered (spherize: true)"
    meta = _meta(prepared, spec)
    plate_col = spec.plate or "OwnData_plate"
    if not spec.plate:
        meta[plate_col] = "all"
    controls = prepared[CONTROL_COL].to_numpy(dtype=bool)
    values = prepared[column]
    problem = metrics.cell_count_problem(values, meta[plate_col], controls, column)
    if problem:
        return None, f"{key}: {problem}"
    calls = map_calls(activity, prepared, spec)
    table = metrics.cell_count_baseline(
        meta, values.to_numpy(dtype=np.float64), perturbation=KEY_COL, plate=plate_col,
        controls=controls, pairs=activity_pairs(spec), settings=settings,
        map_calls=calls[[KEY_COL, "mAP", "map_called"]].rename(columns={KEY_COL: "perturbation"}),
    )
    names = dict(zip(calls[KEY_COL], calls["perturbation"]))
    table.insert(1, "name", table["perturbation"].map(names))
    table.insert(0, "scope", spec.name)
    return table, None
