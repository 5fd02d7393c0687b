"""File names of the own-data rules (workflow/rules/own_data.smk) and their input functions.

Kept here, not in the rule file, so the rule file stays a list of rules; every path of a
dataset ``<name>`` is under results/own_data/<name>/, its figures are
results/figures/own_<name>_<analysis>.png|pdf and results/tables/own_<name>_<analysis>.csv.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .inputs import OwnDataSpec, check_columns, read_header, resolve_paths

__all__ = ["OwnDataWorkflow"]


class OwnDataWorkflow:
    """The configured own datasets: specs, profile files, targets and input functions.

    Parameters
    ----------
    section : the config section ``own_data`` (validated, defaults filled).
    enabled : whether ``own_data`` is in the top-level ``datasets`` (else nothing runs).
    root : folder that relative profile paths are read from (the working directory).

    Raises
    ------
    ValueError
        A config error naming the key (the spec's checks, profile globs matching nothing, and,
        for files that exist already, missing mapped columns or no feature column).
    """

    def __init__(self, section: Mapping[str, Any], enabled: bool, root: str = ".") -> None:
        self.specs: dict[str, OwnDataSpec] = {}
        self.files: dict[str, list[str]] = {}
        if not enabled:
            return
        for name, entry in section.get("datasets", {}).items():
            spec = OwnDataSpec.from_config(name, entry)
            paths = resolve_paths(spec.profiles, spec.key("profiles"), root)
            existing = [p if os.path.isabs(p) else os.path.join(root, p) for p in paths]
            if all(os.path.exists(p) for p in existing):
                check_columns(spec, read_header(existing, spec.key("profiles")))
            self.specs[name], self.files[name] = spec, paths

    @property
    def name_pattern(self) -> str:
        """Regex of the ``own_name`` wildcard: exactly the configured names (else nothing)."""
        import re

        return "|".join(re.escape(n) for n in self.specs) or "(?!)"

    def analyses(self, name: str) -> list[str]:
        """activity, plus consistency when the dataset maps an annotation column."""
        return ["activity"] + (["consistency"] if self.specs[name].annotation is not None else [])

    @property
    def targets(self) -> list[str]:
        """Every figure file (png, pdf, source table) of every configured dataset."""
        return [
            path
            for name in self.specs
            for analysis in self.analyses(name)
            for path in (
                f"results/figures/own_{name}_{analysis}.png",
                f"results/figures/own_{name}_{analysis}.pdf",
                f"results/tables/own_{name}_{analysis}.csv",
            )
        ]

    @property
    def summaries(self) -> list[str]:
        return [f"results/own_data/{name}/reproduction.csv" for name in self.specs]

    # input functions (called by Snakemake with the job's wildcards) --------------------------

    def profiles(self, wildcards) -> list[str]:
        return self.files[wildcards.own_name]

    def shard_files(self, wildcards) -> list[str]:
        """The AP file of every shard of one dataset."""
        name = wildcards.own_name
        n = self.specs[name].shards
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
