"""Checking the parameters of an analysis or a report, before anything runs."""

from __future__ import annotations


class ParameterError(ValueError):
    """A parameter is invalid; the message starts with the parameter's name."""
