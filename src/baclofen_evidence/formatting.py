"""Every number the project shows, formatted in one place: reports, figures, the index and the CLI.

Why one module: the same estimate must read the same in a table, a figure label, a headline and a
terminal, and the rules a reader relies on hold everywhere at once (a p-value is never ``0.0000``,
a year never ``2,012``, money always carries its currency, JSON never holds ``NaN``).
Missing values (None, NaN) format as an empty string, or as `missing` where a caller asks.
"""

from __future__ import annotations

import json
import math
import re
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
    if isinstance(value, float):
        return math.isnan(value)
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


def _infinite(value: Any) -> str | None:
    """'∞' or '−∞' for an infinite value, None for a finite one."""
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return None


def _no_negative_zero(text: str) -> str:
    """'-0.00', '-0' or '-0%' (a small negative value rounded away) print without the sign."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def number(value: Any, digits: int = DIGITS, missing: str = "") -> str:
    """A fixed number of decimals; -0.00 prints as 0.00."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return _infinite(value) or _no_negative_zero(f"{value:.{digits}f}")


def signed(value: Any, digits: int = DIGITS, missing: str = "") -> str:
    """A difference with its sign, e.g. +0.12 or -0.30."""
    value = _plain(value)
    if is_missing(value):
        return missing
    text = number(value, digits)
    if text.startswith(("-", "−")) or not any(c in "123456789∞" for c in text):
        return text
    return "+" + text


def significant(value: Any, figures: int = 3, missing: str = "") -> str:
    """Up to `figures` significant digits, with thousands separators above 1000 (e.g. 0.0123, 4,375)."""
    value = _plain(value)
    if is_missing(value):
        return missing
    if isinstance(value, int) and not isinstance(value, bool):
        return count(value)
    if _infinite(value):
        return _infinite(value)
    rounded = float(f"{value:.{figures}g}")  # 999.9 rounds to 1000, which then takes a separator, not 1e+03
    if abs(rounded) >= 1000:
        return _no_negative_zero(f"{value:,.0f}")
    return _no_negative_zero(f"{rounded:.{figures}g}")


def count(value: Any, missing: str = "") -> str:
    """A whole number of people, trials or subsets: 1,234."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return _infinite(value) or f"{int(round(value)):,}"


def year(value: Any, missing: str = "") -> str:
    """A calendar year: never a thousands separator, never a decimal."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return str(int(float(value)))  # float() first: a year read as text may be "2012.0"


def percent(value: Any, digits: int = 0, missing: str = "") -> str:
    """A proportion (0.25) as a percentage (25%)."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return _infinite(value) or _no_negative_zero(f"{100 * value:.{digits}f}%")


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


def p_only(p: Any, missing: str = "") -> str:
    """A p-value for a cell or column already headed 'p': '0.034', '< 0.001'."""
    text = p_value(p, missing=missing)
    return text[len("p = "):] if text.startswith("p = ") else text[len("p "):] if text else text


def _p_digits(p: float) -> str:
    """Two decimals from 0.1 up, three below (0.0996 rounds to 0.10, not 0.100)."""
    return f"{p:.2f}" if round(p, 3) >= 0.1 else f"{p:.3f}"


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


def money(amount: Any, currency: str, digits: int = 0, missing: str = "") -> str:
    """An amount with its currency code, in whole units ('4,375 USD') unless a unit price needs
    `digits` decimals ('0.0123 GBP' per mg)."""
    amount = _plain(amount)
    if is_missing(amount):
        return missing
    return f"{_whole(amount, digits)} {currency}"


def _whole(amount: Any, digits: int = 0) -> str:
    return _infinite(amount) or _no_negative_zero(f"{amount:,.{digits}f}")


def money_range(low: Any, high: Any, currency: str, missing: str = "", digits: int = 0) -> str:
    """'12 to 310 USD'; a single figure when both ends agree."""
    low, high = _plain(low), _plain(high)
    if is_missing(low) or is_missing(high):
        return missing
    if _whole(low, digits) == _whole(high, digits):
        return money(low, currency, digits=digits)
    return f"{_whole(low, digits)} to {_whole(high, digits)} {currency}"


YEAR_COLUMN = re.compile(r"\byear\b", re.I)


def cell(value: Any, column: Any = "", figures: int = 3, missing: str = "") -> str:
    """One table cell, in a report or the terminal: a year in a column named for a year ('Year',
    'price_year') as a year, whole numbers as counts, other numbers to `figures` significant digits;
    text as it is."""
    value = _plain(value)
    if is_missing(value):
        return missing
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if YEAR_COLUMN.search(str(column).replace("_", " ")):
        return year(value)
    return significant(value, figures)


def quantity(value: Any, missing: str = "") -> str:
    """A quantity a claim or a budget states: whole with separators from 100 up (4,375), as printed below (2.5)."""
    value = _plain(value)
    if is_missing(value):
        return missing
    return count(value) if abs(value) >= 100 else as_printed(value)


def bracketed(estimate: Any, low: Any, high: Any, digits: int = DIGITS) -> str:
    """A forest plot's effect column, as RevMan prints it: '0.85 [0.60, 1.20]'."""
    return f"{number(estimate, digits)} [{number(low, digits)}, {number(high, digits)}]"


def dose(mg_per_day: Any, missing: str = "") -> str:
    """A daily dose: '80 mg/day', '2.5 mg/day'."""
    value = _plain(mg_per_day)
    if is_missing(value):
        return missing
    return f"{as_printed(value)} mg/day"


def as_printed(value: Any, missing: str = "") -> str:
    """A value from the data in its shortest form, as a source prints it: 80, 2.5, 0.034, 1250.

    For doses, weeks, arm sizes and the numbers an error message quotes back to the data's author;
    no thousands separator, no trailing zeros, no exponent for whole numbers.
    """
    value = _plain(value)
    if is_missing(value):
        return missing
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if _infinite(value):
        return _infinite(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _no_negative_zero(f"{value:.6g}")


def fraction(part: Any, whole: Any, missing: str = "") -> str:
    """Events out of a total, as a trial reports them: '12/40'."""
    if is_missing(_plain(part)) or is_missing(_plain(whole)):
        return missing
    return f"{as_printed(part)}/{as_printed(whole)}"


# ---------------------------------------------------------------- JSON


def json_safe(value: Any) -> Any:
    """A value JSON can hold: NaN and infinities become null (strict parsers such as jq and
    JSON.parse reject them), numpy and pandas scalars become Python ones, tuples become lists."""
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays, pandas Series
        value = value.tolist()
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
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
