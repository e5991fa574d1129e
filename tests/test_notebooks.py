"""The committed notebooks: thin, parameterized, carrying a current baseline for nbval.

nbval (run by `make test` on notebooks/) compares every output with a fresh execution; the staleness
test here does the same comparison with a message that says what to do (`make baseline`).
"""

from __future__ import annotations

import configparser
import copy
import re

import nbformat
import pytest

from baclofen_evidence import config, render
from baclofen_evidence.report_parameters import declared_parameters

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
SANITIZE = config.TESTS_DIR / "nbval_sanitize.cfg"


def sanitizers():
    cfg = configparser.ConfigParser()
    cfg.read(SANITIZE)
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def comparable(nb) -> list:
    """Code-cell outputs as nbval compares them: images left out, sanitized text."""
    rules = sanitizers()
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = []
        for out in cell.outputs:
            data = {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}
            text = out.get("text", "") + repr(sorted(data.items()))
            for rx, rep in rules:
                text = rx.sub(rep, text)
            outs.append((out.get("output_type"), text))
        cells.append(outs)
    return cells


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


def test_committed_outputs_are_current():
    session = render.KernelSession()
    stale = []
    try:
        for path in NOTEBOOKS:
            committed = nbformat.read(path, as_version=4)
            fresh = copy.deepcopy(committed)
            for cell in fresh.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
            fresh = session.execute(fresh)
            if comparable(fresh) != comparable(committed):
                stale.append(path.name)
    finally:
        session.shutdown()
    assert not stale, f"outputs are stale in {stale}: run `make baseline` and commit the notebooks"
