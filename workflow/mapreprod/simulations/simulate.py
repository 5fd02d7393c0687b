"""Simulated profiles and the simulation benchmark of Fig 2 and Fig S2-S5 (docs/methods.md §2).

The generator reproduces the authors' draw order exactly (one ``numpy.random.default_rng(seed)``
per dataset: plate map first, then plates in order, wells in order, the perturbed features of a
perturbation well first), but draws each dataset in one vectorised call: a Generator's
``normal(loc, scale, size)`` and ``standard_cauchy(size)`` consume the bit stream element by
element, so one large draw equals the concatenation of the authors' small draws.

:func:`evaluate_condition` scores every perturbation of one simulated dataset with the four
methods of docs/methods.md §2.4 (mAP p-value, mp-value, MMD, k-means); :func:`recall` turns the per-
perturbation results into one row of the paper's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import baselines
from mapeval import average_precision
from mapeval import mean_average_precision

#: Label of control wells (the authors' ``negcon_pert_value``).
CONTROL_LABEL = "negative_control"

#: Percent of perturbed features per step (docs/methods.md §2.1): Fig 2, S3-S5 and the linear axis of S2.
PERCENT_STEPS: dict[str, list[int]] = {
    "bin_exp": [1, 2, 4, 8, 16, 32, 64],
    "linear": [1, *range(10, 101, 10)],
    "calibration": [0, 1, 2, 4, 8, 16, 32, 64],  # figS_null: calibration at 0%, then the Fig 2 axis
}

#: The paper's grid (docs/methods.md §2.1).
PAPER_N_FEATS = [100, 200, 500, 1000, 2500, 5000]
PAPER_PLATES_CONTROLS = {2: [6, 12, 18], 3: [4, 8, 12], 4: [3, 6, 9]}


@dataclass(frozen=True)
class Family:
    """Distributions of one figure: control/unperturbed and perturbed features.

    ``kind`` is "normal" (parameters = mean, SD) or "cauchy" (parameters = location, scale;
    drawn as ``standard_cauchy * scale + loc`` like the authors' code).
    """

    kind: str
    control: tuple[float, float]
    perturbed: tuple[float, float]


NORMAL = Family("normal", (0.0, 1.0), (1.0, 1.0))


@dataclass(frozen=True)
class FigureSpec:
    """What one simulation figure computes.

    ``steps``: key of the percent axis in the config (``bin_exp``, ``linear``, ``calibration``);
    ``maps``: the mAP variants as (column name, similarity, map_null); ``baselines``: whether
    mp-value, MMD and k-means are computed too.
    """

    family: Family
    steps: str
    maps: tuple[tuple[str, str, str], ...]
    baselines: bool


_MAP = (("mAP p-value", "cosine", "shared"),)

#: The figures of docs/methods.md §2.5, plus figS_null (ours): shared vs independent mAP null.
FIGURES: dict[str, FigureSpec] = {
    "fig2": FigureSpec(NORMAL, "bin_exp", _MAP, True),
    "figS2": FigureSpec(NORMAL, "linear", _MAP, True),
    "figS3": FigureSpec(Family("normal", (0.0, 1.0), (2.0, 2.0)), "bin_exp", _MAP, True),
    "figS4": FigureSpec(Family("cauchy", (0.0, 1.0), (10.0, 1.0)), "bin_exp", _MAP, True),
    "figS5": FigureSpec(
        NORMAL,
        "bin_exp",
        (
            ("mAP p-value (cosine)", "cosine", "shared"),
            ("mAP p-value (Euclidean)", "euclidean", "shared"),
            ("mAP p-value (correlation)", "correlation", "shared"),
        ),
        False,
    ),
    "figS_null": FigureSpec(
        NORMAL,
        "calibration",
        (
            ("mAP p-value (shared null)", "cosine", "shared"),
            ("mAP p-value (independent null)", "cosine", "independent"),
        ),
        False,
    ),
}

#: Titles of the rendered figures.
FIGURE_TITLES = {
    "fig2": "Fig 2: recall on simulated data (perturbed features ~ N(1, 1), controls ~ N(0, 1))",
    "figS2": "Fig S2: as Fig 2 with a linear axis of perturbed features",
    "figS3": "Fig S3: perturbed features ~ N(2, 2), controls ~ N(0, 1)",
    "figS4": "Fig S4: perturbed features ~ Cauchy(10, 1), controls ~ Cauchy(0, 1)",
    "figS5": "Fig S5: mAP recall with cosine, Euclidean and correlation similarity",
    "figS_null": ("figS_null (ours, not in the paper): mAP with the shared (copairs) vs the "
                  "independent null; 0% = false-positive rate"),
}

#: Result columns of the three baselines, named as in the authors' tables.
BASELINE_COLUMNS = ("mp-value", "MMD", "k-means")


def n_perturbed_features(n_feats: int, percent: float) -> int:
    """Number of perturbed features: floor(percent * n_feats / 100), as ``int()`` in the code."""
    if not 0 <= percent <= 100:
        raise ValueError(f"percent of perturbed features must be in [0, 100], got {percent}")
    return int(n_feats * percent / 100)


def simulation_grid(
    n_feats: Iterable[int],
    plates_controls: Mapping[int, Sequence[int]],
    percents: Iterable[float],
) -> pd.DataFrame:
    """Every condition of a figure, one row each.

    Columns ``n_feats, n_plates, n_controls_per_plate, n_controls, features_differ`` (the
    percentage). Row order: n_feats, then plates, then controls per plate, then percent (the
    authors' loop order).
    """
    rows = [
        {
            "n_feats": int(nf),
            "n_plates": int(plates),
            "n_controls_per_plate": int(cpp),
            "n_controls": int(plates) * int(cpp),
            "features_differ": pct,
        }
        for nf in n_feats
        for plates, cpps in plates_controls.items()
        for cpp in cpps
        for pct in percents
    ]
    return pd.DataFrame(rows)


def plate_map(n_perts: int, n_controls_per_plate: int, rng: np.random.Generator) -> np.ndarray:
    """Perturbation label of wells ``w0..w{n-1}``, shared by every plate.

    Labels ``c0..c{n_perts-1}`` plus ``negative_control`` once per control well, shuffled onto
    the wells by sampling without replacement (the authors' ``rng.choice``).
    """
    labels = [f"c{k}" for k in range(n_perts)] + [CONTROL_LABEL] * n_controls_per_plate
    return rng.choice(labels, size=len(labels), replace=False)


def _draw(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "cauchy":
        return rng.standard_cauchy(shape)
    raise ValueError(f"unknown distribution family {kind!r} (use 'normal' or 'cauchy')")


def generate_profiles(
    n_feats: int,
    n_plates: int,
    n_controls_per_plate: int,
    percent_differ: float,
    n_perts: int = 100,
    family: Family = NORMAL,
    seed: int = 42,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One simulated dataset (docs/methods.md §2.2).

    Parameters
    ----------
    n_feats, n_plates, n_controls_per_plate
        Features per profile, plates (= replicates of each perturbation) and control wells per
        plate.
    percent_differ
        Percent of features drawn from the perturbed distribution in perturbation wells; they are
        the first ``n_perturbed_features(n_feats, percent_differ)`` columns.
    n_perts
        Perturbations per plate (one well each).
    family
        Control and perturbed distributions.
    seed
        Seed of the dataset's ``numpy.random.default_rng``.

    Returns
    -------
    meta : DataFrame
        ``Metadata_Plate`` (p0..), ``Metadata_Well`` (w0..), ``Metadata_Perturbation``; plates in
        order, wells in order within a plate.
    feats : ndarray, shape (n_plates * (n_perts + n_controls_per_plate), n_feats)
    """
    for name, value in (("n_feats", n_feats), ("n_plates", n_plates),
                        ("n_controls_per_plate", n_controls_per_plate), ("n_perts", n_perts)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    rng = np.random.default_rng(seed)
    labels = plate_map(n_perts, n_controls_per_plate, rng)
    n_wells = len(labels)
    n_diff = n_perturbed_features(n_feats, percent_differ)
    # The stream is consumed in row-major order: plate, well, feature; perturbed features of a
    # perturbation well come first (columns 0..n_diff-1), which is column order here too.
    z = _draw(rng, family.kind, (n_plates * n_wells, n_feats))
    is_pert = np.tile(labels != CONTROL_LABEL, n_plates)
    # rng.normal(loc, scale) is loc + scale * z and the authors' Cauchy is z * scale + loc:
    # the same floating-point value (IEEE addition and multiplication commute).
    loc, scale = family.control
    feats = z * scale + loc
    if n_diff:
        rows = np.flatnonzero(is_pert)
        ploc, pscale = family.perturbed
        feats[rows, :n_diff] = z[rows, :n_diff] * pscale + ploc
    meta = pd.DataFrame(
        {
            "Metadata_Plate": np.repeat([f"p{i}" for i in range(n_plates)], n_wells),
            "Metadata_Well": np.tile([f"w{j}" for j in range(n_wells)], n_plates),
            "Metadata_Perturbation": np.tile(labels, n_plates),
        }
    )
    return meta, feats


# --------------------------------------------------------------------------------------------
# scoring one simulated dataset


def perturbation_groups(meta: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of each perturbation's replicates and of all controls (docs/methods.md §2.3).

    Returns ``labels`` (B,) sorted perturbation labels, ``stacks`` (B, n_x + n_y): for each
    perturbation its replicates in row order followed by every control row in row order, and
    ``controls`` (n_y,). Every perturbation must have the same number of replicates.
    """
    labels = meta["Metadata_Perturbation"].to_numpy()
    is_ctrl = labels == CONTROL_LABEL
    controls = np.flatnonzero(is_ctrl)
    pert_rows = np.flatnonzero(~is_ctrl)
    order = pert_rows[np.argsort(labels[pert_rows], kind="stable")]
    uniq, counts = np.unique(labels[pert_rows], return_counts=True)
    if len(set(counts)) != 1:
        raise ValueError("Metadata_Perturbation: perturbations have different replicate counts")
    reps = order.reshape(len(uniq), counts[0])
    stacks = np.concatenate([reps, np.broadcast_to(controls, (len(uniq), len(controls)))], 1)
    return uniq, stacks, controls


def map_pvalues(
    meta: pd.DataFrame,
    feats: np.ndarray,
    similarity: str = "cosine",
    map_nulls: tuple[str, ...] = ("shared",),
    null_size: int = 1000,
    seed: int = 42,
    null_sampler: str = "fast",
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Uncorrected mAP p-value of every perturbation against the controls (docs/methods.md §2.3-2.4).

    One ``mapeval.average_precision`` call over the whole dataset with the reference-index
    design: ``Metadata_Control_Index`` = row index for controls and -1 otherwise, positives =
    same perturbation and index, negatives = different perturbation and index. Returns one row
    per perturbation (sorted) with one p-value column per entry of ``map_nulls``.
    """
    meta = meta.reset_index(drop=True).copy()
    ctrl = meta["Metadata_Perturbation"].to_numpy() == CONTROL_LABEL
    meta["Metadata_Control_Index"] = np.where(ctrl, np.arange(len(meta)), -1)
    design = ["Metadata_Perturbation", "Metadata_Control_Index"]
    ap = average_precision(meta, feats, design, [], [], design, similarity=similarity,
                           batch_size=batch_size)
    out = None
    for null in map_nulls:
        m = mean_average_precision(ap, "Metadata_Perturbation", null_size=null_size, seed=seed,
                                   null_sampler=null_sampler, map_null=null)
        m = m[["Metadata_Perturbation", "p_value"]].rename(columns={"p_value": null})
        out = m if out is None else out.merge(m, on="Metadata_Perturbation")
    return out.sort_values("Metadata_Perturbation").reset_index(drop=True)


def evaluate_condition(
    meta: pd.DataFrame,
    feats: np.ndarray,
    spec: FigureSpec,
    n_perm: int = 1000,
    null_size: int = 1000,
    seed: int = 42,
    mmd_bandwidth: baselines.Bandwidth = "sqrt_half_median",
    kmeans_n_init: int = 10,
    null_sampler: str = "fast",
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Score every perturbation of one simulated dataset with the methods of ``spec``.

    Returns one row per perturbation: ``Metadata_Perturbation``, a p-value column per mAP
    variant of ``spec.maps`` and, with ``spec.baselines``, ``mp-value`` and ``MMD`` p-values and
    the ``k-means`` accuracy. One Gram matrix of all profiles serves the three baselines.
    """
    labels, stacks, _ = perturbation_groups(meta)
    out = pd.DataFrame({"Metadata_Perturbation": labels})
    by_sim: dict[str, list[tuple[str, str]]] = {}
    for column, sim, null in spec.maps:
        by_sim.setdefault(sim, []).append((column, null))
    for sim, cols in by_sim.items():
        nulls = tuple(dict.fromkeys(null for _, null in cols))
        p = map_pvalues(meta, feats, sim, nulls, null_size, seed, null_sampler, batch_size)
        if not np.array_equal(p["Metadata_Perturbation"].to_numpy(), labels):
            raise ValueError("mAP results do not cover every perturbation")
        for column, null in cols:
            out[column] = p[null].to_numpy()
    if spec.baselines:
        feats = np.asarray(feats, dtype=float)
        centred = feats - feats.mean(0)
        gram = centred @ centred.T
        grams = baselines.center_grams(gram[stacks[:, :, None], stacks[:, None, :]])
        n_x = stacks.shape[1] - int((meta["Metadata_Perturbation"] == CONTROL_LABEL).sum())
        out["mp-value"] = baselines.mp_value_from_gram(grams, n_x, n_perm, seed).p_value
        out["MMD"] = baselines.mmd_from_gram(grams, n_x, n_perm, seed, mmd_bandwidth).p_value
        out["k-means"] = baselines.kmeans_from_gram(grams, n_x, feats.shape[1], kmeans_n_init,
                                                    seed)
    return out


def recall(results: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Share of perturbations called distinct from the controls, per method (docs/methods.md §2.4).

    p-value columns: share with p < ``alpha`` (uncorrected); ``k-means``: share with accuracy
    exactly 1.
    """
    rec = {}
    for col in results.columns:
        if col == "Metadata_Perturbation":
            continue
        if col == "k-means":
            rec[col] = float((results[col] == 1.0).mean())
        else:
            rec[col] = float((results[col] < alpha).mean())
    return rec


def run_grid(
    figure: str,
    conditions: pd.DataFrame,
    n_perts: int = 100,
    n_perm: int = 1000,
    null_size: int = 1000,
    seed: int = 42,
    mmd_bandwidth: baselines.Bandwidth = "sqrt_half_median",
    kmeans_n_init: int = 10,
    null_sampler: str = "fast",
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Recall of every method for each condition of ``conditions`` (rows of
    :func:`simulation_grid`), each dataset drawn from a fresh ``default_rng(seed)``.

    Returns the authors' table layout: the method columns of ``FIGURES[figure]`` followed by
    ``# replicates, n_controls, features_differ, n_feats`` (and ``n_perts``).
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown simulation figure {figure!r}; known: {sorted(FIGURES)}")
    spec = FIGURES[figure]
    rows = []
    for cond in conditions.itertuples(index=False):
        meta, feats = generate_profiles(cond.n_feats, cond.n_plates, cond.n_controls_per_plate,
                                        cond.features_differ, n_perts, spec.family, seed)
        res = evaluate_condition(meta, feats, spec, n_perm, null_size, seed, mmd_bandwidth,
                                 kmeans_n_init, null_sampler, batch_size)
        rows.append({**recall(res), "# replicates": cond.n_plates, "n_controls": cond.n_controls,
                     "features_differ": cond.features_differ, "n_feats": cond.n_feats,
                     "n_perts": n_perts})
    return pd.DataFrame(rows)


def plates_controls_from_config(entries: Sequence[Mapping]) -> dict[int, list[int]]:
    """``simulations.plates_controls`` (list of {plates, controls_per_plate}) as a dict."""
    out: dict[int, list[int]] = {}
    for e in entries:
        if "plates" not in e or "controls_per_plate" not in e:
            raise ValueError("simulations.plates_controls: every entry needs 'plates' and "
                             "'controls_per_plate'")
        out.setdefault(int(e["plates"]), []).extend(int(c) for c in e["controls_per_plate"])
    return out


def figure_conditions(figure: str, settings: Mapping, n_feats: int | None = None) -> pd.DataFrame:
    """Conditions of ``figure`` under the config section ``settings`` (``simulations``),
    optionally only those with ``n_feats`` features."""
    if figure not in FIGURES:
        raise ValueError(f"unknown simulation figure {figure!r}; known: {sorted(FIGURES)}")
    steps = settings["percent_differ"][FIGURES[figure].steps]
    nfs = settings["n_feats"] if n_feats is None else [n_feats]
    return simulation_grid(nfs, plates_controls_from_config(settings["plates_controls"]), steps)


def gather_tables(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-job tables into one figure table, sorted like the authors' loops
    (n_feats, replicates, controls, percent), method columns first."""
    table = pd.concat(parts, ignore_index=True)
    grid = ["# replicates", "n_controls", "features_differ", "n_feats"]
    methods = [c for c in table.columns if c not in (*grid, "n_perts")]
    table = table.sort_values(["n_feats", "# replicates", "n_controls", "features_differ"])
    return table[[*methods, *grid, "n_perts"]].reset_index(drop=True)
