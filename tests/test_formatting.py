"""The one formatting module: what a reader sees for each kind of number, pinned by example."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from baclofen_evidence import formatting as fmt


@pytest.mark.parametrize(("p", "relation", "shown"), [
    (0.34, "=", "p = 0.34"),
    (0.034, "=", "p = 0.034"),
    (0.004, "=", "p = 0.004"),
    (0.001, "=", "p = 0.001"),
    (0.00001, "=", "p < 0.001"),
    (0.0, "=", "p < 0.001"),
    (0.0996, "=", "p = 0.10"),
    (0.05, "<", "p < 0.05"),
    (0.05, "<=", "p < 0.05"),
    (0.0001, "<", "p < 0.001"),
    (0.05, ">", "p > 0.05"),
    (0.1, "≥", "p > 0.1"),
    (np.float64(0.2), "=", "p = 0.20"),
])
def test_p_values_never_print_as_zero(p, relation, shown):
    assert fmt.p_value(p, relation) == shown


def test_a_p_value_in_a_column_headed_p():
    assert fmt.p_only(0.034) == "0.034"
    assert fmt.p_only(0.00001) == "< 0.001"
    assert fmt.p_only(None) == ""


def test_missing_values_print_empty_or_as_asked():
    for missing in (None, math.nan, np.nan, pd.NA, pd.NaT, np.float64("nan")):
        assert fmt.p_value(missing) == ""
        assert fmt.number(missing) == ""
        assert fmt.count(missing, missing="—") == "—"
    assert fmt.effect("RR", None) == "RR not estimable"


@pytest.mark.parametrize("value", [2012, 2012.0, np.int64(2012), np.float64(2012.0), "2012", "2012.0"])
def test_a_year_has_no_separator_and_no_decimals(value):
    assert fmt.year(value) == "2012"


def test_effects_with_and_without_their_interval():
    assert fmt.effect("RR", 0.8512, 0.6049, 1.2) == "RR 0.85 (95% CI 0.60 to 1.20)"
    assert fmt.effect("SMD", -0.3, -0.61, 0.012) == "SMD -0.30 (95% CI -0.61 to 0.01)"
    assert fmt.effect("RR", 0.85) == "RR 0.85"
    assert fmt.effect("RR", 0.85, math.nan, 1.2) == "RR 0.85"
    assert fmt.effect(None, 1.234, 1.0, 1.5, digits=3) == "1.234 (95% CI 1.000 to 1.500)"
    assert fmt.interval(0.1, 0.2, level=90, label="PI") == "90% PI 0.10 to 0.20"


def test_negative_zero_prints_without_its_sign():
    assert fmt.number(-0.0) == "0.00"
    assert fmt.number(-0.001) == "0.00"
    assert fmt.number(-0.004, 1) == "0.0"
    assert fmt.signed(-0.001) == "0.00"
    assert fmt.signed(0.0) == "0.00"
    assert fmt.signed(0.123) == "+0.12"
    assert fmt.signed(-0.3) == "-0.30"
    assert fmt.significant(-0.0) == "0"
    assert fmt.percent(-0.001) == "0%"
    assert fmt.money(-0.4, "EUR") == "0 EUR"
    assert fmt.effect("SMD", -0.001, -0.2, 0.2) == "SMD 0.00 (95% CI -0.20 to 0.20)"


def test_infinite_values_print_as_infinity_not_an_error():
    inf = math.inf
    assert fmt.number(inf) == "∞"
    assert fmt.number(-inf) == "−∞"
    assert fmt.signed(inf) == "+∞"
    assert fmt.signed(-inf) == "−∞"
    assert fmt.count(inf) == "∞"
    assert fmt.significant(inf) == "∞"
    assert fmt.money_range(10, inf, "USD") == "10 to ∞ USD"


def test_significant_figures_counts_and_percentages():
    assert fmt.significant(0.012345) == "0.0123"
    assert fmt.significant(1.5) == "1.5"
    assert fmt.significant(123.456) == "123"
    assert fmt.significant(999.9) == "1,000"
    assert fmt.significant(4375.2) == "4,375"
    assert fmt.significant(12) == "12"
    assert fmt.significant(12345) == "12,345"
    assert fmt.count(1234.4) == "1,234"
    assert fmt.count(np.int64(7)) == "7"
    assert fmt.percent(0.25) == "25%"
    assert fmt.percent(0.1234, 1) == "12.3%"


def test_money_carries_its_currency():
    assert fmt.money(4375.4, "USD") == "4,375 USD"
    assert fmt.money(np.float64(12.5), "GBP") == "12 GBP"  # whole units, rounded half to even
    assert fmt.money(None, "USD", missing="unknown") == "unknown"
    assert fmt.money(1234.5678, "GBP", 2) == "1,234.57 GBP"
    assert fmt.money(0.01234, "GBP", 4) == "0.0123 GBP"
    assert fmt.money_range(12.2, 310, "EUR") == "12 to 310 EUR"
    assert fmt.money_range(1200, 1200.3, "EUR") == "1,200 EUR"
    assert fmt.money_range(1, None, "EUR") == ""


def test_quantities_and_forest_plot_columns():
    assert fmt.quantity(4375.4) == "4,375"
    assert fmt.quantity(2.5) == "2.5"
    assert fmt.quantity(100) == "100"
    assert fmt.bracketed(0.8512, 0.6049, 1.2) == "0.85 [0.60, 1.20]"
    assert fmt.bracketed(-12.34, -20.0, -4.6, 1) == "-12.3 [-20.0, -4.6]"


def test_doses_and_values_as_the_data_prints_them():
    assert fmt.dose(80) == "80 mg/day"
    assert fmt.dose(80.0) == "80 mg/day"
    assert fmt.dose(2.5) == "2.5 mg/day"
    assert fmt.as_printed(1250.0) == "1250"
    assert fmt.as_printed(0.034) == "0.034"
    assert fmt.as_printed(np.int64(3)) == "3"
    assert fmt.as_printed(-0.0) == "0"
    assert fmt.fraction(12.0, 40) == "12/40"
    assert fmt.fraction(math.nan, 40) == ""


def test_json_safe_turns_every_non_finite_or_foreign_scalar_into_plain_json():
    value = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "np": np.float64(1.5), "npint": np.int64(3),
             "npnan": np.float64("nan"), "na": pd.NA, "nat": pd.NaT, "none": None, "tuple": (1, math.nan),
             "array": np.array([1.0, np.nan]), "series": pd.Series([2, 3]), "bool": np.bool_(True), 4: "key"}
    safe = fmt.json_safe(value)
    assert safe == {"nan": None, "inf": None, "ninf": None, "np": 1.5, "npint": 3, "npnan": None, "na": None,
                    "nat": None, "none": None, "tuple": [1, None], "array": [1.0, None], "series": [2, 3],
                    "bool": True, "4": "key"}
    assert type(safe["np"]) is float and type(safe["npint"]) is int and type(safe["bool"]) is bool


def test_to_json_is_strict():
    text = fmt.to_json({"p": math.nan, "rows": [{"x": math.inf}], "name": "Å"})
    assert "NaN" not in text and "Infinity" not in text and "Å" in text
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}")) == {
        "p": None, "rows": [{"x": None}], "name": "Å"}
    with pytest.raises(TypeError):
        fmt.to_json({"x": object()})  # what JSON cannot hold is an error here, not silent text


def test_table_cells_show_years_as_years_and_numbers_by_significance():
    assert fmt.cell(2012.0, "Year") == "2012"
    assert fmt.cell(np.int64(2012), "price_year") == "2012"
    assert fmt.cell(2012, "Randomized") == "2,012"
    assert fmt.cell(39.0, "participants") == "39"
    assert fmt.cell(15.679, "weight", figures=4) == "15.68"
    assert fmt.cell("text", "Year") == "text"
    assert fmt.cell(math.nan, "Year") == ""
