/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keys, sealed data, signing, dictionary-attack control and contexts against a
 * swtpm this suite starts: names cross-checked with tpm2-tools, signatures
 * with our verifier and openssl (both test oracles only, skipped if absent).
 * swtpm holds 3 transient objects and keeps them across connections, so every
 * test starts and ends by flushing what is loaded and resetting the lockout.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "btpm_spki.h"
#include "fake.h"
#include "harness.h"
#include "internal.h"
#include "rc.h"
#include "run.h"

#define PERSISTENT_SRK 0x81000001u

static struct btpm_test_sim sim;
static struct btpm *t;
static char out[65536], err[8192];

#define OK(call)                                                                           \
	do {                                                                               \
		int rc_ = (call);                                                          \
		char m_[512];                                                              \
		ck_assert_msg(rc_ == 0, "%s: %s", #call, btpm_strerror(t, rc_, m_, sizeof(m_))); \
	} while (0)

/* A TPM_RC whose base code is want (handle/parameter/session number stripped). */
#define ASSERT_RC(call, want)                                                              \
	do {                                                                               \
		int rc_ = (call);                                                          \
		char m_[512];                                                              \
		ck_assert_msg(rc_ > 0 && btpm_rc_base((uint32_t)rc_) == (int)(want),        \
			      "%s: want 0x%x, got %s", #call, (unsigned)(want),           \
			      btpm_strerror(t, rc_, m_, sizeof(m_)));                      \
	} while (0)

/* Flush every loaded object and session, restore and reset the DA logic. */
static void cleanup(void)
{
	static const uint32_t ranges[] = {BTPM_HR_TRANSIENT, BTPM_HR_HMAC_SESSION,
					  BTPM_HR_POLICY_SESSION};
	static struct btpm_capdata d;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (btpm_get_capability_all(t, BTPM_CAP_HANDLES, ranges[i], ranges[i] + 0xFFFFFF,
					    &d))
			continue;
		for (uint32_t j = 0; j < d.count; j++)
			btpm_flush_context(t, d.u.handles[j]);
	}
	struct btpm_session pw;
	struct btpm_entity lockout;
	btpm_session_password(&pw);
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	btpm_da_parameters(t, &pw, &lockout, 3, 1000, 1000);
	btpm_da_lock_reset(t, &pw, &lockout);
}

static void open_tpm(void)
{
	char e[256];
	int rc = btpm_open(&t, sim.tcti, e, sizeof(e));
	ck_assert_msg(rc == 0, "btpm_open %s: %s", sim.tcti, e);
	cleanup();
}

static void close_tpm(void)
{
	cleanup();
	btpm_close(t);
	t = NULL;
}

static int have(const char *tool)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "command -v %s", tool);
	return btpm_test_sh(cmd, 5, NULL, 0, NULL, 0) == 0;
}

/* Run a shell command built printf-style; returns the exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return btpm_test_sh(cmd, 60, out, sizeof(out), err, sizeof(err));
}

/* Run "baretpm -T <sim> ARGS" (args is a shell fragment); returns the exit status. */
static int cli(const char *args)
{
	return sh("'%s' -T '%s' %s", btpm_test_cli(), sim.tcti, args);
}

#define assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)), "missing '%s' in:\n%s", (needle), (hay))

static void hex(const uint8_t *p, size_t n, char *o)
{
	for (size_t i = 0; i < n; i++)
		sprintf(o + 2 * i, "%02x", p[i]);
	o[2 * n] = 0;
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", sim.dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static uint32_t property(uint32_t pt)
{
	uint32_t v;
	OK(btpm_get_property(t, pt, &v));
	return v;
}

/* The SRK from its template under the owner hierarchy (empty auth: password session). */
static void srk_up(struct btpm_entity *srk, struct btpm_public *pub)
{
	struct btpm_session pw;
	struct btpm_entity owner;
	struct btpm_public tmpl;
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0));
	OK(btpm_template_srk(&tmpl));
	OK(btpm_create_primary(t, &pw, &owner, &tmpl, srk, pub));
}

/* An HMAC session salted to the SRK we just created (its public area is known). */
static void salted(struct btpm_session *s, const struct btpm_entity *srk,
		   const struct btpm_public *pub)
{
	OK(btpm_session_start(t, s, srk->handle, pub->area, pub->size));
}

START_TEST(create_primary_srk)
{
	struct btpm_entity srk, again;
	struct btpm_public pub, pub2;
	srk_up(&srk, &pub);
	ck_assert_uint_eq(srk.handle >> 24, 0x80);
	ck_assert_uint_eq(srk.name.size, 34);
	ck_assert_uint_eq(srk.auth_size, 0);
	struct btpm_name want;
	OK(btpm_public_name(&pub, &want));
	ck_assert_mem_eq(srk.name.name, want.name, 34);
	struct btpm_public_info info;
	OK(btpm_public_parse(&pub, &info));
	ck_assert_uint_eq(info.type, BTPM_ALG_ECC);
	ck_assert_uint_eq(info.curve, BTPM_ECC_NIST_P256);
	ck_assert_uint_eq(info.sym_alg, BTPM_ALG_AES);
	/* a primary key is derived from the hierarchy seed: the same key again */
	srk_up(&again, &pub2);
	ck_assert_uint_ne(again.handle, srk.handle);
	ck_assert_mem_eq(again.name.name, srk.name.name, 34);
	OK(btpm_flush_context(t, again.handle));
	OK(btpm_flush_context(t, srk.handle));
	if (!have("tpm2_createprimary"))
		return;
	/*
	 * The oracle: the provisioning-guidance SRK as tpm2-tools creates it. The
	 * unique field (x = y = 32 zero bytes) goes in on stdin: tpm2-tools 5.4
	 * splits stdin into x and y, but copies a file named with -u raw over its
	 * C struct TPMU_PUBLIC_ID (64 zero bytes there are an empty x and y).
	 */
	int rc = sh("cd '%s' && head -c 64 /dev/zero >zeros && export TPM2TOOLS_TCTI='%s' && "
		    "tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb -a "
		    "'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|"
		    "decrypt' -u - -c srk.ctx <zeros && tpm2_readpublic -Q -c srk.ctx -n srk.name && "
		    "tpm2_flushcontext -t && od -An -v -tx1 srk.name | tr -d ' \\n'",
		    sim.dir, sim.tcti);
	ck_assert_msg(rc == 0, "tpm2-tools: %s", err);
	char got[80];
	hex(srk.name.name, srk.name.size, got);
	ck_assert_str_eq(out, got);
}
END_TEST

START_TEST(evict_control_round_trip)
{
	struct btpm_session pw, s;
	struct btpm_entity owner, srk, persistent;
	struct btpm_public pub;
	struct btpm_read_public rp;
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0));
	if (btpm_read_public(t, PERSISTENT_SRK, &rp) == 0) { /* left by an earlier run */
		memset(&persistent, 0, sizeof(persistent));
		persistent.handle = PERSISTENT_SRK;
		persistent.name = rp.name;
		OK(btpm_evict_control(t, &pw, &owner, &persistent, PERSISTENT_SRK));
	}
	srk_up(&srk, &pub);
	OK(btpm_evict_control(t, &pw, &owner, &srk, PERSISTENT_SRK));
	OK(btpm_read_public(t, PERSISTENT_SRK, &rp));
	ck_assert_uint_eq(rp.name.size, srk.name.size);
	ck_assert_mem_eq(rp.name.name, srk.name.name, srk.name.size);
	ck_assert_uint_eq(rp.public_size, pub.size);
	ck_assert_mem_eq(rp.public_area, pub.area, pub.size);
	OK(btpm_flush_context(t, srk.handle));
	/* evict again through an HMAC session salted to the persistent key: the
	 * object's Name enters the command's cpHash */
	persistent = srk;
	persistent.handle = PERSISTENT_SRK;
	OK(btpm_session_start(t, &s, PERSISTENT_SRK, pub.area, pub.size));
	OK(btpm_evict_control(t, &s, &owner, &persistent, PERSISTENT_SRK));
	OK(btpm_session_flush(t, &s));
	ASSERT_RC(btpm_read_public(t, PERSISTENT_SRK, &rp), BTPM_RC_HANDLE);
	/* not a persistent handle; a persistent object evicted to another handle */
	ck_assert_int_eq(btpm_evict_control(t, &pw, &owner, &srk, 0x80000001), BTPM_E_ARG);
	ck_assert_int_eq(btpm_evict_control(t, &pw, &owner, &persistent, 0x81000002), BTPM_E_ARG);
}
END_TEST

/* Create + Load + Sign of an ECC key, verified by us and, if present, openssl. */
static void sign_key(uint16_t curve, uint16_t hash_alg, const char *tag)
{
	struct btpm_entity srk, key;
	struct btpm_public srk_pub, tmpl, pub;
	struct btpm_blob priv;
	struct btpm_session s;
	uint8_t auth[32], digest[64], r[48], sv[48];
	srk_up(&srk, &srk_pub);
	salted(&s, &srk, &srk_pub);
	OK(btpm_random(auth, sizeof(auth)));
	OK(btpm_template_ecc_sign(&tmpl, curve, 1));
	OK(btpm_create(t, &s, &srk, auth, sizeof(auth), NULL, 0, &tmpl, &priv, &pub));
	ck_assert_uint_gt(priv.size, 0);
	OK(btpm_load(t, &s, &srk, &priv, &pub, &key));
	OK(btpm_entity_set_auth(&key, auth, sizeof(auth)));
	struct btpm_public_info info;
	OK(btpm_public_parse(&pub, &info));
	ck_assert_uint_eq(info.curve, curve);
	size_t coord = info.coord_size, dlen = (size_t)btpm_hash_size(hash_alg);
	ck_assert_uint_eq(coord, (size_t)btpm_ecc_coord_size(curve));
	OK(btpm_hash(hash_alg, tag, strlen(tag), digest));
	OK(btpm_sign(t, &s, &key, digest, dlen, hash_alg, r, sv, coord));
	OK(btpm_ecdsa_verify(curve, info.x, info.y, coord, digest, dlen, r, coord, sv, coord));
	/* a second signature, over another digest, differs and verifies too */
	uint8_t r2[48], s2[48];
	digest[0] ^= 1;
	OK(btpm_sign(t, &s, &key, digest, dlen, hash_alg, r2, s2, coord));
	ck_assert_int_eq(btpm_ecdsa_verify(curve, info.x, info.y, coord, digest, dlen, r, coord,
					   sv, coord),
			 BTPM_E_CRYPTO);
	OK(btpm_ecdsa_verify(curve, info.x, info.y, coord, digest, dlen, r2, coord, s2, coord));
	digest[0] ^= 1;
	/* a digest that does not fit the hash: refused before anything is sent */
	unsigned long sent = btpm_commands_sent(t);
	ck_assert_int_eq(btpm_sign(t, &s, &key, digest, dlen - 1, hash_alg, r, sv, coord),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_sign(t, &s, &key, digest, dlen, 0x1234, r, sv, coord), BTPM_E_ARG);
	ck_assert_uint_eq(btpm_commands_sent(t), sent);
	OK(btpm_flush_context(t, key.handle));
	OK(btpm_session_flush(t, &s));
	OK(btpm_flush_context(t, srk.handle));
	btpm_wipe(auth, sizeof(auth));
	btpm_entity_wipe(&key);
	if (!have("openssl"))
		return;
	/* the public key as SubjectPublicKeyInfo PEM, the signature as DER */
	uint8_t spki[200], der[160];
	char pem[600];
	size_t spki_len, der_len, pem_len;
	OK(btpm_ecc_spki_der(curve, info.x, info.y, coord, spki, sizeof(spki), &spki_len));
	OK(btpm_pem_encode("PUBLIC KEY", spki, spki_len, pem, sizeof(pem), &pem_len));
	OK(btpm_ecdsa_rs_to_der(r, sv, coord, der, sizeof(der), &der_len));
	write_file("key.pem", pem, pem_len);
	write_file("sig.der", der, der_len);
	write_file("digest.bin", digest, dlen);
	int rc = sh("cd '%s' && openssl pkeyutl -verify -pubin -inkey key.pem -in digest.bin "
		    "-sigfile sig.der && openssl pkey -pubin -in key.pem -noout -text",
		    sim.dir);
	ck_assert_msg(rc == 0, "openssl: %s%s", out, err);
	assert_has(out, "Signature Verified Successfully");
	assert_has(out, curve == BTPM_ECC_NIST_P256 ? "prime256v1" : "secp384r1");
}

START_TEST(sign_p256_sha256)
{
	sign_key(BTPM_ECC_NIST_P256, BTPM_ALG_SHA256, "p256");
}
END_TEST

START_TEST(sign_p384_sha384)
{
	sign_key(BTPM_ECC_NIST_P384, BTPM_ALG_SHA384, "p384");
}
END_TEST

START_TEST(sign_p384_sha256)
{
	sign_key(BTPM_ECC_NIST_P384, BTPM_ALG_SHA256, "p384 with sha256");
}
END_TEST

/* Create a sealed object (auth, data) under srk and load it with its auth set. */
static void seal(struct btpm_session *s, struct btpm_entity *srk, const uint8_t *auth,
		 const uint8_t *data, size_t n, int no_da, struct btpm_blob *priv,
		 struct btpm_public *pub, struct btpm_entity *item)
{
	struct btpm_public tmpl;
	OK(btpm_template_sealed(&tmpl, no_da));
	OK(btpm_create(t, s, srk, auth, 32, data, n, &tmpl, priv, pub));
	OK(btpm_load(t, s, srk, priv, pub, item));
	OK(btpm_entity_set_auth(item, auth, 32));
}

START_TEST(seal_unseal_and_change_auth)
{
	struct btpm_entity srk, item;
	struct btpm_public srk_pub, pub;
	struct btpm_blob priv, priv2;
	struct btpm_session s, pw;
	uint8_t auth1[32], auth2[32], data[48], got[128];
	size_t len = 0;
	OK(btpm_random(auth1, sizeof(auth1)));
	OK(btpm_random(auth2, sizeof(auth2)));
	OK(btpm_random(data, sizeof(data)));
	srk_up(&srk, &srk_pub);
	salted(&s, &srk, &srk_pub);
	seal(&s, &srk, auth1, data, sizeof(data), 1, &priv, &pub, &item);
	OK(btpm_unseal(t, &s, &item, got, sizeof(got), &len));
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	ck_assert_int_eq(btpm_unseal(t, &s, &item, got, 47, &len), BTPM_E_TOOBIG);

	/* no secret in the clear: refused before anything is sent */
	unsigned long sent = btpm_commands_sent(t);
	btpm_session_password(&pw);
	ck_assert_int_eq(btpm_unseal(t, &pw, &item, got, sizeof(got), &len), BTPM_E_ARG);
	struct btpm_session plain = s;
	plain.attrs &= (uint8_t)~BTPM_SESSION_ENCRYPT;
	ck_assert_int_eq(btpm_unseal(t, &plain, &item, got, sizeof(got), &len), BTPM_E_ARG);
	plain = s;
	plain.attrs &= (uint8_t)~BTPM_SESSION_DECRYPT;
	struct btpm_public tmpl;
	OK(btpm_template_sealed(&tmpl, 1));
	ck_assert_int_eq(btpm_create(t, &plain, &srk, auth1, 32, NULL, 0, &tmpl, &priv2, &pub),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_create(t, &pw, &srk, NULL, 0, data, 1, &tmpl, &priv2, &pub),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_object_change_auth(t, &pw, &item, &srk, auth2, 32, &priv2),
			 BTPM_E_ARG);
	ck_assert_uint_eq(btpm_commands_sent(t), sent);

	/* new auth: a new private blob; the loaded object keeps the old auth */
	OK(btpm_object_change_auth(t, &s, &item, &srk, auth2, sizeof(auth2), &priv2));
	ck_assert(priv2.size != priv.size || memcmp(priv2.data, priv.data, priv.size));
	OK(btpm_flush_context(t, item.handle));
	OK(btpm_load(t, &s, &srk, &priv2, &pub, &item));
	OK(btpm_entity_set_auth(&item, auth2, sizeof(auth2)));
	memset(got, 0, sizeof(got));
	OK(btpm_unseal(t, &s, &item, got, sizeof(got), &len));
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	/* the old auth fails on the new blob; a noDA object answers TPM_RC_BAD_AUTH
	 * (not AUTH_FAIL) and nothing is counted ... */
	OK(btpm_entity_set_auth(&item, auth1, sizeof(auth1)));
	ASSERT_RC(btpm_unseal(t, &s, &item, got, sizeof(got), &len), BTPM_RC_BAD_AUTH);
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), 0);
	/* ... and the session is still in step with the TPM after the failure */
	OK(btpm_entity_set_auth(&item, auth2, sizeof(auth2)));
	OK(btpm_unseal(t, &s, &item, got, sizeof(got), &len));
	OK(btpm_flush_context(t, item.handle));
	/* the old blob still loads with the old auth */
	OK(btpm_load(t, &s, &srk, &priv, &pub, &item));
	OK(btpm_entity_set_auth(&item, auth1, sizeof(auth1)));
	OK(btpm_unseal(t, &s, &item, got, sizeof(got), &len));
	ck_assert_mem_eq(got, data, sizeof(data));
	/* an empty new auth needs no decrypt session */
	OK(btpm_object_change_auth(t, &s, &item, &srk, NULL, 0, &priv2));
	OK(btpm_flush_context(t, item.handle));
	OK(btpm_session_flush(t, &s));
	OK(btpm_flush_context(t, srk.handle));
	btpm_entity_wipe(&item);
	btpm_wipe(got, sizeof(got));
}
END_TEST

START_TEST(wrong_auth_counts_then_locks_out)
{
	struct btpm_entity srk, item, lockout;
	struct btpm_public srk_pub, pub;
	struct btpm_blob priv;
	struct btpm_session s, pw;
	uint8_t auth[32], wrong[32], data[16], got[128];
	size_t len;
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0));
	OK(btpm_da_parameters(t, &pw, &lockout, 4, 1000, 1000));
	ck_assert_uint_eq(property(BTPM_PT_MAX_AUTH_FAIL), 4);
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_INTERVAL), 1000);
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_RECOVERY), 1000);
	OK(btpm_da_lock_reset(t, &pw, &lockout));
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), 0);
	OK(btpm_random(auth, sizeof(auth)));
	memcpy(wrong, auth, sizeof(wrong));
	wrong[31] ^= 0x80;
	OK(btpm_random(data, sizeof(data)));
	srk_up(&srk, &srk_pub);
	salted(&s, &srk, &srk_pub);
	seal(&s, &srk, auth, data, sizeof(data), 0, &priv, &pub, &item);
	OK(btpm_entity_set_auth(&item, wrong, sizeof(wrong)));
	for (uint32_t i = 1; i <= 4; i++) {
		ASSERT_RC(btpm_unseal(t, &s, &item, got, sizeof(got), &len), BTPM_RC_AUTH_FAIL);
		ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), i);
	}
	/* locked out: even the right auth is refused, without a check */
	ASSERT_RC(btpm_unseal(t, &s, &item, got, sizeof(got), &len), BTPM_RC_LOCKOUT);
	OK(btpm_entity_set_auth(&item, auth, sizeof(auth)));
	ASSERT_RC(btpm_unseal(t, &s, &item, got, sizeof(got), &len), BTPM_RC_LOCKOUT);
	/* the reset through an (unsalted) HMAC session this time */
	struct btpm_session h;
	OK(btpm_session_start(t, &h, BTPM_RH_NULL, NULL, 0));
	OK(btpm_da_lock_reset(t, &h, &lockout));
	OK(btpm_session_flush(t, &h));
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), 0);
	OK(btpm_unseal(t, &s, &item, got, sizeof(got), &len));
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	OK(btpm_da_parameters(t, &pw, &lockout, 3, 1000, 1000));
	ck_assert_uint_eq(property(BTPM_PT_MAX_AUTH_FAIL), 3);
	OK(btpm_flush_context(t, item.handle));
	OK(btpm_session_flush(t, &s));
	OK(btpm_flush_context(t, srk.handle));
	btpm_entity_wipe(&item);
}
END_TEST

START_TEST(context_save_load_round_trip)
{
	struct btpm_entity srk, key;
	struct btpm_public srk_pub, tmpl, pub;
	struct btpm_blob priv;
	struct btpm_session s;
	static struct btpm_context ctx, bad;
	uint8_t auth[32], digest[32], r[32], sv[32];
	OK(btpm_random(auth, sizeof(auth)));
	srk_up(&srk, &srk_pub);
	salted(&s, &srk, &srk_pub);
	OK(btpm_template_ecc_sign(&tmpl, BTPM_ECC_NIST_P256, 1));
	OK(btpm_create(t, &s, &srk, auth, sizeof(auth), NULL, 0, &tmpl, &priv, &pub));
	OK(btpm_load(t, &s, &srk, &priv, &pub, &key));
	OK(btpm_entity_set_auth(&key, auth, sizeof(auth)));
	OK(btpm_context_save(t, key.handle, &ctx));
	ck_assert_uint_eq(ctx.saved_handle, 0x80000000); /* a transient object */
	ck_assert_uint_eq(ctx.hierarchy, BTPM_RH_OWNER);
	ck_assert_uint_gt(ctx.blob_size, 32);
	OK(btpm_flush_context(t, key.handle));
	/* a context whose blob was tampered with fails the TPM's integrity check */
	bad = ctx;
	bad.blob[bad.blob_size - 1] ^= 1;
	uint32_t h = 0;
	ck_assert_int_gt(btpm_context_load(t, &bad, &h), 0);
	OK(btpm_context_load(t, &ctx, &h));
	ck_assert_uint_eq(h >> 24, 0x80);
	key.handle = h; /* same Name and auth, new handle */
	struct btpm_public_info info;
	OK(btpm_public_parse(&pub, &info));
	OK(btpm_hash(BTPM_ALG_SHA256, "ctx", 3, digest));
	OK(btpm_sign(t, &s, &key, digest, 32, BTPM_ALG_SHA256, r, sv, 32));
	OK(btpm_ecdsa_verify(BTPM_ECC_NIST_P256, info.x, info.y, 32, digest, 32, r, 32, sv, 32));
	OK(btpm_flush_context(t, h));
	OK(btpm_session_flush(t, &s));
	OK(btpm_flush_context(t, srk.handle));
	ASSERT_RC(btpm_context_save(t, h, &ctx), BTPM_RC_REFERENCE_H0); /* gone */
	btpm_entity_wipe(&key);
}
END_TEST

START_TEST(bad_arguments_send_nothing)
{
	struct btpm_session pw;
	struct btpm_entity owner = {0}, e = {0};
	struct btpm_public tmpl, pub;
	struct btpm_blob priv = {0};
	uint8_t buf[256] = {0}, r[32], sv[32];
	size_t len;
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0));
	OK(btpm_template_srk(&tmpl));
	unsigned long sent = btpm_commands_sent(t);
	ck_assert_int_eq(btpm_create_primary(t, NULL, &owner, &tmpl, &e, &pub), BTPM_E_ARG);
	pub.size = 0;
	ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &pub, &e, &pub), BTPM_E_ARG);
	ck_assert_int_eq(btpm_create(t, &pw, &owner, buf, 65, NULL, 0, &tmpl, &priv, &pub),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_create(t, &pw, &owner, NULL, 0, buf, 129, &tmpl, &priv, &pub),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_load(t, &pw, &owner, &priv, &tmpl, &e), BTPM_E_ARG); /* empty */
	ck_assert_int_eq(btpm_sign(t, &pw, &e, buf, 32, BTPM_ALG_SHA384, r, sv, 32), BTPM_E_ARG);
	ck_assert_int_eq(btpm_sign(t, &pw, &e, buf, 32, BTPM_ALG_SHA256, r, sv, 0), BTPM_E_ARG);
	ck_assert_int_eq(btpm_unseal(t, &pw, &e, buf, sizeof(buf), &len), BTPM_E_ARG);
	ck_assert_int_eq(btpm_object_change_auth(t, &pw, &e, &owner, buf, 65, &priv), BTPM_E_ARG);
	ck_assert_int_eq(btpm_context_load(t, &(struct btpm_context){0}, &(uint32_t){0}),
			 BTPM_E_ARG);
	ck_assert_int_eq(btpm_da_lock_reset(t, NULL, &owner), BTPM_E_ARG);
	ck_assert_uint_eq(btpm_commands_sent(t), sent);
}
END_TEST

START_TEST(cli_daparams_and_dareset)
{
	ck_assert_int_eq(cli("daparams --help"), 0);
	assert_has(out, "usage: baretpm");
	ck_assert_int_eq(cli("dareset --help"), 0);
	assert_has(out, "usage: baretpm");
	ck_assert_int_eq(cli("daparams"), 2);
	ck_assert_int_eq(cli("daparams --max-tries"), 2);
	ck_assert_int_eq(cli("daparams --max-tries x"), 2);
	ck_assert_int_eq(cli("daparams --max-tries 4294967296"), 2);
	ck_assert_int_eq(cli("daparams --max-tries 1 --max-tries 2"), 2);
	ck_assert_int_eq(cli("daparams --bogus 1"), 2);
	ck_assert_int_eq(cli("dareset extra"), 2);
	ck_assert_int_eq(cli("dareset --lockout-auth hex:abc"), 2);
	/* omitted values keep their current setting */
	ck_assert_int_eq(cli("daparams --max-tries 5"), 0);
	assert_has(out, "dictionary-attack parameters: max tries 5, recovery 1000 s, "
			"lockout recovery 1000 s\n");
	ck_assert_uint_eq(property(BTPM_PT_MAX_AUTH_FAIL), 5);
	ck_assert_int_eq(cli("daparams --recovery 600 --lockout-recovery 700"), 0);
	assert_has(out, "max tries 5, recovery 600 s, lockout recovery 700 s\n");

	/* one failed authorization, then the reset */
	struct btpm_entity srk, item;
	struct btpm_public srk_pub, pub;
	struct btpm_blob priv;
	struct btpm_session s;
	uint8_t auth[32], data[8] = "8 bytes", got[64];
	size_t len;
	OK(btpm_random(auth, sizeof(auth)));
	srk_up(&srk, &srk_pub);
	salted(&s, &srk, &srk_pub);
	seal(&s, &srk, auth, data, sizeof(data), 0, &priv, &pub, &item);
	item.auth[0] ^= 1;
	ASSERT_RC(btpm_unseal(t, &s, &item, got, sizeof(got), &len), BTPM_RC_AUTH_FAIL);
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), 1);
	OK(btpm_flush_context(t, item.handle));
	OK(btpm_session_flush(t, &s));
	OK(btpm_flush_context(t, srk.handle));
	/* an empty auth file is the empty lockout auth */
	ck_assert_int_eq(sh(": >'%s/empty'", sim.dir), 0);
	char args[400];
	snprintf(args, sizeof(args), "dareset --lockout-auth-file '%s/empty'", sim.dir);
	ck_assert_int_eq(cli(args), 0);
	ck_assert_str_eq(out, "lockout counter reset: 0 of 5 failed attempts\n");
	ck_assert_uint_eq(property(BTPM_PT_LOCKOUT_COUNTER), 0);
	ck_assert_int_eq(cli("daparams --max-tries 3 --recovery 1000 --lockout-recovery 1000"), 0);
	ck_assert_int_eq(cli("dareset"), 0);
	ck_assert_str_eq(out, "lockout counter reset: 0 of 3 failed attempts\n");
}
END_TEST

/*
 * A wrong lockout auth (it is empty) fails through the HMAC session the CLI
 * uses for a non-empty one, and shuts the lockout hierarchy for the lockout
 * recovery time: 1 s here.
 */
START_TEST(cli_wrong_lockout_auth)
{
	ck_assert_int_eq(cli("daparams --lockout-recovery 1"), 0);
	ck_assert_int_eq(cli("dareset --lockout-auth not-the-auth"), 1);
	assert_has(err, "TPM_RC_AUTH_FAIL");
	assert_has(err, "lockout authorization is wrong");
	ck_assert_int_eq(cli("dareset"), 1); /* the lockout hierarchy is shut now */
	assert_has(err, "TPM_RC_LOCKOUT");
	sleep(3);
	ck_assert_int_eq(cli("dareset"), 0);
	ck_assert_int_eq(cli("daparams --lockout-recovery 1000"), 0);
}
END_TEST

/* ---- wire: byte vectors from the Part 3 tables, and hostile responses ----- */

static struct fake *f;

static void fake_up(void)
{
	f = fake_new();
	ck_assert_int_eq(btpm_open_transport(&t, &f->tr, "fake"), 0);
}

static void fake_down(void)
{
	btpm_close(t);
	t = NULL;
}

/* The command just sent equals the hex vector. */
static void assert_sent(const char *hexv)
{
	uint8_t want[4096];
	size_t n = fake_hex(hexv, want, sizeof(want));
	ck_assert_uint_eq(f->cmd_len, n);
	ck_assert_mem_eq(f->cmd, want, n);
}

struct wbuf {
	uint8_t b[4096];
	size_t n;
};

static void w8(struct wbuf *w, uint8_t v)
{
	w->b[w->n++] = v;
}

static void w16(struct wbuf *w, uint16_t v)
{
	w8(w, (uint8_t)(v >> 8));
	w8(w, (uint8_t)v);
}

static void w32(struct wbuf *w, uint32_t v)
{
	w16(w, (uint16_t)(v >> 16));
	w16(w, (uint16_t)v);
}

static void wbytes(struct wbuf *w, const void *p, size_t n)
{
	if (n)
		memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w2b(struct wbuf *w, const void *p, size_t n)
{
	w16(w, (uint16_t)n);
	wbytes(w, p, n);
}

/*
 * Queue a successful response: with a password session (parameterSize and an
 * empty response auth) when sessions, with a handle when handle is non-zero.
 */
static void push_ok(int sessions, uint32_t handle, const struct wbuf *params)
{
	struct wbuf r = {.n = 0};
	w16(&r, sessions ? 0x8002 : 0x8001);
	w32(&r, 0);
	w32(&r, 0);
	if (handle)
		w32(&r, handle);
	if (sessions)
		w32(&r, (uint32_t)params->n);
	wbytes(&r, params->b, params->n);
	if (sessions) {
		w16(&r, 0);
		w8(&r, 0x01);
		w16(&r, 0);
	}
	r.b[2] = (uint8_t)(r.n >> 24);
	r.b[3] = (uint8_t)(r.n >> 16);
	r.b[4] = (uint8_t)(r.n >> 8);
	r.b[5] = (uint8_t)r.n;
	fake_push(f, r.b, r.n);
}

static void push_flush_ok(void)
{
	fake_push_hex(f, "8001 0000000a 00000000");
}

/* The last command was TPM2_FlushContext of handle. */
static void assert_flushed(uint32_t handle)
{
	uint8_t want[14] = {0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x65, (uint8_t)(handle >> 24),
			    (uint8_t)(handle >> 16), (uint8_t)(handle >> 8), (uint8_t)handle};
	ck_assert_uint_eq(f->cmd_len, 14);
	ck_assert_mem_eq(f->cmd, want, 14);
}

/* A TPMT_SIGNATURE for ECDSA: sig_alg, hash, r (rn bytes of 0x11), s (sn bytes of 0x22). */
static void ecdsa_sig(struct wbuf *w, uint16_t sig_alg, uint16_t hash, size_t rn, size_t sn)
{
	uint8_t rr[64], ss[64];
	memset(rr, 0x11, sizeof(rr));
	memset(ss, 0x22, sizeof(ss));
	w16(w, sig_alg);
	w16(w, hash);
	w2b(w, rr, rn);
	w2b(w, ss, sn);
}

START_TEST(sign_command_bytes_and_response)
{
	struct btpm_session pw;
	struct btpm_entity key = {.handle = 0x80000001};
	uint8_t digest[32], r[32], sv[32];
	for (int i = 0; i < 32; i++)
		digest[i] = (uint8_t)i;
	btpm_session_password(&pw);
	struct wbuf p = {.n = 0};
	ecdsa_sig(&p, BTPM_ALG_ECDSA, BTPM_ALG_SHA256, 31, 32); /* r one byte short */
	push_ok(1, 0, &p);
	OK(btpm_sign(t, &pw, &key, digest, 32, BTPM_ALG_SHA256, r, sv, 32));
	/* Part 3, 20.2: keyHandle; digest, inScheme {ECDSA, SHA-256}, validation
	 * {TPM_ST_HASHCHECK, TPM_RH_NULL, empty} */
	assert_sent("8002 00000049 0000015d 80000001 00000009 40000009 0000 01 0000"
		    "0020 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		    "0018 000b 8024 40000007 0000");
	ck_assert_uint_eq(r[0], 0); /* left-padded */
	for (int i = 1; i < 32; i++)
		ck_assert_uint_eq(r[i], 0x11);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(sv[i], 0x22);
}
END_TEST

START_TEST(sign_hostile_responses)
{
	static const struct {
		uint16_t alg, hash;
		size_t rn, sn;
		int trailing;
	} bad[] = {
		{0x0014, BTPM_ALG_SHA256, 32, 32, 0},         /* RSASSA, not ECDSA */
		{BTPM_ALG_ECDSA, BTPM_ALG_SHA384, 32, 32, 0}, /* another hash */
		{BTPM_ALG_ECDSA, BTPM_ALG_SHA256, 33, 32, 0}, /* r longer than the curve */
		{BTPM_ALG_ECDSA, BTPM_ALG_SHA256, 32, 0, 0},  /* empty s */
		{BTPM_ALG_ECDSA, BTPM_ALG_SHA256, 32, 32, 1}, /* a byte left over */
	};
	struct btpm_session pw;
	struct btpm_entity key = {.handle = 0x80000001};
	uint8_t digest[32] = {0}, r[32], sv[32];
	btpm_session_password(&pw);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wbuf p = {.n = 0};
		f = fake_new(); /* the same transport, emptied: its queue is short */
		ecdsa_sig(&p, bad[i].alg, bad[i].hash, bad[i].rn, bad[i].sn);
		if (bad[i].trailing)
			w8(&p, 0);
		push_ok(1, 0, &p);
		memset(r, 0xAA, sizeof(r));
		ck_assert_int_eq(btpm_sign(t, &pw, &key, digest, 32, BTPM_ALG_SHA256, r, sv, 32),
				 BTPM_E_MALFORMED);
		ck_assert_uint_eq(r[0], 0xAA); /* outputs untouched */
	}
	/* a response cut short anywhere */
	struct wbuf p = {.n = 0};
	ecdsa_sig(&p, BTPM_ALG_ECDSA, BTPM_ALG_SHA256, 32, 32);
	for (size_t cut = 0; cut < p.n; cut++) {
		struct wbuf q = p;
		q.n = cut;
		f = fake_new();
		push_ok(1, 0, &q);
		ck_assert_int_eq(btpm_sign(t, &pw, &key, digest, 32, BTPM_ALG_SHA256, r, sv, 32),
				 BTPM_E_MALFORMED);
	}
}
END_TEST

START_TEST(other_command_bytes)
{
	struct btpm_session pw;
	struct btpm_entity owner, lockout, obj = {.handle = 0x80000001};
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0));
	OK(btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0));
	struct wbuf none = {.n = 0};
	push_ok(1, 0, &none);
	OK(btpm_evict_control(t, &pw, &owner, &obj, 0x81000001));
	/* Part 3, 28.5: auth, objectHandle; persistentHandle */
	assert_sent("8002 00000023 00000120 40000001 80000001 00000009 40000009 0000 01 0000"
		    "81000001");
	push_ok(1, 0, &none);
	OK(btpm_da_parameters(t, &pw, &lockout, 3, 1000, 1000));
	/* Part 3, 25.3: lockHandle; newMaxTries, newRecoveryTime, lockoutRecovery */
	assert_sent("8002 00000027 0000013a 4000000a 00000009 40000009 0000 01 0000"
		    "00000003 000003e8 000003e8");
	push_ok(1, 0, &none);
	OK(btpm_da_lock_reset(t, &pw, &lockout));
	assert_sent("8002 0000001b 00000139 4000000a 00000009 40000009 0000 01 0000");
	/* a response parameter where there should be none */
	struct wbuf extra = {.n = 0};
	w8(&extra, 0);
	push_ok(1, 0, &extra);
	ck_assert_int_eq(btpm_da_lock_reset(t, &pw, &lockout), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(load_name_mismatch_flushes)
{
	struct btpm_session pw;
	struct btpm_entity parent = {.handle = 0x80000000}, obj = {.handle = 0x1234};
	struct btpm_public pub;
	struct btpm_blob priv = {.size = 3, .data = {1, 2, 3}};
	struct btpm_name name;
	btpm_session_password(&pw);
	OK(btpm_template_ecc_sign(&pub, BTPM_ECC_NIST_P256, 1));
	OK(btpm_public_name(&pub, &name));
	struct wbuf p = {.n = 0};
	w2b(&p, name.name, name.size);
	push_ok(1, 0x80000002, &p);
	OK(btpm_load(t, &pw, &parent, &priv, &pub, &obj));
	ck_assert_uint_eq(obj.handle, 0x80000002);
	ck_assert_uint_eq(obj.name.size, name.size);
	/* another Name: refused, and the object the TPM loaded is flushed */
	p.b[p.n - 1] ^= 1;
	push_ok(1, 0x80000002, &p);
	push_flush_ok();
	obj.handle = 0x1234;
	ck_assert_int_eq(btpm_load(t, &pw, &parent, &priv, &pub, &obj), BTPM_E_MALFORMED);
	ck_assert_uint_eq(obj.handle, 0x1234);
	assert_flushed(0x80000002);
	/* a handle that is not transient */
	p.b[p.n - 1] ^= 1;
	push_ok(1, 0x81000002, &p);
	ck_assert_int_eq(btpm_load(t, &pw, &parent, &priv, &pub, &obj), BTPM_E_MALFORMED);
}
END_TEST

/* The outputs of CreatePrimary after outPublic: creationData, Hash, Ticket, name. */
static void creation_outputs(struct wbuf *w, uint16_t ticket_tag, const struct btpm_name *name)
{
	size_t mark = w->n;
	w16(w, 0);            /* TPM2B_CREATION_DATA size, patched */
	w32(w, 1);            /* pcrSelect: one bank */
	w16(w, BTPM_ALG_SHA256);
	w8(w, 3);
	w8(w, 0);
	w8(w, 0);
	w8(w, 0);
	w2b(w, NULL, 0);      /* pcrDigest */
	w8(w, 0x01);          /* locality */
	w16(w, BTPM_ALG_NULL); /* parentNameAlg */
	uint8_t owner[4] = {0x40, 0, 0, 0x01};
	w2b(w, owner, 4);     /* parentName */
	w2b(w, owner, 4);     /* parentQualifiedName */
	w2b(w, NULL, 0);      /* outsideInfo */
	size_t n = w->n - mark - 2;
	w->b[mark] = (uint8_t)(n >> 8);
	w->b[mark + 1] = (uint8_t)n;
	uint8_t h[32] = {0};
	w2b(w, h, 32);        /* creationHash */
	w16(w, ticket_tag);   /* creationTicket */
	w32(w, BTPM_RH_OWNER);
	w2b(w, h, 32);
	w2b(w, name->name, name->size);
}

START_TEST(create_primary_hostile_responses)
{
	struct btpm_session pw;
	struct btpm_entity owner, obj;
	struct btpm_public tmpl, pub, got;
	struct btpm_name name;
	btpm_session_password(&pw);
	OK(btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0));
	OK(btpm_template_srk(&tmpl));
	pub = tmpl; /* the TPM's x and y would differ; the shape is what is checked */
	pub.area[pub.size - 1] = 0x5a;
	OK(btpm_public_name(&pub, &name));
	struct wbuf p = {.n = 0};
	w2b(&p, pub.area, pub.size);
	creation_outputs(&p, 0x8021, &name);
	push_ok(1, 0x80000000, &p);
	OK(btpm_create_primary(t, &pw, &owner, &tmpl, &obj, &got));
	/* Part 3, 24.1: primaryHandle; inSensitive (empty userAuth and data),
	 * inPublic, outsideInfo (empty), creationPCR (no banks) */
	char want[1024];
	int k = snprintf(want, sizeof(want), "8002 00000083 00000131 40000001 00000009 40000009 "
					     "0000 01 0000 0004 0000 0000 %04x",
			 tmpl.size);
	hex(tmpl.area, tmpl.size, want + k);
	strcat(want, "0000 00000000");
	assert_sent(want);
	ck_assert_uint_eq(obj.handle, 0x80000000);
	ck_assert_uint_eq(got.size, pub.size);
	ck_assert_mem_eq(got.area, pub.area, pub.size);
	/* a ticket that is not a creation ticket */
	struct wbuf q = {.n = 0};
	w2b(&q, pub.area, pub.size);
	creation_outputs(&q, 0x8024, &name);
	push_ok(1, 0x80000000, &q);
	push_flush_ok();
	ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &tmpl, &obj, &got), BTPM_E_MALFORMED);
	assert_flushed(0x80000000);
	/* a Name that is not the Name of outPublic */
	name.name[5] ^= 1;
	q.n = 0;
	w2b(&q, pub.area, pub.size);
	creation_outputs(&q, 0x8021, &name);
	push_ok(1, 0x80000000, &q);
	push_flush_ok();
	ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &tmpl, &obj, &got), BTPM_E_MALFORMED);
	assert_flushed(0x80000000);
	/* an outPublic that is not what the template asked for (no noDA) */
	name.name[5] ^= 1;
	pub.area[6] &= (uint8_t)~0x04; /* TPMA_OBJECT bit 10 */
	OK(btpm_public_name(&pub, &name));
	q.n = 0;
	w2b(&q, pub.area, pub.size);
	creation_outputs(&q, 0x8021, &name);
	push_ok(1, 0x80000000, &q);
	push_flush_ok();
	ck_assert_int_eq(btpm_create_primary(t, &pw, &owner, &tmpl, &obj, &got), BTPM_E_MALFORMED);
	assert_flushed(0x80000000);
}
END_TEST

START_TEST(context_hostile_responses)
{
	static struct btpm_context ctx;
	uint8_t blob[100];
	memset(blob, 0x5c, sizeof(blob));
	struct wbuf p = {.n = 0};
	w32(&p, 0);
	w32(&p, 7); /* sequence */
	w32(&p, 0x80000000);
	w32(&p, BTPM_RH_OWNER);
	w2b(&p, blob, sizeof(blob));
	push_ok(0, 0, &p);
	OK(btpm_context_save(t, 0x80000001, &ctx));
	assert_sent("8001 0000000e 00000162 80000001");
	ck_assert_uint_eq(ctx.sequence, 7);
	ck_assert_uint_eq(ctx.blob_size, sizeof(blob));
	/* trailing byte; empty blob */
	struct wbuf q = p;
	w8(&q, 0);
	push_ok(0, 0, &q);
	ck_assert_int_eq(btpm_context_save(t, 0x80000001, &ctx), BTPM_E_MALFORMED);
	q = p;
	q.n -= sizeof(blob) + 2;
	w16(&q, 0);
	push_ok(0, 0, &q);
	ck_assert_int_eq(btpm_context_save(t, 0x80000001, &ctx), BTPM_E_MALFORMED);
	ck_assert_uint_eq(ctx.blob_size, sizeof(blob)); /* untouched */
	/* ContextLoad: the TPMS_CONTEXT as saved; an object must come back transient */
	struct wbuf none = {.n = 0};
	push_ok(0, 0x80000003, &none);
	uint32_t h = 0;
	OK(btpm_context_load(t, &ctx, &h));
	ck_assert_uint_eq(h, 0x80000003);
	ck_assert_uint_eq(f->cmd_len, 10 + p.n);
	ck_assert_mem_eq(f->cmd + 10, p.b, p.n);
	push_ok(0, 0x02000000, &none);
	h = 0;
	ck_assert_int_eq(btpm_context_load(t, &ctx, &h), BTPM_E_MALFORMED);
	ck_assert_uint_eq(h, 0);
}
END_TEST

/* An unsalted HMAC session, as btpm_session_start(t, s, 0, NULL, 0) makes one. */
static void unsalted(struct btpm_session *s)
{
	memset(s, 0, sizeof(*s));
	s->handle = 0x02000000u;
	s->hash = BTPM_ALG_SHA256;
	s->nonce_size = 32;
	s->nonce_tpm_size = 32;
	memset(s->nonce_tpm, 0xAB, 32);
	s->attrs = BTPM_SESSION_CONTINUE | BTPM_SESSION_DECRYPT | BTPM_SESSION_ENCRYPT;
}

/* An all-zero auth value is an empty one (Part 1, 19.6.4.3): no secret through it unsalted. */
START_TEST(zero_auth_is_no_secret_key)
{
	struct btpm_session s;
	unsalted(&s);
	struct btpm_entity item = {.handle = 0x80000001u};
	item.name.size = 34;
	item.name.name[1] = 0x0B;
	static const uint8_t zeros[4] = {0};
	ck_assert_int_eq(btpm_entity_set_auth(&item, zeros, sizeof(zeros)), 0);
	uint8_t data[64];
	size_t len;
	ck_assert_int_eq(btpm_unseal(t, &s, &item, data, sizeof(data), &len), BTPM_E_ARG);
	ck_assert_uint_eq(f->calls, 0);
}
END_TEST

/* A response whose HMAC fails leaves the session's nonceTPM as it was. */
START_TEST(unverified_nonce_is_not_kept)
{
	struct btpm_session s;
	unsalted(&s);
	struct btpm_entity lockout;
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, "x", 1);
	/* DictionaryAttackLockReset: sessions tag, rc 0, parameterSize 0, then
	 * nonceTPM 16 x EE, attributes 01, an HMAC of 32 zero bytes (wrong) */
	char hex[512] = "80 02 00 00 00 43 00 00 00 00 00 00 00 00 00 10";
	for (int i = 0; i < 16; i++)
		strcat(hex, " ee");
	strcat(hex, " 01 00 20");
	for (int i = 0; i < 32; i++)
		strcat(hex, " 00");
	fake_push_hex(f, hex);
	ck_assert_int_eq(btpm_da_lock_reset(t, &s, &lockout), BTPM_E_BADHMAC);
	ck_assert_uint_eq(s.nonce_tpm_size, 32);
	ck_assert_uint_eq(s.nonce_tpm[0], 0xAB);
}
END_TEST

/* A malformed StartAuthSession answer that names a session: that session is flushed. */
START_TEST(malformed_session_start_flushes)
{
	struct btpm_session s;
	/* handle 0x02000005 with a nonceTPM of 8 bytes (at least 16 are due) */
	fake_push_hex(f, "80 01 00 00 00 18 00 00 00 00 02 00 00 05 00 08"
			 " 01 02 03 04 05 06 07 08");
	fake_push_hex(f, "80 01 00 00 00 0a 00 00 00 00");
	ck_assert_int_eq(btpm_session_start(t, &s, 0, NULL, 0), BTPM_E_MALFORMED);
	ck_assert_uint_eq(f->calls, 2);
	assert_sent("80 01 00 00 00 0e 00 00 01 65 02 00 00 05");
}
END_TEST

static Suite *keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_add_checked_fixture(tc, open_tpm, close_tpm);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, create_primary_srk);
	tcase_add_test(tc, evict_control_round_trip);
	tcase_add_test(tc, sign_p256_sha256);
	tcase_add_test(tc, sign_p384_sha384);
	tcase_add_test(tc, sign_p384_sha256);
	tcase_add_test(tc, seal_unseal_and_change_auth);
	tcase_add_test(tc, wrong_auth_counts_then_locks_out);
	tcase_add_test(tc, context_save_load_round_trip);
	tcase_add_test(tc, bad_arguments_send_nothing);
	tcase_add_test(tc, cli_daparams_and_dareset);
	tcase_add_test(tc, cli_wrong_lockout_auth);
	suite_add_tcase(s, tc);
	TCase *w = tcase_create("wire");
	tcase_add_checked_fixture(w, fake_up, fake_down);
	tcase_add_test(w, sign_command_bytes_and_response);
	tcase_add_test(w, sign_hostile_responses);
	tcase_add_test(w, other_command_bytes);
	tcase_add_test(w, load_name_mismatch_flushes);
	tcase_add_test(w, create_primary_hostile_responses);
	tcase_add_test(w, context_hostile_responses);
	tcase_add_test(w, zero_auth_is_no_secret_key);
	tcase_add_test(w, unverified_nonce_is_not_kept);
	tcase_add_test(w, malformed_session_start_flushes);
	suite_add_tcase(s, w);
	return s;
}

int main(void)
{
	return btpm_test_run(keys_suite());
}
