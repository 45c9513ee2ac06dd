/* SPDX-License-Identifier: BSD-2-Clause */
/* Keys of a token: generation in the TPM, loading on demand, signing. */
#include <stdio.h>
#include <string.h>

#include "btpm_crypto.h"
#include "rc.h"
#include "token_int.h"

#define AUTH 32

/* DER OIDs of the named curves (RFC 5480, 2.1.1.1), as BTPM_CKA_EC_PARAMS. */
/* DER OIDs of the named curves (RFC 5480, 2.1.1.1), as CKA_EC_PARAMS. */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

/* AES-256-GCM of a key's auth value under W, bound to the token and object. */
static void auth_aad(const char *serial, uint32_t object, uint8_t *aad)
{
	memcpy(aad, serial, BTPM_STORE_SERIAL);
	aad[16] = (uint8_t)(object >> 24);
	aad[17] = (uint8_t)(object >> 16);
	aad[18] = (uint8_t)(object >> 8);
	aad[19] = (uint8_t)object;
}

/* BTPM_CKA_EC_POINT: DER OCTET STRING holding 04 || x || y (X9.62 uncompressed). */
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
	int rc = btpm_store_attr_set(o, BTPM_CKA_LABEL, label, (uint32_t)label_len);
	if (!rc)
		rc = btpm_store_attr_set(o, BTPM_CKA_ID, id, (uint32_t)id_len);
	if (!rc)
		rc = btpm_store_attr_set(o, BTPM_CKA_EC_PARAMS, oid, (uint32_t)oid_len);
	if (!rc)
		rc = btpm_store_attr_set(o, BTPM_CKA_EC_POINT, point, (uint32_t)n);
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
	/*
	 * noDA: the auth value is 32 random bytes, not a PIN, so counting its
	 * failures protects nothing; and with no resource manager a cached handle
	 * may come to name another process's key (see btpm_tok_sign), whose
	 * failed check must not count towards a lockout of the PINs.
	 */
	int rc = btpm_template_ecc_sign(&tmpl, curve, 1);
	if (!rc)
		rc = btpm_tok_need_srk(c);
	if (!rc)
		rc = btpm_random(auth, sizeof(auth));
	if (!rc && !l->s.handle) /* dropped after a failure: a new one */
		rc = btpm_tok_start_session(c, &l->s);
	for (int tries = 0, lost = 0; !rc; tries++) {
		rc = btpm_create(c->t, &l->s, &c->srk, auth, AUTH, NULL, 0, &tmpl, &priv, &pub);
		if (btpm_tok_session_lost(rc) && !lost++) { /* flushed to make room: a new one */
			btpm_session_flush(c->t, &l->s);
			rc = btpm_tok_start_session(c, &l->s);
			continue;
		}
		if (!btpm_tok_full(c, rc, tries))
			break;
		rc = 0;
	}
	btpm_tok_session_check(c, &l->s, rc);
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
	struct btpm_tok_loaded *slot = btpm_tok_lru_slot(c);
	struct btpm_entity key;
	for (int tries = 0;; tries++) {
		rc = btpm_load(c->t, &l->s, &c->srk, &o->tpm_private, &o->tpm_public, &key);
		if (!btpm_tok_full(c, rc, tries))
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

/* An authorization that failed (TPM_RC_BAD_AUTH, or AUTH_FAIL for a key made before keys were noDA). */
static int auth_failed(int rc)
{
	return btpm_tok_is_rc(rc, BTPM_RC_BAD_AUTH) || btpm_tok_is_rc(rc, BTPM_RC_AUTH_FAIL);
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
	rc = btpm_tok_need_srk(c);
	/*
	 * Each recovery at most once: a key gone from the TPM (reset, flushed by
	 * another process) is loaded again; a session gone is started again.
	 * With no resource manager, another process that found the TPM full may
	 * have flushed our key or session, and the handle may now name one of its
	 * own: the authorization fails (the key is noDA, so nothing is counted).
	 * Then the key is loaded again through the session: if that works, the
	 * session is ours; if its authorization fails too, the session handle is
	 * someone else's now, and is forgotten, not flushed.
	 */
	int reload = 0, restart = 0;
	while (!rc) {
		if (!l->s.handle)
			rc = btpm_tok_start_session(c, &l->s);
		struct btpm_tok_loaded *k = rc ? NULL : btpm_tok_find_loaded(c, tok->serial, object);
		if (!rc && !k) {
			rc = load_key(c, tok, l, o, &k);
			if (auth_failed(rc) && !restart) {
				btpm_tok_own_session(c, &l->s, 0);
				btpm_session_wipe(&l->s);
				btpm_tok_own_session(c, &l->s, 1);
				restart = 1;
				rc = 0;
				continue;
			}
		}
		if (!rc) {
			k->last_use = ++c->clock;
			rc = btpm_sign(c->t, &l->s, &k->key, digest, digest_len, hash, sig,
				       sig + info.coord_size, info.coord_size);
			if (!reload && rc > 0 &&
			    (btpm_tok_is_rc(rc, BTPM_RC_HANDLE) || auth_failed(rc) ||
			     ((uint32_t)btpm_rc_base((uint32_t)rc) & 0xFF8) == 0x910)) {
				btpm_tok_forget_loaded(k); /* not flushed: it may not be ours */
				reload = 1;
				rc = 0;
				continue;
			}
		}
		if (btpm_tok_session_lost(rc) && !restart) {
			btpm_session_flush(c->t, &l->s);
			restart = 1;
			rc = 0;
			continue;
		}
		break;
	}
	btpm_tok_session_check(c, &l->s, rc);
	if (!rc)
		*sig_len = 2u * info.coord_size;
	return rc;
}
