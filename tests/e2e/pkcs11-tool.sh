#!/usr/bin/env bash
# Standard PKCS#11 administration with no baretpm CLI beyond 'init': OpenSC's
# pkcs11-tool initializes a token on the empty slot, sets the user PIN,
# generates P-256 and P-384 keys, signs with every ECDSA mechanism (each
# signature verified by openssl), changes the PIN, reads and deletes objects;
# then GnuTLS's p11tool lists and test-signs. Exit 0 on success, 77 if a tool
# is missing.
#
# usage: tests/e2e/pkcs11-tool.sh CLI MODULE
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cli=$1 module=$2
work=$(mktemp -d /tmp/baretpm-p11.XXXXXX)
trap '"$here/sim/swtpm-stop" "$work/tpm" 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_tools "" pkcs11-tool openssl p11tool
p11() { printf '$ pkcs11-tool %s\n' "$*"; pkcs11-tool --module "$module" "$@"; }

throwaway_tpm
"$cli" init >/dev/null

step "slots: one empty slot to initialize"
p11 --list-slots | tee "$work/slots"
grep -q "token state:   uninitialized" "$work/slots"

step "initialize a token and its user PIN"
p11 --init-token --slot-index 0 --label p11 --so-pin 87654321
p11 --init-pin --token-label p11 --login --login-type so --so-pin 87654321 --pin 123456
p11 --list-token-slots | tee "$work/slots"
grep -q "token label        : p11" "$work/slots"
grep -q "PIN initialized" "$work/slots"

step "generate keys in the TPM"
p11 --token-label p11 --login --pin 123456 --keypairgen --key-type EC:prime256v1 --label k256 --id 01
p11 --token-label p11 --login --pin 123456 --keypairgen --key-type EC:secp384r1 --label k384 --id 02
p11 --token-label p11 --list-objects | tee "$work/public"
grep -q "Public Key Object; EC" "$work/public"
if grep -q "Private Key Object" "$work/public"; then
	echo "private keys visible without login" >&2
	exit 1
fi
p11 --token-label p11 --login --pin 123456 --list-objects | tee "$work/all"
[ "$(grep -c "Private Key Object; EC" "$work/all")" = 2 ]

step "sign with every mechanism; openssl verifies"
head -c 1000 /dev/urandom >"$work/data"
for id in 01 02; do
	if [ "$id" = 01 ]; then
		p11 --token-label p11 --read-object --type pubkey --id "$id" -o "$work/pub$id.der"
		openssl pkey -pubin -inform DER -in "$work/pub$id.der" -out "$work/pub$id.pem"
	else
		# OpenSC 0.23 cannot turn a P-384 CKA_EC_POINT into an EVP_PKEY
		# ("cannot create EVP_PKEY"); GnuTLS's p11tool exports it fine.
		GNUTLS_PIN=123456 p11tool --provider "$module" --login --outfile "$work/pub$id.pem" \
			--export-pubkey "pkcs11:token=p11;id=%$id;type=public"
	fi
	for mech in SHA1 SHA256 SHA384 SHA512; do
		p11 --token-label p11 --login --pin 123456 --sign --id "$id" -m "ECDSA-$mech" \
			--signature-format openssl -i "$work/data" -o "$work/sig"
		dgst=$(echo "$mech" | tr '[:upper:]' '[:lower:]')
		openssl dgst "-$dgst" -verify "$work/pub$id.pem" -signature "$work/sig" "$work/data"
	done
	openssl dgst -sha256 -binary "$work/data" >"$work/hash"
	p11 --token-label p11 --login --pin 123456 --sign --id "$id" -m ECDSA \
		--signature-format openssl -i "$work/hash" -o "$work/sig"
	openssl pkeyutl -verify -pubin -inkey "$work/pub$id.pem" -in "$work/hash" -sigfile "$work/sig"
done

step "a wrong PIN"
if p11 --token-label p11 --login --pin 000000 --list-objects >"$work/wrong" 2>&1; then
	echo "login with a wrong PIN succeeded" >&2
	exit 1
fi
grep -q "CKR_PIN_INCORRECT" "$work/wrong"
"$cli" dareset >/dev/null

step "change the user PIN"
p11 --token-label p11 --login --pin 123456 --change-pin --new-pin 654321
p11 --token-label p11 --login --pin 654321 --list-objects >/dev/null

step "p11tool"
url="pkcs11:token=p11"
printf '$ p11tool --provider MODULE --list-tokens\n'
p11tool --provider "$module" --list-tokens | tee "$work/tokens"
grep -q "Label: p11" "$work/tokens"
GNUTLS_PIN=654321 p11tool --provider "$module" --login --list-all "$url" | tee "$work/all"
grep -q "k384" "$work/all"
GNUTLS_PIN=654321 p11tool --provider "$module" --login --test-sign "$url;object=k256;type=private" 2>&1 \
	| tee "$work/testsign"
grep -q "Verifying against public key in the token... ok" "$work/testsign"

step "delete a key"
p11 --token-label p11 --login --pin 654321 --delete-object --type privkey --id 02
p11 --token-label p11 --delete-object --type pubkey --id 02 --login --pin 654321
p11 --token-label p11 --login --pin 654321 --list-objects | tee "$work/after"
if grep -q k384 "$work/after"; then
	echo "k384 still there" >&2
	exit 1
fi
echo
echo "e2e pkcs11-tool/p11tool: all steps passed"
