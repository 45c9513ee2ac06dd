/* SPDX-License-Identifier: BSD-2-Clause */
/* The token layer: context, SRK pinning, the loaded-key cache, DA state. */
#include <stdio.h>
#include <string.h>

#include "btpm_crypto.h"
#include "rc.h"
#include "token_int.h"

int btpm_tok_is_rc(int rc, uint32_t base)
{
	return rc > 0 && (uint32_t)btpm_rc_base((uint32_t)rc) == base;
}

static int load_srk_entity(struct btpm_tok_ctx *c)
{
	memset(&c->srk, 0, sizeof(c->srk));
	c->srk.handle = c->g.srk_handle;
	return btpm_public_name(&c->g.srk_public, &c->srk.name);
}

void btpm_tok_ctx_blank(struct btpm_tok_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->store.lock_fd = -1; /* no lock: closing must not close descriptor 0 */
}

int btpm_tok_ctx_open(struct btpm_tok_ctx *c, const char *tcti, const char *store_dir,
		      int want_write)
{
	if (!c)
		return BTPM_E_ARG;
	btpm_tok_ctx_blank(c);
	snprintf(c->tcti, sizeof(c->tcti), "%s", tcti ? tcti : "");
	int rc = btpm_store_open(&c->store, store_dir, want_write);
	if (rc)
		return rc;
	rc = btpm_store_load_global(&c->store, &c->g);
	if (rc == BTPM_E_NOTFOUND)
		return 0; /* not initialized yet: only btpm_tok_init works */
	if (!rc)
		rc = load_srk_entity(c);
	if (rc) {
		btpm_store_close(&c->store);
		return rc;
	}
	c->have_global = 1;
	return 0;
}

int btpm_tok_tpm(struct btpm_tok_ctx *c)
{
	if (c->t)
		return 0;
	char err[256];
	int rc = btpm_open(&c->t, c->tcti[0] ? c->tcti : NULL, err, sizeof(err));
	if (rc)
		snprintf(c->store.error, sizeof(c->store.error), "cannot open the TPM: %s", err);
	return rc;
}

void btpm_tok_forget_loaded(struct btpm_tok_loaded *l)
{
	btpm_entity_wipe(&l->key);
	memset(l, 0, sizeof(*l));
}

void btpm_tok_flush_loaded(struct btpm_tok_ctx *c, struct btpm_tok_loaded *l)
{
	if (c->t && l->serial[0])
		btpm_flush_context(c->t, l->key.handle);
	btpm_tok_forget_loaded(l);
}

/* A transient SRK (srk_handle 0) lives in c->srk.handle while the TPM is open. */
static void flush_transient_srk(struct btpm_tok_ctx *c)
{
	if (c->t && c->have_global && !c->g.srk_handle && c->srk.handle)
		btpm_flush_context(c->t, c->srk.handle);
	c->srk.handle = c->g.srk_handle;
}

void btpm_tok_ctx_close(struct btpm_tok_ctx *c)
{
	if (!c)
		return;
	if (btpm_flushes_on_close(c->t)) { /* the close below flushes them all */
		for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
			btpm_tok_forget_loaded(&c->loaded[i]);
	} else {
		for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
			if (c->loaded[i].serial[0])
				btpm_tok_flush_loaded(c, &c->loaded[i]);
		flush_transient_srk(c);
	}
	btpm_close(c->t);
	btpm_store_close(&c->store);
	btpm_wipe(c, sizeof(*c));
}

void btpm_tok_after_fork(struct btpm_tok_ctx *c)
{
	/* The parent's handles are the parent's: forget them, flush nothing. */
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		btpm_tok_forget_loaded(&c->loaded[i]);
	memset(c->logins, 0, sizeof(c->logins));
	c->srk.handle = c->g.srk_handle;
	if (c->t) {
		btpm_close(c->t); /* closes only this process's copy of the descriptor */
		c->t = NULL;
	}
}

/*
 * The primary key the SRK template gives on this TPM, loaded (the same seed
 * gives the same key): created under the owner hierarchy, whose auth is empty.
 */
static int srk_from_template(struct btpm_tok_ctx *c, struct btpm_entity *srk,
			     struct btpm_public *pub)
{
	struct btpm_public tmpl;
	struct btpm_entity owner;
	struct btpm_session pw;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	int rc = btpm_template_srk(&tmpl);
	if (!rc)
		rc = btpm_create_primary(c->t, &pw, &owner, &tmpl, srk, pub);
	return rc;
}

int btpm_tok_need_srk(struct btpm_tok_ctx *c)
{
	if (!c->have_global) {
		snprintf(c->store.error, sizeof(c->store.error),
			 "the token store in %s is not initialized: run 'baretpm init'", c->store.dir);
		return BTPM_E_NOTFOUND;
	}
	int rc = btpm_tok_tpm(c);
	if (rc || c->srk.handle)
		return rc;
	/* Transient SRK: re-create it from the template; it must be the pinned key. */
	struct btpm_public pub;
	struct btpm_entity srk;
	rc = srk_from_template(c, &srk, &pub);
	if (rc)
		return rc;
	if (srk.name.size != c->srk.name.size ||
	    memcmp(srk.name.name, c->srk.name.name, srk.name.size)) {
		btpm_flush_context(c->t, srk.handle);
		return BTPM_E_PINNED;
	}
	c->srk.handle = srk.handle;
	return 0;
}

/*
 * Flush the loaded handles of a range (transient objects, or loaded sessions)
 * that this context does not hold: its cached keys and a transient SRK stay.
 * Returns how many were flushed.
 */
static int flush_unknown(struct btpm_tok_ctx *c, uint32_t range)
{
	struct btpm_capdata d;
	int n = 0;
	if (!c->t || btpm_get_capability_all(c->t, BTPM_CAP_HANDLES, range, range | 0xFFFFFF, &d))
		return 0;
	for (uint32_t i = 0; i < d.count; i++) {
		uint32_t h = d.u.handles[i];
		int ours = h == c->srk.handle;
		for (unsigned k = 0; k < BTPM_TOK_MAX_LOADED && !ours; k++)
			ours = c->loaded[k].serial[0] && c->loaded[k].key.handle == h;
		for (unsigned k = 0; k < BTPM_TOK_MAX_LOGINS && !ours; k++)
			ours = c->logins[k] && c->logins[k]->handle == h;
		if (!ours && !btpm_flush_context(c->t, h))
			n++;
	}
	return n;
}

void btpm_tok_own_session(struct btpm_tok_ctx *c, struct btpm_session *s, int own)
{
	for (unsigned k = 0; k < BTPM_TOK_MAX_LOGINS; k++)
		if (c->logins[k] == s)
			c->logins[k] = NULL;
	for (unsigned k = 0; own && k < BTPM_TOK_MAX_LOGINS; k++)
		if (!c->logins[k]) {
			c->logins[k] = s;
			break;
		}
}

/* Room for one more session: strangers' sessions first, else one of our idle logins'. */
static int session_room(struct btpm_tok_ctx *c, const struct btpm_session *keep)
{
	if (flush_unknown(c, BTPM_HR_HMAC_SESSION) > 0)
		return 1;
	for (unsigned k = 0; k < BTPM_TOK_MAX_LOGINS; k++) {
		struct btpm_session *s = c->logins[k];
		if (s && s != keep && s->handle) {
			btpm_session_flush(c->t, s); /* its login starts a new one when next used */
			return 1;
		}
	}
	return 0;
}

/* A session salted to the pinned SRK: the only key it ever trusts. */
int btpm_tok_start_session(struct btpm_tok_ctx *c, struct btpm_session *s)
{
	int rc;
	for (int tries = 0;; tries++) {
		rc = btpm_session_start(c->t, s, c->srk.handle, c->g.srk_public.area,
					c->g.srk_public.size);
		/* the salt key, persistent, takes an object slot while it decrypts the salt */
		if (btpm_tok_full(c, rc, tries))
			continue;
		if (!btpm_tok_is_rc(rc, BTPM_RC_SESSION_MEMORY) || tries >= 4 ||
		    !session_room(c, s))
			break;
	}
	return rc;
}

int btpm_tok_session_lost(int rc)
{
	if (rc <= 0)
		return rc == BTPM_E_BADHMAC;
	uint32_t b = (uint32_t)btpm_rc_base((uint32_t)rc);
	int on_session = ((uint32_t)rc & 0x8C0) == 0x880; /* format 1, P clear, N >= 8 */
	return (b >= BTPM_RC_REFERENCE_S0 && b <= BTPM_RC_REFERENCE_S0 + 6) ||
	       (b == BTPM_RC_HANDLE && on_session);
}

int btpm_tok_same_public(const struct btpm_public *a, const uint8_t *b, size_t n)
{
	return a->size == n && !memcmp(a->area, b, n);
}

void btpm_tok_session_check(struct btpm_tok_ctx *c, struct btpm_session *s, int rc)
{
	int lost = rc == BTPM_E_IO || rc == BTPM_E_TIMEOUT || rc == BTPM_E_CLOSED ||
		   rc == BTPM_E_MALFORMED || rc == BTPM_E_TOOBIG || rc == BTPM_E_BADHMAC;
	if (!lost || (s->handle & 0xFF000000u) != BTPM_HR_HMAC_SESSION)
		return;
	if (rc == BTPM_E_TIMEOUT || !c->t)
		btpm_session_wipe(s); /* a TPM that does not answer would cost another timeout */
	else
		btpm_session_flush(c->t, s);
}

int btpm_tok_init(struct btpm_tok_ctx *c, uint32_t srk_handle)
{
	if (!c || (srk_handle && srk_handle >> 24 != 0x81))
		return BTPM_E_ARG;
	int rc = btpm_tok_tpm(c);
	if (rc)
		return rc;
	struct btpm_public pub;
	struct btpm_entity owner, srk;
	struct btpm_session pw;
	struct btpm_read_public there;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	rc = srk_from_template(c, &srk, &pub);
	if (rc)
		return rc;
	if (c->have_global && !btpm_tok_same_public(&c->g.srk_public, pub.area, pub.size)) {
		btpm_flush_context(c->t, srk.handle);
		snprintf(c->store.error, sizeof(c->store.error),
			 "%s pins a storage key that this TPM does not have (another TPM, or it "
			 "was cleared); refusing to re-pin",
			 c->store.dir);
		return BTPM_E_PINNED;
	}
	if (srk_handle) {
		rc = btpm_read_public(c->t, srk_handle, &there);
		if (!rc && !btpm_tok_same_public(&pub, there.public_area, there.public_size)) {
			btpm_flush_context(c->t, srk.handle);
			snprintf(c->store.error, sizeof(c->store.error),
				 "persistent handle 0x%08x holds a different key; evict it or "
				 "choose another handle",
				 (unsigned)srk_handle);
			return BTPM_E_EXISTS;
		}
		if (btpm_tok_is_rc(rc, BTPM_RC_HANDLE))
			rc = btpm_evict_control(c->t, &pw, &owner, &srk, srk_handle);
	}
	btpm_flush_context(c->t, srk.handle);
	if (rc)
		return rc;
	c->g.srk_handle = srk_handle;
	c->g.srk_public = pub;
	rc = btpm_store_save_global(&c->store, &c->g);
	if (!rc) {
		c->have_global = 1;
		rc = load_srk_entity(c);
	}
	return rc;
}

struct btpm_tok_loaded *btpm_tok_find_loaded(struct btpm_tok_ctx *c, const char *serial,
					   uint32_t object)
{
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && c->loaded[i].object == object &&
		    !strcmp(c->loaded[i].serial, serial))
			return &c->loaded[i];
	return NULL;
}

/* A free cache slot; flushes the least recently used key if none is free. */
struct btpm_tok_loaded *btpm_tok_lru_slot(struct btpm_tok_ctx *c)
{
	struct btpm_tok_loaded *old = &c->loaded[0];
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++) {
		if (!c->loaded[i].serial[0])
			return &c->loaded[i];
		if (c->loaded[i].last_use < old->last_use)
			old = &c->loaded[i];
	}
	btpm_tok_flush_loaded(c, old);
	return old;
}

int btpm_tok_flush_lru(struct btpm_tok_ctx *c)
{
	struct btpm_tok_loaded *old = NULL;
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && (!old || c->loaded[i].last_use < old->last_use))
			old = &c->loaded[i];
	if (!old)
		return 0;
	btpm_tok_flush_loaded(c, old);
	return 1;
}

int btpm_tok_full(struct btpm_tok_ctx *c, int rc, int tries)
{
	return btpm_tok_is_rc(rc, BTPM_RC_OBJECT_MEMORY) && tries < BTPM_TOK_MAX_LOADED &&
	       (btpm_tok_flush_lru(c) || flush_unknown(c, BTPM_HR_TRANSIENT) > 0);
}

int btpm_tok_forget_keys(struct btpm_tok_ctx *c, const char *serial, uint32_t object)
{
	int n = 0;
	for (unsigned i = 0; c && i < BTPM_TOK_MAX_LOADED; i++) {
		struct btpm_tok_loaded *l = &c->loaded[i];
		if (!l->serial[0] || (serial && strcmp(l->serial, serial)) ||
		    (object && l->object != object))
			continue;
		btpm_tok_flush_loaded(c, l);
		n++;
	}
	return n;
}

int btpm_tok_da_state(struct btpm_tok_ctx *c, uint32_t *failures, uint32_t *max_tries,
		      int *locked)
{
	if (!c || !failures || !max_tries || !locked)
		return BTPM_E_ARG;
	int rc = btpm_tok_tpm(c);
	struct btpm_capdata d;
	if (!rc)
		rc = btpm_get_capability_all(c->t, BTPM_CAP_TPM_PROPERTIES, BTPM_PT_PERMANENT,
					     BTPM_PT_LOCKOUT_COUNTER + 3, &d);
	if (rc)
		return rc;
	uint32_t perm = 0;
	*failures = *max_tries = 0;
	for (unsigned i = 0; i < d.count; i++) {
		uint32_t v = d.u.props[i].value;
		switch (d.u.props[i].property) {
		case BTPM_PT_PERMANENT:
			perm = v;
			break;
		case BTPM_PT_LOCKOUT_COUNTER:
			*failures = v;
			break;
		case BTPM_PT_MAX_AUTH_FAIL:
			*max_tries = v;
			break;
		}
	}
	/* TPMA_PERMANENT.inLockout (Part 2, 8.6) */
	*locked = (perm >> 9 & 1) || (*max_tries && *failures >= *max_tries);
	return 0;
}
