#!/usr/bin/env bash
# Make sure a local image registry answers on 127.0.0.1:4000 (kolla-ansible's registry port; 5000 is Keystone's), with htpasswd auth, for the
# `kolla build --push` tests.
#
# Owns: Debian's docker-registry (the distribution registry) run without systemd, its
# config, data and log, and the test credentials:
#   user kolla, password in /var/lib/kolla-test/registry.password (generated once, 0600)
#   bcrypt htpasswd in /var/lib/kolla-test/registry.htpasswd (apache2-utils' htpasswd -B)
#   config /var/lib/kolla-test/registry.yml, data /var/lib/kolla-test/registry/,
#   pid /var/lib/kolla-test/registry.pid, log /var/log/kolla-registry.log
# Idempotent: when our registry already answers with the current credentials nothing
# happens. Docker trusts 127.0.0.0/8 as an insecure (plain HTTP) registry by default; this
# script checks that the engine does and fails otherwise.
set -euo pipefail

ADDR=${KOLLA_REGISTRY_ADDR:-127.0.0.1:4000}
DIR=/var/lib/kolla-test
PASSWORD_FILE=$DIR/registry.password
HTPASSWD_FILE=$DIR/registry.htpasswd
CONF=$DIR/registry.yml
DATA=$DIR/registry
PIDFILE=$DIR/registry.pid
LOG=/var/log/kolla-registry.log
USERNAME=kolla
WAIT_SECONDS=30

say() { printf 'registry-up: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (it installs packages and writes $DIR)"
export PATH="$PATH:/usr/sbin:/sbin"

# One caller at a time; ensure-test-env.sh already holds its own lock, this one is for
# direct calls.
if command -v flock >/dev/null 2>&1; then
  exec 7>"${TMPDIR:-/tmp}/kolla-registry-up.lock"
  flock 7
fi

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  need_update=0
  for p in "${missing[@]}"; do apt-cache show "$p" >/dev/null 2>&1 || need_update=1; done
  if [ "$need_update" -eq 1 ]; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed"
  fi
  say "apt-get install -y ${missing[*]}"
  # The package's own service is not used (no systemd here, and it would listen on all
  # addresses); policy-rc.d, when present, already keeps it from starting.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
  # Without policy-rc.d the package's init script has just started its own registry
  # (no auth, all addresses): stop that one.
  if [[ " ${missing[*]} " == *" docker-registry "* ]] && [ -x /etc/init.d/docker-registry ]; then
    /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
  fi
fi

mkdir -p "$DIR" "$DATA"
chmod 0700 "$DIR"

if [ ! -s "$PASSWORD_FILE" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24 >"$PASSWORD_FILE")
fi
chmod 0600 "$PASSWORD_FILE"
password=$(tr -d '\n' <"$PASSWORD_FILE")

restart=0
if [ ! -s "$HTPASSWD_FILE" ] || ! htpasswd -vb "$HTPASSWD_FILE" "$USERNAME" "$password" >/dev/null 2>&1; then
  (umask 077 && htpasswd -nbB "$USERNAME" "$password" >"$HTPASSWD_FILE.tmp")
  mv "$HTPASSWD_FILE.tmp" "$HTPASSWD_FILE"
  restart=1 # the registry reads the htpasswd file once, at start
fi

conf=$(cat <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DATA
  delete:
    enabled: true
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: kolla-test-registry
    path: $HTPASSWD_FILE
EOF
)
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$conf" ]; then
  printf '%s\n' "$conf" >"$CONF"
  restart=1
fi

our_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "docker-registry serve $CONF" || return 1
  printf '%s\n' "$pid"
}
status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$ADDR/v2/" 2>/dev/null || true; }
authed_status() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' -u "$USERNAME:$password" "http://$ADDR/v2/" 2>/dev/null || true
}

pid=$(our_pid || true)
if [ -n "$pid" ] && [ "$restart" -eq 1 ]; then
  say "restarting the registry (configuration or credentials changed)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  pid=""
fi

if [ -z "$pid" ]; then
  if [ "$(status)" != "000" ]; then
    die "something else answers on $ADDR (not the registry this script started); stop it or set KOLLA_REGISTRY_ADDR"
  fi
  say "starting docker-registry on $ADDR (log: $LOG)"
  # Closing the lock descriptors (ours and ensure-test-env.sh's) matters: a registry that
  # inherited one would hold that lock for as long as it runs.
  setsid nohup docker-registry serve "$CONF" >>"$LOG" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  echo $! >"$PIDFILE"
fi

ok=0
for _ in $(seq 1 $((WAIT_SECONDS * 5))); do
  if [ "$(authed_status)" = "200" ]; then ok=1; break; fi
  if ! our_pid >/dev/null; then
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    die "docker-registry exited"
  fi
  sleep 0.2
done
if [ "$ok" -ne 1 ]; then
  tail -n 20 "$LOG" >&2 2>/dev/null || true
  die "the registry did not answer on $ADDR within ${WAIT_SECONDS}s"
fi
[ "$(status)" = "401" ] || die "the registry on $ADDR answers without credentials; auth is not on"

# Plain HTTP is only allowed to registries the engine trusts as insecure; Docker trusts
# 127.0.0.0/8 by default unless daemon.json replaces the list.
host=${ADDR%:*}
insecure=$(docker info --format '{{range .RegistryConfig.InsecureRegistryCIDRs}}{{.}} {{end}}{{range $k, $v := .RegistryConfig.IndexConfigs}}{{if not $v.Secure}}{{$k}} {{end}}{{end}}' 2>/dev/null || true)
case " $insecure " in
  *" 127.0.0.0/8 "* | *" $ADDR "*) ;;
  *)
    if [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; then
      die "the Docker engine does not trust $ADDR as an insecure registry (insecure: ${insecure:-none}); add it to insecure-registries in /etc/docker/daemon.json"
    fi
    say "warning: $ADDR is not in the engine's insecure registries (${insecure:-none}); pushes over plain HTTP will fail"
    ;;
esac
