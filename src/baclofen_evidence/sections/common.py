"""Display helpers shared by the report sections.

Everything shown goes through these helpers so that outputs are deterministic (rounded numbers,
no reprs, no paths or times) and safe: values from the data are HTML-escaped before display, so a
label holding markup shows as text and never runs.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from baclofen_evidence import config, plots
from baclofen_evidence.datapackage import Evidence, load


# Text reads better left-aligned; JupyterLab's default right-aligns every cell.
TABLE_STYLE = ("<style>.be-table td, .be-table th {text-align: left; vertical-align: top;} "
               ".be-table caption {text-align: left; font-weight: bold;}</style>")


def esc(value: Any) -> str:
    return html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))


def md(text: str) -> None:
    """Show Markdown written by the report code (data values must already be passed through esc())."""
    display(Markdown(text))


def note(text: str) -> None:
    display(HTML(f'<p style="color:#555;font-size:0.92em">{text}</p>'))


def bullets(lines: Iterable[str]) -> None:
    display(HTML("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))


def table(frame: pd.DataFrame, caption: str | None = None, formats: dict[str, str] | None = None) -> None:
    """An HTML table: every cell escaped, numbers formatted as given (default: up to 3 significant places)."""
    formats = formats or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            value = row[col]
            if isinstance(value, float) and not pd.isna(value):
                text = format(value, formats.get(col, ",.3g" if abs(value) < 1000 else ",.0f"))
            elif isinstance(value, (int,)) and not isinstance(value, bool):
                text = format(value, formats.get(col, ","))
            else:
                text = esc(value)
            cells.append(f"<td>{text if text != 'nan' else ''}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    display(HTML(f'{TABLE_STYLE}<table class="be-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'))


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


def lower_first(label: str) -> str:
    """A data label inside a title: 'Complete abstinence' -> 'complete abstinence'; acronyms ('RR', 'BACLAD') stay."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def source_labels(ev: Evidence) -> dict[str, str]:
    return {r.source_id: f"{r.source_id[:3]} {r.title[:38]}" for r in ev.sources.itertuples()}
