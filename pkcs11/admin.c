/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Token administration and login (v2.40 5.5, 5.6, 5.14): C_InitToken,
 * C_InitPIN, C_SetPIN, C_Login, C_Logout, C_GenerateKeyPair.
 *
 * PINs go straight from the caller's buffer to the token layer, which turns
 * them into auth values (SHA-256(salt || PIN)); this file never copies,
 * stores or prints one. Both PINs unseal a DA-protected TPM object, so a
 * wrong PIN is counted by the TPM, and TPM_RC_AUTH_FAIL / TPM_RC_LOCKOUT
 * become CKR_PIN_INCORRECT / CKR_PIN_LOCKED.
 */
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "module.h"
#include "rc.h"

static CK_RV pin_rv(int rc, const char *what)
{
	btpm_p11_da_invalidate(); /* the TPM may count this one: refresh the PIN flags */
	if (rc > 0) {
		int base = btpm_rc_base((uint32_t)rc);
		/* the PIN objects are DA-protected: a wrong PIN is AUTH_FAIL; BAD_AUTH comes
		 * from a noDA entity (the SRK: a session out of step), never from the PIN */
		if (base == BTPM_RC_AUTH_FAIL)
			return btpm_p11_fail(CKR_PIN_INCORRECT, "%s: wrong PIN", what);
		if (base == BTPM_RC_LOCKOUT)
			return btpm_p11_fail(CKR_PIN_LOCKED, "%s: the TPM is in dictionary-attack "
					     "lockout", what);
	}
	return btpm_p11_rv(rc, what);
}

static int pin_len_ok(CK_ULONG len)
{
	return len >= BTPM_TOK_PIN_MIN && len <= BTPM_TOK_PIN_MAX;
}

/* A PIN about to be set: present (no protected path), of a length the token takes, no NUL. */
static CK_RV new_pin(const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (!pin)
		return CKR_ARGUMENTS_BAD;
	if (!pin_len_ok(len))
		return CKR_PIN_LEN_RANGE;
	if (memchr(pin, 0, len))
		return CKR_PIN_INVALID; /* could never be typed to the CLI */
	return CKR_OK;
}

/* ---- C_InitToken ---------------------------------------------------------------------- */

/* The 32-byte blank-padded label as a C string. */
static CK_RV token_label(const CK_UTF8CHAR *p, char *label)
{
	memcpy(label, p, 32);
	label[32] = 0;
	size_t n = strlen(label);
	while (n && label[n - 1] == ' ')
		label[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

/* The first token of a store that was never set up: do what 'baretpm init' does. */
static CK_RV create_token(const char *pin, size_t len, const char *label)
{
	struct p11_global *g = &btpm_p11_g;
	struct btpm_store_token tok;
	CK_RV rv = btpm_p11_store_writable(1);
	if (rv != CKR_OK)
		return rv;
	if (!g->ctx.have_global) {
		int rc = btpm_tok_init(&g->ctx, BTPM_TOK_SRK_HANDLE);
		if (rc)
			return btpm_p11_rv(rc, "setting up the token store (baretpm init)");
	}
	int rc = btpm_tok_create_token(&g->ctx, label, pin, len, NULL, 0, &tok);
	if (btpm_p11_retry_for_room(rc))
		rc = btpm_tok_create_token(&g->ctx, label, pin, len, NULL, 0, &tok);
	if (rc)
		return btpm_p11_rv(rc, "creating the token");
	btpm_store_token_free(&tok);
	return btpm_p11_slots_refresh(); /* the new token gets the next slot */
}

/*
 * Re-initialization (v2.40 5.5: with the right SO PIN, every object goes and
 * the user PIN is unset). The token keeps its serial and slot but gets a new
 * secret W: a new token is made and saved under the old serial, in place.
 */
static CK_RV reinit_token(struct p11_slot *sl, const char *pin, size_t len, const char *label)
{
	struct p11_global *g = &btpm_p11_g;
	struct btpm_store *st = &g->ctx.store;
	struct btpm_tok_login so;
	struct btpm_store_token fresh, old;
	CK_RV rv = btpm_p11_slot_load(sl, 1);
	if (rv != CKR_OK)
		return rv;
	int rc = btpm_tok_login(&g->ctx, &sl->tok, BTPM_TOK_SO, pin, len, &so);
	if (btpm_p11_retry_for_room(rc)) /* the TPM was full before the PIN was checked */
		rc = btpm_tok_login(&g->ctx, &sl->tok, BTPM_TOK_SO, pin, len, &so);
	if (rc)
		return pin_rv(rc, "checking the SO PIN");
	btpm_tok_logout(&g->ctx, &so);
	if ((rv = btpm_p11_store_writable(0)) != CKR_OK)
		return rv;
	rc = btpm_tok_make_token(&g->ctx, label, pin, len, NULL, 0, &fresh);
	if (btpm_p11_retry_for_room(rc))
		rc = btpm_tok_make_token(&g->ctx, label, pin, len, NULL, 0, &fresh);
	if (rc)
		return btpm_p11_rv(rc, "creating the token");
	rc = btpm_store_lock(st);
	if (!rc) {
		rc = btpm_store_load_token(st, sl->serial, &old);
		if (!rc) {
			/* handles are never reused: nothing may mistake a new object for an old one */
			if (old.next_handle > fresh.next_handle)
				fresh.next_handle = old.next_handle;
			btpm_store_token_free(&old);
			memcpy(fresh.serial, sl->serial, sizeof(fresh.serial));
			rc = btpm_store_save_token(st, &fresh);
		}
		btpm_store_unlock(st);
	}
	if (rc) {
		btpm_store_token_free(&fresh);
		return btpm_p11_rv(rc, "re-initializing the token");
	}
	btpm_p11_slot_set(sl, &fresh);
	return CKR_OK;
}

static CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
			 CK_UTF8CHAR_PTR pLabel)
{
	char label[33];
	if (!pLabel)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = new_pin(pPin, ulPinLen);
	if (rv == CKR_OK)
		rv = token_label(pLabel, label);
	if (rv != CKR_OK)
		return rv;
	if ((rv = btpm_p11_enter()) != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_slot(slotID);
	if (!sl)
		rv = CKR_SLOT_ID_INVALID;
	else if (sl->serial[0] && !sl->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (sl->sessions)
		rv = CKR_SESSION_EXISTS;
	else if (!sl->serial[0])
		rv = create_token((const char *)pPin, ulPinLen, label);
	else
		rv = reinit_token(sl, (const char *)pPin, ulPinLen, label);
	btpm_p11_leave();
	return rv;
}

/* ---- PINs -------------------------------------------------------------------------- */

struct pin_edit {
	struct p11_slot *sl;
	enum btpm_tok_who who;
	const char *old_pin, *pin;
	size_t old_len, len;
};

static CK_RV init_pin(struct btpm_store_token *tok, void *arg)
{
	struct pin_edit *e = arg;
	int rc = btpm_tok_init_pin(&btpm_p11_g.ctx, tok, &e->sl->login, e->pin, e->len);
	if (btpm_p11_retry_for_room(rc))
		rc = btpm_tok_init_pin(&btpm_p11_g.ctx, tok, &e->sl->login, e->pin, e->len);
	return rc ? btpm_p11_rv(rc, "setting the user PIN") : CKR_OK;
}

static CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	if (sl->login.who != BTPM_TOK_SO)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else
		rv = new_pin(pPin, ulPinLen);
	if (rv == CKR_OK) {
		struct pin_edit e = {sl, BTPM_TOK_USER, NULL, (const char *)pPin, 0, ulPinLen};
		rv = btpm_p11_token_edit(sl, init_pin, &e);
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV set_pin(struct btpm_store_token *tok, void *arg)
{
	struct pin_edit *e = arg;
	int rc = btpm_tok_set_pin(&btpm_p11_g.ctx, tok, e->who, e->old_pin, e->old_len, e->pin,
				  e->len);
	if (btpm_p11_retry_for_room(rc)) /* TPM2_Load failed: the PIN was not tried */
		rc = btpm_tok_set_pin(&btpm_p11_g.ctx, tok, e->who, e->old_pin, e->old_len, e->pin,
				      e->len);
	return rc ? pin_rv(rc, "changing the PIN") : CKR_OK;
}

/*
 * v2.40 5.6: the PIN of whoever is logged in, or the user's PIN from a
 * public session (that is how `pkcs11-tool --change-pin` works). The old PIN
 * authorizes the change in the TPM, so no login is needed for it.
 */
static CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
		      CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	enum btpm_tok_who who = sl->login.who == BTPM_TOK_SO ? BTPM_TOK_SO : BTPM_TOK_USER;
	if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (!pOldPin)
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = new_pin(pNewPin, ulNewLen)) != CKR_OK)
		;
	else if (!sl->serial[0])
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if ((rv = btpm_p11_slot_load(sl, 0)) != CKR_OK)
		;
	else if (who == BTPM_TOK_USER && !sl->tok.user_pin_set)
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if (!pin_len_ok(ulOldLen))
		rv = CKR_PIN_INCORRECT; /* cannot be the PIN: spare the TPM's counter */
	if (rv == CKR_OK) {
		struct pin_edit e = {sl, who, (const char *)pOldPin, (const char *)pNewPin,
				     ulOldLen, ulNewLen};
		rv = btpm_p11_token_edit(sl, set_pin, &e);
	}
	btpm_p11_leave();
	return rv;
}

/* ---- login ---------------------------------------------------------------------------- */

static int ro_sessions(unsigned slot)
{
	struct p11_global *g = &btpm_p11_g;
	for (size_t i = 0; i < g->nsessions; i++)
		if (g->sessions[i]->slot == slot && !(g->sessions[i]->flags & CKF_RW_SESSION))
			return 1;
	return 0;
}

static CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
		     CK_ULONG ulPinLen)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	enum btpm_tok_who who = userType == CKU_SO ? BTPM_TOK_SO : BTPM_TOK_USER;
	if (userType == CKU_CONTEXT_SPECIFIC)
		/* no key has CKA_ALWAYS_AUTHENTICATE: there is never an operation to re-authorize */
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (userType != CKU_SO && userType != CKU_USER)
		rv = CKR_USER_TYPE_INVALID;
	else if (sl->login.who == who)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (sl->login.who != BTPM_TOK_NOBODY)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else if (who == BTPM_TOK_SO && ro_sessions(s->slot))
		rv = CKR_SESSION_READ_ONLY_EXISTS;
	else if (!pPin)
		rv = CKR_ARGUMENTS_BAD; /* no protected authentication path */
	else if (!sl->serial[0])
		rv = CKR_USER_PIN_NOT_INITIALIZED; /* the empty slot: no token, no PIN */
	else if (!pin_len_ok(ulPinLen))
		rv = CKR_PIN_INCORRECT; /* v2.40 5.6 lists no PIN_LEN_RANGE for C_Login; never tried */
	else if ((rv = btpm_p11_slot_load(sl, 0)) != CKR_OK)
		;
	else if (who == BTPM_TOK_USER && !sl->tok.user_pin_set)
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		int rc = btpm_tok_login(&btpm_p11_g.ctx, &sl->tok, who, (const char *)pPin,
					ulPinLen, &sl->login);
		if (btpm_p11_retry_for_room(rc)) /* TPM2_Load failed: the PIN was not tried */
			rc = btpm_tok_login(&btpm_p11_g.ctx, &sl->tok, who, (const char *)pPin,
					    ulPinLen, &sl->login);
		btpm_p11_da_invalidate(); /* a PIN was tried: the next PIN flags ask the TPM */
		if (rc) {
			btpm_wipe(&sl->login, sizeof(sl->login));
			rv = pin_rv(rc, who == BTPM_TOK_SO ? "SO login" : "user login");
		}
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	if (sl->login.who == BTPM_TOK_NOBODY)
		rv = CKR_USER_NOT_LOGGED_IN;
	else
		btpm_p11_slot_logout(sl); /* flushes the token's TPM session and keys */
	btpm_p11_leave();
	return rv;
}

void btpm_p11_fill_admin(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_InitToken = C_InitToken;
	f->C_InitPIN = C_InitPIN;
	f->C_SetPIN = C_SetPIN;
	f->C_Login = C_Login;
	f->C_Logout = C_Logout;
}
