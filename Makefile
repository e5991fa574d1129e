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

.PHONY: help install validate test lock clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

$(STAMP): requirements.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync $(UV_FLAGS) requirements.lock
	$(UV) pip install $(UV_FLAGS) --no-deps -e .
	@touch $@

install: $(STAMP) ## create .venv and install the locked environment (other targets do this themselves)

validate: $(STAMP) ## check data/ against datapackage.json and print the study table
	$(PY) -m baclofen_evidence validate
	$(PY) -m baclofen_evidence studies

test: $(STAMP) ## run every test: unit tests, data checks, notebooks (nbval)
	$(PY) -m pytest

lock: | $(UV) ## re-resolve requirements.lock from pyproject.toml (then update environment.yml to match)
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements.lock

clean: ## remove the environment and generated output
	rm -rf $(VENV) $(TOOLS) .pytest_cache
