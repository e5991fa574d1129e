"""The real batch, as `make reports` renders it: byte-identical twice, and checked in a real browser.

The whole batch is rendered into a temporary folder, then one report of every notebook again into
another (the whole batch twice would cost a minute more of `make test`, and each notebook's code is
what could differ between runs); the browser opens the index and every report of the first run in
Debian's headless Chromium (installed by `make test`), and keeps screenshots in tests/artifacts/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from baclofen_evidence import config, render

CHROMIUM = Path("/usr/bin/chromium")
TEXT_ONLY = {"findings.html"}  # answers in words, each linking to the report that draws the figure
ARTIFACTS = config.TESTS_DIR / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    first = tmp_path_factory.mktemp("first")
    outcomes = render.render_all(reports_dir=first / "reports", figures_dir=first / "figures")
    one_per_notebook = list({r.notebook: r.name for r in render.load_reports()}.values())
    second = tmp_path_factory.mktemp("second")
    again = render.render_all(only=one_per_notebook, reports_dir=second / "reports", figures_dir=second / "figures")
    return [(first, outcomes), (second, again)]


def test_every_report_renders(rendered):
    (_, outcomes), (_, again) = rendered
    assert [o.error for o in outcomes + again if not o.ok] == []
    assert len(outcomes) == len(render.load_reports())
    assert len(again) == len({r.notebook for r in render.load_reports()})


def test_two_renders_are_byte_identical(rendered):
    (a, _), (b, _) = rendered
    files = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.suffix in (".html", ".png", ".svg")
                   and p.name != "index.html")  # the second index lists only the reports rendered again
    assert len(files) > 20
    different = [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert different == []


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path, screenshot: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    return page, errors, requests


def test_index_links_resolve_and_every_report_opens_cleanly_in_chromium(rendered, browser):
    root, _ = rendered[0]
    reports = root / "reports"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    page, errors, _ = open_page(browser, reports / "index.html", ARTIFACTS / "index.png")
    links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert errors == []
    assert sorted(links) == sorted(f"{r.name}.html" for r in render.load_reports())
    for link in links:
        target = reports / link
        assert target.is_file(), link
        page, errors, requests = open_page(browser, target, ARTIFACTS / f"{target.stem}.png")
        widths = page.evaluate("Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
        page.close()
        assert errors == [], (link, errors)
        assert (widths or link in TEXT_ONLY) and all(w > 0 for w in widths), (link, widths)
        assert all(u.startswith(("file:", "data:")) for u in requests), (link, [u for u in requests if not u.startswith(("file:", "data:"))])


def test_headlines_reach_the_index(rendered):
    index = (rendered[0][0] / "reports" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"Complete abstinence: RR \d\.\d\d \(95% CI", index)


# A text cell and a number cell of the study table, then every header; JupyterLab's own CSS right-aligns
# every cell, so this is what a reader sees only if the report's table style wins.
ALIGNMENT = """() => {
  const cells = Array.from(document.querySelectorAll('table.be-table td')).filter(c => c.textContent.trim());
  const text = cells.find(c => !c.classList.contains('num') && /[a-z]/i.test(c.textContent));
  const num = cells.find(c => c.classList.contains('num'));
  const th = document.querySelector('table.be-table th:not(.num)');
  const thNum = document.querySelector('table.be-table th.num');
  return [text, num, th, thNum].map(c => c ? [c.textContent.trim(), getComputedStyle(c).textAlign] : null);
}"""


def table_alignment(browser, report: Path) -> list:
    page = browser.new_page()
    page.goto(report.as_uri(), wait_until="load")
    try:
        return page.evaluate(ALIGNMENT)
    finally:
        page.close()


def test_text_cells_align_left_and_number_cells_right_in_chromium(rendered, browser):
    text, num, th, th_num = table_alignment(browser, rendered[0][0] / "reports" / "evidence_map.html")
    assert text[1] in ("left", "start"), text
    assert num[1] == "right" and re.fullmatch(r"[\d,.]+", num[0]), num
    assert th[1] in ("left", "start") and th_num[1] == "right", (th, th_num)


# A year in running text or a year column, printed with a thousands separator: "in 2,012", "| 1,998 |".
YEAR_IN_TEXT = re.compile(r"(?i)\b(?:year|years|in|since|from|until|before|after|published)\s+(?:1,9|2,0)\d\d\b")


SOURCE_FILE_ID = re.compile(r"\b\d{3}_[0-9a-f]{16}\b")


def visible_text(path: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    return soup


def test_no_report_prints_p_as_zero_a_year_with_a_separator_or_a_source_file_id(rendered):
    reports = sorted((rendered[0][0] / "reports").glob("*.html"))
    assert len(reports) > 20
    for path in reports:
        soup = visible_text(path)
        text = soup.get_text(" ")
        assert "0.0000" not in text, (path.name, text[max(0, text.index("0.0000") - 80):text.index("0.0000") + 20])
        assert not YEAR_IN_TEXT.search(text), (path.name, YEAR_IN_TEXT.findall(text))
        assert not SOURCE_FILE_ID.search(text), (path.name, SOURCE_FILE_ID.findall(text))  # sources go by outlet and title
        for table in soup.select("table.be-table"):
            headers = [th.get_text(strip=True) for th in table.select("thead th")]
            for i, header in enumerate(headers):
                if re.search(r"(?i)\byear\b", header):
                    cells = [tr.find_all("td")[i].get_text(strip=True) for tr in table.select("tbody tr")]
                    assert all(re.fullmatch(r"(\d{4})?", c) for c in cells), (path.name, header, cells)
