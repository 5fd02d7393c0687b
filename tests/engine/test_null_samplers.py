"""The fast null sampler draws uniform k-subsets of range(N) in each of its ways of drawing.

Oracles: exact enumeration of all k-subsets (the AP distribution, its mean, variance and the
float32 values copairs' arithmetic gives), the exact expected AP (``mapeval.expected_ap``),
full random shuffles drawn here (copairs' definition of the null), and the uniformity of
p-values under the null. The ways of drawing (``mapeval.nulls``): "redraw" (k <= N/3: k ranks
drawn with replacement, repeated ones redrawn until all differ), "complement" (N - k <= N/3: the
negative ranks drawn so, the positives are the rest), "partition" (N/3 < k < 2N/3: the k
smallest of N random keys).
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mapeval
from mapeval import nulls
from mapeval.nulls import null_distributions

#: (k, N) -> the fast sampler's way of drawing it
SMALL = {
    (2, 9): "redraw",
    (4, 12): "redraw",  # k = N/3
    (5, 20): "redraw",
    (9, 12): "complement",
    (16, 20): "complement",
    (5, 12): "partition",
    (7, 7): "complement",  # k = N: no negatives, AP = 1
}
LARGE = {(80, 1200): "redraw", (400, 1200): "redraw", (1120, 1200): "complement", (20, 1200): "redraw",
         (300, 4200): "redraw"}


def _all_subsets_ap(k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """AP of every k-subset of ranks 1..n: float64 by the formula, and float32 by copairs'
    arithmetic (float32 m / rank summed in float32, divided by k)."""
    ranks = np.array(list(itertools.combinations(range(1, n + 1), k)), dtype=np.int64)
    m = np.arange(1, k + 1)
    ap64 = (m / ranks).mean(axis=1)
    ap32 = ((np.arange(1, k + 1, dtype=np.float32) / ranks.astype(np.uint16)).sum(axis=1) / k).astype(np.float32)
    return ap64, ap32


def _shuffled_ap(k: int, n: int, size: int, seed: int) -> np.ndarray:
    """AP of `size` full random shuffles of n ranks (the positives: the first k of a random
    permutation), in float64."""
    rng = np.random.default_rng(seed)
    out = np.empty(size)
    for s in range(0, size, 500):
        r = min(500, size - s)
        ranks = np.sort(rng.random((r, n)).argsort(axis=1)[:, :k], axis=1) + 1
        out[s : s + r] = (np.arange(1, k + 1) / ranks).mean(axis=1)
    return out


@pytest.mark.parametrize("k,n", list(SMALL), ids=[f"{v}-{k}-{n}" for (k, n), v in SMALL.items()])
def test_fast_null_has_the_exact_mean_variance_and_values(k, n):
    ap64, ap32 = _all_subsets_ap(k, n)
    size = 40_000
    null = null_distributions(np.array([[k, n]]), size, seed=11, sampler="fast")[0]
    # every value is the float32 AP (copairs' arithmetic) of some k-subset
    assert np.isin(null, np.unique(ap32)).all()
    mean, var = ap64.mean(), ap64.var()
    if var == 0:  # k = N: every ranking is perfect
        assert (null == 1).all()
        return
    mu4 = ((ap64 - mean) ** 4).mean()
    x = null.astype(np.float64)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / size)
    assert abs(x.var() - var) < 4 * np.sqrt((mu4 - var**2) / size)


@pytest.mark.parametrize("k,n", [(4, 12), (9, 12), (5, 12), (4, 9), (7, 10)])
def test_fast_null_matches_the_enumerated_distribution(k, n):
    ap64, _ = _all_subsets_ap(k, n)
    values, counts = np.unique(np.round(ap64, 9), return_counts=True)
    null = null_distributions(np.array([[k, n]]), 30_000, seed=5, sampler="fast")[0]
    # the nearest exact value of each sample
    x = null.astype(np.float64)
    right = np.clip(np.searchsorted(values, x), 1, len(values) - 1)
    idx = np.where(x - values[right - 1] < values[right] - x, right - 1, right)
    observed = np.bincount(idx, minlength=len(values))
    expected = counts / counts.sum() * len(null)
    keep = expected >= 5  # pool rare values (chi-square validity)
    obs = np.r_[observed[keep], observed[~keep].sum()]
    exp = np.r_[expected[keep], expected[~keep].sum()]
    obs, exp = obs[exp > 0], exp[exp > 0]
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert stats.chi2.sf(chi2, df=len(obs) - 1) > 1e-4


@pytest.mark.parametrize("k,n", list(LARGE), ids=[f"{v}-{k}-{n}" for (k, n), v in LARGE.items()])
def test_fast_null_of_large_configurations_matches_full_shuffles(k, n):
    null = null_distributions(np.array([[k, n]]), 10_000, seed=2, sampler="fast")[0].astype(np.float64)
    # the exact expected AP (closed form)
    assert abs(null.mean() - mapeval.expected_ap(k, n)[0]) < 4 * null.std() / np.sqrt(len(null))
    # the distribution of copairs' full shuffles
    shuffled = _shuffled_ap(k, n, 2000 if n < 2000 else 1000, seed=3)
    assert stats.ks_2samp(null, shuffled).pvalue > 1e-3


def test_ap_p_values_of_null_aps_are_uniform():
    # observed APs drawn from the null by full shuffles: their p-values are uniform on (0, 1]
    k, n = 300, 4200
    observed = _shuffled_ap(k, n, 2000, seed=4)
    frame = pd.DataFrame({"average_precision": observed, "n_pos_pairs": k, "n_total_pairs": n})
    p = mapeval.ap_p_values(frame, null_size=20_000, seed=0, null_sampler="fast")
    assert stats.kstest(p, "uniform").pvalue > 1e-3
    for alpha in (0.01, 0.05, 0.2):
        assert abs((p <= alpha).mean() - alpha) < 4 * np.sqrt(alpha * (1 - alpha) / len(p))


def test_dense_draws_are_reproducible_and_seeded():
    confs = np.array([[5, 20], [16, 20], [300, 4200]])
    a = null_distributions(confs, 2000, seed=7, sampler="fast")
    nulls._NULL_CACHE.clear()
    b = null_distributions(confs, 2000, seed=7, sampler="fast")
    np.testing.assert_array_equal(a, b)
    c = null_distributions(confs, 2000, seed=8, sampler="fast")
    assert not any(np.array_equal(a[i], c[i]) for i in range(len(confs)))


# ------------------------------------------------------------------------------------------------
# Progress of long draws through logging (logger "mapeval", INFO)
# ------------------------------------------------------------------------------------------------


def test_long_draw_logs_start_progress_and_end(monkeypatch, caplog):
    monkeypatch.setattr(nulls, "LONG_DRAW_SECONDS", 0.0)  # every draw counts as long
    monkeypatch.setattr(nulls, "PROGRESS_MIN_GAP", 0.0)
    nulls._NULL_CACHE.clear()
    caplog.set_level(logging.INFO, logger="mapeval")
    null_distributions(np.array([[300, 4200], [3, 50]]), 60_000, seed=1, sampler="fast")
    lines = [r.getMessage() for r in caplog.records if r.name == "mapeval"]
    assert lines[0].startswith("mapeval null (fast sampler): 2 configuration(s) x 60,000 samples: "
                               "expected to take about")
    assert any("% done after" in line and "left" in line for line in lines[1:-1])
    assert "done in" in lines[-1]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "mapeval")


def test_short_draws_and_default_logging_are_silent(monkeypatch, caplog):
    nulls._NULL_CACHE.clear()
    caplog.set_level(logging.INFO, logger="mapeval")
    null_distributions(np.array([[3, 50]]), 1000, seed=1)  # milliseconds: no line
    assert not [r for r in caplog.records if r.name == "mapeval"]
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="mapeval")  # the default level: nothing either
    monkeypatch.setattr(nulls, "LONG_DRAW_SECONDS", 0.0)
    null_distributions(np.array([[3, 51]]), 1000, seed=1)
    assert not [r for r in caplog.records if r.name == "mapeval"]


def test_a_billion_samples_announce_themselves(caplog):
    # null_size 1e9 takes minutes to hours: the draw says so before it starts
    caplog.set_level(logging.INFO, logger="mapeval")
    for sampler, k, n in (("fast", 1, 2), ("fast", 5, 197), ("copairs", 1, 2)):
        expected = 1e9 * nulls.draw_seconds(sampler, k, n)
        assert expected >= nulls.LONG_DRAW_SECONDS
        nulls.DrawProgress("a draw", expected)
    assert sum("expected to take about" in r.getMessage() for r in caplog.records) == 3


def test_documented_logging_setup_shows_progress_on_stderr():
    # the README's line for rule scripts: logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stderr, level=logging.INFO)\n"
        "import numpy as np, mapeval.nulls as nulls\n"
        "nulls.LONG_DRAW_SECONDS = 0.0\n"
        "nulls.null_distributions(np.array([[5, 40]]), 20000, seed=0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "INFO:mapeval:mapeval null (fast sampler): 1 configuration(s) x 20,000 samples" in out.stderr
    assert "done in" in out.stderr and out.stdout == ""
