"""The robustness report's sections on the small fixture package: few trials, some analyses empty.
Every section runs, and what cannot be estimated is said, not raised."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from baclofen_evidence.sections.robustness import RobustnessReport

SECTIONS = ["headline", "defaults", "gosh_overview", "gosh_trials", "gosh_other", "multiverse_summary",
            "specification_curve", "choices"]


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance()


def test_every_section_runs_on_the_fixture(shell, tmp_path, package):
    report = RobustnessReport(data_dir=str(package), figures_dir=str(tmp_path / "figs"))
    for name in SECTIONS:
        getattr(report, name)()
    s = report.mv.summary()
    assert s["specifications"] + s["dropped"] == s["grid"]


def test_unknown_gosh_method_is_named(package):
    from baclofen_evidence.parameters import ParameterError

    with pytest.raises(ParameterError, match="gosh_method"):
        RobustnessReport(gosh_method="ML", data_dir=str(package))
