/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TPM-backed operations of a token, shared by the PKCS#11 module and the
 * CLI (DESIGN: "Keys and the token store").
 *
 * A token holds a random 32-byte secret W, sealed under the pinned SRK twice:
 * with auth SHA-256(salt_so || SO PIN) and SHA-256(salt_user || user PIN).
 * The sealed objects are not noDA, so the TPM counts wrong PINs. Logging in
 * is StartAuthSession (salted to the pinned SRK) + Load + Unseal (response
 * encrypted) + FlushContext: 4 commands; the session stays open for signing.
 * A key is an ECC signing key created under the SRK with a random auth value
 * that the store keeps encrypted under W (AES-256-GCM). Signing a loaded key
 * is 1 command (TPM2_Sign authorized by HMAC with that auth value).
 */
#ifndef BTPM_TOKEN_H
#define BTPM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "store.h"

#define BTPM_TOK_W 32
#define BTPM_TOK_PIN_MIN 4
#define BTPM_TOK_PIN_MAX 64
#define BTPM_TOK_MAX_LOADED 8
#define BTPM_TOK_MAX_LOGINS 72 /* logins whose sessions one context keeps track of */
#define BTPM_TOK_SRK_HANDLE 0x81000001u

enum btpm_tok_who {
	BTPM_TOK_NOBODY = 0,
	BTPM_TOK_USER = 1,
	BTPM_TOK_SO = 2,
};

/* A key this process has loaded into the TPM. */
struct btpm_tok_loaded {
	char serial[BTPM_STORE_SERIAL + 1]; /* "" = free slot */
	uint32_t object;                    /* store object handle */
	struct btpm_entity key;             /* TPM handle, Name, decrypted auth value */
	unsigned long last_use;
};

/* One per process (the PKCS#11 module keeps one, guarded by its lock). */
struct btpm_tok_ctx {
	struct btpm *t; /* opened on first need: listing objects costs no TPM command */
	char tcti[320]; /* "" = the default lookup */
	struct btpm_store store;
	struct btpm_store_global g; /* the pinned SRK */
	int have_global;
	struct btpm_entity srk; /* handle and Name from the pinned public area; empty auth */
	struct btpm_tok_loaded loaded[BTPM_TOK_MAX_LOADED];
	unsigned long clock;
	/*
	 * The sessions of the logins made through this context (btpm_tok_login
	 * to btpm_tok_logout): never flushed as strangers when the TPM is full;
	 * when one is flushed to make room, its handle is cleared so that its
	 * login starts a new session (a stale handle could name someone else's).
	 */
	struct btpm_session *logins[BTPM_TOK_MAX_LOGINS];
};

/* A token's login state: who, W, and the salted session kept for signing. */
struct btpm_tok_login {
	enum btpm_tok_who who;
	char serial[BTPM_STORE_SERIAL + 1];
	uint8_t w[BTPM_TOK_W];
	struct btpm_session s;
};

/*
 * Open the store (dir NULL = default lookup) and read the pinned SRK; the TPM
 * is opened lazily by btpm_tok_tpm(). BTPM_E_NOTFOUND: no store / not
 * initialized ("run 'baretpm init'").
 */
int btpm_tok_ctx_open(struct btpm_tok_ctx *c, const char *tcti, const char *store_dir,
		      int want_write);
/* An empty context that btpm_tok_ctx_close() accepts (for a caller that may fail first). */
void btpm_tok_ctx_blank(struct btpm_tok_ctx *c);
/* Flush every key this process loaded, close the TPM and the store, wipe. */
void btpm_tok_ctx_close(struct btpm_tok_ctx *c);
/* Open the TPM connection if it is not open. */
int btpm_tok_tpm(struct btpm_tok_ctx *c);
/*
 * In a forked child: forget the parent's TPM connection, loaded keys and
 * sessions without flushing them (they are the parent's), so the next
 * operation reconnects.
 */
void btpm_tok_after_fork(struct btpm_tok_ctx *c);

/*
 * baretpm init: make sure the SRK exists (persistent at srk_handle, reusing an
 * identical key already there; srk_handle 0 = transient, re-created from the
 * template when needed) and pin its public area in the store. If the store
 * already pins a different key, BTPM_E_PINNED (never re-pinned silently).
 */
int btpm_tok_init(struct btpm_tok_ctx *c, uint32_t srk_handle);

/*
 * Create a token (SO PIN required; user PIN may be NULL: set later by
 * C_InitPIN) and save it; a store that holds BTPM_STORE_MAX_TOKENS already
 * is BTPM_E_TOOBIG, found before any TPM work.
 */
int btpm_tok_create_token(struct btpm_tok_ctx *c, const char *label, const char *so_pin,
			  size_t so_len, const char *user_pin, size_t user_len,
			  struct btpm_store_token *out);
/* The same without saving it (re-initialization saves it under the old serial). */
int btpm_tok_make_token(struct btpm_tok_ctx *c, const char *label, const char *so_pin,
			size_t so_len, const char *user_pin, size_t user_len,
			struct btpm_store_token *out);

/*
 * Log in: unseal W with the PIN. Wrong PIN: the TPM's TPM_RC_AUTH_FAIL (its
 * lockout counter incremented); lockout: TPM_RC_LOCKOUT.
 */
int btpm_tok_login(struct btpm_tok_ctx *c, const struct btpm_store_token *tok,
		   enum btpm_tok_who who, const char *pin, size_t pin_len, struct btpm_tok_login *out);
/* Flush the session and every key of this token; wipe W. */
void btpm_tok_logout(struct btpm_tok_ctx *c, struct btpm_tok_login *l);

/* SO logged in: (re)seal W with a new user PIN (C_InitPIN). Updates tok. */
int btpm_tok_init_pin(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		      struct btpm_tok_login *so, const char *pin, size_t pin_len);
/* Change the PIN of who (C_SetPIN): ObjectChangeAuth on one sealed object. Updates tok. */
int btpm_tok_set_pin(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		     enum btpm_tok_who who, const char *old_pin, size_t old_len,
		     const char *new_pin, size_t new_len);

/*
 * Generate an ECC key (curve BTPM_ECC_NIST_P256 / P384) in the TPM and add a
 * private and a public object to tok with CKA_LABEL, CKA_ID, CKA_EC_PARAMS,
 * CKA_EC_POINT and the other attributes a PKCS#11 key needs. The caller saves
 * tok. user logged in required.
 */
int btpm_tok_keygen(struct btpm_tok_ctx *c, struct btpm_store_token *tok,
		    struct btpm_tok_login *l, uint16_t curve, const char *label, size_t label_len,
		    const uint8_t *id, size_t id_len, uint32_t *priv_object, uint32_t *pub_object);

/*
 * ECDSA-sign digest with the private key object; sig gets r || s (2 * coord
 * size bytes). Loads the key on first use (least recently used keys are
 * flushed when the TPM is full) and then costs one command.
 */
int btpm_tok_sign(struct btpm_tok_ctx *c, const struct btpm_store_token *tok,
		  struct btpm_tok_login *l, uint32_t object, const uint8_t *digest,
		  size_t digest_len, uint8_t *sig, size_t sig_cap, size_t *sig_len);

/*
 * Flush and forget keys this process loaded: all (serial NULL), a token's
 * (object 0), or one. Returns how many. For C_DestroyObject and logout.
 */
int btpm_tok_forget_keys(struct btpm_tok_ctx *c, const char *serial, uint32_t object);

/* Dictionary-attack state for the PIN flags (one TPM2_GetCapability). */
int btpm_tok_da_state(struct btpm_tok_ctx *c, uint32_t *failures, uint32_t *max_tries,
		      int *locked);

/* PKCS#11 attribute types and classes used by the token layer (PKCS#11 2.40). */
#define BTPM_CKO_DATA 0x0u
#define BTPM_CKO_CERTIFICATE 0x1u
#define BTPM_CKO_PUBLIC_KEY 0x2u
#define BTPM_CKO_PRIVATE_KEY 0x3u
#define BTPM_CKA_LABEL 0x003u
#define BTPM_CKA_ID 0x102u
#define BTPM_CKA_EC_PARAMS 0x180u
#define BTPM_CKA_EC_POINT 0x181u

#endif
