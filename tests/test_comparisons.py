"""From arms and outcomes to comparisons: merged multi-dose arms, split shared controls."""

import pytest

from baclofen_evidence import comparisons as comp
from baclofen_evidence.datapackage import load
from baclofen_evidence.meta_analysis import comparisons_for


@pytest.fixture(scope="module")
def ev():
    return load()


def test_multi_dose_trial_is_merged_once(ev):
    c = comp.build(ev, "dropout", "placebo", "combined")
    g = c[c["study_id"] == "garbutt2021"]
    assert len(g) == 1
    # registry participant flow: 17/43 (30 mg) and 13/37 (90 mg) vs 17/40 placebo
    assert (g["ai"].iloc[0], g["n1i"].iloc[0], g["ci"].iloc[0], g["n2i"].iloc[0]) == (30, 80, 17, 40)


def test_split_mode_shares_the_control_group_out(ev):
    c = comp.build(ev, "dropout", "placebo", "split")
    g = c[c["study_id"] == "garbutt2021"]
    assert list(g["dose_mg_day"]) == [30, 90]
    assert list(g["n2i"]) == [20, 20] and list(g["ci"]) == [8.5, 8.5]
    assert comp.participants(g) == 120


def test_relapse_falls_back_on_the_complement_of_abstinence(ev):
    c = comparisons_for(ev, "relapse", "placebo", "combined")
    a = c[c["study_id"] == "addolorato2007"].iloc[0]
    assert (a["ai"], a["ci"]) == (42 - 30, 42 - 12)
    assert a["source_outcome"] == "abstinence (complement)"


def test_active_comparator_trials_are_not_pooled_against_placebo(ev):
    placebo = comp.build(ev, "abstinence", "placebo", "combined")
    active = comp.build(ev, "abstinence", "active", "combined")
    assert "jose2019" not in set(placebo["study_id"]) and "jose2019" in set(active["study_id"])


def test_combining_continuous_groups_follows_the_cochrane_handbook():
    m, s, n = comp.combine_continuous([10, 20], [2, 2], [10, 10])
    assert (m, n) == (15, 20)
    assert s == pytest.approx((((9 * 4 + 9 * 4) + 10 * 10 / 20 * 100) / 19) ** 0.5)
