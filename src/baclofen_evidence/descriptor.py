"""Checking datapackage.json itself, before any table is read by it.

A descriptor is hand-edited JSON that people download, so it is input like any CSV: every
problem is reported as ``datapackage.json:-:WHERE: what is wrong`` (WHERE a path such as
``resources[studies].schema.fields[n_randomized].constraints.minimum``), and a descriptor with
problems stops loading before any CSV is opened, so a broken schema never produces a false
cascade of errors about the data.

Two layers:

1. the shape this loader reads by, checked here field by field so each message names its place
   (Frictionless stops at its first error and does not say where);
2. Frictionless's own descriptor validation, which also refuses resource paths that are
   absolute or leave the package; paths are additionally checked here, because this loader
   reads the files itself and so would bypass Frictionless's check otherwise.

What "the code needs" is read from the project's own data/datapackage.json: the analysis is
written against that package, so another package must declare the same resources and fields
with the same types (constraints, descriptions and extra fields may differ).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

from baclofen_evidence import config
from baclofen_evidence.problems import Problem

WHERE = config.DATAPACKAGE
SUPPORTED_TYPES = ("string", "integer", "number", "year", "boolean")
NUMERIC_TYPES = ("integer", "number", "year")
BOOLEAN_CONSTRAINTS = ("required", "unique")
KNOWN_CONSTRAINTS = ("required", "unique", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength")
OUTCOME_KINDS = ("binary", "continuous", "time_to_event")
OUTCOME_BETTER = ("higher", "lower", "later")


def _problem(where: str, message: str) -> Problem:
    return Problem(WHERE, None, where, message)


# ---------------------------------------------------------------- reading a checked descriptor


def resource_by_name(descriptor: dict, name: str) -> dict:
    for res in descriptor["resources"]:
        if res["name"] == name:
            return res
    raise KeyError(f"no resource {name!r} in {config.DATAPACKAGE}")


def fields_of(resource: dict) -> list[dict]:
    return resource["schema"]["fields"]


def primary_key(resource: dict) -> list[str]:
    pk = resource["schema"].get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(resource: dict) -> list[dict]:
    return resource["schema"].get("foreignKeys", [])


def key_fields(value: str | list[str]) -> list[str]:
    """Table Schema allows a single field name where a list of names is expected."""
    return [value] if isinstance(value, str) else list(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _names(value: Any) -> list[str] | None:
    """A Table Schema field list: a string or a list of strings (both are allowed by the spec)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _label(items: Any, i: int, key: str = "name") -> str:
    item = items[i]
    name = item.get(key) if isinstance(item, dict) else None
    return f"[{name}]" if isinstance(name, str) and name else f"[{i}]"


# ---------------------------------------------------------------- paths


def unsafe_path(path: str) -> str | None:
    """Why a resource path may not be read, or None when it is a plain relative path inside the package."""
    from frictionless import helpers

    if "\x00" in path:
        return "contains a NUL character"
    if urlparse(path).scheme:
        return "is a URL; this package reads only files inside its own folder"
    if not helpers.is_safe_path(path) or Path(path).is_absolute():
        return "is absolute or leaves the package folder; resource paths must be relative and stay inside it"
    if ".." in Path(path).parts or "\\" in path:
        return "leaves the package folder ('..'); resource paths must stay inside it"
    return None


def inside_package(data_dir: Path, path: str) -> bool:
    """The file a relative path names, symlinks followed, is inside the package folder."""
    root = Path(data_dir).resolve()
    target = (root / path).resolve()
    return target == root or root in target.parents


# ---------------------------------------------------------------- structure


def check(descriptor: Any, needed: dict | None = None) -> list:
    """Every problem of the descriptor's structure; an empty list when tables can be read by it."""
    problems = list(_check_structure(descriptor))
    if problems:
        return problems
    if needed is not None:
        problems += _check_needed(descriptor, needed)
    if not problems:
        problems += _check_with_frictionless(descriptor)
    return problems


def _check_structure(d: Any) -> Iterator:
    if not isinstance(d, dict):
        yield _problem("-", f"the descriptor must be a JSON object, not {type(d).__name__}")
        return
    # Every page's footer names the version of the data it was rendered from (page_identity.py).
    version = d.get("version")
    if version is not None and not (isinstance(version, str) and re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+-]*", version)):
        yield _problem("version", f"must be a version string such as \"2.0.0\", not {_json(version)}")
    resources = d.get("resources")
    if not isinstance(resources, list):
        yield _problem("resources", "the descriptor needs a 'resources' list")
        return
    if not resources:
        yield _problem("resources", "the 'resources' list is empty: there is nothing to read")
        return
    names: dict[str, int] = {}
    for i, res in enumerate(resources):
        where = f"resources{_label(resources, i)}"
        if not isinstance(res, dict):
            yield _problem(where, f"a resource must be an object, not {type(res).__name__}")
            continue
        name = res.get("name")
        if not isinstance(name, str) or not name:
            yield _problem(f"{where}.name", "each resource needs a name (a non-empty string)")
        elif name in names:
            yield _problem(f"{where}.name", f"resource name {name!r} appears twice")
        else:
            names[name] = i
        path = res.get("path")
        if not isinstance(path, str) or not path:
            yield _problem(f"{where}.path", "each resource needs a path (a string naming a CSV file in the package)")
        else:
            why = unsafe_path(path)
            if why:
                yield _problem(f"{where}.path", f"refused without reading it: the path {why}")
        yield from _check_schema(res.get("schema"), f"{where}.schema")
        if res.get("name") == "outcomes" and "outcomeDefinitions" in res:
            yield from _check_outcome_definitions(res["outcomeDefinitions"], f"{where}.outcomeDefinitions")
        if "emptyValuesNeedReason" in res:
            yield from _check_field_list(res, "emptyValuesNeedReason", f"{where}.emptyValuesNeedReason")
    # Keys refer across resources, so they are checked once every resource's own shape is known good.
    for i, res in enumerate(resources):
        if isinstance(res, dict) and isinstance(res.get("schema"), dict):
            yield from _check_keys(res, resources, f"resources{_label(resources, i)}.schema")


def _check_schema(schema: Any, where: str) -> Iterator:
    if not isinstance(schema, dict):
        yield _problem(where, f"the schema must be an object, not {_json_kind(schema)}")
        return
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        yield _problem(f"{where}.fields", "the schema needs a non-empty 'fields' list")
        return
    seen = set()
    for j, f in enumerate(fields):
        fwhere = f"{where}.fields{_label(fields, j)}"
        if not isinstance(f, dict):
            yield _problem(fwhere, f"a field must be an object, not {_json_kind(f)}")
            continue
        name = f.get("name")
        if not isinstance(name, str) or not name:
            yield _problem(f"{fwhere}.name", "each field needs a name (a non-empty string)")
            continue
        if name in seen:
            yield _problem(f"{fwhere}.name", f"field name {name!r} appears twice")
        seen.add(name)
        type_ = f.get("type", "string")
        if type_ not in SUPPORTED_TYPES:
            yield _problem(f"{fwhere}.type", f"type {type_!r} is not supported; use one of: {', '.join(SUPPORTED_TYPES)}")
            continue
        yield from _check_constraints(f.get("constraints", {}), type_, f"{fwhere}.constraints")


def _check_constraints(c: Any, type_: str, where: str) -> Iterator:
    if not isinstance(c, dict):
        yield _problem(where, f"constraints must be an object, not {_json_kind(c)}")
        return
    for key, value in c.items():
        at = f"{where}.{key}"
        if key not in KNOWN_CONSTRAINTS:
            yield _problem(at, f"unknown constraint; known: {', '.join(KNOWN_CONSTRAINTS)}")
        elif key in BOOLEAN_CONSTRAINTS and not isinstance(value, bool):
            yield _problem(at, f"must be true or false, not {_json(value)}")
        elif key in ("minimum", "maximum"):
            if type_ not in NUMERIC_TYPES:
                yield _problem(at, f"a {type_} field cannot have a {key}")
            elif not _is_number(value):
                yield _problem(at, f"must be a finite number, not {_json(value)}")
            elif type_ in ("integer", "year") and value != int(value):
                yield _problem(at, f"an {type_} field needs a whole-number {key}, not {_json(value)}")
        elif key in ("minLength", "maxLength"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                yield _problem(at, f"must be a whole number of at least 0, not {_json(value)}")
            elif type_ != "string":
                yield _problem(at, f"a {type_} field cannot have a {key}")
        elif key == "pattern":
            if not isinstance(value, str):
                yield _problem(at, f"must be a regular expression (a string), not {_json(value)}")
            elif type_ != "string":
                yield _problem(at, f"a {type_} field cannot have a pattern")
            else:
                try:
                    re.compile(value)
                except (re.error, RecursionError, OverflowError) as exc:
                    yield _problem(at, f"not a valid regular expression: {exc}")
        elif key == "enum":
            if not isinstance(value, list) or not value:
                yield _problem(at, f"must be a non-empty list, not {_json(value)}")
            elif type_ == "string" and not all(isinstance(v, str) for v in value):
                yield _problem(at, "a string field's enum must list strings")
            elif type_ in NUMERIC_TYPES and not all(_is_number(v) for v in value):
                yield _problem(at, f"a {type_} field's enum must list finite numbers")
            elif type_ == "boolean" and not all(isinstance(v, bool) for v in value):
                yield _problem(at, "a boolean field's enum must list true or false")
    lo, hi = c.get("minimum"), c.get("maximum")
    if _is_number(lo) and _is_number(hi) and lo > hi and type_ in NUMERIC_TYPES:
        yield _problem(f"{where}.minimum", f"minimum {_json(lo)} is above maximum {_json(hi)}")


def _field_names(res: dict) -> set[str]:
    fields = res.get("schema", {}).get("fields", []) if isinstance(res.get("schema"), dict) else []
    return {f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)} if isinstance(fields, list) else set()


def _check_keys(res: dict, resources: list, where: str) -> Iterator:
    schema = res["schema"]
    own = _field_names(res)
    if "primaryKey" in schema:
        pk = _names(schema["primaryKey"])
        if pk is None:
            yield _problem(f"{where}.primaryKey", f"must be a field name or a list of field names, not {_json(schema['primaryKey'])}")
        else:
            for name in pk:
                if name not in own:
                    yield _problem(f"{where}.primaryKey", f"names {name!r}, which is not a field of this resource")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        yield _problem(f"{where}.foreignKeys", f"must be a list, not {_json_kind(fks)}")
        return
    by_name = {r["name"]: r for r in resources if isinstance(r, dict) and isinstance(r.get("name"), str)}
    for k, fk in enumerate(fks):
        at = f"{where}.foreignKeys[{k}]"
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            yield _problem(at, "a foreign key needs 'fields' and a 'reference' object")
            continue
        src, ref = _names(fk.get("fields")), fk["reference"]
        if src is None:
            yield _problem(f"{at}.fields", f"must be a field name or a list of field names, not {_json(fk.get('fields'))}")
            continue
        for name in src:
            if name not in own:
                yield _problem(f"{at}.fields", f"names {name!r}, which is not a field of this resource")
        target_name = ref.get("resource", "")
        if not isinstance(target_name, str):
            yield _problem(f"{at}.reference.resource", f"must be a resource name, not {_json(target_name)}")
            continue
        target = res if target_name == "" else by_name.get(target_name)
        if target is None:
            yield _problem(f"{at}.reference.resource", f"names {target_name!r}, which is not a resource of this package")
            continue
        dst = _names(ref.get("fields"))
        if dst is None:
            yield _problem(f"{at}.reference.fields", f"must be a field name or a list of field names, not {_json(ref.get('fields'))}")
            continue
        if len(dst) != len(src):
            yield _problem(f"{at}.reference.fields", f"{len(src)} field(s) point at {len(dst)} field(s); the numbers must match")
        targets = _field_names(target)
        for name in dst:
            if name not in targets:
                yield _problem(f"{at}.reference.fields", f"names {name!r}, which is not a field of resource {target.get('name')!r}")


def _check_field_list(res: dict, key: str, where: str) -> Iterator:
    names = res[key]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        yield _problem(where, f"must be a list of field names, not {_json(names)}")
        return
    own = _field_names(res)
    for name in names:
        if name not in own:
            yield _problem(where, f"names {name!r}, which is not a field of this resource")


def _check_outcome_definitions(defs: Any, where: str) -> Iterator:
    if not isinstance(defs, dict) or not defs:
        yield _problem(where, f"must be an object mapping each outcome id to its definition, not {_json(defs)}")
        return
    for outcome, d in defs.items():
        at = f"{where}.{outcome}"
        if not isinstance(d, dict):
            yield _problem(at, f"must be an object with kind, better and label, not {_json(d)}")
            continue
        if d.get("kind") not in OUTCOME_KINDS:
            yield _problem(f"{at}.kind", f"must be one of {', '.join(OUTCOME_KINDS)}, not {_json(d.get('kind'))}")
        if d.get("better") not in OUTCOME_BETTER:
            yield _problem(f"{at}.better", f"must be one of {', '.join(OUTCOME_BETTER)}, not {_json(d.get('better'))}")
        if not isinstance(d.get("label"), str) or not d["label"].strip():
            yield _problem(f"{at}.label", f"must be a non-empty string, not {_json(d.get('label'))}")
        if "unit" in d and not isinstance(d["unit"], str):
            yield _problem(f"{at}.unit", f"must be a string, not {_json(d['unit'])}")
        if "maximum" in d and not _is_number(d["maximum"]):
            yield _problem(f"{at}.maximum", f"must be a finite number, not {_json(d['maximum'])}")


# ---------------------------------------------------------------- what the code needs


def needed_shape(reference: Path = config.DATA_DIR / config.DATAPACKAGE) -> dict | None:
    """Resource -> {field: type} of the project's own descriptor, which the analysis code is written against."""
    try:
        shipped = json.loads(Path(reference).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the shipped descriptor's own problems are reported when it is the one being read
    if list(_check_structure(shipped)):
        return None
    needed = {res["name"]: {f["name"]: f.get("type", "string") for f in res["schema"]["fields"]} for res in shipped["resources"]}
    outcomes = next((r for r in shipped["resources"] if r["name"] == "outcomes"), {})
    needed["__custom__"] = {"outcomes": ["outcomeDefinitions"]} if "outcomeDefinitions" in outcomes else {}
    return needed


def _check_needed(d: dict, needed: dict) -> Iterator:
    have = {r["name"]: r for r in d["resources"]}
    custom = needed.get("__custom__", {})
    for name, fields in needed.items():
        if name == "__custom__":
            continue
        if name not in have:
            yield _problem("resources", f"no resource {name!r}: the analysis needs it (as in the project's own {WHERE})")
            continue
        declared = {f["name"]: f.get("type", "string") for f in have[name]["schema"]["fields"]}
        where = f"resources[{name}].schema.fields"
        for field, type_ in fields.items():
            if field not in declared:
                yield _problem(where, f"no field {field!r}: the analysis reads it (a {type_})")
            elif declared[field] != type_:
                yield _problem(f"{where}[{field}].type", f"the analysis reads {field} as {type_}, not {declared[field]}")
    for name, keys in custom.items():
        for key in keys:
            if name in have and key not in have[name]:
                yield _problem(f"resources[{name}].{key}", "missing: the analysis needs it (as in the project's own datapackage.json)")


def _check_with_frictionless(d: dict) -> list:
    from frictionless import Package

    try:
        report = Package.validate_descriptor(d)
    except Exception as exc:  # Frictionless raising instead of reporting is still a descriptor problem
        return [_problem("-", f"Frictionless cannot read the descriptor: {exc}")]
    return [_problem("-", f"Frictionless: {e.note or e.message}") for e in report.errors]


# ---------------------------------------------------------------- message helpers


def _json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)
