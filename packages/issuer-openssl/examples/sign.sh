#!/bin/sh
# certctl sign script: reads a PEM CSR on stdin, signs it with the `openssl ca` directory in
# $CERTCTL_OPENSSL_CA_DIR (see init-ca.sh), prints the certificate then the CA certificate (PEM).
# certctl sets CERTCTL_NOT_AFTER (YYYYMMDDHHMMSSZ) when the profile caps the validity.
set -eu
ca_dir=${CERTCTL_OPENSSL_CA_DIR:?set CERTCTL_OPENSSL_CA_DIR to the CA directory}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/request.pem"
set -- -batch -notext -config "$ca_dir/openssl.cnf" -in "$work/request.pem" -out "$work/certificate.pem"
if [ -n "${CERTCTL_NOT_AFTER:-}" ]; then
  set -- "$@" -enddate "$CERTCTL_NOT_AFTER"
fi
# openssl ca keeps its database in plain files: one signer at a time.
if ! flock "$ca_dir/.lock" openssl ca "$@" 2> "$work/errors"; then
  cat "$work/errors" >&2
  exit 1
fi
cat "$work/certificate.pem" "$ca_dir/ca.pem"
