/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token layer against swtpm: SRK pinning, PIN-sealed token secret, keys,
 * signing, PIN changes, the TPM command budget of each step, pin mismatch,
 * and no handle left behind.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "harness.h"
#include "rc.h"
#include "token.h"
#include "run.h"

static struct btpm_test_sim sim;
static char store_dir[300];
static struct btpm_tok_ctx c;

static void fresh(void)
{
	snprintf(store_dir, sizeof(store_dir), "%s/store-XXXXXX", sim.dir);
	ck_assert_ptr_nonnull(mkdtemp(store_dir));
	ck_assert_int_eq(btpm_tok_ctx_open(&c, sim.tcti, store_dir, 1), 0);
	ck_assert_int_eq(btpm_tok_init(&c, BTPM_TOK_SRK_HANDLE), 0);
}

/* Nothing of ours may stay loaded in a TPM without a resource manager. */
static void nothing_loaded(void)
{
	struct btpm *t;
	char err[200];
	struct btpm_capdata d;
	ck_assert_int_eq(btpm_open(&t, sim.tcti, err, sizeof(err)), 0);
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, BTPM_HR_TRANSIENT,
						 BTPM_HR_TRANSIENT + 0xFFFFFF, &d),
			 0);
	ck_assert_msg(d.count == 0, "%u transient objects left", d.count);
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, BTPM_HR_HMAC_SESSION,
						 BTPM_HR_HMAC_SESSION + 0xFFFFFF, &d),
			 0);
	ck_assert_msg(d.count == 0, "%u sessions left", d.count);
	btpm_close(t);
}

static void done(void)
{
	btpm_tok_ctx_close(&c);
	nothing_loaded();
}

static unsigned long sent(void)
{
	return btpm_commands_sent(c.t);
}

START_TEST(workflow_and_budget)
{
	struct btpm_store_token tok;
	struct btpm_tok_login l;
	ck_assert_int_eq(btpm_tok_create_token(&c, "ssh", "5678", 4, "1234", 4, &tok), 0);
	ck_assert(tok.user_pin_set);
	unsigned long n0 = sent();
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "1234", 4, &l), 0);
	ck_assert_uint_le(sent() - n0, 4); /* DESIGN: C_Login at most 4 */
	uint32_t priv, pub;
	ck_assert_int_eq(btpm_tok_keygen(&c, &tok, &l, BTPM_ECC_NIST_P256, "k", 1,
					 (const uint8_t *)"\x01", 1, &priv, &pub),
			 0);
	uint8_t digest[32], sig[96];
	size_t sl;
	btpm_hash(BTPM_ALG_SHA256, "hello", 5, digest);
	n0 = sent();
	ck_assert_int_eq(btpm_tok_sign(&c, &tok, &l, priv, digest, 32, sig, sizeof(sig), &sl), 0);
	ck_assert_uint_eq(sent() - n0, 2); /* first sign: Load + Sign */
	for (int i = 0; i < 5; i++) {
		n0 = sent();
		ck_assert_int_eq(btpm_tok_sign(&c, &tok, &l, priv, digest, 32, sig, sizeof(sig), &sl),
				 0);
		ck_assert_uint_eq(sent() - n0, 1); /* steady state: one TPM2_Sign */
	}
	ck_assert_uint_eq(sl, 64);
	/* the signature verifies against the public object's EC point */
	struct btpm_store_object *po = btpm_store_object_find(&tok, pub);
	const struct btpm_store_attr *pt = btpm_store_attr_get(po, 0x181);
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(pt->len, 67);
	ck_assert_int_eq(btpm_ecdsa_verify(BTPM_ECC_NIST_P256, pt->value + 3, pt->value + 35, 32,
					   digest, 32, sig, 32, sig + 32, 32),
			 0);
	sig[5] ^= 1;
	ck_assert_int_ne(btpm_ecdsa_verify(BTPM_ECC_NIST_P256, pt->value + 3, pt->value + 35, 32,
					   digest, 32, sig, 32, sig + 32, 32),
			 0);
	btpm_tok_logout(&c, &l);
	btpm_store_token_free(&tok);
}
END_TEST

START_TEST(wrong_pin_is_counted)
{
	struct btpm_store_token tok;
	struct btpm_tok_login l;
	uint32_t fails, max;
	int locked;
	ck_assert_int_eq(btpm_tok_create_token(&c, "t", "5678", 4, "1234", 4, &tok), 0);
	ck_assert_int_eq(btpm_tok_da_state(&c, &fails, &max, &locked), 0);
	uint32_t before = fails;
	int rc = btpm_tok_login(&c, &tok, BTPM_TOK_USER, "9999", 4, &l);
	ck_assert_uint_eq(btpm_rc_base((uint32_t)rc), BTPM_RC_AUTH_FAIL);
	ck_assert_int_eq(btpm_tok_da_state(&c, &fails, &max, &locked), 0);
	ck_assert_uint_eq(fails, before + 1);
	ck_assert_uint_eq(max, 3);
	/* reset for the other tests (swtpm locks out after 3) */
	struct btpm_entity lockout;
	struct btpm_session pw;
	btpm_session_password(&pw);
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	ck_assert_int_eq(btpm_da_lock_reset(c.t, &pw, &lockout), 0);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "12", 2, &l), BTPM_E_ARG);
	btpm_store_token_free(&tok);
}
END_TEST

START_TEST(pins_change)
{
	struct btpm_store_token tok;
	struct btpm_tok_login l, so;
	ck_assert_int_eq(btpm_tok_create_token(&c, "t", "5678", 4, NULL, 0, &tok), 0);
	ck_assert(!tok.user_pin_set);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "1234", 4, &l), BTPM_E_NOTFOUND);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_SO, "5678", 4, &so), 0);
	ck_assert_int_eq(btpm_tok_init_pin(&c, &tok, &so, "1111", 4), 0);
	btpm_tok_logout(&c, &so);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "1111", 4, &l), 0);
	uint8_t w[32];
	memcpy(w, l.w, 32);
	btpm_tok_logout(&c, &l);
	ck_assert_int_eq(btpm_tok_set_pin(&c, &tok, BTPM_TOK_USER, "1111", 4, "2222", 4), 0);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "2222", 4, &l), 0);
	ck_assert_mem_eq(l.w, w, 32); /* the same token secret: keys stay usable */
	btpm_tok_logout(&c, &l);
	ck_assert_int_eq(btpm_store_save_token(&c.store, &tok), 0);
	btpm_store_token_free(&tok);
}
END_TEST

/* Three tokens' keys in turn: more keys than the TPM's 3 object slots. */
START_TEST(more_keys_than_slots)
{
	struct btpm_store_token tok;
	struct btpm_tok_login l;
	uint32_t priv[5];
	ck_assert_int_eq(btpm_tok_create_token(&c, "many", "5678", 4, "1234", 4, &tok), 0);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "1234", 4, &l), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(btpm_tok_keygen(&c, &tok, &l, i % 2 ? BTPM_ECC_NIST_P384
								 : BTPM_ECC_NIST_P256,
						 "k", 1, (const uint8_t *)&i, 1, &priv[i], NULL),
				 0);
	uint8_t digest[48] = {1}, sig[96];
	size_t sl;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5; i++)
			ck_assert_int_eq(btpm_tok_sign(&c, &tok, &l, priv[i], digest, 32, sig,
						       sizeof(sig), &sl),
					 0);
	btpm_tok_logout(&c, &l);
	btpm_store_token_free(&tok);
}
END_TEST

/*
 * Another process on a TPM with no resource manager (swtpm) finds it full
 * and flushes objects it does not know: ours. Our cached handle then names
 * its key. The next signature reloads ours and succeeds, and no failure is
 * counted towards a lockout.
 */
START_TEST(another_process_takes_our_handle)
{
	struct btpm_store_token tok;
	struct btpm_tok_login la, lb;
	uint32_t priv[3], pub;
	uint8_t digest[32], sig[96];
	size_t sl;
	btpm_hash(BTPM_ALG_SHA256, "hello", 5, digest);
	ck_assert_int_eq(btpm_tok_create_token(&c, "shared", "5678", 4, "1234", 4, &tok), 0);
	ck_assert_int_eq(btpm_tok_login(&c, &tok, BTPM_TOK_USER, "1234", 4, &la), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(btpm_tok_keygen(&c, &tok, &la, BTPM_ECC_NIST_P256, "k", 1,
						 (const uint8_t *)&i, 1, &priv[i], &pub),
				 0);
		ck_assert_int_eq(btpm_tok_sign(&c, &tok, &la, priv[i], digest, 32, sig, sizeof(sig), &sl),
				 0);
	}
	/* "process B": its login finds every slot taken and flushes all three */
	struct btpm_tok_ctx b;
	ck_assert_int_eq(btpm_tok_ctx_open(&b, sim.tcti, store_dir, 0), 0);
	ck_assert_int_eq(btpm_tok_login(&b, &tok, BTPM_TOK_USER, "1234", 4, &lb), 0);
	/* B loads keys until one sits at a handle A has cached for another key */
	uint32_t victim = 0;
	for (int i = 0; i < 3 && !victim; i++) {
		ck_assert_int_eq(btpm_tok_sign(&b, &tok, &lb, priv[i], digest, 32, sig, sizeof(sig),
					       &sl),
				 0);
		uint32_t hb = 0;
		for (unsigned j = 0; j < BTPM_TOK_MAX_LOADED; j++)
			if (b.loaded[j].serial[0] && b.loaded[j].object == priv[i])
				hb = b.loaded[j].key.handle;
		ck_assert_uint_ne(hb, 0);
		for (unsigned j = 0; j < BTPM_TOK_MAX_LOADED; j++)
			if (c.loaded[j].serial[0] && c.loaded[j].object != priv[i] &&
			    c.loaded[j].key.handle == hb)
				victim = c.loaded[j].object;
	}
	ck_assert_msg(victim != 0, "no handle of A's was taken: the test proves nothing");
	/* A signs with the key whose handle B's key holds now */
	ck_assert_int_eq(btpm_tok_sign(&c, &tok, &la, victim, digest, 32, sig, sizeof(sig), &sl), 0);
	uint32_t fails, max;
	int locked;
	ck_assert_int_eq(btpm_tok_da_state(&c, &fails, &max, &locked), 0);
	ck_assert_uint_eq(fails, 0);
	/* and B goes on too, whatever A's recovery flushed */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(btpm_tok_sign(&b, &tok, &lb, priv[i], digest, 32, sig, sizeof(sig),
					       &sl),
				 0);
	ck_assert_int_eq(btpm_tok_da_state(&c, &fails, &max, &locked), 0);
	ck_assert_uint_eq(fails, 0);
	btpm_tok_logout(&b, &lb);
	btpm_tok_ctx_close(&b);
	btpm_tok_logout(&c, &la);
	btpm_store_token_free(&tok);
}
END_TEST

/* A primary key from tmpl made persistent at the pinned SRK handle of o's TPM. */
static void plant_impostor(struct btpm_tok_ctx *o, const struct btpm_public *tmpl)
{
	struct btpm_public pub;
	struct btpm_entity owner, k;
	struct btpm_session pw;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	ck_assert_int_eq(btpm_create_primary(o->t, &pw, &owner, tmpl, &k, &pub), 0);
	ck_assert_int_eq(btpm_evict_control(o->t, &pw, &owner, &k, BTPM_TOK_SRK_HANDLE), 0);
	btpm_flush_context(o->t, k.handle);
}

/* A login through o is refused as a pinning failure. */
static void assert_pinned(struct btpm_tok_ctx *o, const struct btpm_store_token *tok)
{
	struct btpm_tok_login l;
	ck_assert_int_eq(btpm_tok_login(o, tok, BTPM_TOK_USER, "1234", 4, &l), BTPM_E_PINNED);
	ck_assert_ptr_nonnull(strstr(o->store.error, "not the one pinned"));
}

/* The store pins one TPM's key: another TPM is refused, never re-pinned. */
START_TEST(other_tpm_is_refused)
{
	struct btpm_store_token tok;
	ck_assert_int_eq(btpm_tok_create_token(&c, "pinned", "5678", 4, "1234", 4, &tok), 0);
	btpm_tok_ctx_close(&c);
	struct btpm_test_sim other;
	ck_assert_int_eq(btpm_test_sim_start(&other, NULL), 0);
	struct btpm_tok_ctx o;
	struct btpm_tok_login l;
	ck_assert_int_eq(btpm_tok_ctx_open(&o, other.tcti, store_dir, 1), 0);
	int rc = btpm_tok_init(&o, BTPM_TOK_SRK_HANDLE);
	ck_assert_int_eq(rc, BTPM_E_PINNED);
	ck_assert_ptr_nonnull(strstr(o.store.error, "refusing"));
	/* the other TPM has no key at 0x81000001 at all: login fails, no PIN is tried */
	rc = btpm_tok_login(&o, &tok, BTPM_TOK_USER, "1234", 4, &l);
	ck_assert_int_ne(rc, 0);
	/* with an impostor key at the pinned handle: detected as a pinning failure */
	struct btpm_public tmpl;
	btpm_template_srk(&tmpl);
	plant_impostor(&o, &tmpl);
	assert_pinned(&o, &tok);
	uint32_t fails, max;
	int locked;
	ck_assert_int_eq(btpm_tok_da_state(&o, &fails, &max, &locked), 0);
	ck_assert_uint_eq(fails, 0); /* no PIN was ever tried against the impostor */
	/*
	 * An impostor without noDA: the TPM counts its failed check (only a
	 * TPM2_ReadPublic before every login could avoid that), but it is
	 * reported as a pinning failure, not as a wrong PIN to try again.
	 */
	struct btpm_read_public there;
	struct btpm_session pw;
	struct btpm_entity owner;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	ck_assert_int_eq(btpm_read_public(o.t, BTPM_TOK_SRK_HANDLE, &there), 0);
	struct btpm_entity old = {.handle = BTPM_TOK_SRK_HANDLE, .name = there.name};
	ck_assert_int_eq(btpm_evict_control(o.t, &pw, &owner, &old, BTPM_TOK_SRK_HANDLE), 0);
	tmpl.area[6] &= (uint8_t)~0x04; /* objectAttributes bit 10, noDA (Part 2, 8.3) */
	plant_impostor(&o, &tmpl);
	assert_pinned(&o, &tok);
	btpm_tok_ctx_close(&o);
	btpm_test_sim_stop(&other);
	btpm_store_token_free(&tok);
	ck_assert_int_eq(btpm_tok_ctx_open(&c, sim.tcti, store_dir, 1), 0);
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_add_checked_fixture(tc, fresh, done);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, workflow_and_budget);
	tcase_add_test(tc, wrong_pin_is_counted);
	tcase_add_test(tc, pins_change);
	tcase_add_test(tc, more_keys_than_slots);
	tcase_add_test(tc, other_tpm_is_refused);
	tcase_add_test(tc, another_process_takes_our_handle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(token_suite());
}
