"""cpg0004 inputs: the Drug Repurposing Hub label tables (CLUE format) and the pairing definitions."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

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


#: Pair definitions of Fig S7A and S7C (docs/methods.md §4).
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

