# FairRecruit — the front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the package with its dev tools

run: $(STAMP) ## Start everything on embedded defaults (SQLite, no servers): web, worker, beat (+ bot with a token)
	$(BIN)/fairrecruit db upgrade
	@$(BIN)/fairrecruit seed --demo --if-empty
	$(BIN)/fairrecruit up

# Two test processes (pytest-xdist) on the two cores; each has its own databases and Redis databases.
TEST_PROCESSES ?= 2
test: $(STAMP) ## Run every test (unit, functional: PostgreSQL, Redis, Celery, fake Bot API, Chromium)
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

chaos: $(STAMP) ## Fault suite: worker killed mid-delivery, Redis restarted, PostgreSQL connections cut; prints figures
	$(BIN)/pytest -m chaos -p no:cacheprovider -s -q tests/chaos

bench: $(STAMP) ## Run the benchmarks; prints a table and writes bench/results/*.json
	$(BIN)/python -m bench

# Security scans. bandit: a finding not in config/bandit-baseline.json (each entry there has its reason)
# fails. pip-audit: a known vulnerability not in config/pip-audit-ignore.txt fails; packages the
# vulnerability service could not be asked about are reported, and fail with FAIRRECRUIT_AUDIT_REQUIRED=1.
lint: $(STAMP) scan ## Ruff lint and format check, mypy type check (its paths: [tool.mypy] in pyproject.toml), security scans
	$(BIN)/ruff check registry bot workers tests bench
	$(BIN)/ruff format --check registry bot workers tests bench
	$(BIN)/mypy

scan: $(STAMP) ## Security scans: bandit (reviewed baseline) and pip-audit (CI runs this too)
	$(BIN)/bandit -q -r registry bot workers -b config/bandit-baseline.json
	$(BIN)/python scripts/audit_dependencies.py

translations: $(STAMP) ## Extract, update and compile the gettext catalogs (bot, public pages, follower notifications)
	$(BIN)/python scripts/translations.py

migration: $(STAMP) ## Autogenerate a migration from model changes: make migration m="what changed"
	$(BIN)/python scripts/new_migration.py "$(m)"

clean: ## Remove the embedded databases under ./var
	rm -rf var

.PHONY: help venv run test chaos bench lint scan translations migration clean
