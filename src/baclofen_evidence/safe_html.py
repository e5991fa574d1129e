"""Markdown and HTML that may carry text from the data, made inert before it reaches a report.

Markdown outputs are rendered with markdown-it-py configured for untrusted input (no raw HTML,
no images, links only to http, https and mailto), then passed through nh3 (the maintained
Rust sanitizer ammonia) with an allow-list of tags, so a mistake in one layer is caught by the other.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

URL_SCHEMES = {"http", "https", "mailto"}
# What report Markdown needs: text formatting, lists, headings, tables, code and links; no images, forms or frames.
ALLOWED_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del", "s", "sub", "sup",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}


def _link_allowed(url: str) -> bool:
    scheme, sep, _ = url.strip().partition(":")
    # Relative links and fragments have no scheme; in a single-file report they cannot lead anywhere unsafe.
    return not sep or "/" in scheme or "#" in scheme or "?" in scheme or scheme.lower() in URL_SCHEMES


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").disable("image")
    md.validateLink = _link_allowed
    return md


def clean(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def markdown_to_html(text: str) -> str:
    """Untrusted Markdown as inert HTML."""
    return clean(_renderer().render(text or ""))
