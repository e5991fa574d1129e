"""Checking the parameters of an analysis or a report, before anything runs."""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable

from baclofen_evidence import formatting as fmt


class ParameterError(ValueError):
    """A parameter is invalid; the message starts with the parameter's name."""


def require_number(name: str, value, minimum: float = 0.0, optional: bool = True) -> None:
    """A finite number of at least `minimum` (None allowed when optional); booleans are not numbers here."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise ParameterError(f"{name}: must be a number of at least {fmt.as_printed(minimum)}, not {value!r}")


def non_finite(value: Any) -> bool:
    """True when a value, or anything inside it, is NaN or infinite (YAML reads `.nan` and `.inf` as numbers)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(non_finite(v) for v in value)
    return False


def did_you_mean(value: str, candidates: Iterable) -> str:
    """' (did you mean X?)' for a close match among candidates, case first; '' when none is close."""
    candidates = [str(c) for c in candidates if c is not None]
    same_case = [c for c in candidates if c.lower() == str(value).lower()]
    close = same_case or difflib.get_close_matches(str(value), candidates, n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
