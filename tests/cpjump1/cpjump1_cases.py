"""Small hand-built CPJUMP1-shaped inputs and brute-force oracles for the cpjump1 tests.

The oracles recompute every quantity from its definition with plain numpy loops; they share no
code with mapreprod.datasets.cpjump1 or mapeval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROWS = "ABCDEFGHIJKLMNOP"


def plate_frame(plate, wells, samples, control, features, genes=None):
    """One annotated plate: Metadata_Plate/Well/broad_sample/control_type[/gene] + features."""
    df = pd.DataFrame(
        {
            "Metadata_Plate": plate,
            "Metadata_Well": wells,
            "Metadata_broad_sample": samples,
            "Metadata_control_type": control,
        }
    )
    if genes is not None:
        df["Metadata_gene"] = genes
    feats = pd.DataFrame(features, columns=[f"Cells_AreaShape_F{j}" for j in range(features.shape[1])])
    return pd.concat([df, feats], axis=1)


def compound_plates(n_plates=3, n_compounds=6, n_dmso=5, dim=8, seed=0, effect=1.0):
    """Compound-like plates: each compound once per plate in the same well, plus DMSO wells
    (broad_sample NaN, control_type negcon) and one duplicated compound (two wells)."""
    rng = np.random.default_rng(seed)
    samples = [f"BRD-C{i}" for i in range(n_compounds)] + ["BRD-C0"] + [np.nan] * n_dmso
    control = [np.nan] * (n_compounds + 1) + ["negcon"] * n_dmso
    wells = [f"{ROWS[i // 24]}{i % 24 + 1:02d}" for i in range(len(samples))]
    shift = {f"BRD-C{i}": effect * rng.standard_normal(dim) * (i % 3 != 2) for i in range(n_compounds)}
    plates = []
    for p in range(n_plates):
        x = rng.standard_normal((len(samples), dim))
        for k, s in enumerate(samples):
            if isinstance(s, str):
                x[k] += shift[s]
        plates.append(plate_frame(f"P{p}", wells, samples, control, x))
    return plates


def orf_plates(n_plates=2, n_orfs=5, n_negcon=2, dim=8, seed=1):
    """ORF-like plates: two copies of each ORF per plate in different wells, negcon ORFs x2."""
    rng = np.random.default_rng(seed)
    samples = [f"ORF{i}" for i in range(n_orfs) for _ in range(2)]
    samples += [f"NEG{i}" for i in range(n_negcon) for _ in range(2)] + [np.nan]
    genes = [f"G{i}" for i in range(n_orfs) for _ in range(2)] + [f"CTL{i}" for i in range(n_negcon) for _ in range(2)] + [np.nan]
    control = [np.nan] * (2 * n_orfs) + ["negcon"] * (2 * n_negcon) + [np.nan]
    order = rng.permutation(len(samples))
    wells = [f"{ROWS[i // 24]}{i % 24 + 1:02d}" for i in order]
    shift = {f"ORF{i}": rng.standard_normal(dim) for i in range(n_orfs)}
    plates = []
    for p in range(n_plates):
        x = rng.standard_normal((len(samples), dim))
        for k, s in enumerate(samples):
            if s in shift:
                x[k] += shift[s]
        plates.append(plate_frame(f"O{p}", wells, samples, control, x, genes))
    return plates


def unit(x):
    x = np.asarray(x, dtype=float)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def brute_ap(query, positives, negatives, absolute=False, ties_negatives_first=False):
    """AP of one query from its positive and negative partner profiles (cosine or |cosine|):
    rank all partners by decreasing similarity, average the precision at each positive. Tied
    partners: positives first, or negatives first when ``ties_negatives_first``."""
    q = unit(query)
    sims = [(float(unit(v) @ q), 1) for v in positives] + [(float(unit(v) @ q), 0) for v in negatives]
    if absolute:
        sims = [(abs(s), lab) for s, lab in sims]
    sims.sort(key=lambda t: (-t[0], t[1] if ties_negatives_first else -t[1]))
    hits, total = 0, 0.0
    for rank, (_, lab) in enumerate(sims, start=1):
        if lab:
            hits += 1
            total += hits / rank
    return total / hits


def bh(p):
    """Benjamini-Hochberg adjusted p-values, written out from the definition."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    order = np.argsort(p)
    adj = np.empty(n)
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * n / rank)
        adj[i] = running
    return adj
