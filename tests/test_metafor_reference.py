"""The meta-analysis engine against R metafor 3.8, on the inputs in tests/reference/inputs.

metafor_reference.json is written by tests/reference/metafor_reference.R (`make reference`) and
committed, so these tests run without R. Cases:

* bcg_colditz1994 — the BCG vaccine trials (Colditz et al., Clin Infect Dis 1994), the worked example
  of Viechtbauer (J Stat Softw 2010;36(3)), as shipped by R's metadat package;
* zero_cells — made-up tables with a zero arm, a double-zero study and an all-events study;
* the project's own analysis inputs (one file per outcome), written by `baclofen-evidence reference-inputs`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from baclofen_evidence import config
from baclofen_evidence.effect_sizes import binary_effects, continuous_effects
from baclofen_evidence.pooling import pool, pool_mh
from tests.tolerances import TOLERANCE

REFERENCE = json.loads(config.METAFOR_REFERENCE.read_text())
INPUTS = config.METAFOR_REFERENCE.parent / "inputs"


def cases():
    for case, measures in REFERENCE["cases"].items():
        for measure, entry in measures.items():
            yield case, measure, entry


def effects(case: str, measure: str):
    d = pd.read_csv(INPUTS / f"{case}.csv")
    if measure == "GIV":  # study effects as the report pools them, arm-level, reported and converted alike
        from baclofen_evidence.effect_sizes import Effects

        return d, Effects(d.yi.to_numpy(float), d.vi.to_numpy(float), [None] * len(d), np.zeros(len(d), dtype=bool))
    if "ai" in d:
        return d, binary_effects(d.ai, d.n1i, d.ci, d.n2i, measure)
    return d, continuous_effects(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i, measure)


def close(actual, expected, tol, what):
    if expected is None:
        return
    assert actual == pytest.approx(expected, abs=tol), what


CASES = list(cases())


@pytest.mark.parametrize("case,measure,entry", CASES, ids=[f"{c}-{m}" for c, m, _ in CASES])
def test_effect_sizes_match_escalc(case, measure, entry):
    _, eff = effects(case, measure)
    expected_yi = np.array([np.nan if v is None else v for v in entry["yi"]], dtype=float)
    expected_vi = np.array([np.nan if v is None else v for v in entry["vi"]], dtype=float)
    np.testing.assert_allclose(eff.yi, expected_yi, atol=TOLERANCE["effect"], equal_nan=True)
    np.testing.assert_allclose(eff.vi, expected_vi, atol=TOLERANCE["effect"], equal_nan=True)


FITS = [(c, m, name, fit) for c, m, e in CASES for name, fit in e["fits"].items()]


@pytest.mark.parametrize("case,measure,name,expected", FITS, ids=[f"{c}-{m}-{n}" for c, m, n, _ in FITS])
def test_pooled_results_match_metafor(case, measure, name, expected):
    d, eff = effects(case, measure)
    keep = ~np.isnan(eff.yi)
    if name == "MH":
        res = pool_mh(d.ai, d.n1i, d.ci, d.n2i, measure, yi=eff.yi[keep], vi=eff.vi[keep])
    else:
        method, _, hksj = name.partition("+")
        res = pool(eff.yi[keep], eff.vi[keep], method=method, hksj=bool(hksj))
    close(res.estimate, expected["estimate"], TOLERANCE["estimate"], "estimate")
    close(res.se, expected["se"], TOLERANCE["se"], "se")
    close(res.ci_low, expected["ci_low"], TOLERANCE["ci"], "ci_low")
    close(res.ci_high, expected["ci_high"], TOLERANCE["ci"], "ci_high")
    close(res.q, expected["q"], TOLERANCE["heterogeneity"], "Q")
    close(res.i2, expected["i2"], TOLERANCE["heterogeneity"], "I2")
    close(res.h2, expected["h2"], TOLERANCE["heterogeneity"], "H2")
    assert res.p == pytest.approx(expected["p"], rel=TOLERANCE["p"], abs=1e-300)
    if name != "MH":
        close(res.tau2, expected["tau2"], TOLERANCE["tau2"], "tau2")
        close(res.pi_low, expected["pi_low"], TOLERANCE["ci"], "pi_low")
        close(res.pi_high, expected["pi_high"], TOLERANCE["ci"], "pi_high")
        np.testing.assert_allclose(res.weights, expected["weights"], atol=TOLERANCE["weights"])


def test_bcg_reproduces_the_published_reml_estimate():
    """Viechtbauer (2010), section 3.2: REML log RR -0.7145 (SE 0.1798), tau^2 0.3132."""
    fit = REFERENCE["cases"]["bcg_colditz1994"]["RR"]["fits"]["REML"]
    assert round(fit["estimate"], 4) == -0.7145
    assert round(fit["se"], 4) == 0.1798
    assert round(fit["tau2"], 4) == 0.3132


METAREG = [(c, m, e["metareg"]) for c, m, e in CASES if "metareg" in e]


@pytest.mark.parametrize("case,measure,expected", METAREG, ids=[f"{c}-{m}" for c, m, _ in METAREG])
def test_dose_meta_regression_matches_metafor(case, measure, expected):
    from baclofen_evidence.dose_response import fit_regression

    d, eff = effects(case, measure)
    keep = ~np.isnan(eff.yi)
    fit = fit_regression(eff.yi[keep], eff.vi[keep], d["dose"][keep])
    close(fit.intercept, expected["intercept"], TOLERANCE["estimate"], "intercept")
    close(fit.slope, expected["slope"], TOLERANCE["estimate"], "slope")
    close(fit.slope_se, expected["slope_se"], TOLERANCE["se"], "slope SE")
    close(fit.slope_ci_low, expected["slope_ci_low"], TOLERANCE["ci"], "slope CI low")
    close(fit.slope_ci_high, expected["slope_ci_high"], TOLERANCE["ci"], "slope CI high")
    close(fit.tau2, expected["tau2"], TOLERANCE["tau2"], "residual tau2")


def test_reference_inputs_are_the_reports_inputs():
    """The committed inputs are what the shipped data gives today; else run `make reference`."""
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.reference import PREFIX, inputs

    current = inputs(load())
    committed = {p.stem: pd.read_csv(p) for p in INPUTS.glob(f"{PREFIX}*.csv")}
    assert sorted(current) == sorted(committed), "outcomes with data changed: run `make reference`"
    for name, frame in current.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), committed[name], check_dtype=False, atol=1e-9,
                                      obj=f"{name} (run `make reference` after changing data/)")


def test_conversion_inputs_are_the_reports_inputs():
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.reference import CONVERSIONS, conversion_inputs

    committed = pd.read_csv(config.METAFOR_REFERENCE.parent / CONVERSIONS)
    pd.testing.assert_frame_equal(conversion_inputs(load()).reset_index(drop=True), committed, check_dtype=False, atol=1e-9,
                                  obj="conversions.csv (run `make reference` after changing data/)")


def test_every_analysis_with_a_pooled_result_is_pinned_by_generic_inverse_variance():
    """Each report's pooled analysis, the overview synthesis included, has a metafor rma(yi, vi) fit."""
    giv = {case for case, measure, _ in CASES if measure == "GIV"}
    assert "baclofen_giv_primary_drinking_SMD" in giv
    assert {"baclofen_giv_abstinence_RR", "baclofen_giv_dropout_RR"} <= giv
    for case in giv:
        fits = REFERENCE["cases"][case]["GIV"]["fits"]
        assert {"FE", "DL", "REML", "PM", "REML+HKSJ", "DL+HKSJ"} <= set(fits), case


CONVERSIONS = REFERENCE["conversions"]


@pytest.mark.parametrize("expected", CONVERSIONS, ids=[c["study"] for c in CONVERSIONS])
def test_overview_conversions_match_escalc(expected):
    """Each converted effect of the overview synthesis equals metafor's escalc on the same inputs."""
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.meta_analysis import OVERVIEW, run

    ma = run(load(), OVERVIEW)
    row = ma.studies[ma.studies["label"] == expected["study"]].iloc[0]
    assert row["yi"] == pytest.approx(expected["yi"], abs=TOLERANCE["effect"])
    assert row["vi"] == pytest.approx(expected["vi"], abs=TOLERANCE["effect"])


def test_conversions_cover_counts_and_statistics():
    assert {"OR2DL", "SMD"} <= {c["measure"] for c in CONVERSIONS}
    assert len(CONVERSIONS) >= 5
