#!/usr/bin/env bash
# Makes the TLS material of the cluster tests in the directory $1 (the build
# tree): a cluster CA, a node certificate and key signed by it, and a foreign
# CA with a node certificate of its own. Generated at build time so that no
# private key is ever committed; valid for ten years, RSA 2048.
set -euo pipefail
out="$1"
mkdir -p "$out"
cd "$out"

ext="$(mktemp)"
trap 'rm -f "$ext"' EXIT
# Both ends present the same kind of certificate (mutual TLS).
cat > "$ext" <<'EXT'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT

make_ca() { # name
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}

make_node() { # name ca
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$1.pem" \
    2>/dev/null
  rm -f "$1.csr"
}

make_ca cluster-ca
make_node node cluster-ca
make_ca foreign-ca
make_node foreign-node foreign-ca
rm -f ./*.srl
# The keys stay readable by their owner only.
chmod 600 ./*.key
