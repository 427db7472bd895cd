#!/usr/bin/env bash
# `make test`: lint and types, UI unit tests, then pytest against real engines it starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
echo "== lint (ruff; mypy beside the UI checks: each takes 10-20 s cold, on one core)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy core/src devstack/src ingest/src charts/src dashboard-api/src spark/src simulator/src streams/src tools/export-openapi \
  >artifacts/mypy.log 2>&1 &
mypy=$!
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
echo "== pytest (starts Kafka, PostgreSQL and the S3 store as needed)"
.venv/bin/pytest --durations=25 "$@"
