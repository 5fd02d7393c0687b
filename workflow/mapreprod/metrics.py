"""The other metrics of the field next to mAP, on the same profiles (docs/methods.md §15).

The engine computes each metric (``mapeval.energy_distance_test``,
``mapeval.known_relationship_recall``, ``mapeval.retrieval_metrics``,
``mapeval.normalize_to_controls``; their docstrings state every reading of the papers). This
module holds what every dataset does with them, so that each ``datasets/<name>/metrics.py`` only
says which profiles, columns and pairing it uses:

* :func:`energy_activity` and :func:`agreement_table`: the energy distance of each perturbation
  to its negative controls with its label-permutation p-value (RxRx3-core), called at the same
  threshold and correction as the dataset's mAP activity call, and the agreement of the two
  calls per perturbation (both / only mAP / only energy / neither); :func:`agreement_summary`
  adds the counts, the Spearman correlations of the two statistics and of their -log10 p-values,
  and the energy distance as mean +- MAD over perturbations (as RxRx3-core reports it).
* :func:`relationship_recall`: known-relationship recall of gene-level profiles per annotation
  source (RxRx3-core).
* :func:`retrieval_summary`: recall@k, interpolated MAP and folds of enrichment of
  treatment-level profiles (PhenoProfiler), with the recall@k of a random ranking.
* :func:`cell_count_baseline`: activity scored with the cell count alone (the cell-count paper's
  baseline, run through mAP) and which mAP-retrieved perturbations it explains.
* :func:`summary_table`: every dataset's ``metrics.csv``, one row per (scope, metric, quantity).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import mapeval
import numpy as np
import pandas as pd
from scipy import stats

from mapreprod.settings import MapSettings

__all__ = [
    "AGREEMENT",
    "CELL_COUNT_WARN_SHARE",
    "OUTPUT_SUFFIXES",
    "RECALL_KS",
    "REPRODUCTION_FIGURE",
    "SUMMARY_COLUMNS",
    "agreement_summary",
    "agreement_table",
    "assemble",
    "cell_count_baseline",
    "cell_count_problem",
    "cell_count_summary",
    "energy_activity",
    "engine_map_calls",
    "output_paths",
    "random_recall_at_k",
    "relationship_recall",
    "reproduction_rows",
    "retrieval_summary",
    "spearman",
    "summary_table",
]

LOG = logging.getLogger(__name__)

#: The four agreement classes of a perturbation's two activity calls, in plotting order.
AGREEMENT: tuple[str, ...] = ("both", "only mAP", "only energy", "neither")
#: Most of a dataset's activity is cell count when more than this share of the perturbations
#: retrieved by mAP are also retrieved by their cell count alone (a warning in the log, the
#: metrics table and the reproduction table).
CELL_COUNT_WARN_SHARE = 0.5
#: The k's of recall@k (PhenoProfiler).
RECALL_KS: tuple[int, ...] = (1, 3, 5, 10)
#: Columns of every dataset's metrics summary (``results/<dataset>/metrics.csv``).
SUMMARY_COLUMNS = ["scope", "metric", "quantity", "value", "note"]
#: Columns of the per-perturbation agreement table (after the scope and key columns).
AGREEMENT_COLUMNS = [
    "mAP", "map_p_value", "map_corrected_p_value", "map_called",
    "energy_distance", "energy_p_value", "energy_corrected_p_value", "energy_called",
    "energy_permutations", "energy_p_exact", "agreement",
]


# ----------------------------------------------------------------------------------------------
# energy distance and its agreement with mAP
# ----------------------------------------------------------------------------------------------


def energy_activity(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pairs: Mapping[str, Sequence[str]],
    sameby: str | Sequence[str],
    settings: MapSettings,
    strata: str | None = None,
) -> pd.DataFrame:
    """Energy distance of each perturbation's replicates to its negative controls, with its
    label-permutation p-value (:func:`mapeval.energy_distance_test`).

    The pairing ``pairs`` (``pos_sameby``, ``pos_diffby``, ``neg_sameby``, ``neg_diffby``) is the
    dataset's mAP activity pairing (controls with a reference index), so a perturbation's
    controls are the wells its rank lists use (those of its plates where controls are per
    plate), and the relabelings are those of the permutation mAP test (``map.test:
    permutation``) for the same seed and number (``settings.n_permutations``, config
    ``map.n_permutations``; strata: the ``neg_sameby`` groups unless ``strata`` is given).
    p-values are BH-corrected over the perturbations of the call.

    Parameters
    ----------
    meta : (n,) metadata of the profiles (the pairing and ``sameby`` columns).
    feats : (n, n_features) profiles (Euclidean distances in their units).
    pairs : the pairing (keys ``pos_sameby``, ``pos_diffby``, ``neg_sameby``, ``neg_diffby``).
    sameby : the perturbation column(s).
    settings : the dataset's engine settings (``seed``, ``n_permutations``: relabelings per
        perturbation, all of them, exactly, when there are fewer; ``threads``).
    strata : column within which profiles are relabelled (None: the ``neg_sameby`` groups).

    Returns
    -------
    DataFrame, one row per perturbation (sorted by ``sameby``): the ``sameby`` columns,
    ``energy_distance``, ``energy_p_value``, ``energy_corrected_p_value``,
    ``energy_permutations`` (relabelings used) and ``energy_p_exact`` (all enumerated).
    """
    missing = {"pos_sameby", "pos_diffby", "neg_sameby", "neg_diffby"} - set(pairs)
    if missing:
        raise ValueError(f"energy_activity: pairs lacks {sorted(missing)}")
    out = mapeval.energy_distance_test(
        meta, feats, list(pairs["pos_sameby"]), list(pairs["pos_diffby"]),
        list(pairs["neg_sameby"]), list(pairs["neg_diffby"]), sameby,
        n_permutations=settings.n_permutations, seed=settings.seed, strata=strata,
        threads=settings.threads,
    )
    return out.rename(columns={
        "p_value": "energy_p_value", "corrected_p_value": "energy_corrected_p_value",
        "n_permutations": "energy_permutations", "p_value_exact": "energy_p_exact",
    }).drop(columns=["n_relabelings"])


def agreement_table(
    map_calls: pd.DataFrame,
    energy: pd.DataFrame,
    keys: Sequence[str],
    threshold: float,
) -> pd.DataFrame:
    """The two activity calls of every perturbation side by side.

    Parameters
    ----------
    map_calls : the dataset's mAP activity table reduced to ``keys`` and ``mAP``,
        ``map_p_value`` (uncorrected), ``map_corrected_p_value`` (the value the call is made on:
        BH q, or the dataset's class q-value) and ``map_called`` (the dataset's call).
    energy : :func:`energy_activity` of the same perturbations (``keys`` columns).
    keys : the perturbation column(s) (and a scope column, where a dataset has several calls).
    threshold : the level of the dataset's mAP call; energy is called at corrected p < it.

    Returns
    -------
    DataFrame, one row per perturbation present in both tables (in ``map_calls`` order):
    ``keys`` and :data:`AGREEMENT_COLUMNS`; ``agreement`` is one of :data:`AGREEMENT`.

    Raises
    ------
    ValueError
        A missing column, a perturbation listed twice, or no perturbation in common (the two
        tables were computed on different profiles).
    """
    keys = list(keys)
    need_map = [*keys, "mAP", "map_p_value", "map_corrected_p_value", "map_called"]
    need_energy = [*keys, "energy_distance", "energy_p_value", "energy_corrected_p_value",
                   "energy_permutations", "energy_p_exact"]
    for table, need, name in ((map_calls, need_map, "map_calls"), (energy, need_energy, "energy")):
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise ValueError(f"agreement_table: {name} lacks column(s) {missing}")
        if table.duplicated(keys).any():
            raise ValueError(f"agreement_table: {name} lists a perturbation twice ({keys})")
    if not 0 < threshold < 1:
        raise ValueError(f"agreement_table: threshold must be in (0, 1), got {threshold}")
    left = map_calls[need_map].copy()
    right = energy[need_energy].copy()
    for k in keys:  # keys read back from CSV may differ in type (e.g. int vs str)
        left[k] = left[k].astype(str)
        right[k] = right[k].astype(str)
    merged = left.merge(right, on=keys, how="inner", validate="one_to_one")
    if merged.empty:
        raise ValueError(
            f"agreement_table: no perturbation is in both the mAP table ({len(left)}) and the "
            f"energy table ({len(right)}) on {keys}"
        )
    merged["map_called"] = merged["map_called"].astype(bool)
    merged["energy_called"] = merged["energy_corrected_p_value"] < threshold
    m, e = merged["map_called"].to_numpy(), merged["energy_called"].to_numpy()
    merged["agreement"] = np.select([m & e, m & ~e, ~m & e], list(AGREEMENT[:3]), AGREEMENT[3])
    return merged[[*keys, *AGREEMENT_COLUMNS]]


def engine_map_calls(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """An mAP table with the engine's columns (``mean_average_precision``, ``p_value``,
    ``corrected_p_value``, ``below_corrected_p``) as the mAP side of :func:`agreement_table`."""
    need = [*keys, "mean_average_precision", "p_value", "corrected_p_value", "below_corrected_p"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"engine_map_calls: the mAP table lacks column(s) {missing}")
    out = table[list(keys)].astype(str)
    out["mAP"] = table["mean_average_precision"].to_numpy()
    out["map_p_value"] = table["p_value"].to_numpy()
    out["map_corrected_p_value"] = table["corrected_p_value"].to_numpy()
    out["map_called"] = table["below_corrected_p"].astype(bool).to_numpy()
    return out


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation (``scipy.stats.spearmanr``, average ranks at ties); NaN with
    fewer than 3 pairs or a constant vector (no ranking to correlate)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def _neg_log10(p: pd.Series) -> np.ndarray:
    return -np.log10(np.maximum(p.to_numpy(dtype=np.float64), np.finfo(float).eps))


def agreement_summary(table: pd.DataFrame, scope: str | None = None) -> pd.DataFrame:
    """Counts and correlations of :func:`agreement_table`, per scope (and over all scopes).

    Returns
    -------
    DataFrame, one row per value of ``scope`` (one row ``all`` without it; with several
    scopes, an ``all`` row pools them): ``scope``, ``n`` (perturbations), ``both``,
    ``only mAP``, ``only energy``, ``neither``, ``spearman_map_energy`` (mAP vs energy
    distance), ``spearman_log10p`` (-log10 of the two uncorrected p-values, floored at machine
    epsilon), ``energy_mean``, ``energy_mad`` (median absolute deviation from the median,
    unscaled), ``energy_median`` and ``pooled`` (True for the ``all`` row over several scopes,
    where the energy distances of different profiles (assays, conditions) have different units:
    its Spearman of mAP vs energy distance and its energy summaries are NaN).
    """
    parts: list[tuple[str, pd.DataFrame, bool]] = []
    if scope is None:
        parts.append(("all", table, False))
    else:
        for value, part in table.groupby(scope, sort=False):
            parts.append((str(value), part, False))
        if len(parts) > 1:
            parts.append(("all", table, True))
    rows = []
    for name, part, pooled in parts:
        counts = part["agreement"].value_counts()
        e = part["energy_distance"].to_numpy(dtype=np.float64)
        same_units = len(e) and not pooled
        rows.append({
            "scope": name, "n": len(part), **{c: int(counts.get(c, 0)) for c in AGREEMENT},
            "spearman_map_energy": spearman(part["mAP"], part["energy_distance"]) if not pooled else np.nan,
            "spearman_log10p": spearman(_neg_log10(part["map_p_value"]), _neg_log10(part["energy_p_value"])),
            "energy_mean": float(e.mean()) if same_units else np.nan,
            "energy_mad": float(stats.median_abs_deviation(e)) if same_units else np.nan,
            "energy_median": float(np.median(e)) if same_units else np.nan,
            "pooled": pooled,
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# known-relationship recall
# ----------------------------------------------------------------------------------------------

#: Columns of a recall table (one row per scope and source), as known_relationship_recall
#: returns them, after ``scope``.
RECALL_COLUMNS = [
    "source", "n_pairs_listed", "n_pairs", "n_predicted", "recall", "ci_low", "ci_high",
    "expected_recall", "lower_threshold", "upper_threshold", "n_genes",
]


def relationship_recall(
    feats: np.ndarray | pd.DataFrame,
    genes: Sequence[object] | pd.Series,
    relationships: pd.DataFrame,
    settings: MapSettings,
    scope: str = "all",
) -> pd.DataFrame:
    """Known-relationship recall of the genes' profiles per annotation source
    (:func:`mapeval.known_relationship_recall`: mean profile per gene, cosine, links below the
    5th or above the 95th percentile of all gene pairs).

    Parameters
    ----------
    feats : (n, n_features) profiles, several per gene allowed (aggregated by their mean).
    genes : (n,) gene symbol of each row.
    relationships : annotated pairs (``entity1``, ``entity2``, ``source``;
        :func:`mapreprod.annotations.read_relationships`).
    settings : the dataset's engine settings (``threads``).
    scope : label of this set of profiles (a cell line, a modality and condition).

    Returns
    -------
    DataFrame, one row per source: ``scope`` and :data:`RECALL_COLUMNS`. A source none of
    whose pairs has both genes profiled gets ``n_pairs`` 0 and NaN recall (the engine refuses
    only when no source has such a pair; then every row is NaN).
    """
    genes = pd.Series(np.asarray(genes, dtype=object)).astype(str)
    sources = sorted(relationships["source"].astype(str).unique())
    profiled = set(genes)
    both = relationships["entity1"].astype(str).isin(profiled) & relationships["entity2"].astype(str).isin(profiled)
    both &= relationships["entity1"].astype(str) != relationships["entity2"].astype(str)
    if genes.nunique() >= 3 and both.any():
        out = mapeval.known_relationship_recall(
            feats, genes.to_numpy(), relationships, threads=settings.threads
        )
    else:
        out = pd.DataFrame({"source": sources})
        listed = relationships.assign(
            u=np.minimum(relationships["entity1"].astype(str), relationships["entity2"].astype(str)),
            v=np.maximum(relationships["entity1"].astype(str), relationships["entity2"].astype(str)),
        )
        listed = listed[listed["u"] != listed["v"]].drop_duplicates(["source", "u", "v"])
        out["n_pairs_listed"] = out["source"].map(listed.groupby("source").size()).fillna(0).astype(np.int64)
        out["n_pairs"] = 0
        out["n_predicted"] = 0
        for col in ("recall", "ci_low", "ci_high", "expected_recall", "lower_threshold", "upper_threshold"):
            out[col] = np.nan
        out["n_genes"] = genes.nunique()
    out.insert(0, "scope", scope)
    return out[["scope", *RECALL_COLUMNS]]


# ----------------------------------------------------------------------------------------------
# retrieval metrics (PhenoProfiler)
# ----------------------------------------------------------------------------------------------


def random_recall_at_k(n_candidates: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Probability that a random ranking puts at least one of ``n_relevant`` relevant treatments
    among the first ``k`` of ``n_candidates``: 1 - C(N - R, k) / C(N, k) (hypergeometric),
    element-wise."""
    n = np.asarray(n_candidates, dtype=np.int64)
    r = np.asarray(n_relevant, dtype=np.int64)
    k_eff = np.minimum(k, n)
    none = stats.hypergeom.pmf(0, n, r, k_eff)
    return 1.0 - none


def retrieval_summary(
    feats: np.ndarray | pd.DataFrame,
    labels: Sequence[object] | pd.Series,
    settings: MapSettings,
    *,
    scope: str = "all",
    annotation: str = "annotation",
    exclude_same: Sequence[object] | pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PhenoProfiler's retrieval metrics of treatment-level profiles
    (:func:`mapeval.retrieval_metrics`, :func:`mapeval.summarize_retrieval`; cosine, ks 1, 3,
    5, 10, a hit at k when at least one treatment sharing an annotation is in the top k).

    Parameters
    ----------
    feats : (n, n_features) treatment-level profiles (the consensus profiles of the dataset's
        consistency step).
    labels : (n,) annotation of each treatment: a label or a list of labels ("a|b" strings
        must be split into lists first).
    settings : the dataset's engine settings (``threads``).
    scope, annotation : labels of the row (e.g. the assay, and "target").
    exclude_same : optional (n,) key (the compound of compound-dose treatments): another dose of
        the same compound is neither relevant nor another treatment.

    Returns
    -------
    (summary, per_query): one row with ``scope``, ``annotation``, the engine's summary
    (``n_treatments``, ``n_queries``, ``recall_at_k``, ``map_interpolated``,
    ``folds_of_enrichment``, ...) and ``random_recall_at_k`` (the mean over the queries of
    :func:`random_recall_at_k`); and the engine's per-query table.
    """
    per_query = mapeval.retrieval_metrics(
        feats, labels, ks=RECALL_KS, exclude_same=exclude_same, threads=settings.threads
    )
    summary = mapeval.summarize_retrieval(per_query).to_dict()
    q = per_query[per_query["is_query"].astype(bool)]
    for k in RECALL_KS:
        summary[f"random_recall_at_{k}"] = (
            float(random_recall_at_k(q["n_candidates"].to_numpy(), q["n_relevant"].to_numpy(), k).mean())
            if len(q) else np.nan
        )
    row = pd.DataFrame([{"scope": scope, "annotation": annotation, **summary}])
    return row, per_query


# ----------------------------------------------------------------------------------------------
# the cell-count baseline
# ----------------------------------------------------------------------------------------------

#: Columns of a cell-count table (one row per perturbation), after the scope and key columns.
CELL_COUNT_COLUMNS = [
    "cell_count_score", "cell_count_mAP", "cell_count_p_value", "cell_count_corrected_p_value",
    "cell_count_called", "map_called", "explained_by_cell_count",
]


def cell_count_problem(
    values: Sequence[float] | np.ndarray | pd.Series,
    plates: Sequence[object] | np.ndarray | pd.Series,
    controls: Sequence[bool] | np.ndarray,
    feature: str,
) -> str | None:
    """Why the cell-count baseline cannot be computed on these wells, or None if it can: missing
    or infinite counts, a plate with fewer than 2 control wells, or a plate whose control wells
    all have the same count (the per-plate SD is 0, so the normalized change is undefined)."""
    v = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v)
    if bad.any():
        return f"{feature}: {int(bad.sum())} well(s) have a missing, infinite or non-numeric count"
    ctrl = np.asarray(controls, dtype=bool)
    frame = pd.DataFrame({"plate": np.asarray(plates, dtype=object)[ctrl], "v": v[ctrl]})
    all_plates = pd.unique(np.asarray(plates, dtype=object))
    n = frame.groupby("plate")["v"].size().reindex(all_plates, fill_value=0)
    few = n.index[n < 2].tolist()
    if few:
        return f"plate(s) {few[:5]} have fewer than 2 control wells: no per-plate SD of {feature}"
    sd = frame.groupby("plate")["v"].std(ddof=1)
    flat = sd.index[~(sd > 0)].tolist()
    if flat:
        return (
            f"{feature} has the same value in every control well of plate(s) {flat[:5]} (SD 0): the "
            "change normalized to the controls is undefined (a constant column, as in the "
            "generated stand-ins, which keep the real name but not the real counts)"
        )
    return None


def cell_count_baseline(
    meta: pd.DataFrame,
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    perturbation: str,
    plate: str,
    controls: Sequence[bool] | np.ndarray,
    pairs: Mapping[str, Sequence[str]],
    settings: MapSettings,
    map_calls: pd.DataFrame,
) -> pd.DataFrame:
    """Activity scored with the cell count alone, beside the full profiles' mAP call.

    The cell-count paper's feature: per plate, (x - control mean) / control SD
    (:func:`mapeval.normalize_to_controls`); its score per perturbation is the median over
    plates of the plate means (:func:`mapeval.cell_count_scores`). Run through mAP (this
    workflow's extension; the paper does not use mAP): the one-feature profile, Euclidean
    similarity (cosine on one feature only sees its sign), the dataset's activity pairing
    ``pairs`` and its test (``map.test``: :meth:`MapSettings.group_map`), BH over the
    perturbations; retrieved at corrected p below the dataset's threshold.

    Parameters
    ----------
    meta : (n,) well metadata with the ``pairs`` columns, ``perturbation`` and ``plate``.
    values : (n,) the raw cell-count feature of every well.
    perturbation, plate : the perturbation and plate columns of ``meta``.
    controls : (n,) True for the negative-control wells.
    pairs : the dataset's activity pairing (controls with a reference index).
    settings : the dataset's engine settings (null size, seed, threshold, test; the similarity
        is replaced by Euclidean).
    map_calls : the full profiles' activity: columns ``perturbation`` (as str), ``mAP`` and
        ``map_called``.

    Returns
    -------
    DataFrame, one row per scored perturbation: ``perturbation`` (str), :data:`CELL_COUNT_COLUMNS`
    and ``mAP`` of the full profiles (``map_called`` False and ``mAP`` NaN for perturbations the
    mAP table lacks; ``explained_by_cell_count`` = retrieved by both).

    Raises
    ------
    ValueError
        From the engine: a plate with fewer than 2 control wells, or whose control wells all
        have the same count (the normalized change is undefined).
    """
    meta = meta.reset_index(drop=True)
    controls = np.asarray(controls, dtype=bool)
    values = np.asarray(values, dtype=np.float64)
    if len(values) != len(meta) or len(controls) != len(meta):
        raise ValueError(
            f"cell_count_baseline: {len(meta)} wells but {len(values)} values and "
            f"{len(controls)} control flags"
        )
    plates = meta[plate].to_numpy()
    z = mapeval.normalize_to_controls(values, plates, controls)
    labels = meta[perturbation].astype(str).to_numpy().copy()
    labels[controls] = "__control__"
    scores = mapeval.cell_count_scores(values, labels, plates, controls)
    euclid = settings.replace(similarity="euclidean")
    m = euclid.group_map(
        meta, z[:, None], pairs["pos_sameby"], pairs["pos_diffby"], pairs["neg_sameby"],
        pairs["neg_diffby"], perturbation, analysis="cell-count baseline",
    )
    m = m[m[perturbation].astype(str).isin(set(labels[~controls]))]
    m = m.rename(columns={
        perturbation: "perturbation", "mean_average_precision": "cell_count_mAP",
        "p_value": "cell_count_p_value", "corrected_p_value": "cell_count_corrected_p_value",
        "below_corrected_p": "cell_count_called",
    })
    m["perturbation"] = m["perturbation"].astype(str)
    m["cell_count_test"] = m["test"] if "test" in m.columns else settings.test
    out = scores[["perturbation", "cell_count_score"]].astype({"perturbation": str}).merge(
        m[["perturbation", "cell_count_mAP", "cell_count_p_value", "cell_count_corrected_p_value",
           "cell_count_called", "cell_count_test"]],
        on="perturbation", how="inner",
    )
    calls = map_calls[["perturbation", "mAP", "map_called"]].astype({"perturbation": str})
    out = out.merge(calls, on="perturbation", how="left", validate="one_to_one")
    out["cell_count_called"] = out["cell_count_called"].astype(bool)
    out["map_called"] = out["map_called"].fillna(False).astype(bool)
    out["explained_by_cell_count"] = out["map_called"] & out["cell_count_called"]
    return out[["perturbation", *CELL_COUNT_COLUMNS, "mAP", "cell_count_test"]].reset_index(drop=True)


def cell_count_summary(table: pd.DataFrame, scope: str | None = None) -> pd.DataFrame:
    """Per scope: perturbations scored, retrieved by mAP, retrieved by cell count alone, the
    mAP-retrieved ones also retrieved by cell count (``explained``), their share of the
    mAP-retrieved (``share_explained``), the Spearman correlation of the cell-count score with
    the mAP of the full profiles where given (``spearman_score_map``, column ``mAP``), and
    ``warning`` (share above :data:`CELL_COUNT_WARN_SHARE`), which is also logged."""
    parts = [("all", table)] if scope is None else [(str(v), p) for v, p in table.groupby(scope, sort=False)]
    rows = []
    for name, part in parts:
        n_map = int(part["map_called"].sum())
        explained = int(part["explained_by_cell_count"].sum())
        share = explained / n_map if n_map else np.nan
        warn = bool(n_map and share > CELL_COUNT_WARN_SHARE)
        if warn:
            LOG.warning(
                "%s: %d of %d perturbations retrieved by mAP (%.0f%%) are also retrieved by their "
                "cell count alone: most of this activity is cell count (cytotoxicity, "
                "proliferation), not a specific phenotype", name, explained, n_map, 100 * share,
            )
        rows.append({
            "scope": name, "n": len(part), "retrieved_map": n_map,
            "retrieved_cell_count": int(part["cell_count_called"].sum()),
            "explained": explained, "share_explained": share,
            "spearman_score_map": spearman(part["cell_count_score"].abs(), part["mAP"]) if "mAP" in part else np.nan,
            "warning": warn,
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# the summary table (metrics.csv)
# ----------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "NA"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def summary_table(
    energy: pd.DataFrame | None = None,
    recall: pd.DataFrame | None = None,
    retrieval: pd.DataFrame | None = None,
    cell_count: pd.DataFrame | None = None,
    notes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every metric of a dataset in one long table (:data:`SUMMARY_COLUMNS`), values as text.

    Parameters
    ----------
    energy : :func:`agreement_summary` output.
    recall : :func:`relationship_recall` rows (one per scope and source).
    retrieval : :func:`retrieval_summary` rows (one per scope and annotation).
    cell_count : :func:`cell_count_summary` output.
    notes : metric -> why it was not computed on these data (a row "not computed").
    """
    rows: list[tuple[str, str, str, str, str]] = []
    if energy is not None:
        for r in energy.to_dict("records"):
            s = r["scope"]
            rows += [
                (s, "energy distance", "perturbations scored", _fmt(r["n"]), ""),
                *((s, "energy distance", f"calls: {c}", _fmt(r[c]), "") for c in AGREEMENT),
                (s, "energy distance", "Spearman -log10 p (mAP) vs -log10 p (energy)", _fmt(r["spearman_log10p"]), ""),
            ]
            if not r.get("pooled", False):  # energy distances of one kind of profiles
                rows += [
                    (s, "energy distance", "Spearman mAP vs energy distance", _fmt(r["spearman_map_energy"]), ""),
                    (s, "energy distance", "energy distance mean", _fmt(r["energy_mean"]),
                     f"MAD {_fmt(r['energy_mad'])}, median {_fmt(r['energy_median'])}"),
                ]
    if recall is not None:
        for r in recall.to_dict("records"):
            rows.append((
                r["scope"], "known-relationship recall", f"recall, {r['source']}", _fmt(r["recall"]),
                (f"{_fmt(r['n_predicted'])} of {_fmt(r['n_pairs'])} pairs "
                 f"(95% CI {_fmt(r['ci_low'])}-{_fmt(r['ci_high'])}); random {_fmt(r['expected_recall'])}; "
                 f"{_fmt(r['n_genes'])} genes"),
            ))
    if retrieval is not None:
        for r in retrieval.to_dict("records"):
            s, a = r["scope"], r["annotation"]
            note = f"{_fmt(r['n_queries'])} queries of {_fmt(r['n_treatments'])} treatments"
            for k in RECALL_KS:
                rows.append((s, "retrieval", f"recall@{k}, {a}", _fmt(r[f"recall_at_{k}"]),
                             f"{note}; random {_fmt(r[f'random_recall_at_{k}'])}"))
            rows.append((s, "retrieval", f"MAP (interpolated), {a}", _fmt(r["map_interpolated"]), note))
            rows.append((s, "retrieval", f"folds of enrichment, {a}", _fmt(r["folds_of_enrichment"]),
                         f"{note}; odds ratio of the top 1%, random 1"))
    if cell_count is not None:
        for r in cell_count.to_dict("records"):
            s = r["scope"]
            rows += [
                (s, "cell count", "retrieved by mAP", _fmt(r["retrieved_map"]), f"of {_fmt(r['n'])}"),
                (s, "cell count", "retrieved by cell count alone", _fmt(r["retrieved_cell_count"]), f"of {_fmt(r['n'])}"),
                (s, "cell count", "mAP-retrieved also retrieved by cell count", _fmt(r["explained"]), ""),
                (s, "cell count", "share of mAP-retrieved explained by cell count", _fmt(r["share_explained"]),
                 "WARNING: most of the activity is cell count" if r["warning"] else
                 f"warning above {CELL_COUNT_WARN_SHARE:.0%}"),
                (s, "cell count", "Spearman |cell-count score| vs mAP", _fmt(r["spearman_score_map"]),
                 "the normalized change of the count against the full profile's mAP"),
            ]
    for metric, why in (notes or {}).items():
        rows.append(("all", metric, "not computed", "NA", why))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


#: The ``figure`` of the reproduction rows of these metrics (not a figure of the papers).
REPRODUCTION_FIGURE = "other metrics"


def reproduction_rows(
    summary: pd.DataFrame, note: str = "", figure: str = REPRODUCTION_FIGURE
) -> pd.DataFrame:
    """A dataset's metrics summary (:func:`summary_table`) as rows of its reproduction table
    (columns figure, quantity, paper, ours, note; paper "not reported": the papers report none
    of these on this dataset; ``note`` is added to every row's note): per scope, the agreement of the two activity calls (both / only mAP / only
    energy / neither), the two Spearman correlations, the energy distance (mean, MAD), recall@k,
    interpolated MAP and folds of enrichment per annotation, known-relationship recall per
    source, the cell-count share (its note says WARNING above :data:`CELL_COUNT_WARN_SHARE`),
    and the metrics not computed with the reason."""
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"reproduction_rows: the metrics summary lacks column(s) {missing}")
    rows: list[tuple[str, str, str, str]] = []
    for (scope, metric), part in summary.groupby(["scope", "metric"], sort=False):
        values = dict(zip(part["quantity"], zip(part["value"].astype(str), part["note"].fillna("").astype(str))))
        if "not computed" in values:
            rows.append((figure, f"{metric}, {scope}", "not computed", values["not computed"][1]))
            continue
        if metric == "energy distance":
            calls = " / ".join(values[f"calls: {c}"][0] for c in AGREEMENT)
            rows += [
                (figure, f"activity calls both / only mAP / only energy distance / neither, {scope}", calls,
                 (f"{values['perturbations scored'][0]} perturbations; energy distance called at the "
                  "mAP call's level (BH over perturbations)")),
                (figure, f"Spearman, -log10 p of mAP vs of energy distance, {scope}",
                 values["Spearman -log10 p (mAP) vs -log10 p (energy)"][0], "uncorrected p-values"),
            ]
            if "energy distance mean" in values:  # not for the row pooling several scopes
                rows += [
                    (figure, f"Spearman, mAP vs energy distance, {scope}",
                     values["Spearman mAP vs energy distance"][0], ""),
                    (figure, f"energy distance to controls, mean, {scope}",
                     values["energy distance mean"][0], values["energy distance mean"][1]),
                ]
        elif metric == "retrieval":
            annotations = dict.fromkeys(q.rsplit(", ", 1)[1] for q in values if ", " in q)
            for a in annotations:
                at_k = " / ".join(values[f"recall@{k}, {a}"][0] for k in RECALL_KS)
                randoms = " / ".join(values[f"recall@{k}, {a}"][1].rsplit("random ", 1)[-1] for k in RECALL_KS)
                rows += [
                    (figure, f"recall@{'/'.join(map(str, RECALL_KS))} by {a}, {scope}", at_k,
                     f"{values[f'recall@1, {a}'][1].split(';')[0]}; random ranking {randoms}"),
                    (figure, f"MAP (interpolated) by {a}, {scope}", *values[f"MAP (interpolated), {a}"]),
                    (figure, f"folds of enrichment by {a}, {scope}", *values[f"folds of enrichment, {a}"]),
                ]
        else:
            rows += [(figure, f"{metric}: {q}, {scope}", v, n) for q, (v, n) in values.items()]
    out = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    if note:
        out["note"] = [f"{n}; {note}" if n else note for n in out["note"]]
    out.insert(2, "paper", "not reported")
    return out


#: The tables every dataset's metrics rule writes (``results/<dataset>/metrics<suffix>.csv``),
#: name -> file suffix; a metric that does not apply or could not be computed leaves its table
#: empty (header only) and says why in the summary.
OUTPUT_SUFFIXES: dict[str, str] = {
    "summary": "",
    "energy": "_energy",
    "recall": "_recall",
    "retrieval": "_retrieval",
    "cell_count": "_cell_count",
}


def output_paths(dataset: str, names: Sequence[str] = tuple(OUTPUT_SUFFIXES)) -> dict[str, str]:
    """The metrics tables of a dataset: name -> ``results/<dataset>/metrics<suffix>.csv``."""
    return {name: f"results/{dataset}/metrics{OUTPUT_SUFFIXES[name]}.csv" for name in names}


def _concat(parts: Sequence[pd.DataFrame] | pd.DataFrame | None) -> pd.DataFrame | None:
    if parts is None:
        return None
    if isinstance(parts, pd.DataFrame):
        return parts
    parts = [p for p in parts if p is not None]
    return pd.concat(parts, ignore_index=True) if parts else None


def assemble(
    *,
    energy: Sequence[pd.DataFrame] | pd.DataFrame | None = None,
    recall: Sequence[pd.DataFrame] | pd.DataFrame | None = None,
    retrieval: Sequence[pd.DataFrame] | pd.DataFrame | None = None,
    cell_count: Sequence[pd.DataFrame] | pd.DataFrame | None = None,
    notes: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of :data:`OUTPUT_SUFFIXES` from a dataset's per-scope parts: the agreement
    tables (``energy``), recall rows, retrieval rows and cell-count tables, each stacked, and the
    summary (:func:`summary_table` of :func:`agreement_summary` and :func:`cell_count_summary`
    per ``scope``). A part that is None or empty gives an empty table with its columns."""
    energy_t, recall_t = _concat(energy), _concat(recall)
    retrieval_t, cell_t = _concat(retrieval), _concat(cell_count)
    summary = summary_table(
        energy=agreement_summary(energy_t, "scope") if energy_t is not None and len(energy_t) else None,
        recall=recall_t,
        retrieval=retrieval_t,
        cell_count=cell_count_summary(cell_t, "scope") if cell_t is not None and len(cell_t) else None,
        notes=notes,
    )
    empty = {
        "energy": ["scope", "perturbation", *AGREEMENT_COLUMNS],
        "recall": ["scope", *RECALL_COLUMNS],
        "retrieval": ["scope", "annotation"],
        "cell_count": ["scope", "perturbation", *CELL_COUNT_COLUMNS, "mAP", "cell_count_test"],
    }
    out = {"summary": summary}
    for name, table in (("energy", energy_t), ("recall", recall_t), ("retrieval", retrieval_t),
                        ("cell_count", cell_t)):
        out[name] = table if table is not None else pd.DataFrame(columns=empty[name])
    return out
