#!/bin/sh
# A DNS hook for certctl's ACME issuer that publishes TXT records in pebble-challtestsrv through its
# management API. Usage (from a wrapper the test writes): challtestsrv-dns-hook.sh present|cleanup URL
# It reads the documented CERTCTL_DNS_FQDN and CERTCTL_DNS_VALUE, exactly like a real provider hook.
set -eu
action="$1"
url="$2"
: "${CERTCTL_DNS_FQDN:?missing}"
: "${CERTCTL_DNS_DOMAIN:?missing}"
case "$action" in
  present)
    : "${CERTCTL_DNS_VALUE:?missing}"
    body=$(printf '{"host":"%s.","value":"%s"}' "$CERTCTL_DNS_FQDN" "$CERTCTL_DNS_VALUE")
    curl -fsS -X POST -d "$body" "$url/set-txt" ;;
  cleanup)
    body=$(printf '{"host":"%s."}' "$CERTCTL_DNS_FQDN")
    curl -fsS -X POST -d "$body" "$url/clear-txt" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
# A log line per call lets tests check which records were touched.
if [ -n "${HOOK_LOG:-}" ]; then echo "$action $CERTCTL_DNS_FQDN $CERTCTL_DNS_VALUE" >> "$HOOK_LOG"; fi
