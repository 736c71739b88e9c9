#!/usr/bin/env bash
# Bring berth up on a fresh machine with the embedded database: host set-up (installs and starts the
# Docker engine and a local base image when missing), dependencies, a compiled build, then the server in the foreground.
# An API key is generated into the data folder on first run unless BERTH_API_KEY is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
export BERTH_DATA_DIR=${BERTH_DATA_DIR:-.berth-data}
mkdir -p "$BERTH_DATA_DIR"
if [ -z "${BERTH_API_KEY:-}" ] && [ -z "${OPENSANDBOX_SERVER_API_KEY:-}" ]; then
  keyfile="$BERTH_DATA_DIR/api-key"
  [ -s "$keyfile" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$keyfile")
  BERTH_API_KEY=$(cat "$keyfile"); export BERTH_API_KEY
  echo "[up] API key (OPEN-SANDBOX-API-KEY) is in $keyfile"
fi
unset DATABASE_URL_TEST
# The compiled server: plain node, no tsx/npm wrapper processes (less memory, faster start). `npm run dev` for tsx.
npm run --silent build
exec node --enable-source-maps dist/main.js
