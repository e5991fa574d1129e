"""Verdicts on the sources' claims, computed from the data.

Expected verdicts on the shipped data were checked by hand against the publications: de Beaurepaire
et al. 2019 (Front Psychiatry, abstract) count 15 published RCTs by January 2019, three above
100 mg/day, plus two unpublished; the US trials' doses are 30-90 mg/day (Garbutt 2010 and 2021,
Leggio 2015, Hauser 2017); Bacloville's budget was EUR 1.2 million (Le Généraliste, March 2012).
"""

import dataclasses

import pandas as pd
import pytest

from baclofen_evidence import claims, coverage, settling, tsa
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import formatting as fmt
from baclofen_evidence.datapackage import load, validate
from baclofen_evidence.parameters import ParameterError
from tests.conftest import set_cell


@pytest.fixture(scope="module")
def verdicts():
    return claims.verdicts(load()).set_index("claim_id")


@pytest.mark.parametrize("claim_id,expected", [
    ("s000_rct_count", "consistent"),          # 17 = 15 published + 2 completed unpublished (de Beaurepaire 2019)
    ("s000_dutch_trial", "consistent"),        # country, randomized design and multicentre setting all tested
    ("s000_ameisen", "identified"),            # only that the case report exists is checked
    ("s004_amsterdam", "identified"),
    ("s004_levin_n", "unverifiable"),          # the only page behind the 300 is the blog making the claim
    ("s003_brown", "depends_on_identification"),  # Addolorato 2007 / 2002 favour baclofen, Leggio 2015 is mixed
    ("s000_high_dose_count", "consistent"),    # three above 100 mg/day
    ("s000_us_doses", "overstated"),           # 300 mg/day was Bacloville (France), not a US trial
    ("s000_bacloville_n", "consistent"),
    ("s000_bacloville_cost", "consistent"),    # EUR 1.2M = USD 1.54M at the 2012 average: "about 1.4M" within 10%
    ("s000_bacloville_per_patient", "consistent"),
    ("s000_french_trials", "overstated"),      # ALPADIR found no difference
    ("s000_bacloville_harms", "unverifiable"), # no arm-level SAE data reachable
    ("s001_frontiers", "overstated"),          # an uncontrolled case series cannot show high doses work better
    ("s004_unc", "unverifiable"),              # registered, never reported
])
def test_verdicts_on_the_shipped_data(verdicts, claim_id, expected):
    assert verdicts.loc[claim_id, "verdict"] == expected, verdicts.loc[claim_id, "evidence"]


def test_the_count_names_both_rules_and_the_one_that_decides(verdicts):
    text = verdicts.loc["s000_rct_count", "evidence"]
    assert "rule 1, published trials: 15" in text and "15 + 2 = 17" in text
    assert "Decided by rule 2" in text and "by rule 1 (published only) it would be overstated" in text


def test_no_existence_only_check_counts_as_consistent(verdicts):
    data = load()
    kinds = data.claims.set_index("claim_id")["check_kind"]
    existence = verdicts[kinds.reindex(verdicts.index) == "existence"]
    assert not existence.empty and "consistent" not in set(existence["verdict"])


def test_uncertain_identifications_show_every_candidate(verdicts):
    text = verdicts.loc["s003_brown", "evidence"]
    for sid in ("addolorato2007", "leggio2015", "addolorato2002"):
        assert f"if {sid} (" in text
    assert verdicts.loc["s003_french_observational", "verdict"] == "consistent"  # both candidates agree


def test_every_claim_gets_a_known_verdict_and_evidence(verdicts):
    assert set(verdicts["verdict"]) <= set(claims.VERDICTS)
    assert verdicts["evidence"].str.len().min() > 10


def test_cost_evidence_shows_the_arithmetic(verdicts):
    text = verdicts.loc["s000_bacloville_per_patient", "evidence"]
    assert "1,200,000 EUR / 320 randomized = 3,750 EUR per patient" in text
    assert "4,822 USD" in text  # 3,750 x 1.2859 (Federal Reserve G.5A, 2012)


@pytest.mark.parametrize("claimed,actual,qualifier,expected", [
    (100, 100, "exact", "consistent"),
    (17, 15, "exact", "overstated"),
    (12, 15, "exact", "inconsistent"),
    (1_400_000, 1_543_080, "about", "consistent"),
    (1_000_000, 1_543_080, "about", "inconsistent"),
    (300, 90, "more_than", "overstated"),
    (30, 90, "more_than", "consistent"),
])
def test_number_comparison_rules(claimed, actual, qualifier, expected):
    assert claims.compare_number(claimed, actual, qualifier) == expected


def test_direction_rules():
    assert claims._direction_verdict("favours_baclofen", ["favours_baclofen"]) == "consistent"
    assert claims._direction_verdict("favours_baclofen", ["favours_baclofen", "no_difference"]) == "overstated"
    assert claims._direction_verdict("favours_baclofen", ["no_difference"]) == "inconsistent"
    assert claims._direction_verdict("mixed", ["favours_baclofen", "no_difference"]) == "consistent"
    assert claims._direction_verdict("favours_baclofen", ["uncontrolled_improvement"]) == "overstated"


def test_unknown_source_is_a_parameter_error():
    with pytest.raises(ParameterError, match="source"):
        claims.verdicts(load(), "999_nope")



# ---------------------------------------------------------------- claims about the body of evidence

BODY_KINDS = ("evidence_conclusive", "results_vary", "few_trials_reason", "trial_inconclusive")


@pytest.fixture(scope="module")
def ev():
    return load()


@pytest.mark.parametrize("claim_id,expected", [
    ("s000_already_proven", "overstated"),     # no TSA boundary crossed on a broad main outcome; pooled CI favours baclofen
    ("s001_miracle", "overstated"),
    ("s000_studies_craving", "unverifiable"),  # no trial reports craving against placebo
    ("s001_helpful_tool", "consistent"),       # overview g 0.45, CI 0.16 to 0.75
    ("s001_relapse", "consistent"),            # relapse RR 0.40 (0.28 to 0.57), on 9% of the randomized
    ("s003_may_abstain", "consistent"),        # abstinence RR 1.79 (1.05 to 3.04)
    ("s002_limited_data", "consistent"),
    ("s003_more_research", "consistent"),
    ("s004_insufficient_data", "consistent"),
    ("s000_conflicting", "consistent"),        # I² 76%, prediction interval spans 0, trials split
    ("s002_contradictory", "consistent"),
    ("s003_mixed", "consistent"),
    ("s004_mixed_rcts", "consistent"),         # the 2010 trials alone: split and heterogeneous
    ("s000_cost_reason", "unverifiable"),      # no table records funders' reasons
    ("s004_research_stymied", "unverifiable"),
    ("s000_dutch_inconclusive", "consistent"), # chi2 p = 0.813 and 0.982
    ("s000_bacloville_inconclusive", "inconsistent"),  # RD 21 points (8 to 34), p = 0.003
])
def test_body_of_evidence_verdicts(verdicts, claim_id, expected):
    assert verdicts.loc[claim_id, "verdict"] == expected, verdicts.loc[claim_id, "evidence"]


def test_every_body_of_evidence_claim_is_about_no_single_study_unless_named(ev):
    rows = ev.claims[ev.claims["check_kind"].isin(BODY_KINDS)]
    assert len(rows) >= 15 and rows["locator"].str.len().min() > 10
    named = rows[rows["check_kind"] == "trial_inconclusive"]
    assert named["study_id"].notna().all() and rows.loc[rows["check_kind"] != "trial_inconclusive", "study_id"].isna().all()


def test_heterogeneity_evidence_quotes_the_overview_synthesis(verdicts, ev):
    r = meta.run(ev, meta.OVERVIEW).result
    text = verdicts.loc["s000_conflicting", "evidence"]
    assert f"I² = {r.i2:.0f}%" in text and f"tau² = {fmt.significant(r.tau2)}" in text
    assert f"95% prediction interval {r.pi_low:.2f} to {r.pi_high:.2f} (spans no effect)" in text
    assert r.i2 >= claims.SUBSTANTIAL_I2 and r.pi_low < 0 < r.pi_high
    ref = coverage.reference_set(ev.studies, "placebo")
    counts = ref["direction"].value_counts()
    assert f"the {len(ref)} placebo-controlled RCTs" in text
    assert f"favours baclofen: {counts['favours_baclofen']}" in text and f"no difference: {counts['no_difference']}" in text
    studies = meta.run(ev, meta.OVERVIEW).studies
    assert f"{int((studies['yi'] > 0).sum())} favour baclofen" in text and f"{int((studies['yi'] < 0).sum())} favour placebo" in text


def test_heterogeneity_as_of_a_year_pools_only_the_trials_published_by_then(verdicts, ev):
    ma = meta.run(ev, meta.OVERVIEW)
    early = ma.studies[ma.studies["year"] <= 2010]
    r = meta.rerun(ma, early)
    text = verdicts.loc["s004_mixed_rcts", "evidence"]
    assert f"published by the end of 2010: {r.k} trials, I² = {r.i2:.0f}%" in text
    assert r.k == 3 and r.k < ma.k


def test_proven_is_decided_by_the_tsa_of_each_main_outcome_and_its_coverage(verdicts, ev):
    text = verdicts.loc["s000_already_proven", "evidence"]
    for outcome in claims.MAIN_OUTCOMES:
        t = tsa.run(ev, outcome)
        assert f"TSA {t.verdict.replace('_', ' ')}, {t.accrued:,.0f} of {t.ris_adjusted:,} required participants" in text
        assert f"(information fraction {t.fraction:.0%})" in text
    relapse = meta.run(ev, "relapse")
    assert tsa.run(ev, "relapse").verdict == "firm_benefit" and coverage.coverage(relapse).thin
    assert "so not counted as firm" in text and "approximate (SMD scale), never a firm verdict" in text
    r = meta.run(ev, meta.OVERVIEW).result
    assert f"pooled Hedges' g {r.estimate:.2f} (95% CI {r.ci_low:.2f} to {r.ci_high:.2f}" in text
    assert coverage.coverage(meta.run(ev, meta.OVERVIEW)).sentence() in text


def test_a_firm_tsa_on_a_broad_analysis_would_make_proven_consistent(ev, monkeypatch):
    """The coverage rule is what keeps relapse's crossed boundary from proving baclofen: widen it and the verdicts flip."""
    real = claims.outcome_evidence

    def broad_relapse(e, outcome_id):
        o = real(e, outcome_id)
        return dataclasses.replace(o, coverage=dataclasses.replace(o.coverage, share=0.6)) if outcome_id == "relapse" else o

    monkeypatch.setattr(claims, "outcome_evidence", broad_relapse)
    rows = ev.claims.set_index("claim_id")
    assert claims.decide(ev, rows.loc["s000_already_proven"]).verdict == "consistent"
    assert claims.decide(ev, rows.loc["s003_more_research"]).verdict == "inconsistent"


def test_a_suggestive_claim_needs_the_pooled_ci_on_baclofens_side(ev):
    claim = ev.claims.set_index("claim_id").loc["s003_may_abstain"].copy()
    claim["outcome_id"] = "dropout"  # pooled RR 0.84 (0.71 to 0.98): lower is better, so on baclofen's side
    assert claims.decide(ev, claim).verdict == "consistent"
    claim["outcome_id"] = "time_to_lapse"  # time-to-event results are never pooled
    assert claims.decide(ev, claim).verdict == "unverifiable"


def test_cost_evidence_shows_what_can_be_computed(verdicts, ev):
    text = verdicts.loc["s000_cost_reason", "evidence"]
    assert "Bacloville 2020 4,822 USD (trial budget)" in text  # EUR 1.2M / 320 at the 2012 rate
    for outcome in claims.MAIN_OUTCOMES:
        t = tsa.run(ev, outcome)
        left = settling.remaining(t.ris_adjusted, t.accrued)
        price = settling.price(ev, left)
        assert f"TSA: {left:,} more participants): {fmt.quantity(price.amount)} USD" in text
    assert "the causal part cannot be decided" in text


def test_a_trial_is_judged_on_its_own_primary_result(verdicts, ev):
    text = verdicts.loc["s000_bacloville_inconclusive", "evidence"]
    est = ev.estimates.set_index("estimate_id").loc["rigal2020_responder_rd"]
    assert f"RD {est['estimate']:g}, 95% CI {est['ci_low']:g} to {est['ci_high']:g}, p = {est['p_value']:g}" in text
    assert "primary outcome responder" in text and "a difference was shown" in text
    dutch = verdicts.loc["s000_dutch_inconclusive", "evidence"]
    assert "chi2 0.41, p = 0.813" in dutch and "chi2 0.04, p = 0.982" in dutch and "no difference was shown" in dutch
    claim = ev.claims.set_index("claim_id").loc["s000_dutch_inconclusive"].copy()
    claim["study_id"] = "reynaud2017"  # ALPADIR, named by none of the five articles
    v = claims.decide(ev, claim)
    assert v.verdict == "consistent" and "OR 1.2, 95% CI 0.58 to 2.5, p = 0.618" in v.evidence


def test_a_trial_without_printed_numbers_falls_back_on_its_overview_effect_then_its_direction(ev):
    claim = ev.claims.set_index("claim_id").loc["s000_dutch_inconclusive"].copy()
    claim["study_id"] = "addolorato2002"  # no primary estimate printed; in the overview at g 1.20 (0.39 to 2.00)
    v = claims.decide(ev, claim)
    assert v.verdict == "inconsistent" and "Decided by its effect in the overview synthesis" in v.evidence
    claim["study_id"] = "ponizovsky2015"  # neither: the authors' "no difference" decides
    v = claims.decide(ev, claim)
    assert v.verdict == "consistent" and "Decided by the authors' direction only" in v.evidence


def test_body_of_evidence_checks_on_the_fixture(package):
    """The fixture's three made-up trials: every check answers, from the fixture's own analyses."""
    assert validate(package) == []
    ev = load(package)
    v = claims.verdicts(ev).set_index("claim_id")
    assert set(ev.claims.loc[ev.claims["check_kind"].isin(BODY_KINDS), "check_kind"]) == set(BODY_KINDS)
    assert v.loc["test_cost_reason", "verdict"] == "unverifiable"
    # the fixture has no published estimate to size the % days abstinent TSA by: said, not raised
    assert "% days abstinent: no TSA: mird" in v.loc["test_proven", "evidence"]
    assert v.loc["test_proven", "verdict"] in ("overstated", "inconsistent")
    r = meta.run(ev, meta.OVERVIEW).result
    if r is not None:
        assert f"I² = {r.i2:.0f}%" in v.loc["test_mixed", "evidence"]
    assert v.loc["test_gamma_inconclusive", "evidence"].startswith("Gamma 2015: primary outcome")


def test_a_body_of_evidence_check_refuses_a_claimed_value_it_cannot_read(package):
    row = set_cell(package / "claims.csv", {"claim_id": "test_proven"}, "claimed_value", "favours_baclofen")
    problems = [str(p) for p in validate(package)]
    assert problems == [f"claims.csv:{row}:claimed_value: the evidence_conclusive check understands proven, suggestive, "
                        "not_proven, not 'favours_baclofen'"]


def test_the_claims_table_names_the_evidence_base_for_claims_about_no_study(monkeypatch, tmp_path):
    from baclofen_evidence.sections import claims as section
    from baclofen_evidence.sections import common

    shown = []
    monkeypatch.setattr(common, "display", shown.append)
    source = "004_4b9c85084edf9aba"
    section.ClaimsReport(source=source, figures_dir=str(tmp_path)).verdict_table()
    html = "".join(getattr(x, "data", "") for x in shown)
    rows = load().claims
    no_study = rows[(rows["source_id"] == source) & rows["study_id"].isna()]
    assert len(no_study) >= 2 and html.count("(evidence base)") == len(no_study)
