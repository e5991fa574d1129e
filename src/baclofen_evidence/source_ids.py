"""Sources by the short id people use: the three-digit prefix of their source_id (``000`` for ``000_efbb4b41e9eac7a2``).

The full id stays the key in the data; the short one is what a reader types and what pages show.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from baclofen_evidence.formatting import is_missing

from baclofen_evidence.parameters import ParameterError


def short_id(source_id: str) -> str:
    return str(source_id).split("_", 1)[0]


def name(row: pd.Series) -> str:
    """A source as a reader knows it: its outlet, or its title when the outlet is not known."""
    outlet = row.get("outlet")
    return str(outlet) if isinstance(outlet, str) and outlet.strip() else str(row["title"])


def label(outlet: Any, title: Any, width: int | None = None) -> str:
    """A popular article named as a reader would: outlet and title ("Recovery First: Is Baclofen ...")."""
    title = "" if is_missing(title) else str(title).strip()
    text = f"{str(outlet).strip()}: {title}" if not is_missing(outlet) and str(outlet).strip() else title
    return text if width is None or len(text) <= width else text[: width - 1].rstrip() + "…"


def labels(sources: pd.DataFrame, width: int | None = None) -> dict[str, str]:
    """Each source id's label; two sources that would read alike keep their short id apart."""
    found = {r.source_id: label(r.outlet, r.title, width) for r in sources.itertuples()}
    seen: dict[str, int] = {}
    for text in found.values():
        seen[text] = seen.get(text, 0) + 1
    return {sid: (f"{text} ({short_id(sid)})" if seen[text] > 1 else text) for sid, text in found.items()}


def resolve(sources: pd.DataFrame, given: str) -> str:
    """The full source_id that `given` (a full or a short id) names; a ParameterError lists the short ids otherwise."""
    ids = list(sources["source_id"])
    if given in ids:
        return given
    matches = [s for s in ids if short_id(s) == given]
    if len(matches) == 1:
        return matches[0]
    known = "; ".join(f"{short_id(s)} ({name(row)})" for s, (_, row) in zip(sources["source_id"], sources.iterrows()))
    raise ParameterError(f"source: {given!r} is not a source; give a short id or a full source_id: {known}")


def source_records(sources: pd.DataFrame) -> list[dict]:
    return [{"short_id": short_id(row["source_id"]), "source_id": row["source_id"],
             "outlet": row["outlet"] if isinstance(row["outlet"], str) else None, "title": row["title"]}
            for _, row in sources.sort_values("source_id").iterrows()]
