/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PKCS#11 module against a real swtpm, through its function lists only:
 * C_InitToken on the empty slot (which also sets up a fresh store), SO and
 * user login, C_InitPIN, key generation on P-256 and P-384, every signing
 * mechanism checked by C_Verify and by an independent verifier, object
 * visibility, the C_GetAttributeValue rules on TPM keys, the TPM command
 * budget, wrong PINs and lockout, C_SetPIN, certificates and data objects in
 * the token, key destruction, fork, re-initialization, and after every test
 * a TPM without a transient object or session left behind.
 *
 * The tests build on each other in order (one token store for the suite);
 * each runs in its own process, so each starts with C_Initialize.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "btpm_spki.h"
#include "harness.h"
#include "p11_test.h"

static struct btpm_test_sim sim;
static char base[64];

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const CK_BYTE name_p384[] = "\x13\x09secp384r1";

#define USER_PIN "1234"
#define SO_PIN "5678"

/* ---- the TPM seen from outside the module --------------------------------------------- */

static struct btpm *tpm_open(void)
{
	struct btpm *t;
	char err[256];
	int rc = btpm_open(&t, sim.tcti, err, sizeof(err));
	ck_assert_msg(rc == 0, "btpm_open %s: %s", sim.tcti, err);
	return t;
}

/* Transient objects and loaded sessions the TPM holds. */
static unsigned tpm_count(uint32_t range)
{
	static struct btpm_capdata d;
	struct btpm *t = tpm_open();
	int rc = btpm_get_capability_all(t, BTPM_CAP_HANDLES, range, range + 0xFFFFFF, &d);
	btpm_close(t);
	ck_assert_int_eq(rc, 0);
	return d.count;
}

static void assert_tpm_clean(void)
{
	ck_assert_uint_eq(tpm_count(BTPM_HR_TRANSIENT), 0);
	ck_assert_uint_eq(tpm_count(BTPM_HR_HMAC_SESSION), 0);
	ck_assert_uint_eq(tpm_count(BTPM_HR_POLICY_SESSION), 0);
}

/* Dictionary-attack parameters (lockout auth is empty on a fresh swtpm), counter to 0. */
static void tpm_da(uint32_t max_tries)
{
	struct btpm_session pw;
	struct btpm_entity lockout;
	struct btpm *t = tpm_open();
	btpm_session_password(&pw);
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	ck_assert_int_eq(btpm_da_parameters(t, &pw, &lockout, max_tries, 1000, 1000), 0);
	ck_assert_int_eq(btpm_da_lock_reset(t, &pw, &lockout), 0);
	btpm_close(t);
}

static void suite_up(void)
{
	if (btpm_test_sim_start(&sim, NULL))
		ck_abort_msg("cannot start swtpm");
	snprintf(base, sizeof(base), "/tmp/btpm-p11tpm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	char store[128];
	snprintf(store, sizeof(store), "%s/store", base); /* does not exist yet */
	setenv("BARETPM_STORE", store, 1);
	setenv("BARETPM_TCTI", sim.tcti, 1);
	tpm_da(4);
}

static void suite_down(void)
{
	btpm_test_sim_stop(&sim);
	btpm_test_rmtree(base, 30);
}

/* Before and after each test: whatever a failed test left is flushed. */
static void tpm_flush_all(void)
{
	static struct btpm_capdata d;
	static const uint32_t ranges[] = {BTPM_HR_TRANSIENT, BTPM_HR_HMAC_SESSION,
					  BTPM_HR_POLICY_SESSION};
	struct btpm *t = tpm_open();
	for (size_t i = 0; i < 3; i++)
		if (!btpm_get_capability_all(t, BTPM_CAP_HANDLES, ranges[i], ranges[i] + 0xFFFFFF,
					     &d))
			for (uint32_t j = 0; j < d.count; j++)
				btpm_flush_context(t, d.u.handles[j]);
	btpm_close(t);
}

static void test_down(void)
{
	F->C_Finalize(NULL);
	tpm_flush_all();
}

/* ---- module helpers --------------------------------------------------------------------- */

static CK_SLOT_ID slot_of(const char *label)
{
	CK_SLOT_ID slots[8];
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR want[32];
	p11_label(want, label);
	CK_ULONG n = p11_slots(slots, 8);
	for (CK_ULONG i = 0; i < n; i++) {
		if (F->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue; /* a broken token is not the one we look for */
		if ((ti.flags & CKF_TOKEN_INITIALIZED) && !memcmp(ti.label, want, 32))
			return slots[i];
	}
	ck_abort_msg("no token labelled %s", label);
	return 0;
}

static CK_SLOT_ID empty_slot(void)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = p11_slots(slots, 8);
	return slots[n - 1]; /* always last */
}

static CK_SESSION_HANDLE open_rw(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	P11_OK(F->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	return s;
}

static void login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	P11_OK(F->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &cls, sizeof(cls)),
			    ATTR(CKA_LABEL, label, strlen(label))};
	CK_OBJECT_HANDLE h[4];
	ck_assert_uint_eq(p11_find(s, t, 2, h, 4), 1);
	return h[0];
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;
	P11_OK(F->C_GetTokenInfo(slot, &ti));
	return ti.flags;
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(init_token_and_pins)
{
	CK_UTF8CHAR label[32];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE ro, rw, x;
	CK_SESSION_INFO si;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID slots[4];
	ck_assert_uint_eq(p11_slots(slots, 4), 1);
	CK_SLOT_ID e = slots[0];
	p11_label(label, "ssh");
	RV(CKR_PIN_LEN_RANGE, F->C_InitToken(e, (CK_UTF8CHAR_PTR) "56", 2, label));
	/* the store does not exist: C_InitToken sets it up as 'baretpm init' would */
	P11_OK(F->C_InitToken(e, (CK_UTF8CHAR_PTR)SO_PIN, 4, label));
	ck_assert_uint_eq(p11_slots(slots, 4), 2);
	ck_assert_uint_eq(slots[1], e); /* the empty slot stays, and stays last */
	CK_SLOT_ID tok = slot_of("ssh");
	P11_OK(F->C_GetTokenInfo(tok, &ti));
	ck_assert_uint_eq(ti.flags & (CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG),
			  CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG);
	ck_assert_uint_eq(ti.flags & CKF_USER_PIN_INITIALIZED, 0);
	ck_assert_uint_eq(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_LOCKED), 0);
	for (int i = 0; i < 16; i++)
		ck_assert(strchr("0123456789abcdef", ti.serialNumber[i]));
	ck_assert_mem_eq(ti.manufacturerID, "baretpm ", 8);
	P11_OK(F->C_GetTokenInfo(e, &ti));
	ck_assert_uint_eq(ti.flags & CKF_TOKEN_INITIALIZED, 0);
	/* SO and read-only sessions do not mix */
	P11_OK(F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	rw = open_rw(tok);
	RV(CKR_USER_PIN_NOT_INITIALIZED, F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	RV(CKR_SESSION_READ_ONLY_EXISTS, F->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 4));
	P11_OK(F->C_CloseSession(ro));
	login(rw, CKU_SO, SO_PIN);
	P11_OK(F->C_GetSessionInfo(rw, &si));
	ck_assert_uint_eq(si.state, CKS_RW_SO_FUNCTIONS);
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS, F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &x));
	RV(CKR_USER_ALREADY_LOGGED_IN, F->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 4));
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)"x", 1));
	RV(CKR_PIN_LEN_RANGE, F->C_InitPIN(rw, (CK_UTF8CHAR_PTR) "12", 2));
	RV(CKR_PIN_INVALID, F->C_InitPIN(rw, (CK_UTF8CHAR_PTR) "12\0004", 4));
	P11_OK(F->C_InitPIN(rw, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	ck_assert(token_flags(tok) & CKF_USER_PIN_INITIALIZED);
	P11_OK(F->C_Logout(rw));
	RV(CKR_USER_NOT_LOGGED_IN, F->C_Logout(rw));
	RV(CKR_PIN_INCORRECT, F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR) "123", 3));
	login(rw, CKU_USER, USER_PIN);
	P11_OK(F->C_GetSessionInfo(rw, &si));
	ck_assert_uint_eq(si.state, CKS_RW_USER_FUNCTIONS);
	/* the user's login is the token's: a new session starts logged in */
	P11_OK(F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	P11_OK(F->C_GetSessionInfo(ro, &si));
	ck_assert_uint_eq(si.state, CKS_RO_USER_FUNCTIONS);
	CK_BYTE a[100], b[100];
	P11_OK(F->C_GenerateRandom(ro, a, sizeof(a)));
	P11_OK(F->C_GenerateRandom(ro, b, sizeof(b)));
	ck_assert_mem_ne(a, b, sizeof(a));
	/* closing the last session logs out */
	P11_OK(F->C_CloseSession(ro));
	P11_OK(F->C_CloseSession(rw));
	rw = open_rw(tok);
	P11_OK(F->C_GetSessionInfo(rw, &si));
	ck_assert_uint_eq(si.state, CKS_RW_PUBLIC_SESSION);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

static void keygen(CK_SESSION_HANDLE s, const CK_BYTE *params, size_t plen, const char *label,
		   const CK_BYTE *id, size_t idlen, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_OBJECT_CLASS pc = CKO_PUBLIC_KEY, kc = CKO_PRIVATE_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {
		ATTR(CKA_CLASS, &pc, sizeof(pc)),       ATTR(CKA_KEY_TYPE, &ec, sizeof(ec)),
		ATTR(CKA_TOKEN, &yes, 1),               ATTR(CKA_VERIFY, &yes, 1),
		ATTR(CKA_EC_PARAMS, params, plen),      ATTR(CKA_LABEL, label, strlen(label)),
		ATTR(CKA_ID, id, idlen),
	};
	CK_ATTRIBUTE kt[] = {
		ATTR(CKA_CLASS, &kc, sizeof(kc)),  ATTR(CKA_KEY_TYPE, &ec, sizeof(ec)),
		ATTR(CKA_TOKEN, &yes, 1),          ATTR(CKA_PRIVATE, &yes, 1),
		ATTR(CKA_SENSITIVE, &yes, 1),      ATTR(CKA_SIGN, &yes, 1),
		ATTR(CKA_EXTRACTABLE, &no, 1),
	};
	P11_OK(F->C_GenerateKeyPair(s, &m, pt, id ? 7 : 6, kt, 7, pub, priv));
}

/* The point of a public key object, and its curve. */
static size_t key_point(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_BYTE *x, CK_BYTE *y,
			uint16_t *curve)
{
	CK_BYTE pt[128];
	CK_ULONG n = p11_get(s, pub, CKA_EC_POINT, pt, sizeof(pt));
	ck_assert_msg(n == 67 || n == 99, "CKA_EC_POINT of %lu bytes", n);
	size_t coord = (n - 3) / 2;
	ck_assert_uint_eq(pt[0], 0x04); /* DER OCTET STRING */
	ck_assert_uint_eq(pt[1], n - 2);
	ck_assert_uint_eq(pt[2], 0x04); /* uncompressed */
	memcpy(x, pt + 3, coord);
	memcpy(y, pt + 3 + coord, coord);
	*curve = coord == 32 ? BTPM_ECC_NIST_P256 : BTPM_ECC_NIST_P384;
	return coord;
}

/*
 * Sign data with mech, check the length query semantics, verify with
 * C_Verify and with btpm_ecdsa_verify over the digest a standard verifier
 * would compute. Returns the signature length.
 */
static void sign_and_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
			   CK_MECHANISM_TYPE mech, const CK_BYTE *data, size_t len)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_BYTE sig[96], x[48], y[48], dg[64];
	uint16_t curve;
	size_t coord = key_point(s, pub, x, y, &curve);
	CK_ULONG n = 0;
	P11_OK(F->C_SignInit(s, &m, priv));
	RV(CKR_OPERATION_ACTIVE, F->C_SignInit(s, &m, priv));
	P11_OK(F->C_SignInit(s, NULL, 0)); /* v3.0 5.11: no mechanism ends it */
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, (CK_BYTE_PTR)data, len, NULL, &n));
	P11_OK(F->C_SignInit(s, &m, priv));
	P11_OK(F->C_Sign(s, (CK_BYTE_PTR)data, len, NULL, &n));
	ck_assert_uint_eq(n, 2 * coord);
	n = 2 * coord - 1;
	RV(CKR_BUFFER_TOO_SMALL, F->C_Sign(s, (CK_BYTE_PTR)data, len, sig, &n));
	ck_assert_uint_eq(n, 2 * coord);
	n = sizeof(sig);
	P11_OK(F->C_Sign(s, (CK_BYTE_PTR)data, len, sig, &n));
	ck_assert_uint_eq(n, 2 * coord);
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, (CK_BYTE_PTR)data, len, sig, &n));
	P11_OK(F->C_VerifyInit(s, &m, pub));
	P11_OK(F->C_Verify(s, (CK_BYTE_PTR)data, len, sig, n));
	/* independently: the digest (or the raw input), and ECDSA as FIPS 186-4 defines it */
	uint16_t alg = mech == CKM_ECDSA_SHA1     ? BTPM_ALG_SHA1
		       : mech == CKM_ECDSA_SHA256 ? BTPM_ALG_SHA256
		       : mech == CKM_ECDSA_SHA384 ? BTPM_ALG_SHA384
		       : mech == CKM_ECDSA_SHA512 ? BTPM_ALG_SHA512
						  : 0;
	const CK_BYTE *e = data;
	size_t elen = len > 64 ? coord : len; /* the leftmost bits are all ECDSA uses */
	if (alg) {
		ck_assert_int_eq(btpm_hash(alg, data, len, dg), 0);
		e = dg;
		elen = (size_t)btpm_hash_size(alg);
	}
	ck_assert_int_eq(btpm_ecdsa_verify(curve, x, y, coord, e, elen, sig, coord, sig + coord,
					   coord),
			 0);
	sig[5] ^= 1;
	P11_OK(F->C_VerifyInit(s, &m, pub));
	RV(CKR_SIGNATURE_INVALID, F->C_Verify(s, (CK_BYTE_PTR)data, len, sig, n));
}

START_TEST(keys_and_signatures)
{
	CK_OBJECT_HANDLE pub256, priv256, pub384, priv384;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE s = open_rw(tok);
	login(s, CKU_USER, USER_PIN);
	keygen(s, oid_p256, sizeof(oid_p256), "k256", (const CK_BYTE *)"\x01", 1, &pub256,
	       &priv256);
	keygen(s, name_p384, sizeof(name_p384) - 1, "k384", NULL, 0, &pub384, &priv384);
	/* what the store keeps, and what a TPM key is by construction */
	CK_BYTE buf[256], x[48], y[48], id[20];
	ck_assert_uint_eq(p11_get(s, pub256, CKA_EC_PARAMS, buf, sizeof(buf)), sizeof(oid_p256));
	ck_assert_mem_eq(buf, oid_p256, sizeof(oid_p256));
	ck_assert_uint_eq(p11_get(s, priv256, CKA_ID, buf, sizeof(buf)), 1);
	ck_assert_uint_eq(buf[0], 1);
	ck_assert_uint_eq(p11_get(s, priv256, CKA_LABEL, buf, sizeof(buf)), 4);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_SENSITIVE), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_ALWAYS_SENSITIVE), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_NEVER_EXTRACTABLE), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_EXTRACTABLE), CK_FALSE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_SIGN), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_DECRYPT), CK_FALSE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_DERIVE), CK_FALSE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_LOCAL), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_PRIVATE), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_TOKEN), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, priv256, CKA_ALWAYS_AUTHENTICATE), CK_FALSE);
	ck_assert_uint_eq(p11_get_ulong(s, priv256, CKA_KEY_GEN_MECHANISM), CKM_EC_KEY_PAIR_GEN);
	ck_assert_uint_eq(p11_get_ulong(s, priv256, CKA_KEY_TYPE), CKK_EC);
	ck_assert_uint_eq(p11_get(s, priv256, CKA_ALLOWED_MECHANISMS, buf, sizeof(buf)),
			  5 * sizeof(CK_MECHANISM_TYPE));
	ck_assert_uint_eq(p11_get_bool(s, pub256, CKA_PRIVATE), CK_FALSE);
	ck_assert_uint_eq(p11_get_bool(s, pub256, CKA_VERIFY), CK_TRUE);
	ck_assert_uint_eq(p11_get_bool(s, pub256, CKA_LOCAL), CK_TRUE);
	/* CKA_PUBLIC_KEY_INFO is the SPKI of the point */
	uint16_t curve;
	size_t coord = key_point(s, pub256, x, y, &curve);
	CK_BYTE spki[128];
	size_t spki_len = 0;
	ck_assert_int_eq(btpm_ecc_spki_der(curve, x, y, coord, spki, sizeof(spki), &spki_len), 0);
	ck_assert_uint_eq(p11_get(s, pub256, CKA_PUBLIC_KEY_INFO, buf, sizeof(buf)), spki_len);
	ck_assert_mem_eq(buf, spki, spki_len);
	/* P-384 by curve name, no CKA_ID given: SHA-1 of the point on both halves */
	coord = key_point(s, pub384, x, y, &curve);
	ck_assert_uint_eq(curve, BTPM_ECC_NIST_P384);
	ck_assert_uint_eq(p11_get(s, pub384, CKA_EC_PARAMS, buf, sizeof(buf)), 7); /* the OID */
	buf[0] = 0x04;
	memcpy(buf + 1, x, coord);
	memcpy(buf + 1 + coord, y, coord);
	ck_assert_int_eq(btpm_hash(BTPM_ALG_SHA1, buf, 1 + 2 * coord, id), 0);
	ck_assert_uint_eq(p11_get(s, priv384, CKA_ID, buf, sizeof(buf)), 20);
	ck_assert_mem_eq(buf, id, 20);
	ck_assert_uint_eq(p11_get(s, pub384, CKA_ID, buf, sizeof(buf)), 20);
	ck_assert_mem_eq(buf, id, 20);
	ck_assert_uint_eq(p11_get(s, priv384, CKA_LABEL, buf, sizeof(buf)), 4);
	/* every mechanism on both curves */
	static const CK_BYTE msg[] = "ssh signs session identifiers, not messages";
	static const CK_MECHANISM_TYPE hashing[] = {CKM_ECDSA_SHA1, CKM_ECDSA_SHA256,
						    CKM_ECDSA_SHA384, CKM_ECDSA_SHA512};
	static const size_t raw_lens[] = {20, 32, 48, 64, 17, 100};
	CK_BYTE raw[100];
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (CK_BYTE)(i * 37 + 11);
	for (int k = 0; k < 2; k++) {
		CK_OBJECT_HANDLE priv = k ? priv384 : priv256, pub = k ? pub384 : pub256;
		for (size_t i = 0; i < 4; i++)
			sign_and_check(s, priv, pub, hashing[i], msg, sizeof(msg) - 1);
		for (size_t i = 0; i < sizeof(raw_lens) / sizeof(raw_lens[0]); i++)
			sign_and_check(s, priv, pub, CKM_ECDSA, raw, raw_lens[i]);
	}
	/* multi-part signing verifies like single-part */
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[96];
	CK_ULONG n = 0;
	P11_OK(F->C_SignInit(s, &m, priv256));
	P11_OK(F->C_SignUpdate(s, (CK_BYTE_PTR)msg, 10));
	P11_OK(F->C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, sizeof(msg) - 11));
	RV(CKR_OPERATION_ACTIVE, F->C_Sign(s, (CK_BYTE_PTR)msg, 3, sig, &n));
	P11_OK(F->C_SignFinal(s, NULL, &n));
	ck_assert_uint_eq(n, 64);
	P11_OK(F->C_SignFinal(s, sig, &n));
	P11_OK(F->C_VerifyInit(s, &m, pub256));
	P11_OK(F->C_Verify(s, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, n));
	/* single-part mechanism, wrong keys, wrong mechanisms */
	m.mechanism = CKM_ECDSA;
	P11_OK(F->C_SignInit(s, &m, priv256));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_SignUpdate(s, raw, 32));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, raw, 32, sig, &n));
	P11_OK(F->C_SignInit(s, &m, priv256));
	RV(CKR_DATA_LEN_RANGE, F->C_Sign(s, raw, 0, sig, &n));
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, F->C_SignInit(s, &m, pub256));
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, F->C_VerifyInit(s, &m, priv256));
	RV(CKR_KEY_HANDLE_INVALID, F->C_SignInit(s, &m, priv256 + 1000));
	CK_MECHANISM bad = {CKM_SHA256, NULL, 0}, param = {CKM_ECDSA, raw, 4};
	RV(CKR_MECHANISM_INVALID, F->C_SignInit(s, &bad, priv256));
	RV(CKR_MECHANISM_PARAM_INVALID, F->C_SignInit(s, &param, priv256));
	/* templates the TPM cannot honour are refused before it is asked */
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_CLASS kc = CKO_PRIVATE_KEY;
	CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {ATTR(CKA_EC_PARAMS, oid_p256, sizeof(oid_p256))};
	CK_ATTRIBUTE ext[] = {ATTR(CKA_EXTRACTABLE, &yes, 1)};
	CK_ATTRIBUTE dec[] = {ATTR(CKA_DECRYPT, &yes, 1)};
	CK_ATTRIBUTE cls[] = {ATTR(CKA_CLASS, &kc, sizeof(kc))};
	CK_ATTRIBUTE loc[] = {ATTR(CKA_LOCAL, &yes, 1), ATTR(CKA_NEVER_EXTRACTABLE, &yes, 1)};
	CK_ATTRIBUTE val[] = {ATTR(CKA_VALUE, "k", 1)};
	CK_OBJECT_HANDLE a, b;
	unsigned long before = D->commands_sent();
	RV(CKR_TEMPLATE_INCOMPLETE, F->C_GenerateKeyPair(s, &kg, NULL, 0, NULL, 0, &a, &b));
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_GenerateKeyPair(s, &kg, pt, 1, ext, 1, &a, &b));
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_GenerateKeyPair(s, &kg, pt, 1, dec, 1, &a, &b));
	RV(CKR_TEMPLATE_INCONSISTENT, F->C_GenerateKeyPair(s, &kg, cls, 1, pt, 1, &a, &b));
	RV(CKR_ATTRIBUTE_READ_ONLY, F->C_GenerateKeyPair(s, &kg, pt, 1, val, 1, &a, &b));
	P11_OK(F->C_GenerateKeyPair(s, &kg, pt, 1, loc, 2, &a, &b)); /* what it is anyway: fine */
	ck_assert_uint_ge(D->commands_sent() - before, 1);
	P11_OK(F->C_DestroyObject(s, a));
	P11_OK(F->C_DestroyObject(s, b));
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(visibility_and_attribute_rules)
{
	CK_OBJECT_HANDLE h[8];
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE ro, s = open_rw(tok);
	P11_OK(F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	/* public: the public keys; the private keys are not there at all */
	ck_assert_uint_eq(p11_find_class(s, CKO_PRIVATE_KEY, h, 8), 0);
	ck_assert_uint_eq(p11_find_class(s, CKO_PUBLIC_KEY, h, 8), 2);
	ck_assert_uint_eq(p11_find(s, NULL, 0, h, 8), 2);
	login(s, CKU_USER, USER_PIN);
	ck_assert_uint_eq(p11_find(s, NULL, 0, h, 8), 4);
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, "k256");
	/* v2.40 5.7 on a TPM key: sensitive wins over invalid, which wins over too small */
	CK_BYTE v[64], lab[2], sg[1];
	CK_ATTRIBUTE q[] = {
		ATTR(CKA_LABEL, lab, sizeof(lab)), /* 4 bytes: too small */
		ATTR(CKA_VALUE, v, sizeof(v)),     /* the private scalar: sensitive */
		ATTR(CKA_MODULUS, v, sizeof(v)),   /* not an EC key's */
		ATTR(CKA_ID, NULL, 0),             /* length only */
		ATTR(CKA_SIGN, sg, 1),             /* fine */
	};
	RV(CKR_ATTRIBUTE_SENSITIVE, F->C_GetAttributeValue(s, priv, q, 5));
	ck_assert_uint_eq(q[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[3].ulValueLen, 1);
	ck_assert_uint_eq(q[4].ulValueLen, 1);
	ck_assert_uint_eq(sg[0], CK_TRUE);
	q[0].ulValueLen = sizeof(lab);
	RV(CKR_ATTRIBUTE_TYPE_INVALID, F->C_GetAttributeValue(s, priv, q + 2, 3));
	RV(CKR_BUFFER_TOO_SMALL, F->C_GetAttributeValue(s, priv, q, 1));
	/* names change and stay changed; nothing else changes */
	CK_ATTRIBUTE rename = ATTR(CKA_LABEL, "k256-renamed", 12), back = ATTR(CKA_LABEL, "k256", 4);
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE nosign = ATTR(CKA_SIGN, &no, 1);
	P11_OK(F->C_SetAttributeValue(s, priv, &rename, 1));
	RV(CKR_ATTRIBUTE_READ_ONLY, F->C_SetAttributeValue(s, priv, &nosign, 1));
	RV(CKR_SESSION_READ_ONLY, F->C_DestroyObject(ro, priv));
	RV(CKR_SESSION_READ_ONLY, F->C_SetAttributeValue(ro, priv, &back, 1));
	P11_OK(F->C_Logout(s));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_GetAttributeValue(s, priv, q + 3, 1));
	ck_assert_uint_eq(p11_find_class(s, CKO_PRIVATE_KEY, h, 8), 0);
	P11_OK(F->C_Finalize(NULL));
	P11_OK(F->C_Initialize(NULL));
	s = open_rw(tok);
	login(s, CKU_USER, USER_PIN);
	priv = find_one(s, CKO_PRIVATE_KEY, "k256-renamed");
	P11_OK(F->C_SetAttributeValue(s, priv, &back, 1));
	find_one(s, CKO_PRIVATE_KEY, "k256");
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(command_budget)
{
	CK_SLOT_ID slots[4];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[8];
	CK_BYTE buf[3][128];
	unsigned long c0 = D->commands_sent();
	/* what ssh-keygen -D does: at most one command (the PIN flags) */
	P11_OK(F->C_Initialize(NULL));
	CK_ULONG n = p11_slots(slots, 4);
	for (CK_ULONG i = 0; i < n; i++)
		P11_OK(F->C_GetTokenInfo(slots[i], &ti));
	P11_OK(F->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s));
	ck_assert_uint_eq(p11_find_class(s, CKO_PUBLIC_KEY, h, 8), 2);
	for (int k = 0; k < 2; k++) {
		CK_ATTRIBUTE q[] = {ATTR(CKA_ID, buf[0], 128), ATTR(CKA_EC_POINT, buf[1], 128),
				    ATTR(CKA_EC_PARAMS, buf[2], 128)};
		P11_OK(F->C_GetAttributeValue(s, h[k], q, 3));
	}
	unsigned long c1 = D->commands_sent();
	ck_assert_uint_le(c1 - c0, 1);
	/* C_Login: StartAuthSession, Load, Unseal, FlushContext */
	login(s, CKU_USER, USER_PIN);
	unsigned long c2 = D->commands_sent();
	ck_assert_uint_le(c2 - c1, 4);
	/* the first signature loads the key; after that, one command each */
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, "k256");
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_BYTE dg[32] = {1}, sig[64];
	CK_ULONG len = sizeof(sig);
	P11_OK(F->C_SignInit(s, &m, priv));
	P11_OK(F->C_Sign(s, dg, 32, sig, &len));
	unsigned long c3 = D->commands_sent();
	ck_assert_uint_le(c3 - c2, 2);
	for (int i = 0; i < 3; i++) {
		unsigned long before = D->commands_sent();
		len = sizeof(sig);
		P11_OK(F->C_SignInit(s, &m, priv));
		P11_OK(F->C_Sign(s, dg, 32, sig, &len));
		ck_assert_uint_eq(D->commands_sent() - before, 1);
	}
	/* the whole ssh login: listing, login, one signature */
	ck_assert_uint_le(c3 - c0, 8);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(wrong_pin_counts_and_locks)
{
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE s = open_rw(tok);
	const CK_FLAGS low = CKF_USER_PIN_COUNT_LOW | CKF_SO_PIN_COUNT_LOW;
	const CK_FLAGS final = CKF_USER_PIN_FINAL_TRY | CKF_SO_PIN_FINAL_TRY;
	const CK_FLAGS locked = CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED;
	ck_assert_uint_eq(token_flags(tok) & (low | final | locked), 0);
	/* a PIN of the wrong length is refused without asking the TPM (and is not counted) */
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "99", 2));
	ck_assert_uint_eq(token_flags(tok) & low, 0);
	/* max_tries is 4 in this suite */
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4));
	ck_assert_uint_eq(token_flags(tok) & (low | final | locked), low);
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR) "0000", 4));
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4));
	ck_assert_uint_eq(token_flags(tok) & (low | final | locked), low | final);
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4));
	ck_assert(token_flags(tok) & locked);
	/* locked out: even the right PIN is refused, unchecked */
	RV(CKR_PIN_LOCKED, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	tpm_da(4); /* the owner of the lockout hierarchy resets the counter */
	login(s, CKU_USER, USER_PIN);
	ck_assert_uint_eq(token_flags(tok) & (low | final | locked), 0);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(set_pin)
{
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE ro, s = open_rw(tok);
	P11_OK(F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	RV(CKR_SESSION_READ_ONLY,
	   F->C_SetPIN(ro, (CK_UTF8CHAR_PTR)USER_PIN, 4, (CK_UTF8CHAR_PTR) "4321", 4));
	P11_OK(F->C_CloseSession(ro));
	/* a public R/W session changes the user's PIN (v2.40 5.6) */
	RV(CKR_PIN_INCORRECT, F->C_SetPIN(s, (CK_UTF8CHAR_PTR) "9999", 4, (CK_UTF8CHAR_PTR) "4321", 4));
	RV(CKR_PIN_LEN_RANGE, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4, (CK_UTF8CHAR_PTR) "43", 2));
	P11_OK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4, (CK_UTF8CHAR_PTR) "4321", 4));
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	login(s, CKU_USER, "4321");
	/* logged in: the user's own PIN, back to what it was */
	P11_OK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR) "4321", 4, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	/* keys still sign: changing a PIN does not touch them */
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, "k256");
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[64];
	CK_ULONG n = sizeof(sig);
	P11_OK(F->C_SignInit(s, &m, priv));
	P11_OK(F->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &n));
	P11_OK(F->C_Logout(s));
	/* the SO's PIN, by the SO */
	login(s, CKU_SO, SO_PIN);
	P11_OK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)SO_PIN, 4, (CK_UTF8CHAR_PTR) "8765", 4));
	P11_OK(F->C_Logout(s));
	RV(CKR_PIN_INCORRECT, F->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 4));
	login(s, CKU_SO, "8765");
	P11_OK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR) "8765", 4, (CK_UTF8CHAR_PTR)SO_PIN, 4));
	P11_OK(F->C_Logout(s));
	login(s, CKU_USER, USER_PIN);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
	tpm_da(4);
}
END_TEST

START_TEST(certificates_and_data_in_the_token)
{
	CK_OBJECT_CLASS cert = CKO_CERTIFICATE, data = CKO_DATA;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE der[1200], buf[1300];
	CK_OBJECT_HANDLE c, d, h[8];
	memset(der, 0xA5, sizeof(der));
	der[0] = 0x30;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE ro, s = open_rw(tok); /* public objects need no login */
	P11_OK(F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	CK_ATTRIBUTE ct[] = {
		ATTR(CKA_CLASS, &cert, sizeof(cert)),   ATTR(CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)),
		ATTR(CKA_TOKEN, &yes, 1),               ATTR(CKA_VALUE, der, sizeof(der)),
		ATTR(CKA_SUBJECT, "\x30\x00", 2),       ATTR(CKA_ID, "\x01", 1),
		ATTR(CKA_LABEL, "k256", 4),             ATTR(CKA_ISSUER, "\x30\x00", 2),
		ATTR(CKA_SERIAL_NUMBER, "\x02\x01\x05", 3),
	};
	CK_ATTRIBUTE dt[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_TOKEN, &yes, 1),
			     ATTR(CKA_APPLICATION, "baretpm-test", 12), ATTR(CKA_VALUE, "hello", 5),
			     ATTR(CKA_LABEL, "note", 4)};
	RV(CKR_SESSION_READ_ONLY, F->C_CreateObject(ro, ct, 9, &c));
	P11_OK(F->C_CreateObject(s, ct, 9, &c));
	P11_OK(F->C_CreateObject(s, dt, 5, &d));
	RV(CKR_SESSION_READ_ONLY, F->C_DestroyObject(ro, c));
	P11_OK(F->C_Finalize(NULL));
	/* another process (this one, after C_Finalize) sees them in the store */
	P11_OK(F->C_Initialize(NULL));
	s = open_rw(tok);
	c = find_one(s, CKO_CERTIFICATE, "k256");
	ck_assert_uint_eq(p11_get(s, c, CKA_VALUE, buf, sizeof(buf)), sizeof(der));
	ck_assert_mem_eq(buf, der, sizeof(der));
	ck_assert_uint_eq(p11_get_bool(s, c, CKA_TOKEN), CK_TRUE);
	CK_ATTRIBUTE app[] = {ATTR(CKA_APPLICATION, "baretpm-test", 12)};
	ck_assert_uint_eq(p11_find(s, app, 1, h, 8), 1);
	d = h[0];
	ck_assert_uint_eq(p11_get(s, d, CKA_VALUE, buf, sizeof(buf)), 5);
	CK_ATTRIBUTE rename = ATTR(CKA_LABEL, "note2", 5);
	P11_OK(F->C_SetAttributeValue(s, d, &rename, 1));
	/* ssh-keygen -D's view: certificates and public keys, no PIN */
	ck_assert_uint_eq(p11_find_class(s, CKO_CERTIFICATE, h, 8), 1);
	P11_OK(F->C_Finalize(NULL));
	P11_OK(F->C_Initialize(NULL));
	s = open_rw(tok);
	d = find_one(s, CKO_DATA, "note2");
	P11_OK(F->C_DestroyObject(s, d));
	P11_OK(F->C_DestroyObject(s, find_one(s, CKO_CERTIFICATE, "k256")));
	ck_assert_uint_eq(p11_find_class(s, CKO_CERTIFICATE, h, 8), 0);
	ck_assert_uint_eq(p11_find_class(s, CKO_DATA, h, 8), 0);
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_GetAttributeValue(s, d, app, 1));
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(destroy_key)
{
	CK_OBJECT_HANDLE h[8];
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE s = open_rw(tok);
	login(s, CKU_USER, USER_PIN);
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, "k384");
	CK_OBJECT_HANDLE pub = find_one(s, CKO_PUBLIC_KEY, "k384");
	CK_MECHANISM m = {CKM_ECDSA_SHA384, NULL, 0};
	CK_BYTE sig[96];
	CK_ULONG n = sizeof(sig);
	P11_OK(F->C_SignInit(s, &m, priv));
	P11_OK(F->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &n));
	ck_assert_uint_eq(tpm_count(BTPM_HR_TRANSIENT), 1); /* the key, loaded */
	P11_OK(F->C_SignInit(s, &m, priv));
	P11_OK(F->C_DestroyObject(s, priv));
	ck_assert_uint_eq(tpm_count(BTPM_HR_TRANSIENT), 0); /* and flushed with it */
	RV(CKR_KEY_HANDLE_INVALID, F->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &n));
	P11_OK(F->C_DestroyObject(s, pub));
	RV(CKR_KEY_HANDLE_INVALID, F->C_SignInit(s, &m, priv));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_DestroyObject(s, pub));
	ck_assert_uint_eq(p11_find(s, NULL, 0, h, 8), 2); /* the P-256 pair is left */
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

static int sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_BYTE dg[32] = {7}, sig[64];
	CK_ULONG n = sizeof(sig);
	if (F->C_SignInit(s, &m, priv) != CKR_OK)
		return -1;
	return F->C_Sign(s, dg, 32, sig, &n) == CKR_OK && n == 64 ? 0 : -1;
}

START_TEST(fork_leaves_the_parent_alone)
{
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID tok = slot_of("ssh");
	CK_SESSION_HANDLE s = open_rw(tok);
	login(s, CKU_USER, USER_PIN);
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, "k256");
	ck_assert_int_eq(sign_once(s, priv), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CK_ULONG n;
		CK_SESSION_HANDLE cs;
		int bad = F->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= (sign_once(s, priv) == 0) << 1;
		bad |= (F->C_Initialize(NULL) != CKR_OK) << 2;
		bad |= (F->C_OpenSession(tok, CKF_SERIAL_SESSION, NULL, NULL, &cs) != CKR_OK) << 3;
		bad |= (F->C_Login(cs, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4) != CKR_OK) << 4;
		bad |= (sign_once(cs, priv) != 0) << 5;
		bad |= (F->C_Finalize(NULL) != CKR_OK) << 6;
		_exit(bad);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: 0x%x", status);
	/* the child flushed only what it loaded: the parent's key and session still work */
	unsigned long before = D->commands_sent();
	ck_assert_int_eq(sign_once(s, priv), 0);
	ck_assert_uint_eq(D->commands_sent() - before, 1);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

START_TEST(second_token_and_reinit)
{
	CK_UTF8CHAR label[32];
	CK_TOKEN_INFO before, after;
	CK_OBJECT_HANDLE h[4];
	P11_OK(F->C_Initialize(NULL));
	p11_label(label, "two");
	P11_OK(F->C_InitToken(empty_slot(), (CK_UTF8CHAR_PTR)SO_PIN, 4, label));
	CK_SLOT_ID slots[4];
	ck_assert_uint_eq(p11_slots(slots, 4), 3);
	CK_SLOT_ID two = slot_of("two");
	ck_assert_uint_ne(two, slot_of("ssh"));
	CK_SESSION_HANDLE s = open_rw(two);
	login(s, CKU_SO, SO_PIN);
	P11_OK(F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "2222", 4));
	P11_OK(F->C_Logout(s));
	login(s, CKU_USER, "2222");
	CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {ATTR(CKA_EC_PARAMS, oid_p256, sizeof(oid_p256)),
			     ATTR(CKA_LABEL, "t2", 2)};
	CK_OBJECT_HANDLE pub, priv;
	P11_OK(F->C_GenerateKeyPair(s, &kg, pt, 2, NULL, 0, &pub, &priv));
	P11_OK(F->C_GetTokenInfo(two, &before));
	/* re-initialization: not while sessions are open, only with the SO PIN */
	p11_label(label, "two-b");
	RV(CKR_SESSION_EXISTS, F->C_InitToken(two, (CK_UTF8CHAR_PTR)SO_PIN, 4, label));
	P11_OK(F->C_CloseAllSessions(two));
	RV(CKR_PIN_INCORRECT, F->C_InitToken(two, (CK_UTF8CHAR_PTR) "1111", 4, label));
	tpm_da(4);
	P11_OK(F->C_InitToken(two, (CK_UTF8CHAR_PTR)SO_PIN, 4, label));
	P11_OK(F->C_GetTokenInfo(two, &after));
	ck_assert_mem_eq(after.serialNumber, before.serialNumber, 16); /* same token, same slot */
	ck_assert_mem_eq(after.label, label, 32);
	ck_assert_uint_eq(after.flags & CKF_USER_PIN_INITIALIZED, 0);
	ck_assert_uint_eq(p11_slots(slots, 4), 3);
	s = open_rw(two);
	ck_assert_uint_eq(p11_find(s, NULL, 0, h, 4), 0);
	RV(CKR_USER_PIN_NOT_INITIALIZED, F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "2222", 4));
	login(s, CKU_SO, SO_PIN);
	P11_OK(F->C_Finalize(NULL));
	assert_tpm_clean();
}
END_TEST

/* A token file that does not parse: its slot says so, the others work on. */
START_TEST(corrupt_token_file)
{
	char path[160];
	CK_TOKEN_INFO ti;
	snprintf(path, sizeof(path), "%s/store/tokens/00112233445566ff.token", base);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("baretpm-token 1\ngarbage\n", f);
	fclose(f);
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID slots[8];
	CK_ULONG n = p11_slots(slots, 8);
	int bad = 0;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_RV rv = F->C_GetTokenInfo(slots[i], &ti);
		if (rv == CKR_DEVICE_ERROR) {
			bad++;
			ck_assert_msg(strstr(p11_why(), "00112233445566ff") != NULL, "%s", p11_why());
		} else {
			ck_assert_uint_eq(rv, CKR_OK);
		}
	}
	ck_assert_int_eq(bad, 1);
	CK_SESSION_HANDLE s = open_rw(slot_of("ssh"));
	login(s, CKU_USER, USER_PIN);
	P11_OK(F->C_Finalize(NULL));
	unlink(path);
	assert_tpm_clean();
}
END_TEST

/*
 * A slot ID stays with its token: once all 64 IDs have been handed out, only
 * the slot of a token that is gone is given again, never one whose token
 * comes later in the store's listing.
 */
START_TEST(slot_ids_stay_with_their_tokens)
{
	CK_SLOT_ID slots[8];
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR serial[8][16];
	P11_OK(F->C_Initialize(NULL));
	CK_ULONG n = p11_slots(slots, 8), real = 0;
	for (CK_ULONG i = 0; i < n; i++)
		if (F->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED)) {
			memcpy(serial[real], ti.serialNumber, 16);
			slots[real++] = slots[i];
		}
	ck_assert_uint_ge(real, 1);
	/* 70 tokens come and go, each listed before the real ones (serial 000000000000NNNN) */
	for (int k = 0; k < 70; k++) {
		char path[200];
		snprintf(path, sizeof(path), "%s/store/tokens/00000000000%05x.token", base, k);
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("baretpm-token 1\ngarbage\n", f);
		fclose(f);
		CK_ULONG m = 0;
		P11_OK(F->C_GetSlotList(CK_TRUE, NULL, &m));
		unlink(path);
		P11_OK(F->C_GetSlotList(CK_TRUE, NULL, &m));
	}
	for (CK_ULONG i = 0; i < real; i++) {
		P11_OK(F->C_GetTokenInfo(slots[i], &ti));
		ck_assert_msg(!memcmp(ti.serialNumber, serial[i], 16), "slot %lu changed token",
			      (unsigned long)slots[i]);
	}
	P11_OK(F->C_Finalize(NULL));
}
END_TEST

static Suite *pkcs11_tpm_suite(void)
{
	Suite *s = suite_create("pkcs11-tpm");
	TCase *tc = tcase_create("swtpm");
	tcase_add_unchecked_fixture(tc, suite_up, suite_down);
	tcase_add_checked_fixture(tc, tpm_flush_all, test_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, init_token_and_pins);
	tcase_add_test(tc, keys_and_signatures);
	tcase_add_test(tc, visibility_and_attribute_rules);
	tcase_add_test(tc, command_budget);
	tcase_add_test(tc, wrong_pin_counts_and_locks);
	tcase_add_test(tc, set_pin);
	tcase_add_test(tc, certificates_and_data_in_the_token);
	tcase_add_test(tc, destroy_key);
	tcase_add_test(tc, fork_leaves_the_parent_alone);
	tcase_add_test(tc, second_token_and_reinit);
	tcase_add_test(tc, corrupt_token_file);
	tcase_add_test(tc, slot_ids_stay_with_their_tokens);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	p11_load();
	SRunner *sr = srunner_create(pkcs11_tpm_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
