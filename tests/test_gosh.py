"""The GOSH engine's behaviour: chunking, executors, sampling, non-convergence, influence.

Its numbers are pinned to R metafor's gosh() in tests/test_gosh_reference.py; these tests check that
the way the work is split, where it runs and how subsets are drawn never change a result.
"""

from __future__ import annotations

import concurrent.futures as cf
import math

import numpy as np
import pytest

from baclofen_evidence import gosh

RNG = np.random.default_rng(7)
YI = RNG.normal(0.3, 0.5, 8)
VI = RNG.uniform(0.02, 0.3, 8)


def test_subset_numbers_are_bit_masks():
    m = gosh.masks_from_numbers(np.array([1, 2, 5, 255]), 8)
    assert m[0].tolist() == [True] + [False] * 7
    assert m[1].tolist() == [False, True] + [False] * 6
    assert m[2].tolist() == [True, False, True] + [False] * 5
    assert m[3].all()


def test_exhaustive_run_has_every_non_empty_subset_once():
    res = gosh.run(YI, VI, method="DL")
    assert res.exhaustive and res.n_subsets == 255
    keys = {row.tobytes() for row in res.masks}
    assert len(keys) == 255 and res.masks.any(1).all()
    np.testing.assert_array_equal(res.stats["k"], res.masks.sum(1))


@pytest.mark.parametrize("method", gosh.METHODS)
def test_chunking_does_not_change_any_result(method):
    whole = gosh.run(YI, VI, method=method, chunk=1024)
    pieces = gosh.run(YI, VI, method=method, chunk=7)
    np.testing.assert_array_equal(whole.masks, pieces.masks)
    np.testing.assert_array_equal(whole.stats.to_numpy(), pieces.stats.to_numpy())


def test_process_and_thread_executors_give_the_inline_result():
    inline = gosh.run(YI, VI, method="REML", chunk=50)
    with cf.ThreadPoolExecutor(2) as ex:
        threads = gosh.run(YI, VI, method="REML", chunk=50, executor=ex)
    with cf.ProcessPoolExecutor(2) as ex:
        procs = gosh.run(YI, VI, method="REML", chunk=50, executor=ex)
    for other in (threads, procs):
        np.testing.assert_array_equal(inline.masks, other.masks)
        np.testing.assert_array_equal(inline.stats.to_numpy(), other.stats.to_numpy())
    assert procs.executor == "ProcessPoolExecutor"


def test_default_executor_is_a_process_pool_above_the_inline_limit(monkeypatch):
    monkeypatch.setattr(gosh, "INLINE_LIMIT", 100)
    res = gosh.run(YI, VI, method="PM", chunk=64, workers=2)
    assert res.executor == "ProcessPoolExecutor"
    np.testing.assert_array_equal(res.stats.to_numpy(), gosh.run(YI, VI, method="PM", chunk=64, workers=1).stats.to_numpy())


def test_above_the_limit_a_seeded_sample_is_drawn():
    a = gosh.run(YI, VI, method="FE", max_subsets=100, chunk=30, seed=3)
    b = gosh.run(YI, VI, method="FE", max_subsets=100, chunk=30, seed=3)
    c = gosh.run(YI, VI, method="FE", max_subsets=100, chunk=30, seed=4)
    assert not a.exhaustive and a.n_subsets == 100 and a.seed == 3
    np.testing.assert_array_equal(a.masks, b.masks)
    assert not np.array_equal(a.masks, c.masks)
    assert a.masks.any(1).all()
    assert "random sample of 100 of the 255 subsets" in a.description()


def test_sampled_subset_sizes_follow_the_binomial_as_in_metafor():
    m = gosh.sample_masks(12, 20000, 1)
    sizes = m.sum(1)
    assert sizes.min() >= 1
    expected = 12 / 2 / (1 - 0.5**12)  # mean of Binomial(12, 1/2) given at least 1
    assert sizes.mean() == pytest.approx(expected, abs=0.05)
    # every study equally likely to be drawn
    assert np.abs(m.mean(0) - m.mean()).max() < 0.02


def test_sampling_takes_over_at_k_20_by_default():
    assert gosh.plan(19)[1] is True
    assert gosh.plan(20)[1] is False
    assert gosh.total_subsets(19) <= gosh.MAX_SUBSETS < gosh.total_subsets(20)


def test_sampling_works_beyond_64_studies():
    yi, vi = RNG.normal(size=70), RNG.uniform(0.1, 0.2, 70)
    res = gosh.run(yi, vi, method="DL", max_subsets=500, chunk=200)
    assert res.masks.shape == (500, 70) and not res.exhaustive


def test_unconverged_subsets_are_flagged_and_never_given_a_value():
    res = gosh.run(YI, VI, method="REML", max_iter=1)
    stats = res.stats
    bad = ~stats["converged"]
    assert res.n_unconverged > 0
    assert stats.loc[bad, ["estimate", "se", "tau2", "i2"]].isna().all().all()
    assert stats.loc[~bad, "estimate"].notna().all()
    fine = gosh.run(YI, VI, method="REML")
    assert fine.n_unconverged == 0 and fine.stats["iterations"].max() < gosh.MAX_ITER


def test_single_study_subsets_are_the_study_itself():
    res = gosh.run(YI, VI, method="REML")
    one = res.stats["k"] == 1
    idx = res.masks[one.to_numpy()].argmax(1)
    np.testing.assert_allclose(res.stats.loc[one, "estimate"], YI[idx])
    np.testing.assert_allclose(res.stats.loc[one, "se"], np.sqrt(VI[idx]))
    assert (res.stats.loc[one, ["tau2", "q", "i2"]] == 0).all().all()


def test_influence_names_the_outlier():
    yi = np.array([0.1, 0.15, 0.05, 0.12, 1.5])
    vi = np.full(5, 0.02)
    res = gosh.run(yi, vi, list("abcde"), method="REML")
    table = gosh.influence(res)
    top = gosh.most_influential(table, "shift_estimate", 1)
    assert top["study"].tolist() == ["e"] and top["shift_estimate"].iloc[0] > 0
    assert gosh.most_influential(table, "shift_i2", 1)["study"].tolist() == ["e"]
    assert (table["subsets_with"] == 15).all()  # each study is in 15 of the 26 subsets with k >= 2


def test_members_lists_study_ids():
    res = gosh.run([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["x", "y", "z"], method="FE")
    assert res.members() == ["x", "y", "x;y", "z", "x;z", "y;z", "x;y;z"]
    assert list(res.table().columns[:3]) == ["members", "k", "estimate"]


@pytest.mark.parametrize("bad", [([0.1, math.nan], [0.1, 0.1]), ([0.1, 0.2], [0.1, 0.0]), ([0.1], [0.1, 0.2])])
def test_bad_effects_are_refused(bad):
    with pytest.raises(ValueError):
        gosh.run(*bad)
