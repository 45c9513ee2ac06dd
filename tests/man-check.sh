#!/usr/bin/env bash
# Check the manual pages docs/baretpm.1 and docs/baretpm-pkcs11.7:
#   - both render without a single warning, through man-db
#     (man --warnings, 80 columns, UTF-8) and through groff -man -ww
#     (the default device and -Tutf8);
#   - every verb that `baretpm --help` lists has a section (.SS VERB) in
#     baretpm.1;
#   - every option that `baretpm --help` and `baretpm VERB --help` print
#     (lines holding a --long option: --tcti, -T, --label, --NAME-file, ...)
#     appears in the rendered baretpm.1 as a whole word, unhyphenated;
#   - when the sources are at hand (pkcs11/slots.c), the mechanisms that
#     baretpm-pkcs11.7 documents are exactly those the module's mechanism
#     table lists.
#
# usage: tests/man-check.sh BARETPM [DOCDIR]
#   BARETPM  path to the baretpm CLI (e.g. build/baretpm)
#   DOCDIR   where the pages are (default: docs/ next to this script)
# exit: 0 all good; 1 problems (listed on stdout); 2 bad usage;
#       77 man (man-db) or groff is missing.
set -u
export LC_ALL=C.UTF-8

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BARETPM [DOCDIR]" >&2
	exit 2
fi
cli=$1
here=$(cd "$(dirname "$0")/.." && pwd)
docdir=${2:-$here/docs}
page1=$docdir/baretpm.1
page7=$docdir/baretpm-pkcs11.7

for tool in man groff; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "man-check: $tool is missing (apt-get install man-db groff-base); skipped"
		exit 77
	fi
done
if ! [ -x "$cli" ]; then
	echo "man-check: $cli is not an executable (build it with make)" >&2
	exit 2
fi

problems=()
problem() { problems+=("$*"); }
work=$(mktemp -d "${TMPDIR:-/tmp}/man-check.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# ---- rendering: any warning is a failure ------------------------------------

for page in "$page1" "$page7"; do
	name=$(basename "$page")
	if ! [ -f "$page" ]; then
		problem "$name: missing ($page)"
		continue
	fi
	MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$work/$name.txt" \
		2>"$work/$name.man.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		problem "$name: man exited with status $rc"
	fi
	while IFS= read -r line; do
		problem "$name: man: $line"
	done <"$work/$name.man.err"
	for dev in "" -Tutf8; do
		groff -man -ww -z $dev "$page" 2>"$work/$name.groff.err"
		rc=$?
		[ $rc -eq 0 ] || problem "$name: groff -man -ww -z $dev exited with status $rc"
		while IFS= read -r line; do
			problem "$name: groff ${dev:+$dev }: $line"
		done <"$work/$name.groff.err"
	done
	# the rendered text, for the checks below: no overstriking, a minus sign
	# (U+2212, what some groff set-ups make of \-) counted as a hyphen-minus;
	# a hyphenation hyphen (U+2010) stays, so a hyphenated option is not found
	sed -e 's/.\x08//g' -e 's/\xe2\x88\x92/-/g' "$work/$name.txt" >"$work/$name.plain"
	# 80 columns means 80 columns (awk counts characters in a UTF-8 locale)
	awk -v n="$name" 'length($0) > 80 { printf "%s: line wider than 80 columns: %s\n", n, $0 }' \
		"$work/$name.plain" >"$work/$name.wide"
	# option and file names are copied from the pages: hyphenation stays off
	grep -n $'\xe2\x80\x90$' "$work/$name.plain" |
		sed "s/^/$name: a word is hyphenated at a line end (keep .nr HY 0 and .hy 0): /" \
			>>"$work/$name.wide"
	while IFS= read -r line; do problem "$line"; done <"$work/$name.wide"
done

# ---- verbs and options of the CLI -------------------------------------------------

if ! "$cli" --help >"$work/help" 2>&1; then
	problem "'$cli --help' failed"
fi
verbs=$(awk '/^verbs:/ { on = 1; next } on && /^[[:space:]]*$/ { on = 0 } on { print $1 }' \
	"$work/help")
if [ -z "$verbs" ]; then
	problem "no verbs found in the output of '$cli --help'"
fi

# Every option named on a help line that holds a long option.
options_of() {
	grep -E -- '--[A-Za-z]' "$1" | tr '[]()|,' '      ' |
		awk '{ for (i = 1; i <= NF; i++) {
			w = $i
			sub(/=.*/, "", w)
			sub(/[.:;'"'"'"]+$/, "", w)
			if (w ~ /^--[A-Za-z][A-Za-z0-9-]*$/ || w ~ /^-[A-Za-z]$/)
				print w
		} }' | sort -u
}

found_option() { # OPTION FILE: OPTION as a whole word in FILE
	grep -qE -- "(^|[^A-Za-z0-9_-])$1(\$|[^A-Za-z0-9_-])" "$2"
}

checked=0
if [ -f "$page1" ]; then
	plain1=$work/baretpm.1.plain
	for opt in $(options_of "$work/help"); do
		checked=$((checked + 1))
		found_option "$opt" "$plain1" || problem "baretpm.1: global option $opt is not documented"
	done
	for verb in $verbs; do
		if ! grep -qE "^\.SS +\"?$verb\"?[[:space:]]*\$" "$page1"; then
			problem "baretpm.1: no section (.SS $verb) for the verb '$verb'"
		fi
		if ! "$cli" "$verb" --help >"$work/help-$verb" 2>&1; then
			problem "'$cli $verb --help' failed"
			continue
		fi
		for opt in $(options_of "$work/help-$verb"); do
			checked=$((checked + 1))
			found_option "$opt" "$plain1" ||
				problem "baretpm.1: option $opt of '$verb' is not documented"
		done
	done
fi

# ---- mechanisms of the PKCS#11 module -------------------------------------------

mechs=0
if [ -f "$here/pkcs11/slots.c" ] && [ -f "$page7" ]; then
	# the module's table: lines "{CKM_..., {min, max, flags}}," of mechanisms[]
	grep -oE '^[[:space:]]*\{CKM_[A-Z0-9_]+,' "$here/pkcs11/slots.c" |
		grep -oE 'CKM_[A-Z0-9_]+' | sort -u >"$work/mech-code"
	# the page's: the tags of its MECHANISMS section
	awk '/^\.SH/ { on = ($0 ~ /^\.SH +"?MECHANISMS"?/); next } on && prev ~ /^\.TP/ { print }
	     { prev = $0 }' "$page7" | grep -oE 'CKM_[A-Z0-9_]+' | sort -u >"$work/mech-page"
	mechs=$(wc -l <"$work/mech-code")
	if [ "$mechs" -eq 0 ]; then
		problem "pkcs11/slots.c: no mechanism table found"
	fi
	while IFS= read -r m; do
		problem "baretpm-pkcs11.7: the module offers $m, the page does not document it"
	done < <(comm -23 "$work/mech-code" "$work/mech-page")
	while IFS= read -r m; do
		problem "baretpm-pkcs11.7: documents $m, which the module does not offer"
	done < <(comm -13 "$work/mech-code" "$work/mech-page")
fi

# ---- verdict --------------------------------------------------------------------------

nverbs=$(printf '%s\n' $verbs | grep -c .)
if [ ${#problems[@]} -gt 0 ]; then
	echo "man-check: ${#problems[@]} problem(s):"
	printf '  %s\n' "${problems[@]}"
	exit 1
fi
echo "man-check: ok: $(basename "$page1") and $(basename "$page7") render without warnings" \
	"(man-db and groff -ww); $nverbs verbs with a section, $checked option strings found" \
	"in baretpm.1; $mechs mechanisms documented as in pkcs11/slots.c"
exit 0
