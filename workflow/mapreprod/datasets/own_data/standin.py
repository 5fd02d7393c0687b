"""The generated example screen (config/examples/own_data.yaml; rule own_data_example).

A compound screen as a lab's profiling pipeline hands it over: one row per well of 96-well
plates that share one plate map (so every plate is a replicate), DMSO in the first and last
columns, each compound at several doses, CellProfiler-named features at their raw scale with
per-plate shifts, and a "|"-separated target annotation. Planted signal: a share of the
compounds shift the profile, more at higher dose (Hill curve, EC50 1 uM); compounds with a
common target shift it in a common direction. The planted truth is returned alongside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["COMPARTMENTS", "FEATURE_TYPES", "example_screen", "feature_names"]

ROWS = "ABCDEFGH"
COLUMNS = range(1, 13)
DMSO_COLUMNS = (1, 12)
COMPARTMENTS = ("Cells", "Cytoplasm", "Nuclei")
#: CellProfiler measurement names (feature type, and its raw scale: mean, SD).
FEATURE_TYPES: list[tuple[str, float, float]] = [
    ("AreaShape_Area", 900.0, 120.0),
    ("AreaShape_Eccentricity", 0.6, 0.08),
    ("AreaShape_FormFactor", 0.7, 0.06),
    ("AreaShape_Solidity", 0.9, 0.03),
    ("Intensity_MeanIntensity_DNA", 0.12, 0.02),
    ("Intensity_MeanIntensity_ER", 0.08, 0.015),
    ("Intensity_MeanIntensity_RNA", 0.09, 0.015),
    ("Intensity_MeanIntensity_AGP", 0.05, 0.01),
    ("Intensity_MeanIntensity_Mito", 0.07, 0.012),
    ("Intensity_IntegratedIntensity_DNA", 110.0, 18.0),
    ("Texture_SumAverage_DNA_3_00_256", 14.0, 2.0),
    ("Texture_Contrast_ER_3_00_256", 3.5, 0.6),
    ("Texture_Entropy_Mito_3_00_256", 6.0, 0.5),
    ("Granularity_1_Mito", 11.0, 1.5),
    ("Granularity_2_AGP", 7.5, 1.1),
    ("RadialDistribution_FracAtD_RNA_1of4", 0.2, 0.03),
    ("RadialDistribution_MeanFrac_ER_2of4", 0.95, 0.05),
    ("Correlation_Correlation_ER_Mito", 0.55, 0.08),
    ("Correlation_Correlation_DNA_RNA", 0.4, 0.07),
    ("Neighbors_NumberOfNeighbors_Adjacent", 3.0, 0.8),
    ("Intensity_StdIntensity_AGP", 0.02, 0.004),
    ("Location_Center_X", 540.0, 20.0),
]
#: Target genes of the example compounds (a few compounds carry two).
TARGETS = ["HDAC1", "TUBB", "MTOR", "HSP90AA1", "CDK4", "EGFR", "PSMB5", "TOP2A"]


def feature_names(per_compartment: int) -> list[str]:
    """``<Compartment>_<measurement>`` for the first ``per_compartment`` measurements."""
    if not 2 <= per_compartment <= len(FEATURE_TYPES):
        raise ValueError(f"features_per_compartment must be in [2, {len(FEATURE_TYPES)}]")
    return [f"{c}_{t}" for c in COMPARTMENTS for t, _, _ in FEATURE_TYPES[:per_compartment]]


def example_screen(
    seed: int = 0,
    plates: int = 4,
    compounds: int = 20,
    doses: Sequence[float] = (0.1, 1.0, 3.0, 10.0),
    active_fraction: float = 0.5,
    features_per_compartment: int = 20,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One table of well-level profiles and the planted truth.

    Returns
    -------
    (profiles, truth)
        ``profiles``: Metadata_Plate, Metadata_Well, Metadata_Compound ("DMSO" for controls),
        Metadata_Concentration_uM (0 for DMSO), Metadata_Target ("|"-separated; empty for DMSO
        and unannotated compounds), Metadata_Count_Cells, then the features; one row per well.
        ``truth``: Metadata_Compound, active, targets, consistent_target (the planted signal:
        the compound acts, and shares its direction with the other compounds of that target).
    """
    treated_wells = len(ROWS) * (len(COLUMNS) - len(DMSO_COLUMNS))
    doses = [float(d) for d in doses]
    if compounds * len(doses) > treated_wells:
        raise ValueError(
            f"own_data.example: {compounds} compounds x {len(doses)} doses exceed the "
            f"{treated_wells} treatment wells of a 96-well plate"
        )
    if plates < 2:
        raise ValueError("own_data.example.plates: at least 2 (replicates are plates)")
    # one generator for everything, drawn in a fixed order: compounds, plate map, plates
    rng = np.random.default_rng(seed)
    names = feature_names(features_per_compartment)
    design = _compound_design(rng, compounds, active_fraction, len(names))
    layout = _plate_map(rng, compounds, doses)
    frames = [
        _plate(rng, f"P{101 + p}", layout, design, names, features_per_compartment)
        for p in range(plates)
    ]
    profiles = pd.concat(frames, ignore_index=True)
    return profiles, design.truth()


@dataclass(frozen=True)
class _CompoundDesign:
    """The planted signal: each compound's id, targets, activity and effect (one row per
    compound of ``effect``, in feature units of the plate's SD)."""

    ids: list[str]
    targets: list[list[str]]
    active: np.ndarray
    consistent: set[str]
    effect: np.ndarray

    def truth(self) -> pd.DataFrame:
        """The planted truth per compound: active, targets, consistent_target."""
        return pd.DataFrame(
            {
                "Metadata_Compound": self.ids,
                "active": self.active,
                "targets": ["|".join(t) for t in self.targets],
                "consistent_target": [
                    "|".join(t for t in self.targets[i] if t in self.consistent) if self.active[i] else ""
                    for i in range(len(self.ids))
                ],
            }
        )


def _compound_design(
    rng: np.random.Generator, compounds: int, active_fraction: float, n_feat: int
) -> _CompoundDesign:
    """Compound ids, targets (every 4th compound unannotated, some with two targets), activity
    and effect directions."""
    ids = [f"CPD-{i + 1:04d}" for i in range(compounds)]
    primary = [TARGETS[i % len(TARGETS)] for i in range(compounds)]
    # activity is a property of the target (its compounds act alike); unannotated compounds
    # are active at random with the same probability
    active_targets = set(rng.permutation(TARGETS)[: round(active_fraction * len(TARGETS))])
    active = np.array(
        [primary[i] in active_targets if i % 4 != 3 else rng.random() < active_fraction
         for i in range(compounds)]
    )
    targets = []
    for i in range(compounds):
        if i % 4 == 3:
            targets.append([])
        elif i % 5 == 0:
            targets.append([primary[i], TARGETS[(i + 3) % len(TARGETS)]])
        else:
            targets.append([primary[i]])
    # half of the active targets are consistent: their compounds share a direction of effect;
    # the compounds of the other targets each act in their own direction
    consistent = set(sorted(active_targets)[: len(active_targets) // 2 + len(active_targets) % 2])
    target_direction = {t: rng.normal(size=n_feat) for t in TARGETS}
    effect = np.zeros((compounds, n_feat))
    for i in np.flatnonzero(active):
        mine = [t for t in targets[i] if t in consistent]
        shared = sum((target_direction[t] for t in mine), np.zeros(n_feat))
        own = rng.normal(size=n_feat)
        direction = 0.75 * shared / max(len(mine), 1) + 0.5 * own
        effect[i] = 1.6 * direction / np.sqrt(np.mean(direction**2))
    return _CompoundDesign(ids, targets, active, consistent, effect)


def _plate_map(
    rng: np.random.Generator, compounds: int, doses: list[float]
) -> dict[str, tuple[int, float]]:
    """One plate map for every plate: well -> (compound index, dose), compound x dose shuffled
    over the wells outside the DMSO columns."""
    treat = [w for w in _wells() if int(w[1:]) not in DMSO_COLUMNS]
    combos = [(i, d) for i in range(compounds) for d in doses]
    return dict(zip(rng.permutation(treat)[: len(combos)].tolist(), combos))


def _wells() -> list[str]:
    """The 96 wells in plate order (A01, A02, ..., H12)."""
    return [f"{r}{c:02d}" for r in ROWS for c in COLUMNS]


def _plate(
    rng: np.random.Generator,
    plate: str,
    layout: dict[str, tuple[int, float]],
    design: _CompoundDesign,
    names: list[str],
    per_compartment: int,
) -> pd.DataFrame:
    """The wells of one plate (DMSO and the plate map's compounds, in plate order) at raw scale,
    with the plate's own shift and gain."""
    n_feat = len(names)
    scale = np.array([s for _ in COMPARTMENTS for _, _, s in FEATURE_TYPES[:per_compartment]])
    base = np.array([m for _ in COMPARTMENTS for _, m, _ in FEATURE_TYPES[:per_compartment]])
    wells = _wells()
    dmso = [w for w in wells if int(w[1:]) in DMSO_COLUMNS]
    plate_shift = rng.normal(scale=0.6, size=n_feat)  # plate effect in SD units
    plate_gain = 1.0 + rng.normal(scale=0.05, size=n_feat)
    rows = [(w, None, 0.0) for w in dmso] + [(w, *layout[w]) for w in sorted(layout)]
    rows.sort(key=lambda r: wells.index(r[0]))
    n = len(rows)
    z = rng.normal(size=(n, n_feat)) + plate_shift
    for r, (_, comp, dose) in enumerate(rows):
        if comp is not None:
            z[r] += design.effect[comp] * dose / (dose + 1.0)
    values = (base + scale * z) * plate_gain
    frame = pd.DataFrame(values, columns=names)
    # realistic redundancy: cytoplasm area follows cell area; a near-constant feature
    if "Cytoplasm_AreaShape_Area" in frame and "Cells_AreaShape_Area" in frame:
        frame["Cytoplasm_AreaShape_Area"] = (
            0.8 * frame["Cells_AreaShape_Area"] + rng.normal(scale=5.0, size=n)
        )
    targets = design.targets
    meta = pd.DataFrame(
        {
            "Metadata_Plate": plate,
            "Metadata_Well": [w for w, _, _ in rows],
            "Metadata_Compound": ["DMSO" if c is None else design.ids[c] for _, c, _ in rows],
            "Metadata_Concentration_uM": [d for _, _, d in rows],
            "Metadata_Target": [
                None if c is None or not targets[c] else "|".join(targets[c]) for _, c, _ in rows
            ],
            "Metadata_Count_Cells": rng.integers(1500, 3000, size=n),
        }
    )
    return pd.concat([meta, frame], axis=1)
