#!/bin/sh
# Oracle test: `baretpm getcap WORD` must print exactly what tpm2-tools'
# `tpm2_getcap WORD` prints, byte for byte, for every capability word, on the
# same TPM; and `getcap -l` must list the same words as `tpm2_getcap -l`.
#
# usage: BARETPM_TCTI=swtpm:host=127.0.0.1,port=N tests/getcap-oracle.sh BARETPM
#        tests/getcap-oracle.sh --mock BARETPM
#   BARETPM  path to the baretpm CLI
#   --mock   instead of a real TPM, serve both tools from a scripted TPM (the
#            swtpm TCP protocol, on 127.0.0.1) that answers TPM2_GetCapability
#            with data no swtpm produces: every algorithm and command code,
#            unknown properties and curves, vendor strings with blanks, NULs
#            and 8-bit bytes, odd revisions, modes and levels, more handles
#            than fit one answer. Needs python3.
# exit: 0 every output equal; 1 a difference or a failure (diffs and errors on
#       stdout); 2 bad usage; 77 tpm2_getcap (or, for --mock, python3) missing.
set -u

words="algorithms commands pcrs properties-fixed properties-variable ecc-curves
handles-transient handles-persistent handles-permanent handles-pcr handles-nv-index
handles-loaded-session handles-saved-session"

mock=0
if [ $# -eq 2 ] && [ "$1" = --mock ]; then
	mock=1
	shift
fi
if [ $# -ne 1 ] || { [ $mock -eq 0 ] && [ -z "${BARETPM_TCTI:-}" ]; }; then
	echo "usage: BARETPM_TCTI=TCTI $0 BARETPM | $0 --mock BARETPM" >&2
	exit 2
fi
cli=$1
if ! command -v tpm2_getcap >/dev/null 2>&1; then
	echo "getcap-oracle: tpm2_getcap not installed, skipping"
	exit 77
fi
[ -x "$cli" ] || { echo "getcap-oracle: $cli is not executable" >&2; exit 2; }
if [ $mock -eq 1 ]; then
	command -v python3 >/dev/null 2>&1 || { echo "getcap-oracle: no python3, skipping"; exit 77; }
	# shellcheck disable=SC2086 # $words is a list
	exec python3 - "$cli" $words <<'PY'
"""A scripted TPM behind the swtpm TCP protocol, and the comparison driver."""
import difflib, itertools, json, os, random, socket, socketserver, struct
import subprocess, sys, threading

cli, words = sys.argv[1], sys.argv[2:]
state = {"data": {}}  # the capability data the TPM answers with now


def answer(cap, prop, count, d):
    """TPMS_CAPABILITY_DATA for TPM2_GetCapability (Part 3, 30.2), or None."""
    per = min(count, d.get("chunk", 1 << 30))  # entries per answer

    def take(items):
        return items[:per], len(items) > per

    if cap == 0:  # TPM_CAP_ALGS: TPMS_ALG_PROPERTY
        sel, more = take([a for a in sorted(d.get("algs", [])) if a[0] >= prop])
        body = b"".join(struct.pack(">HI", a, v) for a, v in sel)
    elif cap == 1:  # TPM_CAP_HANDLES: handles of the type of prop
        sel, more = take([h for h in sorted(d.get("handles", []))
                          if h >> 24 == prop >> 24 and h >= prop])
        body = b"".join(struct.pack(">I", h) for h in sel)
    elif cap == 2:  # TPM_CAP_COMMANDS: TPMA_CC ordered by commandIndex and V
        key = lambda a: a & 0x2000FFFF
        sel, more = take([a for a in sorted(d.get("commands", []), key=key)
                          if key(a) >= prop])
        body = b"".join(struct.pack(">I", a) for a in sel)
    elif cap == 5:  # TPM_CAP_PCRS: every bank, one answer
        sel, more = d.get("pcrs", []), False
        body = b"".join(struct.pack(">HB", h, len(s)) + bytes(s) for h, s in sel)
    elif cap == 6:  # TPM_CAP_TPM_PROPERTIES: TPMS_TAGGED_PROPERTY
        sel, more = take([p for p in sorted(d.get("props", [])) if p[0] >= prop])
        body = b"".join(struct.pack(">II", p, v) for p, v in sel)
    elif cap == 8:  # TPM_CAP_ECC_CURVES
        sel, more = take([c for c in sorted(d.get("curves", [])) if c >= prop])
        body = b"".join(struct.pack(">H", c) for c in sel)
    else:
        return None
    return struct.pack(">BII", int(more), cap, len(sel)) + body


def recv(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            return None
        b += part
    return b


class Data(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            hdr = recv(self.request, 10)
            if hdr is None:
                return
            tag, size, cc = struct.unpack(">HII", hdr)
            body = recv(self.request, size - 10) if size > 10 else b""
            params = None
            if cc == 0x17A and body and len(body) >= 12:
                params = answer(*struct.unpack(">III", body[:12]), state["data"])
            # anything else: TPM_RC_SUCCESS with no parameters
            params = params or b""
            self.request.sendall(struct.pack(">HII", 0x8001, 10 + len(params), 0) + params)


class Ctrl(socketserver.BaseRequestHandler):
    def handle(self):  # swtpm control channel: every command succeeds
        while self.request.recv(4096):
            self.request.sendall(b"\0\0\0\0")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


rng = random.Random(20240)
for _ in range(50):
    port = rng.randrange(20000, 60000, 2)
    try:
        data = Server(("127.0.0.1", port), Data)
    except OSError:
        continue
    try:
        ctrl = Server(("127.0.0.1", port + 1), Ctrl)
    except OSError:
        data.server_close()
        continue
    break
else:
    print("getcap-oracle: no free port pair for the scripted TPM")
    sys.exit(1)
for srv in (data, ctrl):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
tcti = "swtpm:host=127.0.0.1,port=%d" % port
env = dict(os.environ, BARETPM_TCTI=tcti, TPM2TOOLS_TCTI=tcti)

r32 = lambda: rng.getrandbits(32)
cases = []  # (name, capability data, words to compare)
cases.append(("every algorithm id 0x01-0x7f", {"algs": [[a, r32()] for a in range(1, 0x80)]},
              ["algorithms"]))
cases.append(("algorithm ids 0x80-0xfe, 0x1000-0xffff, in answers of 7",
              {"algs": [[a, r32()] for a in list(range(0x80, 0xFF)) +
                        [0x1000, 0x7FFF, 0x8000, 0xC001, 0xFFFF]], "chunk": 7},
              ["algorithms"]))
cases.append(("more algorithms than tpm2_getcap keeps",
              {"algs": [[a, 0x9] for a in range(1, 200)], "chunk": 50}, ["algorithms"]))
lib = [(r32() & 0xDFFF0000) | c for c in range(0x11F, 0x1A0)]
vendor = [0x20000000 | (r32() & 0xDFFF0000) | c for c in (0x0, 0x11F, 0x17A, 0xFFFF)]
cases.append(("every command code, vendor ones too", {"commands": lib + vendor},
              ["commands"]))
cases.append(("command codes in answers of 16", {"commands": lib, "chunk": 16}, ["commands"]))
cases.append(("curves 0x01-0x4f and 0xffff", {"curves": list(range(1, 0x50)) + [0xFFFF]},
              ["ecc-curves"]))
props = [[p, r32()] for p in list(range(0x100, 0x132)) + list(range(0x200, 0x220)) +
         [0x2FF, 0x300, 0x1000]]
cases.append(("every property, random values", {"props": props},
              ["properties-fixed", "properties-variable"]))
cases.append(("every property, in answers of 5", {"props": props, "chunk": 5},
              ["properties-fixed", "properties-variable"]))
odd = [0x00, 0x20, 0x09, 0x0A, 0x0D, 0x41, 0x7F, 0x80, 0xFF]
quads = [int.from_bytes(bytes(q), "big") for q in itertools.product(odd, repeat=4)]
rng.shuffle(quads)
quads = [0x322E3000, 0x49424D00, 0x53572020, 0x2054504D, 0, 0x20202020] + quads[:600]
for i in range(0, len(quads), 6):  # family indicator, manufacturer, vendor strings
    q = quads[i:i + 6] + [0x41202000] * 5
    cases.append(("strings %08x %08x %08x %08x %08x %08x" % tuple(q[:6]),
                  {"props": [[0x100, q[0]], [0x105, q[1]], [0x106, q[2]], [0x107, q[3]],
                             [0x108, q[4]], [0x109, q[5]]]}, ["properties-fixed"]))
numbers = [0, 1, 2, 3, 99, 100, 101, 116, 138, 159, 164, 183, 0x7FFFFFFF, 0x80000000,
           0xFFFFFFFE, 0xFFFFFFFF, 16777217] + [rng.randrange(0, 200000) for _ in range(20)]
for n in numbers:  # level, revision and modes, and the bit fields
    cases.append(("level/revision/modes/permanent/startup-clear 0x%x" % n,
                  {"props": [[0x101, n], [0x102, n], [0x12D, n], [0x200, n], [0x201, n]]},
                  ["properties-fixed", "properties-variable"]))
cases.append(("every hash bank", {"pcrs": [[0x4, [1, 2, 3]], [0xB, [0xFF, 0, 0x80]],
                                            [0xC, []], [0xD, [0x55]], [0x12, [1, 0, 0, 0]],
                                            [0x27, [1]], [0x28, [2]], [0x29, [4]]]}, ["pcrs"]))
cases.append(("no PCR banks", {"pcrs": []}, ["pcrs"]))
many = [t << 24 | i for t in (0x00, 0x01, 0x02, 0x03, 0x40, 0x80, 0x81) for i in range(300)]
cases.append(("300 handles of every type, in answers of 37", {"handles": many, "chunk": 37},
              [w for w in words if w.startswith("handles-")]))
some = [0, 0x17, 0x1C00002, 0x1FFFFFF, 0x2000000, 0x3000005, 0x40000001, 0x4000010F,
        0x80000000, 0x80FFFFFF, 0x81000001, 0x81800000, 0x81FFFFFF]
cases.append(("edge handles", {"handles": some}, [w for w in words if w.startswith("handles-")]))
cases.append(("an empty TPM", {}, words))


def run(argv):
    p = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


failed = 0
for name, capdata, ws in cases:
    state["data"] = capdata
    bad = []
    for w in ws:
        rc_ours, ours, err_ours = run([cli, "getcap", w])
        rc_theirs, theirs, err_theirs = run(["tpm2_getcap", w])
        if rc_ours or rc_theirs:
            bad.append("%s: exit status baretpm %d, tpm2_getcap %d\n%s%s" % (
                w, rc_ours, rc_theirs, err_ours.decode("latin-1"), err_theirs.decode("latin-1")))
        if ours != theirs:
            diff = difflib.unified_diff(theirs.decode("latin-1").splitlines(True),
                                        ours.decode("latin-1").splitlines(True),
                                        "tpm2_getcap " + w, "baretpm getcap " + w)
            bad.append("".join(itertools.islice(diff, 60)))
    if bad:
        failed += 1
        print("DIFF " + name)
        print("".join(bad))
print("%d of %d scripted TPMs printed alike" % (len(cases) - failed, len(cases)))
sys.exit(1 if failed else 0)
PY
fi

# tpm2-tss knows every TCTI spelling baretpm takes except our ",timeout=MS".
TPM2TOOLS_TCTI=$(printf '%s\n' "$BARETPM_TCTI" | sed 's/,timeout=[0-9]*//')
export TPM2TOOLS_TCTI BARETPM_TCTI

tmp=$(mktemp -d "${TMPDIR:-/tmp}/getcap-oracle.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

fail=0
# compare ARGS...: `baretpm getcap ARGS` against `tpm2_getcap ARGS`
compare() {
	"$cli" getcap "$@" >"$tmp/baretpm.out" 2>"$tmp/baretpm.err"
	rc_ours=$?
	tpm2_getcap "$@" >"$tmp/tpm2_getcap.out" 2>"$tmp/tpm2_getcap.err"
	rc_theirs=$?
	if [ $rc_ours -ne 0 ] || [ $rc_theirs -ne 0 ]; then
		# two failures prove nothing; say what each said
		echo "FAIL $*: exit status baretpm $rc_ours, tpm2_getcap $rc_theirs"
		sed 's/^/  baretpm: /' "$tmp/baretpm.err"
		sed 's/^/  tpm2_getcap: /' "$tmp/tpm2_getcap.err"
		fail=1
	fi
	if ! cmp -s "$tmp/tpm2_getcap.out" "$tmp/baretpm.out"; then
		echo "DIFF $*"
		(cd "$tmp" && diff -u tpm2_getcap.out baretpm.out)
		fail=1
	elif [ $rc_ours -eq 0 ] && [ $rc_theirs -eq 0 ]; then
		echo "ok   $* ($(wc -l <"$tmp/baretpm.out" | tr -d ' ') lines)"
	fi
}

compare -l
for w in $words; do
	compare "$w"
done
exit $fail
