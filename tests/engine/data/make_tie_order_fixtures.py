"""Make tests/engine/data/numpy_1_23_argsort.npz and tests/engine/data/cpjump1_fig4c_copairs_880f22a.npz.

How they were made (2026-12-06): run with numpy 1.23.4 and pandas 1.5.1 (the CPJUMP1
notebooks' versions; a venv ``pip install numpy==1.23.4 pandas==1.5.1``), CPython 3.11:

    python tests/engine/data/make_tie_order_fixtures.py NB880 TASK_JSON

* numpy_1_23_argsort.npz: float64 arrays made here from a seed (many ties: few distinct
  values, duplicated values as a positive and its negative copy, sorted runs, and McIlroy's
  "killer adversary" inputs that drive the introsort into its heapsort fallback) and
  ``np.argsort`` of each under numpy 1.23.4: the oracle of mapeval.tie_order.numpy_1_23_argsort.
* cpjump1_fig4c_copairs_880f22a.npz: one compound-gene task of the CPJUMP1 stand-in
  (TASK_JSON + .npy, dumped from the stand-in run: compound and ORF consensus profiles,
  compound targets as lists, gene symbols as strings, as the notebooks pass them), reduced to
  its first 24 features, and the APs of the notebooks' pipeline on it: NB880 is a Python file
  re-assembling copairs @880f22a's matching.py and the map.py/compute_np.py functions the
  notebooks' utils import (create_matcher, build_rank_list_multi, get_rel_k_list,
  compute_ap, ...), with a function run_pipeline_ap(meta, feats, pos_sameby, pos_diffby,
  neg_sameby, neg_diffby, anti_match, multilabel_col) -> (AP table, n negatives).
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261206


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# the port, loaded by path (mapeval's __init__ needs packages the old environment lacks)
tie_order = load(HERE.parents[2] / "workflow" / "mapeval" / "tie_order.py", "tie_order")


def killer(n: int) -> np.ndarray:
    """McIlroy (1999) adversary run against the port: values that make the introsort degrade."""
    gas, val = n, [n] * n
    state = {"solid": 0, "candidate": 0}

    def freeze(x):
        val[x] = state["solid"]
        state["solid"] += 1

    class Item:
        def __init__(self, i):
            self.i = i

        def __lt__(self, other):
            x, y = self.i, other.i
            if val[x] == gas and val[y] == gas:
                freeze(x if x == state["candidate"] else y)
            if val[x] == gas:
                state["candidate"] = x
            elif val[y] == gas:
                state["candidate"] = y
            return val[x] < val[y]

    tie_order.argsort_list([Item(i) for i in range(n)])
    return np.asarray(val, dtype=np.float64)


def argsort_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    cases = []
    for n in (0, 1, 2, 3, 5, 15, 16, 17, 18, 31, 33, 64, 100, 257, 600, 1500):
        for k in (1, 2, 3, 10, max(1, n // 3)):
            cases.append((f"ints n={n} k={k}", rng.integers(0, k, n).astype(np.float64)))
        half = rng.random((n + 1) // 2).round(3)  # every value twice: positive and its copy
        cases.append((f"pairs n={n}", rng.permutation(np.repeat(half, 2))[:n]))
        cases.append((f"sorted ties n={n}", np.sort(rng.integers(0, 5, n)).astype(np.float64)))
        cases.append((f"reversed ties n={n}", np.sort(rng.integers(0, 5, n))[::-1].astype(np.float64)))
    for n in (64, 300, 1000):
        cases.append((f"killer n={n}", killer(n)))
    return cases


def main(nb880_path: str, task_json: str) -> None:
    assert np.__version__ == "1.23.4" and pd.__version__ == "1.5.1", (np.__version__, pd.__version__)
    rng = np.random.default_rng(SEED)
    cases = argsort_cases(rng)
    heaps = {"n": 0}
    original = tie_order._aheapsort

    def counting(*args):
        heaps["n"] += 1
        return original(*args)

    tie_order._aheapsort = counting
    for name, x in cases:
        if name.startswith("killer"):
            before = heaps["n"]
            assert (tie_order.numpy_1_23_argsort(x) == np.argsort(x)).all(), name
            assert heaps["n"] > before, f"{name} does not reach the heapsort fallback"
    values = np.concatenate([x for _, x in cases])
    perms = np.concatenate([np.argsort(x) for _, x in cases]).astype(np.int32)
    np.savez_compressed(
        HERE / "numpy_1_23_argsort.npz",
        values=values,
        argsort=perms,
        sizes=np.asarray([len(x) for _, x in cases], dtype=np.int64),
        names=np.asarray([n for n, _ in cases]),
        numpy_version=np.asarray(np.__version__),
    )

    nb880 = load(Path(nb880_path), "nb880")
    d = json.loads(Path(task_json).read_text())
    feats = np.load(task_json[:-5] + ".npy")[:, :24]
    meta = pd.DataFrame(
        {"Metadata_broad_sample": d["pert"], "Metadata_modality": d["modality"],
         "Metadata_matching_target": d["target"]}
    )
    res, _ = nb880.run_pipeline_ap(
        meta, feats, ["Metadata_matching_target"], ["Metadata_modality"], [],
        ["Metadata_matching_target", "Metadata_modality"], anti_match=True,
        multilabel_col="Metadata_matching_target",
    )
    is_list = np.asarray([isinstance(t, list) for t in d["target"]])
    np.savez_compressed(
        HERE / "cpjump1_fig4c_copairs_880f22a.npz",
        feats=feats,
        pert=np.asarray(d["pert"]),
        modality=np.asarray(d["modality"]),
        # targets: "|"-joined (compounds' lists; the genetic side's single gene symbol)
        targets=np.asarray(["|".join(t) if isinstance(t, list) else t for t in d["target"]]),
        target_is_list=is_list,
        ap_pert=res["Metadata_broad_sample"].to_numpy(str),
        ap_target=res["Metadata_matching_target"].to_numpy(str),
        ap_n_pos=res["n_pos_pairs"].to_numpy(np.int64),
        ap_n_total=res["n_total_pairs"].to_numpy(np.int64),
        ap=res["average_precision"].to_numpy(np.float64),
    )
    print(len(cases), "argsort cases,", len(values), "values;", len(res), "task APs")


if __name__ == "__main__":
    main(*sys.argv[1:])
