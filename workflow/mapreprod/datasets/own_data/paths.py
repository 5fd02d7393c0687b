"""File names of the own-data rules (workflow/rules/own_data.smk) and their input functions.

Kept here, not in the rule file, so the rule file stays a list of rules; every path of a
dataset ``<name>`` is under results/own_data/<name>/, its figures are
results/figures/own_<name>_<analysis>.png|pdf and results/tables/own_<name>_<analysis>.csv.

Planning reads no data file: it checks the config (keys, settings that contradict each other,
globs that match nothing) and names the files; their content, columns and values are checked by
the first job of each dataset (own_data_prepare), whose errors name the file, column and key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from .inputs import OwnDataSpec, resolve_paths

__all__ = ["OwnDataWorkflow", "canonical", "write_json"]


def canonical(value: Any) -> Any:
    """A config value with the keys of every mapping sorted (lists keep their order), so that a
    rule's param does not change, and the rule does not rerun, when only the order of the keys
    in a config file changes."""
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as JSON atomically (a failed write leaves no partial file at ``path``)."""
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1)
    os.replace(tmp, path)


class OwnDataWorkflow:
    """The configured own datasets: specs, profile files, targets and input functions.

    Parameters
    ----------
    section : the config section ``own_data`` (validated, defaults filled).
    enabled : whether ``own_data`` is in the top-level ``datasets`` (else nothing runs).
    root : folder that relative profile paths are resolved from (the working directory).

    Raises
    ------
    ValueError
        A config error naming the key (the spec's checks, profile globs matching nothing, a bad
        shard count). No data file is opened.
    """

    def __init__(self, section: Mapping[str, Any], enabled: bool, root: str = ".") -> None:
        self.specs: dict[str, OwnDataSpec] = {}
        self.files: dict[str, list[str]] = {}
        self.shards: dict[str, int] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        #: names under own_data.datasets, whether or not own_data runs (for the messages)
        self.configured: list[str] = list(section.get("datasets", {}) or {})
        self.enabled = enabled
        if not enabled:
            return
        for name, entry in section.get("datasets", {}).items():
            spec = OwnDataSpec.from_config(name, entry)
            shards = entry.get("shards", 1)  # the schema's default (the config is validated)
            if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
                raise ValueError(f"{spec.key('shards')}: must be an integer of at least 1, got {shards!r}")
            self.files[name] = resolve_paths(spec.profiles, spec.key("profiles"), root)
            self.specs[name], self.shards[name] = spec, shards
            skip = set(OwnDataSpec.ENGINE_KEYS) | set(OwnDataSpec.WORKFLOW_KEYS)
            self.entries[name] = canonical({k: v for k, v in entry.items() if k not in skip})

    @property
    def name_pattern(self) -> str:
        """Regex of the ``own_name`` wildcard: exactly the configured names (else nothing)."""
        return "|".join(re.escape(n) for n in self.specs) or "(?!)"

    def analyses(self, name: str) -> list[str]:
        """activity, plus consistency when the dataset maps an annotation column."""
        return ["activity"] + (["consistency"] if self.specs[name].annotation is not None else [])

    def tables(self, name: str) -> list[str]:
        """The final tables of one dataset: the activity table and its per-well APs, the
        consistency table (with an annotation column), the summary rows."""
        out = [f"results/own_data/{name}/activity.csv", f"results/own_data/{name}/activity_ap.parquet"]
        if "consistency" in self.analyses(name):
            out.append(f"results/own_data/{name}/consistency.csv")
        return out + [f"results/own_data/{name}/reproduction.csv"]

    @property
    def targets(self) -> list[str]:
        """Every final file of every configured dataset: its tables (:meth:`tables`), and each
        figure's png, pdf and source table. All are inputs of ``rule all`` and of the target
        rule ``own_data_reproduction``, rules without outputs, so each is a target of the run
        and a deleted one is made again."""
        return [
            path
            for name in self.specs
            for path in (
                *self.tables(name),
                *(
                    fig
                    for analysis in self.analyses(name)
                    for fig in (
                        f"results/figures/own_{name}_{analysis}.png",
                        f"results/figures/own_{name}_{analysis}.pdf",
                        f"results/tables/own_{name}_{analysis}.csv",
                    )
                ),
            )
        ]

    @property
    def summaries(self) -> list[str]:
        return [f"results/own_data/{name}/reproduction.csv" for name in self.specs]

    # input functions (called by Snakemake with the job's wildcards) --------------------------

    def entry(self, wildcards) -> dict[str, Any]:
        """params.entry of a rule: the dataset's config entry without its engine keys (which
        reach the rules that use them as params.settings) and without ``shards`` (which only
        sets how many AP jobs are planned), keys sorted; so that changing the null size, seed,
        threshold, similarity or shard count does not rerun the prepare step."""
        return self.entries[wildcards.own_name]

    def profiles(self, wildcards) -> list[str]:
        return self.files[wildcards.own_name]

    def shard_files(self, wildcards) -> list[str]:
        """The AP file of every shard of one dataset."""
        name = wildcards.own_name
        n = self.shards[name]
        return [f"results/own_data/{name}/activity_ap/shard{s}of{n}.parquet" for s in range(n)]

    def consistency_inputs(self, wildcards) -> dict[str, str]:
        """With consistency.activity_filter, consistency needs the activity table."""
        name = wildcards.own_name
        if self.specs[name].activity_filter:
            return {"activity": f"results/own_data/{name}/activity.csv"}
        return {}

    def summary_inputs(self, wildcards) -> dict[str, str]:
        name = wildcards.own_name
        out = {"activity": f"results/own_data/{name}/activity.csv"}
        if "consistency" in self.analyses(name):
            out["consistency"] = f"results/own_data/{name}/consistency.csv"
            out["consistency_info"] = f"results/own_data/{name}/consistency.json"
        return out

    def combine_inputs(self, wildcards=None) -> list[str]:
        """Inputs of own_data_combine: every dataset's summary rows. With no dataset to run, an
        error naming the key to set, so that no empty summary is written (over a full one)."""
        if not self.specs:
            raise ValueError(self.nothing_to_run())
        return self.summaries

    def reproduction_inputs(self, wildcards=None) -> dict[str, list[str] | str]:
        """Inputs of the target own_data_reproduction: every final file (:attr:`targets`) and
        the combined summary; with no dataset to run, the error of :meth:`combine_inputs`."""
        self.combine_inputs()
        return {"targets": self.targets, "summary": "results/own_data/reproduction.csv"}

    def nothing_to_run(self) -> str:
        """Why no own dataset runs, and the key to set."""
        if self.configured and not self.enabled:
            return (
                f"own_data.datasets has {self.configured}, but 'own_data' is not in the top-level "
                "`datasets:` list, so none of them runs: add it (e.g. `datasets: [own_data]`, or "
                "--config 'datasets=[own_data]')"
            )
        return (
            "own_data.datasets is empty: describe a screen under own_data.datasets.<name> "
            "(config/examples/own_data.yaml shows every key)"
        )
