"""Report tables: numbers through the formatting module, numeric cells marked for right alignment,
identifier links kept, everything else escaped; sources named by outlet and title."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
from bs4 import BeautifulSoup

from baclofen_evidence import identifiers, source_ids
from baclofen_evidence.sections import common


def shown(monkeypatch, frame: pd.DataFrame, **kwargs) -> BeautifulSoup:
    out = []
    monkeypatch.setattr(common, "display", out.append)
    common.table(frame, **kwargs)
    (html,) = out
    return BeautifulSoup(html.data, "html.parser")


def test_numbers_are_formatted_and_marked_and_text_is_escaped(monkeypatch):
    frame = pd.DataFrame({"Trial": ["A <b>1</b>", "B"], "Year": [2012.0, 1998.0], "Randomized": [1234, 56],
                          "Estimate": [0.123456, math.nan], "Ids": [identifiers.link("NCT01266655"), ""]})
    soup = shown(monkeypatch, frame, caption="Trials & <more>")
    rows = [[(td.get_text(), td.get("class")) for td in tr.find_all("td")] for tr in soup.select("tbody tr")]
    assert rows[0][:4] == [("A <b>1</b>", None), ("2012", ["num"]), ("1,234", ["num"]), ("0.123", ["num"])]
    assert rows[1][:4] == [("B", None), ("1998", ["num"]), ("56", ["num"]), ("", None)]
    assert soup.find("b") is None and soup.caption.get_text() == "Trials & <more>"
    assert soup.select_one("tbody a")["href"] == "https://clinicaltrials.gov/study/NCT01266655"
    heads = {th.get_text(): th.get("class") for th in soup.select("thead th")}
    assert heads == {"Trial": None, "Year": ["num"], "Randomized": ["num"], "Estimate": ["num"], "Ids": None}


def test_a_column_format_is_a_formatting_function(monkeypatch):
    from baclofen_evidence import formatting as fmt

    soup = shown(monkeypatch, pd.DataFrame({"Share": [0.256], "Money": ["4,375 USD"]}), formats={"Share": fmt.percent})
    assert [(td.get_text(), td.get("class")) for td in soup.select("td")] == [("26%", ["num"]), ("4,375 USD", ["num"])]


def test_sources_are_named_by_outlet_and_title():
    assert source_ids.label("Recovery First", "Is Baclofen Addictive?") == "Recovery First: Is Baclofen Addictive?"
    assert source_ids.label(math.nan, "What is Baclofen?") == "What is Baclofen?"
    assert source_ids.label("Outlet", "A very long title indeed", width=20) == "Outlet: A very long…"
    ev = SimpleNamespace(sources=pd.DataFrame({"source_id": ["000_a", "001_b", "002_c"], "outlet": [None, None, "X"],
                                               "title": ["Same", "Same", "Other"]}))
    assert common.source_labels(ev) == {"000_a": "Same (000)", "001_b": "Same (001)", "002_c": "X: Other"}
