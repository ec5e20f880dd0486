#!/bin/sh
# Runs inside `dbus-run-session`: a private session bus, a certmonger on it with its state in $CM_DIR,
# one SCEP CA and one request, waiting for the result. Everything lives and dies with this script.
set -eu
export HOME="$CM_DIR" XDG_CONFIG_HOME="$CM_DIR/config" XDG_DATA_HOME="$CM_DIR/data" XDG_CACHE_HOME="$CM_DIR/cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
certmonger -s -n -d 2 -p "$CM_DIR/certmonger.pid" > "$CM_DIR/certmonger.log" 2>&1 &
CM_PID=$!
trap 'kill $CM_PID 2>/dev/null || true' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do getcert list-cas -s > /dev/null 2>&1 && break; sleep 0.3; done
getcert add-scep-ca -s -c certctl -u "$SCEP_URL" -r "$CM_DIR/ra.pem" -N "$CM_DIR/ca.pem"
getcert request -s -c certctl -I host -f "$CM_DIR/host.crt" -k "$CM_DIR/host.key" -N "CN=$CM_CN" -D "$CM_CN" -L "$CM_CHALLENGE" -w -v || true
getcert list -s -i host
