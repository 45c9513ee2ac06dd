/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the token layer's files (token.c, token_pin.c, token_keys.c). */
#ifndef BTPM_TOKEN_INT_H
#define BTPM_TOKEN_INT_H

#include "token.h"


/* rc is the TPM code base (handle/parameter/session number stripped). */
int btpm_tok_is_rc(int rc, uint32_t base);
/* The TPM open and the pinned SRK loaded (a transient SRK is re-created). */
int btpm_tok_need_srk(struct btpm_tok_ctx *c);
/*
 * A session salted to the pinned SRK. When the TPM has no room for another
 * (TPM_RC_SESSION_MEMORY: swtpm and many TPMs load 3), sessions this context
 * does not know of are flushed (on a TPM without a resource manager they are
 * left by killed processes or lost answers), else an idle login's session
 * (its login starts a new one when next used), and the start is tried again.
 * TPM_RC_OBJECT_MEMORY (the persistent salt key needs an object slot) is
 * handled as btpm_tok_full() does.
 */
int btpm_tok_start_session(struct btpm_tok_ctx *c, struct btpm_session *s);
/*
 * Session trouble that a new salted session cures (the PIN is not involved):
 * a response HMAC that did not verify, or a session the TPM no longer has.
 * Authorization failures (AUTH_FAIL / BAD_AUTH) are never retried: the TPM
 * counts them.
 */
int btpm_tok_session_lost(int rc);
/* Keep track of a login's session (btpm_tok_login), or stop (btpm_tok_logout). */
void btpm_tok_own_session(struct btpm_tok_ctx *c, struct btpm_session *s, int own);
int btpm_tok_same_public(const struct btpm_public *a, const uint8_t *b, size_t n);
/*
 * A command through session s ended without a verified answer (lost, cut,
 * timed out, malformed or unauthenticated): the TPM may have run it and
 * rolled its nonce, so s is out of step and every later HMAC would fail
 * (TPM_RC_AUTH_FAIL on a DA-protected key: counted by the TPM). Drop s
 * (flushed unless the TPM timed out) so that the next use starts a new one.
 */
void btpm_tok_session_check(struct btpm_tok_ctx *c, struct btpm_session *s, int rc);

/* The cache of keys this process loaded. */
void btpm_tok_forget_loaded(struct btpm_tok_loaded *l);
void btpm_tok_flush_loaded(struct btpm_tok_ctx *c, struct btpm_tok_loaded *l);
int btpm_tok_flush_lru(struct btpm_tok_ctx *c);
struct btpm_tok_loaded *btpm_tok_find_loaded(struct btpm_tok_ctx *c, const char *serial,
					     uint32_t object);
struct btpm_tok_loaded *btpm_tok_lru_slot(struct btpm_tok_ctx *c);
/*
 * The TPM answered "no room for another object" (swtpm holds 3): flush our
 * least recently used key, or when we have none loaded, the transient
 * objects we do not know of (left by a killed process or a lost answer on a
 * TPM without a resource manager; on /dev/tpmrm0 only our own are visible),
 * and say whether trying again makes sense.
 */
int btpm_tok_full(struct btpm_tok_ctx *c, int rc, int tries);

#endif
