"""Anyone's effect sizes from a CSV with the columns study, yi, vi (`gosh --input FILE.csv`).

Every problem is collected and reported as FILE:ROW:COLUMN (the header is row 1, as in a
spreadsheet), the way the data package's validation reports them: a non-numeric or non-finite
value, a variance that is not positive, a missing or duplicate study id, fewer than two studies.
Other columns are ignored.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from baclofen_evidence.problems import DataError, Problem

REQUIRED = ("study", "yi", "vi")
MIN_STUDIES = 2


@dataclass
class Effects:
    studies: list[str]
    yi: list[float]
    vi: list[float]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_effects(path: str | Path) -> Effects:
    """Study ids, effects and variances from `path`; raises DataError listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([Problem(name, None, None, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")]) from None
    try:
        records = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise DataError([Problem(name, None, None, f"not a readable CSV: {exc}")]) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise DataError([Problem(name, 1, None, "empty file: expected a header row with study, yi, vi")])
    header = [h.strip() for h in records[0]]
    problems = [Problem(name, 1, col, "required column is missing from the header") for col in REQUIRED if col not in header]
    problems += [Problem(name, 1, col, "column appears twice in the header") for col in REQUIRED if header.count(col) > 1]
    if problems:
        raise DataError(problems)
    at = {col: header.index(col) for col in REQUIRED}
    studies, yi, vi, seen = [], [], [], {}
    for row, values in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in values):
            continue  # a blank line
        if len(values) != len(header):
            problems.append(Problem(name, row, None, f"row has {len(values)} values but the header has {len(header)} columns"))
            continue
        study = values[at["study"]].strip()
        y, v = _number(values[at["yi"]].strip()), _number(values[at["vi"]].strip())
        if not study:
            problems.append(Problem(name, row, "study", "empty study id"))
        elif study in seen:
            problems.append(Problem(name, row, "study", f"duplicate study {study!r} (first on row {seen[study]})"))
        else:
            seen[study] = row
        if y is None:
            problems.append(Problem(name, row, "yi", f"not a finite number: {values[at['yi']]!r}"))
        if v is None:
            problems.append(Problem(name, row, "vi", f"not a finite number: {values[at['vi']]!r}"))
        elif v <= 0:
            problems.append(Problem(name, row, "vi", f"a variance must be > 0, got {values[at['vi']].strip()}"))
        studies.append(study)
        yi.append(y)
        vi.append(v)
    if len(studies) < MIN_STUDIES:
        problems.append(Problem(name, len(records) + 1 if len(records) > 1 else 2, None,
                                f"needs at least {MIN_STUDIES} studies, found {len(studies)}"))
    if problems:
        raise DataError(problems)
    return Effects(studies, yi, vi)
