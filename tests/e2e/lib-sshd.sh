# shellcheck shell=bash
# Sourced by the e2e scripts that log in over ssh: an unprivileged sshd on
# 127.0.0.1 that accepts only public keys, for the current user only.
#
# sshd_start DIR AUTHORIZED_KEYS
#   writes DIR/host_key, DIR/sshd_config, DIR/sshd.pid and DIR/sshd.log, tries
#   random ports until one binds, and sets sshd_pid and sshd_port. The caller
#   kills $sshd_pid when it is done (in its EXIT trap). Exits 1 if no sshd
#   starts.

sshd_start() {
	local dir=$1 keys=$2 bin me p
	bin=$(command -v sshd || echo /usr/sbin/sshd)
	me=$(id -un)
	sshd_pid='' sshd_port=''
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	mkdir -p /run/sshd 2>/dev/null || true
	for _ in $(seq 1 20); do
		p=$((20000 + RANDOM % 40000))
		cat >"$dir/sshd_config" <<CONF
Port $p
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $me
LogLevel VERBOSE
CONF
		: >"$dir/sshd.log"
		"$bin" -f "$dir/sshd_config" -E "$dir/sshd.log" -D &
		sshd_pid=$!
		for _ in $(seq 1 50); do
			if grep -q "Server listening" "$dir/sshd.log" 2>/dev/null; then
				sshd_port=$p
				echo "sshd pid $sshd_pid on 127.0.0.1:$sshd_port"
				return 0
			fi
			kill -0 "$sshd_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$sshd_pid" 2>/dev/null || true
		wait "$sshd_pid" 2>/dev/null || true
		sshd_pid=
	done
	echo "sshd did not start:" >&2
	cat "$dir/sshd.log" >&2
	exit 1
}
