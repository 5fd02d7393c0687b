"""Generated stand-in for the Cell Painting half of Fig 4 (cellpainting_profiles.parquet).

The real Cell Painting profiles of the nELISA plates (1,535 wells x 919 columns, e9a5414 of the
authors' repository) cannot be downloaded here. This stand-in is built on the real nELISA file:
the same plates, wells, compounds (``Metadata_broad_sample``), control types and target lists,
so that :func:`~mapreprod.datasets.nelisa.unify` pairs it with the real nELISA profiles exactly
as it would the real file. It adds what the real file has and the pipeline must handle: 10 more
wells than the nELISA file (an extra replicate of two compounds and two compounds absent from
nELISA, all dropped by ``unify``), and CellProfiler features with a constant, a missing, a
blocklisted and a duplicated feature for the feature selection.

Planted signal (seeded): a share ``active_share`` of compounds moves its replicates along a
compound direction; compounds sharing a target also share a target direction for a share
``consistent_share`` of targets. Numbers from it are not the paper's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod.common import require_columns
from mapreprod.standin import (
    DUPLICATED_FEATURE,
    SPECIAL_FEATURES,
    feature_names,
    unit_vectors,
)

from .inputs import PERT, TARGET_LIST

#: Metadata of the nELISA file that describe the well and its treatment (kept in the stand-in).
SHARED_METADATA = [
    "Metadata_Plate",
    "Metadata_user_sample_well_loc",
    PERT,
    "Metadata_control_type",
    "Metadata_pert_iname",
    "Metadata_pert_type",
    "Metadata_target",
    TARGET_LIST,
    "Metadata_InChIKey",
    "Metadata_smiles",
]


def make_cellpainting(
    nelisa: pd.DataFrame,
    n_features: int = 150,
    active_share: float = 0.7,
    consistent_share: float = 0.1,
    effect: float = 1.2,
    seed: int = 0,
) -> pd.DataFrame:
    """Cell Painting-shaped profiles for the wells of the real nELISA table ``nelisa``.

    Parameters (config ``nelisa.synthetic_design``, and ``nelisa.seed``)
    ----------
    n_features : CellProfiler features (real names up to 155, then CellProfiler's grammar; the
        real file: about 909).
    active_share, consistent_share, effect : planted signal (module docstring).
    seed : seed of every draw.

    Returns a DataFrame with ``Metadata_Plate``, ``Metadata_Well`` and the treatment metadata of
    the nELISA file (``Metadata_*``), then ``n_features`` CellProfiler feature columns; the
    nELISA rows plus 10 extra wells (see the module docstring).
    """
    require_columns(nelisa, SHARED_METADATA, "nELISA profiles (stand-in source)")
    if not 0 <= active_share <= 1 or not 0 <= consistent_share <= 1:
        raise ValueError("active_share and consistent_share must be in [0, 1]")
    rng = np.random.default_rng(seed)
    meta = nelisa[SHARED_METADATA].rename(columns={"Metadata_user_sample_well_loc": "Metadata_Well"})
    meta = meta.reset_index(drop=True)
    compounds = sorted(meta[PERT].dropna().unique())
    if len(compounds) < 4:
        raise ValueError("the nELISA table has fewer than 4 compounds: no stand-in can be built")
    # 10 extra wells: one more replicate of two compounds (replicate counts then differ between
    # the assays) and 4 wells each of two compounds that nELISA does not have.
    extra = [meta[meta[PERT] == c].iloc[[0]] for c in compounds[:2]]
    for i in range(2):
        row = meta[meta[PERT] == compounds[2 + i]].iloc[[0]].copy()
        row[PERT] = f"BRD-STANDIN-{i + 1:04d}"
        row[TARGET_LIST] = np.nan
        row["Metadata_target"] = np.nan
        extra.append(pd.concat([row] * 4))
    meta = pd.concat([meta, *extra], ignore_index=True)

    names = feature_names(n_features)
    dim = len(names)
    x = rng.normal(size=(len(meta), dim))
    # plate effect: a small shift per plate
    for plate in meta["Metadata_Plate"].unique():
        sel = (meta["Metadata_Plate"] == plate).to_numpy()
        x[sel] += rng.normal(scale=0.2, size=dim)
    # compound effects: active compounds move along their own direction
    all_compounds = sorted(meta[PERT].dropna().unique())
    active = set(rng.choice(all_compounds, size=round(active_share * len(all_compounds)), replace=False))
    # in sorted order: a set's order of strings changes with the interpreter's hash seed
    for c in sorted(active):
        sel = (meta[PERT] == c).to_numpy()
        x[sel] += effect * unit_vectors(rng, 1, dim)[0] * np.sqrt(dim) / 4
    # target effects: compounds sharing a "consistent" target share part of their direction
    targets = meta[TARGET_LIST].dropna().astype(str).str.split("|").explode()
    unique_targets = sorted(targets.unique())
    consistent = set(
        rng.choice(unique_targets, size=round(consistent_share * len(unique_targets)), replace=False)
    )
    directions = {t: unit_vectors(rng, 1, dim)[0] for t in sorted(consistent)}
    lists = meta[TARGET_LIST].astype(object)
    for i, value in enumerate(lists):
        if isinstance(value, str):
            for t in value.split("|"):
                if t in directions:
                    x[i] += effect * directions[t] * np.sqrt(dim) / 4
    feats = pd.DataFrame(x * 10 + 100, columns=names)
    for name, role in SPECIAL_FEATURES.items():
        if role == "constant":
            feats[name] = 1.0
        elif role == "missing":
            feats.loc[rng.choice(len(feats), size=3, replace=False), name] = np.nan
        elif role == "duplicate":
            feats[name] = feats[DUPLICATED_FEATURE] * 2.0 + 1.0
    return pd.concat([meta, feats], axis=1)
