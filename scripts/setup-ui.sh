#!/usr/bin/env bash
# npm packages from the committed lock, then the static build dashboard-api serves at `/`.
set -euo pipefail
cd "$(dirname "$0")/../ui"
export npm_config_cache="${npm_config_cache:-$PWD/../.cache/npm}"
if ! command -v npm >/dev/null 2>&1; then
  echo "[setup] Node.js 20+ and npm are needed: apt-get install -y nodejs npm" >&2
  exit 1
fi
if [ "$(npm --version | cut -d. -f1)" -lt 11 ]; then
  # Vite 8 needs npm 11's resolver; upgrade npm itself once through the registry.
  echo "[setup] upgrading npm to 11"
  npm install -g --no-audit --no-fund --loglevel=error npm@11 || echo "[setup] npm upgrade failed; continuing" >&2
fi
if [ ! -f node_modules/.topsongs-lock ] || ! cmp -s node_modules/.topsongs-lock package-lock.json; then
  echo "[setup] npm ci (ui/)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.topsongs-lock
fi
stamp=dist/.topsongs-src
fingerprint=$(find src index.html package-lock.json vite.config.* tsconfig*.json -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
  echo "[setup] building the UI (npm run build)"
  npm run build --silent
  echo "$fingerprint" > "$stamp"
fi
