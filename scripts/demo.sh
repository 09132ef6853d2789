#!/usr/bin/env bash
# An OpenStack all-in-one (examples/all-in-one: MariaDB, memcached, RabbitMQ, Keystone,
# Glance, Placement, Nova with the fake driver, Neutron with linuxbridge — OpenStack Zed from
# Debian bookworm's packages) deployed by kolla on this machine, then used with the openstack
# client: a server boots on a flat provider network and is deleted. On a fresh Debian bookworm machine, as root:
#
#   bash scripts/demo.sh        (README's first command)
#
# 1. a Docker engine (scripts/docker-up.sh) and the image debian:bookworm
#    (scripts/debian-base.sh: debootstrap from Debian's mirror, a few minutes once);
# 2. kolla itself (npm ci, npm run build);
# 3. kolla build: the 22 Kolla-style images, FROM debian:bookworm (about 5 minutes the first
#    time on 2 cores; seconds when they are up to date);
# 4. kolla secrets generate (examples/all-in-one/kolla.secrets.json, 0600), kolla apply;
# 5. openstack token issue, service list and endpoint list in the kolla_toolbox container;
#    compute service list, network agent list, then a network, subnet, flavor and image (made
#    once) and a server created (--wait: ACTIVE) and deleted, as kolla-ansible's init-runonce.
#
# The services listen on 127.0.0.1 (kolla-ansible's api_interface_address). When one of their
# ports is taken there (another Keystone on 127.0.0.1:5000, say), the demo uses 127.0.0.2 and
# writes examples/all-in-one/demo.auto.vars.hcl so that later kolla commands agree; set
# KOLLA_AIO_ADDRESS to choose. Safe to run again: the second apply changes nothing.
# Measured on 2 cores: from nothing (a fresh machine: no Docker engine, no image, no
# node_modules) 9m04s after Docker's install (about 15 s): debootstrap beside npm ci and the
# build about 1m10s, kolla build 4m46s, apply 2m04s, the openstack client's checks and the
# server about 1m. With the images built 2m57s; a re-run with everything deployed 1m02s (the plan
# says No changes.; the server boots again).
set -euo pipefail
cd "$(dirname "$0")/.."

EX=examples/all-in-one
VARS=$EX/demo.auto.vars.hcl
PORTS=(3306 5000 5672 8774 8775 8780 9292 9696 11211)
kolla() { ./bin/run.js "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: ERROR: %s\n' "$*" >&2; exit 1; }
start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start))s"; }

step "Docker engine (installed and started if missing)"
scripts/docker-up.sh
# debootstrap (network and dpkg) and npm ci + build (network and node) share little: side by side.
step "debian:bookworm (debootstrap when missing) and kolla (npm ci && npm run build), side by side"
base_log=$(mktemp)
scripts/debian-base.sh >"$base_log" 2>&1 &
base_pid=$!
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
base_rc=0
wait "$base_pid" || base_rc=$?
cat "$base_log"
rm -f "$base_log"
[ "$base_rc" -eq 0 ] || die "building debian:bookworm failed (scripts/debian-base.sh, exit $base_rc)"

step "kolla build --chdir $EX (images FROM debian:bookworm; up-to-date ones are skipped)"
t=$(date +%s)
kolla build --chdir "$EX"
echo "images ready after $(($(date +%s) - t))s"

# Which address: the one chosen before, else 127.0.0.1 when its ports are free (or held by
# this deployment), else 127.0.0.2.
held_by_others() { # held_by_others ADDRESS: a port of ours is taken there, not by our containers
  local port line
  for port in "${PORTS[@]}"; do
    while read -r line; do
      local addr=${line%:*}
      case "$addr" in
        "$1" | 0.0.0.0 | '*' | '[::]') ;;
        *) continue ;;
      esac
      # A listener inside one of this deployment's containers (host network) is ours.
      if ! docker ps -q --filter label=kolla.project=openstack | grep -q .; then return 0; fi
    done < <(ss -Hltn "( sport = :$port )" | awk '{print $4}')
  done
  return 1
}
if [ -n "${KOLLA_AIO_ADDRESS:-}" ]; then
  address=$KOLLA_AIO_ADDRESS
elif [ -f "$VARS" ]; then
  address=$(sed -n 's/^api_interface_address *= *"\(.*\)"/\1/p' "$VARS")
elif held_by_others 127.0.0.1; then
  address=127.0.0.2
  held_by_others "$address" && die "ports ${PORTS[*]} are taken on 127.0.0.1 and on a wildcard address; set KOLLA_AIO_ADDRESS"
  echo "A port of ${PORTS[*]} is taken on 127.0.0.1: the all-in-one listens on $address instead."
else
  address=127.0.0.1
fi
if [ "$address" != 127.0.0.1 ]; then
  printf '# Written by scripts/demo.sh: where the all-in-one listens.\napi_interface_address = "%s"\n' \
    "$address" >"$VARS"
  echo "api_interface_address = $address (in $VARS)"
fi

# An all-in-one deployed from another copy of kolla (or whose state was deleted) holds the
# container names and the data volumes, with passwords this copy does not have: MariaDB's
# data would refuse the new ones. Its containers and volumes are removed, and it says so.
if [ ! -f "$EX/kolla.state.json" ]; then
  others=$(docker ps -aq --filter label=kolla.project=openstack)
  volumes=$(docker volume ls -q --filter label=kolla.project=openstack)
  if [ -n "$others$volumes" ]; then
    echo "demo: an all-in-one deployed from another copy of kolla (no state in $EX) is on this Docker engine;"
    echo "demo: its containers and volumes (project openstack) are removed so that this one starts clean."
    [ -z "$others" ] || docker rm -f $others >/dev/null
    [ -z "$volumes" ] || docker volume rm $volumes >/dev/null
  fi
fi

step "kolla secrets generate (kept when they exist)"
kolla secrets generate --chdir "$EX"

step "kolla apply -auto-approve --chdir $EX"
t=$(date +%s)
kolla apply -auto-approve --chdir "$EX"
echo "apply took $(($(date +%s) - t))s"

step "openstack token issue (the openstack client in the kolla_toolbox container)"
docker exec kolla_toolbox openstack token issue
docker exec kolla_toolbox openstack service list
docker exec kolla_toolbox openstack endpoint list

step "openstack server create (nova's fake driver; a flat provider network, as kolla-ansible's init-runonce)"
docker exec kolla_toolbox openstack compute service list
docker exec kolla_toolbox openstack network agent list
# The demo's network, subnet, flavor and image are made once; the server each run.
docker exec kolla_toolbox sh -ec '
  openstack network show demo-net >/dev/null 2>&1 ||
    openstack network create --share --provider-network-type flat \
      --provider-physical-network physnet1 demo-net -f value -c id
  openstack subnet show demo-subnet >/dev/null 2>&1 ||
    openstack subnet create --network demo-net --subnet-range 10.77.100.0/24 \
      --allocation-pool start=10.77.100.10,end=10.77.100.99 --gateway none demo-subnet -f value -c id
  openstack flavor show demo-tiny >/dev/null 2>&1 ||
    openstack flavor create --vcpus 1 --ram 64 --disk 1 demo-tiny -f value -c id
  openstack image show demo-image >/dev/null 2>&1 || {
    head -c 1048576 /dev/zero >/tmp/demo-image.raw
    openstack image create --disk-format raw --container-format bare \
      --file /tmp/demo-image.raw demo-image -f value -c id
  }
  openstack server delete --wait demo-server 2>/dev/null || true
  openstack server create --flavor demo-tiny --image demo-image --network demo-net --wait \
    demo-server -c name -c status -c addresses
  openstack server delete --wait demo-server
  echo "demo-server was ACTIVE, and is deleted."
'

step "Done in $(elapsed)"
cat <<EOF
The OpenStack client runs in the kolla_toolbox container (host network; OS_CLOUD=kolla-admin):

  docker exec kolla_toolbox openstack token issue
  docker exec kolla_toolbox openstack image list
  docker exec -it kolla_toolbox bash      # then: openstack --help, mysql -h $address -u root -p

kolla-ansible's post-deploy files (mode 0600), for a client installed elsewhere:

  $(kolla output admin_openrc --chdir "$EX")    # . admin-openrc.sh; openstack token issue
  $(kolla output clouds_yaml --chdir "$EX")        # openstack --os-cloud kolla-admin ...

Keystone: http://$address:5000/v3   Glance: http://$address:9292   Nova: http://$address:8774/v2.1
Placement: http://$address:8780   Neutron: http://$address:9696
  docker exec kolla_toolbox openstack server create --flavor demo-tiny --image demo-image --network demo-net --wait vm1
  kolla plan --chdir $EX             # No changes.
  kolla state show --chdir $EX
  kolla destroy --chdir $EX          # containers go, the data volumes stay (--include-volumes)
EOF
