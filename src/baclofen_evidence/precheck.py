"""The value check of a report's parameters, run in the parent process before any kernel starts.

The type check (report_parameters.check_parameters) knows the declaration: types and fixed allowed
values. Whether ``outcome="relapses"``, ``exclude=[nosuch2000]`` or ``dose_threshold=-5`` is
acceptable against the data is decided by the notebook's own report class (sections/<notebook>.py),
which every notebook constructs in its second cell. Constructing that same class here with the same
values means the pre-check and the kernel cannot disagree: a value the pre-check accepts is one the
kernel accepts.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.report_parameters import report_class

PATH_PARAMETERS = ("data_dir", "figures_dir")


def absolute_paths(params: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative data_dir and figures_dir mean relative to where the command was run, in the check and in the kernel alike.

    The kernel runs in notebooks/, so a relative path passed on as it is would name another folder there.
    """
    out = dict(params)
    for name in PATH_PARAMETERS:
        value = out.get(name)
        if isinstance(value, str):
            if not value.strip():
                raise ParameterError(f"{name}: empty ('') - was a variable unset? Leave it out to use the default")
            if not Path(value).is_absolute():
                out[name] = str((base / value).resolve())
    return out


@contextlib.contextmanager
def _loaded(evidence: dict[str, Any]) -> Iterator[None]:
    """Hand the sections the packages already read by the data check, instead of reading them again per report."""
    from baclofen_evidence import config
    from baclofen_evidence.sections import common

    original = common.evidence

    def cached(data_dir: str | None):
        key = str(Path(data_dir) if data_dir else config.DATA_DIR)
        return evidence[key] if key in evidence else original(data_dir)

    common.evidence = cached
    try:
        yield
    finally:
        common.evidence = original


def check_values(notebook: Path, params: dict[str, Any], evidence: dict[str, Any]) -> None:
    """Construct the notebook's report class with these parameters; a ParameterError names the one at fault."""
    cls = report_class(notebook)
    values = {name: params.get(name, d.default) for name, d in cls.declared().items()}
    with _loaded(evidence):
        cls(**values)
