# Top Songs: the stable interface. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PROJECT_ENVIRONMENT ?= $(CURDIR)/.venv
UV := uv
RUN := $(UV) run --frozen --no-sync

.PHONY: help setup setup-python setup-ui setup-browser lock up down status demo test lint bench clean-state

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: setup-python setup-ui ## Install everything the pipeline needs (idempotent)

setup-python: ## Python deps with uv from the committed hashed lock
	@bash scripts/setup-python.sh

setup-ui: ## npm packages and the UI build
	@bash scripts/setup-ui.sh

setup-browser: ## Debian's chromium for browser tests
	@bash scripts/setup-browser.sh

lock: ## Re-resolve and re-export the hashed, URL-free lock
	$(UV) lock
	$(UV) export --all-packages --frozen --no-emit-workspace --no-header --format requirements-txt -o requirements.lock.txt
	@grep -q '://' requirements.lock.txt && { echo "lock has URLs"; exit 1; } || true

up: setup ## Start the platform and services in the background
	@$(RUN) devstack up

down: ## Stop everything (data is kept in .state/)
	@$(RUN) devstack down

status: ## Health and endpoint of every component
	@$(RUN) devstack status

demo: up ## Main job: start everything, run a simulated load, print the URLs
	@$(RUN) python -m topsongs_devstack.demo

test: setup setup-browser ## Run lint, types and the whole test suite against real engines
	@bash scripts/test.sh

lint: ## ruff + mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy core/src devstack/src ingest/src

bench: setup ## Benchmarks: figures and ratios against an in-run baseline
	@$(RUN) devstack up kafka postgres s3 ingest
	@$(RUN) python -m bench

clean-state: down ## Delete local engine data (keeps the download cache)
	rm -rf .state
