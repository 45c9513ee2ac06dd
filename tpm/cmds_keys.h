/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Library-internal: descriptors of the key, signing, sealing, dictionary-attack
 * and context commands (tpm/cmds_keys.c), and the marshalling helpers their
 * files share (tpm/keys.c).
 */
#ifndef BTPM_CMDS_KEYS_H
#define BTPM_CMDS_KEYS_H

#include "baretpm_keys.h"
#include "internal.h"

extern const struct btpm_cmd btpm_cmd_create_primary, btpm_cmd_create, btpm_cmd_load,
	btpm_cmd_evict_control, btpm_cmd_sign, btpm_cmd_unseal, btpm_cmd_object_change_auth,
	btpm_cmd_da_lock_reset, btpm_cmd_da_parameters, btpm_cmd_context_save,
	btpm_cmd_context_load;

/* TPM2B_PUBLIC from a marshalled TPMT_PUBLIC. */
void btpm_keys_put_public(struct btpm_buf *b, const struct btpm_public *pub);
/* A non-empty TPM2B_PUBLIC into out (malformed when it does not fit). */
void btpm_keys_get_public(struct btpm_buf *b, struct btpm_public *out);
/* A TPM2B_PRIVATE into out (malformed when empty or too large). */
void btpm_keys_get_private(struct btpm_buf *b, struct btpm_blob *out);
/* A public area the caller passes in: non-empty and within its buffer. */
int btpm_keys_public_ok(const struct btpm_public *pub);

/*
 * Refuse (BTPM_E_ARG, with a detail naming cmd) a session that would let a
 * secret cross the bus readable: a password session, one without attr
 * (BTPM_SESSION_DECRYPT / _ENCRYPT), or an unsalted one authorizing an entity
 * with an empty auth value (its encryption key is then computable from the
 * nonces on the wire: Part 1, 21.1 sessionKey || authValue).
 */
int btpm_keys_secret_session(struct btpm *t, const struct btpm_session *s,
			     const struct btpm_entity *e, uint8_t attr, const char *cmd);

/* Wipe the command, parameter and response buffers after a command with a secret. */
void btpm_keys_wipe_io(struct btpm *t);

#endif
