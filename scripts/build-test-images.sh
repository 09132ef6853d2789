#!/usr/bin/env bash
# Build the local test images the Docker tests run, with no registry.
#
# Owns: kolla-test/busybox:1 and kolla-test/busybox:2, both FROM scratch with Debian's
# static busybox at /bin/busybox and one symlink per applet (sh, sleep, httpd, nc, ...),
# default CMD `sleep 3600`. :2 adds a marker file so that it has a different image ID
# (tests use it to exercise "image changed" paths).
#
# Idempotent and fast: each image carries a `kolla-test.recipe` label (a hash of this
# script and of the busybox binary); when both images exist with the current recipe
# nothing is built.
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
REPO=kolla-test/busybox

say() { printf 'build-test-images: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static, or run scripts/docker-up.sh)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; a FROM scratch image needs busybox-static"
fi
docker info >/dev/null 2>&1 || die "docker is not reachable (run scripts/docker-up.sh)"

recipe=$(cat "$0" "$BUSYBOX" | sha256sum | cut -c1-16)

label_of() {
  docker image inspect -f '{{ index .Config.Labels "kolla-test.recipe" }}' "$1" 2>/dev/null || true
}
if [ "$(label_of "$REPO:1")" = "$recipe" ] && [ "$(label_of "$REPO:2")" = "$recipe" ]; then
  exit 0
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# The root filesystem is assembled here, not with RUN, so that building starts no
# container (faster, and works even where the daemon cannot run one during a build).
root=$ctx/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp" "$root/var/www" "$root/data"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
# Named users let tests exercise `user = "nobody"`.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

cat >"$ctx/Dockerfile.1" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
LABEL kolla-test.recipe=$recipe
CMD ["sleep", "3600"]
DOCKERFILE

echo 2 >"$ctx/marker"
cat >"$ctx/Dockerfile.2" <<DOCKERFILE
FROM $REPO:1
COPY marker /etc/kolla-test-marker
LABEL kolla-test.recipe=$recipe
DOCKERFILE

build() {
  local tag=$1 file=$2 out
  # The legacy builder exists on every engine version we meet (Debian's 20.10 CLI has
  # no buildx); its deprecation notice on newer CLIs is harmless and hidden.
  if ! out=$(DOCKER_BUILDKIT=0 docker build -q -f "$file" -t "$tag" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    die "docker build $tag failed"
  fi
}
say "building $REPO:1 and $REPO:2 (recipe $recipe)"
build "$REPO:1" "$ctx/Dockerfile.1"
build "$REPO:2" "$ctx/Dockerfile.2"
say "done"
