"""The multiverse: every specification is the meta-analysis report's own analysis with those settings,
impossible and duplicate combinations are dropped and counted, and the summaries add up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import multiverse as mvm
from baclofen_evidence.datapackage import load


@pytest.fixture(scope="module")
def ev():
    return load()


@pytest.fixture(scope="module")
def mv(ev):
    return mvm.build(ev)


def test_grid_is_every_combination_and_each_is_kept_or_dropped(mv):
    n_sets = len(mvm.FILTERS) + len(mv.trials_left_out)
    assert mv.grid_size == n_sets * len(mvm.OUTCOMES) * len(mvm.ESTIMATORS) * 2 * len(mvm.DOSE_BANDS)
    assert mv.n + len(mv.dropped) == mv.grid_size
    assert mv.drop_reasons()["specifications"].sum() == len(mv.dropped)
    assert set(mv.drop_reasons()["reason"]) <= {"fewer than 2 trials", "filter removes no trial",
                                               "left-out trial not in this analysis", "same trials as another specification"}


def test_no_two_specifications_pool_the_same_trials_the_same_way(mv):
    keys = mv.specs[["outcome", "dose", "estimator", "hksj", "trial_ids", "k"]].astype(str).agg("|".join, axis=1)
    assert keys.is_unique


def test_every_kept_specification_has_at_least_two_trials(mv):
    assert (mv.specs["k"] >= 2).all()


def test_the_default_specification_is_the_overview_report(ev, mv):
    d = mv.specs[mv.specs["default"]]
    assert len(d) == 1
    ma = meta.run(ev, meta.OVERVIEW)
    assert d["estimate"].iloc[0] == pytest.approx(ma.result.estimate, abs=1e-12)
    assert d["ci_low"].iloc[0] == pytest.approx(ma.result.ci_low, abs=1e-12)
    assert d["k"].iloc[0] == ma.k


def _settings(trials: str) -> dict:
    if trials in mvm.FILTERS:
        return dict(mvm.FILTERS[trials])
    return {"exclude": [trials.removeprefix("without ")]}


def test_every_nineteenth_specification_equals_the_meta_analysis_with_its_settings(ev, mv):
    """Each row re-run from scratch, without the multiverse's row cache, through meta_analysis.run()."""
    sample = mv.specs.iloc[::19]  # 19: coprime with the 8 estimator variants, so every estimator comes up
    assert len(sample) >= 10 and set(sample["estimator"]) == set(mvm.ESTIMATORS)
    for row in sample.itertuples():
        m = mvm.OUTCOMES[row.outcome]
        ma = meta.run(ev, row.outcome, m, method=row.estimator, hksj=row.hksj, **mvm.DOSE_BANDS[row.dose], **_settings(row.trials))
        factor = (mvm.CHINN if m == "OR" else 1.0) * (-1 if row.outcome == "pct_heavy_drinking_days" else 1)
        lo, hi = sorted((factor * ma.result.ci_low, factor * ma.result.ci_high))
        assert row.estimate == pytest.approx(factor * ma.result.estimate, abs=1e-12), row
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-12), row
        assert row.k == ma.k and row.p == pytest.approx(ma.result.p, rel=1e-9)


def test_lower_is_better_outcomes_change_sign(ev, mv):
    row = mv.specs[(mv.specs["outcome"] == "pct_heavy_drinking_days") & mv.specs["trials"].eq("all trials")
                   & mv.specs["estimator"].eq("REML") & ~mv.specs["hksj"] & mv.specs["dose"].eq("all")]
    ma = meta.run(ev, "pct_heavy_drinking_days", "SMD")
    assert row["estimate"].iloc[0] == pytest.approx(-ma.result.estimate, abs=1e-12)
    assert row["ci_low"].iloc[0] == pytest.approx(-ma.result.ci_high, abs=1e-12)


def test_shares_add_up(mv):
    s = mv.summary()
    assert s["specifications"] == mv.n
    assert s["share_favouring_baclofen"] == pytest.approx((mv.specs["estimate"] > 0).mean())
    excl = (mv.specs["ci_low"] > 0) | (mv.specs["ci_high"] < 0)
    assert s["share_ci_excludes_null"] == pytest.approx(excl.mean())


def test_hksj_never_moves_the_estimate_but_does_move_verdicts(mv):
    eff = mvm.choice_effects(mv).set_index("choice")
    assert eff.loc["hksj", "mean_abs_shift"] == 0
    assert eff.loc["hksj", "share_verdict_flips"] > 0
    assert eff["mean_abs_shift"].is_monotonic_decreasing


def test_choice_effect_on_a_hand_made_multiverse():
    import pandas as pd

    specs = pd.DataFrame({"trials": ["all trials"] * 4, "outcome": ["a", "a", "b", "b"], "estimator": ["REML", "FE"] * 2,
                          "hksj": [False] * 4, "dose": ["all"] * 4, "estimate": [0.1, 0.3, 0.5, 0.6],
                          "ci_excludes_null": [False, True, True, True]})
    eff = mvm.choice_effects(mvm.Multiverse(specs, pd.DataFrame(), 4)).set_index("choice")
    assert eff.loc["outcome", "mean_abs_shift"] == pytest.approx((0.4 + 0.3) / 2)
    assert eff.loc["estimator", "mean_abs_shift"] == pytest.approx((0.2 + 0.1) / 2)
    assert eff.loc["estimator", "share_verdict_flips"] == pytest.approx(0.5)
    assert math.isnan(eff.loc["dose", "mean_abs_shift"])


def test_multiverse_command(capsys):
    import json

    from baclofen_evidence.cli import main

    assert main(["multiverse", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} is not strict JSON"))
    assert doc["summary"]["specifications"] == len(doc["specifications"])
    assert {"trials", "outcome", "estimator", "hksj", "dose", "estimate", "ci_low", "ci_high"} <= set(doc["specifications"][0])
    assert main(["multiverse", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("trials,outcome,estimator,hksj,dose,k")
