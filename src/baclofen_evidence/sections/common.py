"""Display helpers shared by the report sections.

Everything shown goes through these helpers so that outputs are deterministic (rounded numbers,
no reprs, no paths or times) and safe: values from the data are HTML-escaped before display, so a
label holding markup shows as text and never runs.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
from IPython.display import HTML, Image, Markdown, display
from markupsafe import Markup

from baclofen_evidence import config, formatting, identifiers, plots
from baclofen_evidence.datapackage import Evidence, load
from baclofen_evidence.source_ids import labels as _labels


# The table style, set here once for JupyterLab and the exported reports alike: text left, numbers right.
# JupyterLab (and nbconvert's lab template) right-align every cell with
# `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`, specificity (0,2,1); these selectors outrank it.
TABLE_STYLE = (
    "<style>"
    "table.be-table td, table.be-table th, .jp-RenderedHTMLCommon table.be-table td, "
    ".jp-RenderedHTMLCommon table.be-table th {text-align: left; vertical-align: top;} "
    "table.be-table td.num, table.be-table th.num, .jp-RenderedHTMLCommon table.be-table td.num, "
    ".jp-RenderedHTMLCommon table.be-table th.num {text-align: right; font-variant-numeric: tabular-nums;} "
    "table.be-table td.num {white-space: nowrap;} "
    ".be-table caption {text-align: left; font-weight: bold;}"
    "</style>"
)
# Text that reads as a number, once formatted: 1,234 / -0.30 / 25% / 4,375 USD / 80 mg/day / 12/40.
NUMERIC_TEXT = re.compile(r"^[-+−]?\d[\d,]*(\.\d+)?(%| [A-Z]{3}| mg/day|/\d[\d,]*)?$")


def esc(value: Any) -> str:
    return html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))


def md(text: str) -> None:
    """Show Markdown written by the report code (data values must already be passed through esc())."""
    display(Markdown(text))


def note(text: str) -> None:
    display(HTML(f'<p style="color:#555;font-size:0.92em">{text}</p>'))


def bullets(lines: Iterable[str]) -> None:
    display(HTML("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))


def table(frame: pd.DataFrame, caption: str | None = None,
          formats: dict[str, Callable[[Any], str]] | None = None) -> None:
    """An HTML table: every cell escaped (a `Markup` cell, such as an identifier link, is kept as built),
    numbers formatted by baclofen_evidence.formatting, and numeric cells marked class="num" (right-aligned).

    Defaults: whole numbers as counts (1,234), a column named for a year as a year (2012), other
    numbers to 3 significant figures; `formats` maps a column to a formatting function instead.
    """
    formats = formats or {}
    rows, numeric_columns = [], []
    for col in frame.columns:
        cells = [_cell(col, value, formats.get(col)) for value in frame[col]]
        rows.append(cells)
        numeric_columns.append(bool(cells) and all(num or not text for text, num in cells) and any(num for _, num in cells))
    head = "".join(f'<th{_NUM if n else ""}>{esc(c)}</th>' for c, n in zip(frame.columns, numeric_columns))
    body = "".join("<tr>" + "".join(f'<td{_NUM if num else ""}>{text}</td>' for text, num in row) + "</tr>"
                   for row in zip(*rows))
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    display(HTML(f'{TABLE_STYLE}<table class="be-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'))


_NUM = ' class="num"'


def _cell(column: Any, value: Any, fmt: Callable[[Any], str] | None) -> tuple[str, bool]:
    """A cell's HTML and whether it shows a number."""
    if isinstance(value, Markup):
        return str(value), False
    plain = formatting._plain(value)
    if formatting.is_missing(plain):
        return "", False
    text = fmt(plain) if fmt is not None else formatting.cell(plain, column)
    return esc(text), bool(NUMERIC_TEXT.match(text))


def figure(fig, name: str, figures_dir: str | Path | None, alt: str = "") -> None:
    """Save a figure as PNG and SVG into the report's figure folder, and show the PNG inline."""
    import matplotlib.pyplot as plt

    png = plots.save(fig, name, figures_dir)
    plt.close(fig)
    display(Image(data=png, format="png", alt=alt or name))


def evidence(data_dir: str | None) -> Evidence:
    return load(Path(data_dir) if data_dir else config.DATA_DIR)


def figures_folder(figures_dir: str | None, default_name: str) -> Path:
    return Path(figures_dir) if figures_dir else config.FIGURES_DIR / default_name


def source_labels(ev: Evidence, width: int | None = None) -> dict[str, str]:
    return _labels(ev.sources, width)


def reference(ev: Evidence, ref_id: Any) -> Markup:
    """A reference id (doi:..., pmid:..., nct:..., url:...) as a link to its public page.

    DOIs, PMIDs and registry ids link to their resolvers; a `url:` reference links to the web address
    recorded for it in references.csv (web addresses only); anything else shows as escaped text.
    """
    if identifiers.url(ref_id) is not None:
        return identifiers.link(ref_id)
    if not formatting.is_missing(ref_id):
        refs = ev.references.set_index("ref_id")["url"] if "url" in ev.references.columns else pd.Series(dtype=str)
        address = refs.get(ref_id)
        if isinstance(address, str) and re.match(r"^https?://", address):
            return Markup(f'<a href="{html.escape(address)}">{html.escape(str(ref_id))}</a>')
    return identifiers.link(ref_id)


def lower_first(label: str) -> str:
    """A data label inside a title: 'Complete abstinence' -> 'complete abstinence'; acronyms ('RR', 'BACLAD') stay."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label

