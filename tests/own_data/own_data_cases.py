"""Small hand-made screens shared by the own-data tests (no randomness beyond a fixed seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mapreprod import settings
from mapreprod.datasets.own_data.inputs import OwnDataSpec
from mapreprod.settings import MapSettings


def tiny_screen(seed: int = 0, plates: int = 3, n_features: int = 6) -> pd.DataFrame:
    """Plates x (4 DMSO + 3 compounds x 2 doses) wells, lab-style columns, features f0.. and
    a CellProfiler-named one; compound c1 acts, c0 and c2 do not."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(plates):
        for w in range(4):
            rows.append((f"P{p}", f"A{w:02d}", "DMSO", 0.0, None))
        for c in range(3):
            for d, dose in enumerate((1.0, 10.0)):
                rows.append((f"P{p}", f"B{c}{d}", f"c{c}", dose, ["T1|T2", "T1", "T3"][c]))
    meta = pd.DataFrame(rows, columns=["Metadata_Plate", "Metadata_Well", "Metadata_Compound",
                                       "Metadata_Dose", "Metadata_Target"])
    x = rng.normal(size=(len(meta), n_features)) + 5.0
    x[(meta["Metadata_Compound"] == "c1").to_numpy()] += np.linspace(3, -3, n_features)
    feats = pd.DataFrame(x, columns=[f"f{i}" for i in range(n_features - 1)]
                         + ["Cells_AreaShape_Area"])
    return pd.concat([meta, feats], axis=1)


def tiny_entry(**entry) -> dict:
    """Config entry of :func:`tiny_screen` with a few overrides (nested dicts as in the config)."""
    base = {
        "profiles": "tiny.csv",
        "columns": {"perturbation": ["Metadata_Compound", "Metadata_Dose"],
                    "plate": "Metadata_Plate", "annotation": "Metadata_Target"},
        "controls": "Metadata_Compound == 'DMSO'",
        "null_size": 500,
    }
    for key, value in entry.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def tiny_spec(**entry) -> OwnDataSpec:
    """Spec of :func:`tiny_screen` with a few overrides (nested dicts as in the config)."""
    return OwnDataSpec.from_config("tiny", tiny_entry(**entry))


def entry_settings(entry: dict) -> MapSettings:
    """The engine settings of a config entry, as the workflow builds them (its similarity, null
    size, seed and threshold over the default map section), on one thread."""
    config = {"map": {"null_sampler": "fast", "test": "shared", "n_permutations": 10_000,
                      "permutation_tie_break": "similarity",
                      "exact_limit": 2_000_000, "batch_size": 2048}}
    return settings.from_config(config, "own_data", section=entry).replace(threads=1)


def tiny_settings(**entry) -> MapSettings:
    """Engine settings of :func:`tiny_spec` with the same overrides."""
    return entry_settings(tiny_entry(**entry))


# --- the screens of issue 16 -----------------------------------------------------------------

#: Config entry of :func:`screen42` (a compound per well; controls on the same plate).
SCREEN42_ENTRY = {
    "profiles": "screen42.csv",
    "columns": {"perturbation": "Metadata_Compound", "plate": "Metadata_Plate"},
    "controls": "Metadata_Compound == 'DMSO'",
    "null_size": 2000,
}


def screen42(seed: int = 0) -> pd.DataFrame:
    """The 42-well screen of issue 16: 3 plates x (6 DMSO + 8 compounds, one well each), ten
    features f0..f9 (c0 and c1 shift them, the others do not) and a cell count ``Count``
    (Poisson, the same for every compound)."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(3):
        rows += [(f"P{p}", f"A{w:02d}", "DMSO") for w in range(6)]
        rows += [(f"P{p}", f"B{c:02d}", f"c{c}") for c in range(8)]
    meta = pd.DataFrame(rows, columns=["Metadata_Plate", "Metadata_Well", "Metadata_Compound"])
    x = rng.normal(size=(len(meta), 10))
    compound = meta["Metadata_Compound"].to_numpy()
    for active in ("c0", "c1"):
        x[compound == active] += 3.0 * np.sign(np.arange(10) - 4.5)
    out = pd.concat([meta, pd.DataFrame(x, columns=[f"f{i}" for i in range(10)])], axis=1)
    out["Count"] = rng.poisson(3, size=len(meta)).astype(float)
    return out


def run_pipeline(df: pd.DataFrame, entry: dict, name: str = "s") -> tuple[pd.DataFrame, list[str], dict, pd.DataFrame]:
    """The workflow's own-data steps in one process (map, prepare, AP, mAP) on a table:
    (prepared, features kept, prepare info, activity table)."""
    from mapreprod.datasets.own_data import activity, inputs, preprocess

    spec = OwnDataSpec.from_config(name, entry)
    mapped, feats = inputs.map_columns(df, spec)
    prepared, kept, info = preprocess.prepare_profiles(mapped, feats, spec)
    st = entry_settings(entry)
    ap = activity.shard_average_precision(prepared, kept, spec, st)
    _, table = activity.gather_activity([ap], prepared, spec, st)
    return prepared, kept, info, table
