"""Checking the parameters of an analysis or a report, before anything runs."""

from __future__ import annotations


class ParameterError(ValueError):
    """A parameter is invalid; the message starts with the parameter's name."""


def require_number(name: str, value, minimum: float = 0.0, optional: bool = True) -> None:
    """A number of at least `minimum` (None allowed when optional); booleans are not numbers here."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ParameterError(f"{name}: must be a number of at least {minimum:g}, not {value!r}")
