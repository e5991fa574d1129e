"""The one-line headline a report publishes for reports/index.html (kept tiny: notebooks import it)."""

from __future__ import annotations

import html

HEADLINE_KEY = "application/vnd.baclofen-evidence.headline+json"


def publish_headline(text: str) -> None:
    from IPython.display import display

    display({HEADLINE_KEY: {"headline": text}, "text/markdown": f"**Headline:** {html.escape(text)}"}, raw=True)
