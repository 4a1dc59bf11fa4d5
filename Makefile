# The README's two commands: `make demo` and `make test`. Every target installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON313 := $(shell scripts/python313)
PY313_BIN := $(dir $(PYTHON313))
VENV := .venv
TOOLS := .venv-tools
CHECKOV := .venv-checkov
PY := $(VENV)/bin/python
SAM := $(TOOLS)/bin/sam
REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= $(REGION)

.PHONY: help test lint typecheck unit pytest validate scan build demo bench catalogue clean

help:
	@echo "make demo   run one migration locally (moto + simulated RDS SQL endpoint), then"
	@echo "            serve its cutover approval link on 127.0.0.1 until you decide (Ctrl-C"
	@echo "            leaves it waiting); without a terminal, or with ARGS=--auto-approve,"
	@echo "            it approves by itself"
	@echo "make test   lint, type-check, tests, sam validate --lint, asl-validator, checkov,"
	@echo "            sam build"
	@echo "make unit   the fast loop: unit and handler tests only (no browser, no workflow)"
	@echo "make bench  polling cost of 10 min to 24 h restores plus 3 days of CDC catch-up"

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# SAM CLI pins its own boto3; it gets a virtualenv of its own.
$(TOOLS)/.installed: requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON313) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $@

# checkov pins its own dependencies: a virtualenv of its own.
$(CHECKOV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON313) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

# The browser test drives Debian's chromium through Playwright (never a downloaded browser).
# CI machines are Debian and run this as root; elsewhere sudo asks first.
$(VENV)/.chromium: | $(VENV)/.installed
	command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# The fast loop while you work: no browser, no state machine runs.
unit: $(VENV)/.installed
	$(PY) -m pytest -q -m "not workflow and not browser" tests/unit tests/handlers tests/cli

# Every test, spread over the machine's cores (pytest-xdist).
pytest: $(VENV)/.installed $(VENV)/.chromium
	$(PY) -m pytest -n auto --dist worksteal

validate: $(TOOLS)/.installed node_modules/.installed
	$(SAM) validate --lint --region $(REGION)
	for definition in statemachine/*.asl.json; do \
	  npx --no-install asl-validator --no-arn-check --json-path "$$definition"; \
	done

# No failed check: each suppression sits on its resource (Metadata.checkov.skip) with its reason.
scan: $(CHECKOV)/.installed
	$(CHECKOV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet \
	  --skip-download  # no network: no Prisma Cloud guideline links

# sam build looks for python3.13 on PATH to match the Lambda runtime.
build: $(TOOLS)/.installed
	PATH="$(PY313_BIN):$$PATH" $(SAM) build

test: lint typecheck pytest validate scan build

# make demo ARGS="--restore-minutes 600", ARGS="--fail-restore" or ARGS="--auto-approve"
demo: $(VENV)/.installed
	PYTHONPATH=layers/common $(PY) -m localrun.demo $(ARGS)

# Prints the polling-cost table of the README; exits 1 if a target is missed.
bench: $(VENV)/.installed
	PYTHONPATH=layers/common $(PY) -m localrun.bench

# The README's error table, from bak2rds/catalogue.py (a test fails while they differ).
catalogue: $(VENV)/.installed
	PYTHONPATH=layers/common $(PY) scripts/error_catalogue.py

clean:
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) node_modules .aws-sam
