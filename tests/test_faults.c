/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Faults between baretpm and the TPM, injected by a proxy in front of swtpm
 * (tests/lib/proxy.h): a truncated response, a garbled byte, an answer held
 * past the client's timeout, a command cut in the middle, a response lost
 * after the TPM ran the command, and bare TPM_RC answers (RETRY, YIELDED,
 * TESTING, OBJECT_MEMORY, SESSION_MEMORY, LOCKOUT).
 *
 * Each operation (C_Login, C_Sign on a key not loaded yet and on a loaded
 * one, C_GenerateKeyPair, C_GetTokenInfo, and the CLI verbs addkey,
 * changepin and info) is first run cleanly to count its TPM commands; then
 * every fault is injected at every one of those commands in turn. Every such
 * call must:
 *   - return a defined result: CKR_OK with a right result (the fault hit a
 *     best-effort cleanup, or the call recovered by itself), or one of
 *     CKR_DEVICE_ERROR, CKR_DEVICE_REMOVED, CKR_DEVICE_MEMORY, CKR_PIN_LOCKED
 *     (the CLI: exit 0, or 1 / 3 with a "baretpm VERB: ..." message);
 *     RETRY / YIELDED / TESTING once must not show at all (CKR_OK);
 *   - finish in bounded time (the TCTI timeout is 1 s) and not crash;
 *   - leave the store byte-identical when it fails;
 *   - be followed, once the fault is gone, by the same call working without
 *     C_Finalize (each case's module state carries over: reconnection).
 * Memory leaks show under `make asan` (LeakSanitizer at exit). TPM objects and
 * sessions a fault orphaned (the TPM ran a command whose answer was lost)
 * are counted and reported, then flushed before the next case.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "harness.h"
#include "p11_test.h"
#include "proxy.h"

#define USER_PIN "246810"
#define SO_PIN "13579111"
#define ALT_PIN "97531"
#define TIMEOUT_MS 1000

static struct btpm_test_sim sim;
static char base[64], store[128];
static struct btpm_proxy *px;
static char ptcti[160];

/* ---- the TPM seen directly (not through the proxy) ------------------------------------ */

static struct btpm *tpm_open(void)
{
	struct btpm *t;
	char err[256];
	int rc = btpm_open(&t, sim.tcti, err, sizeof(err));
	ck_assert_msg(rc == 0, "btpm_open %s: %s", sim.tcti, err);
	return t;
}

static const uint32_t ranges[] = {BTPM_HR_TRANSIENT, BTPM_HR_HMAC_SESSION,
				  BTPM_HR_POLICY_SESSION};

/* Transient objects and sessions the TPM holds; flush them when flush is set. */
static unsigned tpm_handles(int flush)
{
	static struct btpm_capdata d;
	struct btpm *t = tpm_open();
	unsigned n = 0;
	for (size_t i = 0; i < 3; i++) {
		if (btpm_get_capability_all(t, BTPM_CAP_HANDLES, ranges[i], ranges[i] + 0xFFFFFF,
					    &d))
			continue;
		n += d.count;
		for (uint32_t j = 0; flush && j < d.count; j++)
			btpm_flush_context(t, d.u.handles[j]);
	}
	btpm_close(t);
	return n;
}

/* The TPM's count of failed authorizations: a fault must never cost the user a PIN try. */
static uint32_t da_failures(void)
{
	uint32_t v = 0;
	struct btpm *t = tpm_open();
	ck_assert_int_eq(btpm_get_property(t, BTPM_PT_LOCKOUT_COUNTER, &v), 0);
	btpm_close(t);
	return v;
}

/*
 * What a process killed at the wrong moment leaves in a TPM without a
 * resource manager: 3 transient objects and 3 loaded sessions (swtpm's
 * limits), never flushed.
 */
static void fill_with_strangers(void)
{
	struct btpm *t = tpm_open();
	struct btpm_session pw, s;
	struct btpm_entity owner, obj;
	struct btpm_public tmpl, pub;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	ck_assert_int_eq(btpm_template_srk(&tmpl), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &tmpl, &obj, &pub), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(btpm_session_start(t, &s, 0, NULL, 0), 0);
	btpm_close(t);
	ck_assert_uint_eq(tpm_handles(0), 6);
}

/* ---- the store, byte for byte ---------------------------------------------------------- */

struct snap {
	char *buf;
	size_t len;
};

static void snap_add(struct snap *s, const char *name, const char *path)
{
	static unsigned char data[1 << 20];
	long n = btpm_test_read_file(path, data, sizeof(data));
	ck_assert_int_ge(n, 0);
	size_t need = strlen(name) + 1 + sizeof(long) + (size_t)n;
	s->buf = realloc(s->buf, s->len + need);
	ck_assert_ptr_nonnull(s->buf);
	memcpy(s->buf + s->len, name, strlen(name) + 1);
	memcpy(s->buf + s->len + strlen(name) + 1, &n, sizeof(long));
	memcpy(s->buf + s->len + strlen(name) + 1 + sizeof(long), data, (size_t)n);
	s->len += need;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every file of the store but the lock: names and contents. */
static struct snap snap_take(void)
{
	struct snap s = {0};
	char path[512];
	snprintf(path, sizeof(path), "%s/baretpm.conf", store);
	snap_add(&s, "baretpm.conf", path);
	struct dirent **ents;
	snprintf(path, sizeof(path), "%s/tokens", store);
	int n = scandir(path, &ents, NULL, cmp_names);
	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/tokens/%s", store, ents[i]->d_name);
			snap_add(&s, ents[i]->d_name, path);
		}
		free(ents[i]);
	}
	free(ents);
	return s;
}

static int snap_same(const struct snap *a, const struct snap *b)
{
	return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

/* Put the files of a snapshot back (a CLI case's key or PIN undone). */
static void snap_restore(const struct snap *s)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -f %s/tokens/*", store);
	ck_assert_int_eq(btpm_test_sh(cmd, 10, NULL, 0, NULL, 0), 0);
	for (size_t off = 0; off < s->len;) {
		const char *name = s->buf + off;
		long n;
		memcpy(&n, s->buf + off + strlen(name) + 1, sizeof(long));
		const char *data = s->buf + off + strlen(name) + 1 + sizeof(long);
		char path[512];
		snprintf(path, sizeof(path), strcmp(name, "baretpm.conf") ? "%s/tokens/%s" : "%s/%s",
			 store, name);
		FILE *f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(data, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		chmod(path, 0600);
		off += strlen(name) + 1 + sizeof(long) + (size_t)n;
	}
}

static void snap_free(struct snap *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

/* ---- the CLI ----------------------------------------------------------------------------- */

static char out[1 << 16], err[1 << 16];

static int cli(const char *tcti, const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' -T '%s' %s", btpm_test_cli(), tcti, args);
	return btpm_test_sh(cmd, 30, out, sizeof(out), err, sizeof(err));
}

static void cli_ok(const char *args)
{
	int rc = cli(sim.tcti, args);
	ck_assert_msg(rc == 0, "baretpm %s: exit %d\n%s%s", args, rc, out, err);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void suite_up(void)
{
	if (btpm_test_sim_start(&sim, NULL))
		ck_abort_msg("cannot start swtpm");
	snprintf(base, sizeof(base), "/tmp/btpm-faults-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(store, sizeof(store), "%s/store", base);
	setenv("BARETPM_STORE", store, 1);
	cli_ok("init");
	cli_ok("daparams --max-tries 32 --recovery 1000 --lockout-recovery 1000");
	cli_ok("dareset");
	cli_ok("addtoken --label=f --userpin=" USER_PIN " --sopin=" SO_PIN);
	cli_ok("addkey --label=f --userpin=" USER_PIN " --key-label=k0 --id=01");
	/* one failure on the lockout counter: the PIN flags show CKF_USER_PIN_COUNT_LOW */
	ck_assert_int_eq(cli(sim.tcti, "addkey --label=f --userpin=000000"), 1);
}

static void suite_down(void)
{
	btpm_test_sim_stop(&sim);
	btpm_test_rmtree(base, 30);
}

static void test_up(void)
{
	px = btpm_proxy_start(sim.port);
	ck_assert_ptr_nonnull(px);
	btpm_proxy_tcti(px, TIMEOUT_MS, ptcti, sizeof(ptcti));
	setenv("BARETPM_TCTI", ptcti, 1);
	tpm_handles(1);
}

static void test_down(void)
{
	if (F)
		F->C_Finalize(NULL);
	btpm_proxy_stop(px);
	px = NULL;
}

/* ---- faults and verdicts ---------------------------------------------------------------- */

static const struct btpm_proxy_fault faults[] = {
	{BTPM_PROXY_TRUNCATE, 0, 0, 0, 0},
	{BTPM_PROXY_GARBLE, 0, -1, 0, 0},     /* the last byte: HMAC, signature or value */
	{BTPM_PROXY_GARBLE, 0, 9, 0, 0},      /* the response code */
	{BTPM_PROXY_DELAY, 0, 0, 5000, 0},    /* past the 1 s timeout */
	{BTPM_PROXY_CUT, 0, 0, 0, 0},
	{BTPM_PROXY_LOST, 0, 0, 0, 0},
	{BTPM_PROXY_RC, BTPM_RC_RETRY, 0, 0, 0},
	{BTPM_PROXY_RC, BTPM_RC_YIELDED, 0, 0, 0},
	{BTPM_PROXY_RC, BTPM_RC_TESTING, 0, 0, 0},
	{BTPM_PROXY_RC, 0x902, 0, 0, 0},      /* TPM_RC_OBJECT_MEMORY */
	{BTPM_PROXY_RC, 0x903, 0, 0, 0},      /* TPM_RC_SESSION_MEMORY */
	{BTPM_PROXY_RC, BTPM_RC_LOCKOUT, 0, 0, 0},
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

static int transparent(const struct btpm_proxy_fault *f)
{
	return f->kind == BTPM_PROXY_RC &&
	       (f->rc == BTPM_RC_RETRY || f->rc == BTPM_RC_YIELDED || f->rc == BTPM_RC_TESTING);
}

static int rv_defined(const struct btpm_proxy_fault *f, CK_RV rv)
{
	if (transparent(f))
		return rv == CKR_OK;
	switch (rv) {
	case CKR_OK:
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_MEMORY:
		return 1;
	case CKR_PIN_LOCKED:
		return f->kind == BTPM_PROXY_RC && f->rc == BTPM_RC_LOCKOUT;
	}
	return 0;
}

/* Figures for the report. */
static unsigned cases_run, orphans_seen, outcome_ok, outcome_err;

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- PKCS#11 operations ---------------------------------------------------------------- */

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE ses;
static CK_OBJECT_HANDLE k0_priv, k0_pub;
static CK_BYTE last_sig[64];
static CK_ULONG last_sig_len;

static CK_OBJECT_HANDLE find_key(CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &cls, sizeof(cls)),
			    ATTR(CKA_LABEL, label, strlen(label))};
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = p11_find(ses, t, 2, h, 4);
	return n == 1 ? h[0] : CK_INVALID_HANDLE;
}

static void p11_open(void)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = p11_slots(slots, 4);
	ck_assert_uint_eq(n, 2);
	slot = slots[0];
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &ses));
}

static void p11_login(void)
{
	P11_OK(F->C_Login(ses, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	k0_priv = find_key(CKO_PRIVATE_KEY, "k0");
	k0_pub = find_key(CKO_PUBLIC_KEY, "k0");
	ck_assert_uint_ne(k0_priv, CK_INVALID_HANDLE);
}

static const CK_BYTE digest[32] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};

static CK_RV sign_k0(void)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_RV rv = F->C_SignInit(ses, &m, k0_priv);
	if (rv != CKR_OK)
		return rv;
	last_sig_len = sizeof(last_sig);
	return F->C_Sign(ses, (CK_BYTE_PTR)digest, sizeof(digest), last_sig, &last_sig_len);
}

/* The signature verifies with the public key the store lists (independent verifier). */
static int sig_ok(CK_OBJECT_HANDLE pub)
{
	CK_BYTE pt[67];
	CK_ATTRIBUTE a = ATTR(CKA_EC_POINT, pt, sizeof(pt));
	if (F->C_GetAttributeValue(ses, pub, &a, 1) != CKR_OK || a.ulValueLen != 67 ||
	    last_sig_len != 64)
		return 0;
	return btpm_ecdsa_verify(BTPM_ECC_NIST_P256, pt + 3, pt + 35, 32, digest, 32, last_sig, 32,
				 last_sig + 32, 32) == 0;
}

struct p11_op {
	const char *name;
	void (*setup)(void);
	CK_RV (*run)(void);
	int (*good)(void); /* after CKR_OK: the result is right */
	void (*undo)(void); /* after a success: take its effect back (before the recovery) */
};

static void setup_session(void)
{
	p11_open();
}

static void setup_login(void)
{
	p11_open();
	p11_login();
}

static void setup_signed(void)
{
	setup_login();
	P11_OK(sign_k0());
}

static CK_RV run_login(void)
{
	return F->C_Login(ses, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN));
}

static int good_login(void)
{
	CK_SESSION_INFO si;
	return F->C_GetSessionInfo(ses, &si) == CKR_OK && si.state == CKS_RW_USER_FUNCTIONS;
}

static void undo_login(void)
{
	P11_OK(F->C_Logout(ses));
}

static int good_sign(void)
{
	return sig_ok(k0_pub);
}

static CK_OBJECT_HANDLE gen_pub, gen_priv;

static CK_RV run_keygen(void)
{
	static const CK_BYTE oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {ATTR(CKA_EC_PARAMS, oid, sizeof(oid)), ATTR(CKA_LABEL, "gen", 3)};
	gen_pub = gen_priv = CK_INVALID_HANDLE;
	return F->C_GenerateKeyPair(ses, &m, pt, 2, NULL, 0, &gen_pub, &gen_priv);
}

static int good_keygen(void)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	last_sig_len = sizeof(last_sig);
	return F->C_SignInit(ses, &m, gen_priv) == CKR_OK &&
	       F->C_Sign(ses, (CK_BYTE_PTR)digest, 32, last_sig, &last_sig_len) == CKR_OK &&
	       sig_ok(gen_pub);
}

static void undo_keygen(void)
{
	P11_OK(F->C_DestroyObject(ses, gen_priv));
	P11_OK(F->C_DestroyObject(ses, gen_pub));
}

/* The PIN flags come from the TPM at most every 2 s; a PIN tried makes the next call ask. */
static void setup_tokeninfo(void)
{
	setup_login();
	P11_OK(F->C_Logout(ses));
}

static CK_TOKEN_INFO ti;

static CK_RV run_tokeninfo(void)
{
	return F->C_GetTokenInfo(slot, &ti);
}

static int good_tokeninfo(void)
{
	return 1; /* the PIN flags may be left out when the TPM did not answer */
}

static void undo_tokeninfo(void)
{
	/* make the recovery ask the TPM again */
	p11_login();
	P11_OK(F->C_Logout(ses));
}

static const struct p11_op ops[] = {
	{"C_Login", setup_session, run_login, good_login, undo_login},
	{"C_Sign (first)", setup_login, sign_k0, good_sign, NULL},
	{"C_Sign (steady)", setup_signed, sign_k0, good_sign, NULL},
	{"C_GenerateKeyPair", setup_login, run_keygen, good_keygen, undo_keygen},
	{"C_GetTokenInfo", setup_tokeninfo, run_tokeninfo, good_tokeninfo, undo_tokeninfo},
};

/* End a case: log out (flushes what the module loaded), count and flush orphans. */
static unsigned end_case(void)
{
	P11_OK(F->C_CloseAllSessions(slot));
	ck_assert_int_eq(btpm_proxy_idle(px, 5000), 0);
	return tpm_handles(1);
}

static void p11_matrix(const struct p11_op *op)
{
	char fname[40];
	unsigned fired_total = 0;
	P11_OK(F->C_Initialize(NULL));
	/* how many TPM commands the operation costs */
	op->setup();
	unsigned c0 = btpm_proxy_commands(px);
	P11_OK(op->run());
	unsigned n = btpm_proxy_commands(px) - c0;
	ck_assert_msg(op->good(), "%s: wrong result without a fault", op->name);
	ck_assert_uint_eq(end_case(), 0);
	ck_assert_uint_ge(n, 1);
	for (size_t fi = 0; fi < NFAULTS; fi++) {
		const struct btpm_proxy_fault *f = &faults[fi];
		for (unsigned at = 1; at <= n; at++) {
			btpm_proxy_fault_name(f, fname, sizeof(fname));
			op->setup();
			struct snap before = snap_take();
			btpm_proxy_arm(px, at, f);
			long long t0 = ms_now();
			CK_RV rv = op->run();
			long long took = ms_now() - t0;
			unsigned fired = btpm_proxy_fired(px);
			btpm_proxy_disarm(px);
			fired_total += fired;
			ck_assert_msg(took < 4 * TIMEOUT_MS + 2000, "%s, %s at command %u: %lld ms",
				      op->name, fname, at, took);
			ck_assert_msg(rv_defined(f, rv), "%s, %s at command %u: rv 0x%lx (%s)",
				      op->name, fname, at, rv, p11_why());
			if (rv == CKR_OK) {
				outcome_ok++;
				ck_assert_msg(op->good(), "%s, %s at command %u: CKR_OK but a wrong "
					      "result", op->name, fname, at);
				if (op->undo)
					op->undo();
			} else {
				outcome_err++;
				struct snap after = snap_take();
				ck_assert_msg(snap_same(&before, &after),
					      "%s, %s at command %u: the store changed", op->name,
					      fname, at);
				snap_free(&after);
			}
			/* the fault is gone: the same call works, without C_Finalize */
			CK_RV again = op->run();
			ck_assert_msg(again == CKR_OK, "%s after %s at command %u: rv 0x%lx (%s)",
				      op->name, fname, at, again, p11_why());
			ck_assert_msg(op->good(), "%s after %s at command %u: wrong result", op->name,
				      fname, at);
			if (op->undo)
				op->undo();
			snap_free(&before);
			unsigned orphans = end_case();
			orphans_seen += orphans;
			cases_run++;
			if (orphans || rv != CKR_OK)
				fprintf(stderr, "  %-18s %-22s cmd %u/%u: 0x%03lx%s, %u orphan(s)\n",
					op->name, fname, at, n, rv, rv == CKR_OK ? " (ok)" : "",
					orphans);
		}
	}
	ck_assert_uint_gt(fired_total, 0);
	ck_assert_uint_eq(da_failures(), 1); /* no fault was taken for a wrong PIN */
	P11_OK(F->C_Finalize(NULL));
	fprintf(stderr, "%s: %u commands, %zu faults at each: %u cases so far (%u ok, %u errors), "
			"%u orphans flushed\n",
		op->name, n, NFAULTS, cases_run, outcome_ok, outcome_err, orphans_seen);
}

START_TEST(faults_pkcs11)
{
	p11_matrix(&ops[_i]);
}
END_TEST

/* ---- CLI verbs ------------------------------------------------------------------------------ */


static const char *args_addkey(void)
{
	return "addkey --label=f --userpin=" USER_PIN " --key-label=cli";
}

static const char *args_changepin(void)
{
	/* a success is undone by putting the token file back: the old PIN is the PIN again */
	return "changepin --label=f --user --old=" USER_PIN " --new=" ALT_PIN;
}

static const char *args_info(void)
{
	return "info";
}

struct cli_op {
	const char *verb;
	const char *(*args)(void);
	int writes;
};

static const struct cli_op cli_ops[] = {
	{"addkey", args_addkey, 1},
	{"changepin", args_changepin, 1},
	{"info", args_info, 0},
};

/* After a success: what the verb did is undone (the snapshot of before put back). */
static void cli_undo(const struct cli_op *op, const struct snap *before)
{
	if (op->writes)
		snap_restore(before);
}

static void cli_check(const struct cli_op *op, int rc, const char *what)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "baretpm %s: ", op->verb);
	ck_assert_msg(rc == 0 || rc == 1 || rc == 3, "%s: exit %d\n%s", what, rc, err);
	ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "%s:\n%s", what,
		      err);
	if (rc)
		ck_assert_msg(strstr(err, prefix) || strstr(err, "baretpm: "),
			      "%s: exit %d without a message: '%s'", what, rc, err);
}

static void cli_matrix(const struct cli_op *op)
{
	char fname[40], what[200];
	unsigned fired_total = 0;
	struct snap before = snap_take();
	unsigned c0 = btpm_proxy_commands(px);
	int rc = cli(ptcti, op->args());
	unsigned n = btpm_proxy_commands(px) - c0;
	ck_assert_msg(rc == 0, "baretpm %s: exit %d\n%s", op->args(), rc, err);
	cli_undo(op, &before);
	ck_assert_uint_eq(tpm_handles(1), 0);
	for (size_t fi = 0; fi < NFAULTS; fi++) {
		const struct btpm_proxy_fault *f = &faults[fi];
		for (unsigned at = 1; at <= n; at++) {
			btpm_proxy_fault_name(f, fname, sizeof(fname));
			snprintf(what, sizeof(what), "baretpm %s, %s at command %u", op->verb, fname,
				 at);
			btpm_proxy_arm(px, at, f);
			long long t0 = ms_now();
			rc = cli(ptcti, op->args());
			long long took = ms_now() - t0;
			fired_total += btpm_proxy_fired(px);
			btpm_proxy_disarm(px);
			cli_check(op, rc, what);
			ck_assert_msg(took < 4 * TIMEOUT_MS + 3000, "%s: %lld ms", what, took);
			if (transparent(f))
				ck_assert_msg(rc == 0, "%s: exit %d\n%s", what, rc, err);
			int faulted = rc;
			struct snap after = snap_take();
			if (rc) {
				outcome_err++;
				ck_assert_msg(snap_same(&before, &after), "%s: the store changed",
					      what);
				if (f->kind != BTPM_PROXY_RC && f->kind != BTPM_PROXY_GARBLE)
					ck_assert_msg(rc == 3 || rc == 1, "%s: exit %d", what, rc);
			} else {
				outcome_ok++;
				cli_undo(op, &before);
			}
			snap_free(&after);
			/* the fault is gone: the verb works again */
			rc = cli(ptcti, op->args());
			ck_assert_msg(rc == 0, "%s, then without the fault: exit %d\n%s", what, rc,
				      err);
			cli_undo(op, &before);
			ck_assert_int_eq(btpm_proxy_idle(px, 5000), 0);
			unsigned orphans = tpm_handles(1);
			orphans_seen += orphans;
			cases_run++;
			if (orphans || faulted)
				fprintf(stderr, "  %-18s %-22s cmd %u/%u: exit %d, %u orphan(s)\n",
					op->verb, fname, at, n, faulted, orphans);
		}
	}
	snap_free(&before);
	ck_assert_uint_gt(fired_total, 0);
	ck_assert_uint_eq(da_failures(), 1); /* no fault was taken for a wrong PIN */
	fprintf(stderr, "baretpm %s: %u commands, %zu faults at each: %u cases so far (%u ok, %u "
			"errors), %u orphans flushed\n",
		op->verb, n, NFAULTS, cases_run, outcome_ok, outcome_err, orphans_seen);
}

START_TEST(faults_cli)
{
	cli_matrix(&cli_ops[_i]);
}
END_TEST

/* The proxy itself: what it forwards is what swtpm says, and a fault fires once, where armed. */
START_TEST(proxy_forwards_and_counts)
{
	struct btpm *t;
	char e[256];
	uint8_t r[16];
	ck_assert_int_eq(btpm_open(&t, ptcti, e, sizeof(e)), 0);
	unsigned c0 = btpm_proxy_commands(px);
	ck_assert_int_eq(btpm_get_random(t, r, sizeof(r)), 0);
	ck_assert_uint_eq(btpm_proxy_commands(px) - c0, 1);
	struct btpm_proxy_fault lost = {BTPM_PROXY_LOST, 0, 0, 0, 0};
	btpm_proxy_arm(px, 2, &lost);
	ck_assert_int_eq(btpm_get_random(t, r, sizeof(r)), 0);
	ck_assert_int_eq(btpm_get_random(t, r, sizeof(r)), BTPM_E_CLOSED);
	ck_assert_int_eq(btpm_get_random(t, r, sizeof(r)), 0);
	ck_assert_uint_eq(btpm_proxy_fired(px), 1);
	struct btpm_proxy_fault retry = {BTPM_PROXY_RC, BTPM_RC_RETRY, 0, 0, 3};
	btpm_proxy_arm(px, 1, &retry);
	ck_assert_int_eq(btpm_get_random(t, r, sizeof(r)), 0);
	ck_assert_uint_eq(btpm_proxy_fired(px), 3);
	ck_assert_uint_eq(btpm_commands_retried(t), 3);
	btpm_close(t);
	const struct btpm_proxy_record *rec;
	size_t nrec = btpm_proxy_records(px, &rec);
	ck_assert_uint_ge(nrec, 10);
	ck_assert_uint_eq(rec[0].dir, 0);
	ck_assert_uint_eq(rec[1].dir, 1);
	ck_assert_uint_eq(rec[1].len, 10 + 2 + 16);
	ck_assert(btpm_proxy_find(px, rec[1].data + 12, 16, 8));
}
END_TEST

/*
 * A killed process (or a lost answer) leaves objects and sessions in a TPM
 * without a resource manager until it is full. The next login, signature and
 * addkey must still work: baretpm flushes what it does not know of when the
 * TPM says it has no room.
 */
START_TEST(orphans_do_not_block)
{
	fill_with_strangers();
	P11_OK(F->C_Initialize(NULL));
	p11_open();
	p11_login();
	P11_OK(sign_k0());
	ck_assert(sig_ok(k0_pub));
	P11_OK(F->C_Finalize(NULL));
	ck_assert_uint_eq(tpm_handles(0), 0);
	fill_with_strangers();
	int rc = cli(ptcti, "addkey --label=f --userpin=" USER_PIN " --key-label=orphans");
	ck_assert_msg(rc == 0, "addkey with a full TPM: exit %d\n%s", rc, err);
	ck_assert_uint_eq(tpm_handles(0), 0);
	fill_with_strangers();
	rc = cli(ptcti, "changepin --label=f --user --old=" USER_PIN " --new=" ALT_PIN);
	ck_assert_msg(rc == 0, "changepin with a full TPM: exit %d\n%s", rc, err);
	rc = cli(ptcti, "changepin --label=f --user --old=" ALT_PIN " --new=" USER_PIN);
	ck_assert_msg(rc == 0, "changepin back: exit %d\n%s", rc, err);
	ck_assert_int_eq(cli(ptcti, "rmkey --label=f --key-label=orphans"), 0);
}
END_TEST

int main(void)
{
	p11_load();
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("proxy");
	tcase_add_unchecked_fixture(tc, suite_up, suite_down);
	tcase_add_checked_fixture(tc, test_up, test_down);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, proxy_forwards_and_counts);
	tcase_add_test(tc, orphans_do_not_block);
	tcase_add_loop_test(tc, faults_pkcs11, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	tcase_add_loop_test(tc, faults_cli, 0, (int)(sizeof(cli_ops) / sizeof(cli_ops[0])));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
