#!/usr/bin/env bash
# `make compose-up` / `make compose-down`: the Docker path on this machine (docs/docker.md).
#   up [SERVICE...]  engine, plugins and base image (scripts/setup-docker.sh), .env with generated
#                    secrets (scripts/compose-env.sh), every image (scripts/docker-build.sh), then
#                    `docker compose --profile demo up --wait`: the stack healthy, the catalog, the
#                    24 h backfill and the live load, as `make demo` does
#   down             stop and remove the containers (volumes are kept; `down -v` removes them too)
# COMPOSE_PROFILES chooses the profiles (default: demo); a Docker user elsewhere runs the same
# `docker compose` commands with `--build`.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOPSONGS_IMAGE_TAG="${TOPSONGS_IMAGE_TAG:-$(cat VERSION)}"
command="${1:-up}"
shift || true
case "$command" in
  up)
    TOPSONGS_DEBIAN_IMAGE="$(bash scripts/setup-docker.sh)"
    export TOPSONGS_DEBIAN_IMAGE
    bash scripts/compose-env.sh
    bash scripts/docker-build.sh
    export COMPOSE_PROFILES="${COMPOSE_PROFILES-demo}"
    docker compose up -d --wait --wait-timeout "${COMPOSE_WAIT_TIMEOUT:-600}" "$@"
    port="$(sed -n 's/^PUBLISH_DASHBOARD_PORT=//p' .env)"
    echo
    echo "Top Songs in Docker: http://127.0.0.1:${port:-8080}/ (history: /#/history)"
    echo "Airflow: http://127.0.0.1:8280/ (admin, AIRFLOW_ADMIN_PASSWORD in .env); ingest: http://127.0.0.1:8000/docs"
    echo "The demo load runs in the 'load' service: docker compose logs -f load"
    ;;
  down)
    docker info >/dev/null 2>&1 || { echo "[compose] no Docker engine is running"; exit 0; }
    COMPOSE_PROFILES=demo,cluster docker compose down --remove-orphans "$@"
    ;;
  *)
    echo "usage: scripts/compose.sh up|down [args]" >&2
    exit 2
    ;;
esac
