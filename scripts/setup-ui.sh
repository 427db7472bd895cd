#!/usr/bin/env bash
# Node.js LTS and npm packages from the committed locks, then the static build dashboard-api serves at `/`.
set -euo pipefail
cd "$(dirname "$0")/../ui"
export npm_config_cache="${npm_config_cache:-$PWD/../.cache/npm}"
# Node.js 24 LTS from ui/node.lock.txt (scripts/setup-node.sh), ahead of whatever Node the host has.
PATH="$(bash ../scripts/setup-node.sh):$PATH"
# the stamp holds the Node version too: a Node upgrade reinstalls (native add-ons follow its ABI)
lock_stamp=$(node --version; cat package-lock.json)
if [ ! -f node_modules/.topsongs-lock ] || [ "$(cat node_modules/.topsongs-lock)" != "$lock_stamp" ]; then
  echo "[setup] npm ci (ui/)"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$lock_stamp" >node_modules/.topsongs-lock
fi
stamp=dist/.topsongs-src
fingerprint=$(find src index.html package-lock.json vite.config.* tsconfig*.json -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
  echo "[setup] building the UI (npm run build)"
  npm run build --silent
  echo "$fingerprint" > "$stamp"
fi
