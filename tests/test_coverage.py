"""Coverage of pooled results: how much of the randomized evidence each rests on, and why trials are out."""

from __future__ import annotations

import pytest

from baclofen_evidence import coverage
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import load
from baclofen_evidence.sections.meta_analysis import headline_text


@pytest.fixture(scope="module")
def ev():
    return load()


def test_coverage_counts_participants_against_every_placebo_rct(ev):
    ma = meta.run(ev, "abstinence")
    c = coverage.coverage(ma)
    ref = ev.studies[(ev.studies["design"] == "rct") & (ev.studies["comparator"] == "placebo") & (ev.studies["substance"] == "alcohol")]
    assert c.reference_trials == len(ref) and c.reference_randomized == int(ref["n_randomized"].sum())
    assert c.participants == pytest.approx(ma.studies["participants"].sum())
    assert c.share == pytest.approx(c.participants / c.reference_randomized)


def test_abstinence_takes_every_trial_with_a_reachable_result_however_reported(ev):
    routes = meta.run(ev, "abstinence").studies.set_index("study_id")["route"].to_dict()
    assert routes["addolorato2007"] == "arm_level"  # counts printed
    assert routes["reynaud2017"] == "converted"     # only an OR with its CI (11.9% of 158 is no whole count)
    assert routes["hauser2017"] == "converted"      # only a p-value with group sizes (press)


def test_every_rct_out_of_an_analysis_has_its_reason(ev):
    ma = meta.run(ev, meta.OVERVIEW)
    flow = coverage.flow(ma).set_index("study_id")
    assert set(ma.studies["study_id"]) == set(flow.index[flow["Status"] == "in this analysis"])
    out = flow[flow["Status"] != "in this analysis"]
    assert (out["Route or reason"].str.len() > 10).all()
    assert "1 (numerator) degree of freedom" in flow.loc["beraha2016", "Route or reason"]
    assert "not randomized" in flow.loc["snmc_agra2024", "Route or reason"]
    assert "comparator: active" in flow.loc["koppad2024", "Route or reason"]


def test_matrix_names_which_trials_are_in_no_pooled_analysis(ev):
    grid = coverage.matrix(ev)
    assert set(grid.index[grid["In any analysis"] == "yes"]) >= {"rigal2020", "reynaud2017", "garbutt2021", "morley2018"}
    assert grid.loc["garbutt2010", "% heavy drinking days (SMD)"] == "converted (weak)"
    assert grid.loc["krupitsky1993", "In any analysis"] == "no"


def test_headline_states_coverage_prediction_interval_hksj_and_thinness(ev):
    thin = headline_text(meta.run(ev, "relapse"))
    assert "3 of 16 trials" in thin and "prediction interval" in thin and "Hartung-Knapp-Sidik-Jonkman" in thin
    assert thin.endswith("It rests on less than half of the participants randomized in these trials.")
    broad = headline_text(meta.run(ev, meta.OVERVIEW))
    assert "less than half" not in broad and "72% of the 1,754 randomized" in broad
