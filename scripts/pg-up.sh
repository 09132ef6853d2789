#!/usr/bin/env bash
# Make sure a PostgreSQL server for the pg state backend tests is running on this machine,
# installing and starting Debian's packaged one if needed, and print its connection string:
#
#   postgres://kolla:kolla@127.0.0.1:5432/kolla
#
# Owns: the "is there a PostgreSQL for kolla?" question for tests and CI. Idempotent: when
# the kolla role can already log in it only prints the string. Works as root without
# systemd (CI containers, fresh VMs): the cluster is started with pg_ctlcluster. The server
# listens on 127.0.0.1 only; the password is a test password, not a secret.
# Everything but the connection string goes to stderr.
set -euo pipefail

PG_USER=kolla
PG_PASSWORD=kolla
PG_DB=kolla
PG_HOST=127.0.0.1
PG_PORT=5432
CONN="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/${PG_DB}"
WAIT_SECONDS=${KOLLA_PG_WAIT:-60}

say() { printf 'pg-up: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

can_login() {
  command -v psql >/dev/null 2>&1 &&
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -t -A -h "$PG_HOST" -p "$PG_PORT" \
      -U "$PG_USER" -d "$PG_DB" -c 'SELECT 1' >/dev/null 2>&1
}

# Fast path, also for non-root users of an existing server.
if can_login; then
  echo "$CONN"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
fi
as_root() {
  if [ "$(id -u)" -eq 0 ] || [ ${#SUDO[@]} -gt 0 ]; then "${SUDO[@]}" "$@"; else
    die "need root to run: $* (re-run as root, or start PostgreSQL and create role/database kolla yourself)"
  fi
}
as_postgres() { as_root runuser -u postgres -- "$@"; }

# Test workers may call this at the same time: one at a time.
if command -v flock >/dev/null 2>&1; then
  exec 8>"${TMPDIR:-/tmp}/kolla-pg-up.lock"
  flock 8
  # Another caller may have finished the job while we waited.
  if can_login; then
    echo "$CONN"
    exit 0
  fi
fi

# The newest installed server version (a directory with a postgres binary).
installed_version() {
  local d v best=""
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] || continue
    v=${d#/usr/lib/postgresql/}
    v=${v%%/*}
    if [ -z "$best" ] || [ "$v" -gt "$best" ] 2>/dev/null; then best=$v; fi
  done
  printf '%s' "$best"
}

ver=$(installed_version)
if [ -z "$ver" ] || ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed, and there is no apt-get to install it with"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know the package (fresh images ship
  # with empty lists); `apt-get update` is the slow part.
  if ! apt-cache show postgresql >/dev/null 2>&1; then
    say "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
  fi
  say "apt-get install -y postgresql"
  as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null ||
    die "apt-get install postgresql failed"
  ver=$(installed_version)
  [ -n "$ver" ] || die "postgresql was installed but no server binary was found under /usr/lib/postgresql"
fi

cluster=main
# The package's postinst creates the cluster; an image that removed it (or installed with
# create_main_cluster = false) gets a new one.
if [ ! -d "/etc/postgresql/$ver/$cluster" ]; then
  say "creating cluster $ver/$cluster"
  as_root pg_createcluster "$ver" "$cluster" >/dev/null || die "pg_createcluster $ver $cluster failed"
fi

# 127.0.0.1:5432 only. conf.d is included at the end of Debian's postgresql.conf, so this wins.
conf_dir=/etc/postgresql/$ver/$cluster/conf.d
conf_file=$conf_dir/kolla-test.conf
want_conf=$(printf "# Written by kolla scripts/pg-up.sh\nlisten_addresses = '%s'\nport = %s\n" "$PG_HOST" "$PG_PORT")
conf_changed=0
if [ "$(cat "$conf_file" 2>/dev/null || true)" != "$want_conf" ]; then
  as_root mkdir -p "$conf_dir"
  printf '%s\n' "$want_conf" | as_root tee "$conf_file" >/dev/null
  as_root chown postgres:postgres "$conf_file" 2>/dev/null || true
  conf_changed=1
fi

# Password logins from 127.0.0.1 (Debian's default pg_hba.conf has this line; keep it so).
hba=/etc/postgresql/$ver/$cluster/pg_hba.conf
if ! as_root grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5)' "$hba" &&
  ! as_root grep -Eq "^[[:space:]]*host[[:space:]]+${PG_DB}[[:space:]]+${PG_USER}[[:space:]]+127\.0\.0\.1/32" "$hba"; then
  say "allowing password logins of $PG_USER from 127.0.0.1 in $hba"
  as_root sed -i "1i host ${PG_DB} ${PG_USER} 127.0.0.1/32 scram-sha-256" "$hba"
  conf_changed=1
fi

status() { pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c { print $4 }'; }

case "$(status)" in
  online*)
    if [ "$conf_changed" -eq 1 ]; then
      say "restarting cluster $ver/$cluster for the new settings"
      as_root pg_ctlcluster "$ver" "$cluster" restart 7>&- 8>&- 9>&- || die "pg_ctlcluster $ver $cluster restart failed"
    fi
    ;;
  *)
    say "starting cluster $ver/$cluster"
    # pg_ctlcluster creates /var/run/postgresql itself; no systemd needed.
    # The server must not inherit our lock descriptors (see docker-up.sh).
    as_root pg_ctlcluster "$ver" "$cluster" start 7>&- 8>&- 9>&- ||
      {
        tail -n 20 "/var/log/postgresql/postgresql-$ver-$cluster.log" >&2 2>/dev/null || true
        die "pg_ctlcluster $ver $cluster start failed"
      }
    ;;
esac

ready=0
for _ in $(seq 1 "$WAIT_SECONDS"); do
  if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 1
done
if [ "$ready" -ne 1 ]; then
  tail -n 20 "/var/log/postgresql/postgresql-$ver-$cluster.log" >&2 2>/dev/null || true
  die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s"
fi

# The role and its database, over the local socket as the postgres superuser.
psql_admin() { as_postgres psql -X -q -t -A -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }
if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER}'")" != "1" ]; then
  say "creating role $PG_USER"
  psql_admin -d postgres -c "CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'" >/dev/null
else
  psql_admin -d postgres -c "ALTER ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'" >/dev/null
fi
if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != "1" ]; then
  say "creating database $PG_DB"
  psql_admin -d postgres -c "CREATE DATABASE ${PG_DB} OWNER ${PG_USER}" >/dev/null
fi

can_login || die "PostgreSQL is up but $PG_USER cannot log in to $PG_DB on $PG_HOST:$PG_PORT"
say "PostgreSQL $ver is up on $PG_HOST:$PG_PORT"
echo "$CONN"
