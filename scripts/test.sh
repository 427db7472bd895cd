#!/usr/bin/env bash
# `make test`: lint and types, UI unit tests, then pytest against real engines it starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
# The Docker engine, its plugins, the images and the Helm tools take minutes of builds on a new
# machine: they start now at the lowest CPU priority and use what the suite leaves idle; the tests
# that need them run last (tests/conftest.py) and wait for them through the scripts' locks.
echo "== docker images and helm tools: building in the background at nice 19 (artifacts/prepare.log)"
(
  nice -n 19 bash -c 'base="$(DOCKERD_NICE=19 bash scripts/setup-docker.sh)" \
    && TOPSONGS_DEBIAN_IMAGE="$base" bash scripts/docker-build.sh; bash scripts/helm-check.sh --tools'
) >artifacts/prepare.log 2>&1 &
prepare=$!
# Dex, the sign-in tests' OpenID provider, is a Go build of minutes on a new machine: the same way.
DEVSTACK_OIDC=1 nice -n 19 .venv/bin/devstack install dex >artifacts/dex-build.log 2>&1 &
dex_build=$!
# (|| true: under set -e a failing command in the trap would become the script's exit status)
trap '{ pkill -P "$prepare"; kill "$prepare" "$dex_build"; } 2>/dev/null || true' EXIT
echo "== lint (ruff; mypy beside the UI checks: each takes 10-20 s cold, on one core)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== compose.yaml, its Prometheus config and the Grafana files are what the deployment declaration generates (docs/docker.md)"
for what in compose prometheus grafana; do .venv/bin/python -m topsongs_devstack.deployment "$what" --check; done
.venv/bin/mypy core/src devstack/src ingest/src charts/src dashboard-api/src spark/src simulator/src streams/src tools/export-openapi \
  >artifacts/mypy.log 2>&1 &
mypy=$!
# the UI's checks and the browser tests' node run on the pinned Node LTS (scripts/setup-node.sh)
PATH="$(bash scripts/setup-node.sh):$PATH"
export PATH
if [ -f ui/package.json ]; then
  echo "== ui: generated API types current, lint, format, unused code (knip), unit tests (vitest)"
  (
    cd ui
    npm run --silent check:generated
    npm run --silent lint
    npm run --silent format:check
    npm run --silent knip
    npm test --silent
  )
fi
echo "== mypy"
status=0
wait "$mypy" || status=$?
cat artifacts/mypy.log
[ "$status" -eq 0 ] || exit "$status"
# A full disk fails every later test at once (tmp_path, the engines' writes) and leaves no trace of why.
echo "== free disk before pytest: $(df -h --output=avail . | tail -1 | tr -d ' ') here, $(df -h --output=avail /tmp | tail -1 | tr -d ' ') in /tmp"
echo "== pytest (starts Kafka, PostgreSQL and the S3 store as needed)"
# The run's timings stay behind for the next person (docs/benchmarks.md, "suite speed"): every test's
# seconds (setup + call + teardown: a package fixture's start counts in its first test) in
# artifacts/junit.xml, the slowest phases in the log, and the seconds of each group of tests/ below.
status=0
.venv/bin/pytest --durations=25 --junitxml=artifacts/junit.xml -o junit_family=xunit2 "$@" || status=$?
echo "== seconds per group (.venv/bin/python -m tests.suite_times artifacts/junit.xml)"
.venv/bin/python -m tests.suite_times artifacts/junit.xml | sed '/^slowest/,$d' || true
echo "== free disk after pytest: $(df -h --output=avail . | tail -1 | tr -d ' '); the tests' stacks left $(du -sh .state/tests 2>/dev/null | cut -f1) in .state/tests"
exit "$status"
