#!/usr/bin/env bash
# OpenSSL 3 with its key in the TPM, through the PKCS#11 engine of Debian's
# libengine-pkcs11-openssl (libp11): a throwaway swtpm, a token and key made
# with the baretpm CLI, a CSR and a self-signed certificate made by
# `openssl req -engine pkcs11 -keyform engine -key pkcs11:...` and verified by
# plain openssl, a signature by the engine verified against the certificate,
# then the certificate imported into the token with C_CreateObject
# (pkcs11-tool --write-object), read back byte for byte and listed by p11tool.
# Prints each step; exit 0 on success, 77 if a tool or the engine is missing.
#
# usage: tests/e2e/openssl-engine.sh CLI MODULE
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cli=$1 module=$(realpath "$2")
work=$(mktemp -d /tmp/baretpm-ossl.XXXXXX)
cleanup() {
	"$here/sim/swtpm-stop" "$work/tpm" 2>/dev/null || true
	rm -rf "$work"
}
[ -n "${BTPM_E2E_KEEP:-}" ] || trap cleanup EXIT
# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_tools "" openssl pkcs11-tool p11tool ssh-keygen
engine_so=
for d in "$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')" \
	/usr/lib/x86_64-linux-gnu/engines-3 /usr/lib/engines-3; do
	if [ -n "$d" ] && [ -e "$d/pkcs11.so" ]; then
		engine_so=$d/pkcs11.so
		break
	fi
done
[ -n "$engine_so" ] || {
	echo "missing the OpenSSL PKCS#11 engine: install libengine-pkcs11-openssl (make deps)" >&2
	exit 77
}

pin=1234
# openssl with the engine configured (the config names the module)
ossl() { printf '$ openssl %s\n' "$*" >&2; OPENSSL_CONF=$work/openssl.cnf openssl "$@"; }
# plain openssl: no engine, no module, the system configuration
plain() { printf '$ openssl %s\n' "$*" >&2; env -u OPENSSL_CONF openssl "$@"; }
p11() { printf '$ pkcs11-tool %s\n' "$*" >&2; pkcs11-tool --module "$module" "$@"; }
no_tpm_leftovers() {
	# libp11 never calls C_Finalize: the module must flush at exit by itself
	local h
	h=$("$cli" getcap handles-transient)$("$cli" getcap handles-loaded-session)
	[ -z "$h" ] || { echo "TPM handles left loaded after exit: $h" >&2; exit 1; }
}

step "a throwaway TPM"
throwaway_tpm

step "token and key"
run "$cli" init
run "$cli" addtoken --label=ossl --userpin=$pin --sopin=5678
run "$cli" addkey --label=ossl --userpin=$pin --algorithm=ecc256 --key-label=tls
run "$cli" listobjects --label=ossl | tee "$work/objects"
# the id baretpm chose (hex), as pkcs11-tool wants it
id=$(awk '/^- class: private/ { p = 1 } p && $1 == "id:" { print $2; exit }' "$work/objects")
[ -n "$id" ] || { echo "no key id in listobjects" >&2; exit 1; }
key="pkcs11:token=ossl;object=tls;type=private"
echo "key id $id, $key"

step "an OpenSSL config that loads the engine with the module"
cat >"$work/openssl.cnf" <<CNF
openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = $engine_so
MODULE_PATH = $module
init = 0

[req]
distinguished_name = req_dn
prompt = no

[req_dn]
CN = unused
CNF
cat "$work/openssl.cnf"
ossl engine -t pkcs11 | tee "$work/engine"
grep -q "available" "$work/engine"

step "a CSR signed in the TPM (PIN through the engine's prompt, -passin)"
ossl req -new -engine pkcs11 -keyform engine -key "$key" -passin "pass:$pin" \
	-subj /CN=baretpm-test -out "$work/csr.pem" </dev/null
plain req -in "$work/csr.pem" -verify -noout -subject 2>&1 | tee "$work/csr.verify"
grep -q "verify OK" "$work/csr.verify"
grep -q "CN *= *baretpm-test" "$work/csr.verify"
no_tpm_leftovers

step "a self-signed certificate (PIN in the URI, pin-value)"
ossl req -x509 -new -days 30 -engine pkcs11 -keyform engine -key "$key;pin-value=$pin" \
	-subj /CN=baretpm-test -out "$work/cert.pem" </dev/null
plain verify -CAfile "$work/cert.pem" "$work/cert.pem"
plain x509 -in "$work/cert.pem" -noout -subject -issuer -fingerprint -sha256
no_tpm_leftovers

step "the certificate's key is the token's key"
plain x509 -in "$work/cert.pem" -noout -pubkey >"$work/cert-pub.pem"
p11 --token-label ossl --read-object --type pubkey --id "$id" -o "$work/token-pub.der"
plain pkey -pubin -inform DER -in "$work/token-pub.der" -out "$work/token-pub.pem"
diff "$work/cert-pub.pem" "$work/token-pub.pem"
# and the CLI's view of it (OpenSSH form, read from the store alone)
ssh-keygen -i -m PKCS8 -f "$work/cert-pub.pem" | cut -d' ' -f1,2 >"$work/cert.ssh"
"$cli" sshkey --label=ossl | cut -d' ' -f1,2 >"$work/cli.ssh"
diff "$work/cert.ssh" "$work/cli.ssh"
plain req -in "$work/csr.pem" -noout -pubkey | diff - "$work/cert-pub.pem"
echo "same public key: certificate, CSR, pkcs11-tool, baretpm sshkey"

step "a signature by the engine, verified with the certificate"
head -c 4096 /dev/urandom >"$work/data"
ossl dgst -sha256 -engine pkcs11 -keyform engine -sign "$key;pin-value=$pin" \
	-out "$work/data.sig" "$work/data"
plain dgst -sha256 -verify "$work/cert-pub.pem" -signature "$work/data.sig" "$work/data"

step "import the certificate into the token (C_CreateObject) and read it back"
plain x509 -in "$work/cert.pem" -outform DER -out "$work/cert.der"
p11 --token-label ossl --login --pin $pin --write-object "$work/cert.der" --type cert \
	--id "$id" --label tls
p11 --token-label ossl --read-object --type cert --id "$id" -o "$work/back.der"
cmp "$work/cert.der" "$work/back.der"
echo "read back: $(wc -c <"$work/back.der") bytes, identical"
p11 --token-label ossl --list-objects --type cert | tee "$work/certs"
grep -q "Certificate Object; type = X.509 cert" "$work/certs"
grep -q "subject: *DN: CN=baretpm-test" "$work/certs"

step "p11tool sees the certificate next to its key"
printf '$ p11tool --provider MODULE --list-all-certs pkcs11:token=ossl\n'
p11tool --provider "$module" --list-all-certs "pkcs11:token=ossl" | tee "$work/p11certs"
grep -q "Type: X.509 Certificate (EC/ECDSA-SECP256R1)" "$work/p11certs"
grep -q "Label: tls" "$work/p11certs"
idc=$(echo "$id" | sed 's/../&:/g; s/:$//')
grep -q "ID: $idc" "$work/p11certs"
p11tool --provider "$module" --export "pkcs11:token=ossl;object=tls;type=cert" >"$work/exported.pem"
plain x509 -in "$work/exported.pem" -outform DER | cmp - "$work/cert.der"
echo "p11tool --export gives the same certificate"

step "the engine still finds and uses the key with a certificate beside it"
ossl req -new -engine pkcs11 -keyform engine -key "$key;pin-value=$pin" \
	-subj /CN=baretpm-again -out "$work/csr2.pem" </dev/null
plain req -in "$work/csr2.pem" -verify -noout
no_tpm_leftovers

step "no wrong PIN was counted"
"$cli" info | grep '^lockout:'
"$cli" info | grep -q '^lockout: *0 of '
echo
echo "e2e openssl engine: all steps passed"
