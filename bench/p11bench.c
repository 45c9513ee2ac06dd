/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * p11bench: what a PKCS#11 module costs, measured the way an application
 * meets it (dlopen, the function list, nothing else), for any module.
 * bench/run-bench drives it; see README "Performance".
 *
 *   p11bench module --module SO --name NAME --ctl PORT --token LABEL --pin PIN --out FILE
 *                   [--runs N] [--signs N] [--threads 1,2,4,8] [--thread-signs N]
 *                   [--thread-rounds N] [--tcti TCTI [--paired-signs N]] [--soak N]
 *                   [--timeout S]
 *       Each run is a fresh process (exec of this program) that goes through
 *       dlopen, C_Initialize, slot/token listing, C_OpenSession, C_Login,
 *       finding the key, the first C_Sign, --signs steady-state signatures,
 *       C_Logout and C_Finalize, timing each phase and asking the counting
 *       proxy (bench/proxy, ctl port PORT) which TPM commands it sent. With
 *       --tcti (the module's TPM, through the proxy), module signatures
 *       alternate with floor signatures (below) in one process: the overhead
 *       ratio without the drift of a noisy machine between two measurements.
 *       Then throughput with 1, 2, 4, 8 threads (one session each;
 *       --thread-rounds interleaved rounds, the median per thread count) and,
 *       with --soak N, N signatures on one key. Every signature is verified
 *       with the key's CKA_EC_POINT (mbedTLS, linked statically, so that the
 *       module under test maps its own libraries).
 *   p11bench floor --tcti TCTI --ctl PORT --name NAME --out FILE [--signs N]
 *       The raw floor: TPM2_Sign round trips through tpm/ (libbaretpm.a), with
 *       no PKCS#11: a loaded P-256 key and a salted HMAC session.
 *   p11bench run --ctl PORT --key KEY --out FILE [--runs N] [--flush] [--timeout S] -- CMD...
 *       The whole-process time, TPM commands and peak RSS of a command.
 *   p11bench report --md FILE --json FILE KVFILE...
 *       The Markdown table and the JSON file from the measurements.
 *   tpm2_* (a symlink to p11bench named after a tpm2-tools program)
 *       Runs the real program (BENCH_REAL_DIR, default /usr/bin), then asks
 *       the proxy (BENCH_CTL) to flush what it left in the TPM, standing in
 *       for the kernel resource manager that a bare swtpm lacks.
 *
 * Output files hold one "key value" per line. --flush (and the module runs)
 * ask the proxy to flush leftover transient objects and sessions after each
 * process, as /dev/tpmrm0 would at close; those flushes are not counted.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "baretpm_pkcs11.h"
#include "p11.h"

#define OUT_FD 3
#define MAX_SAMPLES 400000

/* ---- small helpers --------------------------------------------------------------------- */

static const char *prog = "p11bench";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Heap bytes in use (glibc), to tell a leak from fragmentation; -1 elsewhere. */
static long heap_inuse(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	return (long)mi.uordblks;
#else
	return -1;
#endif
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static FILE *out;

/* strlcpy */
static void scopy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(out, "%s ", key);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	va_end(ap);
	fflush(out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct dist {
	double median, min, max, p99, mean;
	size_t n;
};

/* Sorts v. */
static struct dist distribution(double *v, size_t n)
{
	struct dist d = {0, 0, 0, 0, 0, n};
	if (!n)
		return d;
	qsort(v, n, sizeof(*v), cmp_double);
	d.min = v[0];
	d.max = v[n - 1];
	d.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	size_t k = (size_t)((double)n * 0.99);
	d.p99 = v[k < n ? k : n - 1];
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	d.mean = s / (double)n;
	return d;
}

static void kv_dist(const char *key, double *v, size_t n)
{
	char k[160];
	struct dist d = distribution(v, n);
	snprintf(k, sizeof(k), "%s.median", key);
	kv(k, "%.1f", d.median);
	snprintf(k, sizeof(k), "%s.min", key);
	kv(k, "%.1f", d.min);
	snprintf(k, sizeof(k), "%s.max", key);
	kv(k, "%.1f", d.max);
	snprintf(k, sizeof(k), "%s.p99", key);
	kv(k, "%.1f", d.p99);
	snprintf(k, sizeof(k), "%s.mean", key);
	kv(k, "%.1f", d.mean);
	snprintf(k, sizeof(k), "%s.n", key);
	kv(k, "%zu", d.n);
}

/* ---- TPM command codes (Part 2, 6.5.2) ------------------------------------------------- */

static const struct {
	uint32_t cc;
	const char *name;
} cc_names[] = {
	{0x11F, "NV_UndefineSpaceSpecial"}, {0x120, "EvictControl"},
	{0x121, "HierarchyControl"}, {0x122, "NV_UndefineSpace"},
	{0x126, "Clear"}, {0x129, "HierarchyChangeAuth"},
	{0x12A, "NV_DefineSpace"}, {0x131, "CreatePrimary"},
	{0x137, "NV_Write"}, {0x139, "DictionaryAttackLockReset"},
	{0x13A, "DictionaryAttackParameters"}, {0x13B, "NV_ChangeAuth"},
	{0x13E, "SequenceComplete"}, {0x143, "SelfTest"},
	{0x144, "Startup"}, {0x145, "Shutdown"},
	{0x146, "StirRandom"}, {0x14E, "NV_Read"},
	{0x150, "ObjectChangeAuth"}, {0x151, "PolicySecret"},
	{0x153, "Create"}, {0x154, "ECDH_ZGen"},
	{0x155, "HMAC"}, {0x156, "Import"},
	{0x157, "Load"}, {0x158, "Quote"},
	{0x159, "RSA_Decrypt"}, {0x15B, "HMAC_Start"},
	{0x15C, "SequenceUpdate"}, {0x15D, "Sign"},
	{0x15E, "Unseal"}, {0x160, "PolicySigned"},
	{0x161, "ContextLoad"}, {0x162, "ContextSave"},
	{0x163, "ECDH_KeyGen"}, {0x164, "EncryptDecrypt"},
	{0x165, "FlushContext"}, {0x167, "LoadExternal"},
	{0x169, "NV_ReadPublic"}, {0x16B, "PolicyAuthValue"},
	{0x16C, "PolicyCommandCode"}, {0x171, "PolicyOR"},
	{0x173, "ReadPublic"}, {0x174, "RSA_Encrypt"},
	{0x176, "StartAuthSession"}, {0x177, "VerifySignature"},
	{0x178, "ECC_Parameters"}, {0x17A, "GetCapability"},
	{0x17B, "GetRandom"}, {0x17C, "GetTestResult"},
	{0x17D, "Hash"}, {0x17E, "PCR_Read"},
	{0x17F, "PolicyPCR"}, {0x180, "PolicyRestart"},
	{0x181, "ReadClock"}, {0x182, "PCR_Extend"},
	{0x186, "HashSequenceStart"}, {0x189, "PolicyGetDigest"},
	{0x18A, "TestParms"}, {0x18B, "Commit"},
	{0x18C, "PolicyPassword"}, {0x191, "CreateLoaded"},
	{0x193, "EncryptDecrypt2"},
};

static const char *cc_name(uint32_t cc, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (cc_names[i].cc == cc)
			return cc_names[i].name;
	snprintf(buf, cap, "0x%x", (unsigned)cc);
	return buf;
}

/* ---- the proxy's control port ------------------------------------------------------------ */

static int ctl_port;

/* One request line, the whole answer into buf. */
static int ctl_request(const char *req, char *buf, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {30, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)ctl_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			break;
	}
	buf[n] = 0;
	close(fd);
	return n ? 0 : -1;
}

#define MAX_CC 128
struct stats {
	unsigned long total;
	unsigned n;
	uint32_t cc[MAX_CC];
	unsigned long count[MAX_CC];
	long long ns[MAX_CC];
	unsigned long rm_flushes, rm_handles, wraps;
	long long rm_ns, wrap_ns;
};

static void stats_get(struct stats *s)
{
	static char buf[16384];
	memset(s, 0, sizeof(*s));
	if (!ctl_port)
		return;
	if (ctl_request("stats\n", buf, sizeof(buf)))
		die("cannot query the proxy on 127.0.0.1:%d", ctl_port);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned x;
		unsigned long c;
		long long ns;
		if (sscanf(line, "total %lu", &s->total) == 1)
			continue;
		if (sscanf(line, "cc 0x%x %lu %lld", &x, &c, &ns) == 3 && s->n < MAX_CC) {
			s->cc[s->n] = x;
			s->count[s->n] = c;
			s->ns[s->n++] = ns;
			continue;
		}
		if (sscanf(line, "rm %lu %lu %lld", &s->rm_flushes, &s->rm_handles, &s->rm_ns) == 3)
			continue;
		sscanf(line, "wrap %lu %lld", &s->wraps, &s->wrap_ns);
	}
}

static unsigned long cc_count(const struct stats *s, uint32_t cc, long long *ns)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->cc[i] == cc) {
			if (ns)
				*ns = s->ns[i];
			return s->count[i];
		}
	if (ns)
		*ns = 0;
	return 0;
}

/* Commands between a and b: total, TPM time, and "Name:count,..." in order of count. */
static unsigned long stats_delta(const struct stats *a, const struct stats *b, double *tpm_us,
				 char *desc, size_t cap)
{
	uint32_t cc[MAX_CC];
	unsigned long n[MAX_CC];
	unsigned k = 0;
	long long ns_total = 0;
	for (unsigned i = 0; i < b->n; i++) {
		long long ns0;
		unsigned long c0 = cc_count(a, b->cc[i], &ns0);
		if (b->count[i] > c0) {
			cc[k] = b->cc[i];
			n[k++] = b->count[i] - c0;
		}
		ns_total += b->ns[i] - ns0;
	}
	/* by count, descending (tiny insertion sort) */
	for (unsigned i = 1; i < k; i++)
		for (unsigned j = i; j > 0 && n[j] > n[j - 1]; j--) {
			unsigned long t = n[j];
			n[j] = n[j - 1];
			n[j - 1] = t;
			uint32_t u = cc[j];
			cc[j] = cc[j - 1];
			cc[j - 1] = u;
		}
	if (desc && cap) {
		size_t o = 0;
		desc[0] = 0;
		for (unsigned i = 0; i < k && o < cap; i++) {
			char nb[16];
			o += (size_t)snprintf(desc + o, cap - o, "%s%s:%lu", i ? "," : "",
					      cc_name(cc[i], nb, sizeof(nb)), n[i]);
		}
		if (!k)
			snprintf(desc, cap, "-");
	}
	if (tpm_us)
		*tpm_us = (double)ns_total / 1e3;
	return b->total - a->total;
}

static unsigned long rm_flush(void)
{
	char buf[128];
	unsigned long n = 0;
	long long ns = 0;
	if (!ctl_port)
		return 0;
	if (ctl_request("flush\n", buf, sizeof(buf)) || sscanf(buf, "flushed %lu %lld", &n, &ns) != 2)
		die("the proxy did not flush: %s", buf);
	return n;
}

/* ---- signature verification (mbedTLS, independent of the module) ------------------------ */

struct verifier {
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	size_t coord;
	int ready;
};

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

/* params: CKA_EC_PARAMS (a named-curve OID); point: CKA_EC_POINT (DER OCTET STRING or raw). */
static int verifier_init(struct verifier *v, const uint8_t *params, size_t plen,
			 const uint8_t *point, size_t n)
{
	mbedtls_ecp_group_id id;
	if (plen == sizeof(oid_p256) && !memcmp(params, oid_p256, plen)) {
		id = MBEDTLS_ECP_DP_SECP256R1;
		v->coord = 32;
	} else if (plen == sizeof(oid_p384) && !memcmp(params, oid_p384, plen)) {
		id = MBEDTLS_ECP_DP_SECP384R1;
		v->coord = 48;
	} else {
		return -1;
	}
	if (n == 2 + 1 + 2 * v->coord && point[0] == 0x04 && point[1] == n - 2) {
		point += 2;
		n -= 2;
	} else if (n == 3 + 1 + 2 * v->coord && point[0] == 0x04 && point[1] == 0x81) {
		point += 3;
		n -= 3;
	}
	if (n != 1 + 2 * v->coord || point[0] != 0x04)
		return -1;
	mbedtls_ecp_group_init(&v->grp);
	mbedtls_ecp_point_init(&v->q);
	if (mbedtls_ecp_group_load(&v->grp, id) ||
	    mbedtls_ecp_point_read_binary(&v->grp, &v->q, point, n) ||
	    mbedtls_ecp_check_pubkey(&v->grp, &v->q))
		return -1;
	v->ready = 1;
	return 0;
}

static int verify_sig(struct verifier *v, const uint8_t *digest, size_t dlen, const uint8_t *sig,
		      size_t slen)
{
	if (!v->ready || slen != 2 * v->coord)
		return -1;
	mbedtls_mpi r, s;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	int rc = mbedtls_mpi_read_binary(&r, sig, v->coord) ||
		 mbedtls_mpi_read_binary(&s, sig + v->coord, v->coord) ||
		 mbedtls_ecdsa_verify(&v->grp, digest, dlen, &v->q, &r, &s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc ? -1 : 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static void fill_digest(uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		d[i] = (uint8_t)rng_state;
	}
}

/* ---- the module under test ---------------------------------------------------------------- */

struct opts {
	const char *module, *name, *token, *pin, *outfile, *tcti, *key, *threads;
	const char *direct;
	int runs, signs, thread_signs, thread_rounds, paired_signs, timeout, flush, allow_fail;
	long soak;
	int nthreads; /* child-threads */
};

static CK_FUNCTION_LIST *F;
static void *module_handle;

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return "CKR_OK";
	case 0x5:
		return "CKR_GENERAL_ERROR";
	case 0x6:
		return "CKR_FUNCTION_FAILED";
	case 0x7:
		return "CKR_ARGUMENTS_BAD";
	case 0x30:
		return "CKR_DEVICE_ERROR";
	case 0x32:
		return "CKR_DEVICE_REMOVED";
	case 0x82:
		return "CKR_OBJECT_HANDLE_INVALID";
	case 0x90:
		return "CKR_OPERATION_ACTIVE";
	case 0x91:
		return "CKR_OPERATION_NOT_INITIALIZED";
	case 0xA0:
		return "CKR_PIN_INCORRECT";
	case 0xB3:
		return "CKR_SESSION_HANDLE_INVALID";
	case 0x100:
		return "CKR_USER_ALREADY_LOGGED_IN";
	case 0x101:
		return "CKR_USER_NOT_LOGGED_IN";
	case 0x150:
		return "CKR_BUFFER_TOO_SMALL";
	case 0x190:
		return "CKR_CRYPTOKI_NOT_INITIALIZED";
	}
	static _Thread_local char buf[32];
	snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

static void check(CK_RV rv, const char *what)
{
	if (rv != CKR_OK) {
		kv("error", "%s: %s", what, rv_name(rv));
		die("%s: %s", what, rv_name(rv));
	}
}

static void module_load(const char *path)
{
	module_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!module_handle)
		die("dlopen %s: %s", path, dlerror());
	CK_C_GetFunctionList gfl;
	void *p = dlsym(module_handle, "C_GetFunctionList");
	if (!p)
		die("%s: no C_GetFunctionList", path);
	memcpy(&gfl, &p, sizeof(p));
	check(gfl(&F), "C_GetFunctionList");
}

static void module_init(void)
{
	CK_C_INITIALIZE_ARGS args;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK; /* as OpenSSH and p11-kit ask */
	check(F->C_Initialize(&args), "C_Initialize");
}

/* The diagnostics interface of baretpm's module, if this module has one. */
static const struct btpm_pkcs11_diag *module_diag(void)
{
	void *p = dlsym(module_handle, "C_GetInterface");
	if (!p)
		return NULL;
	CK_C_GetInterface gi;
	memcpy(&gi, &p, sizeof(p));
	CK_INTERFACE_PTR it = NULL;
	if (gi((CK_UTF8CHAR_PTR)BTPM_PKCS11_DIAG_INTERFACE, NULL, &it, 0) != CKR_OK || !it)
		return NULL;
	return it->pFunctionList;
}

static CK_SLOT_ID find_slot(const char *label)
{
	CK_ULONG n = 0;
	check(F->C_GetSlotList(CK_TRUE, NULL, &n), "C_GetSlotList");
	CK_SLOT_ID slots[64];
	if (n > 64)
		n = 64;
	check(F->C_GetSlotList(CK_TRUE, slots, &n), "C_GetSlotList");
	char want[32];
	memset(want, ' ', 32);
	memcpy(want, label, strlen(label) < 32 ? strlen(label) : 32);
	int found = -1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (F->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (found < 0 && !memcmp(ti.label, want, 32))
			found = (int)i;
	}
	if (found < 0) {
		kv("error", "no token labelled %s", label);
		die("no token labelled %s", label);
	}
	return slots[found];
}

/* The first EC private key, and its public key's point into v. */
static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, struct verifier *v)
{
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, pub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_ATTRIBUTE t[3] = {{CKA_CLASS, &priv, sizeof(priv)}, {CKA_KEY_TYPE, &ec, sizeof(ec)}};
	CK_OBJECT_HANDLE h = 0, hp = 0;
	CK_ULONG got = 0;
	check(F->C_FindObjectsInit(s, t, 2), "C_FindObjectsInit");
	check(F->C_FindObjects(s, &h, 1, &got), "C_FindObjects");
	check(F->C_FindObjectsFinal(s), "C_FindObjectsFinal");
	if (!got) {
		kv("error", "no EC private key in the token");
		die("no EC private key in the token");
	}
	uint8_t id[256];
	CK_ATTRIBUTE a = {CKA_ID, id, sizeof(id)};
	check(F->C_GetAttributeValue(s, h, &a, 1), "C_GetAttributeValue(CKA_ID)");
	t[0].pValue = &pub;
	t[2] = (CK_ATTRIBUTE){CKA_ID, id, a.ulValueLen};
	check(F->C_FindObjectsInit(s, t, 3), "C_FindObjectsInit");
	check(F->C_FindObjects(s, &hp, 1, &got), "C_FindObjects");
	check(F->C_FindObjectsFinal(s), "C_FindObjectsFinal");
	if (!got) {
		kv("error", "no public key with the private key's CKA_ID");
		die("no public key with the private key's CKA_ID");
	}
	uint8_t params[64], point[160];
	CK_ATTRIBUTE pa[2] = {{CKA_EC_PARAMS, params, sizeof(params)},
			      {CKA_EC_POINT, point, sizeof(point)}};
	check(F->C_GetAttributeValue(s, hp, pa, 2), "C_GetAttributeValue(EC public key)");
	if (verifier_init(v, params, pa[0].ulValueLen, point, pa[1].ulValueLen)) {
		kv("error", "cannot use the public key's CKA_EC_PARAMS / CKA_EC_POINT");
		die("cannot use the public key's CKA_EC_PARAMS / CKA_EC_POINT");
	}
	return h;
}

/* SignInit + Sign of digest (coord bytes) with CKM_ECDSA. */
static CK_RV sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, const uint8_t *digest,
		       size_t dlen, uint8_t *sig, CK_ULONG *slen)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_RV rv = F->C_SignInit(s, &m, key);
	if (rv != CKR_OK)
		return rv;
	return F->C_Sign(s, (CK_BYTE_PTR)digest, dlen, sig, slen);
}

/* ---- shared libraries mapped into this process --------------------------------------------- */

#define MAX_LIBS 128
struct libs {
	unsigned n;
	char path[MAX_LIBS][256];
};

static void libs_mapped(struct libs *l)
{
	l->n = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');
		if (!p || !strstr(p, ".so"))
			continue;
		p[strcspn(p, "\n")] = 0;
		unsigned i;
		for (i = 0; i < l->n; i++)
			if (!strcmp(l->path[i], p))
				break;
		if (i == l->n && l->n < MAX_LIBS)
			scopy(l->path[l->n++], sizeof(l->path[0]), p);
	}
	fclose(f);
}

/* A tpm/ call that must succeed. */
static void tpm_check(struct btpm *t, int rc, const char *what)
{
	if (rc) {
		char buf[512];
		btpm_strerror(t, rc, buf, sizeof(buf));
		if (out)
			kv("error", "%s: %s", what, buf);
		die("%s: %s", what, buf);
	}
}

/*
 * What a client that does no work sees around a phase's commands: n rounds
 * of k TPM2_GetRandom (no session, nothing to compute) on one connection per
 * round, as a module holds one per call. w[i] gets a round's wall time,
 * *tpm_us_mean the proxy's mean TPM time per round: the difference is the
 * overhead no client avoids (connect, system calls, loopback hops).
 */
#define RTT_N 25
#define LOGIN_CMDS 4 /* both products' C_Login: StartAuthSession, Load, Unseal, Flush */
static void rtt_on(const char *tcti, int n, int k, double *w, double *tpm_us_mean)
{
	char err[256];
	struct btpm *t;
	struct stats a, b;
	uint8_t r[16];
	if (btpm_open(&t, tcti, err, sizeof(err)))
		die("btpm_open %s: %s", tcti, err);
	for (int i = -5; i < n; i++) { /* 5 rounds of warm-up */
		if (i == 0)
			stats_get(&a);
		double t0 = now_us();
		btpm_hold(t, 1);
		for (int j = 0; j < k; j++)
			tpm_check(t, btpm_get_random(t, r, sizeof(r)), "GetRandom");
		btpm_hold(t, 0);
		if (i >= 0)
			w[i] = now_us() - t0;
	}
	stats_get(&b);
	btpm_close(t);
	long long ns0 = 0, ns1 = 0;
	unsigned long k0 = cc_count(&a, 0x17B, &ns0), k1 = cc_count(&b, 0x17B, &ns1);
	*tpm_us_mean = k1 > k0 && k > 0 ? (double)(ns1 - ns0) / 1e3 / (double)(k1 - k0) * k : 0;
}

/* ---- a child: one full life of the module ------------------------------------------------- */

static struct stats ph_stats;
static double ph_t0, ph_c0;

static void phase_begin(void)
{
	stats_get(&ph_stats);
	ph_c0 = cpu_us();
	ph_t0 = now_us();
}

/* "ph.NAME wall_us commands tpm_us cpu_us Name:count,..." */
static void phase_end(const char *name)
{
	double dt = now_us() - ph_t0, dc = cpu_us() - ph_c0, tpm_us = 0;
	struct stats s;
	char k[96], desc[1024];
	stats_get(&s);
	unsigned long n = stats_delta(&ph_stats, &s, &tpm_us, desc, sizeof(desc));
	snprintf(k, sizeof(k), "ph.%s", name);
	kv(k, "%.1f %lu %.1f %.1f %s", dt, n, tpm_us, dc, desc);
}

static int child_lifecycle(const struct opts *o)
{
	struct libs before, after;
	struct verifier v = {0};
	uint8_t digest[64], sig[256];
	CK_ULONG slen;
	long rss_base = maxrss_kb();
	libs_mapped(&before);

	phase_begin();
	module_load(o->module);
	phase_end("dlopen");

	phase_begin();
	module_init();
	phase_end("initialize");

	phase_begin();
	CK_SLOT_ID slot = find_slot(o->token);
	phase_end("list");

	CK_SESSION_HANDLE s;
	phase_begin();
	check(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), "C_OpenSession");
	phase_end("open_session");

	phase_begin();
	check(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)o->pin, strlen(o->pin)), "C_Login");
	phase_end("login");
	if (o->tcti) { /* right after, on the same TPM: as many no-work commands (rtt_on) */
		double rw[RTT_N], rt = 0;
		rtt_on(o->tcti, RTT_N, LOGIN_CMDS, rw, &rt);
		kv("rtt", "%.1f %.1f", distribution(rw, RTT_N).median, rt);
	}

	phase_begin();
	CK_OBJECT_HANDLE key = find_key(s, &v);
	phase_end("find_key");

	fill_digest(digest, v.coord);
	slen = sizeof(sig);
	phase_begin();
	check(sign_once(s, key, digest, v.coord, sig, &slen), "first C_Sign");
	phase_end("first_sign");
	unsigned long bad = verify_sig(&v, digest, v.coord, sig, slen) != 0;
	libs_mapped(&after);

	/*
	 * Steady state: each signature timed alone (wall and process CPU), and
	 * user / system CPU over the loop; verified after the loop.
	 */
	struct stats s0, s1;
	int ns = o->signs > 0 ? o->signs : 0;
	uint8_t(*dg)[64] = calloc((size_t)ns + 1, 64), (*sg)[128] = calloc((size_t)ns + 1, 128);
	CK_ULONG *sl = calloc((size_t)ns + 1, sizeof(CK_ULONG));
	double *w = calloc((size_t)ns + 1, sizeof(double)), *c = calloc((size_t)ns + 1, sizeof(double));
	if (!dg || !sg || !sl || !w || !c)
		die("out of memory");
	for (int i = 0; i < ns; i++)
		fill_digest(dg[i], v.coord);
	struct rusage ru0, ru1;
	stats_get(&s0);
	getrusage(RUSAGE_SELF, &ru0);
	double wall_total = 0, cpu_total = 0;
	for (int i = 0; i < ns; i++) {
		sl[i] = 128;
		double c0 = cpu_us(), t0 = now_us();
		CK_RV rv = sign_once(s, key, dg[i], v.coord, sg[i], &sl[i]);
		double t1 = now_us(), c1 = cpu_us();
		check(rv, "C_Sign");
		w[i] = t1 - t0;
		c[i] = c1 - c0;
		wall_total += w[i];
		cpu_total += c[i];
	}
	getrusage(RUSAGE_SELF, &ru1);
	stats_get(&s1);
	for (int i = 0; i < ns; i++) {
		kv("ss", "%.1f %.2f", w[i], c[i]);
		bad += verify_sig(&v, dg[i], v.coord, sg[i], sl[i]) != 0;
	}
	double tpm_us = 0;
	char desc[1024];
	unsigned long n = stats_delta(&s0, &s1, &tpm_us, desc, sizeof(desc));
	/* per signature */
	kv("ph.steady_sign", "%.1f %.3f %.1f %.2f %s", ns ? wall_total / ns : 0,
	   ns ? (double)n / ns : 0, ns ? tpm_us / ns : 0, ns ? cpu_total / ns : 0, desc);
	double ut = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 +
		    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec);
	double sy = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
		    (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
	kv("steady.cpu", "%d %.1f %.1f", ns, ut, sy);
	kv("verify.bad", "%lu", bad);

	phase_begin();
	check(F->C_Logout(s), "C_Logout");
	phase_end("logout");

	const struct btpm_pkcs11_diag *d = module_diag();
	phase_begin();
	check(F->C_CloseSession(s), "C_CloseSession");
	check(F->C_Finalize(NULL), "C_Finalize");
	phase_end("finalize");
	if (d)
		kv("diag.commands", "%lu", d->commands_sent());

	/* libraries the module brought in (mapped after the first signature, not before dlopen) */
	unsigned count = 0;
	long long bytes = 0;
	char list[4096] = "";
	size_t lo = 0;
	for (unsigned i = 0; i < after.n; i++) {
		unsigned j;
		for (j = 0; j < before.n; j++)
			if (!strcmp(after.path[i], before.path[j]))
				break;
		struct stat sb;
		if (j < before.n || stat(after.path[i], &sb))
			continue;
		count++;
		bytes += sb.st_size;
		const char *b = strrchr(after.path[i], '/');
		lo += (size_t)snprintf(list + lo, sizeof(list) - lo, "%s%s", count > 1 ? "," : "",
				       b ? b + 1 : after.path[i]);
		if (lo >= sizeof(list))
			lo = sizeof(list) - 1;
	}
	kv("libs.mapped", "%u %lld %s", count, bytes, list);
	kv("rss", "%ld %ld", rss_base, maxrss_kb());
	kv("done", "1");
	return 0;
}

/* ---- a child: signing with T threads, one session each --------------------------------- */

struct worker {
	pthread_t th;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE key;
	size_t coord;
	int count;
	pthread_barrier_t *bar;
	double *lat;
	uint8_t (*digest)[64];
	uint8_t (*sig)[128];
	CK_ULONG *slen;
	unsigned long ok, fail;
	CK_RV first_error;
	const char *first_what;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s = 0;
	CK_RV rv = F->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		w->first_error = rv;
		w->first_what = "C_OpenSession";
		w->fail = (unsigned long)w->count;
	}
	pthread_barrier_wait(w->bar);
	for (int i = 0; rv == CKR_OK && i < w->count; i++) {
		w->slen[i] = 128;
		double t0 = now_us();
		CK_RV r = sign_once(s, w->key, w->digest[i], w->coord, w->sig[i], &w->slen[i]);
		w->lat[i] = now_us() - t0;
		if (r == CKR_OK) {
			w->ok++;
		} else {
			w->slen[i] = 0;
			w->fail++;
			if (!w->first_error) {
				w->first_error = r;
				w->first_what = "C_SignInit/C_Sign";
			}
		}
	}
	if (s)
		F->C_CloseSession(s);
	return NULL;
}

static int child_threads(const struct opts *o)
{
	int T = o->nthreads, per = o->thread_signs / T;
	struct verifier v = {0};
	if (per < 1)
		per = 1;
	module_load(o->module);
	module_init();
	CK_SLOT_ID slot = find_slot(o->token);
	CK_SESSION_HANDLE s;
	check(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), "C_OpenSession");
	check(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)o->pin, strlen(o->pin)), "C_Login");
	CK_OBJECT_HANDLE key = find_key(s, &v);
	/* the key loaded and the first-sign cost paid before the clock starts */
	uint8_t d0[64], s0[256];
	CK_ULONG l0 = sizeof(s0);
	fill_digest(d0, v.coord);
	check(sign_once(s, key, d0, v.coord, s0, &l0), "first C_Sign");

	struct worker *w = calloc((size_t)T, sizeof(*w));
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, (unsigned)T + 1);
	size_t total = (size_t)T * (size_t)per;
	double *lat = calloc(total, sizeof(double));
	uint8_t(*digest)[64] = calloc(total, 64);
	uint8_t(*sig)[128] = calloc(total, 128);
	CK_ULONG *slen = calloc(total, sizeof(CK_ULONG));
	if (!w || !lat || !digest || !sig || !slen)
		die("out of memory");
	for (size_t i = 0; i < total; i++)
		fill_digest(digest[i], v.coord);
	for (int i = 0; i < T; i++) {
		w[i] = (struct worker){.slot = slot, .key = key, .coord = v.coord, .count = per,
				       .bar = &bar, .lat = lat + (size_t)i * per,
				       .digest = digest + (size_t)i * per,
				       .sig = sig + (size_t)i * per, .slen = slen + (size_t)i * per};
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]))
			die("pthread_create");
	}
	struct stats a, b;
	stats_get(&a);
	pthread_barrier_wait(&bar);
	double t0 = now_us();
	for (int i = 0; i < T; i++)
		pthread_join(w[i].th, NULL);
	double wall = now_us() - t0;
	stats_get(&b);
	unsigned long ok = 0, fail = 0, bad = 0;
	CK_RV first = 0;
	const char *first_what = "";
	for (int i = 0; i < T; i++) {
		ok += w[i].ok;
		fail += w[i].fail;
		if (!first && w[i].first_error) {
			first = w[i].first_error;
			first_what = w[i].first_what;
		}
	}
	for (size_t i = 0; i < total; i++)
		if (slen[i])
			bad += verify_sig(&v, digest[i], v.coord, sig[i], slen[i]) != 0;
	/* latency of the successful operations */
	size_t k = 0;
	for (size_t i = 0; i < total; i++)
		if (slen[i])
			lat[k++] = lat[i];
	struct dist d = distribution(lat, k);
	char key_[64];
	snprintf(key_, sizeof(key_), "thr.%d", T);
	kv(key_, "ok=%lu fail=%lu bad=%lu wall_us=%.0f ops_per_s=%.1f median_us=%.1f p99_us=%.1f "
		 "max_us=%.1f cmds=%lu error=%s%s%s",
	   ok, fail, bad, wall, wall > 0 ? (double)ok / (wall / 1e6) : 0, d.median, d.p99, d.max,
	   b.total - a.total, first ? first_what : "-", first ? ":" : "", first ? rv_name(first) : "");
	F->C_Logout(s);
	F->C_CloseSession(s);
	F->C_Finalize(NULL);
	kv("done", "1");
	return 0;
}

/* ---- a child: the soak ------------------------------------------------------------------------ */

static int child_soak(const struct opts *o)
{
	struct verifier v = {0};
	module_load(o->module);
	module_init();
	CK_SLOT_ID slot = find_slot(o->token);
	CK_SESSION_HANDLE s;
	check(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), "C_OpenSession");
	check(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)o->pin, strlen(o->pin)), "C_Login");
	CK_OBJECT_HANDLE key = find_key(s, &v);
	size_t cap = o->soak < MAX_SAMPLES ? (size_t)o->soak : MAX_SAMPLES;
	double *lat = calloc(cap ? cap : 1, sizeof(double));
	if (!lat)
		die("out of memory");
	memset(lat, 0xff, (cap ? cap : 1) * sizeof(double)); /* touched now: RSS growth is the module's */
	unsigned long fail = 0, bad = 0;
	CK_RV first = 0;
	long rss_first = 0, heap_first = 0;
	struct stats a, b;
	stats_get(&a);
	double t0 = now_us(), c0 = cpu_us();
	for (long i = 0; i < o->soak; i++) {
		uint8_t digest[64], sig[256];
		CK_ULONG slen = sizeof(sig);
		fill_digest(digest, v.coord);
		double t = now_us();
		CK_RV rv = sign_once(s, key, digest, v.coord, sig, &slen);
		if ((size_t)i < cap)
			lat[i] = now_us() - t;
		if (rv != CKR_OK) {
			fail++;
			if (!first)
				first = rv;
		} else if (verify_sig(&v, digest, v.coord, sig, slen)) {
			bad++;
		}
		if (i == 999) {
			rss_first = maxrss_kb();
			heap_first = heap_inuse();
		}
		if (i && i % 10000 == 0)
			fprintf(stderr, "soak: %ld signatures, %lu failed, %lu did not verify\n", i,
				fail, bad);
	}
	double wall = now_us() - t0, cpu = cpu_us() - c0;
	stats_get(&b);
	struct dist d = distribution(lat, cap);
	kv("soak", "count=%ld fail=%lu bad=%lu seconds=%.1f ops_per_s=%.1f median_us=%.1f "
		   "p99_us=%.1f max_us=%.1f cpu_us_per_op=%.2f cmds=%lu rss_kb_after_1000=%ld "
		   "rss_kb_end=%ld heap_after_1000=%ld heap_end=%ld error=%s",
	   o->soak, fail, bad, wall / 1e6, o->soak ? (double)o->soak / (wall / 1e6) : 0, d.median,
	   d.p99, d.max, o->soak ? cpu / (double)o->soak : 0, b.total - a.total, rss_first,
	   maxrss_kb(), heap_first, heap_inuse(), first ? rv_name(first) : "-");
	F->C_Logout(s);
	F->C_CloseSession(s);
	F->C_Finalize(NULL);
	kv("done", "1");
	return 0;
}

/* ---- running children --------------------------------------------------------------------- */

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* Run argv with its stdout on /dev/null and stderr on errlog; OUT_FD (if capture) into *buf. */
static int spawn(char *const argv[], int capture, char **buf, int timeout_s, struct rusage *ru,
		 double *wall_us, const char *errlog)
{
	int p[2] = {-1, -1};
	if (capture && pipe(p))
		die("pipe: %s", strerror(errno));
	double t0 = now_us();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		/* never outlive the bench (interrupted, killed by its timeout) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		if (errlog) {
			int e = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (e >= 0)
				dup2(e, 2);
		}
		if (capture) {
			dup2(p[1], OUT_FD);
			if (p[1] != OUT_FD)
				close(p[1]);
			close(p[0]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	size_t len = 0, cap = 0;
	char *b = NULL;
	double deadline = t0 + (double)timeout_s * 1e6;
	int killed = 0;
	if (capture) {
		close(p[1]);
		for (;;) {
			double left = deadline - now_us();
			if (left <= 0) {
				kill(pid, SIGKILL);
				killed = 1;
				break;
			}
			struct pollfd pf = {p[0], POLLIN, 0};
			int r = poll(&pf, 1, (int)(left / 1000) + 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				continue;
			if (len + 4096 + 1 > cap) {
				cap = cap ? cap * 2 : 65536;
				b = realloc(b, cap);
				if (!b)
					die("out of memory");
			}
			ssize_t got = read(p[0], b + len, cap - len - 1);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			len += (size_t)got;
		}
		close(p[0]);
	}
	/* wait with a deadline: SIGALRM interrupts wait4 */
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	int status = 0;
	alarmed = 0;
	double left = deadline - now_us();
	alarm(left > 1e6 ? (unsigned)(left / 1e6) + 1 : 1);
	for (;;) {
		pid_t r = wait4(pid, &status, 0, ru);
		if (r == pid)
			break;
		if (r < 0 && errno == EINTR && alarmed) {
			kill(pid, SIGKILL);
			killed = 1;
			alarmed = 0;
			alarm(5);
			continue;
		}
		if (r < 0 && errno != EINTR)
			break;
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (wall_us)
		*wall_us = now_us() - t0;
	if (buf) {
		if (!b)
			b = calloc(1, 1);
		else
			b[len] = 0;
		*buf = b;
	} else {
		free(b);
	}
	if (killed)
		return -2;
	if (WIFSIGNALED(status))
		return -(100 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	path[n] = 0;
	return path;
}

static const char *status_text(int rc, char *buf, size_t cap)
{
	if (rc == -2)
		snprintf(buf, cap, "timed out (killed)");
	else if (rc <= -100)
		snprintf(buf, cap, "died of signal %d", -rc - 100);
	else
		snprintf(buf, cap, "exit status %d", rc);
	return buf;
}

/* The value of "key" in a child's output (the last one). */
static const char *find_line(const char *buf, const char *key, char *val, size_t cap)
{
	size_t kl = strlen(key);
	const char *found = NULL;
	for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			found = p + kl + 1;
	if (!found)
		return NULL;
	size_t n = strcspn(found, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(val, found, n);
	val[n] = 0;
	return val;
}

/* ---- module mode: run the children and aggregate --------------------------------------------- */

/* The number after "name=" in a "a=1 b=2" value (0 if absent). */
static double vfield(const char *v, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = v; p && *p; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == '=')
			return strtod(p + n + 1, NULL);
	return 0;
}

static const char *const phases[] = {"dlopen", "initialize",  "list",       "open_session",
				     "login",  "find_key",    "first_sign", "steady_sign",
				     "logout", "finalize"};
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

static size_t login_phase(void)
{
	size_t i = 0;
	while (i + 1 < NPHASES && strcmp(phases[i], "login"))
		i++;
	return i;
}

static char **child_argv(const struct opts *o, const char *mode, int nthreads)
{
	static char a[16][512];
	static char *argv[17];
	int n = 0;
	scopy(a[n++], sizeof(a[0]), self_exe());
	scopy(a[n++], sizeof(a[0]), mode);
	snprintf(a[n++], sizeof(a[0]), "--module=%s", o->module);
	snprintf(a[n++], sizeof(a[0]), "--token=%s", o->token);
	snprintf(a[n++], sizeof(a[0]), "--pin=%s", o->pin);
	snprintf(a[n++], sizeof(a[0]), "--ctl=%d", ctl_port);
	snprintf(a[n++], sizeof(a[0]), "--signs=%d", o->signs);
	snprintf(a[n++], sizeof(a[0]), "--thread-signs=%d", o->thread_signs);
	snprintf(a[n++], sizeof(a[0]), "--nthreads=%d", nthreads);
	snprintf(a[n++], sizeof(a[0]), "--soak=%ld", o->soak);
	snprintf(a[n++], sizeof(a[0]), "--timeout=%d", o->timeout);
	if (o->tcti)
		snprintf(a[n++], sizeof(a[0]), "--tcti=%s", o->tcti);
	for (int i = 0; i < n; i++)
		argv[i] = a[i];
	argv[n] = NULL;
	return argv;
}

static int mode_module(const struct opts *o)
{
	char k[128], val[4096], st[64];
	double *ph_us[NPHASES], *ph_tpm[NPHASES], *ph_cmds[NPHASES], *ph_cpu[NPHASES];
	double user_us = 0, sys_us = 0, cpu_signs = 0;
	char ph_desc[NPHASES][1024];
	size_t nruns_ok = 0;
	size_t cap_ss = (size_t)o->runs * (size_t)o->signs + 1;
	double *ss = calloc(cap_ss, sizeof(double)), *ss_cpu = calloc(cap_ss, sizeof(double));
	double *rss = calloc((size_t)o->runs + 1, sizeof(double));
	/* per run: C_Login's bound for a client that does no work (rtt_on) */
	double *lb_hop = calloc((size_t)o->runs + 1, sizeof(double));
	double *lb_x = calloc((size_t)o->runs + 1, sizeof(double));
	double *lb_vs = calloc((size_t)o->runs + 1, sizeof(double));
	size_t nlb = 0;
	size_t nss = 0;
	unsigned long bad = 0, leftover = 0, diag_mismatch = 0;
	for (size_t i = 0; i < NPHASES; i++) {
		ph_us[i] = calloc((size_t)o->runs + 1, sizeof(double));
		ph_tpm[i] = calloc((size_t)o->runs + 1, sizeof(double));
		ph_cmds[i] = calloc((size_t)o->runs + 1, sizeof(double));
		ph_cpu[i] = calloc((size_t)o->runs + 1, sizeof(double));
		ph_desc[i][0] = 0;
	}
	kv("name", "%s", o->name);
	kv("module.path", "%s", o->module);
	char libs[4096] = "", rss_line[64] = "";
	rm_flush(); /* whatever the provisioning left */
	for (int run = 0; run < o->runs; run++) {
		char *buf = NULL;
		int rc = spawn(child_argv(o, "child-lifecycle", 1), 1, &buf, o->timeout, NULL, NULL,
			       NULL);
		unsigned long left = rm_flush();
		leftover = left > leftover ? left : leftover;
		if (rc || !find_line(buf, "done", val, sizeof(val))) {
			const char *e = find_line(buf, "error", val, sizeof(val));
			kv("lifecycle.error", "run %d: %s%s%s", run + 1,
			   status_text(rc, st, sizeof(st)), e ? ": " : "", e ? e : "");
			fprintf(stderr, "%s: %s: lifecycle run %d failed (%s)\n", prog, o->name, run + 1,
				e ? e : st);
			free(buf);
			continue;
		}
		for (size_t i = 0; i < NPHASES; i++) {
			snprintf(k, sizeof(k), "ph.%s", phases[i]);
			double us = 0, tpm = 0, cmds = 0, cpu = 0;
			char desc[1024] = "";
			if (find_line(buf, k, val, sizeof(val)) &&
			    sscanf(val, "%lf %lf %lf %lf %1023s", &us, &cmds, &tpm, &cpu, desc) >= 4) {
				ph_us[i][nruns_ok] = us;
				ph_tpm[i][nruns_ok] = tpm;
				ph_cmds[i][nruns_ok] = cmds;
				ph_cpu[i][nruns_ok] = cpu;
				if (!run || !ph_desc[i][0])
					scopy(ph_desc[i], sizeof(ph_desc[i]), desc);
			}
		}
		for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			double w, c;
			if (!strncmp(p, "ss ", 3) && sscanf(p + 3, "%lf %lf", &w, &c) == 2 &&
			    nss < cap_ss) {
				ss[nss] = w;
				ss_cpu[nss++] = c;
			}
		}
		double nsg = 0, ut = 0, st_ = 0;
		if (find_line(buf, "steady.cpu", val, sizeof(val)) &&
		    sscanf(val, "%lf %lf %lf", &nsg, &ut, &st_) == 3) {
			cpu_signs += nsg;
			user_us += ut;
			sys_us += st_;
		}
		if (find_line(buf, "verify.bad", val, sizeof(val)))
			bad += strtoul(val, NULL, 10);
		if (find_line(buf, "libs.mapped", val, sizeof(val)))
			scopy(libs, sizeof(libs), val);
		long rb = 0, rp = 0;
		if (find_line(buf, "rss", val, sizeof(val)) && sscanf(val, "%ld %ld", &rb, &rp) == 2) {
			rss[nruns_ok] = (double)rp;
			snprintf(rss_line, sizeof(rss_line), "%ld", rb);
		}
		double rtt = 0, rtt_tpm = 0;
		if (find_line(buf, "rtt", val, sizeof(val)) &&
		    sscanf(val, "%lf %lf", &rtt, &rtt_tpm) == 2 && rtt > rtt_tpm && rtt_tpm > 0) {
			size_t li = login_phase();
			double tpm = ph_tpm[li][nruns_ok], cmds = ph_cmds[li][nruns_ok];
			double bound = tpm + (rtt - rtt_tpm);
			if (tpm > 0 && cmds == LOGIN_CMDS) {
				lb_hop[nlb] = rtt - rtt_tpm;
				lb_x[nlb] = bound / tpm;
				lb_vs[nlb++] = ph_us[li][nruns_ok] / bound;
			}
		}
		if (find_line(buf, "diag.commands", val, sizeof(val))) {
			/* the module's own count must equal what the proxy saw (all phases) */
			double sum = 0;
			for (size_t i = 1; i < NPHASES; i++)
				sum += ph_cmds[i][nruns_ok] * (!strcmp(phases[i], "steady_sign") ? o->signs : 1);
			if ((unsigned long)sum != strtoul(val, NULL, 10))
				diag_mismatch++;
			kv("diag.commands", "%s", val);
		}
		nruns_ok++;
		free(buf);
	}
	kv("lifecycle.runs", "%d", o->runs);
	kv("lifecycle.ok", "%zu", nruns_ok);
	kv("lifecycle.leftover_handles", "%lu", leftover);
	if (nruns_ok) {
		for (size_t i = 0; i < NPHASES; i++) {
			snprintf(k, sizeof(k), "phase.%s.us", phases[i]);
			kv_dist(k, ph_us[i], nruns_ok);
			snprintf(k, sizeof(k), "phase.%s.tpm_us", phases[i]);
			kv_dist(k, ph_tpm[i], nruns_ok);
			snprintf(k, sizeof(k), "phase.%s.cmds", phases[i]);
			kv_dist(k, ph_cmds[i], nruns_ok);
			snprintf(k, sizeof(k), "phase.%s.cpu_us", phases[i]);
			kv_dist(k, ph_cpu[i], nruns_ok);
			snprintf(k, sizeof(k), "phase.%s.cc", phases[i]);
			kv(k, "%s", ph_desc[i]);
		}
		kv("steady.signs", "%d", o->signs);
		kv("sign.user_us_per_op", "%.1f", cpu_signs > 0 ? user_us / cpu_signs : 0);
		kv("sign.sys_us_per_op", "%.1f", cpu_signs > 0 ? sys_us / cpu_signs : 0);
		kv_dist("sign.us", ss, nss);
		kv_dist("sign.cpu_us", ss_cpu, nss);
		kv("sign.verify_failures", "%lu", bad);
		kv_dist("rss.peak_kb", rss, nruns_ok);
		kv("rss.base_kb", "%s", rss_line);
		kv("libs.mapped", "%s", libs);
		kv("diag.mismatch", "%lu", diag_mismatch);
		if (nlb) {
			kv_dist("login.noop_overhead_us", lb_hop, nlb);
			kv_dist("login.bound_x", lb_x, nlb);
			kv_dist("login.vs_bound", lb_vs, nlb);
		}
	}

	/* the module and the floor alternating in one process */
	if (o->tcti && o->paired_signs > 0) {
		char *buf = NULL;
		struct opts po = *o;
		po.signs = o->paired_signs;
		int rc = spawn(child_argv(&po, "child-paired", 1), 1, &buf, o->timeout, NULL, NULL,
			       NULL);
		rm_flush();
		if (!rc && find_line(buf, "paired", val, sizeof(val))) {
			kv("paired", "%s", val);
		} else {
			const char *e = find_line(buf, "error", val, sizeof(val));
			kv("paired.error", "%s%s%s", status_text(rc, st, sizeof(st)), e ? ": " : "",
			   e ? e : "");
		}
		free(buf);
	}

	/*
	 * Threads: rounds of 1, 2, 4, 8 threads (interleaved, so that a noisy
	 * moment of the machine does not land on one thread count); per count
	 * the median over the rounds.
	 */
	const char *list = o->threads ? o->threads : "1,2,4,8";
	int tcount[16], nt = 0;
	char tl[128];
	scopy(tl, sizeof(tl), list);
	for (char *t = strtok(tl, ","); t && nt < 16; t = strtok(NULL, ","))
		if (atoi(t) >= 1 && atoi(t) <= 64)
			tcount[nt++] = atoi(t);
	int R = o->thread_rounds > 0 ? o->thread_rounds : 1;
	double *tops = calloc((size_t)(nt * R) + 1, sizeof(double));
	double *tmed = calloc((size_t)(nt * R) + 1, sizeof(double));
	double *tp99 = calloc((size_t)(nt * R) + 1, sizeof(double));
	double tok[16] = {0}, tfail[16] = {0}, tbad[16] = {0};
	int tn[16] = {0}, tcrash[16] = {0};
	char terr[16][160];
	for (int i = 0; i < nt; i++)
		scopy(terr[i], sizeof(terr[i]), "-");
	for (int round = 0; round < R; round++)
		for (int ti = 0; ti < nt; ti++) {
			int T = tcount[ti];
			char *buf = NULL;
			int rc = spawn(child_argv(o, "child-threads", T), 1, &buf, o->timeout, NULL,
				       NULL, NULL);
			rm_flush();
			snprintf(k, sizeof(k), "thr.%d", T);
			if (find_line(buf, k, val, sizeof(val))) {
				double okn = vfield(val, "ok"), fl = vfield(val, "fail");
				tok[ti] += okn;
				tfail[ti] += fl;
				tbad[ti] += vfield(val, "bad");
				if (fl == 0 && okn > 0) {
					size_t at = (size_t)ti * (size_t)R + (size_t)tn[ti]++;
					tops[at] = vfield(val, "ops_per_s");
					tmed[at] = vfield(val, "median_us");
					tp99[at] = vfield(val, "p99_us");
				}
				const char *e = strstr(val, "error=");
				if (e && strncmp(e, "error=-", 7) && !strcmp(terr[ti], "-"))
					scopy(terr[ti], sizeof(terr[ti]), e + 6);
				tcrash[ti] += rc != 0;
			} else {
				const char *e = find_line(buf, "error", val, sizeof(val));
				tfail[ti] += o->thread_signs;
				tcrash[ti]++;
				if (!strcmp(terr[ti], "-"))
					snprintf(terr[ti], sizeof(terr[ti]), "%s%s%s",
						 status_text(rc, st, sizeof(st)), e ? ":" : "", e ? e : "");
			}
			free(buf);
		}
	for (int ti = 0; ti < nt; ti++) {
		size_t at = (size_t)ti * (size_t)R;
		struct dist dops = distribution(tops + at, (size_t)tn[ti]);
		struct dist dmed = distribution(tmed + at, (size_t)tn[ti]);
		struct dist dp99 = distribution(tp99 + at, (size_t)tn[ti]);
		for (char *c = terr[ti]; *c; c++)
			if (*c == ' ')
				*c = '_';
		snprintf(k, sizeof(k), "thr.%d", tcount[ti]);
		kv(k, "ok=%.0f fail=%.0f bad=%.0f ops_per_s=%.1f median_us=%.1f p99_us=%.1f "
		      "rounds=%d clean_rounds=%d crashed=%d ops_min=%.1f ops_max=%.1f error=%s",
		   tok[ti], tfail[ti], tbad[ti], dops.median, dmed.median, dp99.median, R, tn[ti],
		   tcrash[ti], dops.min, dops.max, terr[ti]);
	}

	if (o->soak > 0) {
		char *buf = NULL;
		struct opts so = *o;
		so.timeout = (int)(o->soak / 20) + 120; /* 50 ms a signature at worst */
		fprintf(stderr, "%s: %s: soak of %ld signatures\n", prog, o->name, o->soak);
		int rc = spawn(child_argv(&so, "child-soak", 1), 1, &buf, so.timeout, NULL, NULL,
			       NULL);
		rm_flush();
		if (find_line(buf, "soak", val, sizeof(val))) {
			kv("soak", "%s", val);
		} else {
			const char *e = find_line(buf, "error", val, sizeof(val));
			kv("soak", "count=%ld fail=%ld error=%s%s%s", o->soak, o->soak,
			   status_text(rc, st, sizeof(st)), e ? ":" : "", e ? e : "");
		}
		free(buf);
	}
	return nruns_ok ? 0 : 1;
}

/* ---- floor mode: TPM2_Sign through tpm/ -------------------------------------------------- */

/*
 * The floor's key: a fresh SRK-template primary, a salted HMAC session, a
 * P-256 signing key with a 32-byte auth value, loaded (as the module creates
 * and uses its keys); the primary is flushed once the key is loaded.
 */
struct floor_key {
	struct btpm *t;
	struct btpm_session s;
	struct btpm_entity key;
	struct verifier v;
};

static void floor_open(struct floor_key *f, const char *tcti)
{
	char err[256];
	memset(f, 0, sizeof(*f));
	if (btpm_open(&f->t, tcti, err, sizeof(err)))
		die("btpm_open %s: %s", tcti, err);
	struct btpm *t = f->t;
	struct btpm_session pw;
	struct btpm_entity owner, srk;
	struct btpm_public tmpl, srk_pub, pub;
	struct btpm_blob priv;
	struct btpm_public_info info;
	uint8_t auth[32];
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	tpm_check(t, btpm_template_srk(&tmpl), "SRK template");
	tpm_check(t, btpm_create_primary(t, &pw, &owner, &tmpl, &srk, &srk_pub), "CreatePrimary");
	tpm_check(t, btpm_session_start(t, &f->s, srk.handle, srk_pub.area, srk_pub.size),
		  "StartAuthSession");
	fill_digest(auth, sizeof(auth));
	tpm_check(t, btpm_template_ecc_sign(&tmpl, BTPM_ECC_NIST_P256, 0), "key template");
	tpm_check(t, btpm_create(t, &f->s, &srk, auth, sizeof(auth), NULL, 0, &tmpl, &priv, &pub),
		  "Create");
	tpm_check(t, btpm_load(t, &f->s, &srk, &priv, &pub, &f->key), "Load");
	tpm_check(t, btpm_entity_set_auth(&f->key, auth, sizeof(auth)), "auth");
	tpm_check(t, btpm_public_parse(&pub, &info), "public area");
	btpm_flush_context(t, srk.handle);
	uint8_t point[1 + 2 * 66];
	point[0] = 0x04;
	memcpy(point + 1, info.x, info.coord_size);
	memcpy(point + 1 + info.coord_size, info.y, info.coord_size);
	if (verifier_init(&f->v, oid_p256, sizeof(oid_p256), point, 1u + 2u * info.coord_size))
		die("floor: cannot read the key's public point");
}

static int floor_sign(struct floor_key *f, const uint8_t *digest, uint8_t *sig)
{
	return btpm_sign(f->t, &f->s, &f->key, digest, 32, BTPM_ALG_SHA256, sig, sig + 32, 32);
}

static void floor_close(struct floor_key *f)
{
	btpm_flush_context(f->t, f->key.handle);
	btpm_session_flush(f->t, &f->s);
	btpm_close(f->t);
}

/* n timed TPM2_Sign round trips on tcti; w/c get wall and CPU time per signature. */
static unsigned long floor_on(const char *tcti, int n, double *w, double *c, struct stats *a,
			      struct stats *b)
{
	struct floor_key f;
	floor_open(&f, tcti);
	unsigned long bad = 0;
	uint8_t digest[32], sig[64];
	for (int i = 0; i < 10; i++) { /* warm-up */
		fill_digest(digest, 32);
		tpm_check(f.t, floor_sign(&f, digest, sig), "Sign");
	}
	if (a)
		stats_get(a);
	for (int i = 0; i < n; i++) {
		fill_digest(digest, 32);
		double c0 = cpu_us(), t0 = now_us();
		int rc = floor_sign(&f, digest, sig);
		double t1 = now_us(), c1 = cpu_us();
		tpm_check(f.t, rc, "Sign");
		w[i] = t1 - t0;
		c[i] = c1 - c0;
		bad += verify_sig(&f.v, digest, 32, sig, 64) != 0;
	}
	if (b)
		stats_get(b);
	floor_close(&f);
	return bad;
}

/*
 * A child: the module's steady-state C_Sign and the floor's TPM2_Sign,
 * alternating in one process on the same swtpm, so that both see the same
 * moments of a noisy machine; the overhead ratio comes from here.
 */
static int child_paired(const struct opts *o)
{
	struct floor_key fk;
	struct verifier v = {0};
	floor_open(&fk, o->tcti); /* first: it needs a free object slot for Create */
	module_load(o->module);
	module_init();
	CK_SLOT_ID slot = find_slot(o->token);
	CK_SESSION_HANDLE s;
	check(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), "C_OpenSession");
	check(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)o->pin, strlen(o->pin)), "C_Login");
	CK_OBJECT_HANDLE key = find_key(s, &v);
	if (v.coord != 32) {
		kv("error", "the paired comparison needs a P-256 key");
		die("the paired comparison needs a P-256 key");
	}
	int n = o->signs > 0 ? o->signs : 1;
	double *wm = calloc((size_t)n, sizeof(double)), *wf = calloc((size_t)n, sizeof(double));
	double *cm = calloc((size_t)n, sizeof(double)), *cf = calloc((size_t)n, sizeof(double));
	if (!wm || !wf || !cm || !cf)
		die("out of memory");
	unsigned long bad = 0;
	uint8_t digest[32], sig[128];
	CK_ULONG slen = sizeof(sig);
	fill_digest(digest, 32);
	check(sign_once(s, key, digest, 32, sig, &slen), "first C_Sign"); /* loads the key */
	for (int i = 0; i < 10; i++) {
		slen = sizeof(sig);
		check(sign_once(s, key, digest, 32, sig, &slen), "C_Sign");
		tpm_check(fk.t, floor_sign(&fk, digest, sig), "Sign");
	}
	for (int i = 0; i < 2 * n; i++) {
		int module_turn = (i % 2) ^ ((i / 2) % 2); /* ABBA: neither always goes first */
		int k = i / 2;
		fill_digest(digest, 32);
		double c0 = cpu_us(), t0 = now_us();
		if (module_turn) {
			slen = sizeof(sig);
			check(sign_once(s, key, digest, 32, sig, &slen), "C_Sign");
			wm[k] = now_us() - t0;
			cm[k] = cpu_us() - c0;
			bad += verify_sig(&v, digest, 32, sig, slen) != 0;
		} else {
			tpm_check(fk.t, floor_sign(&fk, digest, sig), "Sign");
			wf[k] = now_us() - t0;
			cf[k] = cpu_us() - c0;
			bad += verify_sig(&fk.v, digest, 32, sig, 64) != 0;
		}
	}
	floor_close(&fk);
	F->C_Logout(s);
	F->C_CloseSession(s);
	F->C_Finalize(NULL);
	struct dist dm = distribution(wm, (size_t)n), df = distribution(wf, (size_t)n);
	struct dist dcm = distribution(cm, (size_t)n), dcf = distribution(cf, (size_t)n);
	kv("paired", "n=%d module_us=%.1f floor_us=%.1f ratio=%.3f module_cpu_us=%.1f "
		     "floor_cpu_us=%.1f module_p99_us=%.1f floor_p99_us=%.1f bad=%lu",
	   n, dm.median, df.median, df.median > 0 ? dm.median / df.median : 0, dcm.median,
	   dcf.median, dm.p99, df.p99, bad);
	kv("done", "1");
	return 0;
}

static int mode_floor(const struct opts *o)
{
	int n = o->signs > 0 ? o->signs : 1000;
	double *w = calloc((size_t)n, sizeof(double)), *c = calloc((size_t)n, sizeof(double));
	if (!w || !c)
		die("out of memory");
	struct stats a, b;
	rm_flush();
	unsigned long bad = floor_on(o->tcti, n, w, c, &a, &b);
	long long ns0 = 0, ns1 = 0;
	unsigned long k0 = cc_count(&a, 0x15D, &ns0), k1 = cc_count(&b, 0x15D, &ns1);
	kv("name", "%s", o->name);
	kv_dist("floor.us", w, (size_t)n);
	kv_dist("floor.cpu_us", c, (size_t)n);
	kv("floor.cmds_per_op", "%.2f", (double)(b.total - a.total) / n);
	kv("floor.tpm_us_per_sign", "%.1f", k1 > k0 ? (double)(ns1 - ns0) / 1e3 / (k1 - k0) : 0);
	if (o->direct) {
		/* the same without the proxy in between, for reference */
		rm_flush();
		bad += floor_on(o->direct, n, w, c, NULL, NULL);
		kv_dist("floor.direct_us", w, (size_t)n);
		kv_dist("floor.direct_cpu_us", c, (size_t)n);
	}
	kv("floor.verify_failures", "%lu", bad);
	return bad ? 1 : 0;
}

/* ---- run mode: a whole process ----------------------------------------------------------------- */

static int mode_run(const struct opts *o, char **cmd)
{
	char k[160], desc[1024] = "", st[64];
	int n = o->runs > 0 ? o->runs : 1;
	double *w = calloc((size_t)n, sizeof(double)), *cmds = calloc((size_t)n, sizeof(double));
	double *tpm = calloc((size_t)n, sizeof(double)), *rss = calloc((size_t)n, sizeof(double));
	double *adj = calloc((size_t)n, sizeof(double));
	if (!w || !cmds || !tpm || !rss || !adj)
		die("out of memory");
	unsigned long leftover = 0, fails = 0, wraps = 0, rm_handles = 0;
	double wrap_us = 0, rm_us = 0;
	char errlog[PATH_MAX];
	snprintf(errlog, sizeof(errlog), "%s.stderr", o->outfile ? o->outfile : "/tmp/p11bench");
	if (o->flush)
		rm_flush();
	for (int i = 0; i < n; i++) {
		struct stats a, b;
		struct rusage ru;
		memset(&ru, 0, sizeof(ru));
		stats_get(&a);
		int rc = spawn(cmd, 0, NULL, o->timeout, &ru, &w[i], errlog);
		stats_get(&b);
		if (rc && !(o->allow_fail && rc > 0)) {
			fails++;
			fprintf(stderr, "%s: %s: %s (see %s)\n", prog, o->key,
				status_text(rc, st, sizeof(st)), errlog);
		}
		rm_handles += b.rm_handles - a.rm_handles;
		cmds[i] = (double)stats_delta(&a, &b, &tpm[i], i ? NULL : desc, sizeof(desc));
		rss[i] = (double)ru.ru_maxrss;
		double wu = (double)(b.wrap_ns - a.wrap_ns) / 1e3;
		wraps += b.wraps - a.wraps;
		wrap_us += wu;
		rm_us += (double)(b.rm_ns - a.rm_ns) / 1e3;
		adj[i] = w[i] - wu;
		if (o->flush) {
			unsigned long left = rm_flush();
			if (!i)
				leftover = left;
			rm_handles += left;
		}
	}
	snprintf(k, sizeof(k), "%s.us", o->key);
	kv_dist(k, w, (size_t)n);
	snprintf(k, sizeof(k), "%s.adj_us", o->key);
	kv_dist(k, adj, (size_t)n);
	snprintf(k, sizeof(k), "%s.cmds", o->key);
	kv_dist(k, cmds, (size_t)n);
	snprintf(k, sizeof(k), "%s.tpm_us", o->key);
	kv_dist(k, tpm, (size_t)n);
	snprintf(k, sizeof(k), "%s.rss_kb", o->key);
	kv_dist(k, rss, (size_t)n);
	snprintf(k, sizeof(k), "%s.cc", o->key);
	kv(k, "%s", desc);
	snprintf(k, sizeof(k), "%s.failures", o->key);
	kv(k, "%lu", fails);
	snprintf(k, sizeof(k), "%s.leftover_handles", o->key);
	kv(k, "%lu", leftover);
	snprintf(k, sizeof(k), "%s.rm_handles", o->key);
	kv(k, "%.1f", (double)rm_handles / n);
	snprintf(k, sizeof(k), "%s.wrapped_tools", o->key);
	kv(k, "%.1f", (double)wraps / n);
	snprintf(k, sizeof(k), "%s.wrap_us", o->key);
	kv(k, "%.1f", wrap_us / n);
	snprintf(k, sizeof(k), "%s.rm_us", o->key);
	kv(k, "%.1f", rm_us / n);
	return fails ? 1 : 0;
}

/* ---- rmwrap: a tpm2-tools program, then the resource manager's flush ---------------------- */

static int mode_rmwrap(int argc, char **argv)
{
	double t_start = now_us();
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *dir = getenv("BENCH_REAL_DIR");
	char real[PATH_MAX];
	snprintf(real, sizeof(real), "%s/%s", dir && *dir ? dir : "/usr/bin", base);
	const char *ctl = getenv("BENCH_CTL");
	ctl_port = ctl ? atoi(ctl) : 0;
	(void)argc;
	double c0 = now_us();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		argv[0] = real;
		execv(real, argv);
		fprintf(stderr, "%s: exec %s: %s\n", prog, real, strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double c1 = now_us();
	if (ctl_port) {
		rm_flush();
		char req[64], buf[64];
		double ovh = (now_us() - t_start) - (c1 - c0);
		snprintf(req, sizeof(req), "wrap %lld\n", (long long)(ovh * 1e3));
		ctl_request(req, buf, sizeof(buf));
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* ---- report mode ---------------------------------------------------------------------------- */

#define MAX_KV 4096
static struct {
	char prod[48];
	char key[96];
	char val[1100];
} kvs[MAX_KV];
static unsigned nkv;

static void load_kv(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s", path);
	char line[1400], prod[48] = "";
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		if (!strcmp(line, "name")) {
			scopy(prod, sizeof(prod), sp + 1);
			continue;
		}
		if (nkv == MAX_KV)
			break;
		scopy(kvs[nkv].prod, sizeof(kvs[0].prod), prod);
		scopy(kvs[nkv].key, sizeof(kvs[0].key), line);
		scopy(kvs[nkv].val, sizeof(kvs[0].val), sp + 1);
		nkv++;
	}
	fclose(f);
}

static const char *S(const char *prod, const char *key)
{
	const char *v = NULL;
	for (unsigned i = 0; i < nkv; i++)
		if (!strcmp(kvs[i].prod, prod) && !strcmp(kvs[i].key, key))
			v = kvs[i].val;
	return v;
}

static int have(const char *prod)
{
	for (unsigned i = 0; i < nkv; i++)
		if (!strcmp(kvs[i].prod, prod))
			return 1;
	return 0;
}

/* A number, or NaN-like -1 marker through *ok. */
static double N(const char *prod, const char *key, int *ok)
{
	const char *v = S(prod, key);
	char *end;
	double d = v ? strtod(v, &end) : 0;
	if (!v || end == v) {
		if (ok)
			*ok = 0;
		return 0;
	}
	if (ok)
		*ok = 1;
	return d;
}

/* A field "name=value" of a composite value. */
static double field(const char *prod, const char *key, const char *name, int *ok)
{
	const char *v = S(prod, key);
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=", name);
	const char *p = v;
	while (p && (p = strstr(p, pat)) && p != v && p[-1] != ' ')
		p++;
	if (!p) {
		if (ok)
			*ok = 0;
		return 0;
	}
	if (ok)
		*ok = 1;
	return strtod(p + strlen(pat), NULL);
}

static const char *sfield(const char *prod, const char *key, const char *name, char *buf,
			  size_t cap)
{
	const char *v = S(prod, key);
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=", name);
	const char *p = v;
	while (p && (p = strstr(p, pat)) && p != v && p[-1] != ' ')
		p++;
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t n = strcspn(p, " ");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static FILE *md;

static const char *ms(double us, char *buf, size_t cap)
{
	if (us >= 100000)
		snprintf(buf, cap, "%.0f ms", us / 1000);
	else if (us >= 10000)
		snprintf(buf, cap, "%.1f ms", us / 1000);
	else if (us >= 1000)
		snprintf(buf, cap, "%.2f ms", us / 1000);
	else
		snprintf(buf, cap, "%.3f ms", us / 1000);
	return buf;
}

static const char *ours = "baretpm", *theirs = "tpm2-pkcs11";

/* Targets, for the Markdown list and the JSON file. */
#define MAX_TARGETS 32
static struct {
	char what[160];
	char value[512];
	int met; /* 1 met, 0 not met, -1 not measured */
} targets[MAX_TARGETS];
static unsigned ntargets;

static void target(int met, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void target(int met, const char *what, const char *fmt, ...)
{
	if (ntargets == MAX_TARGETS)
		return;
	va_list ap;
	va_start(ap, fmt);
	scopy(targets[ntargets].what, sizeof(targets[0].what), what);
	vsnprintf(targets[ntargets].value, sizeof(targets[0].value), fmt, ap);
	targets[ntargets].met = met;
	ntargets++;
	va_end(ap);
}

/* One phase row: median time (min-max) and commands. */
static void cell_phase(const char *prod, const char *ph, char *buf, size_t cap)
{
	char k[128], a[32], b[32], c[32];
	int ok = 0;
	snprintf(k, sizeof(k), "phase.%s.us.median", ph);
	double med = N(prod, k, &ok);
	if (!ok) {
		snprintf(buf, cap, "-");
		return;
	}
	snprintf(k, sizeof(k), "phase.%s.us.min", ph);
	double mn = N(prod, k, NULL);
	snprintf(k, sizeof(k), "phase.%s.us.max", ph);
	double mx = N(prod, k, NULL);
	snprintf(k, sizeof(k), "phase.%s.cmds.median", ph);
	double cmds = N(prod, k, NULL);
	snprintf(k, sizeof(k), "phase.%s.cc", ph);
	const char *cc = S(prod, k);
	snprintf(buf, cap, "%s (%s-%s); %.0f cmd%s%s%s%s", ms(med, a, sizeof(a)),
		 ms(mn, b, sizeof(b)), ms(mx, c, sizeof(c)), cmds, cmds == 1 ? "" : "s",
		 cc && strcmp(cc, "-") ? " (" : "", cc && strcmp(cc, "-") ? cc : "",
		 cc && strcmp(cc, "-") ? ")" : "");
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = ' ';
}

static void row(const char *what, const char *a, const char *b, const char *ratio)
{
	fprintf(md, "| %s | %s | %s | %s |\n", what, a, b, ratio);
}

static const char *ratio_s(double a, double b, char *buf, size_t cap)
{
	if (b <= 0 || a < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.2fx", a / b);
	return buf;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int is_number(const char *s)
{
	char *end;
	if (!*s)
		return 0;
	strtod(s, &end);
	return *end == 0;
}

static int mode_report(const char *mdpath, const char *jsonpath, int nfiles, char **files)
{
	for (int i = 0; i < nfiles; i++)
		load_kv(files[i]);
	md = fopen(mdpath, "w");
	if (!md)
		die("cannot write %s", mdpath);
	int both = have(theirs);
	char a[1400], b[1400], r[64], x[32], y[32], z[32];
	int ok1 = 0, ok2 = 0;
	const char *env_prod = "env";

	fprintf(md, "# baretpm benchmark\n\n");
	fprintf(md, "Generated by `make bench` (bench/run-bench) on %s. %s\n\n",
		S(env_prod, "date") ? S(env_prod, "date") : "?",
		S(env_prod, "machine") ? S(env_prod, "machine") : "");
	fprintf(md,
		"Each product runs on its own fresh swtpm (%s) behind bench/proxy, which counts "
		"the TPM commands per command code and times each one (\"TPM time\": swtpm's work plus one "
		"loopback round trip). Lifecycle phases: median (min-max) over %s fresh processes; "
		"steady-state C_Sign: every signature of every run, each verified with mbedTLS "
		"against the public key's CKA_EC_POINT. Absolute times on this machine are noisy; "
		"compare the ratios, which are measured in the same run.\n\n",
		S(env_prod, "swtpm") ? S(env_prod, "swtpm") : "swtpm",
		S(ours, "lifecycle.ok") ? S(ours, "lifecycle.ok") : "?");
	fprintf(md, "| what | baretpm | %s | ratio |\n|---|---|---|---|\n",
		both ? theirs : "tpm2-pkcs11 (not run: not installed or --ours-only)");

	/* phases */
	static const char *const label[NPHASES] = {
		"dlopen", "C_Initialize", "slot + token listing", "C_OpenSession", "C_Login",
		"find key (+ its public key)", "first C_Sign (loads the key)",
		"steady-state C_SignInit + C_Sign (mean)", "C_Logout", "C_CloseSession + C_Finalize"};
	for (size_t i = 0; i < NPHASES; i++) {
		char k[96];
		if (i == 7)
			continue; /* its own rows below */
		cell_phase(ours, phases[i], a, sizeof(a));
		if (both)
			cell_phase(theirs, phases[i], b, sizeof(b));
		else
			snprintf(b, sizeof(b), "-");
		snprintf(k, sizeof(k), "phase.%s.us.median", phases[i]);
		double u = N(ours, k, &ok1), t = N(theirs, k, &ok2);
		row(label[i], a, b, ok1 && ok2 ? ratio_s(u, t, r, sizeof(r)) : "-");
	}

	/* where C_Login's time goes */
	{
		const char *pr[2] = {ours, theirs};
		char *cells[2] = {a, b};
		for (int p = 0; p < 2; p++) {
			int ok = 0, okr = 0;
			double us = N(pr[p], "phase.login.us.median", &ok);
			double tpm = N(pr[p], "phase.login.tpm_us.median", NULL);
			double cpu = N(pr[p], "phase.login.cpu_us.median", NULL);
			double cmds = N(pr[p], "phase.login.cmds.median", NULL);
			double hop = N(pr[p], "login.noop_overhead_us.median", &okr);
			char bound[300] = "";
			if (okr)
				snprintf(bound, sizeof(bound),
					 "; a client that does no work: TPM time + %s for one connection "
					 "and %.0f round trips = %.2fx the TPM time (C_Login is %.2fx of "
					 "that)",
					 ms(hop, r, sizeof(r)), cmds,
					 N(pr[p], "login.bound_x.median", NULL),
					 N(pr[p], "login.vs_bound.median", NULL));
			if (ok)
				snprintf(cells[p], 700, "TPM time %s (%.1fx); client CPU %s%s",
					 ms(tpm, x, sizeof(x)), tpm > 0 ? us / tpm : 0,
					 ms(cpu, y, sizeof(y)), bound);
			else
				snprintf(cells[p], 700, "-");
		}
		row("C_Login: TPM time of its commands (C_Login / TPM time); client CPU; the bound "
		    "for a client that does no work",
		    a, b, "-");
	}

	/* steady-state sign */
	double s1 = N(ours, "sign.us.median", &ok1), s2 = N(theirs, "sign.us.median", &ok2);
	{
		const char *pr[2] = {ours, theirs};
		char *cells[2] = {a, b};
		for (int p = 0; p < 2; p++) {
			int ok = 0;
			double med = N(pr[p], "sign.us.median", &ok);
			const char *cc = S(pr[p], "phase.steady_sign.cc");
			if (!ok) {
				snprintf(cells[p], 700, "-");
				continue;
			}
			snprintf(cells[p], 700, "%s (min %s, p99 %s); %.2f cmd/sign (%s over %s signatures)",
				 ms(med, x, sizeof(x)), ms(N(pr[p], "sign.us.min", NULL), y, sizeof(y)),
				 ms(N(pr[p], "sign.us.p99", NULL), z, sizeof(z)),
				 N(pr[p], "phase.steady_sign.cmds.median", NULL), cc ? cc : "-",
				 S(pr[p], "sign.us.n") ? S(pr[p], "sign.us.n") : "?");
		}
	}
	row("**C_Sign ECDSA P-256, steady state (C_SignInit + C_Sign), median per op**", a, b,
	    ok1 && ok2 ? ratio_s(s1, s2, r, sizeof(r)) : "-");

	/* floor */
	double f1 = N("floor-baretpm", "floor.us.median", &ok1);
	double f2 = N("floor-tpm2-pkcs11", "floor.us.median", &ok2);
	{
		const char *fl[2] = {"floor-baretpm", "floor-tpm2-pkcs11"};
		char *cells[2] = {a, b};
		for (int p = 0; p < 2; p++) {
			int ok = 0;
			double f = N(fl[p], "floor.us.median", &ok);
			if (!ok) {
				snprintf(cells[p], 700, "-");
				continue;
			}
			snprintf(cells[p], 700,
				 "%s; swtpm's TPM time per Sign (mean, at the proxy) %s; without the "
				 "proxy: %s",
				 ms(f, x, sizeof(x)), ms(N(fl[p], "floor.tpm_us_per_sign", NULL), y, sizeof(y)),
				 ms(N(fl[p], "floor.direct_us.median", NULL), z, sizeof(z)));
		}
	}
	row("raw floor: TPM2_Sign through tpm/ with a loaded key and a salted session, no PKCS#11 "
	    "(same swtpm, same proxy), median",
	    a, b, "-");
	/* the ratio: paired (alternating in one process) when measured, else the two medians */
	int pr1 = 0;
	double pm1 = field(ours, "paired", "module_us", &pr1), pf1 = field(ours, "paired", "floor_us", NULL);
	double ovh1 = pr1 && pf1 > 0 ? pm1 / pf1 : f1 > 0 ? s1 / f1 : 0;
	{
		const char *pr[2] = {ours, theirs}, *fl[2] = {"floor-baretpm", "floor-tpm2-pkcs11"};
		char *cells[2] = {a, b};
		double sm[2] = {s1, s2}, fm[2] = {f1, f2};
		for (int p = 0; p < 2; p++) {
			int okp = 0, okf = 0;
			double m = field(pr[p], "paired", "module_us", &okp);
			double f = field(pr[p], "paired", "floor_us", NULL);
			N(fl[p], "floor.us.median", &okf);
			char sep[96] = "";
			if (okf && sm[p] > 0)
				snprintf(sep, sizeof(sep), "separate runs: %.2fx", sm[p] / fm[p]);
			if (okp && f > 0)
				snprintf(cells[p], 700,
					 "**%.2fx** (alternating in one process, %.0f each: %s / %s)%s%s",
					 m / f, field(pr[p], "paired", "n", NULL), ms(m, x, sizeof(x)),
					 ms(f, y, sizeof(y)), sep[0] ? "; " : "", sep);
			else
				snprintf(cells[p], 700, "%s%s", sep[0] ? sep : "-",
					 S(pr[p], "paired.error") ? " (paired run failed)" : "");
		}
	}
	row("**overhead: steady-state C_Sign / floor**", a, b, "-");
	double c1 = N(ours, "sign.cpu_us.median", &ok1), c2 = N(theirs, "sign.cpu_us.median", &ok2);
	double fc = N("floor-baretpm", "floor.cpu_us.median", NULL);
	snprintf(a, sizeof(a), "%s (user %s + system %s per op, mean); the floor: %s",
		 ms(c1, x, sizeof(x)), ms(N(ours, "sign.user_us_per_op", NULL), y, sizeof(y)),
		 ms(N(ours, "sign.sys_us_per_op", NULL), z, sizeof(z)), ms(fc, r, sizeof(r)));
	if (ok2) {
		char fb[32];
		snprintf(b, sizeof(b), "%s (user %s + system %s); the floor: %s", ms(c2, x, sizeof(x)),
			 ms(N(theirs, "sign.user_us_per_op", NULL), y, sizeof(y)),
			 ms(N(theirs, "sign.sys_us_per_op", NULL), z, sizeof(z)),
			 ms(N("floor-tpm2-pkcs11", "floor.cpu_us.median", NULL), fb, sizeof(fb)));
	} else {
		snprintf(b, sizeof(b), "-");
	}
	row("client CPU per signature (process CPU time, median)", a, b,
	    ok1 && ok2 ? ratio_s(c1, c2, r, sizeof(r)) : "-");
	snprintf(a, sizeof(a), "%s of %s", S(ours, "sign.verify_failures") ? S(ours, "sign.verify_failures") : "?",
		 S(ours, "sign.us.n") ? S(ours, "sign.us.n") : "?");
	snprintf(b, sizeof(b), "%s of %s", S(theirs, "sign.verify_failures") ? S(theirs, "sign.verify_failures") : "-",
		 S(theirs, "sign.us.n") ? S(theirs, "sign.us.n") : "-");
	row("steady-state signatures that failed verification", a, b, "-");

	/* threads */
	double base1 = field(ours, "thr.1", "ops_per_s", &ok1), base2 = field(theirs, "thr.1", "ops_per_s", &ok2);
	for (int T = 1; T <= 8; T *= 2) {
		char k[32], e1[128], e2[128];
		snprintf(k, sizeof(k), "thr.%d", T);
		const char *pr[2] = {ours, theirs};
		char *cells[2] = {a, b};
		double bases[2] = {base1, base2};
		for (int p = 0; p < 2; p++) {
			double ops = field(pr[p], k, "ops_per_s", NULL);
			double fl = field(pr[p], k, "fail", NULL), okn = field(pr[p], k, "ok", NULL);
			double bad = field(pr[p], k, "bad", NULL);
			if (!S(pr[p], k)) {
				snprintf(cells[p], 700, "-");
				continue;
			}
			const char *err = sfield(pr[p], k, "error", p ? e2 : e1, 128);
			double med = field(pr[p], k, "median_us", NULL), p99 = field(pr[p], k, "p99_us", NULL);
			double rounds = field(pr[p], k, "rounds", NULL);
			double clean = field(pr[p], k, "clean_rounds", NULL);
			char tp[300] = "";
			if (clean > 0)
				snprintf(tp, sizeof(tp),
					 "%.0f sign/s (%.0f%% of 1 thread; %.0f-%.0f over %.0f rounds); "
					 "latency median %s, p99 %s (%.1fx)",
					 ops, bases[p] > 0 ? 100 * ops / bases[p] : 0,
					 field(pr[p], k, "ops_min", NULL), field(pr[p], k, "ops_max", NULL),
					 clean, ms(med, x, sizeof(x)), ms(p99, y, sizeof(y)),
					 med > 0 ? p99 / med : 0);
			if (fl > 0)
				snprintf(cells[p], 700, "%.0f signed, **%.0f failed** (%s) in %.0f rounds%s%s",
					 okn, fl, err ? err : "?", rounds, tp[0] ? "; clean rounds: " : "",
					 tp);
			else
				snprintf(cells[p], 700, "%s; %.0f of %.0f did not verify", tp, bad, okn);
		}
		char what[64];
		snprintf(what, sizeof(what), "%d thread%s, one session each", T, T > 1 ? "s" : "");
		row(what, a, b, "-");
	}

	/* ssh-keygen -D */
	double k1 = N(ours, "sshkeygen.us.median", &ok1), k2 = N(theirs, "sshkeygen.us.median", &ok2);
	double kb1 = N(ours, "sshkeygen_base.us.median", NULL);
	double kb2 = N(theirs, "sshkeygen_base.us.median", NULL);
	{
		const char *pr[2] = {ours, theirs};
		char *cells[2] = {a, b};
		for (int p = 0; p < 2; p++) {
			int ok = 0;
			double k = N(pr[p], "sshkeygen.us.median", &ok);
			const char *cc = S(pr[p], "sshkeygen.cc");
			if (!ok) {
				snprintf(cells[p], 700, "-");
				continue;
			}
			snprintf(cells[p], 700, "%s; %.0f cmd%s%s%s%s", ms(k, x, sizeof(x)),
				 N(pr[p], "sshkeygen.cmds.median", NULL),
				 N(pr[p], "sshkeygen.cmds.median", NULL) == 1 ? "" : "s",
				 cc && strcmp(cc, "-") ? " (" : "", cc && strcmp(cc, "-") ? cc : "",
				 cc && strcmp(cc, "-") ? ")" : "");
		}
	}
	row("`ssh-keygen -D MODULE`, whole process, median", a, b,
	    ok1 && ok2 ? ratio_s(k1, k2, r, sizeof(r)) : "-");
	snprintf(a, sizeof(a), "%s (ssh-keygen alone: %s)", ms(k1 - kb1, x, sizeof(x)),
		 ms(kb1, y, sizeof(y)));
	if (ok2)
		snprintf(b, sizeof(b), "%s (ssh-keygen alone: %s)", ms(k2 - kb2, x, sizeof(x)),
			 ms(kb2, y, sizeof(y)));
	else
		snprintf(b, sizeof(b), "-");
	row("the same minus ssh-keygen's own start (`ssh-keygen -D` of a missing file)", a, b,
	    ok1 && ok2 ? ratio_s(k1 - kb1, k2 - kb2, r, sizeof(r)) : "-");
	/* the floor for any module: bench/nullp11.so serves one EC key from memory */
	int okn1 = 0, okn2 = 0;
	double kn1 = N(ours, "sshkeygen_null.us.median", &okn1);
	double kn2 = N(theirs, "sshkeygen_null.us.median", &okn2);
	snprintf(a, sizeof(a), "%s%s%s", okn1 ? ms(kn1, x, sizeof(x)) : "-",
		 okn1 && ok2 ? "; that is " : "", okn1 && ok2 ? ratio_s(kn1, k2, r, sizeof(r)) : "");
	if (okn1 && ok2)
		strncat(a, " of the incumbent's whole process", sizeof(a) - strlen(a) - 1);
	snprintf(b, sizeof(b), "%s", okn2 ? ms(kn2, y, sizeof(y)) : "-");
	row("`ssh-keygen -D` of a module that does no work (bench/nullp11.so: one EC key from "
	    "memory, no TPM), interleaved with the rows above", a, b, "-");
	snprintf(a, sizeof(a), "%s", okn1 && ok1 ? ms(k1 - kn1, x, sizeof(x)) : "-");
	snprintf(b, sizeof(b), "%s", okn2 && ok2 ? ms(k2 - kn2, y, sizeof(y)) : "-");
	row("the module's own part: `ssh-keygen -D MODULE` minus the no-work module", a, b,
	    okn1 && ok1 && okn2 && ok2 && k2 > kn2 ? ratio_s(k1 - kn1, k2 - kn2, r, sizeof(r)) : "-");

	/* provisioning */
	static const char *const steps[] = {"prov.init", "prov.addtoken", "prov.addkey"};
	double pt[2] = {0, 0}, pc[2] = {0, 0}, pw[2] = {0, 0}, left[2] = {0, 0};
	int pok[2] = {1, 1};
	const char *prods[2] = {ours, theirs};
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 3; i++) {
			char k[64];
			int ok = 0;
			snprintf(k, sizeof(k), "%s.adj_us.median", steps[i]);
			pt[p] += N(prods[p], k, &ok);
			pok[p] &= ok;
			snprintf(k, sizeof(k), "%s.cmds.median", steps[i]);
			pc[p] += N(prods[p], k, NULL);
			snprintf(k, sizeof(k), "%s.wrap_us", steps[i]);
			pw[p] += N(prods[p], k, NULL);
			snprintf(k, sizeof(k), "%s.rm_handles", steps[i]);
			left[p] += N(prods[p], k, NULL);
		}
	snprintf(a, sizeof(a), "%s, %.0f cmds (init %.0f, addtoken %.0f, addkey %.0f); %.0f objects left behind",
		 pok[0] ? ms(pt[0], x, sizeof(x)) : "-", pc[0], N(ours, "prov.init.cmds.median", NULL),
		 N(ours, "prov.addtoken.cmds.median", NULL), N(ours, "prov.addkey.cmds.median", NULL),
		 left[0]);
	if (pok[1] && both)
		snprintf(b, sizeof(b),
			 "%s, %.0f cmds (init %.0f, addtoken %.0f, addkey %.0f); %.0f objects left "
			 "behind by tpm2-tools, flushed by the RM stand-in (%s of wrapper time excluded)",
			 ms(pt[1], x, sizeof(x)), pc[1], N(theirs, "prov.init.cmds.median", NULL),
			 N(theirs, "prov.addtoken.cmds.median", NULL),
			 N(theirs, "prov.addkey.cmds.median", NULL), left[1], ms(pw[1], y, sizeof(y)));
	else
		snprintf(b, sizeof(b), "-");
	row("init + addtoken + addkey through the product's own tool (median of fresh swtpms)", a, b,
	    pok[0] && pok[1] && both ? ratio_s(pt[0], pt[1], r, sizeof(r)) : "-");

	/* size and memory */
	double m1 = N(ours, "size.module_stripped", &ok1), l1 = N(ours, "size.libs_nolibc", NULL);
	double all1 = N(ours, "size.libs_all", NULL);
	double m2 = N(theirs, "size.module_stripped", &ok2), l2 = N(theirs, "size.libs_nolibc", NULL);
	double all2 = N(theirs, "size.libs_all", NULL);
	snprintf(a, sizeof(a), "%.0f KB module (stripped) + %.0f KB in %s libraries besides libc = "
		 "%.0f KB; %.1f MB counting libc and ld.so",
		 m1 / 1024, l1 / 1024, S(ours, "size.libs_nolibc_count") ? S(ours, "size.libs_nolibc_count") : "?",
		 (m1 + l1) / 1024, (m1 + all1) / 1048576);
	if (ok2)
		snprintf(b, sizeof(b), "%.0f KB + %.0f KB in %s libraries besides libc = %.0f KB; "
			 "%.1f MB counting libc and ld.so",
			 m2 / 1024, l2 / 1024, S(theirs, "size.libs_nolibc_count") ? S(theirs, "size.libs_nolibc_count") : "?",
			 (m2 + l2) / 1024, (m2 + all2) / 1048576);
	else
		snprintf(b, sizeof(b), "-");
	row("module + its shared libraries (ldd, file sizes)", a, b,
	    ok1 && ok2 ? ratio_s(m1 + l1, m2 + l2, r, sizeof(r)) : "-");
	{
		char lb1[64] = "-", lb2[64] = "-";
		const char *v1 = S(ours, "libs.mapped"), *v2 = S(theirs, "libs.mapped");
		unsigned n1 = 0, n2 = 0;
		long long by1 = 0, by2 = 0;
		if (v1 && sscanf(v1, "%u %lld", &n1, &by1) == 2)
			snprintf(lb1, sizeof(lb1), "%u libraries, %.1f MB", n1, (double)by1 / 1048576);
		if (v2 && sscanf(v2, "%u %lld", &n2, &by2) == 2)
			snprintf(lb2, sizeof(lb2), "%u libraries, %.1f MB", n2, (double)by2 / 1048576);
		row("files mapped into the process by dlopen + C_Initialize + first sign "
		    "(module included)",
		    lb1, lb2, "-");
	}
	double r1 = N(ours, "rss.peak_kb.median", &ok1), r2 = N(theirs, "rss.peak_kb.median", &ok2);
	double rb = N(ours, "rss.base_kb", NULL);
	snprintf(a, sizeof(a), "%.1f MB (the bench program alone: %.1f MB)", r1 / 1024, rb / 1024);
	snprintf(b, sizeof(b), ok2 ? "%.1f MB" : "-", r2 / 1024);
	row("peak RSS of a process that logs in and signs", a, b,
	    ok1 && ok2 ? ratio_s(r1, r2, r, sizeof(r)) : "-");
	double kr1 = N(ours, "sshkeygen.rss_kb.median", &ok1), kr2 = N(theirs, "sshkeygen.rss_kb.median", &ok2);
	snprintf(a, sizeof(a), "%.1f MB", kr1 / 1024);
	snprintf(b, sizeof(b), ok2 ? "%.1f MB" : "-", kr2 / 1024);
	row("peak RSS of `ssh-keygen -D`", a, b, ok1 && ok2 ? ratio_s(kr1, kr2, r, sizeof(r)) : "-");
	if (S(ours, "soak")) {
		snprintf(a, sizeof(a), "%.0f signatures in %.0f s: %.0f failed, %.0f did not verify; "
			 "p99 %s; heap in use %.0f bytes after 1000 and %.0f at the end "
			 "(peak RSS %.1f / %.1f MB)",
			 field(ours, "soak", "count", NULL), field(ours, "soak", "seconds", NULL),
			 field(ours, "soak", "fail", NULL), field(ours, "soak", "bad", NULL),
			 ms(field(ours, "soak", "p99_us", NULL), x, sizeof(x)),
			 field(ours, "soak", "heap_after_1000", NULL), field(ours, "soak", "heap_end", NULL),
			 field(ours, "soak", "rss_kb_after_1000", NULL) / 1024,
			 field(ours, "soak", "rss_kb_end", NULL) / 1024);
		row("soak: one key, one session", a, S(theirs, "soak") ? S(theirs, "soak") : "-", "-");
	}
	fprintf(md, "\n");

	/* targets */
	{
		double login_cmds = N(ours, "phase.login.cmds.median", &ok1);
		double login_us = N(ours, "phase.login.us.median", NULL);
		double login_tpm = N(ours, "phase.login.tpm_us.median", NULL);
		double steady_cmds = N(ours, "phase.steady_sign.cmds.median", NULL);
		target(ovh1 > 0 && steady_cmds <= 1.0 && ovh1 <= 1.15,
		       "steady-state C_Sign: 1 TPM command, <= 1.15x the raw floor",
		       "%.2f commands per signature; %s vs floor %s = %.2fx%s", steady_cmds,
		       ms(pr1 ? pm1 : s1, x, sizeof(x)), ms(pr1 ? pf1 : f1, y, sizeof(y)), ovh1,
		       pr1 ? " (alternating in one process)" : "");
		target(c1 < 100, "client CPU per signature < 0.1 ms", "%s (median), mean %s",
		       ms(c1, x, sizeof(x)), ms(N(ours, "sign.cpu_us.mean", NULL), y, sizeof(y)));
		double vf = N(ours, "sign.verify_failures", NULL);
		target(vf == 0, "signatures verified", "%.0f of %s failed verification", vf,
		       S(ours, "sign.us.n") ? S(ours, "sign.us.n") : "?");
		double kc = N(ours, "sshkeygen.cmds.median", NULL);
		char extra[128];
		snprintf(extra, sizeof(extra), "; without ssh-keygen's own start: %s vs %s = %s",
			 ms(k1 - kb1, x, sizeof(x)), ok2 ? ms(k2 - kb2, y, sizeof(y)) : "-",
			 ok2 ? ratio_s(k1 - kb1, k2 - kb2, r, sizeof(r)) : "-");
		char main_[128], zz[32], floor_[200] = "";
		snprintf(main_, sizeof(main_), "%.0f command%s; whole process %s vs %s = %s", kc,
			 kc == 1 ? "" : "s", ms(k1, x, sizeof(x)), ok2 ? ms(k2, y, sizeof(y)) : "-",
			 ok2 ? ratio_s(k1, k2, zz, sizeof(zz)) : "-");
		int okn = 0;
		double kn = N(ours, "sshkeygen_null.us.median", &okn);
		if (okn && ok2 && k2 > 0)
			snprintf(floor_, sizeof(floor_),
				 "; a module that does no work: %s = %s of the incumbent%s",
				 ms(kn, x, sizeof(x)), ratio_s(kn, k2, zz, sizeof(zz)),
				 kn > k2 / 3 ? " (1/3 is below what any module reaches here)" : "");
		target(both ? (kc <= 1 && k2 > 0 && k1 <= k2 / 3) : -1,
		       "`ssh-keygen -D`: <= 1 TPM command and <= 1/3 of tpm2-pkcs11's whole-process time",
		       "%s%s%s", main_, extra, floor_);
		int okr = 0;
		double bx = N(ours, "login.bound_x.median", &okr);
		char why[300] = "";
		if (okr)
			snprintf(why, sizeof(why),
				 "; a client that does no work around the same %.0f commands: %.2fx%s; "
				 "C_Login is %.2fx of that (medians over the runs)",
				 login_cmds, bx, bx > 1.3 ? " (above 1.3x before any client work)" : "",
				 N(ours, "login.vs_bound.median", NULL));
		target(ok1 && login_cmds <= 4 && login_us <= 1.3 * login_tpm,
		       "C_Login: <= 4 TPM commands and <= 1.3x their TPM time",
		       "%.0f commands; %s vs %s of TPM time = %.2fx%s", login_cmds,
		       ms(login_us, x, sizeof(x)), ms(login_tpm, y, sizeof(y)),
		       login_tpm > 0 ? login_us / login_tpm : 0, why);
		target(both ? (pc[0] <= 25 && pt[1] > 0 && pt[0] <= pt[1] / 10) : -1,
		       "init + addtoken + addkey: <= 25 TPM commands and <= 1/10 of tpm2-pkcs11's time",
		       "%.0f commands; %s vs %s = %s", pc[0], ms(pt[0], x, sizeof(x)),
		       both ? ms(pt[1], y, sizeof(y)) : "-",
		       both ? ratio_s(pt[0], pt[1], r, sizeof(r)) : "-");
		int tmet = 1;
		char tdesc[256] = "";
		size_t to = 0;
		for (int T = 2; T <= 8; T *= 2) {
			char k[32];
			snprintf(k, sizeof(k), "thr.%d", T);
			double ops = field(ours, k, "ops_per_s", NULL), fl = field(ours, k, "fail", NULL);
			double p99 = field(ours, k, "p99_us", NULL), med = field(ours, k, "median_us", NULL);
			double bad = field(ours, k, "bad", NULL);
			if (!S(ours, k) || fl > 0 || bad > 0 || base1 <= 0 || ops < 0.9 * base1 ||
			    p99 > 3 * med)
				tmet = 0;
			to += (size_t)snprintf(tdesc + to, sizeof(tdesc) - to,
					       "%s%d: %.0f%% of 1 thread, p99 %.1fx median, %.0f failed",
					       T > 2 ? "; " : "", T, base1 > 0 ? 100 * ops / base1 : 0,
					       med > 0 ? p99 / med : 0, fl);
		}
		target(tmet, "2-8 threads: all succeed, throughput within 10%, p99 <= 3x median", "%s",
		       tdesc);
		target(m1 + l1 < 1048576, "module + shared libraries < 1 MB (besides libc)",
		       "%.0f KB (%.0f KB stripped module + %.0f KB in %s other libraries: %s)",
		       (m1 + l1) / 1024, m1 / 1024, l1 / 1024,
		       S(ours, "size.libs_nolibc_count") ? S(ours, "size.libs_nolibc_count") : "?",
		       S(ours, "size.libs_nolibc_names") ? S(ours, "size.libs_nolibc_names") : "-");
		target(ok2 ? r1 < r2 / 3 : -1, "peak RSS < 1/3 of tpm2-pkcs11's",
		       "%.1f MB vs %s MB = %s", r1 / 1024, ok2 ? (snprintf(y, sizeof(y), "%.1f", r2 / 1024), y) : "-",
		       ok2 ? ratio_s(r1, r2, r, sizeof(r)) : "-");
		if (S(ours, "soak"))
			target(field(ours, "soak", "fail", NULL) == 0 && field(ours, "soak", "bad", NULL) == 0,
			       "soak: signatures on one key without a failure",
			       "%.0f signatures, %.0f failed, %.0f did not verify",
			       field(ours, "soak", "count", NULL), field(ours, "soak", "fail", NULL),
			       field(ours, "soak", "bad", NULL));
	}
	fprintf(md, "Targets:\n\n| target | measured | |\n|---|---|---|\n");
	for (unsigned i = 0; i < ntargets; i++)
		fprintf(md, "| %s | %s | %s |\n", targets[i].what, targets[i].value,
			targets[i].met > 0 ? "met" : targets[i].met == 0 ? "**not met**" : "not measured");
	fprintf(md, "\n");
	if (both)
		fprintf(md,
			"tpm2-pkcs11 notes: a bare swtpm has no resource manager, and tpm2_ptool's "
			"tpm2-tools leave transient objects behind (3 fill swtpm, and the next command "
			"fails with TPM_RC_OBJECT_MEMORY). The benchmark therefore runs each tpm2-tools "
			"program through a wrapper that afterwards flushes what it left, as /dev/tpmrm0 "
			"does at close; those flushes are not counted as tpm2-pkcs11's commands, and "
			"the wrapper's measured time is subtracted from tpm2_ptool's.\n\n");
	fclose(md);

	/* JSON */
	FILE *j = fopen(jsonpath, "w");
	if (!j)
		die("cannot write %s", jsonpath);
	fprintf(j, "{\n  \"products\": {");
	char seen[16][48];
	unsigned nseen = 0;
	for (unsigned i = 0; i < nkv; i++) {
		unsigned s;
		for (s = 0; s < nseen; s++)
			if (!strcmp(seen[s], kvs[i].prod))
				break;
		if (s < nseen || nseen == 16)
			continue;
		scopy(seen[nseen++], sizeof(seen[0]), kvs[i].prod);
		fprintf(j, "%s\n    ", nseen > 1 ? "," : "");
		json_str(j, kvs[i].prod);
		fprintf(j, ": {");
		int first = 1;
		for (unsigned q = 0; q < nkv; q++) {
			if (strcmp(kvs[q].prod, kvs[i].prod))
				continue;
			/* a later duplicate key wins */
			unsigned later;
			for (later = q + 1; later < nkv; later++)
				if (!strcmp(kvs[later].prod, kvs[q].prod) &&
				    !strcmp(kvs[later].key, kvs[q].key))
					break;
			if (later < nkv)
				continue;
			fprintf(j, "%s\n      ", first ? "" : ",");
			first = 0;
			json_str(j, kvs[q].key);
			fprintf(j, ": ");
			if (is_number(kvs[q].val))
				fprintf(j, "%s", kvs[q].val);
			else
				json_str(j, kvs[q].val);
		}
		fprintf(j, "\n    }");
	}
	fprintf(j, "\n  },\n  \"targets\": [");
	for (unsigned i = 0; i < ntargets; i++) {
		fprintf(j, "%s\n    {\"target\": ", i ? "," : "");
		json_str(j, targets[i].what);
		fprintf(j, ", \"measured\": ");
		json_str(j, targets[i].value);
		fprintf(j, ", \"met\": %s}",
			targets[i].met > 0 ? "true" : targets[i].met == 0 ? "false" : "null");
	}
	fprintf(j, "\n  ]\n}\n");
	fclose(j);
	return 0;
}

/* ---- command line ------------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: p11bench module --module SO --name NAME --ctl PORT --token LABEL --pin PIN "
		"--out FILE [--runs N] [--signs N] [--threads 1,2,4,8] [--thread-signs N] "
		"[--thread-rounds N] [--tcti TCTI --paired-signs N] [--soak N] "
		"[--timeout S]\n"
		"       p11bench floor --tcti TCTI --ctl PORT --name NAME --out FILE [--signs N]\n"
		"       p11bench run --ctl PORT --key KEY --out FILE [--runs N] [--flush] [--timeout S] "
		"-- CMD...\n"
		"       p11bench report --md FILE --json FILE KVFILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strncmp(base, "tpm2_", 5))
		return mode_rmwrap(argc, argv);
	if (argc < 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	const char *mode = argv[1];
	struct opts o = {.runs = 10, .signs = 100, .thread_signs = 800, .thread_rounds = 3, .paired_signs = 500, .timeout = 300};
	const char *md_path = NULL, *json_path = NULL;
	int i;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v;
		char name[64];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--flush")) {
			o.flush = 1;
			continue;
		}
		if (!strcmp(a, "--allow-fail")) {
			o.allow_fail = 1;
			continue;
		}
		if (strncmp(a, "--", 2)) {
			if (!strcmp(mode, "report"))
				break;
			usage();
		}
		/* --name=value or --name value */
		const char *eq = strchr(a, '=');
		if (eq) {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
			v = eq + 1;
		} else {
			scopy(name, sizeof(name), a);
			if (i + 1 >= argc)
				usage();
			v = argv[++i];
		}
		if (!strcmp(name, "--module"))
			o.module = v;
		else if (!strcmp(name, "--name"))
			o.name = v;
		else if (!strcmp(name, "--token"))
			o.token = v;
		else if (!strcmp(name, "--pin"))
			o.pin = v;
		else if (!strcmp(name, "--out"))
			o.outfile = v;
		else if (!strcmp(name, "--tcti"))
			o.tcti = v;
		else if (!strcmp(name, "--direct"))
			o.direct = v;
		else if (!strcmp(name, "--key"))
			o.key = v;
		else if (!strcmp(name, "--threads"))
			o.threads = v;
		else if (!strcmp(name, "--ctl"))
			ctl_port = atoi(v);
		else if (!strcmp(name, "--runs"))
			o.runs = atoi(v);
		else if (!strcmp(name, "--signs"))
			o.signs = atoi(v);
		else if (!strcmp(name, "--paired-signs"))
			o.paired_signs = atoi(v);
		else if (!strcmp(name, "--thread-rounds"))
			o.thread_rounds = atoi(v);
		else if (!strcmp(name, "--thread-signs"))
			o.thread_signs = atoi(v);
		else if (!strcmp(name, "--nthreads"))
			o.nthreads = atoi(v);
		else if (!strcmp(name, "--soak"))
			o.soak = atol(v);
		else if (!strcmp(name, "--timeout"))
			o.timeout = atoi(v);
		else if (!strcmp(name, "--md"))
			md_path = v;
		else if (!strcmp(name, "--json"))
			json_path = v;
		else
			usage();
	}
	if (o.runs < 1 || o.signs < 0 || o.thread_signs < 1 || o.timeout < 1)
		usage();

	if (!strncmp(mode, "child-", 6)) {
		/* a child: results on OUT_FD; never outlive the timeout */
		out = fdopen(OUT_FD, "w");
		if (!out)
			die("no output descriptor");
		if (!o.module || !o.token || !o.pin)
			usage();
		if (strcmp(mode, "child-soak"))
			alarm((unsigned)o.timeout);
		if (!strcmp(mode, "child-lifecycle"))
			return child_lifecycle(&o);
		if (!strcmp(mode, "child-threads"))
			return child_threads(&o);
		if (!strcmp(mode, "child-paired")) {
			if (!o.tcti)
				usage();
			return child_paired(&o);
		}
		if (!strcmp(mode, "child-soak")) {
			alarm((unsigned)(o.soak / 20 + 120));
			return child_soak(&o);
		}
		usage();
	}
	if (!strcmp(mode, "report")) {
		if (!md_path || !json_path || i >= argc)
			usage();
		return mode_report(md_path, json_path, argc - i, argv + i);
	}
	if (!o.outfile)
		usage();
	out = fopen(o.outfile, "a");
	if (!out)
		die("cannot write %s", o.outfile);
	if (!strcmp(mode, "module")) {
		if (!o.module || !o.name || !o.token || !o.pin)
			usage();
		return mode_module(&o);
	}
	if (!strcmp(mode, "floor")) {
		if (!o.tcti || !o.name)
			usage();
		return mode_floor(&o);
	}
	if (!strcmp(mode, "run")) {
		if (!o.key || i >= argc)
			usage();
		return mode_run(&o, argv + i);
	}
	usage();
}
