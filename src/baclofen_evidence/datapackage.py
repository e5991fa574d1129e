"""Load the data package in data/ into pandas, checked against its own datapackage.json.

datapackage.json (a Frictionless Table Schema) is the single source of truth for tables,
columns, types and constraints: nothing here names a column of a table. Checking runs in
three layers, each of which reports every problem it finds, never only the first:

1. structure: the descriptor parses, files exist, are UTF-8, parse as CSV, and their header
   matches the schema;
2. cells: types, then required/enum/minimum/maximum/pattern/unique and primary keys, with a
   pandera schema built from the descriptor;
3. relations: foreign keys from the descriptor, and the cross-table rules in rules.py.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2.
Every DataFrame returned keeps that number as its index (named ``row``), so any later check
can point at the offending line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from baclofen_evidence import config, rules
from baclofen_evidence import descriptor as descriptor_checks
# Re-exported: the analyses import these from here, the one module that loads a package.
from baclofen_evidence.descriptor import fields_of, foreign_keys, key_fields, primary_key, resource_by_name  # noqa: F401
from baclofen_evidence.evidence import Evidence
from baclofen_evidence.problems import DataError, Problem
from baclofen_evidence.problems import problem_order as _problem_order


HEADER_ROW = 1
FIRST_ROW = 2


# ---------------------------------------------------------------- descriptor


def read_descriptor(data_dir: Path) -> dict:
    path = Path(data_dir) / config.DATAPACKAGE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(config.DATAPACKAGE, None, None, f"missing: no {config.DATAPACKAGE} in {data_dir}")]) from None
    except OSError as exc:
        raise DataError([Problem(config.DATAPACKAGE, None, None, f"cannot be read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(config.DATAPACKAGE, None, None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")])
    try:
        descriptor = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(config.DATAPACKAGE, exc.lineno, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")])
    except ValueError as exc:  # NaN or Infinity, which Python's parser would otherwise accept
        raise DataError([Problem(config.DATAPACKAGE, None, None, f"not valid JSON: {exc}")])
    except RecursionError:
        raise DataError([Problem(config.DATAPACKAGE, None, None, "not usable JSON: nested too deeply")])
    problems = descriptor_checks.check(descriptor, descriptor_checks.needed_shape())
    if problems:
        raise DataError(problems)
    return descriptor


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value; write a number or null")


# ---------------------------------------------------------------- reading CSV


def read_csv_strings(path: Path, file: str, resource: dict) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse one CSV into a DataFrame of strings (None for empty cells), indexed by row number.

    Returns None as the frame when the file cannot be read as a table at all.
    """
    if not path.exists():
        return None, [Problem(file, None, None, f"missing data file (declared as resource '{resource['name']}' in {config.DATAPACKAGE})")]
    if not path.is_file():
        return None, [Problem(file, None, None, "not a file (a folder or a device); a resource path must name a CSV file")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file, None, None, f"cannot be read: {exc.strerror} (check the file's permissions)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(file, line, None, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; save the file as UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    row = 0
    while True:
        start_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return None, [Problem(file, row + 1, None, f"broken CSV quoting in the record starting on line {start_line}: {exc}")]
        row += 1
        records.append((row, values))
    if not records:
        return None, [Problem(file, HEADER_ROW, None, "empty file: no header row")]

    expected = [f["name"] for f in fields_of(resource)]
    header = records[0][1]
    problems = _check_header(file, header, expected)
    if any(name not in header for name in expected):
        # Without a declared column the table cannot be checked against the others: say so once, not per row.
        return None, problems
    body = [(r, v) for r, v in records[1:] if any(cell.strip() for cell in v)]
    if not body:
        problems.append(Problem(file, FIRST_ROW, None, "empty table: the header has no data rows under it"))
    usable = [name for name in header if name in expected]
    data: dict[str, list] = {name: [] for name in expected}
    index = []
    for rownum, values in body:
        if len(values) != len(header):
            problems.append(Problem(file, rownum, None, f"row has {len(values)} values but the header has {len(header)} columns"))
            continue
        index.append(rownum)
        cells = dict(zip(header, values))
        for name in expected:
            value = cells.get(name, "") if name in usable else ""
            data[name].append(value if value != "" else None)
    frame = pd.DataFrame(data, index=pd.Index(index, name="row"), dtype=object)
    return frame, problems


def _check_header(file: str, header: list[str], expected: list[str]) -> list[Problem]:
    problems = []
    seen = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, HEADER_ROW, name, "column appears twice in the header"))
        seen.add(name)
        if name not in expected:
            problems.append(Problem(file, HEADER_ROW, name or "(blank)", f"unknown column: not declared in {config.DATAPACKAGE}"))
    for name in expected:
        if name not in header:
            problems.append(Problem(file, HEADER_ROW, name, "required column is missing from the header"))
    if not problems and header != expected:
        problems.append(Problem(file, HEADER_ROW, None, f"columns are out of order; {config.DATAPACKAGE} declares: {', '.join(expected)}"))
    return problems


# ---------------------------------------------------------------- types

_INTEGER = re.compile(r"^[+-]?[0-9]+\Z")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # pandas' nullable integers hold no more
_YEAR = re.compile(r"^[0-9]{4}\Z")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}

PANDAS_DTYPE = {"integer": "Int64", "year": "Int64", "number": "float64", "boolean": "boolean", "string": "str"}


def _parse(value: str, type_: str) -> Any:
    """Return the typed value, or raise ValueError with a message for the user."""
    if type_ == "string":
        if value != value.strip():
            raise ValueError(f"{value!r} has spaces at its start or end")
        return value
    if type_ in ("integer", "year"):
        pattern, what = (_INTEGER, "an integer") if type_ == "integer" else (_YEAR, "a four-digit year")
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        number = int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError(f"{value!r} is too large for an integer column")
        return number
    if type_ == "number":
        # float() alone would also take " 12", "1_000" and non-ASCII digits, which no other CSV reader does.
        if not _NUMBER.match(value):
            if value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
                raise ValueError(f"{value!r} is not a finite number")
            raise ValueError(f"{value!r} is not a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if type_ == "boolean":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"{value!r} is not true or false")
    raise ValueError(f"type {type_!r} is not supported by this loader")


def cast_types(frame: pd.DataFrame, file: str, resource: dict) -> tuple[pd.DataFrame, list[Problem]]:
    problems = []
    columns = {}
    for f in fields_of(resource):
        name, type_ = f["name"], f.get("type", "string")
        values = []
        for rownum, value in frame[name].items():
            if value is None:
                values.append(None)
                continue
            try:
                values.append(_parse(value, type_))
            except ValueError as exc:
                problems.append(Problem(file, int(rownum), name, f"{exc} (type {type_} in {config.DATAPACKAGE})"))
                values.append(None)
        columns[name] = pd.array(values, dtype=PANDAS_DTYPE.get(type_, "object"))
    return pd.DataFrame(columns, index=frame.index), problems


# ---------------------------------------------------------------- constraints (pandera)


def pandera_schema(resource: dict) -> pa.DataFrameSchema:
    """A pandera schema equivalent to the resource's Table Schema constraints."""
    columns = {}
    for f in fields_of(resource):
        c = f.get("constraints", {})
        checks = []
        if "enum" in c:
            checks.append(pa.Check.isin(c["enum"], error=f"is not one of: {', '.join(map(str, c['enum']))}"))
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"], error=f"is below the minimum {c['minimum']}"))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"], error=f"is above the maximum {c['maximum']}"))
        if "pattern" in c:
            # Table Schema patterns match the whole value.
            checks.append(pa.Check.str_matches(rf"(?:{c['pattern']})\Z", error=f"does not match the pattern {c['pattern']}"))
        if "minLength" in c:
            checks.append(pa.Check.str_length(min_value=c["minLength"], error=f"is shorter than {c['minLength']} characters"))
        columns[f["name"]] = pa.Column(
            checks=checks,
            nullable=not c.get("required", False),
            unique=bool(c.get("unique", False)),
            report_duplicates="all",
        )
    pk = primary_key(resource)
    return pa.DataFrameSchema(columns, unique=pk or None, report_duplicates="all", name=resource["name"])


def check_constraints(frame: pd.DataFrame, file: str, resource: dict, bad_cells: set[tuple[int, str]]) -> list[Problem]:
    try:
        pandera_schema(resource).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _problems_from_pandera(exc.failure_cases, file, resource, bad_cells)
    return []


def _problems_from_pandera(cases: pd.DataFrame, file: str, resource: dict, bad_cells: set[tuple[int, str]]) -> list[Problem]:
    pk = primary_key(resource)
    problems = []
    for case in cases.itertuples(index=False):
        row = None if pd.isna(case.index) else int(case.index)
        column, check, value = case.column, str(case.check), case.failure_case
        value = value.item() if hasattr(value, "item") else value  # 0, not np.int64(0), in the message
        if check == "not_nullable":
            if (row, column) in bad_cells:  # already reported as a type error
                continue
            message = "required value is empty"
        elif check in ("multiple_fields_uniqueness", "field_uniqueness"):
            key = "+".join(pk) if check == "multiple_fields_uniqueness" else column
            column = pk[0] if check == "multiple_fields_uniqueness" else column
            message = f"duplicate key: {value!r} appears more than once in {key} (the primary key must be unique)"
        else:
            message = f"{value!r} {check}"
        problems.append(Problem(file, row, column, message))
    return problems


# ---------------------------------------------------------------- foreign keys


def check_foreign_keys(tables: dict[str, pd.DataFrame], descriptor: dict) -> list[Problem]:
    problems = []
    for res in descriptor["resources"]:
        frame = tables.get(res["name"])
        for fk in foreign_keys(res):
            target_name = fk["reference"].get("resource") or res["name"]
            target = tables.get(target_name)
            if frame is None or target is None:
                continue
            src, dst = key_fields(fk["fields"]), key_fields(fk["reference"]["fields"])
            known = set(map(tuple, target[dst].dropna().astype(str).itertuples(index=False, name=None)))
            for rownum, values in frame[src].iterrows():
                if values.isna().any():
                    continue
                key = tuple(str(v) for v in values)
                if key not in known:
                    problems.append(Problem(
                        res["path"], int(rownum), src[0],
                        f"{'|'.join(key)!r} points at nothing: no such {'+'.join(dst)} in {resource_by_name(descriptor, target_name)['path']}",
                    ))
    return problems


# ---------------------------------------------------------------- the whole package


def read_package(data_dir: Path | str | None = None) -> tuple[Evidence, list[Problem]]:
    """Read and check everything; return what could be loaded and every problem found."""
    data_dir = Path(data_dir) if data_dir is not None else config.DATA_DIR
    descriptor = read_descriptor(data_dir)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for res in descriptor["resources"]:
        file = res["path"]
        if not descriptor_checks.inside_package(data_dir, file):
            problems.append(Problem(file, None, None, "refused without reading it: the path leads outside the package (a link?)"))
            continue
        strings, found = read_csv_strings(data_dir / file, file, res)
        problems += found
        if strings is None:
            continue
        typed, type_problems = cast_types(strings, file, res)
        problems += type_problems
        bad_cells = {(p.row, p.column) for p in type_problems}
        problems += check_constraints(typed, file, res, bad_cells)
        tables[res["name"]] = typed
    problems += check_foreign_keys(tables, descriptor)
    # A resource beyond those the analysis reads is checked above but has no attribute to land in.
    evidence = Evidence(descriptor=descriptor, data_dir=data_dir,
                        **{name: frame for name, frame in tables.items() if name in Evidence.table_names()})
    problems += rules.check_all(evidence)
    return evidence, sorted(set(problems), key=_problem_order)


def load(data_dir: Path | str | None = None) -> Evidence:
    """The validated package; raises DataError listing every problem if there is any."""
    evidence, problems = read_package(data_dir)
    if problems:
        raise DataError(problems)
    return evidence


def validate(data_dir: Path | str | None = None) -> list[Problem]:
    try:
        return read_package(data_dir)[1]
    except DataError as exc:
        return exc.problems
