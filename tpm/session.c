/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Authorization sessions (Part 1, 19 and 21): StartAuthSession with an ECDH
 * salt to a pinned key, session keys, command/response HMACs and AES-CFB
 * parameter encryption. Suite fixed: SHA-256, AES-128-CFB, NIST P-256/P-384.
 */
#include <string.h>

#include "btpm_crypto.h"
#include "internal.h"
#include "rc.h"
#include "session.h"

#define SESSION_HASH BTPM_ALG_SHA256
#define DIGEST 32
#define SYM_KEY_BYTES 16 /* AES-128 */
#define TPM_SE_HMAC 0x00

/* ---- entities ---------------------------------------------------------- */

int btpm_entity_set_auth(struct btpm_entity *e, const void *auth, size_t auth_size)
{
	if (!e || auth_size > sizeof(e->auth) || (!auth && auth_size))
		return BTPM_E_ARG;
	btpm_wipe(e->auth, sizeof(e->auth));
	if (auth_size)
		memcpy(e->auth, auth, auth_size);
	e->auth_size = (uint16_t)auth_size;
	return 0;
}

int btpm_entity_permanent(struct btpm_entity *e, uint32_t handle, const void *auth,
			  size_t auth_size)
{
	if (!e)
		return BTPM_E_ARG;
	memset(e, 0, sizeof(*e));
	e->handle = handle;
	return btpm_entity_set_auth(e, auth, auth_size);
}

void btpm_entity_wipe(struct btpm_entity *e)
{
	if (e)
		btpm_wipe(e, sizeof(*e));
}

size_t btpm_session_auth_len(const struct btpm_entity *e)
{
	size_t n = e ? e->auth_size : 0;
	while (n && !e->auth[n - 1])
		n--;
	return n;
}

/* ---- session values --------------------------------------------------- */

void btpm_session_password(struct btpm_session *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->handle = BTPM_RS_PW;
	s->attrs = BTPM_SESSION_CONTINUE;
}

void btpm_session_wipe(struct btpm_session *s)
{
	if (s)
		btpm_wipe(s, sizeof(*s));
}

int btpm_session_is_hmac(const struct btpm_session *s)
{
	return s && s->handle >> 24 == BTPM_HR_HMAC_SESSION >> 24;
}

int btpm_session_roll(struct btpm_session *s)
{
	return btpm_random(s->nonce_caller, s->nonce_size);
}

/* sessionKey || authValue, the key of HMACs and of the CFB KDF (Part 1, 19.6.5). */
static size_t hmac_key(const struct btpm_session *s, const struct btpm_entity *e, uint8_t *key)
{
	size_t n = btpm_session_auth_len(e);
	memcpy(key, s->key, s->key_size);
	if (n)
		memcpy(key + s->key_size, e->auth, n);
	return s->key_size + n;
}

int btpm_session_hmac(const struct btpm_session *s, const struct btpm_entity *e,
		      const uint8_t *phash, int response, uint8_t attrs, uint8_t *out)
{
	uint8_t key[sizeof(s->key) + sizeof(e->auth)];
	size_t klen = hmac_key(s, e, key);
	/* Part 1, 19.6.5 / 19.6.8: pHash || nonceNewer || nonceOlder || attributes */
	const struct btpm_iov v[4] = {
		{phash, DIGEST},
		{response ? s->nonce_tpm : s->nonce_caller,
		 response ? s->nonce_tpm_size : s->nonce_size},
		{response ? s->nonce_caller : s->nonce_tpm,
		 response ? s->nonce_size : s->nonce_tpm_size},
		{&attrs, 1},
	};
	int rc = btpm_hmac_v(s->hash, key, klen, out, v, 4);
	btpm_wipe(key, sizeof(key));
	return rc;
}

int btpm_session_cfb(const struct btpm_session *s, const struct btpm_entity *e, int response,
		     uint8_t *data, size_t n)
{
	uint8_t key[sizeof(s->key) + sizeof(e->auth)], kiv[SYM_KEY_BYTES + 16];
	size_t klen = hmac_key(s, e, key);
	/* Part 1, 21.3: KDFa(hash, sessionValue, "CFB", nonceNewer, nonceOlder, bits) */
	int rc = btpm_kdfa(s->hash, key, klen, "CFB", response ? s->nonce_tpm : s->nonce_caller,
			   response ? s->nonce_tpm_size : s->nonce_size,
			   response ? s->nonce_caller : s->nonce_tpm,
			   response ? s->nonce_size : s->nonce_tpm_size, 8 * sizeof(kiv), kiv);
	if (!rc)
		rc = response ? btpm_aes_cfb_decrypt(kiv, SYM_KEY_BYTES, kiv + SYM_KEY_BYTES, data, n)
			      : btpm_aes_cfb_encrypt(kiv, SYM_KEY_BYTES, kiv + SYM_KEY_BYTES, data, n);
	btpm_wipe(key, sizeof(key));
	btpm_wipe(kiv, sizeof(kiv));
	return rc;
}

/* ---- TPM2_StartAuthSession (Part 3, 11.1) ------------------------------- */

/*
 * The salt: an ephemeral ECDH key agreement with the pinned key, then
 * KDFe(nameAlg, Z.x, "SECRET", QeU.x, QsV.x, digest bits) (Part 1, C.6.1).
 * Writes the TPMS_ECC_POINT to send into point.
 */
static int ecc_salt(const struct btpm_public_info *k, uint8_t *salt, size_t *salt_size,
		    struct btpm_buf *point)
{
	uint8_t ex[BTPM_MAX_ECC_COORD], ey[BTPM_MAX_ECC_COORD], z[BTPM_MAX_ECC_COORD];
	int hs = btpm_hash_size(k->name_alg);
	if (hs <= 0 || k->coord_size > BTPM_MAX_ECC_COORD)
		return BTPM_E_UNSUPPORTED;
	int rc = btpm_ecdh_ephemeral(k->curve, k->x, k->y, k->coord_size, ex, ey, z);
	if (!rc)
		rc = btpm_kdfe(k->name_alg, z, k->coord_size, "SECRET", ex, k->coord_size, k->x,
			       k->coord_size, 8u * (uint32_t)hs, salt);
	btpm_wipe(z, sizeof(z));
	if (rc)
		return rc;
	*salt_size = (size_t)hs;
	btpm_put_tpm2b(point, ex, k->coord_size);
	btpm_put_tpm2b(point, ey, k->coord_size);
	return btpm_buf_err(point);
}

int btpm_session_start(struct btpm *t, struct btpm_session *s, uint32_t salt_handle,
		       const uint8_t *salt_public, size_t salt_public_size)
{
	if (!t || !s || (salt_public && !salt_public_size) ||
	    salt_public_size > BTPM_MAX_PUBLIC)
		return BTPM_E_ARG;
	memset(s, 0, sizeof(*s));
	s->hash = SESSION_HASH;
	s->nonce_size = DIGEST;
	uint8_t salt[64];
	size_t salt_size = 0;
	uint8_t point[2 + 2 * (2 + BTPM_MAX_ECC_COORD)];
	struct btpm_buf pb;
	btpm_buf_init(&pb, point, sizeof(point));
	int rc = btpm_session_roll(s);
	if (!rc && salt_public) {
		struct btpm_public pub = {.size = (uint16_t)salt_public_size};
		struct btpm_public_info info;
		memcpy(pub.area, salt_public, salt_public_size);
		rc = btpm_public_parse(&pub, &info);
		if (!rc && (info.type != BTPM_ALG_ECC || !(info.attributes & BTPM_OA_DECRYPT) ||
			    !(info.attributes & BTPM_OA_RESTRICTED))) {
			btpm_set_detail(t, "the salt key is not a restricted ECC decryption key");
			rc = BTPM_E_ARG;
		}
		if (!rc)
			rc = ecc_salt(&info, salt, &salt_size, &pb);
	}
	if (rc) {
		btpm_wipe(salt, sizeof(salt));
		btpm_session_wipe(s);
		return rc;
	}
	struct btpm_entity key = {.handle = salt_public ? salt_handle : BTPM_RH_NULL};
	struct btpm_entity bind = {.handle = BTPM_RH_NULL};
	const struct btpm_entity *h[2] = {&key, &bind};
	struct btpm_buf *p = btpm_params(t);
	btpm_put_tpm2b(p, s->nonce_caller, s->nonce_size);
	btpm_put_tpm2b(p, point, pb.off); /* encryptedSalt: TPMS_ECC_POINT, or empty */
	btpm_put_u8(p, TPM_SE_HMAC);
	btpm_put_u16(p, BTPM_ALG_AES); /* symmetric: TPMT_SYM_DEF */
	btpm_put_u16(p, 8 * SYM_KEY_BYTES);
	btpm_put_u16(p, BTPM_ALG_CFB);
	btpm_put_u16(p, s->hash);
	struct btpm_rsp r;
	rc = btpm_exec(t, &btpm_cmd_start_auth_session, h, NULL, 0, &r);
	if (!rc) {
		btpm_get_tpm2b_copy(&r.params, s->nonce_tpm, sizeof(s->nonce_tpm), &s->nonce_tpm_size);
		rc = btpm_buf_end(&r.params);
		int hmac_handle = r.handle >> 24 == BTPM_HR_HMAC_SESSION >> 24;
		if (!rc && (s->nonce_tpm_size < 16 || !hmac_handle))
			rc = BTPM_E_MALFORMED;
		if (rc) {
			/* the TPM did start a session: do not leave it taking a slot */
			if (hmac_handle)
				btpm_flush_context(t, r.handle);
			btpm_set_detail(t, "TPM2_StartAuthSession: malformed response");
		}
	}
	if (!rc) {
		s->handle = r.handle;
		if (salt_size) {
			/* sessionKey = KDFa(hash, bind auth || salt, "ATH", nonceTPM, nonceCaller) */
			s->key_size = DIGEST;
			s->salted = 1;
			rc = btpm_kdfa(s->hash, salt, salt_size, "ATH", s->nonce_tpm, s->nonce_tpm_size,
				       s->nonce_caller, s->nonce_size, 8 * DIGEST, s->key);
			if (rc)
				btpm_session_flush(t, s);
		}
		s->attrs = BTPM_SESSION_CONTINUE | BTPM_SESSION_DECRYPT | BTPM_SESSION_ENCRYPT;
	}
	btpm_wipe(salt, sizeof(salt));
	if (rc)
		btpm_session_wipe(s);
	return rc;
}

int btpm_session_flush(struct btpm *t, struct btpm_session *s)
{
	if (!s)
		return BTPM_E_ARG;
	int rc = 0;
	if (t && btpm_session_is_hmac(s)) {
		rc = btpm_flush_context(t, s->handle);
		/* already gone (ended by continueSession clear, or a TPM reset) is fine */
		if (rc > 0 && btpm_rc_base((uint32_t)rc) == BTPM_RC_HANDLE)
			rc = 0;
	}
	btpm_session_wipe(s);
	return rc;
}
