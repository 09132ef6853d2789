#!/usr/bin/env bash
# README's second command (and CI's): set up everything the tests need on a fresh machine
# — a Docker engine, the local test images, node modules — then build, lint and test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-test-env.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
npm run lint
mkdir -p .kolla
rc=0
KOLLA_TEST_PREBUILT=1 npx vitest run --reporter=default --reporter=json --outputFile=.kolla/test-results.json "$@" || rc=$?
# One plain closing line that any reader understands.
node -e '
const r = JSON.parse(require("fs").readFileSync(".kolla/test-results.json", "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $rc
