"""The committed notebooks: thin, parameterized, carrying a current baseline for nbval.

nbval (run by `make test` on notebooks/) compares every output with a fresh execution, and
tests/conftest.py says what to do when it fails (`make baseline`); executing the notebooks a second
time here would only repeat that comparison.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from baclofen_evidence import config
from baclofen_evidence.report_parameters import declared_parameters

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_eight_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["claims", "costs", "dose_response", "evidence_map", "findings", "meta_analysis",
                                           "robustness", "tsa"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_thin_and_parameterized(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert declared_parameters(path)  # every notebook has a report class declaring its parameters
    for cell in code[2:]:
        assert re.fullmatch(r"report\.\w+\(\)", cell.source.strip()), cell.source  # one call per section
    assert all(c.execution_count for c in code) and any(c.outputs for c in code)
    assert "papermill" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_machine_paths_or_reprs_in_outputs(path):
    text = path.read_text(encoding="utf-8")
    assert str(config.PROJECT_ROOT) not in text
    assert not re.search(r"at 0x[0-9a-f]{6,}", text)
