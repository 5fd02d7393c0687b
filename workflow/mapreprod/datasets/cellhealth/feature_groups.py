"""Channels and compartments dropped or used alone (Fig 3D, S6C)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mapreprod.common import paper_columns
from mapreprod.settings import TEST_COLUMN, MapSettings

from .activity import guide_map
from .inputs import (
    CHANNELS,
    COMPARTMENTS,
    FEATURE_TYPES,
    IS_CONTROL,
    PERT,
    cell_lines_present,
    cp_features,
)
from .preprocess import replicate_subset


def channel_groups(features: Sequence[str]) -> dict[str, list[str]]:
    """Features of each channel: every name containing the channel (case-sensitive; correlation
    features belong to both of their channels)."""
    return {ch: [f for f in features if ch in f] for ch in CHANNELS}


def compartment_groups(features: Sequence[str]) -> dict[str, list[str]]:
    """Features of each ``Compartment_FeatureType`` prefix present among ``features`` (§3.8),
    in compartment-major order."""
    groups = {}
    for comp in COMPARTMENTS:
        for ftype in FEATURE_TYPES:
            prefix = f"{comp}_{ftype}"
            members = [f for f in features if f.startswith(prefix)]
            if members:
                groups[prefix] = members
    return groups


def feature_group_analysis(
    profiles: pd.DataFrame,
    groups: Mapping[str, Sequence[str]],
    settings: MapSettings,
) -> pd.DataFrame:
    """Activity with each feature group dropped and with only that group (Fig 3D, S6C): the
    Fig 3B pairing (:func:`guide_map`) on two feature sets per group.

    Returns one row per (guide, cell line, group): ``Metadata_pert_name, Cell type, group,
    dropped, exclusive, channel_signal``, where ``dropped``/``exclusive`` are -log10 of the
    BH-corrected mAP p-value (BH within each cell line x group x variant) and
    ``channel_signal`` = exclusive - dropped, ``test`` (the test of ``map.test`` behind both
    variants' calls). A variant without any feature gives NaN.
    """
    rows = []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, "cutting")
        features = cp_features(subset)
        for name, members in groups.items():
            member_set = set(members)
            variants = {
                "dropped": [f for f in features if f not in member_set],
                "exclusive": [f for f in features if f in member_set],
            }
            result = pd.DataFrame({PERT: sorted(subset.loc[subset[IS_CONTROL] == 0, PERT].unique())})
            tests = []
            for variant, feats in variants.items():
                if not feats:
                    result[variant] = np.nan
                    continue
                m, _ = guide_map(subset, settings, features=feats)
                m = paper_columns(m)
                tests.extend(m[TEST_COLUMN])
                result = result.merge(
                    m[[PERT, "-log10(mAP p-value)"]].rename(columns={"-log10(mAP p-value)": variant}),
                    on=PERT, how="left",
                )
            result["Cell type"] = cell
            result["group"] = name
            result[TEST_COLUMN] = "; ".join(dict.fromkeys(tests))
            rows.append(result)
    out = pd.concat(rows, ignore_index=True)
    out["channel_signal"] = out["exclusive"] - out["dropped"]
    return out[[PERT, "Cell type", "group", "dropped", "exclusive", "channel_signal", TEST_COLUMN]]


def channel_table(analysis: pd.DataFrame) -> pd.DataFrame:
    """``channel_analysis.csv`` columns (§3.7) from :func:`feature_group_analysis`."""
    return analysis.rename(columns={"Cell type": "cell_type", "group": "channel"})[
        [PERT, "cell_type", "channel", "dropped", "exclusive", "channel_signal", TEST_COLUMN]]


def compartment_table(analysis: pd.DataFrame) -> pd.DataFrame:
    """``compartment_analysis.csv`` columns (§3.8) from :func:`feature_group_analysis`, plus the
    ``feature_type`` of each group."""
    out = analysis.rename(columns={"Cell type": "cell_line", "group": "feature_group"})
    out["compartment"] = out["feature_group"].str.split("_").str[0]
    out["feature_type"] = out["feature_group"].str.split("_").str[1]
    return out[[PERT, "cell_line", "feature_group", "compartment", "feature_type", "dropped",
                "exclusive", "channel_signal", TEST_COLUMN]]

