"""What a report publishes about itself for reports/index.html and its HTML page: its title and its
one-line headline (kept tiny: notebooks import it).

Both are computed by the report's own code from its parameters and numbers, so a variant rendered
with other parameters is titled and summarised for what it is.
"""

from __future__ import annotations

import html

HEADLINE_KEY = "application/vnd.baclofen-evidence.headline+json"
TITLE_KEY = "application/vnd.baclofen-evidence.title+json"


def publish_headline(text: str) -> None:
    from IPython.display import display

    display({HEADLINE_KEY: {"headline": text}, "text/markdown": f"**Headline:** {html.escape(text)}"}, raw=True)


def publish_title(text: str) -> None:
    """The page's heading (shown as the notebook's first heading) and its HTML <title>."""
    from IPython.display import display

    display({TITLE_KEY: {"title": text}, "text/markdown": f"# {html.escape(text)}"}, raw=True)
