"""Simulated profiles and the simulation benchmark of Fig 2 and Fig S2-S5 (docs/methods.md §2).

The generator reproduces the authors' draw order exactly (one ``numpy.random.default_rng(seed)``
per dataset: plate map first, then plates in order, wells in order, the perturbed features of a
perturbation well first), but draws each dataset in one vectorised call: a Generator's
``normal(loc, scale, size)`` and ``standard_cauchy(size)`` consume the bit stream element by
element, so one large draw equals the concatenation of the authors' small draws.

What each figure computes is a :class:`FigureSpec` (:data:`FIGURE_SPECS`): its distributions, its
percent axis, its mAP tests (:class:`MapTest`: similarity and test of the group's mAP), its
baseline tests (names of :data:`BASELINE_TESTS`) and whether its table carries binomial
intervals. :func:`evaluate_condition` scores every perturbation of one simulated dataset with
those methods (docs/methods.md §2.4); :func:`recall` turns the per-perturbation results into one
row of the paper's tables; :func:`run_grid` does it for a grid of conditions.

Settings: the mAP part takes a :class:`mapreprod.settings.MapSettings` (``simulations.map_null_size``
as null size, ``simulations.seed`` as seed, ``simulations.null_sampler``); each :class:`MapTest`
sets similarity and test, and the engine is called directly with those (the settings' own test
is not used: the published figures use the shared null whatever ``map.test`` says). The rest of
the ``simulations:`` section is the design (:class:`SimulationOptions`, the grids). One seed,
``settings.seed``, drives every draw: data, mAP null, relabelings, permutations, k-means.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mapeval
import numpy as np
import pandas as pd
from mapeval.metrics import clopper_pearson

from mapreprod.settings import MapSettings

from . import baselines

#: Label of control wells (the authors' ``negcon_pert_value``).
CONTROL_LABEL = "negative_control"
#: Perturbation column of the simulated metadata (the groups of every test).
PERTURBATION = "Metadata_Perturbation"
#: The reference-index design of docs/methods.md §2.3: positives = same perturbation and index,
#: negatives = different perturbation and index (:func:`with_control_index` adds the index).
REFERENCE_DESIGN = [PERTURBATION, "Metadata_Control_Index"]

#: Percent of perturbed features per step (docs/methods.md §2.1): Fig 2, S3-S5 and the linear axis of S2.
PERCENT_STEPS: dict[str, list[int]] = {
    "bin_exp": [1, 2, 4, 8, 16, 32, 64],
    "linear": [1, *range(10, 101, 10)],
    # figS_null, metrics_simulations: calibration at 0%, then the Fig 2 axis
    "calibration": [0, 1, 2, 4, 8, 16, 32, 64],
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
    of the permutation tests (mp-value, MMD; relabelings B of the permutation mAP and the
    energy-distance test, every relabeling when there are no more); ``mmd_bandwidth``: the MMD
    bandwidth rule
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


#: The tests of a group's mAP (docs/methods.md §1.8): copairs' shared null (the paper's), the
#: independent null, the exact (enumerated) shared null and the label-permutation test.
MAP_TESTS = ("shared", "independent", "exact", "permutation")


@dataclass(frozen=True)
class MapTest:
    """One mAP test of a figure: its result column, similarity and test (:data:`MAP_TESTS`).

    ``shared``, ``independent`` and ``exact`` score one AP table per similarity with the run's
    null size, seed and sampler (``exact`` ignores the sampler: it enumerates the shared null);
    ``permutation`` relabels the profiles (:func:`mapeval.permutation_map`, B =
    ``SimulationOptions.n_permutations``, the run's seed). A new kind of mAP test adds its name
    to :data:`MAP_TESTS` and its branch in :func:`map_pvalues`.
    """

    column: str
    similarity: str = "cosine"
    test: str = "shared"

    def __post_init__(self) -> None:
        if self.test not in MAP_TESTS:
            raise ValueError(f"MapTest {self.column!r}: unknown test {self.test!r}; known: "
                             f"{list(MAP_TESTS)}")


@dataclass
class Condition:
    """One simulated dataset as the baseline tests see it.

    ``meta`` and ``feats`` as :func:`generate_profiles` returns them; ``stacks`` (B, n_x + n_y)
    and ``labels`` (B,) from :func:`perturbation_groups` (each perturbation's replicates, then
    every control); ``settings.seed`` seeds the permutations and k-means.
    """

    meta: pd.DataFrame
    feats: np.ndarray
    labels: np.ndarray
    stacks: np.ndarray
    n_x: int
    settings: MapSettings
    options: SimulationOptions

    @functools.cached_property
    def grams(self) -> np.ndarray:
        """Double-centred Gram matrices (B, n, n) of the stacks, from one Gram matrix of every
        profile of the condition (computed on first use: only the Gram-based tests need it)."""
        centred = self.feats - self.feats.mean(0)
        gram = centred @ centred.T
        return baselines.center_grams(gram[self.stacks[:, :, None], self.stacks[:, None, :]])


#: A baseline test: a condition -> one value per perturbation (B,), in ``labels`` order.
BaselineTest = Callable[[Condition], np.ndarray]


def _mp_value(cond: Condition) -> np.ndarray:
    return baselines.mp_value_from_gram(cond.grams, cond.n_x, cond.options.n_permutations,
                                        cond.settings.seed).p_value


def _mmd(cond: Condition) -> np.ndarray:
    return baselines.mmd_from_gram(cond.grams, cond.n_x, cond.options.n_permutations,
                                   cond.settings.seed, cond.options.mmd_bandwidth).p_value


def _kmeans(cond: Condition) -> np.ndarray:
    return baselines.kmeans_from_gram(cond.grams, cond.n_x, cond.feats.shape[1],
                                      cond.options.kmeans_n_init, cond.settings.seed)


def _energy_distance(cond: Condition) -> np.ndarray:
    res = mapeval.energy_distance_test(
        with_control_index(cond.meta), cond.feats, REFERENCE_DESIGN, [], [], REFERENCE_DESIGN,
        PERTURBATION, cond.options.n_permutations, cond.settings.seed,
        threads=cond.settings.threads,
    )
    if not np.array_equal(res[PERTURBATION].to_numpy(), cond.labels):
        raise ValueError("energy-distance results do not cover every perturbation")
    return res["p_value"].to_numpy()


#: The baseline tests of docs/methods.md §2.4 by result column (the authors' names), in table
#: order, and the energy-distance test (issue 18; ours). mp-value, MMD and energy distance give
#: permutation p-values; k-means gives the clustering accuracy (:data:`ACCURACY_COLUMNS`). One
#: Gram matrix of all profiles of a condition serves mp-value, MMD and k-means; energy distance
#: is :func:`mapeval.energy_distance_test` (Euclidean, the relabelings of the permutation mAP
#: test for the same seed).
BASELINE_TESTS: dict[str, BaselineTest] = {
    "mp-value": _mp_value,
    "MMD": _mmd,
    "k-means": _kmeans,
    "energy distance": _energy_distance,
}

#: The paper's baselines (Fig 2, S2-S4), in the authors' table order.
PAPER_BASELINES = ("mp-value", "MMD", "k-means")

#: Result columns that hold an accuracy (1.0 = perfect split) rather than a p-value.
ACCURACY_COLUMNS = ("k-means",)


@dataclass(frozen=True)
class FigureSpec:
    """What one simulation figure computes.

    ``family``: the distributions; ``steps``: key of the percent axis in the config
    (``bin_exp``, ``linear``, ``calibration``); ``maps``: its mAP tests; ``baselines``: names of
    :data:`BASELINE_TESTS` it computes too; ``intervals``: the table also holds the
    Clopper-Pearson 95% interval of every recall (:func:`interval_columns`); ``n_perts_key``:
    the config key of its perturbations per condition (:func:`figure_options`). The table's
    method columns are :attr:`methods`, all its result columns :attr:`columns`.
    """

    family: Family
    steps: str
    maps: tuple[MapTest, ...]
    baselines: tuple[str, ...] = ()
    intervals: bool = False
    n_perts_key: str = "n_perts"

    def __post_init__(self) -> None:
        unknown = [b for b in self.baselines if b not in BASELINE_TESTS]
        if unknown:
            raise ValueError(f"FigureSpec.baselines: unknown test(s) {unknown}; known: "
                             f"{list(BASELINE_TESTS)}")

    @property
    def methods(self) -> list[str]:
        """Method columns of the figure's table, in table order: mAP tests, then baselines."""
        return [m.column for m in self.maps] + list(self.baselines)

    @property
    def columns(self) -> list[str]:
        """Result columns of the figure's table: :attr:`methods`, then (with ``intervals``) the
        low and high end of each method's interval, method by method."""
        if not self.intervals:
            return self.methods
        return self.methods + [c for m in self.methods for c in interval_columns(m)]


def interval_columns(method: str) -> tuple[str, str]:
    """Names of the columns holding the low and high end of a method's 95% interval."""
    return f"{method}: 95% CI low", f"{method}: 95% CI high"


_MAP = (MapTest("mAP p-value"),)

#: The figures of docs/methods.md §2.5, plus two of ours: figS_null (the four mAP tests) and
#: metrics_simulations (Fig 2's methods and the energy-distance test, with the false-positive rate).
FIGURE_SPECS: dict[str, FigureSpec] = {
    "fig2": FigureSpec(NORMAL, "bin_exp", _MAP, PAPER_BASELINES),
    "figS2": FigureSpec(NORMAL, "linear", _MAP, PAPER_BASELINES),
    "figS3": FigureSpec(Family("normal", (0.0, 1.0), (2.0, 2.0)), "bin_exp", _MAP, PAPER_BASELINES),
    "figS4": FigureSpec(Family("cauchy", (0.0, 1.0), (10.0, 1.0)), "bin_exp", _MAP,
                        PAPER_BASELINES),
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
            MapTest("mAP p-value (shared null)", test="shared"),
            MapTest("mAP p-value (independent null)", test="independent"),
            MapTest("mAP p-value (exact null)", test="exact"),
            MapTest("mAP p-value (permutation)", test="permutation"),
        ),
        intervals=True,
        n_perts_key="ours_n_perts",
    ),
    "metrics_simulations": FigureSpec(
        NORMAL, "calibration", _MAP, (*PAPER_BASELINES, "energy distance"), intervals=True,
        n_perts_key="ours_n_perts",
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


def with_control_index(meta: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``meta`` (index reset) with ``Metadata_Control_Index`` = row number for the
    controls and -1 otherwise: the reference index of :data:`REFERENCE_DESIGN`."""
    meta = meta.reset_index(drop=True).copy()
    ctrl = meta[PERTURBATION].to_numpy() == CONTROL_LABEL
    meta["Metadata_Control_Index"] = np.where(ctrl, np.arange(len(meta)), -1)
    return meta


def map_pvalues(
    meta: pd.DataFrame,
    feats: np.ndarray,
    settings: MapSettings,
    tests: Sequence[str] | None = None,
    n_permutations: int = 1000,
) -> pd.DataFrame:
    """Uncorrected mAP p-value of every perturbation against the controls (docs/methods.md §2.3-2.4).

    The reference-index design (:data:`REFERENCE_DESIGN`): positives = same perturbation and
    index, negatives = different perturbation and index, so each replicate is ranked against the
    other replicates and every control. One p-value column per entry of ``tests`` (names of
    :data:`MAP_TESTS`, default ``("shared",)``), named by it:

    * ``shared``, ``independent``, ``exact``: one AP computation (``settings.average_precision``,
      its similarity), then :func:`mapeval.mean_average_precision` with the settings' null size,
      threshold and seed; the sampler is ``settings.null_sampler`` (``exact``: the enumerated
      shared null) and the group null copairs' shared one (``independent``: one row per member).
    * ``permutation``: :func:`mapeval.permutation_map` with ``n_permutations`` relabelings (all
      of them when there are no more), the settings' similarity, threshold, seed, threads and
      ``permutation_tie_break``.

    The settings' own test (``map.test``) is not used. Returns one row per perturbation (sorted).
    """
    tests = tuple(dict.fromkeys(tests or ("shared",)))
    unknown = [t for t in tests if t not in MAP_TESTS]
    if unknown:
        raise ValueError(f"unknown mAP test(s) {unknown}; known: {list(MAP_TESTS)}")
    if settings.null_size is None and any(t != "permutation" for t in tests):
        raise ValueError("map_pvalues: the settings have no null_size (simulations.map_null_size)")
    meta = with_control_index(meta)
    design = REFERENCE_DESIGN
    out = None
    ap = None
    for test in tests:
        if test == "permutation":
            m = mapeval.permutation_map(
                meta, feats, design, [], [], design, PERTURBATION, n_permutations,
                settings.threshold, settings.seed, similarity=settings.similarity,
                threads=settings.threads, tie_break=settings.engine_tie_break,
            )
        else:
            if ap is None:
                ap = settings.average_precision(meta, feats, design, [], [], design)
            m = mapeval.mean_average_precision(
                ap, PERTURBATION, int(settings.null_size), threshold=settings.threshold,
                seed=settings.seed, null_sampler="exact" if test == "exact" else settings.null_sampler,
                map_null="independent" if test == "independent" else "shared",
            )
        m = m[[PERTURBATION, "p_value"]].rename(columns={"p_value": test})
        out = m if out is None else out.merge(m, on=PERTURBATION)
    return out.sort_values(PERTURBATION).reset_index(drop=True)


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
        and test). ``settings.seed`` also seeds the relabelings, the baselines' permutations and
        k-means.
    options : permutations (and relabelings), MMD bandwidth and k-means restarts.

    Returns
    -------
    One row per perturbation: ``Metadata_Perturbation`` and the columns ``spec.methods`` (a
    p-value per mAP test and permutation test; the clustering accuracy for k-means).
    """
    labels, stacks, controls = perturbation_groups(meta)
    out = pd.DataFrame({PERTURBATION: labels})
    by_similarity: dict[str, list[MapTest]] = {}
    for test in spec.maps:
        by_similarity.setdefault(test.similarity, []).append(test)
    for similarity, tests in by_similarity.items():
        p = map_pvalues(meta, feats, settings.replace(similarity=similarity),
                        [test.test for test in tests], options.n_permutations)
        if not np.array_equal(p[PERTURBATION].to_numpy(), labels):
            raise ValueError("mAP results do not cover every perturbation")
        for test in tests:
            out[test.column] = p[test.test].to_numpy()
    if spec.baselines:
        cond = Condition(meta, np.asarray(feats, dtype=float), labels, stacks,
                         stacks.shape[1] - len(controls), settings, options)
        for name in spec.baselines:
            out[name] = BASELINE_TESTS[name](cond)
    return out


def calls(results: pd.DataFrame, alpha: float = 0.05) -> dict[str, int]:
    """Number of perturbations called per method: p < ``alpha`` (uncorrected), or for the
    accuracy columns (:data:`ACCURACY_COLUMNS`, k-means) accuracy exactly 1."""
    out = {}
    for col in results.columns:
        if col == PERTURBATION:
            continue
        hit = results[col] == 1.0 if col in ACCURACY_COLUMNS else results[col] < alpha
        out[col] = int(hit.sum())
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
    ``# replicates, n_controls, features_differ, n_feats`` (and ``n_perts``); with
    ``spec.intervals`` the method columns are followed by each method's interval
    (:attr:`FigureSpec.columns`).
    """
    spec = figure_spec(figure)
    rows = []
    for cond in conditions.itertuples(index=False):
        meta, feats = generate_profiles(cond.n_feats, cond.n_plates, cond.n_controls_per_plate,
                                        cond.features_differ, options.n_perts, spec.family,
                                        settings.seed)
        res = evaluate_condition(meta, feats, spec, settings, options)
        row = recall(res)
        if spec.intervals:
            row.update(recall_intervals(calls(res), len(res)))
        rows.append({**row, "# replicates": cond.n_plates, "n_controls": cond.n_controls,
                     "features_differ": cond.features_differ, "n_feats": cond.n_feats,
                     "n_perts": options.n_perts})
    return pd.DataFrame(rows)


def recall_intervals(counts: Mapping[str, int], n: int,
                     confidence: float = 0.95) -> dict[str, float]:
    """Clopper-Pearson interval of each method's recall (``counts`` calls among ``n``), as the
    columns :func:`interval_columns` names, method by method."""
    k = np.array(list(counts.values()), dtype=float)
    low, high = clopper_pearson(k, np.full(len(k), float(n)), confidence)
    out = {}
    for method, lo, hi in zip(counts, low, high):
        lo_col, hi_col = interval_columns(method)
        out[lo_col], out[hi_col] = float(lo), float(hi)
    return out


def plates_controls_from_config(entries: Sequence[Mapping]) -> dict[int, list[int]]:
    """``simulations.plates_controls`` (list of {plates, controls_per_plate}) as a dict."""
    out: dict[int, list[int]] = {}
    for e in entries:
        if "plates" not in e or "controls_per_plate" not in e:
            raise ValueError("simulations.plates_controls: every entry needs 'plates' and "
                             "'controls_per_plate'")
        out.setdefault(int(e["plates"]), []).extend(int(c) for c in e["controls_per_plate"])
    return out


def figure_options(figure: str, design: Mapping[str, Any]) -> SimulationOptions:
    """The options of one figure under ``design`` (the ``simulations:`` section or its
    :func:`design_param`): :meth:`SimulationOptions.from_config`, with the perturbations per
    condition read from the figure's ``n_perts_key`` (our figures: ``ours_n_perts``, whose
    label-permutation tests cost most) when the design has it, else from ``n_perts``."""
    options = SimulationOptions.from_config(design)
    key = figure_spec(figure).n_perts_key
    if key in design:
        options = dataclasses.replace(options, n_perts=int(design[key]))
    return options


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
