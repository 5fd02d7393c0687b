"""The engine's settings as one object: :class:`MapSettings` (docs/methods.md §14).

Every analysis of every dataset scores profiles with the same few engine settings (similarity,
null size, sampler, test, threshold, seed, threads, batch size). They are built once per dataset
from the config (:func:`from_config`, the ``map:`` section overlaid with the dataset's own keys),
handed to a rule as one param (:meth:`MapSettings.param`: a plain dict, so that Snakemake reruns
the rule when a setting that changes its output changes) and rebuilt in the rule script
(:func:`from_job`), where the job's threads are added. Dataset functions take the object whole and
call the engine through its methods, so a new statistic adds a field here, not a keyword argument
to every signature.

**The test of a group's mAP** (config ``map.test``; docs/methods.md §1.8 and §1.9): ``shared``
(copairs' null, the default and the published numbers), ``independent``, ``exact`` (the
enumerated null, ``null_sampler="exact"``) or ``permutation`` (the label-permutation test,
:func:`mapeval.permutation_map`). Every activity and consistency step of every dataset calls
:meth:`MapSettings.group_map` (or :meth:`MapSettings.multilabel_group_map`), which runs the
configured test and adds a ``test`` column naming what made each call. Where the permutation test
is not defined (several labels per profile, AP-level p-values, positives restricted by plate or
well...), the call says why (``permutation_undefined``) and the shared null runs instead: the
``test`` column then reads e.g. ``shared (permutation undefined: multilabel)`` and a warning goes
to the job's log (logger ``mapreprod``, level WARNING; :func:`mapreprod.job.start_job` routes it
there). Nothing is substituted silently.

``batch_size`` and ``threads`` change no result (the engine's tests prove it), so they never
travel in the param: a change of either reruns nothing. ``n_permutations`` travels only when
the test is ``permutation`` and ``exact_limit`` only when it is ``exact``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mapeval
import mapeval.exact
import numpy as np
import pandas as pd

#: The tests of a group's mAP (config ``map.test``), in the order the docs list them.
TESTS = ("shared", "independent", "exact", "permutation")
#: Fields that change results, in the order of the param dict.
RESULT_FIELDS = (
    "similarity", "null_size", "threshold", "seed", "null_sampler", "test", "n_permutations",
    "permutation_tie_break", "exact_limit",
)
#: Fields that change only speed and memory (never part of a rule's param).
TUNING_FIELDS = ("batch_size", "threads")
#: Result fields that matter only under one test (left out of the param otherwise).
_ONLY_UNDER = {
    "n_permutations": "permutation", "permutation_tie_break": "permutation", "exact_limit": "exact",
}
#: Relabelings per group of the permutation test (config ``map.n_permutations``; docs/methods.md §1.9).
N_PERMUTATIONS = 10_000
#: How the permutation test breaks ties of mAP (config ``map.permutation_tie_break``).
TIE_BREAKS = ("similarity", "none")

#: Column of every mAP table naming the test that made its calls.
TEST_COLUMN = "test"
#: Columns some tests add (exact: ``p_value_exact``; permutation: also the relabelings used and
#: how many exist), kept in the result tables after :data:`TEST_COLUMN` where present.
TEST_DETAIL_COLUMNS = ("p_value_exact", "n_permutations", "n_relabelings")
#: Reasons the permutation test is undefined, as the ``test`` column and docs/methods.md §1.9 name them.
MULTILABEL = "multilabel"
AP_LEVEL = "AP-level p-values"
#: The reproduction tables' row naming the test of each figure's calls, and the paper's test.
TEST_QUANTITY = "test of the calls (map.test)"
PAPER_TEST = "shared (copairs)"

#: Config key of each result field inside a dataset's section, where the dataset names it
#: differently (the simulations call their null size ``map_null_size``).
_SECTION_KEYS = {"simulations": {"null_size": "map_null_size"}}

#: Where the fallback from the permutation test is logged (the rule scripts send it to the job's log).
LOGGER = logging.getLogger("mapreprod")


@dataclass(frozen=True)
class MapSettings:
    """Settings of the mAP engine for one analysis.

    Attributes
    ----------
    similarity : "cosine", "abs_cosine", "correlation", "euclidean" (see mapeval.similarity).
    null_size : null samples per (k, N) configuration; None where the analysis draws no null
        (an AP-only step), and then the p-value methods refuse to run.
    threshold : significance level of ``below_p`` / ``below_corrected_p``.
    seed : top-level seed of the null distributions and of the relabelings.
    null_sampler : "fast" or "copairs" (copairs 0.5.5's samples bit for bit): how the sampled
        nulls (shared, independent, and the AP-level p-values) are drawn.
    test : the test of a group's mAP, one of :data:`TESTS` (module docstring).
    n_permutations : relabelings per group of the permutation test (all of them, exactly, when
        a group has no more).
    permutation_tie_break : "similarity" (relabelings whose mAP ties the observed one count as
        >= only when their mean positive-pair similarity is >= too; mAP ties often with 2
        replicates) or "none" (every tie counts as >=); both are exact tests
        (:func:`mapeval.permutation_map`'s ``tie_break``; docs/methods.md §1.9).
    exact_limit : the largest number of rank lists (and convolution support) the exact null
        enumerates; beyond it the exact test is Monte Carlo (``p_value_exact`` False).
    batch_size : query rows per block of similarities (speed only).
    threads : threads of the engine (speed only); None: the engine's default.
    """

    similarity: str = "cosine"
    null_size: int | None = None
    threshold: float = 0.05
    seed: int = 0
    null_sampler: str = "fast"
    test: str = "shared"
    n_permutations: int = N_PERMUTATIONS
    permutation_tie_break: str = "similarity"
    exact_limit: int = mapeval.exact.EXACT_LIMIT
    batch_size: int = 2048
    threads: int | None = None

    def __post_init__(self) -> None:
        # the engine checks values where they enter; here only what a config can get wrong
        if self.null_size is not None and (
            isinstance(self.null_size, bool) or not isinstance(self.null_size, (int, np.integer))
        ):
            raise ValueError(f"MapSettings.null_size must be an integer or None, got {self.null_size!r}")
        if self.test not in TESTS:
            raise ValueError(f"MapSettings.test (config map.test) must be one of {TESTS}, got {self.test!r}")
        if self.permutation_tie_break not in TIE_BREAKS:
            raise ValueError("MapSettings.permutation_tie_break (config map.permutation_tie_break) "
                             f"must be one of {TIE_BREAKS}, got {self.permutation_tie_break!r}")
        for name in ("n_permutations", "exact_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MapSettings.{name} (config map.{name}) must be a positive integer, "
                                 f"got {value!r}")

    def replace(self, **changes: Any) -> MapSettings:
        """A copy with ``changes`` applied (e.g. a second null size, or the job's threads)."""
        if "map_null" in changes:
            raise TypeError("MapSettings.map_null was renamed: use replace(test='shared' | "
                            "'independent' | 'exact' | 'permutation') (config map.test)")
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"MapSettings has no field(s) {unknown}")
        return dataclasses.replace(self, **changes)

    def param(self, fields: Sequence[str] = RESULT_FIELDS) -> dict[str, Any]:
        """The Snakemake param of a rule: the result fields it depends on, as a plain dict.

        A rule whose output depends on only some settings passes only those (an AP-only step:
        ``param(["similarity"])``), so that changing another one does not rerun it.
        ``n_permutations`` is left out unless the test is ``permutation`` (and ``exact_limit``
        unless it is ``exact``): they change nothing under the other tests. A rule that runs
        every test whatever ``map.test`` says lists them without ``test``: then they stay.
        """
        unknown = [f for f in fields if f not in RESULT_FIELDS]
        if unknown:
            raise ValueError(
                f"MapSettings.param: {unknown} are not result fields {list(RESULT_FIELDS)} "
                "(batch_size and threads change no result and are never part of a param)"
            )

        def used(field: str) -> bool:
            test = _ONLY_UNDER.get(field)
            return test is None or "test" not in fields or self.test == test

        return {f: getattr(self, f) for f in RESULT_FIELDS if f in fields and used(f)}

    def _require_null(self, what: str) -> int:
        if self.null_size is None:
            raise ValueError(
                f"{what}: these settings have no null_size (the rule's params.settings lacks it); "
                "pass the dataset's null size"
            )
        return int(self.null_size)

    # -- which test runs ------------------------------------------------------------------------

    @property
    def map_null(self) -> str:
        """The engine's ``map_null`` of the AP-table tests: "independent" under that test,
        otherwise "shared" (the exact test enumerates the shared null)."""
        return "independent" if self.test == "independent" else "shared"

    @property
    def sampler(self) -> str:
        """The engine's ``null_sampler`` of the AP-table tests and AP p-values: "exact" under the
        exact test, otherwise :attr:`null_sampler`."""
        return "exact" if self.test == "exact" else self.null_sampler

    @property
    def engine_tie_break(self) -> str | None:
        """:func:`mapeval.permutation_map`'s ``tie_break`` of :attr:`permutation_tie_break`."""
        return None if self.permutation_tie_break == "none" else self.permutation_tie_break

    def test_label(self, permutation_undefined: str | None = None) -> str:
        """What makes the calls of an analysis, as its ``test`` column says it: the configured
        test, or, under ``permutation`` for an analysis where it is undefined (the reason given),
        ``"shared (permutation undefined: <reason>)"``."""
        if self.test == "permutation" and permutation_undefined:
            return f"shared (permutation undefined: {permutation_undefined})"
        return self.test

    def _ap_table_settings(self, permutation_undefined: str | None, what: str) -> MapSettings:
        """The settings whose AP-table null runs: these, or the shared null where the permutation
        test is undefined (logged: the fallback is never silent)."""
        if self.test != "permutation":
            return self
        if not permutation_undefined:
            raise ValueError(
                f"{what}: map.test is 'permutation', which relabels profiles and needs them, not an "
                "AP table: call MapSettings.group_map(meta, feats, ...) (or pass "
                "permutation_undefined='<reason>' to run the shared null and say why)"
            )
        message = (f"map.test: permutation is not defined for {permutation_undefined}; {what} "
                   "uses the shared null (the table's test column says so)")
        LOGGER.warning(message)
        return self.replace(test="shared")

    # -- the engine, called with these settings ------------------------------------------------

    def average_precision(
        self,
        meta: pd.DataFrame,
        feats: np.ndarray | pd.DataFrame,
        pos_sameby: Sequence[str],
        pos_diffby: Sequence[str],
        neg_sameby: Sequence[str],
        neg_diffby: Sequence[str],
    ) -> pd.DataFrame:
        """:func:`mapeval.average_precision` with this similarity, batch size and threads."""
        return mapeval.average_precision(
            meta, feats, list(pos_sameby), list(pos_diffby), list(neg_sameby), list(neg_diffby),
            similarity=self.similarity, batch_size=self.batch_size, threads=self.threads,
        )

    def multilabel_average_precision(
        self,
        meta: pd.DataFrame,
        feats: np.ndarray | pd.DataFrame,
        pos_sameby: Sequence[str],
        pos_diffby: Sequence[str],
        neg_sameby: Sequence[str],
        neg_diffby: Sequence[str],
        multilabel_col: str,
        negative_rule: str = "share_none",
        tie_order: str = "positives_first",
    ) -> pd.DataFrame:
        """:func:`mapeval.multilabel.average_precision` with these settings (``negative_rule``
        and ``tie_order``: design choices of the analysis, not engine settings; see the engine's
        docstring)."""
        return mapeval.multilabel.average_precision(
            meta, feats, list(pos_sameby), list(pos_diffby), list(neg_sameby), list(neg_diffby),
            multilabel_col, similarity=self.similarity, batch_size=self.batch_size,
            threads=self.threads, negative_rule=negative_rule, tie_order=tie_order,
        )

    def mean_average_precision(self, ap: pd.DataFrame, sameby: str | Sequence[str]) -> pd.DataFrame:
        """:func:`mapeval.mean_average_precision` of an AP table with this null size, threshold,
        seed and test (shared, independent or exact; the engine's columns, no ``test`` column).

        The permutation test needs the profiles: it is refused here (use :meth:`group_map`)."""
        self._ap_table_settings(None, "mean_average_precision")
        return mapeval.mean_average_precision(
            ap, sameby, self._require_null("mean_average_precision"), threshold=self.threshold,
            seed=self.seed, null_sampler=self.sampler, map_null=self.map_null,
            exact_limit=self.exact_limit, max_workers=self.threads,
        )

    def mean_average_precision_hierarchical(
        self, ap: pd.DataFrame, sameby: Sequence[str], hierarchical_by: Sequence[str]
    ) -> pd.DataFrame:
        """:func:`mapeval.mean_average_precision_hierarchical` with these settings (shared,
        independent or exact; the permutation test: :meth:`group_map` with ``hierarchical_by``)."""
        self._ap_table_settings(None, "mean_average_precision_hierarchical")
        return mapeval.mean_average_precision_hierarchical(
            ap, list(sameby), self._require_null("mean_average_precision_hierarchical"),
            self.threshold, self.seed, list(hierarchical_by), null_sampler=self.sampler,
            map_null=self.map_null, exact_limit=self.exact_limit, max_workers=self.threads,
        )

    def group_map(
        self,
        meta: pd.DataFrame | None,
        feats: np.ndarray | pd.DataFrame | None,
        pos_sameby: Sequence[str],
        pos_diffby: Sequence[str],
        neg_sameby: Sequence[str],
        neg_diffby: Sequence[str],
        sameby: str | Sequence[str],
        ap: pd.DataFrame | None = None,
        *,
        hierarchical_by: Sequence[str] | None = None,
        strata: str | None = None,
        permutation_undefined: str | None = None,
        analysis: str = "",
    ) -> pd.DataFrame:
        """mAP of each group of ``sameby`` and its p-value under the configured test, with a
        ``test`` column: the one call every activity and consistency step makes.

        Parameters
        ----------
        meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby : the profiles and the pair
            rules, as :meth:`average_precision`. They must describe the same design as ``ap``:
            where an analysis drops AP rows before the mAP (e.g. the controls' own APs), pass
            profiles where those rows have no positive pair instead (a unique id), not fewer
            profiles (fewer profiles would change the others' negatives).
        sameby : the group column(s).
        ap : the AP table of these profiles, when the caller already has it (shared,
            independent and exact score it; computed here when None).
        hierarchical_by : with it, copairs' two-stage correction (dose-response designs) instead
            of BH: ``sameby`` = [compound, dose], ``hierarchical_by`` = [compound].
        strata : the permutation test's strata column (default: the ``neg_sameby`` groups).
        permutation_undefined : the reason the permutation test does not apply to this analysis
            (docs/methods.md §1.9); under ``map.test: permutation`` the shared null runs and the
            ``test`` column says so. None: the permutation test runs.
        analysis : the analysis' name, for error messages and the log.

        Returns
        -------
        DataFrame, one row per group (sorted by ``sameby``): the ``sameby`` columns,
        ``mean_average_precision``, ``p_value``, ``corrected_p_value``, ``below_p``,
        ``below_corrected_p`` and the test's own columns (shared, independent: copairs'
        ``indices`` and ``mean_normalized_average_precision``; exact: also ``p_value_exact``;
        permutation: ``n_permutations``, ``n_relabelings``, ``p_value_exact``; hierarchical: the
        stage-1 columns), then ``test``.
        """
        what = analysis or "group_map"
        lists = [list(x) for x in (pos_sameby, pos_diffby, neg_sameby, neg_diffby)]
        if self.test == "permutation" and not permutation_undefined:
            if meta is None or feats is None:
                raise ValueError(f"{what}: map.test is 'permutation': pass the profiles (meta, feats)")
            try:
                out = mapeval.permutation_map(
                    meta, feats, *lists, sameby, self.n_permutations, self.threshold, self.seed,
                    strata, similarity=self.similarity, threads=self.threads,
                    tie_break=self.engine_tie_break,
                )
            except ValueError as err:
                raise ValueError(
                    f"{what}: map.test is 'permutation', but the label-permutation test does not "
                    f"apply to this design: {err}. Set map.test to shared, independent or exact "
                    "for this run (docs/methods.md §1.9)"
                ) from err
            if hierarchical_by is not None:
                groups = [sameby] if isinstance(sameby, str) else list(sameby)
                out = mapeval.apply_hierarchical_fdr_correction(
                    out.drop(columns=["corrected_p_value", "below_p", "below_corrected_p"]),
                    list(hierarchical_by), groups,
                )
                out["below_p"] = out["p_value"] < self.threshold
                out["below_corrected_p"] = out["corrected_p_value"] < self.threshold
        else:
            run = self._ap_table_settings(permutation_undefined, what)
            if ap is None:
                if meta is None or feats is None:
                    raise ValueError(f"{what}: pass the AP table (ap) or the profiles (meta, feats)")
                ap = run.average_precision(meta, feats, *lists)
            if hierarchical_by is None:
                out = run.mean_average_precision(ap, sameby)
            else:
                groups = [sameby] if isinstance(sameby, str) else list(sameby)
                out = run.mean_average_precision_hierarchical(ap, groups, hierarchical_by)
        out[TEST_COLUMN] = self.test_label(permutation_undefined)
        return out

    def multilabel_group_map(
        self,
        meta: pd.DataFrame,
        feats: np.ndarray | pd.DataFrame,
        pos_sameby: Sequence[str],
        pos_diffby: Sequence[str],
        neg_sameby: Sequence[str],
        neg_diffby: Sequence[str],
        multilabel_col: str,
        sameby: str | Sequence[str],
        ap: pd.DataFrame | None = None,
        *,
        negative_rule: str = "share_none",
        analysis: str = "",
    ) -> pd.DataFrame:
        """:meth:`group_map` of a multilabel design (a list of labels per profile, mAP per
        label; :meth:`multilabel_average_precision`). The label-permutation test is not defined
        for it (a relabelled profile's negatives depend on its label set; docs/methods.md §1.8):
        under ``map.test: permutation`` the shared null runs, and the ``test`` column reads
        ``shared (permutation undefined: multilabel)``."""
        if ap is None:
            ap = self.multilabel_average_precision(
                meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, multilabel_col,
                negative_rule=negative_rule,
            )
        return self.group_map(
            meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, sameby, ap,
            permutation_undefined=MULTILABEL, analysis=analysis,
        )

    def ap_p_values(self, ap: pd.DataFrame) -> np.ndarray:
        """:func:`mapeval.ap_p_values` (p-value of every AP) with this null size and seed: the
        exact null under ``map.test: exact``, else the sampled null of :attr:`null_sampler`
        (one AP has one null: shared and independent coincide; the permutation test has no
        AP-level version, see :meth:`ap_test_label`; :meth:`log_ap_level` logs it)."""
        self.log_ap_level()
        return mapeval.ap_p_values(
            ap, self._require_null("ap_p_values"), seed=self.seed, null_sampler=self.sampler,
            exact_limit=self.exact_limit, threads=self.threads,
        )

    def log_ap_level(self) -> None:
        """Under ``map.test: permutation``, log that AP-level p-values use the shared null (for
        code that draws AP-level p-values itself, e.g. with copairs' strict ">")."""
        if self.test == "permutation":
            LOGGER.warning("map.test: permutation is not defined for %s; they use the shared "
                           "(sampled) null of each AP (the table's test column says so)", AP_LEVEL)

    def ap_test_label(self) -> str:
        """The ``test`` column of AP-level p-values (:meth:`ap_p_values`): the configured test,
        or ``shared (permutation undefined: AP-level p-values)`` under ``permutation``."""
        return self.test_label(AP_LEVEL)

    def null_distributions(self, configs: np.ndarray) -> np.ndarray:
        """:func:`mapeval.null_distributions` of (k, N) configurations with these settings
        (sampled rows: :attr:`null_sampler`, whatever the test)."""
        return mapeval.null_distributions(
            configs, self._require_null("null_distributions"), self.seed, self.null_sampler,
            threads=self.threads,
        )


def test_columns(table: pd.DataFrame) -> list[str]:
    """The test columns of an mAP table, for a dataset's result table: :data:`TEST_COLUMN`, then
    those of :data:`TEST_DETAIL_COLUMNS` the test produced (none under the shared null)."""
    return [TEST_COLUMN, *(c for c in TEST_DETAIL_COLUMNS if c in table.columns)]


def tests_used(tables: Iterable[pd.DataFrame | None]) -> str:
    """The distinct ``test`` values of result tables, joined by "; " in order of appearance
    (what the reproduction tables report); "NA" when no table has a row."""
    seen: dict[str, None] = {}
    for table in tables:
        if table is None or TEST_COLUMN not in table.columns:
            continue
        seen.update(dict.fromkeys(str(v) for v in table[TEST_COLUMN].dropna()))
    return "; ".join(seen) if seen else "NA"


def test_rows(figures: Mapping[str, Iterable[pd.DataFrame | None]], note: str = "") -> pd.DataFrame:
    """Rows of a reproduction table naming the test behind each figure's calls.

    ``figures``: figure label (as the table's other rows name it, e.g. "Fig 4A/B") -> the
    result tables its calls come from. Returns the columns figure, quantity
    (:data:`TEST_QUANTITY`), paper (:data:`PAPER_TEST`: the published numbers used copairs'
    shared null), ours (:func:`tests_used`) and note.
    """
    rows = [(fig, TEST_QUANTITY, PAPER_TEST, tests_used(tables), note) for fig, tables in figures.items()]
    return pd.DataFrame(rows, columns=["figure", "quantity", "paper", "ours", "note"])


def from_config(
    config: Mapping[str, Any], dataset: str, section: Mapping[str, Any] | None = None
) -> MapSettings:
    """The settings of one dataset: the ``map:`` section, overlaid by the dataset's own keys.

    Parameters
    ----------
    config : the validated config (defaults filled in).
    dataset : the name of the dataset's section (``nelisa``, ``simulations``, ``own_data``...).
    section : the mapping to read the dataset's keys from, where it is not ``config[dataset]``
        (one entry of ``own_data.datasets``).

    The dataset's section may set ``similarity``, ``null_size``, ``threshold``, ``seed`` and
    ``null_sampler`` (the simulations draw copairs' own null by default); ``test``,
    ``n_permutations``, ``permutation_tie_break``, ``exact_limit`` and ``batch_size`` come from
    ``map:``. Keys a section
    does not have keep the engine's defaults (cosine, threshold 0.05, seed 0; no null size).
    """
    engine = config["map"]
    own = config.get(dataset, {}) if section is None else section
    names = _SECTION_KEYS.get(dataset, {})
    values: dict[str, Any] = {
        "null_sampler": engine["null_sampler"],
        "test": engine["test"],
        "n_permutations": engine["n_permutations"],
        "permutation_tie_break": engine["permutation_tie_break"],
        "exact_limit": engine["exact_limit"],
        "batch_size": engine["batch_size"],
    }
    for field in ("similarity", "null_size", "threshold", "seed", "null_sampler"):
        key = names.get(field, field)
        if key in own:
            values[field] = own[key]
    return MapSettings(**values)


def from_job(job: Any) -> MapSettings:
    """The settings inside a rule script: the rule's ``params.settings`` (a :meth:`MapSettings.param`
    dict), the config's ``map.batch_size`` and the job's threads."""
    return MapSettings(
        **dict(job.params.settings),
        batch_size=job.config["map"]["batch_size"],
        threads=int(job.threads),
    )
