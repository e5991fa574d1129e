"""Text from the data is always text: every injection we could think of, rendered, then judged on the DOM.

One fixture package carries the injections in every free-text place a report shows (study labels in
tables and figures, a price description in Markdown, an outcome label in a figure's alt text, source
titles and summaries, claim paraphrases). The reports are rendered, parsed into a DOM, and opened in
headless Chromium, where nothing may run and nothing may be loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from baclofen_evidence import render
from baclofen_evidence.safe_html import markdown_to_html
from tests.conftest import copy_package, set_cell
from tests.test_render import write_reports_yml

INJECTIONS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '" onerror="window.__pwned = 3" x="',
    "' onmouseover='window.__pwned = 4",
    "[click me](javascript:window.__pwned=5)",
    "[click me](JaVaScRiPt:window.__pwned=6)",
    "![tracker](https://tracker.example/pixel.png)",
    '<a href="javascript:window.__pwned=7">link</a>',
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD04PC9zY3JpcHQ+)",
    "<svg onload=window.__pwned=9>",
    "<iframe src=https://evil.example/></iframe>",
    "<style>body{display:none}</style>",
    "<details open ontoggle=window.__pwned=10>",
    "[ref]: javascript:window.__pwned=11",
    "<https://autolink.example>",
    "$\\foo$ and $ unbalanced",
    "{{ 7*7 }} {% raw %}",
    "&lt;b&gt;pre-escaped&lt;/b&gt;",
    "</td></tr></table><script>window.__pwned=12</script>",
    "--><script>window.__pwned=13</script><!--",
]
ALLOWED_SCHEMES = ("http:", "https:", "mailto:", "#", "")


def injected_package(root: Path) -> Path:
    data = copy_package(root / "data")
    for i, study in enumerate(("alpha2001", "beta2010", "gamma2015")):
        set_cell(data / "studies.csv", {"study_id": study}, "label", f"Study {i} {INJECTIONS[i]}")
    set_cell(data / "costs.csv", {"cost_id": "price_test_10mg"}, "description", " ".join(INJECTIONS[3:10]))
    set_cell(data / "sources.csv", {"source_id": "000_0000000000000000"}, "title", " ".join(INJECTIONS[10:15]))
    set_cell(data / "sources.csv", {"source_id": "000_0000000000000000"}, "summary", " ".join(INJECTIONS[15:]))
    set_cell(data / "claims.csv", {"claim_id": "test_gamma_n"}, "paraphrase", " ".join(INJECTIONS))
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    outcomes = next(r for r in descriptor["resources"] if r["name"] == "outcomes")
    outcomes["outcomeDefinitions"]["abstinence"]["label"] = 'Abstinence" onerror="window.__pwned=14'
    (data / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("xss")
    data = injected_package(root)
    entries = [("map", "evidence_map.ipynb", {}), ("meta", "meta_analysis.ipynb", {"outcome": "abstinence"}),
               ("costs", "costs.ipynb", {"currency": "EUR", "price_source": "price_test_10mg"}), ("claims", "claims.ipynb", {})]
    config = write_reports_yml(root / "reports.yml", data, entries)
    outcomes = render.render_all(jobs=2, reports_path=config, reports_dir=root / "out", figures_dir=root / "figs")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    return {name: root / "out" / f"{name}.html" for name, _, _ in entries}


def dom(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_the_injections_reach_the_reports_as_text(pages):
    text = " ".join(dom(p).get_text(" ") for p in pages.values())
    for needle in ("<script>window.__pwned = 1</script>", "onerror=", "javascript:window.__pwned=5", "$\\foo$"):
        assert needle in text, needle  # shown to the reader, as typed


def test_no_element_from_the_data_can_run_or_load_anything(pages):
    for name, path in pages.items():
        soup = dom(path)
        handlers = [(t.name, a) for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
        assert not handlers, (name, handlers[:5])
        assert not soup.find_all(["iframe", "svg", "details", "object", "embed", "form"]), name
        for script in soup.find_all("script"):
            assert "__pwned" not in script.get_text(), name
        for style in soup.find_all("style"):
            assert "body{display:none}" not in style.get_text().replace(" ", ""), name
        for img in soup.find_all("img"):
            assert img["src"].startswith("data:image/png;base64,"), (name, img["src"][:60])
        for a in soup.find_all("a", href=True):
            assert a["href"].strip().lower().startswith(ALLOWED_SCHEMES) or ":" not in a["href"].split("/")[0], (name, a["href"])


def test_figure_alt_text_stays_inside_its_attribute(pages):
    imgs = dom(pages["meta"]).find_all("img")
    forest = [img for img in imgs if "Forest plot" in img.get("alt", "")]
    assert forest and forest[0]["alt"] == 'Forest plot of Abstinence" onerror="window.__pwned=14'
    assert set(forest[0].attrs) == {"src", "alt", "class"}


def test_markdown_from_the_data_has_no_live_links_or_images(pages):
    soup = dom(pages["costs"])
    blocks = soup.select('[data-mime-type="text/markdown"]')
    assert blocks and any("javascript:window.__pwned" in b.get_text() for b in blocks)
    for b in blocks:
        assert not b.find_all("img")
        # Headings of the notebook's own Markdown cells carry "#" anchors; nothing else but web and mail links.
        assert all(a["href"].startswith(("http:", "https:", "mailto:", "#")) for a in b.find_all("a", href=True))


def test_nothing_runs_in_chromium(pages):
    from tests.test_reports import CHROMIUM, FLAGS

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for name, path in pages.items():
                page = browser.new_page()
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                page.on("dialog", lambda d: pytest.fail(f"{name}: a dialog opened: {d.message}"))
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                for el in page.query_selector_all("img, td, li, p"):
                    el.dispatch_event("mouseover")
                assert page.evaluate("window.__pwned") is None, name
                assert page.evaluate("document.body.offsetHeight") > 0, name
                assert not [u for u in requests if not u.startswith(("file:", "data:"))], (name, requests)
                page.close()
        finally:
            browser.close()


@pytest.mark.parametrize("text", INJECTIONS)
def test_the_markdown_renderer_alone_keeps_every_injection_inert(text):
    soup = BeautifulSoup(markdown_to_html(text), "html.parser")
    assert not soup.find_all(["script", "img", "iframe", "svg", "style", "details"])
    assert not [a for t in soup.find_all(True) for a in t.attrs if a.startswith("on")]
    assert all(a["href"].startswith(("http:", "https:", "mailto:")) for a in soup.find_all("a", href=True))
