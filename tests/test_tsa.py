"""Trial sequential analysis on the shipped data: the CLI's JSON, its boundaries against rpact at its own
information fractions, its RIS against the formula for its own inputs, the TSA rules, and the costs."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess

import pytest

from baclofen_evidence import config
from baclofen_evidence import group_sequential as gs
from baclofen_evidence import information_size as info
from baclofen_evidence import settling, tsa
from baclofen_evidence.datapackage import load
from baclofen_evidence.parameters import ParameterError

RPACT = {d["case"]: d for d in json.loads((config.METAFOR_REFERENCE.parent / "rpact_reference.json").read_text())["designs"]}


def cli(*args: str) -> subprocess.CompletedProcess:
    """The command line, run in this process (the installed command itself is tested in test_cli.py): what a
    user sees on stdout and stderr, and the exit status, without paying an interpreter start per call."""
    from baclofen_evidence.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
    return subprocess.CompletedProcess(["baclofen-evidence", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def relapse_json() -> dict:
    out = cli("tsa", "--outcome", "relapse", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # strict: json.loads accepts NaN, so check below too


def test_json_has_the_documented_keys(relapse_json):
    d = relapse_json
    for key in ("control_event_proportion", "rrr", "alpha", "beta", "d2", "ris", "ris_adjusted", "accrued", "fraction",
                "looks", "verdict", "cost_to_settle"):
        assert key in d, key
    for look in d["looks"]:
        assert {"study_id", "cumulative_participants", "fraction", "z", "z_efficacy", "z_futility"} <= set(look)
    assert [look["cumulative_participants"] for look in d["looks"]] == sorted(look["cumulative_participants"] for look in d["looks"])
    assert {"remaining_participants", "per_patient", "currency", "amount"} <= set(d["cost_to_settle"])
    assert "NaN" not in json.dumps(d) and "Infinity" not in json.dumps(d)


def test_relapse_boundaries_match_rpact_at_its_own_fractions(relapse_json):
    d = relapse_json
    ref = RPACT["tsa_relapse"]
    assert d["design_fractions"] == pytest.approx(ref["fractions"], abs=1e-9)
    bounds = {look["boundary_fraction"]: look for look in d["looks"] if look["separate_look"]}
    for frac, crit in zip(ref["fractions"], ref["critical_values"]):
        if frac in bounds:
            assert bounds[frac]["z_efficacy"] == pytest.approx(crit, abs=1e-6)
    futility = ref["futility_bounds"] if isinstance(ref["futility_bounds"], list) else [ref["futility_bounds"]]
    for frac, fut in zip(ref["fractions"], futility):
        if frac in bounds and fut is not None:
            assert bounds[frac]["z_futility"] == pytest.approx(fut, abs=1e-6)


def test_relapse_ris_is_the_formula_on_its_own_inputs(relapse_json):
    d = relapse_json
    pc, rrr = d["control_event_proportion"], d["rrr"]
    pe = pc * (1 - rrr)
    pbar = (pc + pe) / 2
    z = 1.959963984540054 + 0.8416212335729143  # z_{0.975} + z_{0.80}
    assert d["ris"] == math.ceil(4 * z**2 * pbar * (1 - pbar) / (pc - pe) ** 2)
    assert d["ris_adjusted"] == math.ceil(4 * z**2 * pbar * (1 - pbar) / (pc - pe) ** 2 / (1 - d["d2"]))
    assert d["fraction"] == pytest.approx(d["accrued"] / d["ris_adjusted"])


def test_the_cost_to_settle_is_remaining_times_per_patient(relapse_json):
    c = relapse_json["cost_to_settle"]
    assert c["remaining_participants"] == max(0, round(relapse_json["ris_adjusted"] - relapse_json["accrued"]))
    assert c["amount"] == pytest.approx(c["remaining_participants"] * c["per_patient"])
    assert c["cost_id"] == "bacloville_budget_2012" and c["currency"] == "USD"
    # Bacloville: EUR 1.2 million / 320 randomized x the 2012 rate in exchange_rates.csv
    assert c["per_patient"] == pytest.approx(1_200_000 / 320 * 1.2859)
    assert {r["basis"] for r in c["range"]} == {"trial budget", "grant award (part of the cost)"}


def test_bad_inputs_fail_cleanly():
    # Every one is a usage error (exit 2): an outcome outside the declared choices is refused by the option itself.
    for args, words in ((["--outcome", "nosuch"], "outcome: 'nosuch' is not one of relapse"),
                        (["--outcome", "relapse", "--rrr", "1.5"], "rrr"),
                        (["--outcome", "relapse", "--alpha", "0.7"], "alpha"),
                        (["--outcome", "relapse", "--cost-source", "x"], "cost_source"),
                        (["--outcome", "pct_days_abstinent", "--sd", "-2"], "sd")):
        out = cli("tsa", *args)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, args


@pytest.fixture(scope="module")
def ev():
    return load()


def test_zero_diversity_gets_the_sensitivity_at_25_and_50_percent(ev):
    t = tsa.run(ev, "relapse")
    assert t.d2_observed == 0
    rows = tsa.sensitivity(ev, t)
    assert [r["d2"] for r in rows] == [0.25, 0.5]
    assert rows[0]["ris_adjusted"] == info.participants(info.ris_binary(t.inputs.control_event_proportion, t.inputs.rrr) / 0.75)


def test_diversity_is_one_minus_the_ratio_of_fixed_to_random_variance(ev):
    t = tsa.run(ev, "abstinence")
    from baclofen_evidence import meta_analysis as meta
    from baclofen_evidence.pooling import pool

    s = meta.run(ev, "abstinence").studies
    vf, vr = pool(s["yi"], s["vi"], "FE").se ** 2, pool(s["yi"], s["vi"], "DL").se ** 2
    assert t.d2 == pytest.approx(1 - vf / vr)
    assert t.ris_adjusted == info.participants(info.ris_binary(t.inputs.control_event_proportion, -0.2) / (1 - t.d2))


def test_a_conventionally_significant_result_short_of_the_boundary_is_said_in_words(ev):
    t = tsa.run(ev, "dropout")
    assert t.verdict == "inconclusive" and t.pooled["p"] < 0.05
    assert "conventionally significant" in t.conventional and "not crossed" in t.conventional


def test_small_trials_and_unreachable_bounds_are_not_separate_looks(ev):
    t = tsa.run(ev, "abstinence")
    first = t.looks[0]
    assert not first.separate_look and first.z_efficacy is None
    assert all(not look.separate_look for look in t.looks if look.fraction < 0.01)


def test_information_beyond_the_ris_makes_the_ris_the_final_look(ev):
    t = tsa.run(ev, "dropout", rrr=0.5)  # a large anticipated effect: a small RIS, passed by the later trials
    assert t.fraction > 1
    assert t.design[-1] == 1.0 and all(f <= 1 for f in t.design)
    beyond = [look for look in t.looks if look.fraction > 1 and not look.separate_look]
    assert beyond and all(look.z_efficacy == pytest.approx(t.final_efficacy) for look in beyond)


def test_overview_is_labelled_approximate(ev):
    t = tsa.run(ev, "primary_drinking")
    assert t.approximate and t.inputs.kind == "standardised" and t.inputs.sd == 1.0
    assert t.verdict_text.startswith("approximate")


def test_dose_question_uses_the_subgroup_estimates(ev):
    pc = tsa.pooled_control_proportion(__import__("baclofen_evidence.meta_analysis", fromlist=["run"]).run(ev, "abstinence"))[0]
    d = settling.dose_question(ev, pc, 0.05, 0.2)
    assert d.ris == info.participants(info.ris_two_proportions(pc * d.rr_low, pc * d.rr_high))


def test_spent_counts_each_trial_once(ev):
    s = settling.spent(ev)
    assert s.items["study_id"].is_unique
    assert s.lower_bound  # Garbutt 2010 has only a grant award


def test_fractions_must_increase_within_0_and_1():
    with pytest.raises(ValueError, match="increase strictly"):
        gs.efficacy_bounds([0.5, 0.4, 1.0])
    with pytest.raises(ParameterError, match="d2"):
        info.adjusted(100, 1.0)


def test_a_budget_without_an_exchange_rate_is_named_not_dropped_from_the_cost_range():
    # exchange_rates.csv has no USD->EUR rate for 2006, so Garbutt 2010's grant (USD, FY2006) cannot be shown in EUR.
    out = cli("tsa", "--outcome", "relapse", "--currency", "EUR", "--format", "json")
    cost = json.loads(out.stdout)["cost_to_settle"]
    assert [r["cost_id"] for r in cost["not_converted"]] == ["garbutt2010_r21_fy2006"]
    assert "no USD->EUR rate for 2006" in cost["not_converted"][0]["reason"]
    assert "garbutt2010_r21_fy2006" not in {r["cost_id"] for r in cost["range"]} and cost["range"]
    assert {r["currency"] for r in cost["range"]} == {"EUR"}


def test_the_default_cost_is_never_swapped_for_another_when_it_cannot_be_converted():
    # Bacloville's budget is in EUR of 2012 and the table has no 2012 rate to CAD: refuse, naming it, rather than price another trial.
    out = cli("tsa", "--outcome", "relapse", "--currency", "CAD")
    assert out.returncode == 2 and "bacloville_budget_2012" in out.stderr and "CAD" in out.stderr and "Traceback" not in out.stderr
