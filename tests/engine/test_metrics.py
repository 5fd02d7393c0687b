"""The other metrics of the field (mapeval.metrics) against independent oracles.

Energy distance against ``dcor.energy_distance`` and a loop over pairs; known-relationship recall
against explicit pair loops and numpy's percentile; recall@k, (interpolated) average precision
and folds of enrichment against rankings built with Python's ``sorted`` and
``scipy.stats.fisher_exact``; hand-worked examples for each; a statistical check that random
profiles give the chance recall.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mapeval
from mapeval import metrics

# ----------------------------------------------------------------------------------------------
# energy distance
# ----------------------------------------------------------------------------------------------


def energy_by_loops(x: np.ndarray, y: np.ndarray) -> float:
    """The RxRx3-core formula, term by term."""
    def mean_dist(a, b):
        return sum(math.dist(p, q) for p in a for q in b) / (len(a) * len(b))

    return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)


def _dcor_case(n1: int, n2: int, f: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n1 * 100 + f)
    return rng.normal(size=(n1, f)) + 0.3, rng.standard_t(3, size=(n2, f))


DCOR_CASES = [_dcor_case(*shape) for shape in [(1, 1, 1), (1, 5, 3), (4, 30, 7), (12, 9, 50), (40, 33, 5)]]


@pytest.fixture(scope="module")
def dcor_energy(tmp_path_factory) -> list[float]:
    """``dcor.energy_distance`` of DCOR_CASES, computed in one subprocess.

    Importing dcor compiles its numba kernels (~24 s in a fresh environment, ~6 s once numba
    has cached them), so it runs once per session, in a subprocess. NUMBA_DISABLE_JIT=1 is not
    an option: dcor 0.7's guvectorize kernels still compile and then fail to type the
    un-jitted functions they call (numba 0.68).
    """
    if importlib.util.find_spec("dcor") is None:
        pytest.skip("dcor is not installed (the test extra of the workflow installs it)")
    path = tmp_path_factory.mktemp("dcor") / "cases.npz"
    np.savez(path, **{f"{k}{i}": a for i, case in enumerate(DCOR_CASES) for k, a in zip("xy", case)})
    code = (
        "import json, sys, numpy as np, dcor; d = np.load(sys.argv[1]); "
        "print(json.dumps([float(dcor.energy_distance(d[f'x{i}'], d[f'y{i}'])) "
        f"for i in range({len(DCOR_CASES)})]))"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_energy_distance_equals_dcor(dcor_energy, monkeypatch):
    for (x, y), ref in zip(DCOR_CASES, dcor_energy):
        assert mapeval.energy_distance(x, y) == pytest.approx(ref, abs=1e-10, rel=1e-10)
    monkeypatch.setattr(metrics, "BLOCK_CELLS", 50)  # many row blocks, also for the x-x sum
    for (x, y), ref in zip(DCOR_CASES, dcor_energy):
        assert mapeval.energy_distance(x, y) == pytest.approx(ref, abs=1e-10, rel=1e-10)


def test_energy_distance_equals_the_formula_by_loops():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(9, 4)) * 2
    assert mapeval.energy_distance(x, y) == pytest.approx(energy_by_loops(x, y), abs=1e-12)


def test_energy_distance_hand_worked():
    # x = {0, 2}, y = {1} on a line: 2 * (1 + 1) / 2 - (2 + 2) / 4 - 0 = 1
    assert mapeval.energy_distance([[0.0], [2.0]], [[1.0]]) == pytest.approx(1.0, abs=1e-15)
    # one point each, 3-4-5 triangle: 2 * 5
    assert mapeval.energy_distance([[0.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(10.0, abs=1e-15)
    # the same sample: 0
    same = np.random.default_rng(2).normal(size=(5, 3))
    assert mapeval.energy_distance(same, same) == pytest.approx(0.0, abs=1e-12)


def test_energy_distance_per_group_equals_each_group_alone(monkeypatch):
    monkeypatch.setattr(metrics, "BLOCK_CELLS", 400)  # several blocks per step
    rng = np.random.default_rng(4)
    sizes = {"a": 1, "b": 2, "c": 4, "d": 4, "e": 40}  # "e" takes the large-group path
    groups = np.concatenate([[g] * s for g, s in sizes.items()])
    order = rng.permutation(len(groups))  # groups interleaved
    groups = groups[order]
    feats = rng.normal(size=(len(groups), 6)) + np.where(groups == "c", 2.0, 0.0)[:, None]
    controls = rng.normal(size=(25, 6))
    one = mapeval.energy_distance_per_group(feats, groups, controls, threads=1)
    two = mapeval.energy_distance_per_group(feats, pd.Series(groups), controls, threads=2)
    pd.testing.assert_frame_equal(one, two)
    assert one["group"].tolist() == list(dict.fromkeys(groups))  # order of first appearance
    for _, row in one.iterrows():
        x = feats[groups == row["group"]]
        assert row["n_profiles"] == len(x) and row["n_controls"] == 25
        assert row["energy_distance"] == pytest.approx(energy_by_loops(x, controls), abs=1e-10)
        assert row["energy_distance"] == pytest.approx(
            2 * row["mean_distance_to_controls"] - row["mean_distance_within"] - row["mean_distance_controls"],
            abs=1e-12,
        )
    by_group = one.set_index("group")["energy_distance"]
    assert by_group["c"] > by_group.drop("c").max()  # the shifted group is the farthest


# ----------------------------------------------------------------------------------------------
# known-relationship recall
# ----------------------------------------------------------------------------------------------


def recall_by_loops(feats, genes, pairs, lower, upper, how="mean"):
    """Aggregate per gene, cosine of every pair i < j, predicted = below/above the percentiles."""
    names = list(dict.fromkeys(genes))
    agg = {}
    for g in names:
        rows = [feats[i] for i in range(len(genes)) if genes[i] == g]
        agg[g] = np.mean(rows, axis=0) if how == "mean" else np.median(rows, axis=0)
    cos = {}
    for a, b in itertools.combinations(names, 2):
        va, vb = agg[a], agg[b]
        cos[frozenset((a, b))] = float(np.dot(va, vb) / (np.linalg.norm(va) * np.linalg.norm(vb)))
    lo, hi = np.percentile(list(cos.values()), [lower, upper])
    annotated = {frozenset(p) for p in pairs if p[0] != p[1] and p[0] in agg and p[1] in agg}
    hits = sum((cos[p] < lo) or (cos[p] > hi) for p in annotated)
    share = sum((c < lo) or (c > hi) for c in cos.values()) / len(cos)
    return len(annotated), hits, lo, hi, share


@pytest.mark.parametrize("how", ["mean", "median"])
def test_known_relationship_recall_equals_pair_loops(how):
    rng = np.random.default_rng(5)
    names = [f"G{i}" for i in range(30)]
    genes = list(rng.choice(names, size=75))
    genes[:30] = names  # every gene at least once
    feats = rng.normal(size=(75, 6))
    feats[np.array(genes) == "G3"] = feats[np.array(genes) == "G4"][0] * 2  # strong link
    pairs = [tuple(rng.choice(names, 2)) for _ in range(40)] + [("G3", "G4"), ("G4", "G3"), ("G1", "ZZZ")]
    rel = pd.DataFrame(pairs, columns=["entity1", "entity2"])
    out = mapeval.known_relationship_recall(feats, genes, rel, aggregate=how, lower=10, upper=90)
    n, hits, lo, hi, share = recall_by_loops(feats, genes, pairs, 10, 90, how)
    row = out.iloc[0]
    assert row["source"] == "all" and row["n_genes"] == 30
    assert (row["n_pairs"], row["n_predicted"]) == (n, hits)
    assert row["recall"] == pytest.approx(hits / n)
    assert row["lower_threshold"] == pytest.approx(lo, abs=1e-12)
    assert row["upper_threshold"] == pytest.approx(hi, abs=1e-12)
    assert row["expected_recall"] == pytest.approx(share)


def test_known_relationship_recall_hand_worked():
    # g1..g4 at (1,0), (0,1), (-1,0), (1,1): cosines -1 (g1,g3), -0.707 (g3,g4), 0, 0,
    # 0.707 (g1,g4), 0.707 (g2,g4). Lower 10%: lerp(-1, -0.707, 0.5) = -0.854, only (g1,g3)
    # below; upper 90%: lerp(0.707, 0.707) = 0.707, nothing *strictly* above.
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    rel = pd.DataFrame(
        [("g1", "g3", "A"), ("g2", "g4", "A"), ("g2", "g2", "A"), ("g1", "gX", "A"),
         ("g1", "g4", "B"), ("g4", "g1", "B")],
        columns=["a", "b", "db"],
    )
    out = mapeval.known_relationship_recall(feats, ["g1", "g2", "g3", "g4"], rel, gene_columns=("a", "b"),
                                            source_column="db", lower=10, upper=90).set_index("source")
    assert out.loc["A", ["n_pairs_listed", "n_pairs", "n_predicted"]].tolist() == [3, 2, 1]
    assert out.loc["A", "recall"] == 0.5
    assert out.loc["B", ["n_pairs_listed", "n_pairs", "n_predicted"]].tolist() == [1, 1, 0]
    assert out.loc["A", "lower_threshold"] == pytest.approx(-(1 + 0.5**0.5) / 2)
    assert out.loc["A", "upper_threshold"] == pytest.approx(0.5**0.5)
    assert out.loc["A", "expected_recall"] == pytest.approx(1 / 6)


def test_known_relationship_recall_of_random_profiles_is_the_chance_share():
    # random profiles: an annotated pair is a predicted link with probability ~0.10
    counts = []
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        names = np.array([f"G{i}" for i in range(150)])
        rel = pd.DataFrame({"entity1": rng.choice(names, 800), "entity2": rng.choice(names, 800)})
        out = mapeval.known_relationship_recall(rng.normal(size=(150, 12)), names, rel).iloc[0]
        assert out["expected_recall"] == pytest.approx(0.10, abs=2e-3)
        low, high = stats.binom.interval(0.999, out["n_pairs"], out["expected_recall"])
        assert low <= out["n_predicted"] <= high
        assert out["ci_low"] <= 0.10 + 0.02 and out["ci_high"] >= 0.10 - 0.02
        counts.append((out["n_predicted"], out["n_pairs"]))
    k, n = map(sum, zip(*counts))
    low, high = stats.binom.interval(0.999, n, 0.10)
    assert low <= k <= high


@pytest.mark.parametrize("coarse", [False, True])
def test_known_relationship_recall_histogram_passes_equal_numpy(monkeypatch, coarse):
    # the exact order statistics by histogram passes give numpy's percentiles bit for bit,
    # also with many tied similarities (coarse profiles) and bins split twice
    rng = np.random.default_rng(6)
    feats = rng.integers(-1, 2, size=(120, 3)).astype(float) if coarse else rng.normal(size=(120, 5))
    feats[np.abs(feats).sum(axis=1) == 0, 0] = 1.0
    names = np.array([f"G{i}" for i in range(120)])
    rel = pd.DataFrame({"entity1": rng.choice(names, 300), "entity2": rng.choice(names, 300),
                        "source": rng.choice(["A", "B"], 300)})
    direct = mapeval.known_relationship_recall(feats, names, rel, lower=5, upper=95)
    monkeypatch.setattr(metrics, "TRIANGLE_DIRECT_MAX", 0)
    monkeypatch.setattr(metrics, "BLOCK_CELLS", 2000)
    passes = mapeval.known_relationship_recall(feats, names, rel, lower=5, upper=95, threads=2)
    pd.testing.assert_frame_equal(direct, passes, check_exact=True)
    monkeypatch.setattr(metrics, "COLLECT_MAX", 5)  # split the bins further
    split = mapeval.known_relationship_recall(feats, names, rel, lower=5, upper=95)
    pd.testing.assert_frame_equal(direct, split, check_exact=True)


def test_linear_percentile_reproduces_numpy_bit_for_bit():
    rng = np.random.default_rng(7)
    for _ in range(500):
        n = int(rng.integers(1, 300))
        p = float(rng.choice([1.0, 5.0, 95.0, 99.0, rng.uniform(0, 100)]))
        v = np.sort(rng.normal(size=n))
        lo, hi, gamma = metrics.linear_percentile_index(n, p)
        assert metrics.linear_lerp(v[lo], v[hi], gamma) == np.percentile(v, p)


def test_clopper_pearson_equals_scipy():
    k, n = np.array([0, 3, 10, 7]), np.array([10, 10, 10, 50])
    low, high = metrics.clopper_pearson(k, n, 0.95)
    for a, b, lo, hi in zip(k, n, low, high):
        ci = stats.binomtest(int(a), int(b)).proportion_ci(0.95, method="exact")
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)


# ----------------------------------------------------------------------------------------------
# retrieval metrics
# ----------------------------------------------------------------------------------------------


def label_set(value) -> set:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return set()
    return {value} if isinstance(value, str) else set(value)


def retrieval_by_sorting(feats, labels, ks, ties, unannotated="drop", same=None, points=None, top=1.0):
    """Each query's ranked list built with sorted(), metrics straight from their definitions."""
    sets = [label_set(v) for v in labels]
    rows = {}
    for i, si in enumerate(sets):
        if not si:
            continue
        cands = [j for j in range(len(sets)) if j != i and (sets[j] or unannotated == "candidates")
                 and (same is None or same[j] != same[i])]
        sim = {j: float(np.dot(feats[i], feats[j]) / (np.linalg.norm(feats[i]) * np.linalg.norm(feats[j])))
               for j in cands}
        rel = {j: bool(si & sets[j]) for j in cands}
        k = sum(rel.values())
        if k == 0:
            rows[i] = None
            continue
        # ties: relevant after (relevant_last) or before (relevant_first) the others
        order = sorted(cands, key=lambda j: (-sim[j], rel[j] if ties == "relevant_last" else not rel[j]))
        flags = [rel[j] for j in order]
        prec = [sum(flags[: r + 1]) / (r + 1) for r in range(len(flags))]
        recall = [sum(flags[: r + 1]) / k for r in range(len(flags))]

        def interp(level, prec=prec, recall=recall):
            return max(p for p, r in zip(prec, recall) if r >= level - 1e-12)

        levels = [m / k for m in range(1, k + 1)] if points is None else [t / (points - 1) for t in range(points)]
        thr = np.percentile([sim[j] for j in cands], 100 - top)
        v11 = sum(1 for j in cands if sim[j] > thr and rel[j])
        v12 = sum(1 for j in cands if sim[j] > thr and not rel[j])
        v21, v22 = k - v11, len(cands) - k - v12
        ratio, p = stats.fisher_exact([[v11, v12], [v21, v22]], alternative="greater")
        rows[i] = {
            "n_candidates": len(cands), "n_relevant": k, "first_relevant_rank": flags.index(True) + 1,
            **{f"hit_at_{kk}": any(flags[:kk]) for kk in ks},
            **{f"share_at_{kk}": sum(flags[:kk]) / k for kk in ks},
            "average_precision": float(np.mean([prec[r] for r in range(len(flags)) if flags[r]])),
            "interpolated_average_precision": float(np.mean([interp(level) for level in levels])),
            "table": (v11, v12, v21, v22), "odds_ratio": ratio, "fisher_p_value": p,
        }
    return rows


def assert_matches(out: pd.DataFrame, expected: dict, ks):
    for i, exp in expected.items():
        row = out.iloc[i]
        if exp is None:
            assert not row["is_query"] and row["n_relevant"] == 0
            continue
        assert row["is_query"]
        for col in ["n_candidates", "n_relevant", "first_relevant_rank", *[f"hit_at_{k}" for k in ks]]:
            assert row[col] == exp[col], (i, col)
        for col in ["average_precision", "interpolated_average_precision", *[f"share_at_{k}" for k in ks]]:
            assert row[col] == pytest.approx(exp[col], abs=1e-12), (i, col)
        table = tuple(int(row[c]) for c in ["top_relevant", "top_other", "rest_relevant", "rest_other"])
        assert table == exp["table"], i
        if np.isnan(exp["odds_ratio"]):
            assert np.isnan(row["odds_ratio"])
        else:
            assert row["odds_ratio"] == exp["odds_ratio"], i
        assert row["fisher_p_value"] == pytest.approx(exp["fisher_p_value"], rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("ties", ["relevant_last", "relevant_first"])
@pytest.mark.parametrize("unannotated", ["drop", "candidates"])
def test_retrieval_metrics_equal_sorted_rankings(ties, unannotated, monkeypatch):
    monkeypatch.setattr(metrics, "BLOCK_CELLS", 3000)  # several blocks of queries
    rng = np.random.default_rng(8)
    n = 90
    feats = rng.normal(size=(n, 6))
    feats[10] = feats[11]  # exact ties: 10, 11 and 12 are the same profile (a copy, so that
    feats[12] = feats[11]  # both computations see equal similarities; 3x would differ by an ulp)
    pool = ["A", "B", "C", "D", "E", "F", "G", "H", "I"]
    labels = []
    for i in range(n):
        r = rng.uniform()
        labels.append(None if r < 0.1 else "" if r < 0.13 else list(rng.choice(pool, 2, replace=False))
                      if r < 0.4 else str(rng.choice(pool)))
    labels[10], labels[11], labels[12] = "A", "A", "B"
    labels[20] = "lonely"  # annotated, shares nothing: skipped
    ks = (1, 3, 5, 10)
    out = mapeval.retrieval_metrics(feats, labels, ks=ks, ties=ties, unannotated=unannotated, top_percent=10)
    expected = retrieval_by_sorting(feats, labels, ks, ties, unannotated, top=10)
    assert_matches(out, expected, ks)
    assert not out.loc[20, "is_query"] and out.loc[20, "annotated"]
    assert not out.loc[[i for i, v in enumerate(labels) if not label_set(v)], "annotated"].any()
    two = mapeval.retrieval_metrics(feats, labels, ks=ks, ties=ties, unannotated=unannotated, top_percent=10,
                                    threads=2)
    pd.testing.assert_frame_equal(out, two)


def test_retrieval_grid_points_and_exclude_same_equal_sorted_rankings():
    rng = np.random.default_rng(9)
    n = 60
    feats = rng.normal(size=(n, 5))
    compound = rng.integers(0, 25, size=n)  # doses of one compound share a key
    labels = [str(rng.choice(["A", "B", "C", "D"])) for _ in range(n)]
    for points in (11, 2, 60):
        out = mapeval.retrieval_metrics(feats, labels, ks=(2,), recall_points=points, exclude_same=compound)
        expected = retrieval_by_sorting(feats, labels, (2,), "relevant_last", same=compound, points=points)
        assert_matches(out, expected, (2,))


def test_retrieval_hand_worked():
    # query 0 at angle 0 (A); others at 10 (A), 20 (B), 30 (C), 40 (A), 50 (A) degrees:
    # ranked 10, 20, 30, 40, 50 -> relevant at ranks 1, 4, 5; precision 1, 2/4, 3/5
    angles = np.deg2rad([0, 10, 20, 30, 40, 50])
    feats = np.c_[np.cos(angles), np.sin(angles)]
    labels = ["A", "A", "B", "C", "A", "A"]
    row = mapeval.retrieval_metrics(feats, labels, ks=(1, 3)).iloc[0]
    assert row["first_relevant_rank"] == 1 and row["hit_at_1"] and row["hit_at_3"]
    assert row["share_at_3"] == pytest.approx(1 / 3)
    assert row["average_precision"] == pytest.approx((1 + 2 / 4 + 3 / 5) / 3)
    # P_interp at recall 1/3, 2/3, 1: max(1, .5, .6) = 1, max(.5, .6) = .6, .6
    assert row["interpolated_average_precision"] == pytest.approx((1 + 0.6 + 0.6) / 3)
    eleven = mapeval.retrieval_metrics(feats, labels, recall_points=11).iloc[0]
    # recall levels 0, .1, .2, .3 -> 1; .4 ... 1.0 -> .6
    assert eleven["interpolated_average_precision"] == pytest.approx((4 * 1 + 7 * 0.6) / 11)
    # top 1% of 5 candidates: above the 99th percentile, between cos 20 and cos 10 -> {10}
    assert (row["top_relevant"], row["top_other"], row["rest_relevant"], row["rest_other"]) == (1, 0, 2, 2)
    assert row["odds_ratio"] == np.inf
    assert row["odds_ratio_corrected"] == pytest.approx(1.5 * 2.5 / (0.5 * 2.5))
    assert row["fisher_p_value"] == pytest.approx(3 / 5)  # P(the one top treatment is relevant)


def test_ties_rank_relevant_last_by_default_and_first_on_request():
    rng = np.random.default_rng(10)
    feats = rng.normal(size=(6, 4))
    feats[2] = feats[1]  # 1 (relevant to 0) and 2 (not) tie for query 0
    feats[1] += 0  # same bits
    feats[0] = feats[1] + 0.01 * rng.normal(size=4)  # and are the most similar to it
    labels = ["A", "A", "B", "C", "D", "E"]
    last = mapeval.retrieval_metrics(feats, labels).iloc[0]
    first = mapeval.retrieval_metrics(feats, labels, ties="relevant_first").iloc[0]
    assert (last["first_relevant_rank"], first["first_relevant_rank"]) == (2, 1)
    assert (last["average_precision"], first["average_precision"]) == (0.5, 1.0)


def test_fisher_exact_greater_equals_scipy_on_every_small_table():
    tables = np.array(list(itertools.product(range(4), repeat=4)))
    ratio, p = metrics.fisher_exact_greater(*tables.T)
    for (a, b, c, d), r, pv in zip(tables, ratio, p):
        ref = stats.fisher_exact([[a, b], [c, d]], alternative="greater")
        assert (np.isnan(r) and np.isnan(ref.statistic)) or r == ref.statistic, (a, b, c, d)
        assert pv == pytest.approx(ref.pvalue, rel=1e-12), (a, b, c, d)


def test_summary_averages_over_queries_and_counts_skips():
    rng = np.random.default_rng(11)
    feats = rng.normal(size=(40, 5))
    labels = [str(rng.choice(["A", "B", "C"])) for _ in range(38)] + ["solo", None]
    per = mapeval.retrieval_metrics(feats, labels, ks=(1, 5), top_percent=20)
    summary = mapeval.summarize_retrieval(per)
    q = per[per["is_query"]]
    assert summary["n_treatments"] == 40 and summary["n_annotated"] == 39
    assert summary["n_queries"] == 38 and summary["n_skipped"] == 1
    assert summary["recall_at_5"] == pytest.approx(q["hit_at_5"].astype(float).mean())
    assert summary["map_interpolated"] == pytest.approx(q["interpolated_average_precision"].mean())
    finite = q["odds_ratio"].replace(np.inf, np.nan).notna()
    assert summary["n_infinite_odds_ratio"] == int(np.isinf(q["odds_ratio"]).sum())
    corrected = q["odds_ratio_corrected"]
    assert (corrected[finite] == q["odds_ratio"][finite]).all()
    assert summary["folds_of_enrichment"] == pytest.approx(corrected.mean())


def test_folds_of_enrichment_of_random_profiles_is_near_one():
    # a map without information: relevant treatments are not enriched in the top 1%
    rng = np.random.default_rng(12)
    labels = [f"m{i}" for i in rng.integers(0, 40, size=800)]
    summary = mapeval.summarize_retrieval(mapeval.retrieval_metrics(rng.normal(size=(800, 16)), labels))
    assert 0.5 < summary["folds_of_enrichment"] < 2.0
    assert summary["recall_at_1"] == pytest.approx(19 / 799, abs=0.03)


# ----------------------------------------------------------------------------------------------
# the cell-count baseline
# ----------------------------------------------------------------------------------------------


def test_cell_count_scores_hand_worked():
    # plate 1: controls 1, 2, 3 (mean 2, sd 1); plate 2: controls 10, 14 (mean 12, sd 2 sqrt 2)
    values = [1, 2, 3, 5, 3, 7, 10, 14, 16, 8]
    plates = ["p1"] * 6 + ["p2"] * 4
    pert = ["ctrl"] * 3 + ["A", "A", "B"] + ["ctrl", "ctrl", "A", "B"]
    ctrl = [p == "ctrl" for p in pert]
    z = mapeval.normalize_to_controls(values, plates, ctrl)
    assert z[3] == pytest.approx(3.0) and z[8] == pytest.approx(4 / (2 * 2**0.5))
    scores = mapeval.cell_count_scores(values, pert, plates, ctrl).set_index("perturbation")
    # A: plate 1 mean of 5 and 3 -> (4 - 2) / 1 = 2; plate 2: 4 / 2.83; median of the two
    assert scores.loc["A", "cell_count_score"] == pytest.approx((2 + 4 / (2 * 2**0.5)) / 2)
    assert scores.loc["B", "cell_count_score"] == pytest.approx((5.0 + (8 - 12) / (2 * 2**0.5)) / 2)
    assert scores.loc["A", ["n_plates", "n_wells"]].tolist() == [2, 3]
    pop = mapeval.normalize_to_controls(values, plates, ctrl, ddof=0)
    assert pop[3] == pytest.approx(3 / np.std([1, 2, 3]))
