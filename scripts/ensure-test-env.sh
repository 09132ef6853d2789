#!/usr/bin/env bash
# Everything the Docker tests need on this machine: a running engine, then the local
# test images. Safe to run repeatedly; both steps are no-ops when already done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Test workers may call this at the same time; one at a time avoids two dockerds racing
# for the same socket and two builds of the same tag.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/kolla-test-env.lock"
  flock 9
fi
"$here/docker-up.sh"
"$here/build-test-images.sh"
"$here/pg-up.sh" >/dev/null
"$here/registry-up.sh"
