"""Every rule declares what a cluster run needs (threads, mem_mb, runtime, log, conda) and a
benchmark file next to its log, so that the rehearsal (benchmarks/rehearsal.py) measures every job
and results/benchmarks.csv names it; and the gathering of the benchmark files
(mapreprod.benchmark_table) on hand-made files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from workflow_utils import REPO

# Parses the workflow with Snakemake's API (in a subprocess: a fresh Snakemake state) and prints
# every rule's log, benchmark, mem_mb / runtime (a number, or "callable") and conda env.
PROBE = r"""
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings
with SnakemakeApi(OutputSettings(quiet=True)) as api:
    workflow = api.workflow(resource_settings=ResourceSettings(cores=1),
                            snakefile=Path(sys.argv[1]), workdir=Path.cwd())._workflow
    print(json.dumps([
        {"name": r.name, "log": [str(x) for x in r.log], "output": [str(x) for x in r.output],
         "benchmark": None if r.benchmark is None else str(r.benchmark),
         "resources": {k: "callable" if v.is_evaluable() else v.value
                       for k, v in r.resources.items() if k in ("mem_mb", "runtime")},
         "conda": r.conda_env, "file": r.snakefile}
        for r in workflow.rules
    ]))
"""


def strip_constraints(pattern: str) -> str:
    from mapreprod.benchmark_table import plain_pattern

    return plain_pattern(pattern)


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> list[dict]:
    work = tmp_path_factory.mktemp("parse")
    shutil.copytree(REPO / "config", work / "config")
    res = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "Snakefile")], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return [r for r in json.loads(res.stdout) if r["name"] != "all"]


def test_strip_constraints_keeps_names_and_literal_text():
    assert strip_constraints(r"logs/x/{a,\d{3}}_{b}.log") == "logs/x/{a}_{b}.log"


def test_every_rule_declares_mem_mb_runtime_log_conda_and_a_benchmark_beside_its_log(rules):
    assert len(rules) > 40
    problems = []
    for rule in rules:
        name = rule["name"]
        for key in ("mem_mb", "runtime"):
            value = rule["resources"].get(key)
            if value is None:
                problems.append(f"{name}: no resources {key}")
            elif value != "callable" and not (isinstance(value, int) and value > 0):
                problems.append(f"{name}: resources {key}={value!r} is not a positive integer")
        if not rule["conda"]:
            problems.append(f"{name}: no conda")
        if len(rule["log"]) != 1 or not re.fullmatch(r"logs/.+\.log", rule["log"][0]):
            problems.append(f"{name}: log {rule['log']} is not one logs/<...>.log")
            continue
        log = strip_constraints(rule["log"][0])
        if not rule["output"]:
            # a target without outputs: a benchmark file would become its output, and a
            # deleted table would no longer be made again (tests/own_data workflow test)
            if rule["benchmark"]:
                problems.append(f"{name}: output-less target with a benchmark file")
            continue
        expected = "logs/benchmarks/" + log[len("logs/"):-len(".log")] + ".tsv"
        got = rule["benchmark"] and strip_constraints(rule["benchmark"])
        if got != expected:
            problems.append(f"{name}: benchmark {got!r}, expected {expected!r} (its log's path)")
    assert not problems, "\n".join(problems)


def test_every_rule_declares_threads():
    # threads: default to 1 when absent, so the parsed rule cannot tell; the rule text can
    text = "\n".join(p.read_text() for p in sorted((REPO / "workflow/rules").glob("*.smk")))
    for block in re.split(r"\n(?=rule |checkpoint )", text):
        name = re.match(r"(?:rule|checkpoint) (\w+):", block)
        if name and name.group(1) != "all":
            assert "\n    threads:" in block, f"rule {name.group(1)} lacks threads:"


def test_every_rule_s_benchmark_files_are_named_after_that_rule(rules):
    from mapreprod.benchmark_table import match_rule

    specs = {r["name"]: {"pattern": strip_constraints(r["benchmark"]), "dataset": ""}
             for r in rules if r["benchmark"]}
    assert len({s["pattern"] for s in specs.values()}) == len(specs), "rules share a path"
    # each rule's path, wildcards filled by a placeholder, is given to that rule
    for name, spec in specs.items():
        example = re.sub(r"\{(\w+)\}", r"W\1", spec["pattern"])
        assert match_rule(example, specs)[0] == name, example


# ---------------------------------------------------------------------------------------------
# mapreprod.benchmark_table on hand-made benchmark files

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_benchmark(path: Path, wall: str, rss: str, load: str, cpu: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{wall}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t{load}\t{cpu}\n")


def test_the_most_specific_pattern_wins():
    from mapreprod.benchmark_table import match_rule

    rules = {"download": {"pattern": "d/{dataset}/{file}.tsv", "dataset": ""},
             "download_request": {"pattern": "d/{dataset}/{file}.request.tsv", "dataset": ""}}
    assert match_rule("d/x/a.csv.request.tsv", rules) == (
        "download_request", {"dataset": "x", "file": "a.csv"})
    assert match_rule("d/x/a.csv.tsv", rules) == ("download", {"dataset": "x", "file": "a.csv"})
    assert match_rule("e/x.tsv", rules) is None


def test_pattern_regex_honours_constraints_balanced_braces_and_repeats():
    from mapreprod.benchmark_table import pattern_regex

    regex = pattern_regex(r"logs/benchmarks/sim/recall_{figure,fig2|figS2}_{n,\d{2,3}}.tsv")
    assert regex.fullmatch("logs/benchmarks/sim/recall_figS2_500.tsv").groupdict() == {
        "figure": "figS2", "n": "500"}
    assert regex.fullmatch("logs/benchmarks/sim/recall_figS3_500.tsv") is None
    assert regex.fullmatch("logs/benchmarks/sim/recall_fig2_5000.tsv") is None
    twice = pattern_regex("logs/{a}/{a}.tsv")
    assert twice.fullmatch("logs/x/x.tsv") and not twice.fullmatch("logs/x/y.tsv")


def test_collect_names_rule_dataset_and_wildcards_and_keeps_the_run_s_parts(tmp_path):
    from mapreprod.benchmark_table import COLUMNS, collect

    root = tmp_path / "logs/benchmarks"
    write_benchmark(root / "nelisa/activity_nelisa.tsv", "12.5", "310.2", "80.1", "11.0")
    write_benchmark(root / "nelisa/activity_cellpainting.tsv", "20", "400", "90", "19.5")
    write_benchmark(root / "download/cpjump1/a.tsv.tsv", "1.5", "NA", "NA", "NA")
    write_benchmark(root / "download/nelisa/nelisa_profiles.parquet.tsv", "2", "50", "10", "0.2")
    write_benchmark(root / "mitocheck/ap_gene.tsv", "99", "900", "100", "98")  # not in the run
    write_benchmark(root / "nelisa/unknown_rule.tsv", "1", "1", "1", "1")  # no rule's pattern
    rules = {
        "nelisa_activity": {"pattern": "logs/benchmarks/nelisa/activity_{assay,cellpainting|nelisa}.tsv",
                            "dataset": "nelisa"},
        "download": {"pattern": "logs/benchmarks/download/{dataset}/{file}.tsv",
                     "dataset": "download"},
        "mitocheck_ap": {"pattern": "logs/benchmarks/mitocheck/ap_{grouping}.tsv",
                         "dataset": "mitocheck"},
    }
    table = collect(root, rules, ["nelisa", "cpjump1"], relative_to=tmp_path)
    assert list(table.columns) == list(COLUMNS)
    expected = pd.DataFrame([
        ["download", "cpjump1", "dataset=cpjump1;file=a.tsv", 1.5, float("nan"), float("nan"),
         float("nan"), "logs/benchmarks/download/cpjump1/a.tsv.tsv"],
        ["download", "nelisa", "dataset=nelisa;file=nelisa_profiles.parquet", 2.0, 0.2, 50.0,
         10.0, "logs/benchmarks/download/nelisa/nelisa_profiles.parquet.tsv"],
        ["nelisa_activity", "nelisa", "assay=cellpainting", 20.0, 19.5, 400.0, 90.0,
         "logs/benchmarks/nelisa/activity_cellpainting.tsv"],
        ["nelisa_activity", "nelisa", "assay=nelisa", 12.5, 11.0, 310.2, 80.1,
         "logs/benchmarks/nelisa/activity_nelisa.tsv"],
    ], columns=list(COLUMNS))
    pd.testing.assert_frame_equal(table, expected)
    # without a filter every matched file is kept, the unmatched one still left out
    assert sorted(collect(root, rules, None, relative_to=tmp_path)["rule"]) == [
        "download", "download", "mitocheck_ap", "nelisa_activity", "nelisa_activity"]


def test_collect_of_a_missing_folder_is_an_empty_table_and_a_foreign_file_is_refused(tmp_path):
    from mapreprod.benchmark_table import COLUMNS, collect, read_benchmark

    assert collect(tmp_path / "none", {}, None).columns.tolist() == list(COLUMNS)
    bad = tmp_path / "x.tsv"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="not a Snakemake benchmark file"):
        read_benchmark(bad)
