#!/bin/sh
# share/demo-keys.sh TYPE BITS FILE: make a demo DKIM private key (PKCS#8 PEM)
# for the sandbox.  Demo keys are made by the build and never committed.
# The umask is set before the file exists, so it is never readable by others.
set -eu
type=$1 bits=$2 out=$3
umask 077
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
case $type in
rsa)	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
	    -out "$tmp" 2>/dev/null ;;
ed25519) openssl genpkey -algorithm ed25519 -out "$tmp" 2>/dev/null ;;
*)	echo "demo-keys: unknown key type $type" >&2; exit 64 ;;
esac
mv "$tmp" "$out"
