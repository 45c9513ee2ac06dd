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
work=$(mktemp -d /tmp/baretpm-e2e.XXXXXX)
sshd_pid=
cleanup() {
	if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
	"$here/sim/swtpm-stop" "$work/tpm" 2>/dev/null || true
	rm -rf "$work"
}
[ -n "${BTPM_E2E_KEEP:-}" ] || trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

for tool in ssh ssh-keygen sshd; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
		echo "missing $tool: install openssh-client openssh-server (make deps)" >&2
		exit 77
	}
done
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)

step "a throwaway TPM"
export "$("$here/sim/swtpm-start" "$work/tpm")"
export BARETPM_STORE=$work/store
echo "BARETPM_TCTI=$BARETPM_TCTI BARETPM_STORE=$BARETPM_STORE"

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
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
mkdir -p /run/sshd 2>/dev/null || true
me=$(id -un)
port=
for _ in $(seq 1 20); do
	p=$((20000 + RANDOM % 40000))
	cat >"$work/sshd_config" <<CONF
Port $p
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $me
LogLevel VERBOSE
CONF
	"$sshd_bin" -f "$work/sshd_config" -E "$work/sshd.log" -D &
	sshd_pid=$!
	for _ in $(seq 1 50); do
		if grep -q "Server listening" "$work/sshd.log" 2>/dev/null; then
			port=$p
			break 2
		fi
		kill -0 "$sshd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$sshd_pid" 2>/dev/null || true
	wait "$sshd_pid" 2>/dev/null || true
	sshd_pid=
done
[ -n "$port" ] || { echo "sshd did not start:" >&2; cat "$work/sshd.log" >&2; exit 1; }
echo "sshd pid $sshd_pid on 127.0.0.1:$port"

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
