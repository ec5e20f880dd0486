#!/bin/sh
# certctl revoke script: revoke.sh <serial> <reason> <reason code>
# certctl has checked the serial (hex digits only) and the reason (an RFC 5280 name) before running it.
set -eu
ca_dir=${CERTCTL_OPENSSL_CA_DIR:?set CERTCTL_OPENSSL_CA_DIR to the CA directory}
serial=$(printf '%s' "${1:?usage: revoke.sh <serial> <reason> <code>}" | tr 'a-f' 'A-F')
reason=${2:?usage: revoke.sh <serial> <reason> <code>}
case ${#serial} in *[13579]) serial="0$serial" ;; esac
# openssl ca spells two reasons its own way and knows no privilegeWithdrawn or aaCompromise.
case $reason in
  caCompromise) reason=CACompromise ;;
  unspecified|keyCompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold|removeFromCRL) ;;
  *) echo "openssl ca cannot record reason $reason" >&2; exit 2 ;;
esac
cert="$ca_dir/newcerts/$serial.pem"
if [ ! -f "$cert" ]; then
  echo "this CA did not issue serial $serial" >&2
  exit 3
fi
flock "$ca_dir/.lock" openssl ca -batch -config "$ca_dir/openssl.cnf" -revoke "$cert" -crl_reason "$reason"
