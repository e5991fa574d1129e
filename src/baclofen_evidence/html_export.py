"""An executed notebook as a self-contained HTML page, and what the notebook published about itself.

The page (templates/report/) hides code, embeds figures, loads nothing from the network, renders
Markdown outputs for untrusted input, and identifies itself: its own title and heading, a link back
to index.html, and a footer with the data package version and the code's commit (page_identity.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from baclofen_evidence.headline import HEADLINE_KEY, TITLE_KEY
from baclofen_evidence.page_identity import PageIdentity

TEMPLATES = Path(__file__).parent / "templates"
VOLATILE_NOTEBOOK_KEYS = ("papermill",)
VOLATILE_CELL_KEYS = ("papermill", "execution")


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove timings and papermill bookkeeping; keep outputs and execution counts (nbval needs them)."""
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    return nb


def html_exporter():
    from nbconvert import HTMLExporter

    from baclofen_evidence.safe_html import markdown_to_html

    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            extra_template_paths=[str(TEMPLATES / "common")],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_filter("safe_markdown", markdown_to_html)
    # No CDN scripts: the reports must open offline and load nothing from the network.
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    exporter.jquery_url = ""
    return exporter


def _published(nb: nbformat.NotebookNode, key: str, field: str) -> str | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if key in data:
                return str(data[key][field])
    return None


def headline(nb: nbformat.NotebookNode) -> str | None:
    """The headline a notebook published with publish_headline(), if any."""
    return _published(nb, HEADLINE_KEY, "headline")


def published_title(nb: nbformat.NotebookNode) -> str | None:
    """The title a notebook published with publish_title(), if any."""
    return _published(nb, TITLE_KEY, "title")


def to_html(nb: nbformat.NotebookNode, fallback_title: str, identity: PageIdentity) -> str:
    """The page, titled by what the notebook published, else by `fallback_title` (reports.yml), shown as its heading."""
    title = published_title(nb)
    resources = {"metadata": {"name": title or fallback_title},
                 # The notebook shows a published title itself (publish_title displays it as a heading).
                 "page_heading": None if title else fallback_title,
                 "identity": identity}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return body
