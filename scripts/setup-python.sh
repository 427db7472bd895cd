#!/usr/bin/env bash
# Installs uv if missing, then the workspace from the committed hashed lock (no network when cached).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_CACHE_DIR="${UV_CACHE_DIR:-$PWD/.cache/uv}"
if ! command -v uv >/dev/null 2>&1; then
  echo "[setup] installing uv with pip"
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi
stamp=.venv/.topsongs-lock
if ! { [ -f "$stamp" ] && cmp -s "$stamp" requirements.lock.txt; }; then
  echo "[setup] installing Python dependencies from requirements.lock.txt (hash-checked)"
  [ -d .venv ] || uv venv --quiet --python 3.11 .venv 2>/dev/null || uv venv --quiet .venv
  uv pip sync --quiet --require-hashes --python .venv/bin/python requirements.lock.txt
  uv pip install --quiet --no-deps --python .venv/bin/python \
    -e core -e devstack -e ingest -e streams -e spark -e simulator -e dashboard-api -e charts
  cp requirements.lock.txt "$stamp"
fi
# Airflow's own environment: its resolution is apart from the services' (airflow/pyproject.toml).
stamp=.venv-airflow/.topsongs-lock
if ! { [ -f "$stamp" ] && cmp -s "$stamp" airflow/requirements.lock.txt; }; then
  echo "[setup] installing Airflow's environment from airflow/requirements.lock.txt (hash-checked)"
  [ -d .venv-airflow ] || uv venv --quiet --python 3.11 .venv-airflow 2>/dev/null || uv venv --quiet .venv-airflow
  uv pip sync --quiet --require-hashes --python .venv-airflow/bin/python airflow/requirements.lock.txt
  uv pip install --quiet --no-deps --python .venv-airflow/bin/python -e core -e charts
  cp airflow/requirements.lock.txt "$stamp"
fi
