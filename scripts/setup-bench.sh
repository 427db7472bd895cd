#!/usr/bin/env bash
# Debian's wrk drives the single-request ingest benchmark (a Python client saturates first).
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then exit 0; fi
echo "[setup] installing Debian's wrk (benchmarks)"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
