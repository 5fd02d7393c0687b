"""The conda environments (envs/*.yaml), proved sufficient without conda.

No conda channel is reachable here, so each environment is rebuilt as a Python virtual environment
from exactly its file's packages and pins (conda names translated to PyPI names by CONDA_TO_PIP),
plus this checkout's packages without their dependencies (`pip install --no-deps -e .`), and then:

1. every module that the rule scripts of that environment import is imported there, with
   `python -I` (nothing from outside the environment can be picked up);
2. the workflow runs (tiny simulations, every dataset that has a generated stand-in, nELISA from
   the shared data as a local mirror, the own-data example when it exists) with each rule's script
   executed by the Python of its own rule's environment, as `--sdm conda` would do, and no script
   may import a module from outside its environment other than Snakemake's own (which Snakemake's
   script preamble appends to sys.path, also under conda).

Which script uses which environment comes from the `conda:` and `script:` directives of
workflow/rules/*.smk. The fast checks (parsing, name translation, a static import closure) run by
default; the proofs build environments (pip, from the package index; a few minutes per
environment the first time, cached in $MAPREPROD_ENVPROOF_CACHE, default ~/.cache/mapreprod-envproof)
and run only when asked:

    python -m pytest -m envproof tests/workflow/test_env_proofs.py -s

(about 30 minutes on 2 busy cores with the environments cached; MAPREPROD_ENVPROOF_DATASETS=a,b
limits the workflow run to those datasets).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from workflow_utils import REPO, copy_repo

RULES_DIR = REPO / "workflow/rules"
PACKAGES_DIR = REPO / "workflow"  # mapeval/ and mapreprod/ live here
OWN_PACKAGES = {"mapeval", "mapreprod"}

# conda-forge name -> PyPI name, where they differ; None: not a Python package (nothing to install).
CONDA_TO_PIP: dict[str, str | None] = {
    "python": None,
    "pip": None,
    "pyyaml": "PyYAML",
    "matplotlib-base": "matplotlib",
    "pytables": "tables",
    "python-igraph": "igraph",
    "pytorch": "torch",
    "python-dateutil": "python-dateutil",
}


# ---------------------------------------------------------------------------------------------
# Parsing: rules, environments, imports


def rule_table() -> list[dict]:
    """One row per rule of workflow/rules/*.smk: rule, env (Path or None), script (Path or None)."""
    rows = []
    for smk in sorted(RULES_DIR.glob("*.smk")):
        text = smk.read_text()
        for block in re.split(r"\n(?=(?:rule|checkpoint) \w+:)", text):
            name = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if not name:
                continue
            conda = re.search(r'\n\s+conda:\s*\n?\s*"([^"]+)"', block)
            script = re.search(r'\n\s+script:\s*\n?\s*"([^"]+)"', block)
            rows.append({
                "rule": name.group(1),
                "smk": smk.name,
                "env": (smk.parent / conda.group(1)).resolve() if conda else None,
                "script": (smk.parent / script.group(1)).resolve() if script else None,
            })
    return rows


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def env_requirements(path: Path) -> tuple[str | None, list[str]]:
    """(python version, pip requirement lines) of one conda env file: its packages and pins."""
    env = yaml.safe_load(path.read_text())
    python, reqs = None, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for item in dep.get("pip", []):
                if not item.startswith("-"):  # pip options / editable paths are not packages
                    reqs.append(item.strip())
            continue
        spec = str(dep).split("::")[-1].strip()  # drop a channel prefix (conda-forge::numpy)
        m = re.match(r"([A-Za-z0-9_.\-]+)\s*(?:(==|=|>=|<=|>|<|!=)\s*([^\s]+))?$", spec)
        if not m:
            raise ValueError(f"{path.name}: cannot read the conda spec {dep!r}")
        name, op, version = m.groups()
        if name.lower() == "python":
            python = version
            continue
        pip_name = CONDA_TO_PIP.get(name.lower(), name)
        if pip_name is None:
            continue
        if op is None:
            reqs.append(pip_name)
        else:
            # conda's `=X.Y.Z` is "X.Y.Z or X.Y.Z.*": for the full versions pinned here that is ==
            reqs.append(f"{pip_name}{'==' if op in ('=', '==') else op}{version}")
    return python, reqs


def _module_file(module: str) -> Path | None:
    """The source file of one of this checkout's modules (package __init__ or module)."""
    base = PACKAGES_DIR.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): its body never runs."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(tree: ast.AST):
    """The nodes that run when a module is imported: everything but function bodies and
    ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if _type_checking_only(child):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _imports_of(path: Path, package: str | None) -> set[str]:
    """Absolute names of the modules a file imports when it is imported or run (module level;
    imports inside functions are left to the run in each environment), relative ones resolved."""
    names = set()
    for node in _module_level(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = (package or "").split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join(p for p in [*parent, node.module or ""] if p)
            else:
                base = node.module or ""
            names.add(base)
            # `from pkg import sub` may name a submodule
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n and n != "__future__"}


def third_party_imports(scripts: list[Path]) -> set[str]:
    """Top-level names of the modules outside the standard library that the scripts import,
    directly or through this checkout's packages (followed transitively, parents included)."""
    stdlib = set(sys.stdlib_module_names)
    seen, todo, found = set(), [], set()
    for script in scripts:
        todo += [(n, None) for n in _imports_of(script, None)]
    while todo:
        name, _ = todo.pop()
        top = name.split(".")[0]
        if top in OWN_PACKAGES:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                mod = ".".join(parts[:i])
                if mod in seen:
                    continue
                seen.add(mod)
                path = _module_file(mod)
                if path is not None:
                    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
                    todo += [(n, None) for n in _imports_of(path, pkg)]
        elif top not in stdlib:
            found.add(top)
    return found


def _requires(dist: str) -> set[str]:
    """Normalised names of a distribution's unconditional requirements (this interpreter's
    metadata); empty when it is not installed here."""
    try:
        reqs = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return set()
    out = set()
    for req in reqs:
        if "extra ==" in req:
            continue
        out.add(_normalise(re.match(r"[A-Za-z0-9_.\-]+", req).group(0)))
    return out


def dependency_closure(dists: set[str]) -> set[str]:
    closure, todo = set(), [_normalise(d) for d in dists]
    while todo:
        dist = todo.pop()
        if dist in closure:
            continue
        closure.add(dist)
        todo += list(_requires(dist) - closure)
    return closure


def envs_in_use() -> dict[Path, list[dict]]:
    """env file -> rules (with a script) that use it."""
    table = {}
    for row in rule_table():
        if row["env"] is not None and row["script"] is not None:
            table.setdefault(row["env"], []).append(row)
    return table


# ---------------------------------------------------------------------------------------------
# Fast checks (default run)


def test_every_rule_with_a_script_names_an_existing_env():
    rows = rule_table()
    assert rows
    for row in rows:
        if row["script"] is None:
            continue
        assert row["script"].is_file(), f"{row['smk']}: rule {row['rule']}: {row['script']} missing"
        assert row["env"] is not None, f"{row['smk']}: rule {row['rule']} has no conda: directive"
        assert row["env"].is_file(), f"{row['smk']}: rule {row['rule']}: {row['env']} missing"


def test_every_env_file_is_used_and_translates_to_pip():
    used = envs_in_use()
    for path in sorted((REPO / "envs").glob("*.yaml")):
        python, reqs = env_requirements(path)
        assert python and python.startswith("3."), f"{path.name}: no python pin"
        assert reqs, f"{path.name}: no packages"
        assert path.resolve() in used, f"{path.name} is used by no rule"


def test_each_env_provides_the_third_party_imports_of_its_scripts():
    """Static: every package the env's scripts import (through mapeval/mapreprod too) is listed in
    the env or required by a listed package (pip metadata of this interpreter)."""
    module_to_dists = metadata.packages_distributions()
    problems = []
    for env, rows in sorted(envs_in_use().items()):
        _, reqs = env_requirements(env)
        listed = {_normalise(re.match(r"[A-Za-z0-9_.\-]+", r).group(0)) for r in reqs}
        provided = dependency_closure(listed)
        for module in sorted(third_party_imports([r["script"] for r in rows])):
            dists = {_normalise(d) for d in module_to_dists.get(module, [module])}
            if not dists & provided:
                problems.append(f"{env.name}: `import {module}` ({'/'.join(sorted(dists))}) is "
                                "neither listed nor a dependency of a listed package")
    assert not problems, "\n".join(problems)


def test_own_packages_reach_conda_jobs_through_the_snakemake_path():
    """Snakemake appends the sys.path of the Python that runs it to every script's path (the
    preamble's sys.path.extend, also under --sdm conda); the workflow's own packages reach conda
    jobs that way, from the editable install of this checkout (checked by common.smk)."""
    import snakemake.script as sms

    source = Path(sms.__file__).read_text()
    assert "get_snakemake_searchpaths" in source and "sys.path.extend(" in source
    from snakemake.common import get_snakemake_searchpaths

    paths = [Path(p).resolve() for p in get_snakemake_searchpaths()]
    import mapreprod

    origin = Path(mapreprod.__file__).resolve().parent.parent
    assert origin in paths or any(origin.is_relative_to(p) for p in paths)


# ---------------------------------------------------------------------------------------------
# The proofs (python -m pytest -m envproof tests/workflow/test_env_proofs.py)

CACHE = Path(os.environ.get("MAPREPROD_ENVPROOF_CACHE", Path.home() / ".cache/mapreprod-envproof"))
SHARED_DATA = Path(os.environ.get("MAPEVAL_SHARED", REPO.parent / "shared")) / "data"

# Written into each proof environment: when ENVPROOF_REPORT is set, every Python process there
# appends (script, modules loaded from outside the environment and this checkout) to that file.
SITECUSTOMIZE = '''
import os
if os.environ.get("ENVPROOF_REPORT"):
    import atexit, json, sys, sysconfig

    def _envproof_report():
        inside = [sys.prefix, sysconfig.get_paths()["stdlib"], os.environ["ENVPROOF_CHECKOUT"]]
        inside = [os.path.realpath(p) for p in inside]
        outside = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and not any(os.path.realpath(path).startswith(p) for p in inside):
                outside[getattr(module, "__name__", "?").split(".")[0]] = path
        with open(os.environ["ENVPROOF_REPORT"], "a") as out:
            out.write(json.dumps({"argv": sys.argv, "python": sys.executable,
                                  "outside": outside}) + "\\n")

    atexit.register(_envproof_report)
'''

# Run with `python -I` inside a proof environment: import everything the given scripts import.
IMPORT_CHECK = r'''
import ast, importlib, json, os, sys
failures, checked = [], set()
for script in json.loads(sys.argv[1]):
    sys.path.append(os.path.dirname(script))  # Snakemake appends the script's folder too
    for node in ast.walk(ast.parse(open(script).read())):
        if isinstance(node, ast.Import):
            pairs = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            pairs = [(node.module, a.name) for a in node.names]
        else:
            continue
        for module, attr in pairs:
            key = (module, attr)
            if key in checked:
                continue
            checked.add(key)
            try:
                mod = importlib.import_module(module)
                if attr and attr != "*" and not hasattr(mod, attr):
                    importlib.import_module(f"{module}.{attr}")
            except Exception as e:
                failures.append(f"{os.path.basename(script)}: {module}{'.' + attr if attr else ''}: "
                                f"{type(e).__name__}: {e}")
inside = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)]
inside.append(os.path.realpath(os.environ["ENVPROOF_CHECKOUT"]))
outside = sorted({n.split(".")[0] for n, m in list(sys.modules.items())
                  if getattr(m, "__file__", None)
                  and not any(os.path.realpath(m.__file__).startswith(p) for p in inside)})
print(json.dumps({"failures": failures, "outside": outside, "checked": len(checked)}))
'''

# Snakemake, with each rule's Python script run by the Python of that rule's environment. The
# path Snakemake's script preamble appends (under conda: the whole sys.path of the Python running
# Snakemake) is cut down to Snakemake and its dependencies (a folder of links), so a script can
# find nothing there that its environment lacks; the workflow's own packages come from PYTHONPATH
# (the checkout under test), as the checkout's editable install provides them in a real run.
RUNNER = r'''
import json, os, subprocess, sys
import snakemake.script
from snakemake.script import PythonScript

PYTHONS = json.loads(os.environ["ENVPROOF_PYTHONS"])  # rule -> python executable
snakemake.script.get_snakemake_searchpaths = lambda: [os.environ["ENVPROOF_SHIM"]]


def execute_script(self, fname, edit=False):
    if self.rulename not in PYTHONS:
        raise RuntimeError(f"envproof: no environment for rule {self.rulename}")
    python = PYTHONS[self.rulename]
    # The preamble alone first: what it loads (unpickling the `snakemake` object) is allowed.
    preamble = open(fname).read().split("######## snakemake preamble end")[0]
    with open(fname + ".preamble.py", "w") as out:
        out.write(preamble)
    subprocess.run([python, fname + ".preamble.py"], check=True)
    self._execute_cmd("{py_exec} {fname:q}", py_exec=python, fname=fname, is_python_script=True)


PythonScript.execute_script = execute_script
from snakemake.cli import main

main(sys.argv[1:])
'''

TINY_SIMULATIONS = {
    "n_perts": 4,
    "n_permutations": 30,
    "map_null_size": 30,
    "seed": 7,
    "n_feats": [20, 40],
    "plates_controls": [{"plates": 2, "controls_per_plate": [2]}],
    "percent_differ": {"bin_exp": [10, 50], "linear": [10, 100], "calibration": [0, 50]},
}


def _base_python(version: str) -> str | None:
    """A Python interpreter of the env's version (major.minor), not a virtual environment's."""
    want = ".".join(version.split(".")[:2])
    candidates = [getattr(sys, "_base_executable", sys.executable), shutil.which(f"python{want}")]
    for exe in candidates:
        if not exe:
            continue
        out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == want:
            return exe
    return None


def build_env(env: Path) -> Path:
    """The proof virtual environment of one env file (built once per content; cached)."""
    python_version, reqs = env_requirements(env)
    base = _base_python(python_version or "3")
    if base is None:
        pytest.skip(f"{env.name} pins python={python_version}: no such interpreter here")
    key = hashlib.sha256(json.dumps([python_version, reqs]).encode()).hexdigest()[:12]
    prefix = CACHE / f"{env.stem}-{key}"
    python = prefix / "bin/python"
    if not (prefix / ".complete").exists():
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([base, "-m", "venv", str(prefix)], check=True)
        res = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              *reqs], capture_output=True, text=True)
        if res.returncode != 0:
            raise AssertionError(f"{env.name}: pip install {' '.join(reqs)} failed:\n{res.stderr[-3000:]}")
        (prefix / ".complete").write_text("\n".join(reqs) + "\n")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "sitecustomize.py").write_text(SITECUSTOMIZE)
    # This checkout's packages, without their dependencies (the env must provide those).
    res = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          "--no-deps", "-e", str(REPO)], capture_output=True, text=True)
    assert res.returncode == 0, f"{env.name}: pip install --no-deps -e . failed:\n{res.stderr[-3000:]}"
    return python


def _envproof_requested(config) -> bool:
    return "envproof" in (config.getoption("markexpr") or "") or os.environ.get("MAPREPROD_ENVPROOF") == "1"


@pytest.fixture(scope="module")
def proof_envs(request) -> dict[Path, Path]:
    if not _envproof_requested(request.config):
        pytest.skip("builds environments from the package index (minutes): "
                    "python -m pytest -m envproof tests/workflow/test_env_proofs.py")
    return {env: build_env(env) for env in sorted(envs_in_use())}


@pytest.mark.envproof
@pytest.mark.parametrize("env_name", sorted(p.name for p in envs_in_use()))
def test_every_import_of_the_env_scripts_works_inside_the_env_alone(proof_envs, env_name):
    env = REPO / "envs" / env_name
    python = proof_envs[env.resolve()]
    scripts = sorted({str(r["script"]) for r in envs_in_use()[env.resolve()]})
    res = subprocess.run([str(python), "-I", "-c", IMPORT_CHECK, json.dumps(scripts)],
                         capture_output=True, text=True, env=dict(os.environ, ENVPROOF_CHECKOUT=str(PACKAGES_DIR)))
    assert res.returncode == 0, res.stderr[-3000:]
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["checked"] > 0
    assert not result["failures"], f"{env_name}:\n" + "\n".join(result["failures"])
    assert not result["outside"], f"{env_name}: modules from outside the env: {result['outside']}"


def _proof_config(work: Path) -> tuple[dict, list[str]]:
    """A config that reaches as many rules as can run offline, and the datasets it runs."""
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    names = schema["properties"]["datasets"]["items"].get("enum", [])
    config: dict = {"simulations": TINY_SIMULATIONS, "datasets": []}
    manifest = (REPO / "config/manifest.tsv").read_text().splitlines()
    header = manifest[0].split("\t")
    files = {}
    for line in manifest[1:]:
        row = dict(zip(header, line.split("\t")))
        files.setdefault(row["dataset"], []).append(row["file"])
    # MAPREPROD_ENVPROOF_DATASETS=a,b limits the run to those datasets (plus the simulations)
    only = os.environ.get("MAPREPROD_ENVPROOF_DATASETS")
    if only is not None:
        names = [n for n in names if n in only.split(",")]
    for name in names:
        section_schema = REPO / f"workflow/schemas/{name}.schema.yaml"
        props = yaml.safe_load(section_schema.read_text()).get("properties", {}) if section_schema.exists() else {}
        if "synthetic" in props:
            config["datasets"].append(name)
            config[name] = {"synthetic": True}
        elif name == "nelisa" and (SHARED_DATA / "nelisa/nelisa_profiles.parquet").is_file():
            # the real nELISA file, fetched by `download` from ../shared/data as a local mirror
            config["datasets"].append(name)
            config["data"] = {"mirror": str(SHARED_DATA)}
            if "synthetic_cellpainting" in props:  # + the Cell Painting stand-in: Fig 4B/4D too
                config[name] = {"synthetic_cellpainting": True,
                                "assays": props["assays"]["items"]["enum"]}
    example = REPO / "config/examples/own_data.yaml"
    if example.is_file() and "own_data" in names:
        own = yaml.safe_load(example.read_text())
        for key, value in own.items():
            if key == "datasets":
                config["datasets"] += [d for d in value if d not in config["datasets"]]
            else:
                config[key] = value
    return config, config["datasets"]


def _top_level_modules(dist: str) -> set[str]:
    """Top-level importable names a distribution installs (packages, modules, extensions)."""
    try:
        files = metadata.files(dist) or []
    except metadata.PackageNotFoundError:
        return set()
    tops = set()
    for f in files:
        parts = Path(str(f)).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data", ".pth")):
            continue
        tops.add(parts[0].split(".")[0])
    return tops


def _link_modules(folder: Path, keep) -> Path:
    """Links in ``folder`` to the top-level modules of Snakemake and its dependencies (this
    interpreter's installation) whose name passes ``keep``."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist in sorted(dependency_closure({"snakemake"})):
        try:
            root = Path(metadata.distribution(dist).locate_file(""))
        except metadata.PackageNotFoundError:
            continue
        tops = _top_level_modules(dist)
        for entry in root.iterdir():
            name = entry.name.split(".")[0]
            if name in tops and keep(name) and not entry.name.endswith((".dist-info", ".pth")):
                link = folder / entry.name
                if not link.exists():
                    link.symlink_to(entry)
    return folder


# Snakemake's script preamble, without a pickled object: the modules it needs.
PREAMBLE = (
    "import sys, os; sys.path.append(os.environ['ENVPROOF_SHIM']); import pickle, snakemake, "
    "snakemake.io, snakemake.script; from snakemake.logging import logger; "
    "from snakemake.iocontainers import Snakemake"
)


def snakemake_shim(folder: Path, pythons) -> Path:
    """The folder the script preamble may append: only the modules that the preamble itself
    loads from Snakemake's installation in some proof environment (so an optional import of a
    package the environment lacks fails there, as it would without Snakemake's path)."""
    full = _link_modules(folder.with_name(folder.name + "_all"), lambda name: True)
    needed = set()
    for python in pythons:
        report = folder.with_name("preamble.jsonl")
        env = dict(os.environ, ENVPROOF_SHIM=str(full), ENVPROOF_REPORT=str(report),
                   ENVPROOF_CHECKOUT=str(PACKAGES_DIR))
        env.pop("PYTHONPATH", None)
        subprocess.run([str(python), "-c", PREAMBLE], env=env, check=True, capture_output=True)
        needed |= set(json.loads(report.read_text().splitlines()[-1])["outside"])
        report.unlink()
    return _link_modules(folder, lambda name: name in needed)


@pytest.mark.envproof
def test_the_workflow_runs_with_each_rule_in_its_own_env(proof_envs, tmp_path):
    work = copy_repo(tmp_path / "repo")
    config, datasets = _proof_config(work)
    (work / "proof.yaml").write_text(yaml.safe_dump(config))
    pythons = {r["rule"]: str(proof_envs[r["env"]]) for r in rule_table() if r["script"] and r["env"]}
    report = tmp_path / "imports.jsonl"
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    shim = snakemake_shim(tmp_path / "snakemake_only", sorted(set(proof_envs.values())))
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(work / "workflow"),
               ENVPROOF_PYTHONS=json.dumps(pythons), ENVPROOF_REPORT=str(report),
               ENVPROOF_CHECKOUT=str(work / "workflow"), ENVPROOF_SHIM=str(shim))
    res = subprocess.run([sys.executable, str(runner), "--cores", "2", "--configfile", "proof.yaml",
                          "--config", f"datasets={json.dumps(datasets)}"],
                         cwd=work, capture_output=True, text=True, env=env, timeout=3600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    # Which rules ran, and in which environment
    ran = set(re.findall(r"^rule (\w+):", res.stdout + res.stderr, flags=re.M))
    ran |= set(re.findall(r"^localrule (\w+):", res.stdout + res.stderr, flags=re.M))
    by_env: dict[str, list[str]] = {}
    for row in rule_table():
        if row["rule"] in ran and row["env"] is not None:
            by_env.setdefault(row["env"].name, []).append(row["rule"])
    print("rules run per environment:", json.dumps(by_env, indent=1))
    if os.environ.get("MAPREPROD_ENVPROOF_DATASETS") is None:
        for env_path in envs_in_use():
            assert by_env.get(env_path.name), f"no rule of {env_path.name} ran (datasets {datasets})"
    # No script may have used a module from outside its environment beyond what Snakemake's
    # preamble loads itself (it unpickles the `snakemake` object with Snakemake's own modules).
    entries = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    preambles = {e["argv"][0].removesuffix(".preamble.py"): set(e["outside"])
                 for e in entries if e["argv"][0].endswith(".preamble.py")}
    scripts = [e for e in entries if not e["argv"][0].endswith(".preamble.py")]
    assert scripts, "no script reported its imports"
    leaks = []
    for entry in scripts:
        extra = sorted(set(entry["outside"]) - preambles.get(entry["argv"][0], set()))
        if extra:
            leaks.append(f"{Path(entry['argv'][0]).name} ({entry['python']}): {extra}")
    assert not leaks, "modules from outside the environment:\n" + "\n".join(leaks)
