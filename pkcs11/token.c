/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM-backed token operations: SRK pinning, PIN-sealed secrets, keys, signing. */
#include <stdio.h>
#include <string.h>

#include "btpm_crypto.h"
#include "rc.h"
#include "token.h"

#define CKA_LABEL 0x003u
#define CKA_ID 0x102u
#define CKA_EC_PARAMS 0x180u
#define CKA_EC_POINT 0x181u
#define SALT 16
#define AUTH 32

/* DER OIDs of the named curves (RFC 5480, 2.1.1.1), as CKA_EC_PARAMS. */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

static int is_rc(int rc, uint32_t base)
{
	return rc > 0 && (uint32_t)btpm_rc_base((uint32_t)rc) == base;
}

/* ---- context ----------------------------------------------------------- */

static int load_srk_entity(struct btpm_tok_ctx *c)
{
	memset(&c->srk, 0, sizeof(c->srk));
	c->srk.handle = c->g.srk_handle;
	return btpm_public_name(&c->g.srk_public, &c->srk.name);
}

int btpm_tok_ctx_open(struct btpm_tok_ctx *c, const char *tcti, const char *store_dir,
		      int want_write)
{
	if (!c)
		return BTPM_E_ARG;
	memset(c, 0, sizeof(*c));
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

static void forget_loaded(struct btpm_tok_loaded *l)
{
	btpm_entity_wipe(&l->key);
	memset(l, 0, sizeof(*l));
}

static void flush_loaded(struct btpm_tok_ctx *c, struct btpm_tok_loaded *l)
{
	if (c->t && l->serial[0])
		btpm_flush_context(c->t, l->key.handle);
	forget_loaded(l);
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
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0])
			flush_loaded(c, &c->loaded[i]);
	flush_transient_srk(c);
	btpm_close(c->t);
	btpm_store_close(&c->store);
	btpm_wipe(c, sizeof(*c));
}

void btpm_tok_after_fork(struct btpm_tok_ctx *c)
{
	/* The parent's handles are the parent's: forget them, flush nothing. */
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		forget_loaded(&c->loaded[i]);
	c->srk.handle = c->g.srk_handle;
	if (c->t) {
		btpm_close(c->t); /* closes only this process's copy of the descriptor */
		c->t = NULL;
	}
}

static int need_srk(struct btpm_tok_ctx *c)
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
	struct btpm_public tmpl, pub;
	struct btpm_entity owner, srk;
	struct btpm_session pw;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	rc = btpm_template_srk(&tmpl);
	if (!rc)
		rc = btpm_create_primary(c->t, &pw, &owner, &tmpl, &srk, &pub);
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

/* A session salted to the pinned SRK: the only key it ever trusts. */
static int start_session(struct btpm_tok_ctx *c, struct btpm_session *s)
{
	return btpm_session_start(c->t, s, c->srk.handle, c->g.srk_public.area,
				  c->g.srk_public.size);
}

/* ---- init: create or adopt the SRK and pin it ----------------------------- */

static int same_public(const struct btpm_public *a, const uint8_t *b, size_t n)
{
	return a->size == n && !memcmp(a->area, b, n);
}

int btpm_tok_init(struct btpm_tok_ctx *c, uint32_t srk_handle)
{
	if (!c || (srk_handle && srk_handle >> 24 != 0x81))
		return BTPM_E_ARG;
	int rc = btpm_tok_tpm(c);
	if (rc)
		return rc;
	struct btpm_public tmpl, pub;
	struct btpm_entity owner, srk;
	struct btpm_session pw;
	struct btpm_read_public there;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	rc = btpm_template_srk(&tmpl);
	/* The key the template gives on this TPM (the same seed gives the same key). */
	if (!rc)
		rc = btpm_create_primary(c->t, &pw, &owner, &tmpl, &srk, &pub);
	if (rc)
		return rc;
	if (c->have_global && !same_public(&c->g.srk_public, pub.area, pub.size)) {
		btpm_flush_context(c->t, srk.handle);
		snprintf(c->store.error, sizeof(c->store.error),
			 "%s pins a storage key that this TPM does not have (another TPM, or it "
			 "was cleared); refusing to re-pin",
			 c->store.dir);
		return BTPM_E_PINNED;
	}
	if (srk_handle) {
		rc = btpm_read_public(c->t, srk_handle, &there);
		if (!rc && !same_public(&pub, there.public_area, there.public_size)) {
			btpm_flush_context(c->t, srk.handle);
			snprintf(c->store.error, sizeof(c->store.error),
				 "persistent handle 0x%08x holds a different key; evict it or "
				 "choose another handle",
				 (unsigned)srk_handle);
			return BTPM_E_EXISTS;
		}
		if (is_rc(rc, BTPM_RC_HANDLE))
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

/* ---- PIN-sealed token secret --------------------------------------------- */

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
	if (!rc)
		rc = btpm_create(c->t, s, &c->srk, auth, AUTH, w, BTPM_TOK_W, &tmpl, &out->priv,
				 &out->pub);
	btpm_wipe(auth, sizeof(auth));
	return rc;
}

static void random_serial(char *out)
{
	uint8_t b[BTPM_STORE_SERIAL / 2];
	btpm_random(b, sizeof(b));
	for (unsigned i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int btpm_tok_create_token(struct btpm_tok_ctx *c, const char *label, const char *so_pin,
			  size_t so_len, const char *user_pin, size_t user_len,
			  struct btpm_store_token *out)
{
	if (!c || !label || !out || strlen(label) > BTPM_STORE_LABEL)
		return BTPM_E_ARG;
	memset(out, 0, sizeof(*out));
	int rc = need_srk(c);
	if (rc)
		return rc;
	uint8_t w[BTPM_TOK_W];
	struct btpm_session s = {0};
	snprintf(out->label, sizeof(out->label), "%s", label);
	random_serial(out->serial);
	out->next_handle = 1;
	rc = btpm_random(w, sizeof(w));
	if (!rc)
		rc = start_session(c, &s);
	if (!rc)
		rc = seal(c, &s, w, so_pin, so_len, &out->so);
	if (!rc && user_pin) {
		rc = seal(c, &s, w, user_pin, user_len, &out->user);
		out->user_pin_set = !rc;
	}
	btpm_session_flush(c->t, &s);
	btpm_wipe(w, sizeof(w));
	if (!rc) {
		rc = btpm_store_lock(&c->store);
		if (!rc) {
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
 */
static int diagnose_pin(struct btpm_tok_ctx *c, int rc)
{
	if (rc != BTPM_E_BADHMAC && !is_rc(rc, BTPM_RC_BAD_AUTH))
		return rc;
	struct btpm_read_public there;
	int r = btpm_read_public(c->t, c->srk.handle, &there);
	if (r || !same_public(&c->g.srk_public, there.public_area, there.public_size)) {
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
	int rc = btpm_load(c->t, s, &c->srk, &sealed->priv, &sealed->pub, out);
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
	rc = need_srk(c);
	if (!rc)
		rc = start_session(c, &out->s);
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
	return 0;
}

void btpm_tok_logout(struct btpm_tok_ctx *c, struct btpm_tok_login *l)
{
	if (!c || !l)
		return;
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && !strcmp(c->loaded[i].serial, l->serial))
			flush_loaded(c, &c->loaded[i]);
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
	int rc = need_srk(c);
	if (!rc)
		rc = seal(c, &so->s, so->w, pin, pin_len, &user);
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
		rc = need_srk(c);
	if (!rc)
		rc = start_session(c, &s);
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

/* ---- keys ---------------------------------------------------------------- */

/* AES-256-GCM of a key's auth value under W, bound to the token and object. */
static void auth_aad(const char *serial, uint32_t object, uint8_t *aad)
{
	memcpy(aad, serial, BTPM_STORE_SERIAL);
	aad[16] = (uint8_t)(object >> 24);
	aad[17] = (uint8_t)(object >> 16);
	aad[18] = (uint8_t)(object >> 8);
	aad[19] = (uint8_t)object;
}

/* CKA_EC_POINT: DER OCTET STRING holding 04 || x || y (X9.62 uncompressed). */
static size_t ec_point(const struct btpm_public_info *k, uint8_t *out)
{
	size_t n = 1 + 2u * k->coord_size;
	out[0] = 0x04;
	out[1] = (uint8_t)n; /* n <= 97: short form */
	out[2] = 0x04;
	memcpy(out + 3, k->x, k->coord_size);
	memcpy(out + 3 + k->coord_size, k->y, k->coord_size);
	return 2 + n;
}

static int set_key_attrs(struct btpm_store_object *o, const struct btpm_public_info *k,
			 const char *label, size_t label_len, const uint8_t *id, size_t id_len)
{
	uint8_t point[2 + 1 + 2 * 48];
	size_t n = ec_point(k, point);
	const uint8_t *oid = k->curve == BTPM_ECC_NIST_P256 ? oid_p256 : oid_p384;
	size_t oid_len = k->curve == BTPM_ECC_NIST_P256 ? sizeof(oid_p256) : sizeof(oid_p384);
	int rc = btpm_store_attr_set(o, CKA_LABEL, label, (uint32_t)label_len);
	if (!rc)
		rc = btpm_store_attr_set(o, CKA_ID, id, (uint32_t)id_len);
	if (!rc)
		rc = btpm_store_attr_set(o, CKA_EC_PARAMS, oid, (uint32_t)oid_len);
	if (!rc)
		rc = btpm_store_attr_set(o, CKA_EC_POINT, point, (uint32_t)n);
	return rc;
}

int btpm_tok_keygen(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		    struct btpm_tok_login *l, uint16_t curve, const char *label, size_t label_len,
		    const uint8_t *id, size_t id_len, uint32_t *priv_object, uint32_t *pub_object)
{
	if (!c || !tok || !l || l->who != BTPM_TOK_USER || strcmp(l->serial, tok->serial) ||
	    (!label && label_len) || (!id && id_len) || label_len > BTPM_STORE_LABEL ||
	    id_len > 255)
		return BTPM_E_ARG;
	struct btpm_public tmpl, pub;
	struct btpm_blob priv;
	struct btpm_public_info info;
	uint8_t auth[AUTH], aad[20];
	int rc = btpm_template_ecc_sign(&tmpl, curve, 0);
	if (!rc)
		rc = need_srk(c);
	if (!rc)
		rc = btpm_random(auth, sizeof(auth));
	if (!rc)
		rc = btpm_create(c->t, &l->s, &c->srk, auth, AUTH, NULL, 0, &tmpl, &priv, &pub);
	if (!rc)
		rc = btpm_public_parse(&pub, &info);
	struct btpm_store_object *o = NULL, *p = NULL;
	if (!rc) {
		o = btpm_store_object_add(tok, BTPM_CKO_PRIVATE_KEY);
		p = o ? btpm_store_object_add(tok, BTPM_CKO_PUBLIC_KEY) : NULL;
		rc = o && p ? 0 : BTPM_E_NOMEM;
	}
	if (!rc) {
		o->tpm_public = pub;
		o->tpm_private = priv;
		auth_aad(tok->serial, o->handle, aad);
		memcpy(o->auth_ct, auth, AUTH);
		rc = btpm_random(o->auth_iv, sizeof(o->auth_iv));
		if (!rc)
			rc = btpm_aes_gcm_seal(l->w, BTPM_TOK_W, o->auth_iv, aad, sizeof(aad),
					       o->auth_ct, AUTH, o->auth_tag);
	}
	if (!rc)
		rc = set_key_attrs(o, &info, label, label_len, id, id_len);
	if (!rc)
		rc = set_key_attrs(p, &info, label, label_len, id, id_len);
	btpm_wipe(auth, sizeof(auth));
	if (rc) {
		if (p)
			btpm_store_object_remove(tok, p->handle);
		if (o)
			btpm_store_object_remove(tok, o->handle);
		return rc;
	}
	if (priv_object)
		*priv_object = o->handle;
	if (pub_object)
		*pub_object = p->handle;
	return 0;
}

static struct btpm_tok_loaded *find_loaded(struct btpm_tok_ctx *c, const char *serial,
					   uint32_t object)
{
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && c->loaded[i].object == object &&
		    !strcmp(c->loaded[i].serial, serial))
			return &c->loaded[i];
	return NULL;
}

/* A free cache slot; flushes the least recently used key if none is free. */
static struct btpm_tok_loaded *lru_slot(struct btpm_tok_ctx *c)
{
	struct btpm_tok_loaded *old = &c->loaded[0];
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++) {
		if (!c->loaded[i].serial[0])
			return &c->loaded[i];
		if (c->loaded[i].last_use < old->last_use)
			old = &c->loaded[i];
	}
	flush_loaded(c, old);
	return old;
}

static int flush_lru(struct btpm_tok_ctx *c)
{
	struct btpm_tok_loaded *old = NULL;
	for (unsigned i = 0; i < BTPM_TOK_MAX_LOADED; i++)
		if (c->loaded[i].serial[0] && (!old || c->loaded[i].last_use < old->last_use))
			old = &c->loaded[i];
	if (!old)
		return 0;
	flush_loaded(c, old);
	return 1;
}

/* Load a private key (decrypting its auth value with W) into the cache. */
static int load_key(struct btpm_tok_ctx *c, const struct btpm_store_token *tok,
		    struct btpm_tok_login *l, const struct btpm_store_object *o,
		    struct btpm_tok_loaded **out)
{
	uint8_t auth[AUTH], aad[20];
	memcpy(auth, o->auth_ct, AUTH);
	auth_aad(tok->serial, o->handle, aad);
	int rc = btpm_aes_gcm_open(l->w, BTPM_TOK_W, o->auth_iv, aad, sizeof(aad), auth, AUTH,
				   o->auth_tag);
	if (rc) {
		snprintf(c->store.error, sizeof(c->store.error),
			 "token %s object %u: the key's auth value does not decrypt", tok->serial,
			 (unsigned)o->handle);
		return BTPM_E_STORE;
	}
	struct btpm_tok_loaded *slot = lru_slot(c);
	struct btpm_entity key;
	for (int tries = 0;; tries++) {
		rc = btpm_load(c->t, &l->s, &c->srk, &o->tpm_private, &o->tpm_public, &key);
		/* the TPM is full (3 objects on swtpm): make room and try again */
		if (!is_rc(rc, BTPM_RC_OBJECT_MEMORY) || tries >= BTPM_TOK_MAX_LOADED ||
		    !flush_lru(c))
			break;
	}
	if (!rc) {
		snprintf(slot->serial, sizeof(slot->serial), "%s", tok->serial);
		slot->object = o->handle;
		slot->key = key;
		btpm_entity_set_auth(&slot->key, auth, AUTH);
		*out = slot;
	}
	btpm_wipe(auth, sizeof(auth));
	return rc;
}

static uint16_t hash_for(size_t digest_len)
{
	switch (digest_len) {
	case 20:
		return BTPM_ALG_SHA1;
	case 32:
		return BTPM_ALG_SHA256;
	case 48:
		return BTPM_ALG_SHA384;
	case 64:
		return BTPM_ALG_SHA512;
	}
	return 0;
}

/*
 * Session trouble that a new salted session cures (the PIN is not involved):
 * a response HMAC that did not verify, or a session the TPM no longer has.
 * Authorization failures (AUTH_FAIL / BAD_AUTH) are never retried: the TPM
 * counts them.
 */
static int session_lost(int rc)
{
	if (rc <= 0)
		return rc == BTPM_E_BADHMAC;
	uint32_t b = (uint32_t)btpm_rc_base((uint32_t)rc);
	int on_session = ((uint32_t)rc & 0x8C0) == 0x880; /* format 1, P clear, N >= 8 */
	return (b >= BTPM_RC_REFERENCE_S0 && b <= BTPM_RC_REFERENCE_S0 + 6) ||
	       (b == BTPM_RC_HANDLE && on_session);
}

int btpm_tok_sign(struct btpm_tok_ctx *c, const struct btpm_store_token *tok,
		  struct btpm_tok_login *l, uint32_t object, const uint8_t *digest,
		  size_t digest_len, uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	if (!c || !tok || !l || !digest || !sig || !sig_len || l->who != BTPM_TOK_USER ||
	    strcmp(l->serial, tok->serial))
		return BTPM_E_ARG;
	uint16_t hash = hash_for(digest_len);
	struct btpm_store_object *o =
		btpm_store_object_find((struct btpm_store_token *)tok, object);
	struct btpm_public_info info;
	if (!hash || !o || o->cls != BTPM_CKO_PRIVATE_KEY)
		return BTPM_E_ARG;
	int rc = btpm_public_parse(&o->tpm_public, &info);
	if (rc)
		return rc;
	if (sig_cap < 2u * info.coord_size)
		return BTPM_E_TOOBIG;
	rc = need_srk(c);
	for (int attempt = 0; !rc && attempt < 2; attempt++) {
		if (!l->s.handle)
			rc = start_session(c, &l->s);
		struct btpm_tok_loaded *k = rc ? NULL : find_loaded(c, tok->serial, object);
		if (!rc && !k)
			rc = load_key(c, tok, l, o, &k);
		if (!rc) {
			k->last_use = ++c->clock;
			rc = btpm_sign(c->t, &l->s, &k->key, digest, digest_len, hash, sig,
				       sig + info.coord_size, info.coord_size);
			/* the key vanished (TPM reset, another process flushed it): reload */
			if (rc > 0 && (is_rc(rc, BTPM_RC_HANDLE) ||
				       ((uint32_t)btpm_rc_base((uint32_t)rc) & 0xFF8) == 0x910)) {
				forget_loaded(k);
				rc = attempt ? rc : 0;
				continue;
			}
		}
		if (session_lost(rc) && !attempt) {
			btpm_session_flush(c->t, &l->s);
			rc = 0;
			continue;
		}
		break;
	}
	if (!rc)
		*sig_len = 2u * info.coord_size;
	return rc;
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
