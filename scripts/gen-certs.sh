#!/usr/bin/env bash
# gen-certs.sh DIR [extra SAN names or IPs...]
#
# Makes a throwaway test PKI for Hashi with openssl (EC P-256, 825 days):
#   ca.pem, ca-key.pem                 the CA (use ca.pem as trustStore / --cafile)
#   server.pem                         server certificate chain + private key (keyStore)
#   server-cert.pem, server-key.pem    the same, separately
#   server.p12                         PKCS#12 key store, password "changeit"
#   client.pem                         client certificate + key, CN "client" (needClientAuth)
#   client-cert.pem, client-key.pem    the same, separately
# The server certificate names localhost, 127.0.0.1 and ::1 plus any extra names.
# Re-running overwrites everything in DIR, including the CA.
#
# Example:
#   scripts/gen-certs.sh certs broker1.example.com 10.0.0.5
#   mosquitto_sub -h localhost -p 8883 --cafile certs/ca.pem \
#       --cert certs/client-cert.pem --key certs/client-key.pem -t 'test/#'
set -euo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	echo "usage: $0 DIR [extra SAN names or IPs...]" >&2
	exit 2
fi
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 1; }

dir=$1
shift
days=825
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# Subject alternative names: IPs (v4 or v6) as IP:, everything else as DNS:.
san="DNS:localhost,IP:127.0.0.1,IP:::1"
names="localhost 127.0.0.1 ::1"
for name in "$@"; do
	names+=" $name"
	if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then
		san+=",IP:$name"
	else
		san+=",DNS:$name"
	fi
done

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }

# CA
newkey "$work/ca-key.pem"
cat >"$work/ca.ext" <<EXT
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EXT
openssl req -new -key "$work/ca-key.pem" -subj "/CN=Hashi Test CA" -out "$work/ca.csr"
openssl x509 -req -in "$work/ca.csr" -signkey "$work/ca-key.pem" -days "$days" -sha256 \
	-set_serial "$(serial)" -extfile "$work/ca.ext" -out "$work/ca.pem" 2>/dev/null

# leaf NAME CN EXTFILE: a key and a certificate signed by the CA.
leaf() {
	newkey "$work/$1-key.pem"
	openssl req -new -key "$work/$1-key.pem" -subj "/CN=$2" -out "$work/$1.csr"
	openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
		-set_serial "$(serial)" -days "$days" -sha256 -extfile "$3" -out "$work/$1-cert.pem" 2>/dev/null
}

cat >"$work/server.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
authorityKeyIdentifier = keyid
EXT
leaf server localhost "$work/server.ext"

cat >"$work/client.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EXT
leaf client client "$work/client.ext"

cat "$work/server-cert.pem" "$work/ca.pem" "$work/server-key.pem" >"$work/server.pem"
cat "$work/client-cert.pem" "$work/client-key.pem" >"$work/client.pem"

# PKCS#12 with PBE-SHA1-3DES and a SHA-1 MAC: readable by Java keytool, Hashi
# (golang.org/x/crypto/pkcs12) and every openssl version.
openssl pkcs12 -export -in "$work/server-cert.pem" -inkey "$work/server-key.pem" \
	-certfile "$work/ca.pem" -name server -passout pass:changeit \
	-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -out "$work/server.p12"

made=(ca.pem ca-key.pem server.pem server-cert.pem server-key.pem server.p12 client.pem client-cert.pem client-key.pem)
for f in "${made[@]}"; do
	cp "$work/$f" "$dir/$f"
done
# Certificates are public; keys and key stores stay private (umask 077).
chmod 644 "$dir/ca.pem" "$dir/server-cert.pem" "$dir/client-cert.pem"

echo "made in $dir (EC P-256, valid $days days; server names: $names):"
echo "  ca.pem ca-key.pem                CA certificate and key (trustStore, --cafile)"
echo "  server.pem                       server chain + key (sslContext keyStore)"
echo "  server-cert.pem server-key.pem   server certificate and key"
echo "  server.p12                       PKCS#12 key store, password changeit"
echo "  client.pem                       client certificate + key, CN client"
echo "  client-cert.pem client-key.pem   client certificate and key (--cert, --key)"
