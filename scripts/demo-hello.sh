#!/usr/bin/env bash
# A first look in seconds: on a fresh machine, set up a Docker engine, install and build
# kolla, build the example's images locally, deploy examples/hello with the local state
# file, and show what is deployed. Safe to run again (the second apply changes nothing).
# (README's first command, scripts/demo.sh, deploys the OpenStack all-in-one.)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Docker engine (installed and started if missing)"
scripts/docker-up.sh
step "kolla: npm ci && npm run build"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
step "images for examples/hello (FROM scratch + Debian's busybox-static, no registry)"
scripts/build-test-images.sh
step "kolla apply -auto-approve (examples/hello)"
./bin/run.js apply -auto-approve --chdir examples/hello
step "kolla state show"
./bin/run.js state show --chdir examples/hello
step "the page"
curl -fsS "$(./bin/run.js output url --chdir examples/hello)" || true
