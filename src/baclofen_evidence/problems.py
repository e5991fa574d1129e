"""What is wrong with the data, as a reader finds it: ``FILE:ROW:COLUMN: message``.

Its own module because every layer of the data check reports in it (the descriptor check, the
CSV reader, the cross-table rules, the effect-size input reader), and none of them should have
to import another layer to do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data, printed as FILE:ROW:COLUMN: message."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        column = self.column or "-"
        return f"{self.file}:{row}:{column}: {self.message}"


def problem_order(p: Problem) -> tuple:
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.message)


class DataError(Exception):
    """The data package has problems; ``problems`` lists all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))
