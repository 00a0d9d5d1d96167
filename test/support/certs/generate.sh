#!/bin/sh
# Output: ca.pem (test CA; its key is discarded), valid/expired/wronghost leaves issued by it
# (expired: notAfter 2021), and selfsigned (not issued by the CA). Leaves cover localhost
# and 127.0.0.1. Committed so tests need no openssl; lifetimes run to 2124.
# Regenerates the test certificates. Run from this directory; needs openssl >= 1.1.1.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
# Test CA, valid for 100 years.
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=jetmon2 test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
touch "$tmp/index.txt"; echo 1000 > "$tmp/serial"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $tmp
database = $tmp/index.txt
serial = $tmp/serial
new_certs_dir = $tmp
certificate = $(pwd)/ca.pem
private_key = $(pwd)/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
CNF
# leaf NAME CN SAN STARTDATE ENDDATE
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -addext "subjectAltName=$3" -out "$tmp/$1.csr"
  openssl ca -batch -config "$tmp/ca.cnf" -notext -startdate "$4" -enddate "$5" -in "$tmp/$1.csr" -out "$1.pem" 2>/dev/null
}
leaf valid localhost "DNS:localhost,IP:127.0.0.1" 20240101000000Z 21240101000000Z
leaf expired localhost "DNS:localhost,IP:127.0.0.1" 20200101000000Z 20210101000000Z
leaf wronghost other.example "DNS:other.example" 20240101000000Z 21240101000000Z
# Self-signed (not issued by the test CA), valid for 100 years.
key selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 36500 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out selfsigned.pem
rm -f ca.key
