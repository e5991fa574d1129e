"""Identifiers as links to their public pages, and text from the data staying inert in them."""

from __future__ import annotations

import math

from bs4 import BeautifulSoup

from baclofen_evidence import identifiers


def anchor(markup) -> tuple[str, str]:
    a = BeautifulSoup(str(markup), "html.parser").find("a")
    return a["href"], a.get_text()


def test_each_kind_links_to_its_public_page():
    assert anchor(identifiers.link("doi:10.1002/14651858.CD012557.pub3")) == (
        "https://doi.org/10.1002/14651858.CD012557.pub3", "doi:10.1002/14651858.CD012557.pub3")
    assert anchor(identifiers.link("10.1016/S0140-6736(07)61814-5", "doi"))[0] == "https://doi.org/10.1016/S0140-6736(07)61814-5"
    assert anchor(identifiers.link(10656195.0, "pmid")) == ("https://pubmed.ncbi.nlm.nih.gov/10656195/", "PMID 10656195")
    assert anchor(identifiers.link("pmid:10656195")) == ("https://pubmed.ncbi.nlm.nih.gov/10656195/", "PMID 10656195")
    assert anchor(identifiers.link("nct:NCT00525252")) == ("https://clinicaltrials.gov/study/NCT00525252", "NCT00525252")
    assert anchor(identifiers.link("NCT01266655")) == ("https://clinicaltrials.gov/study/NCT01266655", "NCT01266655")
    assert anchor(identifiers.link("ISRCTN62137064")) == ("https://www.isrctn.com/ISRCTN62137064", "ISRCTN62137064")
    assert anchor(identifiers.link("EudraCT 2011-004142-17")) == (
        "https://www.clinicaltrialsregister.eu/ctr-search/search?query=2011-004142-17", "EudraCT 2011-004142-17")
    assert anchor(identifiers.link("NTR1234"))[0] == "https://trialsearch.who.int/Trial2.aspx?TrialID=NTR1234"


def test_a_cell_with_several_ids_links_each():
    soup = BeautifulSoup(str(identifiers.links("NCT01266655; EudraCT 2010-021861-62")), "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://clinicaltrials.gov/study/NCT01266655",
        "https://www.clinicaltrialsregister.eu/ctr-search/search?query=2010-021861-62"]
    assert soup.get_text() == "NCT01266655; EudraCT 2010-021861-62"


def test_unknown_and_missing_values_are_escaped_text_not_links():
    assert str(identifiers.link("url:documentspub-krupitsky1993")) == "url:documentspub-krupitsky1993"
    assert str(identifiers.link("2012")) == "2012"  # a bare number is a PMID only when its column says so
    assert str(identifiers.link(None)) == "" and str(identifiers.link(math.nan, "pmid")) == ""
    assert identifiers.url("javascript:alert(1)") is None
    assert str(identifiers.link("<b>x</b>")) == "&lt;b&gt;x&lt;/b&gt;"


def test_markup_inside_an_identifier_stays_inert():
    evil = 'doi:10.1234/a"><script>alert(1)</script>'
    html = str(identifiers.link(evil))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert [t.name for t in soup.find_all(True)] == ["a"]
    href, text = anchor(html)
    assert href.startswith("https://doi.org/10.1234/a") and "<" not in href and '"' not in href
    assert text == 'doi:10.1234/a"><script>alert(1)</script>'  # shown as typed
    assert BeautifulSoup(str(identifiers.links('NCT00525252; <img src=x onerror=alert(1)>')), "html.parser").find("img") is None


def test_identifiers_in_running_text_are_linked_and_the_rest_escaped():
    text = "RD 21 (doi:10.1016/S0140-6736(07)61814-5); see pmid:27812345 and NCT01266655. <script>x</script>"
    soup = BeautifulSoup(str(identifiers.linkify(text)), "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://doi.org/10.1016/S0140-6736(07)61814-5", "https://pubmed.ncbi.nlm.nih.gov/27812345/",
        "https://clinicaltrials.gov/study/NCT01266655"]
    assert soup.find("script") is None and soup.get_text() == text.replace("pmid:27812345", "PMID 27812345")
    assert str(identifiers.linkify("no ids here & there")) == "no ids here &amp; there"
