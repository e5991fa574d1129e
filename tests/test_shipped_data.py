"""The data package as shipped: valid, standard-conformant, and covering the studies the sources name."""

from __future__ import annotations

import pandas as pd
import pytest

from baclofen_evidence import config
from baclofen_evidence.datapackage import load, validate

# Studies the issue requires, by the id this package gives them.
REQUIRED = {
    "rigal2020": "Bacloville (France; Addiction 2020)",
    "beraha2016": "the Dutch (Amsterdam) trial",
    "addolorato2002": "the 2002 RCT",
    "addolorato2007": "the Brown University study (identified; see its note)",
    "garbutt2010": "US dose-range trial, UNC 2010",
    "garbutt2021": "US dose-range trial, UNC 2021",
    "leggio2015": "US RCT",
    "hauser2017": "US RCT",
    "reynaud2017": "ALPADIR",
    "muller2015": "BACLAD",
    "addolorato2011": "Addolorato 2011",
    "morley2014": "Morley 2014",
    "morley2018": "Morley 2018",
    "ponizovsky2015": "Ponizovsky 2015",
    "krupitsky1993": "Krupitsky 1993",
    "addolorato2000": "the 2000 open study",
    "debeaurepaire2012": "the Frontiers high-dose observational study",
    "ameisen2005": "Ameisen's self-case report",
    "levin_anecdote": "300 patients, 2 failures",
    "assadi2003": "the opioid study (BMC Psychiatry)",
    "haney2006": "the cocaine study (Neuropsychopharmacology)",
    "baclofen_dependence_case": "the baclofen dependence case report",
    "xi1999": "the Wisconsin animal study",
    "bexis2001": "the Adelaide animal study",
    "unc_baclofen_naltrexone": "the UNC baclofen + naltrexone pilot",
}


@pytest.fixture(scope="module")
def ev():
    return load()


def test_shipped_data_validates():
    assert validate(config.DATA_DIR) == []


def test_frictionless_reads_the_package_as_a_valid_data_package():
    """Users of R, Excel or any Frictionless tool get the same tables and checks without our code."""
    from frictionless import Package, system

    with system.use_context(trusted=True):
        report = Package(str(config.DATA_DIR / config.DATAPACKAGE)).validate()
    errors = [f"{e.type}: {e.note}" for task in report.tasks for e in task.errors] + [e.note for e in report.errors]
    assert report.valid, errors[:10]


@pytest.mark.parametrize("study_id", sorted(REQUIRED))
def test_required_study_is_present_and_findable(ev, study_id):
    studies = ev.studies.set_index("study_id")
    assert study_id in studies.index, REQUIRED[study_id]
    s = studies.loc[study_id]
    identifiers = [s[c] for c in ("doi", "pmid", "registration") if not pd.isna(s[c])]
    if identifiers:
        return
    # No identifier exists or could be found: the package must say why, and point at a page.
    prov = ev.provenance
    reason = prov[(prov["table"] == "studies") & (prov["row_key"] == study_id) & (prov["field"] == "pmid")]
    assert not reason.empty and reason["status"].isin(["not_found", "not_applicable"]).all()
    refs = ev.references.set_index("ref_id")
    assert not pd.isna(refs.loc[s["ref_id"], "url"])


def test_every_study_the_sources_mention_is_tabulated(ev):
    assert set(ev.mentions["study_id"]) <= set(ev.studies["study_id"])
    assert set(ev.mentions["source_id"]) == set(ev.sources["source_id"]) - {"002_828f94aa8ea78acc"}


def test_sources_are_the_five_seed_articles(ev):
    seeds = config.PROJECT_ROOT.parent / "shared" / "seeds"
    if seeds.is_dir():
        assert set(ev.sources["source_id"]) == {p.stem for p in seeds.glob("*.txt")}
    assert len(ev.sources) == 5


def test_active_comparator_trials_are_included(ev):
    active = ev.studies[(ev.studies["design"] == "rct") & (ev.studies["comparator"] == "active")]
    assert len(active) >= 2
    roles = ev.arms[ev.arms["study_id"].isin(active["study_id"])]["role"]
    assert "active_comparator" in set(roles)


def test_no_article_text_is_pasted_into_the_claims(ev):
    """Claims are paraphrases: no 8-word run of a seed article appears in them."""
    seeds = config.PROJECT_ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    import re

    words = lambda t: re.findall(r"[a-z0-9']+", t.lower())
    runs = set()
    for path in seeds.glob("*.txt"):
        w = words(path.read_text(encoding="utf-8"))
        runs |= {" ".join(w[i:i + 8]) for i in range(len(w) - 7)}
    for text in list(ev.claims["paraphrase"]) + list(ev.sources["summary"]):
        w = words(text)
        pasted = [" ".join(w[i:i + 8]) for i in range(len(w) - 7) if " ".join(w[i:i + 8]) in runs]
        assert not pasted, pasted
