#!/usr/bin/env bash
# End to end, as a user would: a throwaway swtpm, a token and a key made with
# the baretpm CLI, the public key listed by the real `ssh-keygen -D`, and a
# real `ssh` login with PKCS11Provider to an sshd started here on 127.0.0.1,
# the PIN given through SSH_ASKPASS. Prints each step; exit 0 on success.
#
# usage: tests/e2e/ssh-login.sh CLI MODULE
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cli=$1 module=$2
# shellcheck source=tests/e2e/lib-sshd.sh
. "$here/tests/e2e/lib-sshd.sh"
work=$(mktemp -d /tmp/baretpm-e2e.XXXXXX)
sshd_pid=
cleanup() {
	if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
	"$here/sim/swtpm-stop" "$work/tpm" 2>/dev/null || true
	rm -rf "$work"
}
[ -n "${BTPM_E2E_KEEP:-}" ] || trap cleanup EXIT
# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_tools "openssh-client openssh-server" ssh ssh-keygen sshd

step "a throwaway TPM"
throwaway_tpm

step "token and key"
run "$cli" init
run "$cli" addtoken --label=ssh --userpin=1234 --sopin=5678
run "$cli" addkey --label=ssh --userpin=1234 --algorithm=ecc256

step "the public key, through the PKCS#11 module"
run ssh-keygen -D "$module" | tee "$work/authorized_keys"
"$cli" sshkey --label=ssh >"$work/cli_keys"
# the same key material whichever way it is read (comments may differ)
diff <(cut -d' ' -f1,2 "$work/authorized_keys") <(cut -d' ' -f1,2 "$work/cli_keys")
grep -q '^ecdsa-sha2-nistp256 ' "$work/authorized_keys"

step "an sshd on 127.0.0.1"
me=$(id -un)
sshd_start "$work" "$work/authorized_keys"
port=$sshd_port

step "ssh login with the key in the TPM (PIN through SSH_ASKPASS)"
cat >"$work/askpass" <<'ASK'
#!/bin/sh
echo 1234
ASK
chmod 700 "$work/askpass"
out=$(SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ssh -F /dev/null -n -p "$port" -o PKCS11Provider="$module" \
	-o IdentityFile=none -o IdentityAgent=none -o BatchMode=no \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-o PreferredAuthentications=publickey "$me@127.0.0.1" \
	'echo "logged in as $(id -un) via baretpm"' </dev/null)
echo "$out"
[ "$out" = "logged in as $me via baretpm" ]
grep -q "Accepted publickey for $me" "$work/sshd.log"
grep "Accepted publickey" "$work/sshd.log" | sed 's/^/sshd: /'

step "a wrong PIN is refused and counted by the TPM"
printf '#!/bin/sh\necho 0000\n' >"$work/askpass"
if SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ssh -F /dev/null -n -p "$port" -o PKCS11Provider="$module" \
	-o IdentityFile=none -o IdentityAgent=none -o BatchMode=no -o NumberOfPasswordPrompts=1 \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-o PreferredAuthentications=publickey "$me@127.0.0.1" true </dev/null 2>"$work/ssh.err"; then
	echo "login with a wrong PIN succeeded" >&2
	exit 1
fi
"$cli" info | grep '^lockout:'
"$cli" info | grep -q '^lockout: *1 of 3 failed attempts'
run "$cli" dareset
echo
echo "e2e ssh: all steps passed"
