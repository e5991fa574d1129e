"""DOIs, PMIDs and trial-registry ids as links to their public pages.

A reader who sees "NCT01266655" should reach the registry record in one click. The links are plain
anchors: a report still loads nothing from the network. Identifiers come from the data, so the link
text is escaped and the id is URL-quoted into the address; a value that is no known kind of identifier
is shown as escaped text, never as a link.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from baclofen_evidence.formatting import as_printed, is_missing

# Each kind: how it is written in the data (a ref_id prefix such as "doi:", or the bare id), how it is
# shown, and the public page of one record.
_KINDS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I), "doi:{}", "https://doi.org/{}"),
    (re.compile(r"^pmid:?\s*(\d{1,9})$", re.I), "PMID {}", "https://pubmed.ncbi.nlm.nih.gov/{}/"),
    (re.compile(r"^(?:nct:\s*)?(NCT\d{8})$", re.I), "{}", "https://clinicaltrials.gov/study/{}"),
    (re.compile(r"^(?:isrctn:\s*)?(ISRCTN\d{8})$", re.I), "{}", "https://www.isrctn.com/{}"),
    (re.compile(r"^(?:eudract:?\s*)(\d{4}-\d{6}-\d{2})$", re.I), "EudraCT {}",
     "https://www.clinicaltrialsregister.eu/ctr-search/search?query={}"),
    (re.compile(r"^(?:ntr:\s*)?(NTR\d{1,6})$", re.I), "{}", "https://trialsearch.who.int/Trial2.aspx?TrialID={}"),
    (re.compile(r"^(?:actrn:\s*)?(ACTRN\d{14})$", re.I), "{}",
     "https://www.anzctr.org.au/TrialSearch.aspx?searchTxt={}"),
    (re.compile(r"^(?:drks:\s*)?(DRKS\d{8})$", re.I), "{}", "https://drks.de/search/en/trial/{}"),
]


def url(identifier: Any, kind: str | None = None) -> str | None:
    """The public page of one identifier, or None when it is no kind this module knows."""
    match = _match(identifier, kind)
    return None if match is None else match[1]


def link(identifier: Any, kind: str | None = None) -> Markup:
    """One identifier as an escaped anchor, e.g. <a href="https://doi.org/10.1/x">doi:10.1/x</a>.

    `kind` ("doi", "pmid", "nct", ...) names a bare value's kind, as a data column does: a bare number
    is a PMID only when its column says so. Unknown kinds (a free-text reference, a source's own id)
    come back as escaped text.
    """
    if is_missing(identifier):
        return Markup("")
    match = _match(identifier, kind)
    if match is None:
        return Markup(html.escape(as_printed(identifier).strip()))
    text, address = match
    return Markup(f'<a href="{html.escape(address)}">{html.escape(text)}</a>')


def links(identifiers: Any, separator: str = "; ") -> Markup:
    """Several identifiers in one data cell ("NCT01266655; EudraCT 2010-021861-62"), each linked."""
    if is_missing(identifiers):
        return Markup("")
    parts = [p for p in re.split(r"[;,]\s*", as_printed(identifiers)) if p.strip()]
    return Markup(html.escape(separator)).join(link(p) for p in parts)


def _match(identifier: Any, kind: str | None = None) -> tuple[str, str] | None:
    if is_missing(identifier):
        return None
    text = as_printed(identifier).strip()
    if kind:
        text = f"{kind}:{text}"
    for pattern, shown, address in _KINDS:
        m = pattern.match(text)
        if m:
            key = m.group(1).upper() if not shown.startswith("doi") else m.group(1)
            return shown.format(key), address.format(quote(key, safe="/-._()"))
    return None


# Identifiers inside running text, as the data's notes and the claims' evidence cite them:
# "doi:10.1016/S0140-6736(07)61814-5" (balanced parentheses belong to the DOI), "pmid:27812345", "NCT01266655".
_IN_TEXT = re.compile(
    r"\bdoi:10\.\d{4,9}/(?:[^\s;,()<>\"']|\([^\s()]*\))+(?<![.])"
    r"|\bpmid:\d{1,9}\b|\b(?:nct:)?NCT\d{8}\b|\bISRCTN\d{8}\b|\bEudraCT \d{4}-\d{6}-\d{2}\b",
    re.I,
)


def linkify(text: Any) -> Markup:
    """Free text with each identifier in it linked and everything else escaped."""
    if is_missing(text):
        return Markup("")
    text = str(text)
    out, last = [], 0
    for m in _IN_TEXT.finditer(text):
        out += [html.escape(text[last:m.start()]), str(link(m.group(0)))]
        last = m.end()
    out.append(html.escape(text[last:]))
    return Markup("".join(out))
