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
    c = costs.cost_per_responder(ev, None, "USD").set_index("study_id")
    a = c.loc["addolorato2007"]
    assert a["nnt"] == pytest.approx(1 / (30 / 42 - 12 / 42))
    assert a["cost_per_extra_responder"] == pytest.approx(a["drug_cost_per_patient"] * a["nnt"])
    # Hauser 2017 printed 10.1% of 80 for placebo: no whole count gives that, so no counts and no NNT.
    assert "hauser2017" not in c.index


def test_no_nnt_where_baclofen_did_no_better(package):
    from baclofen_evidence.datapackage import load
    from tests.conftest import set_cell

    set_cell(package / "outcomes.csv", {"arm_id": "gamma2015_bac", "outcome_id": "abstinence"}, "events", "5")
    c = costs.cost_per_responder(load(package), None, "USD").set_index("study_id")
    g = c.loc["gamma2015"]  # 5/50 vs 10/50
    assert g["risk_difference"] == pytest.approx(5 / 50 - 10 / 50)
    assert math.isnan(g["cost_per_extra_responder"]) and "no NNT" in g["note"]


def test_unknown_price_and_currency_are_parameter_errors(ev):
    with pytest.raises(ParameterError, match="price_source"):
        costs.drug_cost_per_patient(ev, "nope", None)
    with pytest.raises(ParameterError, match="currency"):
        costs.drug_cost_per_patient(ev, None, "XYZ")
