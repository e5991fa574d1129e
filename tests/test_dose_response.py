"""Dose-response: permutation test and within-trial contrasts (the regression is pinned to metafor)."""

import math

import numpy as np
import pytest

from baclofen_evidence import dose_response as dr
from baclofen_evidence.datapackage import load


def test_permutation_p_is_exact_for_few_comparisons():
    y, v, d = np.array([0.1, 0.3, 0.5, 0.7]), np.array([0.05] * 4), np.array([30.0, 60.0, 90.0, 120.0])
    p, n, exact = dr.permutation_p(y, v, d)
    assert exact and n == math.factorial(4)
    assert p == pytest.approx(2 / 24)  # only the observed order and its reverse reach the observed |z|


def test_permutation_p_is_reproducible_when_sampled(monkeypatch):
    monkeypatch.setattr(dr, "N_PERMUTATIONS", 300)
    rng = np.random.default_rng(1)
    y, v, d = rng.normal(size=9), np.full(9, 0.1), np.arange(9.0) * 20
    assert dr.permutation_p(y, v, d) == dr.permutation_p(y, v, d)
    assert dr.permutation_p(y, v, d)[1] == 300


def test_too_few_comparisons_say_why():
    res = dr.dose_response(load(), "pct_days_abstinent")
    assert res.fit is None and "at least 3 comparisons" in res.reason


def test_within_trial_contrasts_cover_every_multi_dose_trial():
    c = dr.within_trial_contrasts(load())
    assert {"beraha2016", "addolorato2011", "morley2014", "morley2018", "garbutt2021"} <= set(c["study_id"])
    g = c[(c["study_id"] == "garbutt2021") & (c["outcome"] == "dropout")].iloc[0]
    assert g["high_vs_low"] == pytest.approx((13 / 37) / (17 / 43))
