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

# The OpenStack test deploys the all-in-one under kolla-ansible's container names and ports.
# When README's first command (scripts/demo.sh) has it deployed here, its containers step
# aside for the tests (destroy keeps its volumes, so nothing of its data is lost) and come
# back after them.
demo_dir=examples/all-in-one
if [ -f "$demo_dir/kolla.state.json" ] && docker ps -aq --filter label=kolla.project=openstack | grep -q .; then
  echo "test.sh: the demo's all-in-one is deployed; its containers are removed for the tests (volumes kept) and re-applied after them"
  ./bin/run.js destroy -auto-approve --chdir "$demo_dir" >/dev/null
  trap 'echo "test.sh: re-applying the demo'"'"'s all-in-one"; ./bin/run.js apply -auto-approve --chdir "$demo_dir" >/dev/null || echo "test.sh: re-applying $demo_dir failed; run: ./bin/run.js apply --chdir $demo_dir"' EXIT
fi
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
