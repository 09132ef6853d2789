#!/usr/bin/env bash
# Build a tiny test guest from Debian bookworm packages, for booting under qemu (TCG) with
# libvirt or nova: usage  scripts/guest-image.sh OUTDIR
#
# Writes into OUTDIR:
#   vmlinuz     Debian's kernel (linux-image-amd64)                       -> glance aki
#   initrd.img  a busybox-static initramfs (gzip'd newc cpio)              -> glance ari
#   root.img    1 MiB of zeros, never read by the guest                    -> glance ami
#   cmdline     the kernel command line to boot it with
#   kernel-version, recipe
# The initramfs /init mounts proc, sys and devtmpfs, prints `KOLLA-GUEST-BOOTED` on the
# console (ttyS0 with the cmdline above), loads the virtio modules it carries (virtio,
# virtio_ring, virtio_pci(_legacy/_modern)_dev, virtio_pci, failover, net_failover,
# virtio_net, resolved from modules.dep), then, if eth0 exists, runs udhcpc on it and
# prints `KOLLA-GUEST-IP=<address/prefix>` (or `KOLLA-GUEST-NO-LEASE`), and idles.
# Booting with `kolla_poweroff` on the command line powers the guest off after that.
#
# The Debian tools run in a throwaway `debian:bookworm` container (scripts/debian-base.sh
# makes that image when it is missing); only Debian's apt mirror is needed.
# Idempotent: OUTDIR/recipe holds a hash of this script; when it matches and the three files
# exist, nothing is done. Glance upload, e.g.:
#   openstack image create --disk-format aki --container-format aki --file vmlinuz kolla-aki
#   openstack image create --disk-format ari --container-format ari --file initrd.img kolla-ari
#   openstack image create --disk-format ami --container-format ami --file root.img \
#     --property kernel_id=<aki id> --property ramdisk_id=<ari id> \
#     --property os_command_line='console=ttyS0 rdinit=/init' kolla-guest
set -euo pipefail

say() { printf 'guest-image: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUT=$1
IMAGE=${GUEST_BUILD_IMAGE:-debian:bookworm}
CMDLINE='console=ttyS0 rdinit=/init'

recipe=$(sha256sum "$0" | cut -c1-16)
if [ -f "$OUT/recipe" ] && [ "$(cat "$OUT/recipe")" = "$recipe" ] \
  && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -s "$OUT/root.img" ]; then
  say "up to date in $OUT"
  exit 0
fi

docker info >/dev/null 2>&1 || die "docker is not reachable"
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  [ "$IMAGE" = debian:bookworm ] || die "image $IMAGE not found"
  "$(dirname "$0")/debian-base.sh"
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
tmp=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# /init of the guest (busybox sh).
cat >"$tmp/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "KOLLA-GUEST-BOOTED kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m" 2>/dev/null || echo "KOLLA-GUEST: insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
if [ -e /sys/class/net/eth0 ]; then
  ip link set lo up
  ip link set eth0 up
  if udhcpc -i eth0 -n -q -t 10 -T 2 -s /etc/udhcpc.script >/dev/null 2>&1; then
    echo "KOLLA-GUEST-IP=$(ip -4 -o addr show dev eth0 | awk '{print $4}' | head -n1)"
  else
    echo "KOLLA-GUEST-NO-LEASE"
  fi
else
  echo "KOLLA-GUEST-NO-NIC"
fi
echo "KOLLA-GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
if grep -qw kolla_poweroff /proc/cmdline; then poweroff -f; fi
while true; do sleep 3600; done
INIT

# udhcpc's hook: configure the lease (address, default route, resolvers).
cat >"$tmp/udhcpc.script" <<'DHCP'
#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip -4 addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip -4 route add default via "$r" dev "$interface"; break; done
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done ;;
esac
exit 0
DHCP

# Runs in the Debian container: install the kernel and busybox, assemble the initramfs.
cat >"$tmp/build.sh" <<'BUILD'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends linux-image-amd64 busybox-static cpio xz-utils >/dev/null
kver=$(ls /lib/modules | sort -V | tail -n1)
root=/tmp/initramfs
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 /work/init "$root/init"
install -m 0755 /work/udhcpc.script "$root/etc/udhcpc.script"
# The wanted modules and what they need, dependencies first (modules.dep lists the direct
# and indirect dependencies of each module, nearest first).
moddir=/lib/modules/$kver
declare -A seen=()
order=()
add() {
  local path=$1 deps d
  [ -n "${seen[$path]:-}" ] && return 0
  seen[$path]=1
  deps=$(awk -F': ' -v m="$path" '$1 == m { print $2 }' "$moddir/modules.dep")
  for d in $deps; do add "$d"; done
  order+=("$path")
}
for name in virtio_pci virtio_net virtio_blk virtio_console; do
  path=$(grep -E "(^|/)$name\.ko(\.xz)?:" "$moddir/modules.dep" | head -n1 | cut -d: -f1 || true)
  if [ -z "$path" ]; then
    grep -qw "$name" "$moddir/modules.builtin" && continue
    echo "module $name not found" >&2
    exit 1
  fi
  add "$path"
done
: >"$root/lib/modules/load-order"
for p in "${order[@]}"; do
  base=$(basename "$p")
  case "$base" in
    *.ko.xz) xz -dc "$moddir/$p" >"$root/lib/modules/${base%.xz}"; base=${base%.xz} ;;
    *) cp "$moddir/$p" "$root/lib/modules/$base" ;;
  esac
  echo "$base" >>"$root/lib/modules/load-order"
done
cp /boot/vmlinuz-"$kver" /out/vmlinuz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >/out/initrd.img
echo "$kver" >/out/kernel-version
tr '\n' ' ' <"$root/lib/modules/load-order" >/out/modules
chown "$OWNER" /out/vmlinuz /out/initrd.img /out/kernel-version /out/modules
BUILD

say "building in a throwaway $IMAGE container"
docker run --rm --network host -e OWNER="$(id -u):$(id -g)" \
  -v "$tmp:/work:ro" -v "$tmp:/out" "$IMAGE" bash /work/build.sh

mv -f "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/kernel-version" "$tmp/modules" "$OUT/"
truncate -s 0 "$OUT/root.img.new" && truncate -s 1M "$OUT/root.img.new" && mv -f "$OUT/root.img.new" "$OUT/root.img"
printf '%s\n' "$CMDLINE" >"$OUT/cmdline"
printf '%s\n' "$recipe" >"$OUT/recipe"
say "kernel $(cat "$OUT/kernel-version"), modules: $(cat "$OUT/modules")"
say "wrote $OUT/vmlinuz, initrd.img ($(du -k "$OUT/initrd.img" | cut -f1) KiB), root.img (1 MiB), cmdline"
