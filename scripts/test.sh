#!/usr/bin/env bash
# The whole test suite on a fresh machine: host set-up (Docker engine, base image, Postgres, FUSE),
# dependencies, typecheck, lint (layer boundaries, format), then every tier (unit, integration, e2e) with nothing skipped.
# Prints "N passed, N failed" at the end (CI reads that line). Extra args go to vitest.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh || exit 1
source scripts/setup-browser.sh || exit 1
# setup.sh runs with `set -e`; from here on a failing step must not end the script before the summary line.
set +e
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi
npx tsc --noEmit || { echo "0 passed, 1 failed (typecheck)"; exit 1; }
npm run --silent lint || { echo "0 passed, 1 failed (lint: eslint boundaries or prettier)"; exit 1; }
report=.vitest-report.json
rm -f "$report"
npx vitest run --config test/vitest.config.ts --reporter=default --reporter=json --outputFile="$report" "$@"
rc=$?
if [ -f "$report" ]; then
  node scripts/summarize-tests.mjs "$report" || rc=1
else
  echo "0 passed, 1 failed (vitest produced no report)"
  rc=1
fi
exit $rc
