#!/usr/bin/env bash
# The key in the TPM through ssh-agent: a throwaway swtpm, a token and key made
# with the baretpm CLI, an ssh-agent whose -P allow-list names the module,
# `ssh-add -s MODULE` with the PIN given through SSH_ASKPASS, an ssh login to
# an sshd started here on 127.0.0.1 that uses only the agent, then
# `ssh-add -e MODULE`, after which the agent holds nothing and the login
# fails. Prints each step; exit 0 on success, 77 if a tool is missing.
#
# usage: tests/e2e/ssh-agent.sh CLI MODULE
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cli=$1 module=$(realpath "$2") # the agent matches -P against the real path
# shellcheck source=tests/e2e/lib-sshd.sh
. "$here/tests/e2e/lib-sshd.sh"
work=$(mktemp -d /tmp/baretpm-agent.XXXXXX)
sshd_pid='' agent_pid=''
cleanup() {
	if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null || true; fi
	if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
	"$here/sim/swtpm-stop" "$work/tpm" 2>/dev/null || true
	rm -rf "$work"
}
[ -n "${BTPM_E2E_KEEP:-}" ] || trap cleanup EXIT
# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_tools "openssh-client openssh-server" ssh ssh-add ssh-agent ssh-keygen sshd

step "a throwaway TPM"
throwaway_tpm

step "token and key"
run "$cli" init
run "$cli" addtoken --label=agent --userpin=1234 --sopin=5678
run "$cli" addkey --label=agent --userpin=1234 --algorithm=ecc256 --key-label=agentkey
"$cli" sshkey --label=agent | tee "$work/authorized_keys"
grep -q '^ecdsa-sha2-nistp256 ' "$work/authorized_keys"

step "an sshd on 127.0.0.1"
me=$(id -un)
sshd_start "$work" "$work/authorized_keys"
port=$sshd_port

step "an ssh-agent that may load only this module"
sock=$work/agent.sock
# -D: in the foreground of a background job, so $! is the agent itself
printf '$ ssh-agent -D -a %s -P %s &\n' "$sock" "$module" >&2
ssh-agent -D -a "$sock" -P "$module" >"$work/agent.out" 2>&1 &
agent_pid=$!
for _ in $(seq 1 50); do
	[ -S "$sock" ] && break
	kill -0 "$agent_pid" 2>/dev/null || break
	sleep 0.1
done
[ -S "$sock" ] || { echo "ssh-agent did not start:" >&2; cat "$work/agent.out" >&2; exit 1; }
export SSH_AUTH_SOCK=$sock
echo "ssh-agent pid $agent_pid on $sock, -P $module"
if ssh-add -l >"$work/list" 2>&1; then
	echo "a new agent holds identities:" >&2
	cat "$work/list" >&2
	exit 1
fi
cat "$work/list"

# ssh-add asks "Enter passphrase for PKCS#11:" through the askpass program
cat >"$work/askpass" <<'ASK'
#!/bin/sh
echo "$*" >>"${0%/*}/askpass.prompts"
echo 1234
ASK
chmod 700 "$work/askpass"
add() {
	SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 run ssh-add "$@" </dev/null
}

step "a module off the allow-list is refused"
cp "$module" "$work/other.so"
if add -s "$work/other.so" >"$work/refused" 2>&1; then
	echo "the agent loaded a module its -P list does not allow" >&2
	exit 1
fi
cat "$work/refused"
grep -q "agent refused operation" "$work/refused"
rm -f "$work/askpass.prompts"

step "ssh-add -s MODULE (PIN through SSH_ASKPASS)"
add -s "$module" 2>&1 | tee "$work/added"
grep -q "^Card added" "$work/added"
grep -q "PKCS#11" "$work/askpass.prompts"
sed 's/^/askpass asked: /' "$work/askpass.prompts"
run ssh-add -l | tee "$work/list"
grep -q "(ECDSA)" "$work/list"
[ "$(wc -l <"$work/list")" = 1 ]
run ssh-add -L | tee "$work/agent_keys"
# the agent offers the token's key, the one in authorized_keys
diff <(cut -d' ' -f1,2 "$work/agent_keys") <(cut -d' ' -f1,2 "$work/authorized_keys")

ssh_agent_only() {
	ssh -F /dev/null -n -p "$port" -o IdentityAgent="$sock" -o IdentityFile=none \
		-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o PreferredAuthentications=publickey "$me@127.0.0.1" "$@" </dev/null
}

step "ssh login through the agent alone (no PKCS11Provider, no key file)"
printf '$ ssh -o IdentityAgent=%s -o IdentityFile=none ... %s@127.0.0.1\n' "$sock" "$me"
# shellcheck disable=SC2016 # expanded by the remote shell
out=$(ssh_agent_only 'echo "logged in as $(id -un) via ssh-agent"')
echo "$out"
[ "$out" = "logged in as $me via ssh-agent" ]
grep -q "Accepted publickey for $me" "$work/sshd.log"
grep "Accepted publickey" "$work/sshd.log" | sed 's/^/sshd: /'
# a second login signs again with the agent's (still logged in) token session
out=$(ssh_agent_only 'echo again')
[ "$out" = again ]
echo "a second login: $out"

step "ssh-add -e MODULE removes the key"
run ssh-add -e "$module" 2>&1 | tee "$work/removed"
grep -q "^Card removed" "$work/removed"
if ssh-add -l >"$work/list" 2>&1; then
	echo "the agent still holds identities:" >&2
	cat "$work/list" >&2
	exit 1
fi
cat "$work/list"
grep -q "The agent has no identities" "$work/list"
# the agent's ssh-pkcs11-helper called C_Finalize: nothing of it stays in the TPM
h=$("$cli" getcap handles-transient)$("$cli" getcap handles-loaded-session)
[ -z "$h" ] || { echo "TPM handles left loaded after ssh-add -e: $h" >&2; exit 1; }
echo "no TPM objects or sessions left loaded"

step "and without it, the login fails"
if ssh_agent_only true 2>"$work/ssh.err"; then
	echo "login succeeded with no key in the agent" >&2
	exit 1
fi
sed 's/^/ssh: /' "$work/ssh.err"
grep -q "Permission denied" "$work/ssh.err"

step "no wrong PIN was counted"
"$cli" info | grep '^lockout:'
"$cli" info | grep -q '^lockout: *0 of '
echo
echo "e2e ssh-agent: all steps passed"
