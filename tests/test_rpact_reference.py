"""The trial sequential analysis against R rpact and the TSA manual's worked example.

rpact_reference.json is written by tests/reference/rpact_reference.R (`make reference`) and committed,
so these tests run without R. Designs: fixed ones (equal and unequal spacing, a first look too early to
reach, many looks, other error rates) and every TSA report's own information fractions. rpact computes
the efficacy bounds with getDesignGroupSequential(sided = 2, typeOfDesign = "asOF") and the futility
bounds with typeBetaSpending = "bsOF", bindingFutility = FALSE (two-sided beta spending, flagged
experimental by rpact).
"""

from __future__ import annotations

import json
import math

import pytest

from baclofen_evidence import config
from baclofen_evidence import group_sequential as gs
from baclofen_evidence import information_size as info

HERE = config.METAFOR_REFERENCE.parent
REFERENCE = json.loads((HERE / "rpact_reference.json").read_text())
MANUAL = json.loads((HERE / "tsa_manual.json").read_text())
TOL = 1e-6
VECTORS = ("fractions", "critical_values", "alpha_spent", "futility_bounds", "beta_spent")


def _list(x):
    return x if isinstance(x, list) else [x]  # R's JSON writer unboxes a vector of length one


DESIGNS = [{k: _list(v) if k in VECTORS else v for k, v in d.items()} for d in REFERENCE["designs"]]


def _same(actual, expected, what):
    if expected is None:  # rpact: no bound (infinite efficacy bound, or no futility region)
        assert actual is None or not math.isfinite(actual), what
    else:
        assert actual == pytest.approx(expected, abs=TOL), what


@pytest.mark.parametrize("design", DESIGNS, ids=[d["case"] for d in DESIGNS])
def test_efficacy_bounds_match_rpact(design):
    bounds = gs.efficacy_bounds(design["fractions"], design["alpha"])
    for k, (ours, theirs) in enumerate(zip(bounds, design["critical_values"])):
        _same(float(ours), theirs, f"look {k + 1}")
    spent = gs.alpha_spent(design["alpha"], design["fractions"])
    for ours, theirs in zip(spent, design["alpha_spent"]):
        assert ours == pytest.approx(theirs, abs=1e-7)


FUTILITY = [d for d in DESIGNS if "futility_bounds" in d]


@pytest.mark.parametrize("design", FUTILITY, ids=[d["case"] for d in FUTILITY])
def test_futility_bounds_match_rpact(design):
    b = gs.boundaries(design["fractions"], design["alpha"], design["beta"])
    for k, (ours, theirs) in enumerate(zip(b.futility[:-1], design["futility_bounds"])):
        _same(None if math.isnan(ours) else float(ours), theirs, f"futility bound at look {k + 1}")
    for ours, theirs in zip(b.beta_spent, design["beta_spent"]):
        assert ours == pytest.approx(theirs, abs=TOL)
    assert b.shift == pytest.approx(design["shift"], abs=1e-5)
    assert b.futility[-1] == b.efficacy[-1]  # the wedge closes at the last look


def test_the_reports_own_fractions_are_pinned():
    """Every TSA report's boundaries are among the rpact designs, at its current information fractions."""
    from baclofen_evidence import tsa
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.reference import rpact_cases

    committed = json.loads((HERE / "rpact_cases.json").read_text())
    assert rpact_cases(load()) == committed, "TSA inputs changed: run `make reference`"
    pinned = {d["case"] for d in DESIGNS}
    assert {f"tsa_{o}" for o in tsa.OUTCOMES} <= pinned


@pytest.mark.parametrize("case", REFERENCE["continuous"], ids=[c["case"] for c in REFERENCE["continuous"]])
def test_continuous_information_size_matches_rpact(case):
    assert info.ris_continuous(case["mird"], case["sd"], case["alpha"], case["beta"]) == pytest.approx(case["n_total"], rel=1e-9)


def test_binary_information_size_reproduces_the_tsa_manual_example():
    ex = MANUAL["binary_example"]
    raw = info.ris_binary(ex["control_event_proportion"], -ex["relative_risk_increase"], ex["alpha"], ex["beta"])
    assert info.participants(raw) == ex["ris"]
    assert info.participants(info.adjusted(raw, 0.0)) == ex["ris"]  # no heterogeneity correction in the example
