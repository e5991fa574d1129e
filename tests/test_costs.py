"""Costs per patient: arithmetic checked by hand from the cited figures."""

import math

import pytest

from baclofen_evidence import costs
from baclofen_evidence.datapackage import load
from baclofen_evidence.parameters import ParameterError


@pytest.fixture(scope="module")
def ev():
    return load()


def test_bacloville_budget_per_patient(ev):
    b = costs.budgets_per_patient(ev).set_index("cost_id").loc["bacloville_budget_2012"]
    assert b["cost_per_patient"] == pytest.approx(1_200_000 / 320)  # EUR 3,750
    assert b["currency"] == "EUR" and b["price_year"] == 2012


def test_conversion_uses_the_rate_of_the_amounts_year(ev):
    b = costs.budgets_per_patient(ev, "USD").set_index("cost_id").loc["bacloville_budget_2012"]
    assert b["cost_per_patient"] == pytest.approx(3750 * 1.2859)
    assert "2012" in b["conversion"]


def test_missing_rate_leaves_the_amount_in_its_currency(ev):
    amount, currency, note = costs.convert(ev, 10.0, "EUR", 1999, "USD")
    assert (amount, currency) == (10.0, "EUR") and "no EUR->USD rate for 1999" in note


def test_drug_cost_is_dose_times_days_times_price_per_mg(ev):
    d = costs.drug_cost_per_patient(ev, "uk_drug_tariff_2018", None).set_index("study_id")
    # Addolorato 2007: 30 mg/day for 12 weeks at GBP 1.07 per 84 x 10 mg
    assert d.loc["addolorato2007", "drug_cost_per_patient"] == pytest.approx(30 * 84 * 1.07 / 84 / 10)
    assert d.loc["addolorato2007", "currency"] == "GBP"


def test_mean_achieved_dose_is_preferred(ev):
    d = costs.drug_cost_per_patient(ev, "uk_drug_tariff_2018", None).set_index("study_id")
    assert d.loc["beraha2016", "dose_mg_day"] == 93.6 and d.loc["beraha2016", "dose_basis"] == "mean achieved dose"


def test_cost_per_responder_only_where_baclofen_did_better(ev):
    c = costs.cost_per_responder_range(ev, "USD").set_index("study_id")
    a = c.loc["addolorato2007"]
    assert a["nnt"] == pytest.approx(1 / (30 / 42 - 12 / 42))  # 30/42 abstinent on baclofen, 12/42 on placebo: NNT 2.33
    # 4.2895 USD (tariff) and 44.6429 USD (Baclocur) per patient, as in the range test below, x 2.33
    assert a["per_responder_low"] == pytest.approx(3.21 * 1.3363 * 42 / 18)
    assert a["per_responder_high"] == pytest.approx(37.737 * 1.183 * 42 / 18)
    # Hauser 2017 printed 10.1% of 80 for placebo: no whole count gives that, so no counts and no NNT.
    assert "hauser2017" not in c.index


def test_no_nnt_where_baclofen_did_no_better(package):
    from baclofen_evidence.datapackage import load
    from tests.conftest import set_cell

    set_cell(package / "outcomes.csv", {"arm_id": "gamma2015_bac", "outcome_id": "abstinence"}, "events", "5")
    c = costs.cost_per_responder_range(load(package), "USD").set_index("study_id")
    g = c.loc["gamma2015"]  # 5/50 vs 10/50
    assert g["risk_difference"] == pytest.approx(5 / 50 - 10 / 50)
    assert math.isnan(g["per_responder_low"]) and math.isnan(g["per_responder_high"]) and "no NNT" in g["note"]


def test_unknown_price_and_currency_are_parameter_errors(ev):
    with pytest.raises(ParameterError, match="price_source"):
        costs.drug_cost_per_patient(ev, "nope", None)
    with pytest.raises(ParameterError, match="currency"):
        costs.drug_cost_per_patient(ev, None, "XYZ")


def test_a_cross_rate_goes_through_the_dollar_with_both_legs_of_the_same_year(ev):
    # exchange_rates.csv 2018: 1.3363 USD per GBP and 1.1817 USD per EUR, so 1.3363 / 1.1817 EUR per GBP
    rate = costs.exchange_rate(ev, "GBP", "EUR", 2018)
    assert rate.rate == pytest.approx(1.3363 / 1.1817) and rate.via == "USD" and rate.ref_id == "url:fed-g5a-20210104"
    # 2016 holds only EUR->USD: no GBP leg, so no GBP<->EUR rate (none is invented)
    assert costs.exchange_rate(ev, "EUR", "GBP", 2016) is None


def test_drug_cost_range_runs_over_every_price_source(ev):
    d = costs.drug_cost_range(ev, "USD").set_index("study_id").loc["addolorato2007"]
    # Addolorato 2007: 30 mg/day x 12 weeks x 7 = 2,520 mg per patient.
    #   uk_drug_tariff_2018: 2520 x 1.07 / (84 x 10) = 3.21 GBP   x 1.3363 (2018) =  4.2895 USD  <- cheapest
    #   uk_nhs_list_2018:    2520 x 9.99 / (84 x 10) = 29.97 GBP  x 1.3363 (2018) = 40.0489 USD
    #   fr_generic_2016:     2520 x 2.58 / (30 x 10) = 21.672 EUR x 1.11   (2016) = 24.0559 USD
    #   fr_baclocur40_2021:  2520 x 17.97 / (30 x 40) = 37.737 EUR x 1.183 (2021) = 44.6429 USD <- dearest
    assert d["drug_cost_low"] == pytest.approx(3.21 * 1.3363) and d["low_source"] == "uk_drug_tariff_2018"
    assert d["drug_cost_high"] == pytest.approx(37.737 * 1.183) and d["high_source"] == "fr_baclocur40_2021"
    assert d["prices_used"] == 4 and d["prices_not_converted"] is None


def test_a_price_without_a_rate_is_left_out_of_the_range_and_named(ev):
    d = costs.drug_cost_range(ev, "GBP").set_index("study_id").loc["addolorato2007"]
    # fr_generic_2016 is in EUR of 2016 and the table has no GBP rate for 2016: three prices remain.
    #   cheapest 3.21 GBP (tariff, no conversion); dearest 37.737 EUR x 1.1830 / 1.3764 (2021, via USD) = 32.434 GBP
    assert d["prices_used"] == 3 and "fr_generic_2016: not converted: no EUR->GBP rate for 2016" in d["prices_not_converted"]
    assert d["drug_cost_low"] == pytest.approx(3.21)
    assert d["drug_cost_high"] == pytest.approx(37.737 * 1.183 / 1.3764)


def test_every_amount_is_in_the_asked_currency_or_empty_with_the_reason(ev):
    table = costs.cost_per_patient(ev, "EUR").set_index("study_id")
    assert set(table["currency"]) == {"EUR"}
    # Bacloville: EUR 1,200,000 / 320 randomized = 3,750 EUR, no conversion; drug cost kept apart:
    # 300 mg/day x 52 weeks x 7 = 109,200 mg; tariff 109200 x 1.07 / 840 = 139.1 GBP x 1.3363 / 1.1817 = 157.30 EUR
    b = table.loc["rigal2020"]
    assert b["trial_budget_per_patient"] == pytest.approx(3750) and b["budget_basis"] == "trial budget"
    assert b["drug_cost_low"] == pytest.approx(109200 * 1.07 / 840 * 1.3363 / 1.1817)
    # Garbutt 2010's grant is USD of 2006; the table has no 2006 rate: empty, with the reason, never USD.
    g = table.loc["garbutt2010"]
    assert math.isnan(g["trial_budget_per_patient"]) and "no USD->EUR rate for 2006" in g["notes"]


def test_budget_per_patient_converts_across_currencies_or_says_why(ev):
    b = costs.budgets_per_patient(ev, "GBP").set_index("cost_id")
    # 3,750 EUR x 1.2859 USD/EUR / 1.5853 USD/GBP (2012) = 3,041.77 GBP
    assert b.loc["bacloville_budget_2012", "cost_per_patient"] == pytest.approx(3750 * 1.2859 / 1.5853)
    assert b.loc["bacloville_budget_2012", "currency"] == "GBP" and "via USD" in b.loc["bacloville_budget_2012", "conversion"]
    assert not b.loc["garbutt2010_r21_fy2006", "converted"] and math.isnan(b.loc["garbutt2010_r21_fy2006", "amount"])


def test_one_price_source_narrows_the_range_to_that_price(ev):
    d = costs.drug_cost_range(ev, "EUR", "fr_generic_2016").set_index("study_id").loc["addolorato2007"]
    assert d["drug_cost_low"] == d["drug_cost_high"] == pytest.approx(21.672)  # 2520 x 2.58 / 300, no conversion


def test_a_currency_the_rate_table_never_reaches_leaves_every_amount_empty_and_says_why(ev):
    # exchange_rates.csv holds no CAD row in any year: nothing can be shown in CAD, and each row says so
    table = costs.cost_per_patient(ev, "CAD")
    assert table["drug_cost_low"].isna().all() and table["trial_budget_per_patient"].isna().all()
    assert (table["drug_prices_used"].dropna() == 0).all() and set(table["currency"]) == {"CAD"}
    assert table["notes"].str.contains("not converted: no GBP->CAD rate for 2018").all()
