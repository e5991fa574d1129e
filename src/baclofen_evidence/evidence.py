"""The loaded data package: one typed attribute per table of datapackage.json.

Kept apart from the loader (datapackage.py) so that the cross-table rules, which take an Evidence,
need not import the loader that runs them. The fields are the resources of the project's own
datapackage.json, which descriptor.py requires every package to declare; a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from baclofen_evidence.descriptor import resource_by_name


@dataclass
class Evidence:
    """Every table as a DataFrame indexed by spreadsheet row number; None for a table that could not be read."""

    descriptor: dict
    data_dir: Path | None = None
    sources: pd.DataFrame | None = None
    references: pd.DataFrame | None = None
    studies: pd.DataFrame | None = None
    arms: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    exchange_rates: pd.DataFrame | None = None
    claims: pd.DataFrame | None = None
    mentions: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    published_estimates: pd.DataFrame | None = None
    provenance: pd.DataFrame | None = None

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name not in ("descriptor", "data_dir"))

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables that could be read, by name, in the descriptor's order."""
        return {name: getattr(self, name) for name in self.table_names() if getattr(self, name) is not None}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def resource(self, name: str) -> dict:
        return resource_by_name(self.descriptor, name)

    def file_of(self, name: str) -> str:
        return self.resource(name)["path"]
