"""Validation of the workflow config against its JSON schema (workflow/schemas/).

The schema is split per section (``$ref: <section>.schema.yaml``); this module joins it, fills in
every default (also inside referenced sections, which Snakemake's ``validate`` does not do),
accepts numbers and booleans given as strings on the command line (``--config
'simulations={n_perts: 5}'`` reaches the config as the string ``'5'``), and reports every bad key
with its dotted path, the value, what is allowed and the key's description.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators


def load_schema(path: str | Path) -> dict:
    """The schema at ``path`` with every relative ``$ref: file.yaml`` replaced by that file's
    content (sibling keys such as ``default`` or ``description`` are kept)."""
    path = Path(path)
    schema = yaml.safe_load(path.read_text())
    return _inline(schema, path.parent, seen=(path.resolve(),))


def _inline(node: Any, base: Path, seen: tuple[Path, ...]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            target = (base / ref).resolve()
            if target in seen:
                raise ValueError(f"schema $ref cycle through {target}")
            sub = yaml.safe_load(target.read_text())
            sub = _inline(sub, target.parent, seen + (target,))
            sub.pop("$schema", None)
            rest = {k: _inline(v, base, seen) for k, v in node.items() if k != "$ref"}
            return {**sub, **rest}
        return {k: _inline(v, base, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, base, seen) for v in node]
    return node


def _with_defaults(cls):
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_DefaultValidator = _with_defaults(Draft202012Validator)


def _types(schema: Mapping) -> set[str]:
    t = schema.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)


def _coerce(value: Any, schema: Mapping) -> Any:
    """Strings that YAML reads as the number/boolean/null the schema wants (command-line
    values); containers are walked along ``properties`` / ``items`` / ``additionalProperties``."""
    types = _types(schema)
    if isinstance(value, str) and types & {"integer", "number", "boolean", "null"} and "string" not in types:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        ok = (
            ("integer" in types and isinstance(parsed, int) and not isinstance(parsed, bool))
            or ("number" in types and isinstance(parsed, (int, float)) and not isinstance(parsed, bool))
            or ("boolean" in types and isinstance(parsed, bool))
            or ("null" in types and parsed is None)
        )
        return parsed if ok else value
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key in list(value):
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if isinstance(sub, dict):
                value[key] = _coerce(value[key], sub)
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_coerce(v, schema["items"]) for v in value]
    return value


def _non_finite(value: Any, path: str = "") -> list[str]:
    """Dotted paths of NaN or infinite numbers (JSON schema's ``number`` accepts them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "<root>"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}[{i}]")]
    return []


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


#: Keys that were renamed (dotted path of the old key -> what to write instead); a config that
#: still sets one gets this message rather than the generic unknown-key one.
RENAMED_KEYS = {
    "map.map_null": (
        "map.test (shared | independent | exact | permutation): map_null: shared -> test: "
        "shared, map_null: independent -> test: independent (docs/methods.md §1.9)"
    ),
}


def _describe(error) -> str:
    key = _dotted(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        where = f"under '{key}'" if key != "<root>" else "at the top level"
        dotted = {name: f"{key}.{name}" if key != "<root>" else name for name in extra}
        renamed = [f"config key '{dotted[n]}' was renamed: use {RENAMED_KEYS[dotted[n]]}"
                   for n in extra if dotted[n] in RENAMED_KEYS]
        unknown = [n for n in extra if dotted[n] not in RENAMED_KEYS]
        if unknown:
            renamed.append(f"unknown config key(s) {unknown} {where}; allowed: {allowed}")
        return "; ".join(renamed)
    msg = f"config key '{key}': {error.message}"
    if "enum" in schema:
        msg += f" (allowed: {schema['enum']})"
    desc = " ".join(str(schema.get("description", "")).split())
    if desc:
        msg += f" -- {desc}"
    return msg


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Validate ``config`` in place (defaults filled in) against the schema at ``schema_path``.

    Raises ValueError listing every bad key (dotted path, value, allowed values, description).
    """
    schema = load_schema(schema_path)
    _coerce(config, schema)
    errors = sorted(
        _DefaultValidator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
    )
    problems = [_describe(e) for e in errors]
    reported = {_dotted(e.absolute_path) for e in errors}
    problems += [
        f"config key '{p}': NaN or infinity is not allowed (give a finite number)"
        for p in _non_finite(config)
        if p not in reported
    ]
    if problems:
        raise ValueError(
            f"invalid config ({len(problems)} problem(s); schema {schema_path}):\n  - "
            + "\n  - ".join(problems)
        )
    return config


def load_config_file(path: str | Path) -> dict:
    """Read one YAML config file; a syntax error names the file, line and column.

    (Snakemake's own loader says only "Config file is not valid JSON or YAML": run
    ``python -m mapreprod.config FILE`` to see where.)"""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ValueError(f"config file {path} not found") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        detail = f"{problem} ({context})" if context else problem
        raise ValueError(f"{where}: YAML syntax error: {detail}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config file must map keys to values at the top level")
    return data


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def check_config_files(
    paths: list[str | Path], default: str | Path, schema_path: str | Path
) -> dict:
    """The config a run with ``--configfile paths...`` would get (each file merged over the
    default, as Snakemake does), validated; raises ValueError naming the file, line or key."""
    config = load_config_file(default)
    for path in paths:
        config = _merge(config, load_config_file(path))
    return validate_config(config, schema_path)


if __name__ == "__main__":  # python -m mapreprod.config [FILE ...]: check config files
    import sys

    root = Path.cwd()
    try:
        check_config_files(
            sys.argv[1:], root / "config/config.yaml", root / "workflow/schemas/config.schema.yaml"
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    print("config OK: " + ", ".join(["config/config.yaml", *sys.argv[1:]]))
