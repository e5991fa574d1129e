"""Pooling behaviour that the metafor pins do not show on their own."""

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from baclofen_evidence.pooling import pool, tau2_dl, tau2_pm

HOMOGENEOUS = (np.array([0.10, 0.11, 0.09, 0.10, 0.105]), np.array([0.04, 0.05, 0.03, 0.06, 0.05]))
HETEROGENEOUS = (np.array([-0.9, 0.1, 0.8, 1.5, -0.2]), np.array([0.04, 0.05, 0.03, 0.06, 0.05]))


def test_dl_tau2_is_truncated_at_zero_where_statsmodels_goes_negative():
    with np.errstate(invalid="ignore"):
        assert combine_effects(*HOMOGENEOUS, method_re="chi2").tau2 < 0
    assert tau2_dl(*HOMOGENEOUS) == 0.0
    res = pool(*HOMOGENEOUS, method="DL")
    fe = pool(*HOMOGENEOUS, method="FE")
    assert res.estimate == pytest.approx(fe.estimate) and res.i2 == 0.0


def test_dl_and_pm_agree_with_statsmodels_when_heterogeneity_is_real():
    assert tau2_dl(*HETEROGENEOUS) == pytest.approx(combine_effects(*HETEROGENEOUS, method_re="chi2").tau2)
    assert tau2_pm(*HETEROGENEOUS) == pytest.approx(combine_effects(*HETEROGENEOUS, method_re="iterated").tau2, abs=1e-4)


def test_i2_under_random_effects_is_tau2_based_not_q_based():
    res = pool(*HETEROGENEOUS, method="PM")
    q_based = 100 * (res.q - res.q_df) / res.q
    w = 1 / HETEROGENEOUS[1]
    s2 = (len(w) - 1) * w.sum() / (w.sum() ** 2 - (w ** 2).sum())
    assert res.i2 == pytest.approx(100 * res.tau2 / (res.tau2 + s2))
    assert res.i2 != pytest.approx(q_based)


def test_prediction_interval_is_wider_than_the_confidence_interval():
    res = pool(*HETEROGENEOUS, method="REML")
    assert res.pi_low < res.ci_low < res.estimate < res.ci_high < res.pi_high


def test_hksj_uses_t_with_k_minus_1_df():
    plain, hk = pool(*HETEROGENEOUS, method="REML"), pool(*HETEROGENEOUS, method="REML", hksj=True)
    assert hk.hksj and not plain.hksj and hk.estimate == pytest.approx(plain.estimate)
    assert hk.ci_high - hk.ci_low > 0 and hk.stat == pytest.approx(hk.estimate / hk.se)


def test_weights_are_percentages():
    res = pool(*HETEROGENEOUS, method="DL")
    assert res.weights.sum() == pytest.approx(100)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        pool(*HETEROGENEOUS, method="ML")
