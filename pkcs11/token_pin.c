/* SPDX-License-Identifier: BSD-2-Clause */
/* The token secret sealed under the PINs: create, log in, change PINs. */
#include <stdio.h>
#include <string.h>

#include "btpm_crypto.h"
#include "rc.h"
#include "token_int.h"

#define SALT 16
#define AUTH 32

/* auth = SHA-256(salt || PIN) (DESIGN: PINs never reach the TPM as such). */
static int pin_auth(const uint8_t *salt, const char *pin, size_t len, uint8_t *auth)
{
	if (!pin || len < BTPM_TOK_PIN_MIN || len > BTPM_TOK_PIN_MAX)
		return BTPM_E_ARG;
	const struct btpm_iov v[2] = {{salt, SALT}, {pin, len}};
	return btpm_hash_v(BTPM_ALG_SHA256, auth, v, 2);
}

/* Seal w under the SRK with a fresh salt and the PIN's auth value. */
static int seal(struct btpm_tok_ctx *c, struct btpm_session *s, const uint8_t *w,
		const char *pin, size_t len, struct btpm_store_sealed *out)
{
	uint8_t auth[AUTH];
	struct btpm_public tmpl;
	int rc = btpm_random(out->salt, SALT);
	if (!rc)
		rc = pin_auth(out->salt, pin, len, auth);
	if (!rc)
		rc = btpm_template_sealed(&tmpl, 0); /* not noDA: the TPM counts wrong PINs */
	for (int tries = 0, lost = 0; !rc; tries++) {
		rc = btpm_create(c->t, s, &c->srk, auth, AUTH, w, BTPM_TOK_W, &tmpl, &out->priv,
				 &out->pub);
		if (btpm_tok_session_lost(rc) && !lost++) { /* flushed to make room: a new one */
			btpm_session_flush(c->t, s);
			rc = btpm_tok_start_session(c, s);
			continue;
		}
		if (!btpm_tok_full(c, rc, tries))
			break;
		rc = 0;
	}
	btpm_wipe(auth, sizeof(auth));
	return rc;
}

static int random_serial(char *out)
{
	uint8_t b[BTPM_STORE_SERIAL / 2];
	int rc = btpm_random(b, sizeof(b));
	for (unsigned i = 0; !rc && i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return rc;
}

/*
 * With the store locked: room for one more token (the store lists at most
 * BTPM_STORE_MAX_TOKENS) and no token with this serial yet (a new token's
 * file must never replace another's).
 */
static int room_for_token(struct btpm_store *st, const char *serial)
{
	char serials[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n = 0;
	int rc = btpm_store_list_tokens(st, serials, BTPM_STORE_MAX_TOKENS, &n);
	if (rc == BTPM_E_TOOBIG || (!rc && n >= BTPM_STORE_MAX_TOKENS)) {
		snprintf(st->error, sizeof(st->error),
			 "%s holds %u tokens, the most a store can; remove one first "
			 "('baretpm rmtoken')",
			 st->dir, (unsigned)BTPM_STORE_MAX_TOKENS);
		return BTPM_E_TOOBIG;
	}
	for (unsigned i = 0; !rc && serial && i < n; i++) {
		if (strcmp(serials[i], serial))
			continue;
		snprintf(st->error, sizeof(st->error), "%s: a token with serial %s exists",
			 st->dir, serial);
		rc = BTPM_E_STORE;
	}
	return rc;
}

int btpm_tok_make_token(struct btpm_tok_ctx *c, const char *label, const char *so_pin,
			size_t so_len, const char *user_pin, size_t user_len,
			struct btpm_store_token *out)
{
	if (!c || !label || !out || strlen(label) > BTPM_STORE_LABEL)
		return BTPM_E_ARG;
	memset(out, 0, sizeof(*out));
	int rc = btpm_tok_need_srk(c);
	if (rc)
		return rc;
	uint8_t w[BTPM_TOK_W];
	struct btpm_session s = {0};
	snprintf(out->label, sizeof(out->label), "%s", label);
	out->next_handle = 1;
	rc = random_serial(out->serial);
	if (!rc)
		rc = btpm_random(w, sizeof(w));
	if (!rc)
		rc = btpm_tok_start_session(c, &s);
	if (!rc)
		rc = seal(c, &s, w, so_pin, so_len, &out->so);
	if (!rc && user_pin) {
		rc = seal(c, &s, w, user_pin, user_len, &out->user);
		out->user_pin_set = !rc;
	}
	btpm_session_flush(c->t, &s);
	btpm_wipe(w, sizeof(w));
	return rc;
}

int btpm_tok_create_token(struct btpm_tok_ctx *c, const char *label, const char *so_pin,
			  size_t so_len, const char *user_pin, size_t user_len,
			  struct btpm_store_token *out)
{
	if (!c || !out)
		return BTPM_E_ARG;
	/* a full store fails before the TPM work; the check is made again under the lock */
	int rc = room_for_token(&c->store, NULL);
	if (!rc)
		rc = btpm_tok_make_token(c, label, so_pin, so_len, user_pin, user_len, out);
	if (!rc) {
		rc = btpm_store_lock(&c->store);
		if (!rc) {
			rc = room_for_token(&c->store, out->serial);
			if (!rc)
				rc = btpm_store_save_token(&c->store, out);
			btpm_store_unlock(&c->store);
		}
	}
	return rc;
}

/*
 * The first use of a session salted to the pinned SRK failed its HMAC check:
 * either the TPM's key is not the pinned one (another TPM, a cleared TPM, an
 * interposer) or something tampered with the exchange. Say which we can tell.
 * No PIN is in that check (it authorizes the SRK, whose auth is empty), so
 * AUTH_FAIL here, from a key at the pinned handle that counts failures, is
 * never a wrong PIN either.
 */
static int diagnose_pin(struct btpm_tok_ctx *c, int rc)
{
	if (rc != BTPM_E_BADHMAC && !btpm_tok_is_rc(rc, BTPM_RC_BAD_AUTH) &&
	    !btpm_tok_is_rc(rc, BTPM_RC_AUTH_FAIL))
		return rc;
	struct btpm_read_public there;
	int r = btpm_read_public(c->t, c->srk.handle, &there);
	if (r || !btpm_tok_same_public(&c->g.srk_public, there.public_area, there.public_size)) {
		snprintf(c->store.error, sizeof(c->store.error),
			 "the TPM's storage key at 0x%08x is not the one pinned in %s (another "
			 "TPM, a cleared TPM, or an interposer); refusing to use it",
			 (unsigned)c->srk.handle, c->store.dir);
		return BTPM_E_PINNED;
	}
	return rc;
}

/* Load a sealed object under the SRK through s; out gets handle and Name. */
static int load_sealed(struct btpm_tok_ctx *c, struct btpm_session *s,
		       const struct btpm_store_sealed *sealed, struct btpm_entity *out)
{
	int rc;
	for (int tries = 0;; tries++) {
		rc = btpm_load(c->t, s, &c->srk, &sealed->priv, &sealed->pub, out);
		if (!btpm_tok_full(c, rc, tries))
			break;
	}
	return rc ? diagnose_pin(c, rc) : 0;
}

int btpm_tok_login(struct btpm_tok_ctx *c, const struct btpm_store_token *tok,
		   enum btpm_tok_who who, const char *pin, size_t pin_len, struct btpm_tok_login *out)
{
	if (!c || !tok || !out || (who != BTPM_TOK_USER && who != BTPM_TOK_SO))
		return BTPM_E_ARG;
	memset(out, 0, sizeof(*out));
	if (who == BTPM_TOK_USER && !tok->user_pin_set)
		return BTPM_E_NOTFOUND;
	const struct btpm_store_sealed *sealed = who == BTPM_TOK_SO ? &tok->so : &tok->user;
	struct btpm_entity item = {0};
	uint8_t auth[AUTH];
	size_t len = 0;
	int rc = pin_auth(sealed->salt, pin, pin_len, auth);
	if (rc)
		return rc;
	rc = btpm_tok_need_srk(c);
	if (!rc)
		rc = btpm_tok_start_session(c, &out->s);
	if (!rc)
		rc = load_sealed(c, &out->s, sealed, &item);
	if (!rc) {
		btpm_entity_set_auth(&item, auth, AUTH);
		/* W comes back encrypted with the session key (ENCRYPT is set) */
		rc = btpm_unseal(c->t, &out->s, &item, out->w, sizeof(out->w), &len);
		if (!rc && len != BTPM_TOK_W)
			rc = BTPM_E_STORE;
		btpm_flush_context(c->t, item.handle);
	}
	btpm_wipe(auth, sizeof(auth));
	btpm_entity_wipe(&item);
	if (rc) {
		btpm_session_flush(c->t, &out->s);
		btpm_wipe(out, sizeof(*out));
		return rc;
	}
	out->who = who;
	snprintf(out->serial, sizeof(out->serial), "%s", tok->serial);
	btpm_tok_own_session(c, &out->s, 1);
	return 0;
}

void btpm_tok_logout(struct btpm_tok_ctx *c, struct btpm_tok_login *l)
{
	if (!c || !l)
		return;
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && !strcmp(c->loaded[i].serial, l->serial))
			btpm_tok_flush_loaded(c, &c->loaded[i]);
	btpm_tok_own_session(c, &l->s, 0);
	if (c->t)
		btpm_session_flush(c->t, &l->s);
	btpm_wipe(l, sizeof(*l));
}

int btpm_tok_init_pin(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		      struct btpm_tok_login *so, const char *pin, size_t pin_len)
{
	if (!c || !tok || !so || so->who != BTPM_TOK_SO)
		return BTPM_E_ARG;
	struct btpm_store_sealed user;
	int rc = btpm_tok_need_srk(c);
	if (!rc && !so->s.handle) /* dropped after a failure: a new one */
		rc = btpm_tok_start_session(c, &so->s);
	if (!rc)
		rc = seal(c, &so->s, so->w, pin, pin_len, &user);
	btpm_tok_session_check(c, &so->s, rc);
	if (!rc) {
		tok->user = user;
		tok->user_pin_set = 1;
	}
	return rc;
}

int btpm_tok_set_pin(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		     enum btpm_tok_who who, const char *old_pin, size_t old_len,
		     const char *new_pin, size_t new_len)
{
	if (!c || !tok || (who != BTPM_TOK_USER && who != BTPM_TOK_SO))
		return BTPM_E_ARG;
	if (who == BTPM_TOK_USER && !tok->user_pin_set)
		return BTPM_E_NOTFOUND;
	struct btpm_store_sealed *sealed = who == BTPM_TOK_SO ? &tok->so : &tok->user;
	struct btpm_store_sealed next = *sealed;
	uint8_t old_auth[AUTH], new_auth[AUTH];
	struct btpm_entity item = {0};
	struct btpm_session s = {0};
	int rc = pin_auth(sealed->salt, old_pin, old_len, old_auth);
	if (!rc)
		rc = btpm_random(next.salt, SALT);
	if (!rc)
		rc = pin_auth(next.salt, new_pin, new_len, new_auth);
	if (!rc)
		rc = btpm_tok_need_srk(c);
	if (!rc)
		rc = btpm_tok_start_session(c, &s);
	if (!rc)
		rc = load_sealed(c, &s, sealed, &item);
	if (!rc) {
		/* ObjectChangeAuth (authorized by the old PIN, DA-counted) returns a new
		 * private blob; the old one keeps the old PIN, so only the store decides */
		btpm_entity_set_auth(&item, old_auth, AUTH);
		rc = btpm_object_change_auth(c->t, &s, &item, &c->srk, new_auth, AUTH, &next.priv);
		btpm_flush_context(c->t, item.handle);
	}
	if (c->t)
		btpm_session_flush(c->t, &s);
	btpm_wipe(old_auth, sizeof(old_auth));
	btpm_wipe(new_auth, sizeof(new_auth));
	btpm_entity_wipe(&item);
	if (!rc)
		*sealed = next;
	return rc;
}
