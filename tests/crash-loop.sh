#!/usr/bin/env bash
# Crash safety: kill -9 the baretpm CLI at a random moment (0-150 ms after it
# starts) during addkey, rmkey, changepin and addtoken, over and over, against
# a throwaway swtpm (no resource manager: a killed process leaves its loaded
# objects and sessions behind). After every kill:
#   - every store file parses: listtokens and listobjects succeed;
#   - every key listed before still signs (SIGNER logs in to every token
#     through the PKCS#11 module, signs with every private key and verifies
#     each signature), and the set of keys differs from before by at most the
#     change that was in flight;
#   - the PIN is the old one or, if the token file changed, the new one;
#   - the persistent handles are exactly those there before the loop (the
#     SRK and what swtpm_setup made); no orphaned persistent handle;
#   - what the kill left loaded (transient objects, sessions) is counted: the
#     next processes must cope with it (they flush what they do not know of
#     when the TPM is full).
# Prints one line per iteration and a summary; exit 0 when every check held.
#
# usage: tests/crash-loop.sh CLI SIGNER [ITERATIONS]
#   SIGNER  a program run as 'SIGNER sign-all PINFILE' (build/tests/test_crash)
#   BTPM_CRASH_SEED  seeds the random choices (default: the time)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cli=$1 signer=$2 iterations=${3:-200}
seed=${BTPM_CRASH_SEED:-$(date +%s)}
RANDOM=$seed
work=$(mktemp -d /tmp/baretpm-crash.XXXXXX)
trap '"$here/sim/swtpm-stop" "$work/tpm" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fail() {
	echo "crash-loop: FAIL at iteration ${it:-0} ($op): $*" >&2
	exit 1
}

for try in 1 2 3; do # another suite may take the port it picked: try again
	if tcti=$("$here/sim/swtpm-start" "$work/tpm"); then break; fi
	rm -rf "$work/tpm"
	[ $try -lt 3 ] || fail "swtpm does not start"
done
export "$tcti"
export BARETPM_STORE=$work/store
pins=$work/pins # "label pin" per token: what SIGNER logs in with
"$cli" init >/dev/null
"$cli" daparams --max-tries 1000 >/dev/null # no wrong PIN is ever tried; a margin anyway
"$cli" addtoken --label=A --userpin=aaaa1111 --sopin=sosososo >/dev/null
"$cli" addtoken --label=B --userpin=bbbb2222 --sopin=sosososo >/dev/null
printf 'A aaaa1111\nB bbbb2222\n' >"$pins"
for t in A B; do
	pin=$(awk -v t=$t '$1 == t { print $2 }' "$pins")
	for k in base1 base2; do
		"$cli" addkey --label=$t --userpin="$pin" --key-label=$k >/dev/null
	done
done
# How long each verb takes here: the kill comes at a random moment within
# that (and within 0-150 ms), so that most kills land in the middle.
ms() { echo $(($(date +%s%N) / 1000000)); }
declare -A span
t0=$(ms); "$cli" addkey --label=A --userpin=aaaa1111 --key-label=calib >/dev/null
span[addkey]=$(($(ms) - t0))
t0=$(ms); "$cli" rmkey --label=A --key-label=calib >/dev/null
span[rmkey]=$(($(ms) - t0))
t0=$(ms); "$cli" changepin --label=B --user --old=bbbb2222 --new=bbbb2222 >/dev/null
span[changepin]=$(($(ms) - t0))
t0=$(ms); "$cli" addtoken --label=calib --userpin=cccc0000 --sopin=sosososo >/dev/null
span[addtoken]=$(($(ms) - t0))
"$cli" rmtoken --label=calib >/dev/null
for v in "${!span[@]}"; do [ "${span[$v]}" -le 150 ] || span[$v]=150; done
echo "kill within: addkey ${span[addkey]} ms, rmkey ${span[rmkey]} ms," \
	"changepin ${span[changepin]} ms, addtoken ${span[addtoken]} ms"
persistent_before=$("$cli" getcap handles-persistent)
echo "crash-loop: seed $seed, $iterations iterations, store $BARETPM_STORE"
echo "persistent handles: $(echo "$persistent_before" | tr '\n' ' ')"

keys() { # the keys SIGNER signed with, one "TOKEN/LABEL" per line, sorted
	"$signer" sign-all "$pins" >"$work/signed" 2>"$work/signer.err" ||
		fail "signing with every key: $(cat "$work/signer.err")"
	sort "$work/signed"
}
token_file() { # the token file of a label, by its serial
	local serial
	serial=$("$cli" listtokens | awk -v l="$1" '/serial:/ { s = $3 } /label:/ && $2 == l { print s }')
	echo "$BARETPM_STORE/tokens/$serial.token"
}

before=$(keys)
next=0 killed=0 finished=0 changes=0 orphan_objects=0 orphan_sessions=0 max_objects=0 max_sessions=0
extra_tokens=()
declare -A count=([addkey]=0 [rmkey]=0 [changepin]=0 [addtoken]=0)
for it in $(seq 1 "$iterations"); do
	# keep the store small: at most 3 extra tokens, 6 keys a token
	if [ ${#extra_tokens[@]} -ge 3 ]; then
		"$cli" rmtoken --label="${extra_tokens[0]}" >/dev/null || fail "rmtoken"
		sed -i "/^${extra_tokens[0]} /d" "$pins"
		extra_tokens=("${extra_tokens[@]:1}")
		before=$(keys)
	fi
	tok=$([ $((RANDOM % 2)) -eq 0 ] && echo A || echo B)
	pin=$(awk -v t=$tok '$1 == t { print $2 }' "$pins")
	mine=$(echo "$before" | grep "^$tok/k" || true)
	n=$(echo "$before" | grep -c "^$tok/" || true)
	case $((RANDOM % 4)) in
	0) op=addkey ;;
	1) op=rmkey ;;
	2) op=changepin ;;
	3) op=addtoken ;;
	esac
	[ "$op" = rmkey ] && [ -z "$mine" ] && op=addkey
	[ "$op" = addkey ] && [ "$n" -ge 6 ] && op=rmkey
	count[$op]=$((count[$op] + 1))
	added= removed= newpin= newtok=
	case $op in
	addkey)
		next=$((next + 1))
		added="$tok/k$next"
		args=(addkey --label=$tok --userpin="$pin" --key-label=k$next)
		;;
	rmkey)
		victim=$(echo "$mine" | sed -n "$((RANDOM % $(echo "$mine" | wc -l) + 1))p")
		removed=$victim
		args=(rmkey --label=$tok --key-label="${victim#*/}")
		;;
	changepin)
		case $pin in
		aaaa1111) newpin=aaaa3333 ;; aaaa3333) newpin=aaaa1111 ;;
		bbbb2222) newpin=bbbb4444 ;; *) newpin=bbbb2222 ;;
		esac
		file=$(token_file $tok)
		sum=$(sha256sum "$file" | cut -d' ' -f1)
		args=(changepin --label=$tok --user --old="$pin" --new="$newpin")
		;;
	addtoken)
		next=$((next + 1))
		newtok=T$next
		echo "$newtok tttt$next" >>"$pins"
		args=(addtoken --label=$newtok --userpin=tttt$next --sopin=sosososo)
		;;
	esac
	pre_objs=$("$cli" getcap handles-transient | grep -c 0x || true)
	pre_sess=$("$cli" getcap handles-loaded-session | grep -c 0x || true)
	delay=$((RANDOM % (span[$op] + 1)))
	"$cli" "${args[@]}" >/dev/null 2>"$work/cli.err" &
	pid=$!
	sleep "$(printf '0.%03d' $delay)"
	kill -9 $pid 2>/dev/null || true
	status=0
	{ wait $pid; } 2>/dev/null || status=$?
	if [ $status -eq 137 ]; then
		killed=$((killed + 1))
		what=killed
	elif [ $status -eq 0 ]; then
		finished=$((finished + 1))
		what=finished
	else
		fail "exit $status without being killed: $(cat "$work/cli.err")"
	fi
	# what the kill left in the TPM (the next commands must cope)
	objs=$("$cli" getcap handles-transient | grep -c 0x || true)
	sess=$("$cli" getcap handles-loaded-session | grep -c 0x || true)
	[ "$objs" -le "$pre_objs" ] || orphan_objects=$((orphan_objects + objs - pre_objs))
	[ "$sess" -le "$pre_sess" ] || orphan_sessions=$((orphan_sessions + sess - pre_sess))
	[ "$objs" -gt $max_objects ] && max_objects=$objs
	[ "$sess" -gt $max_sessions ] && max_sessions=$sess
	# the store parses
	"$cli" listtokens >"$work/tokens" 2>"$work/err" || fail "listtokens: $(cat "$work/err")"
	for t in $(awk '/label:/ { print $2 }' "$work/tokens"); do
		"$cli" listobjects --label="$t" >/dev/null 2>"$work/err" ||
			fail "listobjects $t: $(cat "$work/err")"
	done
	# the in-flight change: done or not, nothing else
	made="not made"
	if [ "$op" = changepin ]; then
		if [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$sum" ]; then
			sed -i "s/^$tok .*/$tok $newpin/" "$pins"
			made=made
		fi
	fi
	if [ "$op" = addtoken ]; then
		if grep -q "label: $newtok\$" "$work/tokens"; then
			extra_tokens+=("$newtok")
			made=made
		else
			sed -i "/^$newtok /d" "$pins"
		fi
	fi
	after=$(keys)
	lost=$(comm -23 <(echo "$before") <(echo "$after"))
	gained=$(comm -13 <(echo "$before") <(echo "$after"))
	[ -z "$lost" ] || [ "$lost" = "$removed" ] || fail "keys lost: $lost"
	[ -z "$gained" ] || [ "$gained" = "$added" ] || fail "keys appeared: $gained"
	[ -z "$lost$gained" ] || made=made
	[ "$what" = finished ] && [ "$made" != made ] && fail "the command finished but its change is not there"
	[ "$made" = made ] && changes=$((changes + 1))
	persistent=$("$cli" getcap handles-persistent)
	[ "$persistent" = "$persistent_before" ] || fail "persistent handles now: $persistent"
	printf '%3d %-9s %-8s after %3d ms: change %-8s %2d keys sign; left loaded: %d objects, %d sessions\n' \
		"$it" "$op" "$what" $delay "$made;" "$(echo "$after" | grep -c /)" "$objs" "$sess"
	before=$after
done
tmp=$(find "$BARETPM_STORE" -name '*.tmp' | wc -l)
echo
echo "crash-loop: $iterations iterations (addkey ${count[addkey]}, rmkey ${count[rmkey]}," \
	"changepin ${count[changepin]}, addtoken ${count[addtoken]}): $killed killed mid-flight," \
	"$finished finished first; $changes changes made, the others not at all"
echo "crash-loop: left behind by the kills: $orphan_objects transient objects and" \
	"$orphan_sessions sessions (at most $max_objects and $max_sessions loaded at once: later" \
	"commands flushed them when the TPM was full); temp files left in the store: $tmp"
echo "crash-loop: every check held; $(echo "$before" | grep -c /) keys sign at the end; nothing lost"
