"""cpg0004 / LINCS Cell Painting: labels, dose selection, activity and consistency (SPEC §4).

The experiment behind Fig S7A (phenotypic activity of compounds at 10 uM against same-plate DMSO)
and Fig S7C (phenotypic consistency of compounds that share a target gene, from consensus
profiles), as the authors' ``experiments/3_cpg0004/lincs.py`` computes it. Target annotations come
from the Drug Repurposing Hub (CLUE ``repurposing_drugs`` / ``repurposing_samples`` tables).

Only :func:`read_repurposing_table` and :func:`write_repurposing_table` touch files: they read and
write the CLUE tab-separated format (comment lines starting with ``!``, then a header).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

import mapeval
from mapreprod.common import paper_columns

#: Dose points of the LINCS plate maps, in uM; ``Metadata_dose_recode`` is the 1-based index of
#: the nearest one (0 for DMSO). Level 6 is 10 uM, the dose the paper uses.
PRIMARY_DOSES: tuple[float, ...] = (0.04, 0.12, 0.37, 1.11, 3.33, 10.0, 20.0)
#: Number of ``!`` comment lines heading each CLUE table (the authors read with skiprows=9).
CLUE_COMMENT_LINES = 9
#: Characters kept of a broad id to identify a compound (``BRD-K12345678``); the authors remove
#: the last 9 characters (``-001-01-1``: salt, batch, check digit) of the 22-character sample id.
BROAD_ID_SUFFIX = 9
DMSO = "DMSO"
#: Columns the authors' pairing needs in the replicate-level profiles.
ACTIVITY_COLUMNS = ("Metadata_broad_sample", "Metadata_Plate", "Metadata_pert_type")
#: Pair definitions of Fig S7A and S7C (SPEC §4).
ACTIVITY_PAIRS = {
    "pos_sameby": ["Metadata_broad_sample"],
    # no well constraint: the replicates of a compound sit in the same well of different plates
    "pos_diffby": [],
    "neg_sameby": ["Metadata_Plate"],
    "neg_diffby": ["Metadata_pert_type", "Metadata_broad_sample"],
}
CONSISTENCY_PAIRS = {
    "pos_sameby": ["Metadata_target"],
    "pos_diffby": ["Metadata_broad_sample"],
    "neg_sameby": [],
    "neg_diffby": ["Metadata_target"],
}

__all__ = [
    "ACTIVITY_PAIRS",
    "active_compounds",
    "CONSISTENCY_PAIRS",
    "PRIMARY_DOSES",
    "add_dose_recode",
    "figure_table",
    "label_consensus",
    "merge_labels",
    "phenotypic_activity",
    "phenotypic_consistency",
    "read_repurposing_table",
    "recode_dose",
    "reproduction_table",
    "select_activity_profiles",
    "split_profiles",
    "truncate_broad_id",
    "unique_controls",
    "write_repurposing_table",
]


# ---------------------------------------------------------------------------------------------
# Files (CLUE format)


def read_repurposing_table(path: str | os.PathLike, required: Sequence[str] = ()) -> pd.DataFrame:
    """Read a Drug Repurposing Hub table: ``!`` comment lines, then a tab-separated header and rows.

    Parameters
    ----------
    path : path of ``repurposing_drugs_*.txt`` or ``repurposing_samples_*.txt``.
    required : columns the table must have.

    Raises
    ------
    ValueError
        If the file does not start with the 9 ``!`` lines of the CLUE format, or lacks a column.
    """
    with open(path, encoding="utf-8") as handle:
        n_comments = 0
        for line in handle:
            if not line.startswith("!"):
                break
            n_comments += 1
    if n_comments != CLUE_COMMENT_LINES:
        raise ValueError(
            f"{path}: expected {CLUE_COMMENT_LINES} '!' comment lines (CLUE repurposing table), "
            f"found {n_comments}"
        )
    table = pd.read_csv(path, sep="\t", skiprows=CLUE_COMMENT_LINES, dtype=str)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; columns are {list(table.columns)}")
    return table


def write_repurposing_table(table: pd.DataFrame, path: str | os.PathLike, table_name: str) -> None:
    """Write ``table`` in the CLUE format read by :func:`read_repurposing_table` (atomically)."""
    header = [
        "!Source\tsynthetic stand-in written by mapeval (schema of the Drug Repurposing Hub)",
        "!URL\thttps://clue.io/repurposing",
        "!File_date\t3/24/2020",
        f"!Table_name\t{table_name}",
        "!API_available\tnot applicable",
        "!Disclaimer\tsynthetic labels; not biological annotations",
        "!Restrictions\tnone",
        "!Citation\tCorsello SM, et al. Nature Medicine. 2017;23(4):405-408 (schema only)",
        "!Contact\tnone",
    ]
    assert len(header) == CLUE_COMMENT_LINES
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("\n".join(header) + "\n")
        table.to_csv(handle, sep="\t", index=False)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Labels


def truncate_broad_id(ids: pd.Series) -> pd.Series:
    """Compound part of broad sample ids: all but the last 9 characters (the authors' ``str[:-9]``).

    ``BRD-K12345678-001-01-1`` becomes ``BRD-K12345678``; ``DMSO`` (shorter than 9) becomes "".
    """
    return ids.str[:-BROAD_ID_SUFFIX]


def merge_labels(drugs: pd.DataFrame, samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Target genes per compound id from the Repurposing Hub tables (the authors' ``merge_labels``).

    1. Join drugs and samples on ``pert_iname``.
    2. Stack ``deprecated_broad_id`` and ``broad_id`` into one id column; drop rows with a missing
       value in any column (so compounds without a target annotation drop out).
    3. Split ids on "|", explode, truncate each to the compound id (:func:`truncate_broad_id`).
    4. Split ``target`` on "|" and explode.
    5. Drop duplicate (id, target) rows and join the targets (and names) back with "|", in order of
       first appearance.

    Returns
    -------
    labels : DataFrame with columns ``broad_id`` (13-character compound id, unique),
        ``pert_iname`` and ``target`` ("|"-joined).
    mapper : DataFrame ``broad_id``, ``pert_iname``: the most common name of each id, counted over
        the exploded (id, target) rows as the authors do; ties go to the alphabetically first.
    """
    for name, table, cols in (
        ("drugs", drugs, ["pert_iname", "target"]),
        ("samples", samples, ["pert_iname", "broad_id", "deprecated_broad_id"]),
    ):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise ValueError(f"{name} table lacks column(s) {missing}")
    labels = drugs.merge(samples, on="pert_iname")
    labels = labels[["deprecated_broad_id", "broad_id", "pert_iname", "target"]]
    labels = labels.melt(id_vars=["pert_iname", "target"]).dropna()
    labels = labels.drop(columns="variable").rename(columns={"value": "broad_id"})
    labels["broad_id"] = labels["broad_id"].str.split("|")
    labels = labels.explode("broad_id")
    labels["broad_id"] = truncate_broad_id(labels["broad_id"])
    labels["target"] = labels["target"].str.split("|")
    labels = labels.explode("target")

    counts = labels.groupby(["broad_id", "pert_iname"]).size().rename("n").reset_index()
    counts = counts.sort_values(["broad_id", "n", "pert_iname"], ascending=[True, False, True])
    mapper = counts.drop_duplicates("broad_id")[["broad_id", "pert_iname"]].reset_index(drop=True)

    labels = labels.drop_duplicates(subset=["broad_id", "target"])
    labels = (
        labels.groupby("broad_id", sort=True)[["pert_iname", "target"]]
        .agg("|".join)
        .reset_index()
    )
    return labels, mapper


# ---------------------------------------------------------------------------------------------
# Profiles


def recode_dose(
    mmoles_per_liter: pd.Series | np.ndarray, doses: Sequence[float] = PRIMARY_DOSES
) -> np.ndarray:
    """Dose level of each concentration: 1 + index of the nearest of ``doses`` (lincs-cell-painting
    ``recode_dose``). A missing concentration gets level 0; DMSO is set to 0 by the caller."""
    x = np.asarray(mmoles_per_liter, dtype=float)
    grid = np.asarray(doses, dtype=float)
    level = np.abs(x[:, None] - grid[None, :]).argmin(axis=1) + 1
    return np.where(np.isnan(x), 0, level)


def add_dose_recode(profiles: pd.DataFrame) -> pd.DataFrame:
    """Profiles with ``Metadata_dose_recode`` (from ``Metadata_mmoles_per_liter``; DMSO = 0).

    The published spherized and consensus tables carry the column already; per-plate level-4
    tables (like ``SQ00015054_normalized_feature_select``) do not. An existing column is kept.
    """
    if "Metadata_dose_recode" in profiles.columns:
        return profiles
    for col in ("Metadata_mmoles_per_liter", "Metadata_broad_sample"):
        if col not in profiles.columns:
            raise ValueError(f"profiles have neither Metadata_dose_recode nor {col}")
    level = recode_dose(profiles["Metadata_mmoles_per_liter"])
    level = np.where(profiles["Metadata_broad_sample"].eq(DMSO), 0, level)
    recoded = pd.Series(level.astype(np.int64), index=profiles.index, name="Metadata_dose_recode")
    return pd.concat([profiles, recoded], axis=1)


def split_profiles(profiles: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Metadata (columns starting with ``Metadata_``, index reset) and the float feature matrix."""
    meta_cols = [c for c in profiles.columns if str(c).startswith("Metadata_")]
    feat_cols = [c for c in profiles.columns if c not in meta_cols]
    if not feat_cols:
        raise ValueError("profiles have no feature columns (every column starts with Metadata_)")
    bad = [c for c in feat_cols if not pd.api.types.is_numeric_dtype(profiles[c])]
    if bad:
        raise ValueError(f"non-numeric feature column(s) {bad[:5]}: metadata must start with Metadata_")
    meta = profiles[meta_cols].reset_index(drop=True).copy()
    return meta, profiles[feat_cols].to_numpy(dtype=np.float64)


def _require(profiles: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in profiles.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def select_activity_profiles(profiles: pd.DataFrame, dose: int = 6) -> pd.DataFrame:
    """Replicate profiles at one dose level, plus the DMSO wells of the plates holding that dose.

    Parameters
    ----------
    profiles : replicate-level profiles with ``Metadata_dose_recode`` (or concentrations, see
        :func:`add_dose_recode`), ``Metadata_broad_sample`` and ``Metadata_Plate``.
    dose : dose level (6 = 10 uM).

    Returns
    -------
    DataFrame, index reset, rows in their original order.
    """
    profiles = add_dose_recode(profiles)
    _require(profiles, ["Metadata_broad_sample", "Metadata_Plate"], "activity profiles")
    at_dose = profiles["Metadata_dose_recode"].eq(dose)
    if not at_dose.any():
        raise ValueError(f"activity profiles: no row has Metadata_dose_recode == {dose}")
    plates = profiles.loc[at_dose, "Metadata_Plate"].unique()
    keep = at_dose | (
        profiles["Metadata_broad_sample"].eq(DMSO) & profiles["Metadata_Plate"].isin(plates)
    )
    return profiles.loc[keep].reset_index(drop=True)


def unique_controls(meta: pd.DataFrame) -> pd.DataFrame:
    """Give every DMSO well its own id (``DMSO_0``, ``DMSO_1``, ...) so controls form no positive
    pairs and get no AP (the authors' ``_unique_negcons``)."""
    meta = meta.copy()
    is_dmso = meta["Metadata_broad_sample"].eq(DMSO).to_numpy()
    meta.loc[is_dmso, "Metadata_broad_sample"] = [f"{DMSO}_{i}" for i in range(int(is_dmso.sum()))]
    return meta


def _map_settings(null_size: int, threshold: float, seed: int, null_sampler: str, map_null: str) -> dict:
    return {
        "null_size": null_size,
        "threshold": threshold,
        "seed": seed,
        "null_sampler": null_sampler,
        "map_null": map_null,
    }


def phenotypic_activity(
    profiles: pd.DataFrame,
    *,
    dose: int = 6,
    null_size: int = 50_000,
    threshold: float = 0.05,
    seed: int = 0,
    similarity: str = "cosine",
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig S7A: can each compound's replicates be retrieved against same-plate DMSO wells?

    Selects the dose (:func:`select_activity_profiles`), makes DMSO ids unique, scores every
    replicate with AP (positives: same ``Metadata_broad_sample``; negatives: DMSO wells on the
    same plate) and groups by compound (BH over compounds).

    Returns
    -------
    ap : one row per profile (DMSO rows have AP NaN).
    map : one row per compound, :func:`mapeval.mean_average_precision` columns.
    """
    _require(profiles, ACTIVITY_COLUMNS, "activity profiles")
    selected = select_activity_profiles(profiles, dose)
    meta, feats = split_profiles(selected)
    meta = unique_controls(meta)
    ap = mapeval.average_precision(
        meta, feats, **ACTIVITY_PAIRS, similarity=similarity, batch_size=batch_size
    )
    scores = mapeval.mean_average_precision(
        ap, ["Metadata_broad_sample"], **_map_settings(null_size, threshold, seed, null_sampler, map_null)
    )
    return ap, scores


def label_consensus(
    consensus: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    dose: int = 6,
    active: Collection[str] | None = None,
) -> pd.DataFrame:
    """Consensus profiles of the annotated compounds at one dose, ready for the consistency AP.

    As the authors' ``label_profiles`` + ``ap_biological``: truncate ``Metadata_broad_sample`` to
    the compound id, set ``Metadata_target`` from ``labels`` (dropping compounds without one),
    keep the dose, drop DMSO, split the targets into lists.

    Parameters
    ----------
    consensus : per-compound, per-dose consensus profiles.
    labels : :func:`merge_labels` output (``broad_id``, ``target``).
    dose : dose level (6 = 10 uM).
    active : full ``Metadata_broad_sample`` ids that passed the activity test. If given, only their
        profiles are kept (the paper's text, L148); None keeps every compound (the authors' code).

    Returns
    -------
    DataFrame, index reset; ``Metadata_target`` holds a list of target genes per profile.
    """
    consensus = add_dose_recode(consensus)
    _require(consensus, ["Metadata_broad_sample"], "consensus profiles")
    _require(labels, ["broad_id", "target"], "labels")
    if labels["broad_id"].duplicated().any():
        raise ValueError("labels: broad_id is not unique (pass the merge_labels output)")
    out = consensus
    if active is not None:
        out = out.loc[out["Metadata_broad_sample"].isin(set(active))]
    out = out.assign(Metadata_broad_sample=truncate_broad_id(out["Metadata_broad_sample"]))
    targets = out["Metadata_broad_sample"].map(labels.set_index("broad_id")["target"])
    out = out.assign(Metadata_target=targets).dropna(subset=["Metadata_target"])
    out = out.loc[out["Metadata_dose_recode"].eq(dose) & out["Metadata_broad_sample"].ne(DMSO)]
    out = out.reset_index(drop=True)
    out["Metadata_target"] = out["Metadata_target"].str.split("|")
    return out


def phenotypic_consistency(
    consensus: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    dose: int = 6,
    active: Collection[str] | None = None,
    null_size: int = 50_000,
    threshold: float = 0.05,
    seed: int = 0,
    similarity: str = "cosine",
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig S7C: do compounds annotated with the same target gene have similar profiles?

    Multilabel AP (SPEC §1.6) over the :func:`label_consensus` profiles: for target t, positives
    are other compounds carrying t, negatives are compounds sharing no target. mAP per target, BH
    over targets.

    Returns
    -------
    ap : one row per (compound profile, target).
    map : one row per target.
    """
    labeled = label_consensus(consensus, labels, dose=dose, active=active)
    if labeled.empty:
        raise ValueError("consensus profiles: no annotated compound at the selected dose")
    meta, feats = split_profiles(labeled)
    ap = mapeval.multilabel.average_precision(
        meta,
        feats,
        **CONSISTENCY_PAIRS,
        multilabel_col="Metadata_target",
        similarity=similarity,
        batch_size=batch_size,
    )
    scores = mapeval.mean_average_precision(
        ap, ["Metadata_target"], **_map_settings(null_size, threshold, seed, null_sampler, map_null)
    )
    return ap, scores


def active_compounds(activity_map: pd.DataFrame) -> list[str]:
    """Compounds (full ``Metadata_broad_sample``) whose activity passes BH-corrected p < threshold."""
    _require(activity_map, ["Metadata_broad_sample", "below_corrected_p"], "activity mAP table")
    hit = activity_map["below_corrected_p"].astype(bool)
    return sorted(activity_map.loc[hit, "Metadata_broad_sample"].astype(str))


def figure_table(map_scores: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The table Fig S7A/S7C are drawn from: one row per ``unit`` with the authors' plot columns
    (``mAP``, ``p_value``, ``corrected_p_value``, ``p < 0.05``, ``-log10(mAP p-value)``)."""
    _require(map_scores, [unit, "mean_average_precision", "corrected_p_value", "below_corrected_p"],
             "mAP table")
    table = paper_columns(map_scores)
    columns = [unit, "mAP", "p_value", "corrected_p_value", "p < 0.05", "-log10(mAP p-value)"]
    return table[columns].sort_values(unit).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Reproduction summary


def reproduction_table(
    activity_map: pd.DataFrame,
    consistency_map: pd.DataFrame,
    *,
    synthetic: bool,
    activity_filter: bool,
) -> pd.DataFrame:
    """The paper's cpg0004 numbers next to ours (columns figure, quantity, paper, ours, note).

    Paper values (L148, L308): 34% of compounds retrieved (S7A), 32% of target genes consistent
    (S7C), 1,327 compounds.
    """
    _require(consistency_map, ["Metadata_target", "below_corrected_p"], "consistency mAP table")
    n_compounds = int(activity_map["Metadata_broad_sample"].nunique())
    act = mapeval.percent_retrieved(activity_map["below_corrected_p"])
    con = mapeval.percent_retrieved(consistency_map["below_corrected_p"])
    source = (
        "SYNTHETIC profiles with planted signal (schema of the LINCS tables; real profiles not "
        "reachable offline): not comparable to the paper"
        if synthetic
        else "real LINCS profiles"
    )
    filt = (
        "consistency on activity-filtered compounds (paper text)"
        if activity_filter
        else "no activity filter before consistency (authors' code)"
    )
    rows = [
        ("S7A", "compounds retrieved (phenotypic activity)", "34%", f"{100 * act:.1f}%",
         f"{source}; dose 6 (10 uM), same-plate DMSO negatives"),
        ("S7C", "target genes consistent (phenotypic consistency)", "32%", f"{100 * con:.1f}%",
         f"{source}; {filt}; {len(consistency_map)} targets scored"),
        ("S7A", "compounds scored", "1327", str(n_compounds),
         f"{source}; distinct Metadata_broad_sample at dose 6"),
    ]
    # texts, as the other parts' tables: a count stays a count next to percentages in the CSV
    return pd.DataFrame(rows, columns=["figure", "quantity", "paper", "ours", "note"])
