/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HMAC sessions against a real swtpm: unsalted and salted (ECDH to the ECC
 * EK, a restricted P-384 decryption key the simulator was manufactured with),
 * parameter encryption both ways checked by the TPM itself (TPM2_Hash of
 * encrypted data), response decryption checked against the EK certificate,
 * tampering, a substituted salt key, session lifetime, and a capture of every
 * byte on the wire that must never contain the secret.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "harness.h"
#include "internal.h"
#include "rc.h"
#include "session.h"
#include "run.h"

#define EK_ECC 0x81010016u /* ECC P-384 EK, nameAlg SHA-384 (swtpm_setup --ecc) */

static struct btpm_test_sim sim;
static struct btpm *t;
static struct btpm_public ek_pub;

/* TPM2_Hash (Part 3, 15.4): no handles; data in, digest out, both TPM2Bs. */
static const struct btpm_cmd cmd_hash = {.cc = 0x17D,
					 .flags = BTPM_CMD_ENC_PARAM | BTPM_CMD_ENC_RSP,
					 .name = "TPM2_Hash"};

/* A transport in front of the simulator: records everything, may flip a bit. */
struct tap {
	struct btpm_transport tr;
	struct btpm_transport *inner;
	uint8_t wire[1 << 16];
	size_t wire_len;
	int flip_at; /* response byte to flip, or -1 */
};
static struct tap tap;

static void record(const uint8_t *p, size_t n)
{
	if (n > sizeof(tap.wire) - tap.wire_len)
		n = sizeof(tap.wire) - tap.wire_len;
	memcpy(tap.wire + tap.wire_len, p, n);
	tap.wire_len += n;
}

static int tap_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			  uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	(void)tr;
	record(cmd, cmd_len);
	int rc = tap.inner->transceive(tap.inner, cmd, cmd_len, rsp, cap, rsp_len);
	if (!rc) {
		if (tap.flip_at >= 0 && (size_t)tap.flip_at < *rsp_len)
			rsp[tap.flip_at] ^= 0x01;
		record(rsp, *rsp_len);
	}
	return rc;
}

static void tap_close(struct btpm_transport *tr)
{
	(void)tr;
	tap.inner->close(tap.inner);
}

static int wire_contains(const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= tap.wire_len; i++)
		if (!memcmp(tap.wire + i, needle, n))
			return 1;
	return 0;
}

static void open_tpm(void)
{
	char err[256];
	ck_assert_int_eq(btpm_open(&t, sim.tcti, err, sizeof(err)), 0);
	memset(&tap, 0, sizeof(tap));
	tap.inner = t->tr;
	tap.flip_at = -1;
	tap.tr.transceive = tap_transceive;
	tap.tr.close = tap_close;
	tap.tr.timeout_ms = tap.inner->timeout_ms;
	t->tr = &tap.tr;
	struct btpm_read_public rp;
	ck_assert_int_eq(btpm_read_public(t, EK_ECC, &rp), 0);
	ek_pub.size = rp.public_size;
	memcpy(ek_pub.area, rp.public_area, rp.public_size);
}

static void close_tpm(void)
{
	/* nothing may stay loaded: swtpm has no resource manager */
	struct btpm_capdata d;
	int rc = btpm_get_capability_all(t, BTPM_CAP_HANDLES, BTPM_HR_HMAC_SESSION,
					 BTPM_HR_HMAC_SESSION + 0xFFFFFF, &d);
	btpm_close(t);
	t = NULL;
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(d.count == 0, "%u sessions left loaded", d.count);
}

/* TPM2_Hash(data) through session s; out gets the digest the TPM returned. */
static int tpm_hash(struct btpm_session *s, const void *data, size_t n, uint8_t *out)
{
	struct btpm_buf *p = btpm_params(t);
	btpm_put_tpm2b(p, data, n);
	btpm_put_u16(p, BTPM_ALG_SHA256);
	btpm_put_u32(p, BTPM_RH_NULL);
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	int rc = btpm_exec(t, &cmd_hash, NULL, ss, s ? 1 : 0, &r);
	if (rc)
		return rc;
	uint16_t dn, tn;
	const uint8_t *d = btpm_get_tpm2b(&r.params, &dn, 32);
	btpm_get_u16(&r.params); /* validation: TPMT_TK_HASHCHECK */
	btpm_get_u32(&r.params);
	btpm_get_tpm2b(&r.params, &tn, 64);
	rc = btpm_buf_end(&r.params);
	if (!rc && dn != 32)
		rc = BTPM_E_MALFORMED;
	if (!rc)
		memcpy(out, d, 32);
	return rc;
}

static const char secret[] = "correct horse battery staple, 0123456789";

START_TEST(salted_session_encrypts_both_ways)
{
	struct btpm_session s;
	uint8_t got[32], want[32];
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, ek_pub.area, ek_pub.size), 0);
	ck_assert(s.salted);
	ck_assert_uint_eq(s.handle >> 24, 0x02);
	size_t mark = tap.wire_len;
	for (int i = 0; i < 3; i++) { /* nonces roll: the session keeps working */
		ck_assert_int_eq(tpm_hash(&s, secret, sizeof(secret), got), 0);
		btpm_hash(BTPM_ALG_SHA256, secret, sizeof(secret), want);
		ck_assert_mem_eq(got, want, 32);
	}
	/* neither the secret nor its digest crossed the wire in the clear */
	ck_assert(!wire_contains(secret, 16));
	ck_assert(!wire_contains(want, 16));
	ck_assert_uint_gt(tap.wire_len, mark);
	/* without a session the same command does show both: the capture works */
	ck_assert_int_eq(tpm_hash(NULL, secret, sizeof(secret), got), 0);
	ck_assert(wire_contains(secret, 16));
	ck_assert(wire_contains(want, 16));
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
	ck_assert_uint_eq(s.handle, 0);
}
END_TEST

START_TEST(unsalted_session_works)
{
	struct btpm_session s;
	uint8_t got[32], want[32];
	ck_assert_int_eq(btpm_session_start(t, &s, BTPM_RH_NULL, NULL, 0), 0);
	ck_assert(!s.salted);
	ck_assert_int_eq(tpm_hash(&s, "abc", 3, got), 0);
	btpm_hash(BTPM_ALG_SHA256, "abc", 3, want);
	ck_assert_mem_eq(got, want, 32);
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
}
END_TEST

/* An authorized command: NV_Read of the EK certificate with an HMAC session
 * (auth = the index, empty auth value), the response decrypted and compared. */
START_TEST(authorized_read_decrypts_response)
{
	struct btpm_nv_public pub;
	ck_assert_int_eq(btpm_nv_read_public(t, 0x01c00016, &pub), 0);
	struct btpm_entity idx = {.handle = pub.nv_index, .name = pub.name};
	const struct btpm_entity *h[2] = {&idx, &idx};
	struct btpm_session s;
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, ek_pub.area, ek_pub.size), 0);
	struct btpm_session *ss[1] = {&s};
	static uint8_t want[4096];
	char path[400];
	snprintf(path, sizeof(path), "%s/certs/ek-ecc.der", sim.dir);
	long n = btpm_test_read_file(path, want, sizeof(want));
	ck_assert_int_gt(n, 64);
	struct btpm_buf *p = btpm_params(t);
	btpm_put_u16(p, 64);
	btpm_put_u16(p, 0);
	struct btpm_rsp r;
	ck_assert_int_eq(btpm_exec(t, &btpm_cmd_nv_read, h, ss, 1, &r), 0);
	uint16_t got_n;
	const uint8_t *got = btpm_get_tpm2b(&r.params, &got_n, 64);
	ck_assert_int_eq(btpm_buf_end(&r.params), 0);
	ck_assert_uint_eq(got_n, 64);
	ck_assert_mem_eq(got, want, 64);
	/* a missing Name is refused before anything is sent */
	struct btpm_entity nameless = {.handle = pub.nv_index};
	const struct btpm_entity *h2[2] = {&nameless, &nameless};
	btpm_params(t);
	ck_assert_int_eq(btpm_exec(t, &btpm_cmd_nv_read, h2, ss, 1, &r), BTPM_E_ARG);
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
}
END_TEST

/* A bit flipped in any byte of the parameters or authorization: caught. */
START_TEST(tampered_response_is_rejected)
{
	struct btpm_session s;
	uint8_t got[32];
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, ek_pub.area, ek_pub.size), 0);
	ck_assert_int_eq(tpm_hash(&s, secret, sizeof(secret), got), 0);
	/* the response: header 10, parameterSize 4, params, then the auth area */
	tap.flip_at = 20; /* inside outHash */
	ck_assert_int_eq(tpm_hash(&s, secret, sizeof(secret), got), BTPM_E_BADHMAC);
	char msg[300];
	btpm_strerror(t, BTPM_E_BADHMAC, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "HMAC"), "%s", msg);
	tap.flip_at = -1;
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
	/* the last byte (inside the response HMAC itself) */
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, ek_pub.area, ek_pub.size), 0);
	tap.flip_at = 10 + 4 + 2 + 32 + 2 + 4 + 2 + 2 + 32 + 1 + 2 + 31;
	ck_assert_int_eq(tpm_hash(&s, secret, sizeof(secret), got), BTPM_E_BADHMAC);
	tap.flip_at = -1;
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
}
END_TEST

/* Salting to a key that is not the one at the handle cannot go unnoticed. */
START_TEST(substituted_salt_key_fails)
{
	struct btpm_public_info info;
	ck_assert_int_eq(btpm_public_parse(&ek_pub, &info), 0);
	ck_assert_uint_eq(info.curve, BTPM_ECC_NIST_P384);
	/* the same public area, but another (valid) point: what an interposer would use */
	uint8_t priv[48], x[48], y[48];
	ck_assert_int_eq(btpm_ecc_keygen(BTPM_ECC_NIST_P384, 48, priv, x, y), 0);
	struct btpm_public fake = ek_pub;
	ck_assert_uint_gt(fake.size, 2 * (48 + 2));
	memcpy(fake.area + fake.size - 48 - 2 - 48, x, 48);
	memcpy(fake.area + fake.size - 48, y, 48);
	struct btpm_session s;
	uint8_t got[32];
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, fake.area, fake.size), 0);
	int rc = tpm_hash(&s, secret, sizeof(secret), got);
	ck_assert_msg(rc == BTPM_E_BADHMAC || (rc > 0 && (btpm_rc_base((uint32_t)rc) ==
							      BTPM_RC_BAD_AUTH ||
						      btpm_rc_base((uint32_t)rc) ==
							      BTPM_RC_AUTH_FAIL)),
		      "rc 0x%x", rc);
	ck_assert(!wire_contains(secret, 16));
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
	/* a salt key that is not a restricted ECC decryption key is refused outright */
	struct btpm_read_public rp;
	ck_assert_int_eq(btpm_read_public(t, 0x81010001, &rp), 0); /* the RSA EK */
	ck_assert_int_eq(btpm_session_start(t, &s, 0x81010001, rp.public_area, rp.public_size),
			 BTPM_E_ARG);
}
END_TEST

START_TEST(session_ends_without_continue)
{
	struct btpm_session s;
	uint8_t got[32];
	ck_assert_int_eq(btpm_session_start(t, &s, EK_ECC, ek_pub.area, ek_pub.size), 0);
	uint32_t handle = s.handle;
	s.attrs &= (uint8_t)~BTPM_SESSION_CONTINUE;
	ck_assert_int_eq(tpm_hash(&s, "x", 1, got), 0);
	ck_assert_uint_eq(s.handle, 0); /* wiped: the TPM ended it */
	struct btpm_session gone = {.handle = handle};
	ck_assert_int_eq(btpm_session_flush(t, &gone), 0); /* flushing it again is harmless */
	ck_assert_int_eq(tpm_hash(&s, "x", 1, got), BTPM_E_ARG);
}
END_TEST

START_TEST(password_session_rules)
{
	struct btpm_session pw;
	uint8_t got[32];
	btpm_session_password(&pw);
	/* a password session authorizes; it cannot ride along for encryption */
	ck_assert_int_eq(tpm_hash(&pw, "x", 1, got), BTPM_E_ARG);
	ck_assert_int_eq(tpm_hash(NULL, "x", 1, got), 0);
}
END_TEST


/*
 * The whole life of secrets through the key commands, captured on the wire:
 * a sealed secret and its auth value (Create), the secret coming back
 * (Unseal), a new auth value (ObjectChangeAuth), a key's auth value (Create,
 * Sign). None of them, and no 8-byte piece of them, may appear in clear.
 */
START_TEST(key_commands_leak_nothing)
{
	uint8_t sealed_secret[32], auth[32], new_auth[32], key_auth[32];
	btpm_random(sealed_secret, 32);
	btpm_random(auth, 32);
	btpm_random(new_auth, 32);
	btpm_random(key_auth, 32);
	struct btpm_public tmpl, pub, srk_pub;
	struct btpm_blob priv, priv2;
	struct btpm_entity owner, srk, item, key;
	struct btpm_session pw, s;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	ck_assert_int_eq(btpm_template_srk(&tmpl), 0);
	ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &tmpl, &srk, &srk_pub), 0);
	ck_assert_int_eq(btpm_session_start(t, &s, srk.handle, srk_pub.area, srk_pub.size), 0);
	tap.wire_len = 0;
	/* seal, load, unseal, change auth */
	ck_assert_int_eq(btpm_template_sealed(&tmpl, 0), 0);
	ck_assert_int_eq(btpm_create(t, &s, &srk, auth, 32, sealed_secret, 32, &tmpl, &priv, &pub), 0);
	ck_assert_int_eq(btpm_load(t, &s, &srk, &priv, &pub, &item), 0);
	btpm_entity_set_auth(&item, auth, 32);
	uint8_t out[64];
	size_t n;
	ck_assert_int_eq(btpm_unseal(t, &s, &item, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 32);
	ck_assert_mem_eq(out, sealed_secret, 32);
	ck_assert_int_eq(btpm_object_change_auth(t, &s, &item, &srk, new_auth, 32, &priv2), 0);
	ck_assert_int_eq(btpm_flush_context(t, item.handle), 0);
	/* a signing key with its own auth value */
	ck_assert_int_eq(btpm_template_ecc_sign(&tmpl, BTPM_ECC_NIST_P256, 0), 0);
	ck_assert_int_eq(btpm_create(t, &s, &srk, key_auth, 32, NULL, 0, &tmpl, &priv, &pub), 0);
	ck_assert_int_eq(btpm_load(t, &s, &srk, &priv, &pub, &key), 0);
	btpm_entity_set_auth(&key, key_auth, 32);
	uint8_t digest[32], r[32], sg[32];
	btpm_hash(BTPM_ALG_SHA256, "message", 7, digest);
	ck_assert_int_eq(btpm_sign(t, &s, &key, digest, 32, BTPM_ALG_SHA256, r, sg, 32), 0);
	ck_assert_int_eq(btpm_flush_context(t, key.handle), 0);
	ck_assert_uint_gt(tap.wire_len, 1000);
	const uint8_t *secrets[4] = {sealed_secret, auth, new_auth, key_auth};
	for (int i = 0; i < 4; i++)
		for (int off = 0; off + 8 <= 32; off += 8)
			ck_assert_msg(!wire_contains(secrets[i] + off, 8),
				      "secret %d bytes %d..%d seen on the wire", i, off, off + 7);
	ck_assert_int_eq(btpm_session_flush(t, &s), 0);
	ck_assert_int_eq(btpm_flush_context(t, srk.handle), 0);
	btpm_entity_wipe(&item);
	btpm_entity_wipe(&key);
}
END_TEST

static Suite *session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_add_checked_fixture(tc, open_tpm, close_tpm);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, salted_session_encrypts_both_ways);
	tcase_add_test(tc, unsalted_session_works);
	tcase_add_test(tc, authorized_read_decrypts_response);
	tcase_add_test(tc, tampered_response_is_rejected);
	tcase_add_test(tc, substituted_salt_key_fails);
	tcase_add_test(tc, session_ends_without_continue);
	tcase_add_test(tc, password_session_rules);
	tcase_add_test(tc, key_commands_leak_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(session_suite());
}
