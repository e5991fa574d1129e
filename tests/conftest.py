"""Shared test helpers: a fresh copy of the fixture data package, and CSV editing in place."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Callable

import pytest

from baclofen_evidence import config

FIXTURES = Path(__file__).parent / "fixtures"


def copy_package(target: Path, csv_dir: Path = FIXTURES / "minimal") -> Path:
    """The fixture CSVs beside the project's real datapackage.json, so tests use the shipped schema."""
    target.mkdir(parents=True, exist_ok=True)
    for path in csv_dir.glob("*.csv"):
        shutil.copy(path, target / path.name)
    shutil.copy(config.DATA_DIR / config.DATAPACKAGE, target / config.DATAPACKAGE)
    return target


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return copy_package(tmp_path / "data")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def edit_rows(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    """Apply `change` to the rows of a CSV (a list of dicts, edited in place) and write it back."""
    rows = read_rows(path)
    fieldnames = list(rows[0])
    change(rows)
    write_rows(path, rows, fieldnames)


def set_cell(path: Path, match: dict[str, str], column: str, value: str) -> int:
    """Set one cell of the row matching `match`; returns that row's spreadsheet row number."""
    rows = read_rows(path)
    for i, row in enumerate(rows):
        if all(row[k] == v for k, v in match.items()):
            row[column] = value
            write_rows(path, rows)
            return i + 2
    raise AssertionError(f"no row of {path.name} matches {match}")


# ---------------------------------------------------------------- Hypothesis profiles
# "ci" (the default, used by make test) is small and derandomized, so every run tries the same
# examples and stays within its time budget; "fuzz" (make fuzz) explores with fresh seeds for longer.
from hypothesis import HealthCheck, settings  # noqa: E402

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=12, derandomize=True, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True)
settings.register_profile("fuzz", max_examples=400, derandomize=False, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """When nbval finds a notebook's stored outputs differ from a fresh run, say what to do, once, at the end."""
    failed = terminalreporter.stats.get("failed", [])
    notebooks = sorted({r.nodeid.split("::")[0] for r in failed if r.nodeid.split("::")[0].endswith(".ipynb")})
    if notebooks:
        terminalreporter.write_sep("-", "nbval: stored outputs differ from a fresh run")
        terminalreporter.write_line(f"in {', '.join(notebooks)}: if the change is deliberate, run `make baseline` and commit "
                                    "the notebooks; otherwise the code or data changed what a notebook shows")
