#!/bin/sh
# certctl CRL script: prints a DER CRL signed by the `openssl ca` directory in $CERTCTL_OPENSSL_CA_DIR.
# stdin: one line per revocation certctl knows of, "<hex serial> <RFC 5280 reason> <YYYYMMDDHHMMSSZ>",
# already checked by certctl. Those the CA database lacks are recorded first, so the CRL lists both.
# Environment: CERTCTL_CRL_NUMBER (decimal), CERTCTL_CRL_LAST_UPDATE and CERTCTL_CRL_NEXT_UPDATE.
set -eu
ca_dir=${CERTCTL_OPENSSL_CA_DIR:?set CERTCTL_OPENSSL_CA_DIR to the CA directory}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec 9> "$ca_dir/.lock"
flock 9

openssl_reason() {
  case $1 in
    caCompromise) echo CACompromise ;;
    unspecified|keyCompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold|removeFromCRL) echo "$1" ;;
    *) echo unspecified ;;
  esac
}

while read -r serial reason revoked_at; do
  case $serial in ''|*[!0-9a-fA-F]*) echo "bad serial on stdin" >&2; exit 2 ;; esac
  case $revoked_at in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z) ;; *) echo "bad time on stdin" >&2; exit 2 ;; esac
  serial=$(printf '%s' "$serial" | tr 'a-f' 'A-F')
  case ${#serial} in *[13579]) serial="0$serial" ;; esac
  reason=$(openssl_reason "$reason")
  status=$(awk -F '\t' -v s="$serial" '$4 == s { print $1 }' "$ca_dir/index.txt")
  if [ "$status" = V ]; then
    openssl ca -batch -config "$ca_dir/openssl.cnf" -revoke "$ca_dir/newcerts/$serial.pem" -crl_reason "$reason" 2> "$work/errors" \
      || { cat "$work/errors" >&2; exit 1; }
  elif [ -z "$status" ]; then
    # A serial this CA database never saw: add a revoked row (index.txt is openssl ca's documented
    # text database: status, expiry, revocation date[,reason], serial, file, subject).
    printf 'R\t491231235959Z\t%s,%s\t%s\tunknown\t/CN=revoked through certctl\n' \
      "$(printf '%s' "$revoked_at" | cut -c3-)" "$reason" "$serial" >> "$ca_dir/index.txt"
  fi
done

set -- -batch -gencrl -config "$ca_dir/openssl.cnf" -out "$work/crl.pem"
if [ -n "${CERTCTL_CRL_NUMBER:-}" ]; then
  hex=$(printf '%X' "$CERTCTL_CRL_NUMBER")
  case ${#hex} in *[13579]) hex="0$hex" ;; esac
  echo "$hex" > "$ca_dir/crlnumber"
fi
[ -z "${CERTCTL_CRL_LAST_UPDATE:-}" ] || set -- "$@" -crl_lastupdate "$CERTCTL_CRL_LAST_UPDATE"
[ -z "${CERTCTL_CRL_NEXT_UPDATE:-}" ] || set -- "$@" -crl_nextupdate "$CERTCTL_CRL_NEXT_UPDATE"
openssl ca "$@" 2> "$work/errors" || { cat "$work/errors" >&2; exit 1; }
openssl crl -in "$work/crl.pem" -outform DER
