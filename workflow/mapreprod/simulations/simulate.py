"""Simulated profiles and the simulation benchmark of Fig 2 and Fig S2-S5 (docs/methods.md §2).

The generator reproduces the authors' draw order exactly (one ``numpy.random.default_rng(seed)``
per dataset: plate map first, then plates in order, wells in order, the perturbed features of a
perturbation well first), but draws each dataset in one vectorised call: a Generator's
``normal(loc, scale, size)`` and ``standard_cauchy(size)`` consume the bit stream element by
element, so one large draw equals the concatenation of the authors' small draws.

What each figure computes is a :class:`FigureSpec` (:data:`FIGURE_SPECS`): its distributions, its
percent axis, its mAP tests (:class:`MapTest`) and its baseline tests (names of
:data:`BASELINE_TESTS`). :func:`evaluate_condition` scores every perturbation of one simulated
dataset with those methods (docs/methods.md §2.4); :func:`recall` turns the per-perturbation
results into one row of the paper's tables; :func:`run_grid` does it for a grid of conditions.

Settings: the mAP part takes a :class:`mapreprod.settings.MapSettings` (``simulations.map_null_size``
as null size, ``simulations.seed`` as seed; a :class:`MapTest` overrides similarity and group
null); the rest of the ``simulations:`` section is the design (:class:`SimulationOptions`, the
grids). One seed, ``settings.seed``, drives every draw: data, mAP null, permutations, k-means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mapreprod.settings import MapSettings

from . import baselines

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
class SimulationOptions:
    """The simulation settings that are not the mAP engine's (config section ``simulations:``).

    ``n_perts``: perturbations per simulated condition; ``n_permutations``: label permutations
    of the permutation tests (mp-value, MMD); ``mmd_bandwidth``: the MMD bandwidth rule
    (:func:`baselines.mmd_bandwidth`); ``kmeans_n_init``: restarts of k-means.
    """

    n_perts: int = 100
    n_permutations: int = 1000
    mmd_bandwidth: baselines.Bandwidth = "sqrt_half_median"
    kmeans_n_init: int = 10

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SimulationOptions:
        """The options of a ``simulations:`` config section (or of :func:`design_param`);
        absent keys keep the defaults above (the paper's)."""
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{name: section[name] for name in names if name in section})


#: Keys of the ``simulations:`` section that are engine settings: they reach the code as
#: MapSettings (``mapreprod.settings.from_config``: map_null_size -> null_size, seed).
ENGINE_KEYS = ("map_null_size", "seed")


def design_param(section: Mapping[str, Any]) -> dict[str, Any]:
    """The design part of a ``simulations:`` config section (every key but :data:`ENGINE_KEYS`):
    the rule param of the recall jobs next to ``map_settings("simulations")``."""
    return {key: value for key, value in section.items() if key not in ENGINE_KEYS}


# --------------------------------------------------------------------------------------------
# what each figure computes


@dataclass(frozen=True)
class MapTest:
    """One mAP test of a figure: its result column and the engine settings it sets.

    ``similarity`` and ``map_null`` replace those of the run's MapSettings (null size, seed and
    sampler stay the run's). A new kind of mAP test adds a field here and its branch in
    :func:`evaluate_condition`; the tests of one similarity share one AP computation.
    """

    column: str
    similarity: str = "cosine"
    map_null: str = "shared"


#: A baseline test: (centred Gram matrices (B, n, n) of B stacks with the n_x rows of X first,
#: n_x, number of features, seed, options) -> one value per stack (B,).
BaselineTest = Callable[[np.ndarray, int, int, int, SimulationOptions], np.ndarray]


def _mp_value(grams: np.ndarray, n_x: int, n_feats: int, seed: int,
              options: SimulationOptions) -> np.ndarray:
    return baselines.mp_value_from_gram(grams, n_x, options.n_permutations, seed).p_value


def _mmd(grams: np.ndarray, n_x: int, n_feats: int, seed: int,
         options: SimulationOptions) -> np.ndarray:
    return baselines.mmd_from_gram(grams, n_x, options.n_permutations, seed,
                                   options.mmd_bandwidth).p_value


def _kmeans(grams: np.ndarray, n_x: int, n_feats: int, seed: int,
            options: SimulationOptions) -> np.ndarray:
    return baselines.kmeans_from_gram(grams, n_x, n_feats, options.kmeans_n_init, seed)


#: The baseline tests of docs/methods.md §2.4 by result column (the authors' names), in table
#: order. mp-value and MMD give permutation p-values; k-means gives the clustering accuracy
#: (:data:`ACCURACY_COLUMNS`). One Gram matrix of all profiles of a condition serves them all.
BASELINE_TESTS: dict[str, BaselineTest] = {
    "mp-value": _mp_value,
    "MMD": _mmd,
    "k-means": _kmeans,
}

#: Result columns that hold an accuracy (1.0 = perfect split) rather than a p-value.
ACCURACY_COLUMNS = ("k-means",)


@dataclass(frozen=True)
class FigureSpec:
    """What one simulation figure computes.

    ``family``: the distributions; ``steps``: key of the percent axis in the config
    (``bin_exp``, ``linear``, ``calibration``); ``maps``: its mAP tests; ``baselines``: names of
    :data:`BASELINE_TESTS` it computes too. The table's method columns are :attr:`methods`.
    """

    family: Family
    steps: str
    maps: tuple[MapTest, ...]
    baselines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [b for b in self.baselines if b not in BASELINE_TESTS]
        if unknown:
            raise ValueError(f"FigureSpec.baselines: unknown test(s) {unknown}; known: "
                             f"{list(BASELINE_TESTS)}")

    @property
    def methods(self) -> list[str]:
        """Result columns of the figure's table, in table order: mAP tests, then baselines."""
        return [m.column for m in self.maps] + list(self.baselines)


_MAP = (MapTest("mAP p-value"),)
_ALL_BASELINES = tuple(BASELINE_TESTS)

#: The figures of docs/methods.md §2.5, plus figS_null (ours): shared vs independent mAP null.
FIGURE_SPECS: dict[str, FigureSpec] = {
    "fig2": FigureSpec(NORMAL, "bin_exp", _MAP, _ALL_BASELINES),
    "figS2": FigureSpec(NORMAL, "linear", _MAP, _ALL_BASELINES),
    "figS3": FigureSpec(Family("normal", (0.0, 1.0), (2.0, 2.0)), "bin_exp", _MAP, _ALL_BASELINES),
    "figS4": FigureSpec(Family("cauchy", (0.0, 1.0), (10.0, 1.0)), "bin_exp", _MAP,
                        _ALL_BASELINES),
    "figS5": FigureSpec(
        NORMAL,
        "bin_exp",
        (
            MapTest("mAP p-value (cosine)", "cosine"),
            MapTest("mAP p-value (Euclidean)", "euclidean"),
            MapTest("mAP p-value (correlation)", "correlation"),
        ),
    ),
    "figS_null": FigureSpec(
        NORMAL,
        "calibration",
        (
            MapTest("mAP p-value (shared null)", map_null="shared"),
            MapTest("mAP p-value (independent null)", map_null="independent"),
        ),
    ),
}


def figure_spec(figure: str) -> FigureSpec:
    """The spec of one simulation figure id (ValueError naming the known ids otherwise)."""
    if figure not in FIGURE_SPECS:
        raise ValueError(f"unknown simulation figure {figure!r}; known: {sorted(FIGURE_SPECS)}")
    return FIGURE_SPECS[figure]


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
    settings: MapSettings,
    map_nulls: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Uncorrected mAP p-value of every perturbation against the controls (docs/methods.md §2.3-2.4).

    One AP computation over the whole dataset (``settings.average_precision``, its similarity)
    with the reference-index design: ``Metadata_Control_Index`` = row index for controls and -1
    otherwise, positives = same perturbation and index, negatives = different perturbation and
    index. Then one mAP p-value per group null of ``map_nulls`` (default: ``settings.map_null``)
    with the settings' null size, seed and sampler. Returns one row per perturbation (sorted)
    with one p-value column per entry of ``map_nulls``, named by it.
    """
    meta = meta.reset_index(drop=True).copy()
    ctrl = meta["Metadata_Perturbation"].to_numpy() == CONTROL_LABEL
    meta["Metadata_Control_Index"] = np.where(ctrl, np.arange(len(meta)), -1)
    design = ["Metadata_Perturbation", "Metadata_Control_Index"]
    ap = settings.average_precision(meta, feats, design, [], [], design)
    out = None
    for null in map_nulls or (settings.map_null,):
        m = settings.replace(map_null=null).mean_average_precision(ap, "Metadata_Perturbation")
        m = m[["Metadata_Perturbation", "p_value"]].rename(columns={"p_value": null})
        out = m if out is None else out.merge(m, on="Metadata_Perturbation")
    return out.sort_values("Metadata_Perturbation").reset_index(drop=True)


def evaluate_condition(
    meta: pd.DataFrame,
    feats: np.ndarray,
    spec: FigureSpec,
    settings: MapSettings,
    options: SimulationOptions = SimulationOptions(),
) -> pd.DataFrame:
    """Score every perturbation of one simulated dataset with the methods of ``spec``.

    Parameters
    ----------
    meta, feats : one dataset of :func:`generate_profiles`.
    spec : the figure's mAP tests and baseline tests.
    settings : the mAP settings (null size, seed, sampler; each :class:`MapTest` sets similarity
        and group null). ``settings.seed`` also seeds the baselines' permutations and k-means.
    options : permutations, MMD bandwidth and k-means restarts of the baselines.

    Returns
    -------
    One row per perturbation: ``Metadata_Perturbation`` and the columns ``spec.methods`` (a
    p-value per mAP test and permutation test; the clustering accuracy for k-means).
    """
    labels, stacks, _ = perturbation_groups(meta)
    out = pd.DataFrame({"Metadata_Perturbation": labels})
    by_similarity: dict[str, list[MapTest]] = {}
    for test in spec.maps:
        by_similarity.setdefault(test.similarity, []).append(test)
    for similarity, tests in by_similarity.items():
        nulls = tuple(dict.fromkeys(test.map_null for test in tests))
        p = map_pvalues(meta, feats, settings.replace(similarity=similarity), nulls)
        if not np.array_equal(p["Metadata_Perturbation"].to_numpy(), labels):
            raise ValueError("mAP results do not cover every perturbation")
        for test in tests:
            out[test.column] = p[test.map_null].to_numpy()
    if spec.baselines:
        feats = np.asarray(feats, dtype=float)
        centred = feats - feats.mean(0)
        gram = centred @ centred.T
        grams = baselines.center_grams(gram[stacks[:, :, None], stacks[:, None, :]])
        n_x = stacks.shape[1] - int((meta["Metadata_Perturbation"] == CONTROL_LABEL).sum())
        for name in spec.baselines:
            out[name] = BASELINE_TESTS[name](grams, n_x, feats.shape[1], settings.seed, options)
    return out


def recall(results: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Share of perturbations called distinct from the controls, per method (docs/methods.md §2.4).

    p-value columns: share with p < ``alpha`` (uncorrected); accuracy columns
    (:data:`ACCURACY_COLUMNS`, k-means): share with accuracy exactly 1.
    """
    rec = {}
    for col in results.columns:
        if col == "Metadata_Perturbation":
            continue
        if col in ACCURACY_COLUMNS:
            rec[col] = float((results[col] == 1.0).mean())
        else:
            rec[col] = float((results[col] < alpha).mean())
    return rec


def run_grid(
    figure: str,
    conditions: pd.DataFrame,
    settings: MapSettings,
    options: SimulationOptions = SimulationOptions(),
) -> pd.DataFrame:
    """Recall of every method of ``figure`` for each condition of ``conditions`` (rows of
    :func:`simulation_grid`), each dataset drawn from a fresh ``default_rng(settings.seed)``
    with ``options.n_perts`` perturbations.

    Returns the authors' table layout: the method columns of the figure's spec followed by
    ``# replicates, n_controls, features_differ, n_feats`` (and ``n_perts``).
    """
    spec = figure_spec(figure)
    rows = []
    for cond in conditions.itertuples(index=False):
        meta, feats = generate_profiles(cond.n_feats, cond.n_plates, cond.n_controls_per_plate,
                                        cond.features_differ, options.n_perts, spec.family,
                                        settings.seed)
        res = evaluate_condition(meta, feats, spec, settings, options)
        rows.append({**recall(res), "# replicates": cond.n_plates, "n_controls": cond.n_controls,
                     "features_differ": cond.features_differ, "n_feats": cond.n_feats,
                     "n_perts": options.n_perts})
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


def figure_conditions(figure: str, design: Mapping[str, Any],
                      n_feats: int | None = None) -> pd.DataFrame:
    """Conditions of ``figure`` under the grids of ``design`` (the ``simulations:`` config
    section or its :func:`design_param`: ``percent_differ``, ``n_feats``, ``plates_controls``),
    optionally only those with ``n_feats`` features."""
    steps = design["percent_differ"][figure_spec(figure).steps]
    nfs = design["n_feats"] if n_feats is None else [n_feats]
    return simulation_grid(nfs, plates_controls_from_config(design["plates_controls"]), steps)


def gather_tables(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-job tables into one figure table, sorted like the authors' loops
    (n_feats, replicates, controls, percent), method columns first."""
    table = pd.concat(parts, ignore_index=True)
    grid = ["# replicates", "n_controls", "features_differ", "n_feats"]
    methods = [c for c in table.columns if c not in (*grid, "n_perts")]
    table = table.sort_values(["n_feats", "# replicates", "n_controls", "features_differ"])
    return table[[*methods, *grid, "n_perts"]].reset_index(drop=True)
