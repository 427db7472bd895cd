#!/usr/bin/env bash
# Re-resolves the workspace (uv.lock, git-ignored) and writes every hashed, URL-free lock from that one
# resolution: requirements.lock.txt (all members: .venv, make test) and, per Docker image, only the
# dependencies of the workspace member the image runs (docker/requirements/<image>.lock.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-uv}"
# image (docker/Dockerfile target) -> the workspace member whose dependency closure it installs;
images=(ingest:ingest streams:streams dashboard-api:dashboard-api spark:spark simulator:simulator)
export_args=(--frozen --no-emit-workspace --no-header --format requirements-txt)

"$uv" lock
"$uv" export --all-packages "${export_args[@]}" --quiet -o requirements.lock.txt
locks=(requirements.lock.txt)
for entry in "${images[@]}"; do
  image="${entry%%:*}" member="${entry#*:}" out="docker/requirements/${entry%%:*}.lock.txt"
  {
    echo "# topsongs/$image: uv export --package $member ${export_args[*]} (scripts/lock.sh; do not edit)"
    "$uv" export --package "$member" "${export_args[@]}" --quiet
  } >"$out"
  locks+=("$out")
done
# A member with its own resolution: its uv lock, exported with hashes and no URLs.
own_lock() {
  local dir=$1 what=$2
  (
    cd "$dir"
    "$uv" lock
    {
      echo "# $what: uv export --frozen --no-emit-local --no-emit-project --no-header --format requirements-txt in $dir/ (scripts/lock.sh; do not edit)"
      "$uv" export --frozen --no-emit-local --no-emit-project --no-header --format requirements-txt --quiet
    } >requirements.lock.txt
  )
  locks+=("$dir/requirements.lock.txt")
}
# Airflow's own environment (devstack's .venv-airflow and the airflow image).
own_lock airflow "topsongs-airflow's own environment"
# The live worker's peer for `bench live_peer` (.venv-bench, bench/pyproject.toml).
own_lock bench "make bench's .venv-bench"
if grep -l '://' "${locks[@]}"; then
  echo "lock has URLs"
  exit 1
fi
