# baclofen-evidence — every target installs what it needs (into .venv, from requirements.lock).
# `make help` lists the targets; the text after `##` is their documentation.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-from-lock
# This machine sets PYTHONDONTWRITEBYTECODE=1: installs compile bytecode up front, or every import recompiles.
UV_FLAGS := --quiet --python $(PY) --compile-bytecode
# apt needs root; elsewhere sudo is tried.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Test files spread over every core (TEST_JOBS=1 for one process); a file's tests, and a notebook's cells, stay together.
TEST_JOBS ?= auto
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help install validate reports test fuzz baseline reference bench lab browser r lock clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

$(STAMP): requirements.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync $(UV_FLAGS) requirements.lock
	$(UV) pip install $(UV_FLAGS) --no-deps -e .
	@touch $@

install: $(STAMP) ## create .venv and install the locked environment (the other targets do this themselves)

validate: $(STAMP) ## check data/ against datapackage.json and print the study table
	$(PY) -m baclofen_evidence validate
	$(PY) -m baclofen_evidence studies

reports: $(STAMP) ## render every report in notebooks/reports.yml to HTML; open reports/index.html
	@$(PY) -m compileall -q src
	$(PY) -m baclofen_evidence render $(if $(ONLY),--only $(ONLY)) $(if $(JOBS),--jobs $(JOBS))

test: $(STAMP) browser ## run every test: unit, data, metafor reference, rendering, browser, lab, and nbval on notebooks/
	@$(PY) -m compileall -q src
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile tests notebooks $(NBVAL)

fuzz: $(STAMP) ## explore with the property-based fuzzers for longer, with fresh seeds (make test runs them small and fixed)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_fuzz.py -p no:cacheprovider $(if $(SEED),--hypothesis-seed=$(SEED))

baseline: $(STAMP) ## regenerate the notebooks' parameters cells and notebooks/README.md, then re-execute notebooks/ as the nbval baseline
	$(PY) -m baclofen_evidence notebook-parameters
	$(PY) -m baclofen_evidence baseline

reference: $(STAMP) r ## regenerate tests/reference/: metafor_reference.json and gosh_reference.json (R metafor), rpact_reference.json (R rpact)
	$(PY) -m baclofen_evidence reference-inputs
	Rscript tests/reference/metafor_reference.R tests/reference
	Rscript tests/reference/gosh_reference.R tests/reference
	Rscript tests/reference/rpact_reference.R tests/reference

bench: $(STAMP) r ## time the batch render against the naive CLI loop, and GOSH against R metafor's gosh(); writes benchmarks/
	@$(PY) -m compileall -q src
	$(PY) benchmarks/run.py

lab: $(STAMP) ## JupyterLab on 127.0.0.1 with a token (printed) on working copies in .lab/notebooks (PORT= to choose)
	$(PY) -m baclofen_evidence lab

browser: ## install Debian's chromium for the browser tests, if missing
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

r: ## install R, metafor and rpact from Debian, if missing
	@Rscript -e 'library(metafor); library(rpact); library(jsonlite)' >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends r-base-core r-cran-metafor r-cran-rpact r-cran-jsonlite >/dev/null; }

lock: | $(UV) ## re-resolve requirements.lock from pyproject.toml (then update environment.yml to match)
	$(UV) pip compile --quiet pyproject.toml --extra dev --extra cluster --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements.lock

clean: ## remove the environment and generated output (reports, figures)
	rm -rf $(VENV) $(TOOLS) .pytest_cache .jupyter
	find reports -mindepth 1 ! -name README.md -delete
	find figures -mindepth 1 ! -name README.md -delete
