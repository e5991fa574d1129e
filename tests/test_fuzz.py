"""Property-based fuzzing of everything a user can hand the tool: cells, rows, the descriptor, report parameters.

The properties:
- `validate` either passes, or fails with exit 1 and only FILE:ROW:COLUMN lines; never a traceback,
  never the last-resort "unexpected failure" message (that would be a bug caught late);
- a package that passes validation can be analysed: every command exits 0 and --format json is strict JSON;
- a report parameter is either refused by name before any kernel starts, or the notebook runs.

`make test` runs the derandomized "ci" profile (fixed examples, bounded); `make fuzz` explores longer.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from baclofen_evidence import config, precheck
from baclofen_evidence.cli import main
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.report_parameters import check_parameters, declared_parameters
from tests.conftest import FIXTURES, copy_package

LINE = re.compile(r"^[^:\n]+:(\d+|-):[^:\n]*: \S.*$")
CSV_FILES = sorted(p.name for p in (FIXTURES / "minimal").glob("*.csv"))


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_refusal_or_pass(capsys, data: Path) -> bool:
    """validate's contract; returns whether the package passed."""
    code, out, err = run(capsys, "validate", "--data", str(data))
    assert "Traceback" not in err and "unexpected failure" not in err, err
    assert code in (0, 1)
    lines = out.splitlines()
    if code == 0:
        assert lines == []
        return True
    assert lines, "exit 1 must name at least one problem"
    bad = [line for line in lines if not LINE.match(line)]
    assert not bad, bad
    return False


def assert_analyses_run(capsys, data: Path) -> None:
    for argv in (["studies"], ["claims"], ["costs"], ["costs", "--currency", "EUR"],
                 ["meta", "--outcome", "abstinence"], ["meta", "--outcome", "pct_days_abstinent"]):
        code, out, err = run(capsys, *argv, "--data", str(data), "--format", "json")
        assert "Traceback" not in err and "unexpected failure" not in err, (argv, err)
        assert code == 0 or err.startswith(("error: ", "outcome: ")) or "problem(s)" in err, (argv, err)
        if code == 0:
            _strict_json(out)


# ---------------------------------------------------------------- cells and rows

def read_table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_table(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


CELL_VALUES = st.one_of(
    st.just(""), st.just(" "),
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e309", "-0", "0", "0.0", "-1", "1e-320", "1_000", "٣", "½",
                     "99999999999999999999", "2.5", "true", "null", "N/A", "52 weeks", "1,5", " 12", "12 ", "\t",
                     "0x10", "1e5", "+3", ".5", "5.", "２０１５"]),
    st.integers(min_value=-10**22, max_value=10**22).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
)


@st.composite
def cell_edits(draw):
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        edits.append((draw(st.sampled_from(CSV_FILES)), draw(st.integers(0, 40)), draw(st.integers(0, 40)), draw(CELL_VALUES)))
    return edits


@given(edits=cell_edits())
def test_fuzz_cells(capsys, edits):
    with tempfile.TemporaryDirectory() as tmp:
        data = copy_package(Path(tmp) / "data")
        for file, r, c, value in edits:
            rows = read_table(data / file)
            row = rows[1 + r % (len(rows) - 1)] if len(rows) > 1 else rows[0]
            row[c % len(row)] = value
            write_table(data / file, rows)
        if assert_clean_refusal_or_pass(capsys, data):
            assert_analyses_run(capsys, data)


ROW_ACTIONS = st.sampled_from(["duplicate", "delete", "truncate_row", "extend_row", "swap", "cut_bytes", "blank_row", "header_only"])


@given(file=st.sampled_from(CSV_FILES), action=ROW_ACTIONS, i=st.integers(0, 40), j=st.integers(0, 40))
def test_fuzz_rows(capsys, file, action, i, j):
    with tempfile.TemporaryDirectory() as tmp:
        data = copy_package(Path(tmp) / "data")
        path = data / file
        rows = read_table(path)
        body = rows[1:]
        k = i % len(body)
        if action == "duplicate":
            body.append(list(body[k]))
        elif action == "delete":
            del body[k]
        elif action == "truncate_row":
            body[k] = body[k][: j % len(body[k])]
        elif action == "extend_row":
            body[k] = body[k] + ["x"]
        elif action == "swap":
            body[k], body[j % len(body)] = body[j % len(body)], body[k]
        elif action == "blank_row":
            body.insert(k, [""] * len(rows[0]))
        elif action == "header_only":
            body = []
        write_table(path, [rows[0]] + body)
        if action == "cut_bytes":
            raw = path.read_bytes()
            path.write_bytes(raw[: (i * 37 + j) % len(raw)])
        if assert_clean_refusal_or_pass(capsys, data):
            assert_analyses_run(capsys, data)


# ---------------------------------------------------------------- the descriptor

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=10), st.sampled_from(["string", "integer", "number", "year", "..", "/etc/passwd", "(["])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6,
)
SHIPPED = json.loads((config.DATA_DIR / config.DATAPACKAGE).read_text(encoding="utf-8"))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(SHIPPED) if p]
# The places where a hand edit is most likely to hurt, drawn more often than descriptions and titles.
STRUCTURAL = [p for p in ALL_PATHS if any(k in p for k in ("schema", "resources", "constraints", "primaryKey", "foreignKeys",
                                                              "outcomeDefinitions", "emptyValuesNeedReason", "path", "type"))
              and "description" not in p and "title" not in p]


@given(where=st.sampled_from(STRUCTURAL), action=st.sampled_from(["replace", "delete"]), value=JSON_VALUES)
def test_fuzz_descriptor(capsys, where, action, value):
    descriptor = copy.deepcopy(SHIPPED)
    parent = descriptor
    for key in where[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    note(f"{action} {where} -> {value!r}")
    with tempfile.TemporaryDirectory() as tmp:
        data = copy_package(Path(tmp) / "data")
        (data / config.DATAPACKAGE).write_text(json.dumps(descriptor), encoding="utf-8")
        if assert_clean_refusal_or_pass(capsys, data):
            assert_analyses_run(capsys, data)


# ---------------------------------------------------------------- report parameters

NOTEBOOKS = sorted(p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
PATHS = set(precheck.PATH_PARAMETERS)


def _meaningful() -> list:
    from baclofen_evidence.datapackage import load

    ev = load(copy_package(Path(tempfile.mkdtemp()) / "data"))
    values = ["abstinence", "dropout", "pct_days_abstinent", "responder", "RR", "OR", "RD", "MD", "SMD", "FE", "MH", "DL", "REML",
              "PM", "placebo", "active", "all", "low", "high", "unknown", "EUR", "USD", "XYZ", "rct", ["rct"], ["alpha2001"],
              ["nosuch"], []]
    values += list(ev.studies["study_id"]) + list(ev.sources["source_id"]) + list(ev.costs["cost_id"])
    return values


MEANINGFUL = _meaningful()
PARAM_VALUES = st.one_of(
    st.sampled_from(MEANINGFUL), st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10), st.lists(st.text(max_size=6), max_size=3),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def run_notebook_in_process(notebook: Path, params: dict) -> None:
    """The notebook's own code cells, in order, in an IPython shell: what the kernel would run."""
    import sys

    from IPython.core.interactiveshell import InteractiveShell

    # The shell installs its own __main__, which multiprocessing (the batch renderer of later tests) cannot use.
    main_module = sys.modules["__main__"]
    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(params)
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            result = shell.run_cell(cell.source, store_history=False, silent=True)
            if result.error_in_exec is not None or result.error_before_exec is not None:
                raise result.error_in_exec or result.error_before_exec
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main_module


@pytest.fixture(scope="module")
def fuzz_package(tmp_path_factory):
    return copy_package(tmp_path_factory.mktemp("params") / "data")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
@settings(max_examples=max(4, settings().max_examples // 3))
@given(data=st.data())
def test_fuzz_report_parameters(fuzz_package, tmp_path_factory, notebook, data):
    import matplotlib.pyplot as plt

    from baclofen_evidence.datapackage import load

    path = config.NOTEBOOKS_DIR / notebook
    declared = declared_parameters(path)
    names = [n for n in declared if n not in PATHS]
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    given_params = {n: data.draw(PARAM_VALUES, label=n) for n in chosen}
    given_params["data_dir"] = str(fuzz_package)
    given_params["figures_dir"] = str(tmp_path_factory.mktemp("figs"))
    try:
        params = check_parameters(path, given_params)
        params = precheck.absolute_paths(params, Path.cwd())
        precheck.check_values(path, params, {str(fuzz_package): load(fuzz_package)})
    except ParameterError as exc:
        first = str(exc).split(":", 1)[0]
        assert first in declared, f"refused without naming a parameter: {exc}"
        return
    full = {n: params.get(n, d.default) for n, d in declared.items()}
    try:
        run_notebook_in_process(path, full)  # accepted by the pre-check: the notebook must run
    finally:
        plt.close("all")


def test_the_fuzz_helpers_can_fail(capsys, package):
    """The properties are not vacuous: a traceback or a malformed line would be caught."""
    from tests.conftest import set_cell

    set_cell(package / "studies.csv", {"study_id": "alpha2001"}, "design", "rtc")
    assert assert_clean_refusal_or_pass(capsys, package) is False
    assert not LINE.match("Traceback (most recent call last):")
    with pytest.raises(ValueError):
        _strict_json('{"a": NaN}')
    assert math.isnan(float("nan"))
