#!/usr/bin/env bash
# Everything the Docker tests need on this machine: a running engine, then the local
# test images. Safe to run repeatedly; both steps are no-ops when already done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Test workers may call this at the same time; one at a time avoids two dockerds racing
# for the same socket and two builds of the same tag.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/kolla-test-env.lock"
  flock -w 900 9 || { echo "ensure-test-env: waited 15 min for the lock ${TMPDIR:-/tmp}/kolla-test-env.lock (fuser -v shows who holds it)" >&2; exit 1; }
fi
# Each step runs without fd 9: a daemon it starts must not hold this lock after we exit.
"$here/docker-up.sh" 9>&-
"$here/build-test-images.sh" 9>&-
"$here/pg-up.sh" >/dev/null 9>&-
"$here/registry-up.sh" 9>&-
