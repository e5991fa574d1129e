"""reports/index.html: every report of reports.yml with its title and headline, from a Jinja template with autoescape on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from baclofen_evidence.files import atomic_write
from baclofen_evidence.html_export import TEMPLATES
from baclofen_evidence.page_identity import PageIdentity
from baclofen_evidence.reports_config import Report


@dataclass(frozen=True)
class IndexRow:
    name: str
    title: str
    description: str
    headline: str | None
    exists: bool  # an HTML page to link to (a report that never rendered has none)
    failed: bool  # its last render failed, so the page linked is the previous one


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(TEMPLATES / "index"), str(TEMPLATES / "common")]),
                             autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template("index.html.j2")


def index_html(rows: list[IndexRow], identity: PageIdentity) -> str:
    return _template().render(rows=rows, identity=identity)


def write_index(reports: list[Report], results: dict, reports_dir: Path, identity: PageIdentity) -> None:
    """Every report with its headline; failed ones marked, previous HTML kept. `results`: name -> rendered report."""
    rows = []
    for r in reports:
        o = results.get(r.name)
        rows.append(IndexRow(name=r.name, title=(o.title if o is not None and o.title else r.title),
                             description=r.description, headline=o.headline if o is not None else None,
                             exists=(reports_dir / f"{r.name}.html").exists(), failed=o is not None and not o.ok))
    atomic_write(reports_dir / "index.html", index_html(rows, identity).encode("utf-8"))
