"""Every path the project uses, in one place.

The project root is found from this file, so the code works from any working directory
(papermill and nbval run notebooks with notebooks/ as their cwd).
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
DATAPACKAGE = "datapackage.json"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
FIGURES_DIR = PROJECT_ROOT / "figures"
# Configuration, not output: it sits beside the notebooks it parameterizes, and reports/ holds only what is rendered.
REPORTS_CONFIG = NOTEBOOKS_DIR / "reports.yml"
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"
TESTS_DIR = PROJECT_ROOT / "tests"
METAFOR_REFERENCE = TESTS_DIR / "reference" / "metafor_reference.json"
GOSH_REFERENCE = TESTS_DIR / "reference" / "gosh_reference.json"
