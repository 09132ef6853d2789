#!/usr/bin/env bash
# Make sure a Docker engine is reachable, installing and starting one if needed.
#
# Owns: the "is there a dockerd?" question for tests and CI. Idempotent: when
# `docker info` already works it only checks that busybox-static is present (the
# test images are built from it) and exits. Works as root without systemd, which
# is what CI containers and fresh VMs give us.
set -euo pipefail

LOG=/var/log/kolla-dockerd.log
WAIT_SECONDS=${KOLLA_DOCKER_WAIT:-60}

say() { printf 'docker-up: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  # Non-root can only proceed if the engine is already up or sudo works without a prompt.
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
fi
as_root() {
  if [ "$(id -u)" -eq 0 ] || [ ${#SUDO[@]} -gt 0 ]; then "${SUDO[@]}" "$@"; else
    die "need root to run: $* (re-run as root, or start dockerd yourself)"
  fi
}

# Packages to install, decided by what is missing rather than by package name, so a
# machine with docker-ce (not Debian's docker.io) is left alone.
missing=()
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  missing+=(docker.io)
fi
# The test images are FROM scratch, so busybox must be the static build.
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }; then
  missing+=(busybox-static)
fi

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing $*, and no apt-get to install them with"
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package lists when apt does not know a package (fresh images
  # ship with empty lists); `apt-get update` is the slow part.
  local need_update=0 p
  for p in "$@"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then need_update=1; fi
  done
  if [ "$need_update" -eq 1 ]; then
    say "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
  fi
  say "apt-get install -y $*"
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

# The local daemon's pid file, not `pgrep -x dockerd`: the testbed's hosts run dockerds of
# their own (scripts/testbed), and with one of them up a dead local daemon looked alive, so it
# was waited for and never started.
dockerd_running() {
  [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi

# A docker CLI pointed elsewhere (DOCKER_HOST) is not something starting the local
# dockerd would fix.
case "${DOCKER_HOST:-}" in
  "" | unix:///var/run/docker.sock | unix:///run/docker.sock) ;;
  *) die "DOCKER_HOST=${DOCKER_HOST} is not reachable (docker info failed); not starting a local dockerd" ;;
esac

sock=/var/run/docker.sock
if [ -S "$sock" ] && [ ! -w "$sock" ]; then
  die "no permission on $sock (run as root or join the docker group)"
fi

if dockerd_running; then
  say "dockerd is running but not answering yet; waiting"
else
  # Without systemd nothing mounts the cgroup hierarchy on some minimal images.
  if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] && command -v cgroupfs-mount >/dev/null 2>&1; then
    as_root cgroupfs-mount || say "cgroupfs-mount failed; dockerd may not start"
  fi
  # A pid file left by a dockerd that died makes the new one refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
    as_root rm -f /var/run/docker.pid
  fi
  say "starting dockerd (log: $LOG)"
  # The daemon must not inherit the callers' lock descriptors (ensure-test-env.sh holds
  # fd 9, pg-up/registry-up 7 and 8): it would hold their locks for as long as it runs.
  as_root sh -c "setsid nohup dockerd >>'$LOG' 2>&1 </dev/null 7>&- 8>&- 9>&- &"
fi

for i in $(seq 1 "$WAIT_SECONDS"); do
  if docker info >/dev/null 2>&1; then
    say "docker is up"
    exit 0
  fi
  # Give dockerd a few seconds to write its pid file before declaring it dead.
  if [ "$i" -gt 3 ] && ! dockerd_running; then
    say "dockerd exited; last lines of $LOG:"
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    die "dockerd failed to start"
  fi
  sleep 1
done

say "last lines of $LOG:"
tail -n 20 "$LOG" >&2 2>/dev/null || true
die "docker did not answer within ${WAIT_SECONDS}s"
