"""Conversions from printed results to effect sizes, checked against published worked examples.

Escalc-equivalent routes (counts to SMD, t to Hedges' g) are also pinned to metafor on the reports'
own inputs in test_metafor_reference.py; here each formula meets the example its source prints.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from baclofen_evidence import conversions as cv
from baclofen_evidence import study_results as sr
from baclofen_evidence.conversions import ConversionError
from baclofen_evidence.datapackage import load
from tests.conftest import edit_rows, set_cell


def test_log_odds_ratio_to_d_reproduces_borenstein_chapter_7():
    """Borenstein et al. 2009, ch. 7: ln OR 0.9069 (variance 0.0676) is d 0.5000 (variance 0.0205)."""
    d, v = cv.log_or_to_d(0.9069, 0.0676)
    assert round(d, 4) == 0.5000 and round(v, 4) == 0.0205
    back = cv.d_to_log_or(d, v)
    assert back == pytest.approx((0.9069, 0.0676))


def test_se_from_ci_and_p_reproduce_altman_and_bland():
    """Altman & Bland, BMJ 2011;343:d2090: RR 0.81 (95% CI 0.70 to 0.94) has SE 0.0752 and P 0.005."""
    se = cv.se_from_ci(0.70, 0.94, 95, log=True)
    assert round(se, 4) == 0.0752
    z = abs(math.log(0.81)) / se
    assert round(2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2)))), 3) == 0.005
    assert cv.se_from_p(math.log(0.81), 0.005) == pytest.approx(se, rel=0.02)


def test_counts_from_a_printed_percentage_give_the_whole_range_that_rounds_alike():
    assert cv.counts_from_percent(30, 162) == (49, [48, 49])  # 48/162 = 29.6%, 49/162 = 30.2%
    assert cv.counts_from_percent(61.22, 49) == (30, [30])
    with pytest.raises(ConversionError, match="no whole count out of 158"):
        cv.counts_from_percent(11.9, 158)  # ALPADIR: the analysed denominator is not the randomized 158


def test_odds_ratio_to_risk_ratio_depends_on_the_control_risk():
    """Zhang & Yu 1998: RR = OR / (1 - p0 + p0 OR); the two agree as the outcome becomes rare."""
    assert cv.or_to_rr(2.0, 0.5) == pytest.approx(4 / 3)
    assert cv.or_to_rr(2.0, 1e-9) == pytest.approx(2.0)


def test_hedges_j_is_the_exact_gamma_ratio():
    # J(m) ~ 1 - 3/(4m - 1) (Hedges 1981), close to the exact value already at m = 10
    assert cv.hedges_j(10) == pytest.approx(1 - 3 / 39, abs=1e-3)
    assert cv.hedges_j(1000) == pytest.approx(1, abs=1e-3)


def _row(**kw) -> pd.Series:
    base = dict(estimate_id="x", study_id="s", treatment_arms="s_bac", control_arms="s_pbo", outcome_id="pct_heavy_drinking_days",
                timepoint_weeks=12, population="itt", measure="none", estimate=float("nan"), ci_low=float("nan"),
                ci_high=float("nan"), ci_level=float("nan"), se=float("nan"), orientation="magnitude", favours="baclofen",
                stat_kind=float("nan"), stat_value=float("nan"), df1=float("nan"), df2=float("nan"), p_value=float("nan"),
                p_relation=float("nan"), n_analysed=float("nan"), n_treatment=float("nan"), n_control=float("nan"),
                secondary=False)
    base.update(kw)
    return pd.Series(base)


def test_an_unsigned_result_takes_its_sign_from_the_arm_it_favours():
    # fewer heavy drinking days (lower is better) on baclofen: baclofen minus control is negative
    e = sr.native_effect(_row(measure="d", estimate=0.5, ci_low=0.1, ci_high=0.9), "lower")
    assert e.yi == pytest.approx(-0.5)
    e = sr.native_effect(_row(measure="d", estimate=0.5, ci_low=0.1, ci_high=0.9, favours="control"), "lower")
    assert e.yi == pytest.approx(0.5)
    with pytest.raises(ConversionError, match="which arm it favours"):
        sr.native_effect(_row(measure="d", estimate=0.5, ci_low=0.1, ci_high=0.9, favours="not_reported"), "lower")


def test_the_overview_turns_every_effect_so_that_positive_favours_baclofen():
    e = sr.native_effect(_row(measure="d", estimate=0.5, ci_low=0.1, ci_high=0.9), "lower")
    o = sr.to_target(e, "overview", "lower", None)
    assert o.yi == pytest.approx(0.5) and o.sign == -1
    odds = sr.native_effect(_row(outcome_id="relapse", measure="OR", estimate=0.5, ci_low=0.25, ci_high=1.0,
                                 orientation="signed"), "lower")
    o = sr.to_target(odds, "overview", "lower", None)  # fewer relapses on baclofen
    assert o.yi == pytest.approx(-math.log(0.5) * math.sqrt(3) / math.pi)


def test_a_p_value_bound_yields_no_effect():
    with pytest.raises(ConversionError, match="is a bound"):
        sr.native_effect(_row(p_value=0.05, p_relation="<", n_treatment=20, n_control=20), "lower")


def test_a_t_statistic_with_group_sizes_is_hedges_g_as_escalc_computes_it():
    e = sr.native_effect(_row(stat_kind="t", stat_value=2.0, df1=38, n_treatment=20, n_control=20), "lower")
    d = 2.0 * math.sqrt(1 / 20 + 1 / 20)
    assert e.yi == pytest.approx(-cv.hedges_j(38) * d) and not e.weak
    assert e.escalc == {"measure": "SMD", "ti": -2.0, "n1i": 20, "n2i": 20}


def test_without_group_sizes_equal_groups_are_assumed_and_flagged_weak():
    e = sr.native_effect(_row(stat_kind="t", stat_value=0.59, df1=73, favours="control"), "lower")
    assert e.weak and "two equal groups of 37.5 assumed" in e.route_text


def test_f_and_chi_square_convert_only_with_one_degree_of_freedom():
    with pytest.raises(ConversionError, match="1 \\(numerator\\) degree of freedom"):
        sr.native_effect(_row(stat_kind="F", stat_value=4.16, df1=2, df2=112, n_treatment=80, n_control=40), "lower")
    e = sr.native_effect(_row(stat_kind="F", stat_value=4.0, df1=1, df2=78, n_treatment=40, n_control=40), "lower")
    assert e.yi == pytest.approx(-cv.hedges_j(78) * 2.0 * math.sqrt(2 / 40))


def test_subgroup_results_never_stand_for_the_trial():
    ev = load()
    found, why = sr.candidates(ev, "pct_heavy_drinking_days", "SMD")
    assert found["garbutt2021"].row["estimate_id"] == "garbutt2021_hdd_d"  # not the men or women subgroups


def test_disagreeing_routes_to_an_se_are_warned_with_both_values(package, capsys):
    from baclofen_evidence.cli import main

    set_cell(package / "estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "p_value", "0.9")
    set_cell(package / "estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "p_relation", "=")
    # by hand: (ln 4.16 - ln 0.70) / 3.92 = 0.4546; ln 1.71 / z(p = 0.9) = 0.5365 / 0.1257 = 4.269
    assert main(["validate", "--data", str(package)]) == 0
    err = capsys.readouterr().err
    assert "warning: estimates.csv:4:p_value: the SE from the CI (0.4546) and from the exact p (4.269) disagree" in err


def test_percentages_without_counts_enter_as_derived_counts_and_the_sensitivity_drops_them(package):
    from baclofen_evidence import meta_analysis as meta

    def to_percent(rows):
        for r in rows:
            if r["arm_id"] == "gamma2015_bac" and r["outcome_id"] == "dropout":
                r["events"], r["percent"] = "", "40"
    edit_rows(package / "outcomes.csv", to_percent)
    ev = load(package)
    ma = meta.run(ev, "dropout", exclude=[])
    row = ma.studies.set_index("study_id").loc["gamma2015"]
    assert row["ai"] == 20 and bool(row["derived"]) and "40% of 50 = 20" in row["conversion"]
    assert meta.run(ev, "dropout", drop_derived=True).studies.empty
