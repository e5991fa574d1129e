"""Effect sizes and the stated zero-cell rule, beyond the metafor pins in test_metafor_reference.py."""

import math

import numpy as np
import pytest

from baclofen_evidence.effect_sizes import binary_effects, continuous_effects, hedges_correction


def test_log_risk_ratio_by_hand():
    eff = binary_effects([14], [20], [4], [19], "RR")  # Addolorato 2002, abstinence
    assert eff.yi[0] == pytest.approx(math.log((14 / 20) / (4 / 19)))
    assert eff.vi[0] == pytest.approx(1 / 14 - 1 / 20 + 1 / 4 - 1 / 19)


def test_correction_is_added_only_where_a_zero_occurs():
    eff = binary_effects([0, 5], [20, 20], [3, 4], [20, 20], "OR")
    assert list(eff.corrected) == [True, False]
    assert eff.yi[0] == pytest.approx(math.log((0.5 * 17.5) / (20.5 * 3.5)))


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_double_zero_studies_are_dropped_for_ratios(measure):
    eff = binary_effects([0, 10], [15, 10], [0, 10], [15, 10], measure)
    assert np.isnan(eff.yi).all()
    assert all("both arms" in reason for reason in eff.dropped)


def test_double_zero_studies_stay_for_risk_difference():
    eff = binary_effects([0], [15], [0], [15], "RD")
    assert eff.yi[0] == 0 and eff.vi[0] > 0 and eff.dropped == [None]


def test_hedges_g_uses_the_exact_correction():
    # J(m) tends to 1 - 3/(4m - 1) for large m
    assert hedges_correction(200) == pytest.approx(1 - 3 / (4 * 200 - 1), rel=1e-5)
    eff = continuous_effects([10], [2], [10], [8], [2], [10], "SMD")
    assert eff.yi[0] == pytest.approx(hedges_correction(18) * 1.0)


def test_wrong_measure_for_outcome_kind_is_refused():
    with pytest.raises(ValueError, match="binary"):
        binary_effects([1], [2], [1], [2], "SMD")
