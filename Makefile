# Top Songs: the stable interface. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PROJECT_ENVIRONMENT ?= $(CURDIR)/.venv
UV := uv
# Installed from the hashed lock by setup-python; uv.lock is not in git, so no `uv run` here.
RUN := .venv/bin/python -m
# Go builds the S3 server once; the official tarball installs outside the default PATH.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: compose-generate help setup setup-system setup-python setup-ui setup-browser lock up down status logs cluster-up cluster-status cluster-down demo compose-up compose-down test lint bench clean-state

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: setup-system setup-python setup-ui ## Install everything the pipeline needs (idempotent)

setup-system: ## Debian packages the engines need (PostgreSQL, Java, Maven), only when missing
	@bash scripts/setup-system.sh

setup-python: ## Python deps with uv from the committed hashed lock
	@bash scripts/setup-python.sh

setup-ui: ## npm packages and the UI build
	@bash scripts/setup-ui.sh

setup-browser: ## Debian's chromium for browser tests
	@bash scripts/setup-browser.sh

lock: ## Re-resolve, then write the hashed, URL-free locks: requirements.lock.txt and one per image
	@UV=$(UV) bash scripts/lock.sh

up: setup ## Start the platform and services in the background
	@$(RUN) topsongs_devstack.cli up

down: setup-python ## Stop everything (data is kept in .state/)
	@$(RUN) topsongs_devstack.cli down

status: setup-python ## Health and endpoint of every component
	@$(RUN) topsongs_devstack.cli status

logs: setup-python ## Follow every component's log, or C="streams ingest"'s (the files are in .state/logs/)
	@$(RUN) topsongs_devstack.cli logs --follow $(C)

cluster-up: setup ## Start the cluster profile: 3 secured Kafka nodes, Spark, 2x each service, Airflow on Celery (docs/cluster.md)
	@$(RUN) topsongs_devstack.cluster up

cluster-status: setup-python ## Health and address of every cluster process
	@$(RUN) topsongs_devstack.cluster status

cluster-down: setup-python ## Stop the cluster profile (data is kept in .state/cluster/)
	@$(RUN) topsongs_devstack.cluster down

demo: up ## Main job: start everything, run a simulated load, print the URLs
	@$(RUN) topsongs_devstack.demo

compose-up: setup-ui ## Docker: build every image, run the single-node stack with the demo load (docs/docker.md)
	@bash scripts/compose.sh up

compose-generate: setup-python ## Regenerate compose.yaml, its Prometheus config and the Grafana files from the deployment declaration (devstack/src/topsongs_devstack/deployment)
	$(RUN) topsongs_devstack.deployment compose > compose.yaml.new && mv compose.yaml.new compose.yaml
	$(RUN) topsongs_devstack.deployment prometheus > deploy/prometheus/compose.yml.new && mv deploy/prometheus/compose.yml.new deploy/prometheus/compose.yml
	$(RUN) topsongs_devstack.deployment cluster-prometheus > deploy/prometheus/cluster.yml.new && mv deploy/prometheus/cluster.yml.new deploy/prometheus/cluster.yml
	$(RUN) topsongs_devstack.deployment grafana

compose-down: ## Docker: stop and remove the compose stack's containers (volumes are kept)
	@bash scripts/compose.sh down

test: setup setup-browser ## Run lint, types and the whole test suite against real engines
	@bash scripts/test.sh

lint: ## ruff + mypy, and compose.yaml (with its Prometheus and Grafana files) equal to what the deployment declaration generates
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	for what in compose prometheus cluster-prometheus grafana; do .venv/bin/python -m topsongs_devstack.deployment $$what --check || exit 1; done
	.venv/bin/mypy core/src devstack/src ingest/src charts/src dashboard-api/src spark/src simulator/src streams/src tools/export-openapi

bench: setup ## Benchmarks: figures and ratios against an in-run baseline (docs/benchmarks.md)
	@bash scripts/setup-bench.sh
	@$(RUN) topsongs_devstack.cli up kafka postgres s3 migrations
	@.venv/bin/python -m bench

clean-state: down ## Delete local engine data (keeps the download cache)
	rm -rf .state
