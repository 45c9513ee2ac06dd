/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-command session processing, used by tpm/exec.c (Part 1, 19.6 and 21). */
#ifndef BTPM_SESSION_H
#define BTPM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "baretpm.h"

/* An HMAC session (handle in the HMAC-session range), as opposed to TPM_RS_PW. */
int btpm_session_is_hmac(const struct btpm_session *s);
/*
 * The length of e's auth value as the TPM uses it in HMAC and KDF keys:
 * trailing zeros removed (Part 1, 19.6.4.3); 0 for NULL.
 */
size_t btpm_session_auth_len(const struct btpm_entity *e);
/* A fresh nonceCaller for the next command. */
int btpm_session_roll(struct btpm_session *s);
/*
 * The command (response = 0) or response HMAC over pHash (a SHA-256 digest)
 * for entity e (NULL when the session authorizes nothing), with attrs.
 */
int btpm_session_hmac(const struct btpm_session *s, const struct btpm_entity *e,
		      const uint8_t *phash, int response, uint8_t attrs, uint8_t *out);
/* AES-CFB parameter encryption of a command (response = 0) or decryption of a response. */
int btpm_session_cfb(const struct btpm_session *s, const struct btpm_entity *e, int response,
		     uint8_t *data, size_t n);

#endif
