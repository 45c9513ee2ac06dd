/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Secrets and PINs.
 *
 * capture   Every byte between baretpm and the TPM is recorded by a proxy in
 *           front of swtpm (tests/lib/proxy.h) during a pkcs11-tool
 *           administration session (init-token, init-pin, keypairgen,
 *           change-pin) and a whole `ssh` login with PKCS11Provider to an
 *           sshd on 127.0.0.1 (PIN through SSH_ASKPASS), then the same
 *           PKCS#11 flow in this process (C_Login + C_Sign, as ssh does).
 *           Neither the PINs, nor their auth values SHA-256(salt || PIN)
 *           (from the store's salts at each step), nor the token secret W
 *           (unsealed here afterwards through the token layer), nor any key's
 *           auth value (decrypted here with W) appears in it, not even 8
 *           bytes of one. Every command that carries or uses a secret
 *           (Create, ObjectChangeAuth, Unseal, Load, Sign) runs in an HMAC
 *           session started salted to a key, parameter-encrypted where a
 *           secret crosses (decrypt on Create / ObjectChangeAuth, encrypt on
 *           Unseal), and no password session carries a password. Under
 *           `make asan` (an ASan module cannot load into ssh or pkcs11-tool)
 *           and without those tools, the in-process flow stands in for them.
 * pins      Wrong PINs up to the TPM's limit (3): CKR_PIN_INCORRECT with
 *           CKF_USER_PIN_COUNT_LOW, then CKF_USER_PIN_FINAL_TRY, then
 *           CKF_USER_PIN_LOCKED and CKR_PIN_LOCKED for the right PIN; after
 *           `baretpm dareset` the right PIN works again. No PIN in the CLI's
 *           or the module's (BARETPM_DEBUG=1) messages.
 * wipe      After C_Login, C_Sign, C_Logout and C_Finalize, no copy of the PIN
 *           or of its auth value is left anywhere in the process's memory.
 * store     Store files are 0600 in a 0700 directory; a world-writable store
 *           directory is refused by the CLI and the module.
 * misuse    Every PKCS#11 function before C_Initialize and after C_Finalize;
 *           NULL pointers, invalid handles, wrong session states on a real
 *           token (what tests/test_pkcs11.c does not already cover).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baretpm.h"
#include "btpm_crypto.h"
#include "harness.h"
#include "p11_test.h"
#include "proxy.h"
#include "store.h"
#include "token.h"

#define SO_PIN "So-Secret-8642"
#define USER_PIN "User-Pin-1357"
#define NEW_PIN "Changed-Pin-2468"
#define TOKEN "adm"

static struct btpm_test_sim sim;
static char base[64], store[128];
static struct btpm_proxy *px;
static char ptcti[160];
static char out[1 << 17], err[1 << 17];

/* ---- helpers -------------------------------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return btpm_test_sh(cmd, 120, out, sizeof(out), err, sizeof(err));
}

static int have(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null || [ -x /usr/sbin/%s ]", tool, tool);
	return btpm_test_sh(cmd, 10, NULL, 0, NULL, 0) == 0;
}

/* Real clients cannot load an AddressSanitizer module: under `make asan` they are left out. */
static int real_clients(void)
{
	return !getenv("BTPM_ASAN") && have("pkcs11-tool") && have("ssh") && have("sshd");
}

static const char *module_path(void)
{
	const char *m = getenv("BTPM_MODULE");
	return m && *m ? m : "build/libbaretpm_pkcs11.so";
}

static void tpm_da_reset(void)
{
	ck_assert_int_eq(sh("'%s' -T '%s' dareset", btpm_test_cli(), sim.tcti), 0);
}

static void suite_up(void)
{
	if (btpm_test_sim_start(&sim, NULL))
		ck_abort_msg("cannot start swtpm");
	snprintf(base, sizeof(base), "/tmp/btpm-secrets-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(store, sizeof(store), "%s/store", base); /* made by C_InitToken */
	setenv("BARETPM_STORE", store, 1);
	ck_assert_int_eq(sh("'%s' -T '%s' daparams --max-tries 3 --recovery 1000 "
			    "--lockout-recovery 1000",
			    btpm_test_cli(), sim.tcti),
			 0);
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
	btpm_proxy_tcti(px, 0, ptcti, sizeof(ptcti));
	setenv("BARETPM_TCTI", ptcti, 1);
}

static void test_down(void)
{
	if (F)
		F->C_Finalize(NULL);
	btpm_proxy_stop(px);
	px = NULL;
}

static CK_SLOT_ID slot_of(const char *label)
{
	CK_SLOT_ID slots[8];
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR want[32];
	p11_label(want, label);
	CK_ULONG n = p11_slots(slots, 8);
	for (CK_ULONG i = 0; i < n; i++)
		if (F->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !memcmp(ti.label, want, 32))
			return slots[i];
	ck_abort_msg("no token %s", label);
	return 0;
}

static CK_SLOT_ID empty_slot(void)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = p11_slots(slots, 8);
	return slots[n - 1];
}

/* ---- the secrets to look for --------------------------------------------------------------- */

struct secret {
	char name[64];
	uint8_t v[64];
	size_t n;
};

static struct secret secrets[64];
static size_t nsecrets;

static void add_secret(const char *name, const void *v, size_t n)
{
	for (size_t i = 0; i < nsecrets; i++)
		if (secrets[i].n == n && !memcmp(secrets[i].v, v, n))
			return;
	ck_assert_uint_lt(nsecrets, 64);
	struct secret *s = &secrets[nsecrets++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->v, v, n);
	s->n = n;
}

/* The token as the store has it now. */
static void load_token(const char *label, struct btpm_store_token *tok)
{
	struct btpm_store st;
	char serials[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n = 0;
	ck_assert_int_eq(btpm_store_open(&st, store, 0), 0);
	ck_assert_int_eq(btpm_store_list_tokens(&st, serials, BTPM_STORE_MAX_TOKENS, &n), 0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(btpm_store_load_token(&st, serials[i], tok), 0);
		if (!strcmp(tok->label, label)) {
			btpm_store_close(&st);
			return;
		}
		btpm_store_token_free(tok);
	}
	ck_abort_msg("no token %s in the store", label);
}

/* SHA-256(salt || PIN): what the TPM knows the PIN as. */
static void add_pin_auth(const char *what, const uint8_t *salt, const char *pin)
{
	uint8_t auth[32];
	const struct btpm_iov v[2] = {{salt, 16}, {pin, strlen(pin)}};
	ck_assert_int_eq(btpm_hash_v(BTPM_ALG_SHA256, auth, v, 2), 0);
	add_secret(what, auth, sizeof(auth));
}

/* The auth values the store's salts give with these PINs, as the store is now. */
static void note_salts(const char *so_pin, const char *user_pin)
{
	struct btpm_store_token tok;
	load_token(TOKEN, &tok);
	add_pin_auth("the SO PIN's auth value", tok.so.salt, so_pin);
	if (tok.user_pin_set)
		add_pin_auth("the user PIN's auth value", tok.user.salt, user_pin);
	btpm_store_token_free(&tok);
}

/* W, unsealed through the token layer (directly, not through the proxy); key auth values. */
static void note_token_secrets(const char *user_pin)
{
	struct btpm_tok_ctx c;
	struct btpm_store_token tok;
	struct btpm_tok_login l;
	char msg[300];
	ck_assert_int_eq(btpm_tok_ctx_open(&c, sim.tcti, store, 0), 0);
	load_token(TOKEN, &tok);
	int rc = btpm_tok_login(&c, &tok, BTPM_TOK_USER, user_pin, strlen(user_pin), &l);
	ck_assert_msg(rc == 0, "unsealing W: %s", btpm_strerror(c.t, rc, msg, sizeof(msg)));
	add_secret("the token secret W", l.w, sizeof(l.w));
	unsigned keys = 0;
	for (unsigned i = 0; i < tok.nobjects; i++) {
		struct btpm_store_object *o = &tok.objects[i];
		if (o->cls != BTPM_CKO_PRIVATE_KEY)
			continue;
		uint8_t aad[20], auth[32];
		memcpy(aad, tok.serial, 16);
		aad[16] = (uint8_t)(o->handle >> 24);
		aad[17] = (uint8_t)(o->handle >> 16);
		aad[18] = (uint8_t)(o->handle >> 8);
		aad[19] = (uint8_t)o->handle;
		memcpy(auth, o->auth_ct, 32);
		ck_assert_int_eq(btpm_aes_gcm_open(l.w, sizeof(l.w), o->auth_iv, aad, sizeof(aad),
						   auth, 32, o->auth_tag),
				 0);
		snprintf(msg, sizeof(msg), "the auth value of key object %u", (unsigned)o->handle);
		add_secret(msg, auth, sizeof(auth));
		keys++;
	}
	ck_assert_uint_ge(keys, 1);
	btpm_tok_logout(&c, &l);
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&c);
}

/* ---- what the capture must show ------------------------------------------------------------ */

#define CC_CREATE 0x153u
#define CC_LOAD 0x157u
#define CC_UNSEAL 0x15Eu
#define CC_CHANGE_AUTH 0x150u
#define CC_SIGN 0x15Du
#define CC_START_SESSION 0x176u
#define RS_PW 0x40000009u
#define RH_NULL 0x40000007u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Handles in the handle area of the commands baretpm sends (Part 3). */
static unsigned handles_of(uint32_t cc)
{
	switch (cc) {
	case CC_START_SESSION:
	case CC_CHANGE_AUTH:
	case 0x120: /* EvictControl */
	case 0x14E: /* NV_Read */
		return 2;
	case CC_CREATE:
	case CC_LOAD:
	case CC_UNSEAL:
	case CC_SIGN:
	case 0x131: /* CreatePrimary */
	case 0x139: /* DictionaryAttackLockReset */
	case 0x13A: /* DictionaryAttackParameters */
	case 0x162: /* ContextSave */
	case 0x169: /* NV_ReadPublic */
	case 0x173: /* ReadPublic */
		return 1;
	}
	return 0; /* GetCapability, GetRandom, FlushContext, ContextLoad, ... */
}

struct sess {
	uint32_t handle;
	uint8_t attrs;
	uint16_t hmac_len;
};

/* The sessions of a command; returns how many (-1 if it does not parse). */
static int sessions_of(const uint8_t *c, size_t n, struct sess *ss, int max)
{
	if (n < 10 || c[0] != 0x80 || (c[1] != 1 && c[1] != 2))
		return -1;
	if (c[1] == 1)
		return 0;
	size_t off = 10 + 4 * handles_of(be32(c + 6));
	if (off + 4 > n)
		return -1;
	size_t end = off + 4 + be32(c + off);
	off += 4;
	int k = 0;
	while (off < end && k < max) {
		if (off + 4 + 2 > n)
			return -1;
		ss[k].handle = be32(c + off);
		off += 4;
		off += 2 + ((size_t)c[off] << 8 | c[off + 1]); /* nonce */
		if (off + 1 + 2 > n)
			return -1;
		ss[k].attrs = c[off++];
		ss[k].hmac_len = (uint16_t)(c[off] << 8 | c[off + 1]);
		off += 2 + ss[k].hmac_len;
		k++;
	}
	return off == end ? k : -1;
}

/* Salted sessions (started with a tpmKey and an encrypted salt), by handle, in order. */
static uint32_t salted[64];
static size_t nsalted;

static int is_salted(uint32_t h)
{
	for (size_t i = 0; i < nsalted; i++)
		if (salted[i] == h)
			return 1;
	return 0;
}

static void set_salted(uint32_t h, int on)
{
	for (size_t i = 0; i < nsalted; i++)
		if (salted[i] == h) {
			if (!on)
				salted[i] = salted[--nsalted];
			return;
		}
	if (on && nsalted < 64)
		salted[nsalted++] = h;
}

static unsigned secret_commands;

static void check_sessions(const struct btpm_proxy_record *r, size_t nrec)
{
	const uint8_t *pending = NULL; /* the last StartAuthSession command, until its answer */
	size_t pending_len = 0;
	nsalted = 0;
	for (size_t i = 0; i < nrec; i++) {
		const uint8_t *c = r[i].data;
		size_t n = r[i].len;
		if (r[i].dir == 1) {
			if (pending && n >= 14 && be32(c + 6) == 0) {
				/* tpmKey, bind, nonceCaller, encryptedSalt */
				uint32_t key = be32(pending + 10);
				size_t off = 18 + 2 + ((size_t)pending[18] << 8 | pending[19]);
				size_t salt = off + 2 <= pending_len
						      ? ((size_t)pending[off] << 8 | pending[off + 1])
						      : 0;
				set_salted(be32(c + 10), key != RH_NULL && salt > 0);
			}
			pending = NULL;
			continue;
		}
		if (n < 10)
			continue;
		uint32_t cc = be32(c + 6);
		if (cc == CC_START_SESSION) {
			pending = c;
			pending_len = n;
			continue;
		}
		if (cc == 0x165 && n >= 14) /* FlushContext */
			set_salted(be32(c + 10), 0);
		struct sess s[3];
		int k = sessions_of(c, n, s, 3);
		ck_assert_msg(k >= 0, "command 0x%x (record %zu) does not parse", cc, i);
		for (int j = 0; j < k; j++)
			ck_assert_msg(s[j].handle != RS_PW || s[j].hmac_len == 0,
				      "command 0x%x (record %zu) sends a password in the clear", cc, i);
		if (cc != CC_CREATE && cc != CC_CHANGE_AUTH && cc != CC_UNSEAL && cc != CC_LOAD &&
		    cc != CC_SIGN)
			continue;
		secret_commands++;
		ck_assert_msg(k >= 1 && s[0].handle >> 24 == 0x02,
			      "command 0x%x (record %zu) without an HMAC session", cc, i);
		ck_assert_msg(is_salted(s[0].handle),
			      "command 0x%x (record %zu): session 0x%08x was not started salted", cc,
			      i, s[0].handle);
		if (cc == CC_CREATE || cc == CC_CHANGE_AUTH)
			ck_assert_msg(s[0].attrs & 0x20, "command 0x%x (record %zu): the secret "
				      "parameter is not encrypted (attributes 0x%02x)", cc, i,
				      s[0].attrs);
		if (cc == CC_UNSEAL)
			ck_assert_msg(s[0].attrs & 0x40, "TPM2_Unseal (record %zu): the answer is not "
				      "encrypted (attributes 0x%02x)", i, s[0].attrs);
	}
}

/* Nothing of any secret in the capture (8-byte windows of the 32-byte values). */
static void check_capture(const char *what)
{
	const struct btpm_proxy_record *r;
	size_t nrec = btpm_proxy_records(px, &r);
	ck_assert_uint_ge(nrec, 20);
	for (size_t i = 0; i < nsecrets; i++) {
		size_t win = secrets[i].n >= 32 ? 8 : 0;
		size_t hit = btpm_proxy_find(px, secrets[i].v, secrets[i].n, win);
		ck_assert_msg(!hit, "%s: %s is on the wire (record %zu)", what, secrets[i].name, hit);
	}
	secret_commands = 0;
	check_sessions(r, nrec);
	ck_assert_uint_ge(secret_commands, 5);
	fprintf(stderr, "%s: %zu records, %zu bytes, %u secret-bearing commands in salted, "
			"encrypted sessions; none of %zu secrets on the wire\n",
		what, nrec, btpm_proxy_bytes(px), secret_commands, nsecrets);
}

/* The capture does see the traffic: a public point the TPM made crosses the wire. */
static void check_capture_sees_keys(void)
{
	struct btpm_store_token tok;
	load_token(TOKEN, &tok);
	int seen = 0;
	for (unsigned i = 0; i < tok.nobjects; i++) {
		const struct btpm_store_attr *pt = btpm_store_attr_get(&tok.objects[i], 0x181);
		if (tok.objects[i].cls == BTPM_CKO_PUBLIC_KEY && pt && pt->len == 67)
			seen += btpm_proxy_find(px, pt->value + 3, 32, 0) != 0;
	}
	btpm_store_token_free(&tok);
	ck_assert_int_ge(seen, 1);
}

/* ---- the PKCS#11 flow in this process ---------------------------------------------------- */

static void inprocess_admin(void)
{
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s;
	p11_label(label, TOKEN);
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_InitToken(empty_slot(), (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label));
	note_salts(SO_PIN, USER_PIN);
	CK_SLOT_ID slot = slot_of(TOKEN);
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	P11_OK(F->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN)));
	P11_OK(F->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	note_salts(SO_PIN, USER_PIN);
	P11_OK(F->C_Logout(s));
	P11_OK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	static const CK_BYTE oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {ATTR(CKA_EC_PARAMS, oid, sizeof(oid)), ATTR(CKA_LABEL, "k", 1)};
	CK_OBJECT_HANDLE pub, priv;
	P11_OK(F->C_GenerateKeyPair(s, &kg, pt, 2, NULL, 0, &pub, &priv));
	P11_OK(F->C_Logout(s));
	P11_OK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN), (CK_UTF8CHAR_PTR)NEW_PIN,
			   strlen(NEW_PIN)));
	note_salts(SO_PIN, NEW_PIN);
	P11_OK(F->C_Finalize(NULL));
}

/* What ssh does with the module: list keys, log in, sign. */
static void inprocess_login_and_sign(const char *pin)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[8];
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(slot_of(TOKEN), CKF_SERIAL_SESSION, NULL, NULL, &s));
	ck_assert_uint_ge(p11_find_class(s, CKO_PUBLIC_KEY, h, 8), 1);
	P11_OK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
	CK_ULONG n = p11_find_class(s, CKO_PRIVATE_KEY, h, 8);
	ck_assert_uint_ge(n, 1);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
		CK_BYTE sig[96];
		CK_ULONG len = sizeof(sig);
		P11_OK(F->C_SignInit(s, &m, h[i]));
		P11_OK(F->C_Sign(s, (CK_BYTE_PTR) "session id", 10, sig, &len));
	}
	P11_OK(F->C_Finalize(NULL));
}

/* ---- the real clients ----------------------------------------------------------------------- */

static void p11tool(const char *args)
{
	int rc = sh("pkcs11-tool --module '%s' %s", module_path(), args);
	ck_assert_msg(rc == 0, "pkcs11-tool %s: exit %d\n%s\n%s", args, rc, out, err);
}

static void pkcs11_tool_admin(void)
{
	p11tool("--init-token --slot-index 0 --label " TOKEN " --so-pin " SO_PIN);
	note_salts(SO_PIN, USER_PIN);
	p11tool("--init-pin --token-label " TOKEN " --login --login-type so --so-pin " SO_PIN
		" --pin " USER_PIN);
	note_salts(SO_PIN, USER_PIN);
	p11tool("--token-label " TOKEN " --login --pin " USER_PIN
		" --keypairgen --key-type EC:prime256v1 --label k --id 01");
	p11tool("--token-label " TOKEN " --login --pin " USER_PIN " --change-pin --new-pin " NEW_PIN);
	note_salts(SO_PIN, NEW_PIN);
}

/* A whole ssh login with the key in the TPM, to an sshd on 127.0.0.1 (tests/e2e/lib-sshd.sh). */
static void ssh_login(const char *pin)
{
	char work[128];
	snprintf(work, sizeof(work), "%s/ssh", base);
	mkdir(work, 0700);
	setenv("W", work, 1);
	setenv("SRC", btpm_test_srcdir(), 1);
	setenv("MOD", module_path(), 1);
	setenv("PIN", pin, 1);
	int rc = sh(
		"bash -c 'set -e; . \"$SRC/tests/e2e/lib-sshd.sh\"; "
		"ssh-keygen -D \"$MOD\" > \"$W/keys\"; sshd_start \"$W\" \"$W/keys\" >/dev/null; "
		"trap \"kill $sshd_pid\" EXIT; "
		"printf \"#!/bin/sh\\necho %%s\\n\" \"$PIN\" > \"$W/askpass\"; chmod 700 \"$W/askpass\"; "
		"BARETPM_DEBUG=1 SSH_ASKPASS=\"$W/askpass\" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 "
		"ssh -F /dev/null -n -p \"$sshd_port\" -o PKCS11Provider=\"$MOD\" "
		"-o IdentityFile=none -o IdentityAgent=none -o BatchMode=no "
		"-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
		"-o PreferredAuthentications=publickey \"$(id -un)@127.0.0.1\" echo logged-in-via-tpm "
		"</dev/null'");
	ck_assert_msg(rc == 0 && strstr(out, "logged-in-via-tpm"), "ssh login: exit %d\n%s\n%s",
		      rc, out, err);
	ck_assert_msg(!strstr(out, pin) && !strstr(err, pin), "the PIN is in ssh's output:\n%s",
		      err);
}

START_TEST(capture_admin_and_logins)
{
	int real = real_clients();
	if (real) {
		pkcs11_tool_admin();
		unsigned c0 = btpm_proxy_commands(px);
		ssh_login(NEW_PIN);
		fprintf(stderr, "capture: pkcs11-tool admin session %u TPM commands, ssh login %u\n",
			c0, btpm_proxy_commands(px) - c0);
	} else {
		fprintf(stderr, "capture: %s; the PKCS#11 flow in this process stands in for "
				"pkcs11-tool and ssh\n",
			getenv("BTPM_ASAN") ? "make asan" : "pkcs11-tool, ssh or sshd missing");
		inprocess_admin();
	}
	inprocess_login_and_sign(NEW_PIN);
	add_secret("the SO PIN", SO_PIN, strlen(SO_PIN));
	add_secret("the first user PIN", USER_PIN, strlen(USER_PIN));
	add_secret("the new user PIN", NEW_PIN, strlen(NEW_PIN));
	ck_assert_int_eq(btpm_proxy_idle(px, 5000), 0);
	note_token_secrets(NEW_PIN); /* directly to swtpm: not in the capture */
	check_capture_sees_keys();
	check_capture(real ? "pkcs11-tool admin + ssh login + PKCS#11 in process"
			   : "PKCS#11 admin + login in process");
}
END_TEST

/* ---- wrong PINs, lockout, dareset; no PIN in messages ------------------------------------- */

static CK_FLAGS pin_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;
	P11_OK(F->C_GetTokenInfo(slot, &ti));
	return ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
}

START_TEST(wrong_pins_lock_then_dareset)
{
	const char *wrong = "Wrong-Pin-0000";
	CK_SESSION_HANDLE s;
	tpm_da_reset();
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID slot = slot_of(TOKEN);
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	ck_assert_uint_eq(pin_flags(slot), 0);
	/* the TPM's limit is 3 (set by the suite) */
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)wrong, strlen(wrong)));
	ck_assert_uint_eq(pin_flags(slot), CKF_USER_PIN_COUNT_LOW);
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)wrong, strlen(wrong)));
	ck_assert_uint_eq(pin_flags(slot), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	ck_assert_msg(!strstr(p11_why(), wrong), "the PIN in the module's message: %s", p11_why());
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)wrong, strlen(wrong)));
	ck_assert(pin_flags(slot) & CKF_USER_PIN_LOCKED);
	/* locked out: the right PIN too, unchecked, in the module and the CLI */
	RV(CKR_PIN_LOCKED, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	int rc = sh("'%s' addkey --label=" TOKEN " --userpin=" NEW_PIN, btpm_test_cli());
	ck_assert_msg(rc == 1 && strstr(err, "lockout") && !strstr(err, NEW_PIN), "exit %d: %s", rc,
		      err);
	/* the owner of the lockout hierarchy resets the counter */
	rc = sh("'%s' dareset", btpm_test_cli());
	ck_assert_msg(rc == 0, "baretpm dareset: exit %d\n%s", rc, err);
	P11_OK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	ck_assert_uint_eq(pin_flags(slot), 0);
	P11_OK(F->C_Finalize(NULL));
	/* the CLI: a wrong PIN is refused, counted, and not repeated back */
	rc = sh("'%s' addkey --label=" TOKEN " --userpin=%s", btpm_test_cli(), wrong);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(err, "wrong PIN") && !strstr(err, wrong) && !strstr(out, wrong),
		      "baretpm addkey with a wrong PIN says:\n%s", err);
	tpm_da_reset();
	/* the module's debug output (BARETPM_DEBUG=1) never shows a PIN either */
	if (real_clients()) {
		rc = sh("BARETPM_DEBUG=1 pkcs11-tool --module '%s' --token-label " TOKEN
			" --login --pin %s --list-objects",
			module_path(), wrong);
		ck_assert_int_ne(rc, 0);
		ck_assert_msg(strstr(err, "baretpm-pkcs11:") && !strstr(err, wrong) &&
				      !strstr(out, wrong),
			      "pkcs11-tool with BARETPM_DEBUG=1:\n%s", err);
		tpm_da_reset();
	}
}
END_TEST

/* ---- nothing of the PIN left in memory -------------------------------------------------------- */

/*
 * In a child: the PIN and its auth value exist only XOR-masked (so that the
 * search itself cannot find them); the PIN is unmasked into one buffer for
 * C_Login, which is wiped after. Then every readable mapping of the process
 * is searched for either, unmasked on the fly.
 */
#define MASK 0xA5

static size_t masked_find(const uint8_t *mem, size_t n, const uint8_t *m, size_t mn)
{
	for (size_t i = 0; i + mn <= n; i++) {
		if ((uint8_t)(mem[i] ^ MASK) != m[0])
			continue;
		size_t j = 1;
		while (j < mn && (uint8_t)(mem[i + j] ^ MASK) == m[j])
			j++;
		if (j == mn)
			return i + 1;
	}
	return 0;
}

/* 0 if no readable mapping holds the masked needle; else the address found. */
static uintptr_t scan_memory(const uint8_t *m, size_t mn, const void *skip, size_t skip_len)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY);
	char line[512];
	static uint8_t buf[1 << 20];
	uintptr_t found = 0;
	while (!found && maps && mem >= 0 && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    strstr(line, "[vvar]") || strstr(line, "[vsyscall]"))
			continue;
		for (unsigned long a = lo; a < hi && !found; a += sizeof(buf) - 64) {
			size_t want = hi - a < sizeof(buf) ? hi - a : sizeof(buf);
			ssize_t got = pread(mem, buf, want, (off_t)a);
			if (got <= 0)
				break;
			size_t at = masked_find(buf, (size_t)got, m, mn);
			uintptr_t addr = at ? (uintptr_t)a + at - 1 : 0;
			if (addr && !(addr >= (uintptr_t)skip && addr < (uintptr_t)skip + skip_len) &&
			    !(addr >= (uintptr_t)buf && addr < (uintptr_t)buf + sizeof(buf)))
				found = addr;
			if ((size_t)got < want)
				break;
		}
	}
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	return found;
}

START_TEST(pin_wiped_from_memory)
{
	if (getenv("BTPM_ASAN")) {
		fprintf(stderr, "pin_wiped_from_memory: skipped under AddressSanitizer (quarantined "
				"freed memory and shadow are not the module's doing)\n");
		return;
	}
	/* the PIN, masked, and its auth value with the current salt, masked */
	static uint8_t mpin[64], mauth[32];
	size_t plen = strlen(NEW_PIN);
	for (size_t i = 0; i < plen; i++)
		mpin[i] = (uint8_t)(NEW_PIN[i] ^ MASK); /* the literal itself stays in .rodata */
	struct btpm_store_token tok;
	load_token(TOKEN, &tok);
	uint8_t auth[32];
	const struct btpm_iov v[2] = {{tok.user.salt, 16}, {NEW_PIN, plen}};
	ck_assert_int_eq(btpm_hash_v(BTPM_ALG_SHA256, auth, v, 2), 0);
	for (size_t i = 0; i < 32; i++)
		mauth[i] = auth[i] ^ MASK;
	btpm_wipe(auth, sizeof(auth));
	btpm_store_token_free(&tok);
	/* the login, from a heap buffer that is wiped after */
	char *pin = malloc(plen);
	ck_assert_ptr_nonnull(pin);
	for (size_t i = 0; i < plen; i++)
		pin[i] = (char)(mpin[i] ^ MASK);
	/* the search finds what is there */
	ck_assert_uint_eq(scan_memory(mpin, plen, NEW_PIN, plen), (uintptr_t)pin);
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[4];
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(slot_of(TOKEN), CKF_SERIAL_SESSION, NULL, NULL, &s));
	P11_OK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, plen));
	btpm_wipe(pin, plen);
	free(pin);
	ck_assert_uint_ge(p11_find_class(s, CKO_PRIVATE_KEY, h, 4), 1);
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[64];
	CK_ULONG len = sizeof(sig);
	P11_OK(F->C_SignInit(s, &m, h[0]));
	P11_OK(F->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &len));
	/* logged in, the auth value is gone already (only W is kept) */
	uintptr_t a = scan_memory(mauth, 32, mauth, sizeof(mauth));
	ck_assert_msg(!a, "the PIN's auth value is in memory at %#lx while logged in",
		      (unsigned long)a);
	P11_OK(F->C_Logout(s));
	P11_OK(F->C_Finalize(NULL));
	/* the PIN literal is in this program's .rodata: skip that one copy */
	a = scan_memory(mpin, plen, NEW_PIN, plen);
	ck_assert_msg(!a, "a copy of the PIN is in memory at %#lx after C_Finalize",
		      (unsigned long)a);
	a = scan_memory(mauth, 32, mauth, sizeof(mauth));
	ck_assert_msg(!a, "the PIN's auth value is in memory at %#lx after C_Finalize",
		      (unsigned long)a);
}
END_TEST

/* ---- the store's permissions ---------------------------------------------------------------- */

START_TEST(store_permissions)
{
	struct stat st;
	char path[256];
	ck_assert_int_eq(stat(store, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/baretpm.conf", store);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	struct btpm_store_token tok;
	load_token(TOKEN, &tok);
	snprintf(path, sizeof(path), "%s/tokens/%s.token", store, tok.serial);
	btpm_store_token_free(&tok);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a store directory anyone may write to is refused: anyone could swap its files */
	const char *dirs[2] = {store, NULL};
	char tokens[160];
	snprintf(tokens, sizeof(tokens), "%s/tokens", store);
	dirs[1] = tokens;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(chmod(dirs[i], 0777), 0);
		int rc = sh("'%s' listtokens", btpm_test_cli());
		ck_assert_msg(rc == 1 && strstr(err, "writable"), "listtokens with %s 0777: exit %d\n%s",
			      dirs[i], rc, err);
		rc = sh("'%s' addkey --label=" TOKEN " --userpin=" NEW_PIN, btpm_test_cli());
		ck_assert_msg(rc == 1 && strstr(err, "writable"), "addkey with %s 0777: exit %d\n%s",
			      dirs[i], rc, err);
		/* the module lists no token from it, and says why */
		CK_ULONG n = 0;
		P11_OK(F->C_Initialize(NULL));
		CK_RV rv = F->C_GetSlotList(CK_TRUE, NULL, &n);
		ck_assert_msg((rv != CKR_OK || n == 1) && strstr(p11_why(), "writable"),
			      "C_GetSlotList with %s 0777: 0x%lx, %lu slots (%s)", dirs[i], rv, n,
			      p11_why());
		P11_OK(F->C_Finalize(NULL));
		ck_assert_int_eq(chmod(dirs[i], 0700), 0);
	}
	ck_assert_int_eq(sh("'%s' listtokens", btpm_test_cli()), 0);
	/* group-writable or sticky is the owner's business: only world-writable is refused */
}
END_TEST

/* ---- PKCS#11 API misuse ------------------------------------------------------------------- */

/*
 * Every function of the v3.0 list, called with well-formed arguments while
 * the module is not initialized: CKR_CRYPTOKI_NOT_INITIALIZED, or for the
 * functions the module does not offer, CKR_FUNCTION_NOT_SUPPORTED (legacy
 * C_GetFunctionStatus / C_CancelFunction: CKR_FUNCTION_NOT_PARALLEL).
 */
static void every_function_uninitialized(const char *when)
{
	CK_FUNCTION_LIST_3_0 *f = F3;
	CK_ULONG n = 4, n2 = 64;
	CK_SLOT_ID slot = 0;
	CK_SLOT_ID slots[4];
	CK_INFO info;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_INFO mi;
	CK_MECHANISM_TYPE mt[4];
	CK_SESSION_INFO ssi;
	CK_SESSION_HANDLE s = 1;
	CK_OBJECT_HANDLE o = 1, o2 = 1;
	CK_BYTE buf[64];
	CK_UTF8CHAR pin[] = "12345678", label[32];
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE a = {CKA_TOKEN, &yes, 1};
	memset(label, ' ', sizeof(label));
	struct {
		const char *name;
		CK_RV rv;
	} calls[] = {
#define C(name, ...) {#name, f->name(__VA_ARGS__)}
		C(C_GetInfo, &info),
		C(C_GetSlotList, CK_TRUE, slots, &n),
		C(C_GetSlotInfo, slot, &si),
		C(C_GetTokenInfo, slot, &ti),
		C(C_GetMechanismList, slot, mt, &n),
		C(C_GetMechanismInfo, slot, CKM_ECDSA, &mi),
		C(C_InitToken, slot, pin, 8, label),
		C(C_InitPIN, s, pin, 8),
		C(C_SetPIN, s, pin, 8, pin, 8),
		C(C_OpenSession, slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
		C(C_CloseSession, s),
		C(C_CloseAllSessions, slot),
		C(C_GetSessionInfo, s, &ssi),
		C(C_GetOperationState, s, buf, &n2),
		C(C_SetOperationState, s, buf, 4, 0, 0),
		C(C_Login, s, CKU_USER, pin, 8),
		C(C_Logout, s),
		C(C_CreateObject, s, &a, 1, &o),
		C(C_CopyObject, s, o, &a, 1, &o2),
		C(C_DestroyObject, s, o),
		C(C_GetObjectSize, s, o, &n2),
		C(C_GetAttributeValue, s, o, &a, 1),
		C(C_SetAttributeValue, s, o, &a, 1),
		C(C_FindObjectsInit, s, &a, 1),
		C(C_FindObjects, s, &o, 1, &n2),
		C(C_FindObjectsFinal, s),
		C(C_EncryptInit, s, &m, o),
		C(C_Encrypt, s, buf, 4, buf, &n2),
		C(C_EncryptUpdate, s, buf, 4, buf, &n2),
		C(C_EncryptFinal, s, buf, &n2),
		C(C_DecryptInit, s, &m, o),
		C(C_Decrypt, s, buf, 4, buf, &n2),
		C(C_DecryptUpdate, s, buf, 4, buf, &n2),
		C(C_DecryptFinal, s, buf, &n2),
		C(C_DigestInit, s, &m),
		C(C_Digest, s, buf, 4, buf, &n2),
		C(C_DigestUpdate, s, buf, 4),
		C(C_DigestKey, s, o),
		C(C_DigestFinal, s, buf, &n2),
		C(C_SignInit, s, &m, o),
		C(C_Sign, s, buf, 4, buf, &n2),
		C(C_SignUpdate, s, buf, 4),
		C(C_SignFinal, s, buf, &n2),
		C(C_SignRecoverInit, s, &m, o),
		C(C_SignRecover, s, buf, 4, buf, &n2),
		C(C_VerifyInit, s, &m, o),
		C(C_Verify, s, buf, 4, buf, 4),
		C(C_VerifyUpdate, s, buf, 4),
		C(C_VerifyFinal, s, buf, 4),
		C(C_VerifyRecoverInit, s, &m, o),
		C(C_VerifyRecover, s, buf, 4, buf, &n2),
		C(C_DigestEncryptUpdate, s, buf, 4, buf, &n2),
		C(C_DecryptDigestUpdate, s, buf, 4, buf, &n2),
		C(C_SignEncryptUpdate, s, buf, 4, buf, &n2),
		C(C_DecryptVerifyUpdate, s, buf, 4, buf, &n2),
		C(C_GenerateKey, s, &m, &a, 1, &o),
		C(C_GenerateKeyPair, s, &m, &a, 1, &a, 1, &o, &o2),
		C(C_WrapKey, s, &m, o, o, buf, &n2),
		C(C_UnwrapKey, s, &m, o, buf, 4, &a, 1, &o2),
		C(C_DeriveKey, s, &m, o, &a, 1, &o2),
		C(C_SeedRandom, s, buf, 4),
		C(C_GenerateRandom, s, buf, 4),
		C(C_GetFunctionStatus, s),
		C(C_CancelFunction, s),
		C(C_LoginUser, s, CKU_USER, pin, 8, pin, 4),
		C(C_SessionCancel, s, 0),
		C(C_MessageSignInit, s, &m, o),
		C(C_SignMessage, s, buf, 4, buf, 4, buf, &n2),
		C(C_MessageSignFinal, s),
		C(C_MessageEncryptInit, s, &m, o),
		C(C_MessageDecryptInit, s, &m, o),
		C(C_MessageVerifyInit, s, &m, o),
#undef C
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		CK_RV rv = calls[i].rv;
		ck_assert_msg(rv == CKR_CRYPTOKI_NOT_INITIALIZED || rv == CKR_FUNCTION_NOT_SUPPORTED ||
				      rv == CKR_FUNCTION_NOT_PARALLEL,
			      "%s %s: 0x%lx", calls[i].name, when, rv);
	}
	/* every function the module offers says so: NOT_SUPPORTED only for the stubs */
	static const char *const offered[] = {
		"C_GetInfo",      "C_GetSlotList",     "C_GetSlotInfo",    "C_GetTokenInfo",
		"C_InitToken",    "C_OpenSession",     "C_Login",          "C_Sign",
		"C_GenerateKeyPair", "C_GenerateRandom", "C_FindObjectsInit", "C_GetAttributeValue",
	};
	for (size_t k = 0; k < sizeof(offered) / sizeof(offered[0]); k++)
		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			if (!strcmp(calls[i].name, offered[k]))
				ck_assert_msg(calls[i].rv == CKR_CRYPTOKI_NOT_INITIALIZED, "%s %s: 0x%lx",
					      calls[i].name, when, calls[i].rv);
}

START_TEST(misuse_outside_initialize)
{
	every_function_uninitialized("before C_Initialize");
	P11_OK(F->C_Initialize(NULL));
	CK_SESSION_HANDLE s;
	P11_OK(F->C_OpenSession(slot_of(TOKEN), CKF_SERIAL_SESSION, NULL, NULL, &s));
	P11_OK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	P11_OK(F->C_Finalize(NULL));
	every_function_uninitialized("after C_Finalize");
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_Finalize(NULL));
	/* the module comes back, without the sessions of before */
	CK_SESSION_INFO si;
	P11_OK(F->C_Initialize(NULL));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(s, &si));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_Logout(s));
	P11_OK(F->C_OpenSession(slot_of(TOKEN), CKF_SERIAL_SESSION, NULL, NULL, &s));
	P11_OK(F->C_GetSessionInfo(s, &si));
	ck_assert_uint_eq(si.state, CKS_RO_PUBLIC_SESSION); /* the login did not survive */
	P11_OK(F->C_Finalize(NULL));
}
END_TEST

START_TEST(misuse_on_a_real_token)
{
	CK_SESSION_HANDLE ro, rw;
	CK_OBJECT_HANDLE h[4], pub[4];
	CK_BYTE sig[64];
	CK_ULONG len = sizeof(sig);
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID slot = slot_of(TOKEN);
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw));
	ck_assert_uint_eq(p11_find_class(ro, CKO_PUBLIC_KEY, pub, 4), 1);
	/* not logged in: the private key is not there; signing with the public one is refused */
	ck_assert_uint_eq(p11_find_class(ro, CKO_PRIVATE_KEY, h, 4), 0);
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, F->C_SignInit(ro, &m, pub[0]));
	/* NULL pointers with a TPM behind */
	RV(CKR_ARGUMENTS_BAD, F->C_Login(ro, CKU_USER, NULL, 8));
	RV(CKR_ARGUMENTS_BAD, F->C_SetPIN(rw, NULL, 4, (CK_UTF8CHAR_PTR) "abcd", 4));
	RV(CKR_ARGUMENTS_BAD, F->C_SetPIN(rw, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN), NULL, 4));
	P11_OK(F->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	ck_assert_uint_eq(p11_find_class(ro, CKO_PRIVATE_KEY, h, 4), 1);
	P11_OK(F->C_SignInit(ro, &m, h[0]));
	RV(CKR_ARGUMENTS_BAD, F->C_Sign(ro, (CK_BYTE_PTR) "x", 1, sig, NULL));
	P11_OK(F->C_SignInit(ro, &m, h[0]));
	RV(CKR_ARGUMENTS_BAD, F->C_Sign(ro, NULL, 5, sig, &len));
	P11_OK(F->C_SignInit(ro, &m, h[0]));
	P11_OK(F->C_SignUpdate(ro, (CK_BYTE_PTR) "x", 1));
	RV(CKR_ARGUMENTS_BAD, F->C_SignFinal(ro, sig, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GetTokenInfo(slot, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GenerateRandom(ro, NULL, 16));
	/* wrong states */
	RV(CKR_USER_ALREADY_LOGGED_IN, F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN,
						  strlen(NEW_PIN)));
	RV(CKR_USER_NOT_LOGGED_IN, F->C_InitPIN(rw, (CK_UTF8CHAR_PTR) "abcdef", 6));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Login(rw, CKU_CONTEXT_SPECIFIC,
						     (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	RV(CKR_SESSION_EXISTS, F->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN),
					      (CK_UTF8CHAR_PTR) "                                "));
	/* an operation started, then the user logs out: the key is out of reach */
	P11_OK(F->C_SignInit(rw, &m, h[0]));
	P11_OK(F->C_Logout(ro));
	len = sizeof(sig);
	CK_RV rv = F->C_Sign(rw, (CK_BYTE_PTR) "x", 1, sig, &len);
	ck_assert_msg(rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_KEY_HANDLE_INVALID ||
			      rv == CKR_OPERATION_NOT_INITIALIZED,
		      "C_Sign after C_Logout: 0x%lx", rv);
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_DestroyObject(rw, h[0]));
	/* handles of closed sessions, of objects of no token, of another slot */
	P11_OK(F->C_CloseSession(ro));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_SignInit(ro, &m, h[0]));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN,
						  strlen(NEW_PIN)));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_GenerateRandom(ro, sig, 4));
	RV(CKR_KEY_HANDLE_INVALID, F->C_SignInit(rw, &m, (CK_OBJECT_HANDLE)0x7FF00001));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_GetAttributeValue(rw, CK_INVALID_HANDLE, NULL, 0));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_CloseSession(CK_INVALID_HANDLE));
	/* the token works after all that */
	P11_OK(F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)NEW_PIN, strlen(NEW_PIN)));
	len = sizeof(sig);
	P11_OK(F->C_SignInit(rw, &m, h[0]));
	P11_OK(F->C_Sign(rw, (CK_BYTE_PTR) "x", 1, sig, &len));
	P11_OK(F->C_Finalize(NULL));
}
END_TEST

int main(void)
{
	p11_load();
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("swtpm");
	tcase_add_unchecked_fixture(tc, suite_up, suite_down);
	tcase_add_checked_fixture(tc, test_up, test_down);
	tcase_set_timeout(tc, 240);
	/* in order: the first test makes the token the others use */
	tcase_add_test(tc, capture_admin_and_logins);
	tcase_add_test(tc, wrong_pins_lock_then_dareset);
	tcase_add_test(tc, pin_wiped_from_memory);
	tcase_add_test(tc, store_permissions);
	tcase_add_test(tc, misuse_outside_initialize);
	tcase_add_test(tc, misuse_on_a_real_token);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
