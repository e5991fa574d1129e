"""Every number the project shows, formatted in one place: reports, figures, the index and the CLI.

Why one module: the same estimate must read the same in a table, a figure label, a headline and a
terminal, and the rules a reader relies on hold everywhere at once (a p-value is never ``0.0000``,
a year never ``2,012``, money always carries its currency, JSON never holds ``NaN``).
Missing values (None, NaN) format as an empty string, or as `missing` where a caller asks.
"""

from __future__ import annotations

import json
import math
from typing import Any

RATIO_MEASURES = ("RR", "OR", "HR")
DIGITS = 2  # effects and their intervals, as Cochrane reviews print them
P_FLOOR = 0.001


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA or NaT: a value that was never there."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, bool, int)):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and containers are not one missing value
        return False


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as Python ones."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def number(value: Any, digits: int = DIGITS, missing: str = "") -> str:
    """A fixed number of decimals; -0.00 prints as 0.00."""
    value = _plain(value)
    if is_missing(value):
        return missing
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed(value: Any, digits: int = DIGITS, missing: str = "") -> str:
    """A difference with its sign, e.g. +0.12 or -0.30."""
    value = _plain(value)
    if is_missing(value):
        return missing
    text = number(value, digits)
    return text if text.startswith("-") or float(text) == 0 else "+" + text


def significant(value: Any, figures: int = 3, missing: str = "") -> str:
    """Up to `figures` significant digits, with thousands separators above 1000 (e.g. 0.0123, 4,375)."""
    value = _plain(value)
    if is_missing(value):
        return missing
    if isinstance(value, int) and not isinstance(value, bool):
        return count(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{figures}g}"


def count(value: Any, missing: str = "") -> str:
    """A whole number of people, trials or subsets: 1,234."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return f"{int(round(value)):,}"


def year(value: Any, missing: str = "") -> str:
    """A calendar year: never a thousands separator, never a decimal."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return str(int(value))


def percent(value: Any, digits: int = 0, missing: str = "") -> str:
    """A proportion (0.25) as a percentage (25%)."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return f"{100 * value:.{digits}f}%"


def p_value(p: Any, relation: str = "=", missing: str = "") -> str:
    """A p-value as journals print it: p = 0.34, p = 0.004, p < 0.001; a reported bound keeps its relation."""
    p = _plain(p)
    if is_missing(p):
        return missing
    if relation in (">", ">=", "≥"):
        return f"p > {p:g}"  # a printed bound stays as printed
    if relation in ("<", "<=", "≤"):
        return f"p < {max(p, P_FLOOR):g}"
    if p < P_FLOOR:
        return f"p < {P_FLOOR:g}"
    return f"p = {_p_digits(p)}"


def _p_digits(p: float) -> str:
    """Two decimals from 0.1 up, three below: never more digits than a p-value can carry."""
    return f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"


def interval(low: Any, high: Any, digits: int = DIGITS, level: int = 95, label: str = "CI") -> str:
    """'95% CI 0.61 to 1.02'; 'to' rather than a dash, which reads as a minus sign next to negative bounds."""
    return f"{level}% {label} {number(low, digits)} to {number(high, digits)}"


def effect(measure: str | None, estimate: Any, low: Any = None, high: Any = None, digits: int = DIGITS) -> str:
    """'RR 0.85 (95% CI 0.61 to 1.02)'; an estimate without an interval prints alone."""
    est = number(estimate, digits, missing="not estimable")
    head = f"{measure} {est}" if measure else est
    if is_missing(_plain(low)) or is_missing(_plain(high)):
        return head
    return f"{head} ({interval(low, high, digits)})"


def money(amount: Any, currency: str, missing: str = "", digits: int = 0) -> str:
    """An amount with its currency code, rounded to whole units: '4,375 USD' (`digits` for small sums
    such as a few pounds of tablets: '1.43 USD')."""
    amount = _plain(amount)
    if is_missing(amount):
        return missing
    return f"{amount:,.{digits}f} {currency}"


def money_range(low: Any, high: Any, currency: str, missing: str = "", digits: int = 0) -> str:
    """'12 to 310 USD'; a single figure when both ends agree."""
    low, high = _plain(low), _plain(high)
    if is_missing(low) or is_missing(high):
        return missing
    if round(low, digits) == round(high, digits):
        return money(low, currency, digits=digits)
    return f"{low:,.{digits}f} to {high:,.{digits}f} {currency}"


def dose(mg_per_day: Any, missing: str = "") -> str:
    """A daily dose: '80 mg/day', '2.5 mg/day'."""
    value = _plain(mg_per_day)
    if is_missing(value):
        return missing
    return f"{value:g} mg/day"


# ---------------------------------------------------------------- JSON


def json_safe(value: Any) -> Any:
    """A value JSON can hold: NaN and infinities become null (strict parsers such as jq and
    JSON.parse reject them), numpy and pandas scalars become Python ones, tuples become lists."""
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is not None and not isinstance(value, (str, int, float, bool)) and is_missing(value):
        return None  # pandas NA / NaT
    return value


def to_json(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text (allow_nan=False makes a missed NaN an error here, not in the reader's parser)."""
    return json.dumps(json_safe(value), indent=indent, ensure_ascii=False, allow_nan=False)
