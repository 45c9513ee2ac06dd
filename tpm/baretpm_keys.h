/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * baretpm: keys, sealed data, signing, dictionary-attack control and
 * contexts (Part 3, 12, 20, 24, 25 and 28). Include next to baretpm.h.
 *
 * Every function takes its arguments in Part 3 order with the authorization
 * sessions explicit, returns 0, a negative BTPM_E_* code or a positive TPM_RC,
 * and writes its outputs only on success. A secret parameter or response
 * (an auth value, sealed data) travels only encrypted: the session must carry
 * BTPM_SESSION_DECRYPT / BTPM_SESSION_ENCRYPT and be salted (or authorize an
 * entity with a non-empty auth value, which keys the encryption); a password
 * session, or one whose key an observer could derive, is refused with
 * BTPM_E_ARG before anything is sent.
 */
#ifndef BARETPM_KEYS_H
#define BARETPM_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "baretpm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The content of a TPM2B_PRIVATE: a wrapped object, opaque outside the TPM. */
#define BTPM_MAX_PRIVATE 1024
struct btpm_blob {
	uint16_t size;
	uint8_t data[BTPM_MAX_PRIVATE];
};

/* TPMS_CONTEXT (Part 2, 14.5); the blob is the TPM's encrypted, integrity-protected state. */
#define BTPM_MAX_CONTEXT_BLOB 4096
struct btpm_context {
	uint64_t sequence;
	uint32_t saved_handle;
	uint32_t hierarchy;
	uint16_t blob_size;
	uint8_t blob[BTPM_MAX_CONTEXT_BLOB];
};

/* The largest TPM2B_SENSITIVE_DATA (MAX_SYM_DATA) and TPM2B_AUTH (a SHA-512 digest). */
#define BTPM_MAX_SENSITIVE_DATA 128
#define BTPM_MAX_AUTH 64

/*
 * TPM2_CreatePrimary (Part 3, 24.1) under hierarchy (BTPM_RH_OWNER, ...) from
 * tmpl, with an empty auth value and no sensitive data, outsideInfo or
 * creation PCRs. out gets the transient handle and the Name, which is checked
 * against btpm_public_name(out_public) (BTPM_E_MALFORMED and the object
 * flushed when the TPM's Name does not match); out's auth is empty.
 */
BTPM_API int btpm_create_primary(struct btpm *t, struct btpm_session *s,
				 struct btpm_entity *hierarchy, const struct btpm_public *tmpl,
				 struct btpm_entity *out, struct btpm_public *out_public);

/*
 * TPM2_EvictControl (Part 3, 28.5), authorized by auth (owner or platform):
 * a transient object becomes persistent at persistent_handle (0x81xxxxxx);
 * a persistent object (persistent_handle equal to its handle) is evicted.
 */
BTPM_API int btpm_evict_control(struct btpm *t, struct btpm_session *s, struct btpm_entity *auth,
				const struct btpm_entity *object, uint32_t persistent_handle);

/*
 * TPM2_Create (Part 3, 12.1) under parent: a new object from tmpl with the
 * auth value user_auth (up to 64 bytes) and, for a sealed data object, data
 * (up to 128 bytes). Returns the wrapped private part and the public area.
 * A non-empty user_auth or data needs a session with BTPM_SESSION_DECRYPT.
 */
BTPM_API int btpm_create(struct btpm *t, struct btpm_session *s, struct btpm_entity *parent,
			 const uint8_t *user_auth, size_t user_auth_size, const uint8_t *data,
			 size_t data_size, const struct btpm_public *tmpl,
			 struct btpm_blob *out_private, struct btpm_public *out_public);

/*
 * TPM2_Load (Part 3, 12.2) of priv/pub under parent. out gets the transient
 * handle and the Name, checked against btpm_public_name(pub); out's auth is
 * empty (set it with btpm_entity_set_auth).
 */
BTPM_API int btpm_load(struct btpm *t, struct btpm_session *s, struct btpm_entity *parent,
		       const struct btpm_blob *priv, const struct btpm_public *pub,
		       struct btpm_entity *out);

/*
 * TPM2_Sign (Part 3, 20.2) of a digest (btpm_hash_size(hash_alg) bytes) with
 * an unrestricted ECC key, scheme ECDSA with hash_alg and a NULL ticket. r and
 * s_out receive coord_size bytes each (the curve's coordinate size),
 * left-padded with zeros.
 */
BTPM_API int btpm_sign(struct btpm *t, struct btpm_session *s, struct btpm_entity *key,
		       const uint8_t *digest, size_t digest_size, uint16_t hash_alg, uint8_t *r,
		       uint8_t *s_out, size_t coord_size);

/*
 * TPM2_Unseal (Part 3, 12.7): the sealed data of item into out[0..cap),
 * length in *len (BTPM_E_TOOBIG if cap is too small). s needs
 * BTPM_SESSION_ENCRYPT. The caller wipes out.
 */
BTPM_API int btpm_unseal(struct btpm *t, struct btpm_session *s, struct btpm_entity *item,
			 uint8_t *out, size_t cap, size_t *len);

/*
 * TPM2_ObjectChangeAuth (Part 3, 12.8): a new private blob of object (a
 * loaded child of parent) with the auth value new_auth; s authorizes object
 * with its current auth and needs BTPM_SESSION_DECRYPT when new_auth is not
 * empty. The loaded object and its old blob keep the old auth value.
 */
BTPM_API int btpm_object_change_auth(struct btpm *t, struct btpm_session *s,
				     struct btpm_entity *object, const struct btpm_entity *parent,
				     const uint8_t *new_auth, size_t new_auth_size,
				     struct btpm_blob *out_private);

/* TPM2_DictionaryAttackParameters (Part 3, 25.3), authorized by lockout. */
BTPM_API int btpm_da_parameters(struct btpm *t, struct btpm_session *s,
				struct btpm_entity *lockout, uint32_t new_max_tries,
				uint32_t new_recovery_time, uint32_t lockout_recovery);
/* TPM2_DictionaryAttackLockReset (Part 3, 25.2): the failure counter back to 0. */
BTPM_API int btpm_da_lock_reset(struct btpm *t, struct btpm_session *s,
				struct btpm_entity *lockout);

/* TPM2_ContextSave (Part 3, 28.2) of a loaded object or session. */
BTPM_API int btpm_context_save(struct btpm *t, uint32_t handle, struct btpm_context *out);
/* TPM2_ContextLoad (Part 3, 28.3); *handle receives the handle it is loaded at. */
BTPM_API int btpm_context_load(struct btpm *t, const struct btpm_context *ctx, uint32_t *handle);

#ifdef __cplusplus
}
#endif
#endif
