#!/usr/bin/env bash
# What only the benchmarks use: Debian's wrk drives the single-request ingest benchmark (a Python
# client saturates first); .venv-bench holds the live worker's peer (Quix Streams, bench/pyproject.toml),
# resolved apart from the services so that it never enters their lock.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_CACHE_DIR="${UV_CACHE_DIR:-$PWD/.cache/uv}"
if ! command -v wrk >/dev/null 2>&1; then
  echo "[setup] installing Debian's wrk (benchmarks)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v uv >/dev/null 2>&1 || export PATH="$HOME/.local/bin:$PATH"  # scripts/setup-python.sh put it there
stamp=.venv-bench/.topsongs-lock
if ! { [ -f "$stamp" ] && cmp -s "$stamp" bench/requirements.lock.txt; }; then
  echo "[setup] installing the benchmarks' peer environment from bench/requirements.lock.txt (hash-checked)"
  [ -d .venv-bench ] || uv venv --quiet --python 3.11 .venv-bench 2>/dev/null || uv venv --quiet .venv-bench
  uv pip sync --quiet --require-hashes --python .venv-bench/bin/python bench/requirements.lock.txt
  uv pip install --quiet --no-deps --python .venv-bench/bin/python -e core
  cp bench/requirements.lock.txt "$stamp"
fi
