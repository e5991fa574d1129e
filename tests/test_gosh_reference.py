"""GOSH against R metafor's gosh(), subset by subset (tests/reference/gosh_reference.json, `make reference`).

Cases: every generic inverse-variance input of the project's analyses (the overview synthesis's 9
trials give 511 subsets) and the first ten BCG vaccine trials (1,023 subsets), each with FE, DL, REML
and PM. metafor ran REML and PM with a tight convergence threshold (see gosh_reference.R), so the
engine must equal the converged values to 1e-6 on every subset.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from baclofen_evidence import config, gosh
from tests.tolerances import TOLERANCE

REFERENCE = json.loads(config.GOSH_REFERENCE.read_text())
FITS = [(case, method, entry, fit) for case, entry in REFERENCE["cases"].items() for method, fit in entry["fits"].items()]


def _by_members(res: gosh.GoshResult) -> dict[str, int]:
    keys = ["".join("1" if b else "0" for b in row) for row in res.masks]
    return {key: i for i, key in enumerate(keys)}


@pytest.mark.parametrize("case,method,entry,expected", FITS, ids=[f"{c}-{m}" for c, m, _, _ in FITS])
def test_every_subset_matches_metafor_gosh(case, method, entry, expected):
    res = gosh.run(entry["yi"], entry["vi"], entry["study"], method=method)
    assert res.exhaustive
    assert res.n_subsets == len(expected["members"]) == 2 ** len(entry["study"]) - 1
    assert res.n_unconverged == 0
    row = _by_members(res)
    order = np.array([row[m] for m in expected["members"]])
    stats = res.stats.iloc[order]
    np.testing.assert_array_equal(stats["k"], expected["k"])
    for column, tol in (("estimate", TOLERANCE["estimate"]), ("tau2", TOLERANCE["tau2"]), ("i2", TOLERANCE["heterogeneity"]),
                        ("h2", TOLERANCE["heterogeneity"]), ("q", TOLERANCE["heterogeneity"])):
        want = np.array([np.nan if x is None else x for x in expected[column]], dtype=float)
        np.testing.assert_allclose(stats[column].to_numpy(), want, rtol=0, atol=tol, err_msg=f"{case} {method} {column}")


def test_reference_has_heterogeneous_subsets_for_the_iterative_estimators():
    """The REML and PM cases exercise the τ² iteration: many subsets have τ² > 0."""
    for case in ("baclofen_giv_primary_drinking_SMD", "bcg_colditz1994_first10_RR"):
        for method in ("REML", "PM"):
            tau2 = np.array(REFERENCE["cases"][case]["fits"][method]["tau2"], dtype=float)
            assert (tau2 > 1e-3).sum() > 100, (case, method)


def test_a_likelihood_with_two_modes_takes_the_higher_one_as_metafor_does():
    """Bangert-Drowns et al. 2004, five studies: the REML score is negative at τ² = 0, yet the likelihood
    is higher at an interior mode; a root search that stops at the boundary would return 0."""
    entry = REFERENCE["cases"]["bangertdrowns2004_two_modes"]
    full = entry["fits"]["REML"]["members"].index("11111")
    assert entry["fits"]["REML"]["tau2"][full] > 0.01
    res = gosh.run(entry["yi"], entry["vi"], method="REML")
    assert res.stats["tau2"].iloc[-1] == pytest.approx(entry["fits"]["REML"]["tau2"][full], abs=TOLERANCE["tau2"])
    y, v = np.array(entry["yi"])[None, :], np.array(entry["vi"])[None, :]
    score0, _ = gosh._reml_score(np.zeros(1), y, v, np.ones((1, 5)))
    assert score0[0] < 0


def test_reference_was_fitted_with_a_tight_threshold():
    assert REFERENCE["control"]["threshold"] <= 1e-10
