"""The engine's settings as one object: :class:`MapSettings` (docs/methods.md §14).

Every analysis of every dataset scores profiles with the same few engine settings (similarity,
null size, sampler, null, threshold, seed, threads, batch size). They are built once per dataset
from the config (:func:`from_config`, the ``map:`` section overlaid with the dataset's own keys),
handed to a rule as one param (:meth:`MapSettings.param`: a plain dict, so that Snakemake reruns
the rule when a setting that changes its output changes) and rebuilt in the rule script
(:func:`from_job`), where the job's threads are added. Dataset functions take the object whole and
call the engine through its methods, so a new statistic adds a field here, not a keyword argument
to every signature.

``batch_size`` and ``threads`` change no result (the engine's tests prove it), so they never
travel in the param: a change of either reruns nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mapeval
import numpy as np
import pandas as pd

#: Fields that change results, in the order of the param dict.
RESULT_FIELDS = ("similarity", "null_size", "threshold", "seed", "null_sampler", "map_null")
#: Fields that change only speed and memory (never part of a rule's param).
TUNING_FIELDS = ("batch_size", "threads")

#: Config key of each result field inside a dataset's section, where the dataset names it
#: differently (the simulations call their null size ``map_null_size``).
_SECTION_KEYS = {"simulations": {"null_size": "map_null_size"}}


@dataclass(frozen=True)
class MapSettings:
    """Settings of the mAP engine for one analysis.

    Attributes
    ----------
    similarity : "cosine", "abs_cosine", "correlation", "euclidean" (see mapeval.similarity).
    null_size : null samples per (k, N) configuration; None where the analysis draws no null
        (an AP-only step), and then the p-value methods refuse to run.
    threshold : significance level of ``below_p`` / ``below_corrected_p``.
    seed : top-level seed of the null distributions.
    null_sampler : "fast" or "copairs" (copairs 0.5.5's samples bit for bit).
    map_null : "shared" (copairs) or "independent".
    batch_size : query rows per block of similarities (speed only).
    threads : threads of the engine (speed only); None: the engine's default.
    """

    similarity: str = "cosine"
    null_size: int | None = None
    threshold: float = 0.05
    seed: int = 0
    null_sampler: str = "fast"
    map_null: str = "shared"
    batch_size: int = 2048
    threads: int | None = None

    def __post_init__(self) -> None:
        # the engine checks values where they enter; here only the types a config can get wrong
        if self.null_size is not None and (
            isinstance(self.null_size, bool) or not isinstance(self.null_size, (int, np.integer))
        ):
            raise ValueError(f"MapSettings.null_size must be an integer or None, got {self.null_size!r}")

    def replace(self, **changes: Any) -> MapSettings:
        """A copy with ``changes`` applied (e.g. a second null size, or the job's threads)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"MapSettings has no field(s) {unknown}")
        return dataclasses.replace(self, **changes)

    def param(self, fields: Sequence[str] = RESULT_FIELDS) -> dict[str, Any]:
        """The Snakemake param of a rule: the result fields it depends on, as a plain dict.

        A rule whose output depends on only some settings passes only those (an AP-only step:
        ``param(["similarity"])``), so that changing another one does not rerun it.
        """
        unknown = [f for f in fields if f not in RESULT_FIELDS]
        if unknown:
            raise ValueError(
                f"MapSettings.param: {unknown} are not result fields {list(RESULT_FIELDS)} "
                "(batch_size and threads change no result and are never part of a param)"
            )
        return {f: getattr(self, f) for f in RESULT_FIELDS if f in fields}

    def _require_null(self, what: str) -> int:
        if self.null_size is None:
            raise ValueError(
                f"{what}: these settings have no null_size (the rule's params.settings lacks it); "
                "pass the dataset's null size"
            )
        return int(self.null_size)

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
    ) -> pd.DataFrame:
        """:func:`mapeval.multilabel.average_precision` with these settings (``negative_rule``:
        a design choice of the analysis, not an engine setting; see the engine's docstring)."""
        return mapeval.multilabel.average_precision(
            meta, feats, list(pos_sameby), list(pos_diffby), list(neg_sameby), list(neg_diffby),
            multilabel_col, similarity=self.similarity, batch_size=self.batch_size,
            threads=self.threads, negative_rule=negative_rule,
        )

    def mean_average_precision(self, ap: pd.DataFrame, sameby: str | Sequence[str]) -> pd.DataFrame:
        """:func:`mapeval.mean_average_precision` with this null size, threshold, seed, sampler
        and null."""
        return mapeval.mean_average_precision(
            ap, sameby, self._require_null("mean_average_precision"), threshold=self.threshold,
            seed=self.seed, null_sampler=self.null_sampler, map_null=self.map_null,
        )

    def mean_average_precision_hierarchical(
        self, ap: pd.DataFrame, sameby: Sequence[str], hierarchical_by: Sequence[str]
    ) -> pd.DataFrame:
        """:func:`mapeval.mean_average_precision_hierarchical` with these settings."""
        return mapeval.mean_average_precision_hierarchical(
            ap, list(sameby), self._require_null("mean_average_precision_hierarchical"),
            self.threshold, self.seed, list(hierarchical_by), null_sampler=self.null_sampler,
            map_null=self.map_null,
        )

    def ap_p_values(self, ap: pd.DataFrame) -> np.ndarray:
        """:func:`mapeval.ap_p_values` (p-value of every AP) with this null size, seed and sampler."""
        return mapeval.ap_p_values(
            ap, self._require_null("ap_p_values"), seed=self.seed, null_sampler=self.null_sampler
        )

    def null_distributions(self, configs: np.ndarray) -> np.ndarray:
        """:func:`mapeval.null_distributions` of (k, N) configurations with these settings."""
        return mapeval.null_distributions(
            configs, self._require_null("null_distributions"), self.seed, self.null_sampler
        )


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
    ``null_sampler`` (the simulations draw copairs' own null by default); ``map_null`` and
    ``batch_size`` come from ``map:``. Keys a section does not
    have keep the engine's defaults (cosine, threshold 0.05, seed 0; no null size).
    """
    engine = config["map"]
    own = config.get(dataset, {}) if section is None else section
    names = _SECTION_KEYS.get(dataset, {})
    values: dict[str, Any] = {
        "null_sampler": engine["null_sampler"],
        "map_null": engine["map_null"],
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
