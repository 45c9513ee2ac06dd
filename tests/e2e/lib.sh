# shellcheck shell=bash
# Sourced by every e2e script, after it has set $here (the source tree) and
# $work (its scratch directory).
#
# step TEXT          prints a step's heading
# run CMD...         prints "$ CMD..." on stderr, then runs it
# need_tools HINT TOOL...
#                    exits 77 (skipped) naming the first TOOL that is missing,
#                    with "install HINT" when HINT is not empty
# throwaway_tpm      starts a swtpm in $work/tpm (the script's EXIT trap stops
#                    it) and exports BARETPM_TCTI and BARETPM_STORE=$work/store

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

need_tools() {
	local hint=$1 tool
	shift
	for tool; do
		command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
			echo "missing $tool${hint:+: install $hint} (make deps)" >&2
			exit 77
		}
	done
}

# shellcheck disable=SC2154 # $here and $work belong to the sourcing script
throwaway_tpm() {
	export "$("$here/sim/swtpm-start" "$work/tpm")"
	export BARETPM_STORE=$work/store
	echo "BARETPM_TCTI=$BARETPM_TCTI BARETPM_STORE=$BARETPM_STORE"
}
