#!/bin/sh
# Runs inside `dbus-run-session` (started with XDG_DATA_DIRS pointing at an empty dir, so the bus
# cannot activate a system certmonger-session behind our back): a private session bus, a certmonger on it with its state in $CM_DIR,
# one SCEP CA and one request, waiting for the result. Everything lives and dies with this script.
set -eu
export HOME="$CM_DIR" XDG_CONFIG_HOME="$CM_DIR/config" XDG_DATA_HOME="$CM_DIR/data" XDG_CACHE_HOME="$CM_DIR/cache"
# As root certmonger keeps its state in /var/lib/certmonger unless told otherwise: keep it all here.
export CERTMONGER_CAS_DIR="$CM_DIR/cm/cas" CERTMONGER_REQUESTS_DIR="$CM_DIR/cm/requests" CERTMONGER_LOCAL_CA_DIR="$CM_DIR/cm/local" \
  CERTMONGER_CONFIG_DIR="$CM_DIR/cm/config" CERTMONGER_TMPDIR="$CM_DIR/cm/tmp" CERTMONGER_SYSTEM_LOCK_FILE="$CM_DIR/cm/lock"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$CERTMONGER_CAS_DIR" "$CERTMONGER_REQUESTS_DIR" "$CERTMONGER_LOCAL_CA_DIR" "$CERTMONGER_CONFIG_DIR" "$CERTMONGER_TMPDIR"
certmonger -s -n -d 2 -p "$CM_DIR/certmonger.pid" > "$CM_DIR/certmonger.log" 2>&1 &
CM_PID=$!
trap 'kill $CM_PID 2>/dev/null || true' EXIT
# Wait until our certmonger owns its bus name (the bus has no service files, so nothing is auto-started).
for _ in $(seq 1 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.fedorahosted.certmonger 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.2
done
getcert add-scep-ca -s -c certctl -u "$SCEP_URL" -r "$CM_DIR/ra.pem" -N "$CM_DIR/ca.pem"
getcert request -s -c certctl -I host -f "$CM_DIR/host.crt" -k "$CM_DIR/host.key" -N "CN=$CM_CN" -D "$CM_CN" -L "$CM_CHALLENGE" -w -v || true
getcert list -s -i host
