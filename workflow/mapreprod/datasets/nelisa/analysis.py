"""nELISA vs Cell Painting (Fig 4A-D, SPEC §6): preprocessing, activity, consistency, figures.

Two assays profile the same physical wells: Cell Painting (CellProfiler features) and nELISA
(191 secreted-protein abundances, columns like ``"Activin A [NSU]"``). Per assay:

1. MAD-robustize every feature per plate (:func:`robustize_per_plate`); Cell Painting is also
   feature-selected (:func:`select_cellpainting_features`); NaN ``Metadata_broad_sample`` (the
   DMSO wells) becomes ``"NA"``.
2. :func:`unify` keeps the compounds present in every assay with the same number of replicates.
3. :func:`activity_map`: each compound's replicates against the DMSO wells.
4. :func:`consistency_map`: compound consensus profiles, retrieved by shared target (multilabel).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

import mapeval
from mapreprod.common import paper_columns
from mapreprod import preprocess

# Plotting (matplotlib) is imported inside the plot functions: the preprocessing rules run in the
# pycytominer environment, which has no matplotlib.

__all__ = [
    "ASSAYS",
    "AssaySpec",
    "activity_map",
    "consistency_map",
    "consistency_profiles",
    "fill_missing_broad_sample",
    "pivot_assays",
    "plot_assay_columns",
    "plot_assay_pivot",
    "preprocess_profiles",
    "reproduction_table",
    "robustize_per_plate",
    "select_cellpainting_features",
    "unify",
]

PERT = "Metadata_broad_sample"
TARGET_LIST = "Metadata_target_list"
TARGET = "Metadata_target"
CONTROL_INDEX = "Metadata_control_index"
NEGCON = "Metadata_control_type == 'negcon'"
MISSING_PERT = "NA"

#: Columns of the activity / consistency result tables (the authors' csv files).
RESULT_COLUMNS = [
    "mAP",
    "p_value",
    "corrected_p_value",
    "below_p",
    "p < 0.05",
    "-log10(mAP p-value)",
]


@dataclass(frozen=True)
class AssaySpec:
    """How one assay's profiles are preprocessed and labelled."""

    label: str
    plate_col: str
    feature_select: bool


#: The two assays, in the paper's column order (Cell Painting | nELISA).
ASSAYS: dict[str, AssaySpec] = {
    "cellpainting": AssaySpec("Cell Painting", "Metadata_Plate", feature_select=True),
    "nelisa": AssaySpec("nELISA", "Metadata_nelisa_plate_id", feature_select=False),
}


def _assay(name: str) -> AssaySpec:
    if name not in ASSAYS:
        raise ValueError(f"unknown assay {name!r} (config key nelisa.assays): use {list(ASSAYS)}")
    return ASSAYS[name]


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} missing from the profiles")


# --------------------------------------------------------------------------------------------
# Preprocessing
# --------------------------------------------------------------------------------------------


def robustize_per_plate(df: pd.DataFrame, plate_col: str) -> pd.DataFrame:
    """MAD-robustize every non-``Metadata_`` column within each plate, fitted on all wells.

    x -> (x - median) / (1.4826 MAD + 1e-18), per plate (pycytominer ``mad_robustize``).
    """
    _require(df, [plate_col], "robustize_per_plate")
    features = preprocess.feature_columns(df)
    return preprocess.normalize(df, features, method="mad_robustize", by=plate_col)


def select_cellpainting_features(
    df: pd.DataFrame, operations: Sequence[str], na_cutoff: float = 0.0
) -> pd.DataFrame:
    """Cell Painting feature selection (SPEC §6: five operations, ``na_cutoff`` 0).

    Operation names mean what they meant in pycytominer 1.2.2 (``variance_threshold`` is the
    frequency filter); see :func:`mapreprod.preprocess.select_features`.
    """
    return preprocess.select_features(
        df, preprocess.feature_columns(df), list(operations), na_cutoff=na_cutoff
    )


def fill_missing_broad_sample(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with NaN ``Metadata_broad_sample`` (the DMSO wells) set to ``"NA"``."""
    _require(df, [PERT], "fill_missing_broad_sample")
    out = df.copy()
    out[PERT] = out[PERT].astype(object).where(out[PERT].notna(), MISSING_PERT)
    return out


def preprocess_profiles(
    df: pd.DataFrame,
    assay: str,
    operations: Sequence[str] = (),
    na_cutoff: float = 0.0,
) -> pd.DataFrame:
    """Per-plate MAD robustize, feature selection where the assay has it, NaN pert -> "NA"."""
    spec = _assay(assay)
    _require(df, [PERT, TARGET_LIST, "Metadata_control_type", spec.plate_col], assay)
    out = robustize_per_plate(df, spec.plate_col)
    if spec.feature_select and operations:
        out = select_cellpainting_features(out, operations, na_cutoff)
    return fill_missing_broad_sample(out)


def unify(profiles: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Keep the compounds present in every table with the same replicate count in each.

    The authors' rule (two tables) generalised: drop a ``Metadata_broad_sample`` missing from any
    table, then drop one whose row count differs between tables. One table is returned as is.
    Row order is kept; indexes are reset.
    """
    names = list(profiles)
    if not names:
        raise ValueError("unify: no profiles given")
    for name in names:
        _require(profiles[name], [PERT], f"unify({name})")
    counts = pd.concat({n: profiles[n].groupby(PERT, dropna=False).size() for n in names}, axis=1)
    same = counts.notna().all(axis=1) & counts.nunique(axis=1, dropna=False).eq(1)
    keep = set(counts.index[same])
    return {n: profiles[n][profiles[n][PERT].isin(keep)].reset_index(drop=True) for n in names}


# --------------------------------------------------------------------------------------------
# mAP
# --------------------------------------------------------------------------------------------


def _split(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    features = preprocess.feature_columns(df)
    meta = df[[c for c in df.columns if c not in set(features)]]
    return meta, df[features].to_numpy(dtype=np.float64)


def activity_map(
    df: pd.DataFrame,
    *,
    same_plate_controls: bool = False,
    null_size: int = 100_000,
    seed: int = 0,
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Phenotypic activity of each compound: its replicates retrieved against DMSO wells.

    Positive pairs: same compound (never two DMSO wells: each has its own control index).
    Negative pairs: compound well x DMSO well (both pairing columns differ). With
    ``same_plate_controls`` (the e9a5414 code) negatives are restricted to the same
    ``Metadata_Plate``. mAP per compound, BH over compounds, then the "NA" group is dropped.

    Returns
    -------
    DataFrame
        ``Metadata_broad_sample`` + :data:`RESULT_COLUMNS`, one row per compound.
    """
    _require(df, [PERT, "Metadata_control_type"], "activity_map")
    if same_plate_controls:
        _require(df, ["Metadata_Plate"], "activity_map(same_plate_controls)")
    df = mapeval.assign_reference_index(df, NEGCON, reference_col=CONTROL_INDEX)
    meta, feats = _split(df)
    ap = mapeval.average_precision(
        meta,
        feats,
        pos_sameby=[PERT, CONTROL_INDEX],
        pos_diffby=[],
        neg_sameby=["Metadata_Plate"] if same_plate_controls else [],
        neg_diffby=[PERT, CONTROL_INDEX],
        batch_size=batch_size,
    )
    m = mapeval.mean_average_precision(
        ap,
        PERT,
        null_size,
        threshold=0.05,
        seed=seed,
        null_sampler=null_sampler,
        map_null=map_null,
    )
    out = paper_columns(m)
    out = out[out[PERT] != MISSING_PERT].reset_index(drop=True)
    return out[[PERT, *RESULT_COLUMNS]]


def consistency_profiles(df: pd.DataFrame, active: Sequence[str] | None = None) -> pd.DataFrame:
    """Median consensus profile per (compound, target list), targets split on "|".

    Rows with NaN target list drop out (as in a pandas groupby) and so does "NA". With
    ``active`` only those compounds are kept (the paper's "phenotypically active" filter; the
    authors' code has none).

    Returns
    -------
    DataFrame
        ``Metadata_broad_sample``, ``Metadata_target_list``, ``Metadata_target`` (list of str),
        then the features.
    """
    _require(df, [PERT, TARGET_LIST], "consistency_profiles")
    features = preprocess.feature_columns(df)
    if active is not None:
        df = df[df[PERT].isin(set(active))]
    df = df[df[TARGET_LIST].notna() & (df[PERT] != MISSING_PERT)]
    if df.empty:
        raise ValueError("consistency_profiles: no compound with a target list is left")
    agg = preprocess.aggregate(df, [PERT, TARGET_LIST], features)
    agg.insert(2, TARGET, agg[TARGET_LIST].astype(str).str.split("|"))
    return agg.reset_index(drop=True)


def consistency_map(
    df: pd.DataFrame,
    *,
    active: Sequence[str] | None = None,
    null_size: int = 100_000,
    seed: int = 0,
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Phenotypic consistency of each target: compounds sharing it retrieve each other.

    Multilabel AP on :func:`consistency_profiles`: positives share a target and differ in
    compound; negatives share no target and differ in compound. mAP per target, BH over targets.

    Returns
    -------
    DataFrame
        ``Metadata_target`` + :data:`RESULT_COLUMNS`, one row per target with >= 2 compounds.
    """
    agg = consistency_profiles(df, active)
    meta, feats = _split(agg)
    ap = mapeval.multilabel.average_precision(
        meta,
        feats,
        pos_sameby=[TARGET],
        pos_diffby=[PERT],
        neg_sameby=[],
        neg_diffby=[TARGET, PERT],
        multilabel_col=TARGET,
        batch_size=batch_size,
    )
    m = mapeval.mean_average_precision(
        ap,
        TARGET,
        null_size,
        threshold=0.05,
        seed=seed,
        null_sampler=null_sampler,
        map_null=map_null,
    )
    out = paper_columns(m)
    return out[[TARGET, *RESULT_COLUMNS]]


# --------------------------------------------------------------------------------------------
# Tables for figures and the reproduction summary
# --------------------------------------------------------------------------------------------


def stack_assays(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One long table with an ``Assay`` column (the figure label), in the paper's assay order."""
    names = [n for n in ASSAYS if n in tables]
    return pd.concat([tables[n].assign(Assay=ASSAYS[n].label) for n in names], ignore_index=True)


def pivot_assays(tables: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """-log10(mAP p-value) of each ``key`` value side by side: one column per assay label.

    Only keys scored in every assay are kept (Fig 4B/4D).
    """
    if not all(n in tables for n in ASSAYS):
        raise ValueError(f"pivot_assays needs both assays {list(ASSAYS)}, got {list(tables)}")
    wide = stack_assays(tables).pivot(index=key, columns="Assay", values="-log10(mAP p-value)")
    labels = [ASSAYS[n].label for n in ASSAYS]
    return wide[labels].dropna().reset_index()


def plot_assay_columns(tables: Mapping[str, pd.DataFrame], title: str, xlabel: str = "mAP"):
    """Fig 4A / 4C: one scatter + KDE column per assay (Cell Painting | nELISA)."""
    import matplotlib.pyplot as plt

    from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

    names = [n for n in ASSAYS if n in tables]
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(4.6 * len(names), 4.4),
        squeeze=False,
        layout="constrained",
        sharey=True,
    )
    for ax, name in zip(axes[0], names, strict=True):
        # Each panel keeps its own legend: the group sizes differ between assays.
        plot_map_scatter_kde(tables[name], ax, title=ASSAYS[name].label, xlabel=xlabel)
    fig.suptitle(title)
    return fig


def plot_assay_pivot(wide: pd.DataFrame, title: str):
    """Fig 4B / 4D: Cell Painting vs nELISA -log10 p per compound or target."""
    import matplotlib.pyplot as plt

    from mapreprod.plotting.scatter_kde import plot_pivot_scatter

    cp, ne = ASSAYS["cellpainting"].label, ASSAYS["nelisa"].label
    fig, ax = plt.subplots(figsize=(4.6, 4.6), layout="constrained")
    plot_pivot_scatter(
        wide,
        x=cp,
        y=ne,
        ax=ax,
        title=title,
        xlabel=f"{cp} -log10(mAP p-value)",
        ylabel=f"{ne} -log10(mAP p-value)",
        top_left_label=f"{ne} retrieved",
        bottom_right_label=f"{cp} retrieved",
    )
    return fig


#: SPEC §10 rows of Fig 4A-D: (figure, quantity, paper value, how to compute ours).
_PAPER = [
    ("Fig 4A/B", "activity retrieved, Cell Painting", "72%", "activity", "cellpainting", "pct"),
    ("Fig 4A/B", "activity retrieved, nELISA", "39%", "activity", "nelisa", "pct"),
    ("Fig 4A", "compounds scored, Cell Painting", "300", "activity", "cellpainting", "n"),
    ("Fig 4A", "compounds scored, nELISA", "300", "activity", "nelisa", "n"),
    (
        "Fig 4C/D",
        "consistency retrieved, Cell Painting",
        "23%",
        "consistency",
        "cellpainting",
        "pct",
    ),
    ("Fig 4C/D", "consistency retrieved, nELISA", "5%", "consistency", "nelisa", "pct"),
    ("Fig 4C", "targets scored, Cell Painting", "413", "consistency", "cellpainting", "n"),
    ("Fig 4C", "targets scored, nELISA", "413", "consistency", "nelisa", "n"),
]


def reproduction_table(
    activity: Mapping[str, pd.DataFrame],
    consistency: Mapping[str, pd.DataFrame],
    note: str = "",
) -> pd.DataFrame:
    """Paper vs our values for SPEC §10 (Fig 4A-D); "NA" where an assay did not run.

    Percentages are printed as the paper prints them (Python ``:.0%``); counts as integers.
    ``paper`` values: 300 compounds and 413 targets are the repository tables' (e9a5414) sizes.
    """
    sources = {"activity": activity, "consistency": consistency}
    if len(activity) < len(ASSAYS):
        # Without the other assay no compound is dropped by unify(): counts exceed the paper's.
        alone = "one assay only: compounds not unified across assays"
        note = f"{note}; {alone}" if note else alone
    rows = []
    for figure, quantity, paper, kind, assay, how in _PAPER:
        table = sources[kind].get(assay)
        if table is None:
            ours, row_note = "NA", f"{ASSAYS[assay].label} not run (config nelisa.assays)"
        elif how == "pct":
            ours = f"{table['p < 0.05'].mean():.0%}"
            row_note = f"{int(table['p < 0.05'].sum())} of {len(table)}"
        else:
            ours, row_note = str(len(table)), ""
        if note:
            row_note = f"{row_note}; {note}" if row_note else note
        rows.append((figure, quantity, paper, ours, row_note))
    return pd.DataFrame(rows, columns=["figure", "quantity", "paper", "ours", "note"])
