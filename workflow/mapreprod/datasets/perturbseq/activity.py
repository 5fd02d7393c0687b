"""mAP of the Perturb-seq guides: bulk per guide (Fig 4E-F) and per single cell (Fig 5A-B).

Both follow the authors' ``3_calculate_map_perturbseq.py`` (docs/methods.md §7) and score against the
non-targeting ("neg") profiles through the reference-index trick: ``Metadata_reference_index``
is the row index for neg profiles and -1 otherwise; with it in ``pos_sameby`` and
``neg_diffby``, neg profiles get no AP and every negative pair is (query, neg profile).

* **Bulk** (:func:`bulk_map`): one median profile per guide; positives of a guide are the
  *other guides of the same gene* (``pos_sameby`` = gene, reference index), negatives the 10
  neg guide profiles; features with variance > 0.001 over the bulk profiles; one mAP per guide,
  BH over the 128 guides; merged with Table S16 on the guide. With ``unit="gemgroup"`` (the
  paper's "biological replicate level") a guide's profiles are its per-gem-group medians and its
  positives are its own other replicate profiles.
* **Single cell** (:func:`single_cell_ap`): cells with a single guide and good coverage; 20% of
  the neg cells (:func:`sample_controls`, pandas ``sample(frac=0.2)`` under
  ``np.random.seed(42)``); positives of a cell are the other cells of its guide, negatives the
  sampled neg cells; features with variance > 0.001 over the single-cell table (HEAD) or the
  bulk gene list (e9a5414); one "mAP" per cell (its AP), BH over all cells of one call (HEAD) or
  within each guide (e9a5414, ``calls="per_guide"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapreprod.common import paper_columns, require_columns
from mapreprod.settings import AP_LEVEL, MapSettings, test_columns

from .inputs import CELL, GEMGROUP, GENE, GOOD_COVERAGE, GUIDE, MULTIPLET, NEGATIVE, REFERENCE
from .preprocess import feature_columns

__all__ = [
    "BULK_COLUMNS",
    "SIGNIFICANCE_COLUMNS",
    "SIGNIFICANCE_LABELS",
    "bulk_map",
    "bulk_pairs",
    "sample_controls",
    "scored_cells",
    "single_cell_ap",
    "single_cell_pairs",
    "significance",
    "variable_features",
    "with_reference_index",
]

#: Columns of the bulk result table (the authors' ``GSE132080_map.tsv`` at e9a5414).
BULK_COLUMNS = [
    "perturbation",
    "group",
    "mAP",
    "p_value",
    "corrected_p_value",
    "below_p",
    "p < 0.05",
    "-log10(mAP p-value)",
    "id",
    "sequence",
    "gene",
    "gamma_day5",
    "gamma_day10",
    "relative_activity_day5",
    "relative_activity_day10",
]


def bulk_pairs(unit: str = "guide") -> dict[str, list[str]]:
    """Pair definition of the bulk mAP: positives share the gene (per-guide profiles) or the
    guide (per-gem-group profiles); negatives are the neg profiles."""
    label = GENE if unit == "guide" else GUIDE
    return {
        "pos_sameby": [label, REFERENCE],
        "pos_diffby": [],
        "neg_sameby": [],
        "neg_diffby": [label, REFERENCE],
    }


def single_cell_pairs() -> dict[str, list[str]]:
    """Pair definition of the single-cell AP: positives share the guide; negatives are the neg
    cells."""
    return {
        "pos_sameby": [GUIDE, REFERENCE],
        "pos_diffby": [],
        "neg_sameby": [],
        "neg_diffby": [GUIDE, REFERENCE],
    }


def variable_features(df: pd.DataFrame, threshold: float = 0.001) -> list[str]:
    """Genes whose variance (pandas, n - 1) over the rows of ``df`` exceeds ``threshold`` (the
    authors' ``genes_to_retain``), in column order."""
    genes = feature_columns(df)
    variance = df[genes].var()
    keep = variance.index[variance.to_numpy() > threshold].tolist()
    if not keep:
        raise ValueError(
            f"no gene has variance > {threshold} (config perturbseq.variance_threshold)"
        )
    return keep


def with_reference_index(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with ``Metadata_reference_index`` = row index (after reset) for neg rows, else -1."""
    out = df.reset_index(drop=True).copy()
    out[REFERENCE] = np.where(out[GENE].eq(NEGATIVE), np.arange(len(out)), -1).astype(np.int64)
    return out


#: Why the label-permutation test does not apply to the per-guide bulk mAP (a guide's one profile
#: is scored against its gene's other guides: the groups split the positive pairs) and to the
#: single-cell APs (one cell per group); docs/methods.md §1.9.
GUIDE_UNIT = "one profile per guide, positives are other guides"


def _map_call(
    meta: pd.DataFrame,
    feats: np.ndarray,
    pairs: dict,
    groupby: list[str],
    settings: MapSettings,
    permutation_undefined: str | None = None,
    analysis: str = "",
) -> pd.DataFrame:
    """AP of every row with ``pairs``, rows without positives dropped, then mAP per ``groupby``
    under the test of ``map.test`` (:meth:`MapSettings.group_map`, ``test`` column)."""
    ap = settings.average_precision(meta, feats, **pairs)
    ap = ap.dropna(subset=["average_precision"])
    return settings.group_map(meta, feats, **pairs, sameby=groupby, ap=ap,
                              permutation_undefined=permutation_undefined, analysis=analysis)


def bulk_map(
    bulk: pd.DataFrame,
    phenotypes: pd.DataFrame,
    settings: MapSettings,
    *,
    unit: str = "guide",
    variance_threshold: float = 0.001,
) -> pd.DataFrame:
    """Fig 4E-F: mAP of every targeting guide against the non-targeting guide profiles.

    Parameters
    ----------
    bulk : :func:`~.preprocess.bulk_profiles` (per guide, or per guide and gem group for
        ``unit="gemgroup"``).
    phenotypes : Table S16 (:func:`~.inputs.read_screen_phenotypes`).
    settings : the engine settings (similarity, null size: config perturbseq.bulk_null_size,
        threshold, seed: the authors' 0, sampler, mAP null, threads).
    unit : "guide" (the authors' code) or "gemgroup" (the paper's replicate-level reading).
    variance_threshold : features with variance above it over the bulk profiles are used.

    Returns
    -------
    DataFrame with :data:`BULK_COLUMNS` and ``test`` (the test of ``map.test``; per guide the
    permutation test is undefined, :data:`GUIDE_UNIT`, and the shared null runs), one row per
    guide found in Table S16 (inner join on the guide identity, as the authors merge), in guide
    order. ``p < 0.05`` is the BH-corrected call.
    """
    require_columns(bulk, [GUIDE, GENE], "bulk profiles")
    if unit == "gemgroup":
        require_columns(bulk, [GEMGROUP], "bulk profiles (perturbseq.bulk_unit: gemgroup)")
    profiles = with_reference_index(bulk[bulk[GENE] != MULTIPLET])
    if not profiles[GENE].eq(NEGATIVE).any():
        raise ValueError("bulk profiles: no non-targeting ('neg') guide to score against")
    genes = variable_features(profiles, variance_threshold)
    meta = profiles[[c for c in profiles.columns if str(c).startswith("Metadata_")]]
    scores = _map_call(
        meta, profiles[genes].to_numpy(dtype=np.float64), bulk_pairs(unit), [GUIDE, GENE], settings,
        permutation_undefined=GUIDE_UNIT if unit == "guide" else None,
        analysis=f"Perturb-seq bulk mAP (perturbseq.bulk_unit: {unit})",
    )
    scores = paper_columns(scores).rename(columns={GUIDE: "perturbation", GENE: "group"})
    merged = scores.merge(phenotypes, on="perturbation", how="inner")
    if merged.empty:
        raise ValueError(
            "no guide of the bulk mAP table is in Table S16 (perturbation = gene + '_' + id); "
            f"e.g. {scores['perturbation'].iloc[0]!r}"
        )
    return merged[[*BULK_COLUMNS, *test_columns(merged)]].reset_index(drop=True)


def scored_cells(sc: pd.DataFrame) -> pd.DataFrame:
    """Cells the single-cell analysis uses: gene identity not "*", ``good_coverage`` true (which
    also drops cells without an identity); index reset, reference index added."""
    require_columns(sc, [GENE, GUIDE, GOOD_COVERAGE, CELL], "single-cell table")
    good = sc[GOOD_COVERAGE].astype("boolean").fillna(False).to_numpy(dtype=bool)
    keep = sc[GENE].ne(MULTIPLET).to_numpy() & good
    out = sc.loc[keep]
    if not out[GENE].eq(NEGATIVE).any():
        raise ValueError("single-cell table: no good-coverage non-targeting ('neg') cell")
    return with_reference_index(out)


def sample_controls(cells: pd.DataFrame, fraction: float = 0.2, seed: int = 42) -> pd.DataFrame:
    """The neg cells the single-cell AP is scored against: pandas
    ``cells.query("Metadata_gene_identity == 'neg'").sample(frac=fraction)`` under
    ``np.random.seed(seed)`` (the authors' global seed, with nothing drawn before it), i.e. a
    ``RandomState(seed)`` choice without replacement of round(fraction x n) rows, in draw order."""
    if not 0 < fraction <= 1:
        raise ValueError(f"perturbseq.control_fraction must be in (0, 1], got {fraction}")
    neg = cells[cells[GENE].eq(NEGATIVE)]
    sample = neg.sample(frac=fraction, random_state=np.random.RandomState(seed))
    if sample.empty:
        raise ValueError(
            f"sampling {fraction:.0%} of {len(neg)} neg cells leaves none "
            "(config perturbseq.control_fraction)"
        )
    return sample


#: The p-value column behind the single-cell "p < 0.05" (config perturbseq.single_cell_significance):
#: the raw p (the authors' HEAD plot) or the BH-corrected p (the captions), and its legend label.
SIGNIFICANCE_COLUMNS = {"raw": "p_value", "corrected": "corrected_p_value"}
SIGNIFICANCE_LABELS = {"raw": "p < 0.05", "corrected": "p < 0.05 (BH)"}


def significance(table: pd.DataFrame, p_column: str = "p_value", threshold: float = 0.05) -> pd.DataFrame:
    """Copy with ``p < 0.05`` and ``-log10(mAP p-value)`` recomputed from ``p_column`` (the HEAD
    single-cell plot uses the raw ``p_value``; ``corrected_p_value`` is the captions' BH)."""
    out = table.copy()
    out["p < 0.05"] = out[p_column] < threshold
    out["-log10(mAP p-value)"] = -np.log10(out[p_column])
    return out


def single_cell_ap(
    cells: pd.DataFrame,
    controls: pd.DataFrame,
    features: Sequence[str],
    settings: MapSettings,
    *,
    calls: str = "all",
) -> pd.DataFrame:
    """Fig 5A-B: the AP of every targeting cell against the sampled neg cells.

    Parameters
    ----------
    cells : :func:`scored_cells` (with the reference index).
    controls : :func:`sample_controls` rows of ``cells``.
    features : genes to use (:func:`variable_features` of ``cells`` at HEAD, of the bulk
        profiles at e9a5414).
    settings : the engine settings (similarity, null size: config
        perturbseq.single_cell_null_size, the authors' 500,000; threshold, seed: the authors' 0,
        sampler, mAP null, threads).
    calls : "all" (HEAD: one mAP call, BH over every cell) or "per_guide" (e9a5414: one call per
        guide, BH within the guide).

    Returns
    -------
    DataFrame, one row per targeting cell (guides with at least two cells), in cell order:
    ``Metadata_cell_identity``, ``Metadata_guide_identity``, ``Metadata_gene_identity``, ``mAP``
    (the cell's AP), ``p_value``, ``corrected_p_value``, ``below_p``, ``p < 0.05`` (corrected, as
    the authors' table stores it), ``-log10(mAP p-value)`` and ``test`` (one cell per group:
    AP-level p-values, exact under ``map.test: exact``; the permutation test does not apply).
    """
    if calls not in ("all", "per_guide"):
        raise ValueError(f"perturbseq.single_cell_calls must be 'all' or 'per_guide', got {calls!r}")
    require_columns(cells, [REFERENCE, CELL, GUIDE, GENE, *features], "single-cell table")
    targets = cells[~cells[GENE].eq(NEGATIVE)]
    meta_cols = [CELL, GUIDE, GENE, REFERENCE]
    features = list(features)

    def one_call(subset: pd.DataFrame) -> pd.DataFrame:
        subset = subset.reset_index(drop=True)
        return _map_call(
            subset[meta_cols], subset[features].to_numpy(dtype=np.float64),
            single_cell_pairs(), [GUIDE, CELL], settings, permutation_undefined=AP_LEVEL,
            analysis="Perturb-seq single-cell AP",
        )

    if calls == "all":
        scores = one_call(pd.concat([targets, controls]))
    else:
        parts = []
        for _, guide_cells in targets.groupby(GUIDE, sort=True):
            if len(guide_cells) > 1:
                parts.append(one_call(pd.concat([guide_cells, controls])))
        if not parts:
            raise ValueError("no targeting guide has two or more cells")
        scores = pd.concat(parts, ignore_index=True)
    scores = paper_columns(scores)
    out = targets[[CELL, GUIDE, GENE]].merge(scores, on=[CELL, GUIDE], how="inner")
    return out[[CELL, GUIDE, GENE, "mAP", "p_value", "corrected_p_value", "below_p", "p < 0.05",
                "-log10(mAP p-value)", *test_columns(out)]].reset_index(drop=True)
