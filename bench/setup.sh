#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond Nimbus itself. bench/run.js does the
# same on demand; this script is for doing it ahead of time (or by hand when the
# automatic step fails).
#
#   wrk                   Debian package (needs root); the load generator
#   bench/node_modules    autocannon, the fallback load generator (only without wrk)
#   bench/peers           serverless@3 + serverless-offline@14 + dynalite@4 + s3rver@3 (+ workerd), from the lockfile
set -euo pipefail
cd "$(dirname "$0")"

if command -v wrk >/dev/null 2>&1; then
  echo "wrk: $(wrk --version 2>&1 | head -1)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing wrk with apt-get ..."
  if ! timeout 300 apt-get install -y -q wrk; then
    timeout 300 apt-get update -q && timeout 300 apt-get install -y -q wrk || true
  fi
fi
if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is not available (apt-get install -y wrk failed or needs root); installing the autocannon fallback ..." >&2
  timeout 300 npm ci --prefix . --no-audit --no-fund
fi

if [ ! -f peers/node_modules/serverless-offline/package.json ] || [ ! -f peers/node_modules/serverless/package.json ] || [ ! -f peers/node_modules/dynalite/package.json ] || [ ! -f peers/node_modules/s3rver/package.json ]; then
  echo "installing bench/peers (serverless@3, serverless-offline@14, dynalite@4, s3rver@3, workerd) ..."
  timeout 600 npm ci --prefix peers --legacy-peer-deps --no-audit --no-fund
fi
echo "peers: serverless $(node -p "require('./peers/node_modules/serverless/package.json').version"), serverless-offline $(node -p "require('./peers/node_modules/serverless-offline/package.json').version")"
