/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the token layer's files (token.c, token_pin.c, token_keys.c). */
#ifndef BTPM_TOKEN_INT_H
#define BTPM_TOKEN_INT_H

#include "token.h"

#define BTPM_CKA_LABEL 0x003u
#define BTPM_CKA_ID 0x102u
#define BTPM_CKA_EC_PARAMS 0x180u
#define BTPM_CKA_EC_POINT 0x181u

/* rc is the TPM code base (handle/parameter/session number stripped). */
int btpm_tok_is_rc(int rc, uint32_t base);
/* The TPM open and the pinned SRK loaded (a transient SRK is re-created). */
int btpm_tok_need_srk(struct btpm_tok_ctx *c);
/* A session salted to the pinned SRK. */
int btpm_tok_start_session(struct btpm_tok_ctx *c, struct btpm_session *s);
int btpm_tok_same_public(const struct btpm_public *a, const uint8_t *b, size_t n);

/* The cache of keys this process loaded. */
void btpm_tok_forget_loaded(struct btpm_tok_loaded *l);
void btpm_tok_flush_loaded(struct btpm_tok_ctx *c, struct btpm_tok_loaded *l);
int btpm_tok_flush_lru(struct btpm_tok_ctx *c);
struct btpm_tok_loaded *btpm_tok_find_loaded(struct btpm_tok_ctx *c, const char *serial,
					     uint32_t object);
struct btpm_tok_loaded *btpm_tok_lru_slot(struct btpm_tok_ctx *c);
/*
 * The TPM answered "no room for another object" (swtpm holds 3): flush our
 * least recently used key and say whether trying again makes sense.
 */
int btpm_tok_full(struct btpm_tok_ctx *c, int rc, int tries);

#endif
