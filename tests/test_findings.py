"""The findings page: its facts against the analyses they come from, and its sentences against its facts.

The facts of the shipped package are computed once (about ten seconds: four syntheses with their TSAs,
the multiverse, the dose-response and every claim); the page is rendered in-process, its HTML caught
where it would be displayed, so no kernel starts.
"""

import dataclasses
import math
import re

import pytest

from baclofen_evidence import costs
from baclofen_evidence import coverage as cov
from baclofen_evidence import findings as facts
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import multiverse as mvm
from baclofen_evidence.claims import verdicts
from baclofen_evidence.datapackage import load
from baclofen_evidence.reports_config import load_reports
from baclofen_evidence.sections import findings as page_module
from tests.conftest import set_cell


@pytest.fixture(scope="module")
def ev():
    return load()


@pytest.fixture(scope="module")
def found(ev):
    return facts.findings(ev)


def render(monkeypatch, found, data_dir=None) -> dict:
    """Every section of the page, with its HTML, title and headline caught instead of displayed."""
    shown = {"html": [], "title": [], "headline": []}
    monkeypatch.setattr(page_module, "display", lambda obj: shown["html"].append(obj.data))
    monkeypatch.setattr(page_module, "publish_title", shown["title"].append)
    monkeypatch.setattr(page_module, "publish_headline", shown["headline"].append)
    monkeypatch.setattr(facts, "findings", lambda *a, **k: found)
    page = page_module.FindingsReport(data_dir=data_dir)
    for section in (page.title, page.headline, page.cannot_carry, page.does_it_help, page.dose, page.cost, page.articles):
        section()
    shown["text"] = "\n".join(shown["html"])
    return shown


def by_outcome(found) -> dict:
    return {s.outcome_id: s for s in found.syntheses}


# ---------------------------------------------------------------- facts against their analyses


@pytest.mark.parametrize("outcome", facts.MAIN_OUTCOMES)
def test_each_synthesis_is_its_meta_analysis_with_its_coverage(ev, found, outcome):
    s = by_outcome(found)[outcome]
    ma = meta.run(ev, outcome)
    c = cov.coverage(ma)
    r = ma.result
    assert (s.coverage.trials, s.coverage.participants, s.coverage.share) == (c.trials, c.participants, c.share)
    assert s.estimate == pytest.approx(ma.scale(r.estimate))
    assert (s.ci_low, s.ci_high) == (pytest.approx(ma.scale(r.ci_low)), pytest.approx(ma.scale(r.ci_high)))
    assert (s.pi_low, s.pi_high) == (pytest.approx(ma.scale(r.pi_low)), pytest.approx(ma.scale(r.pi_high)))
    assert s.i2 == pytest.approx(r.i2)
    # HKSJ is added only when trials are few, as the meta-analysis headlines do
    assert (s.hksj_low is not None) == (ma.k < meta.FEW_TRIALS)
    # the trials missing are exactly the placebo-controlled RCTs the analysis does not hold
    reference = set(cov.reference_set(ev.studies, "placebo")["study_id"])
    assert {m.study_id for m in s.missing} == reference - set(ma.studies["study_id"])


def test_known_values_of_the_shipped_package(found):
    s = by_outcome(found)
    # the overview holds 9 of the 16 placebo-controlled RCTs, 1,269 of their 1,754 randomized participants
    assert (s[meta.OVERVIEW].coverage.trials, s[meta.OVERVIEW].coverage.participants) == (9, 1269)
    assert s[meta.OVERVIEW].coverage.reference_randomized == 1754
    # relapse crosses its TSA boundary, on 3 trials: a firm verdict on thin coverage
    assert s["relapse"].tsa_verdict == "firm_benefit" and s["relapse"].coverage.thin
    assert s["abstinence"].favours() == "baclofen" and s["relapse"].favours() == "baclofen"  # RR > 1 and RR < 1 both favour


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The fixture package, a source title holding markup: (its Evidence, its facts, its folder)."""
    from tests.conftest import copy_package

    data = copy_package(tmp_path_factory.mktemp("findings") / "data")
    set_cell(data / "sources.csv", {"source_id": "000_0000000000000000"}, "title", "<script>alert(1)</script>")
    ev = load(data)
    return ev, facts.findings(ev), data


def test_robustness_quotes_the_multiverse_summary(small):
    ev, found, _ = small
    r = found.robustness
    summary = mvm.build(ev).summary()
    assert r.specifications == summary["specifications"]
    assert r.share_favouring == summary["share_favouring_baclofen"]
    assert r.share_significant_favouring == summary["share_ci_excludes_null_favouring"]


def test_drug_cost_range_of_the_placebo_trials_is_hand_computed(found):
    c = found.cost
    # cheapest: Addolorato 2002, 30 mg/day x 4 weeks x 7 = 840 mg; Drug Tariff 1.07 GBP per 840 mg -> 1.07 GBP
    #   x 1.3363 USD/GBP (2018) = 1.4298 USD
    assert c.rct_low == pytest.approx(1.07 * 1.3363) and c.rct_low_source == "uk_drug_tariff_2018"
    # dearest: Bacloville, 300 mg/day x 52 weeks x 7 = 109,200 mg; Baclocur 17.97 EUR per 30 x 40 mg
    #   -> 109200 x 17.97 / 1200 = 1,635.27 EUR x 1.183 USD/EUR (2021) = 1,934.52 USD
    assert c.rct_high == pytest.approx(109200 * 17.97 / 1200 * 1.183) and c.rct_high_trial == "Bacloville 2020"
    b = c.budgets.set_index("study_id").loc["rigal2020"]
    # 1,200,000 EUR / 320 randomized x 1.2859 USD/EUR (2012) = 4,822.13 USD, a trial budget, never mixed with the drug
    assert b["cost_per_patient"] == pytest.approx(1_200_000 / 320 * 1.2859) and b["basis"] == "trial budget"


def test_verdict_counts_add_up_per_source(ev, found):
    v = verdicts(ev)
    for s in found.sources:
        assert s.total == (v["source_id"] == s.source_id).sum()
        assert all(n > 0 for n in s.counts.values())
    assert [w.verdict for w in found.wrong][0] == "inconsistent"  # contradicted claims are named first
    assert len(found.wrong) == v["verdict"].isin(["inconsistent", "overstated"]).sum()


def test_sources_are_named_by_outlet_and_title(found):
    names = {s.source_id[:3]: s.name for s in found.sources}
    assert names["000"] == "Windward Way Recovery: What Is Baclofen, and How Is It Used?"
    assert names["002"] == "What is Baclofen?"  # no outlet recorded: the title alone


def test_trials_read_from_other_pages_than_the_full_paper(ev, found):
    lim = found.limits
    assert lim.reference_trials == 16 and len(lim.not_from_full_text) == 14
    ids = {sid for sid, _, _ in lim.not_from_full_text}
    # Addolorato 2011 was read from its full text: it is not listed; Garbutt 2010 from its abstract: it is
    assert "addolorato2011" not in ids and "garbutt2010" in ids


# ---------------------------------------------------------------- sentences from the facts


def test_the_page_has_its_title_a_headline_and_the_limits_first(monkeypatch, found):
    shown = render(monkeypatch, found)
    assert shown["title"] == [page_module.TITLE]
    o = by_outcome(found)[meta.OVERVIEW]
    assert "SMD 0.45 (95% CI 0.16 to 0.75) favouring baclofen" in shown["headline"][0]
    assert "What these numbers cannot carry" in shown["html"][0]
    assert f"{len(o.missing)} of the 16 trials are not in it" in shown["html"][0]


def test_every_link_leads_to_a_report_in_the_registry(monkeypatch, found):
    shown = render(monkeypatch, found)
    targets = set(re.findall(r'href="([^"]+)"', shown["text"]))
    names = {r.name for r in load_reports()}
    assert targets and {t.removesuffix(".html") for t in targets} <= names
    for must in ("meta_abstinence", "dose_response", "costs", "claims", "tsa_relapse", "robustness", "claims_000"):
        assert f"{must}.html" in targets


def test_findings_leads_the_report_registry():
    assert load_reports()[0].name == "findings"


def test_direction_words_follow_the_estimate_across_one(found):
    s = by_outcome(found)["abstinence"]
    better = dataclasses.replace(s, estimate=1.5, ci_low=1.1, ci_high=2.0, pi_low=0.9, pi_high=2.5)
    worse = dataclasses.replace(s, estimate=0.6, ci_low=0.4, ci_high=0.9, pi_low=0.3, pi_high=1.2)
    assert better.favours() == "baclofen" and worse.favours() == "placebo"
    assert "1.50 times as frequent on baclofen" in page_module.effect_words(better)
    assert "40% less frequent on baclofen" in page_module.effect_words(worse)
    # dropout: lower is better, so the same RR below one favours baclofen
    d = dataclasses.replace(by_outcome(found)["dropout"], estimate=0.6)
    assert d.favours() == "baclofen"
    text = page_module.synthesis_text(better)
    assert "confidence interval excludes no effect" in text and "prediction interval, 0.90 to 2.50, includes no effect" in text


def test_no_number_is_typed_the_sentences_follow_the_facts(monkeypatch, found):
    s = by_outcome(found)[meta.OVERVIEW]
    changed = dataclasses.replace(s, estimate=-0.321, ci_low=-0.654, ci_high=0.012,
                                  coverage=dataclasses.replace(s.coverage, trials=7, participants=987))
    moved = dataclasses.replace(found, syntheses=[changed] + found.syntheses[1:])
    shown = render(monkeypatch, moved)
    assert "SMD -0.32 (95% CI -0.65 to 0.01)" in shown["text"]
    assert "in favour of placebo" in shown["text"] and "987 participants" in shown["text"]
    assert "favouring placebo" in shown["headline"][0] and "Across 7 of 16" in shown["headline"][0]


def test_money_on_the_page_is_in_the_asked_currency(ev):
    cost = facts.cost(ev, "EUR")
    assert cost.currency == "EUR" and set(cost.budgets["currency"]) == {"EUR"}
    # Garbutt 2010's grant is USD of 2006, and the table has no 2006 rate: not converted, and said so
    g = cost.budgets.set_index("study_id").loc["garbutt2010"]
    assert not g["converted"] and math.isnan(g["cost_per_patient"])


def test_text_from_the_data_is_escaped(monkeypatch, small):
    _, f, data = small
    shown = render(monkeypatch, f, data_dir=str(data))
    assert "<script>" not in shown["text"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown["text"]


def test_a_package_where_an_outcome_cannot_be_pooled_still_reads(monkeypatch, small):
    _, f, data = small
    shown = render(monkeypatch, f, data_dir=str(data))
    dropout = by_outcome(f)["dropout"]
    assert not dropout.pooled and "Dropout</b></a>: not pooled" in shown["text"]
    assert costs.DEFAULT_CURRENCY in shown["text"]


def test_the_short_answer_names_each_doubt_the_numbers_give(found):
    text = page_module.in_short(found)
    assert text.startswith("<b>In short:</b> taken together, the trials point to a benefit of baclofen")
    assert "a new trial could find no benefit" in text and "only 45% of the defensible ways" in text
    assert "complete abstinence and return to any drinking rest on less than half" in text
    o = by_outcome(found)[meta.OVERVIEW]
    settled = dataclasses.replace(found, syntheses=[dataclasses.replace(o, pi_low=0.1, pi_high=0.9)] + found.syntheses[1:],
                                  robustness=dataclasses.replace(found.robustness, share_significant_favouring=0.9))
    assert "a new trial could find no benefit" not in page_module.in_short(settled)
    assert "defensible ways" not in page_module.in_short(settled)
    null = dataclasses.replace(found, syntheses=[dataclasses.replace(o, ci_low=-0.1)] + found.syntheses[1:])
    assert "do not show that baclofen does better" in page_module.in_short(null)


def test_a_wrong_currency_is_refused_at_construction_before_any_fact_is_computed(monkeypatch):
    from baclofen_evidence.parameters import ParameterError

    monkeypatch.setattr(facts, "findings", lambda *a, **k: pytest.fail("facts computed"))
    with pytest.raises(ParameterError, match="currency: 'XYZ'"):
        page_module.FindingsReport(currency="XYZ")
    page_module.FindingsReport(currency="EUR")  # the pre-check's construction is cheap: the facts wait for first use
