"""Verdicts on the sources' claims, computed from the data.

Expected verdicts on the shipped data were checked by hand against the publications: de Beaurepaire
et al. 2019 (Front Psychiatry, abstract) count 15 published RCTs by January 2019, three above
100 mg/day, plus two unpublished; the US trials' doses are 30-90 mg/day (Garbutt 2010 and 2021,
Leggio 2015, Hauser 2017); Bacloville's budget was EUR 1.2 million (Le Généraliste, March 2012).
"""

import pytest

from baclofen_evidence import claims
from baclofen_evidence.datapackage import load
from baclofen_evidence.parameters import ParameterError


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
