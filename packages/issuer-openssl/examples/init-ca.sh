#!/bin/sh
# Creates a small `openssl ca` directory (root key and certificate, database, config) at "$1".
# For trying the connector and for its tests; a production CA directory is the operator's own.
set -eu
ca_dir=${1:?usage: init-ca.sh <new CA directory> [CA common name]}
name=${2:-certctl example openssl CA}
umask 077
mkdir -p "$ca_dir/newcerts" "$ca_dir/private"
: > "$ca_dir/index.txt"
echo 'unique_subject = no' > "$ca_dir/index.txt.attr"
openssl rand -hex 16 | sed 's/^./7/' > "$ca_dir/serial"
echo 1000 > "$ca_dir/crlnumber"
cat > "$ca_dir/openssl.cnf" <<CNF
[ ca ]
default_ca = certctl_ca

[ certctl_ca ]
dir = $ca_dir
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.pem
private_key = \$dir/private/ca-key.pem
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 90
default_crl_days = 1
policy = certctl_policy
copy_extensions = copy
x509_extensions = leaf_ext
crl_extensions = crl_ext
unique_subject = no
preserve = no
email_in_dn = no

[ certctl_policy ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
emailAddress = optional

[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ crl_ext ]
authorityKeyIdentifier = keyid

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = $name

[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$ca_dir/private/ca-key.pem" -out "$ca_dir/ca.pem" -days 3650 \
  -config "$ca_dir/openssl.cnf" -extensions root_ext 2>/dev/null
chmod 600 "$ca_dir/private/ca-key.pem"
echo "CA ready in $ca_dir"
