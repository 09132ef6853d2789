#!/usr/bin/env bash
# Make sure the image `debian:bookworm` exists on the local Docker engine, building it with
# debootstrap when it does not (no image registry is needed, only Debian's package mirror).
#
# Owns: the local debian:bookworm image that examples/base/Dockerfile.j2 and the kolla_start
# test build FROM. Idempotent: when the image is present nothing happens, whatever its origin
# (a pulled official image is just as good). Otherwise:
#   debootstrap --variant=minbase bookworm ROOTFS MIRROR   (apt-get install debootstrap first)
#   tar -C ROOTFS -c . | docker import - debian:bookworm
# The root filesystem gets what the official image has that builds rely on: sources for
# bookworm, bookworm-updates and bookworm-security, a policy-rc.d that keeps packages from
# starting services during `RUN apt-get install`, no package lists (run `apt-get update`
# first, as with the official image), and CMD ["bash"].
#
# Environment: DEBIAN_MIRROR (default: the host's apt mirror, else http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security), DEBIAN_SUITE
# (default bookworm; the image is tagged debian:$DEBIAN_SUITE).
set -euo pipefail

SUITE=${DEBIAN_SUITE:-bookworm}
IMAGE=debian:$SUITE
WORK_PARENT=${TMPDIR:-/var/tmp}

say() { printf 'debian-base: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

have_image() { docker image inspect "$IMAGE" >/dev/null 2>&1; }

docker info >/dev/null 2>&1 || die "docker is not reachable (run scripts/docker-up.sh)"
if have_image; then exit 0; fi

[ "$(id -u)" -eq 0 ] || die "$IMAGE is missing and building it with debootstrap needs root"

# Two callers at once (tests, CI) build it once.
if command -v flock >/dev/null 2>&1; then
  exec 8>"${TMPDIR:-/tmp}/kolla-debian-base.lock"
  flock 8
  if have_image; then exit 0; fi
fi

export PATH="$PATH:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

if ! command -v debootstrap >/dev/null 2>&1; then
  if ! apt-cache show debootstrap >/dev/null 2>&1; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed"
  fi
  say "apt-get install -y debootstrap"
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || die "apt-get install debootstrap failed"
fi

# The mirror the host already uses (deb822 or one-line sources), else Debian's.
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
  done | head -n 1
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' \
      /etc/apt/sources.list
  fi
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

work=$(mktemp -d "$WORK_PARENT/kolla-debootstrap.XXXXXX")
root=$work/rootfs
cleanup() {
  # debootstrap mounts /proc and /sys inside the target; never delete through a mount.
  local m
  for m in "$root/proc" "$root/sys" "$root/dev/pts"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" 2>/dev/null || true; fi
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

start=$(date +%s)
say "building $IMAGE with debootstrap --variant=minbase $SUITE from $MIRROR (takes a few minutes)"
if ! debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi

# What the official image sets up for use inside containers (see debuerreotype).
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$root/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Packages installed while building an image must not start their services.
exit 101
EOF
chmod 0755 "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
chroot "$root" apt-get clean >/dev/null 2>&1 || true
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
  "$root"/var/log/apt/* "$root"/debootstrap "$root"/tmp/* "$root"/var/tmp/*
: >"$root/etc/machine-id"
# The image must not carry this machine's host name or resolver.
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"

for m in "$root/proc" "$root/sys" "$root/dev/pts"; do
  if mountpoint -q "$m" 2>/dev/null; then umount -l "$m"; fi
done

say "docker import $IMAGE"
tar --numeric-owner --xattrs -C "$root" -c . |
  docker import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.opencontainers.image.source=debootstrap org.opencontainers.image.version=$SUITE" \
    - "$IMAGE" >/dev/null || die "docker import failed"
have_image || die "docker import finished but $IMAGE is not there"
say "$IMAGE built in $(($(date +%s) - start))s"
