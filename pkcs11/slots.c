/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Slots and tokens (v2.40 5.5): one slot per token of the store plus one
 * empty slot for C_InitToken. Listing slots, tokens and mechanisms reads
 * only the store; C_GetTokenInfo asks the TPM at most once per
 * P11_DA_CACHE_NS for its dictionary-attack state (the PIN flags).
 *
 * A slot ID, once given to a token, stays that token's for the life of the
 * module instance (until C_Finalize), so handles and URIs do not shift when
 * another process adds or removes a token. Tokens seen at the first scan
 * get IDs in serial order; later ones get the next free ID.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "module.h"
#include "rc.h"

/* ---- the store ---------------------------------------------------------------- */

CK_RV btpm_p11_store_ready(void)
{
	struct p11_global *g = &btpm_p11_g;
	if (g->store_open)
		return CKR_OK;
	struct btpm *t = g->ctx.t; /* a TPM opened without a store stays open */
	int rc = btpm_tok_ctx_open(&g->ctx, NULL, NULL, 0);
	g->ctx.t = t;
	if (rc == BTPM_E_NOTFOUND) { /* no store yet: only the empty slot */
		if (g->debug && !g->told_no_store++)
			fprintf(stderr, "baretpm-pkcs11: %s; until then only the empty slot\n",
				g->ctx.store.error[0] ? g->ctx.store.error : "no token store");
		return CKR_OK;
	}
	if (rc)
		return btpm_p11_rv(rc, "opening the token store");
	g->store_open = 1;
	return CKR_OK;
}

CK_RV btpm_p11_store_writable(int create)
{
	struct p11_global *g = &btpm_p11_g;
	if (!g->store_open) {
		if (!create)
			return btpm_p11_fail(CKR_TOKEN_NOT_PRESENT, "there is no token store");
		struct btpm *t = g->ctx.t;
		int rc = btpm_tok_ctx_open(&g->ctx, NULL, NULL, 1);
		g->ctx.t = t;
		if (rc)
			return btpm_p11_rv(rc, "creating the token store");
		g->store_open = 1;
	}
	if (g->ctx.store.writable)
		return CKR_OK;
	/* reopen the same directory for writing; the TPM side of ctx is untouched */
	char dir[sizeof(g->ctx.store.dir)];
	memcpy(dir, g->ctx.store.dir, sizeof(dir));
	btpm_store_close(&g->ctx.store);
	int rc = btpm_store_open(&g->ctx.store, dir, 1);
	if (rc)
		return btpm_p11_rv(rc, "opening the token store for writing");
	return CKR_OK;
}

static int store_writable_now(void)
{
	struct p11_global *g = &btpm_p11_g;
	char path[sizeof(g->ctx.store.dir) + 16];
	int n = snprintf(path, sizeof(path), "%s/tokens", g->ctx.store.dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) == 0;
}

/* ---- the slot table --------------------------------------------------------------- */

static struct p11_slot *slot_new(unsigned i, const char *serial)
{
	struct p11_slot *sl = calloc(1, sizeof(*sl));
	if (!sl)
		return NULL;
	snprintf(sl->serial, sizeof(sl->serial), "%.*s", (int)BTPM_STORE_SERIAL, serial);
	btpm_p11_g.slots[i] = sl;
	return sl;
}

/* A slot for a newly seen token: the next unused ID, else one whose token is gone. */
static struct p11_slot *slot_assign(const char *serial)
{
	struct p11_global *g = &btpm_p11_g;
	if (g->nslots < P11_MAX_SLOTS)
		return slot_new(g->nslots++, serial);
	for (unsigned i = 0; i < P11_MAX_SLOTS; i++) {
		struct p11_slot *sl = g->slots[i];
		if (sl && !sl->present && !sl->sessions) {
			btpm_store_token_free(&sl->tok);
			btpm_wipe(sl, sizeof(*sl));
			snprintf(sl->serial, sizeof(sl->serial), "%.*s", (int)BTPM_STORE_SERIAL, serial);
			return sl;
		}
	}
	return NULL;
}

CK_RV btpm_p11_slots_refresh(void)
{
	struct p11_global *g = &btpm_p11_g;
	CK_RV rv = btpm_p11_store_ready();
	if (!g->slots[P11_EMPTY_SLOT] && !slot_new(P11_EMPTY_SLOT, ""))
		return CKR_HOST_MEMORY;
	if (rv != CKR_OK || !g->store_open)
		return rv;
	char serials[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n = 0;
	int rc = btpm_store_list_tokens(&g->ctx.store, serials, BTPM_STORE_MAX_TOKENS, &n);
	if (rc && rc != BTPM_E_TOOBIG) /* too many: the first ones are still listed */
		return btpm_p11_rv(rc, "listing the tokens");
	for (unsigned i = 0; i < g->nslots; i++)
		if (g->slots[i])
			g->slots[i]->present = 0;
	/*
	 * Every token that has a slot is marked present before any new token gets
	 * one: a reused slot is only ever one whose token is gone, never one of a
	 * token further down the list.
	 */
	int is_new[BTPM_STORE_MAX_TOKENS];
	for (unsigned k = 0; k < n; k++) {
		struct p11_slot *sl = NULL;
		for (unsigned i = 0; i < g->nslots && !sl; i++)
			if (g->slots[i] && !strcmp(g->slots[i]->serial, serials[k]))
				sl = g->slots[i];
		is_new[k] = !sl;
		if (sl)
			sl->present = 1;
	}
	for (unsigned k = 0; k < n; k++) {
		struct p11_slot *sl = is_new[k] ? slot_assign(serials[k]) : NULL;
		if (sl)
			sl->present = 1;
	}
	return CKR_OK;
}

struct p11_slot *btpm_p11_slot(CK_SLOT_ID id)
{
	struct p11_global *g = &btpm_p11_g;
	if (!g->slots[P11_EMPTY_SLOT] || g->nslots == 0)
		btpm_p11_slots_refresh(); /* C_GetSlotInfo without C_GetSlotList first */
	if (id > P11_EMPTY_SLOT)
		return NULL;
	return g->slots[id];
}

/* Identity of the file tok was read from (DIR/tokens/SERIAL.token, store.h). */
/* Every call on a token checks its file (another process may have changed it). */
static int token_stat(struct p11_slot *sl, struct stat *st)
{
	if (!sl->file[0]) {
		int n = snprintf(sl->file, sizeof(sl->file), "%s/tokens/%s.token",
				 btpm_p11_g.ctx.store.dir, sl->serial);
		if (n < 0 || (size_t)n >= sizeof(sl->file)) {
			sl->file[0] = 0;
			return -1;
		}
	}
	return stat(sl->file, st);
}

CK_RV btpm_p11_slot_load(struct p11_slot *sl, int force)
{
	struct p11_global *g = &btpm_p11_g;
	struct stat st;
	if (!sl->serial[0])
		return CKR_OK; /* the empty slot has no file */
	if (!g->store_open)
		return btpm_p11_fail(CKR_TOKEN_NOT_PRESENT, "there is no token store");
	if (token_stat(sl, &st)) {
		sl->present = 0;
		return btpm_p11_fail(CKR_TOKEN_NOT_PRESENT, "token %s: its file is gone",
				     sl->serial);
	}
	long long mtime = (long long)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
	if (sl->loaded && !force && st.st_dev == sl->dev && st.st_ino == sl->ino &&
	    mtime == sl->mtime_ns && st.st_size == sl->size)
		return CKR_OK;
	struct btpm_store_token tok;
	int rc = btpm_store_load_token(&g->ctx.store, sl->serial, &tok);
	if (rc == BTPM_E_NOTFOUND) {
		sl->present = 0;
		return btpm_p11_fail(CKR_TOKEN_NOT_PRESENT, "token %s: its file is gone",
				     sl->serial);
	}
	if (rc)
		return btpm_p11_rv(rc, "reading the token");
	btpm_p11_slot_set(sl, &tok);
	sl->dev = st.st_dev;
	sl->ino = st.st_ino;
	sl->mtime_ns = mtime;
	sl->size = st.st_size;
	return CKR_OK;
}

void btpm_p11_slot_set(struct p11_slot *sl, struct btpm_store_token *tok)
{
	if (sl->loaded)
		btpm_store_token_free(&sl->tok);
	sl->tok = *tok;
	memset(tok, 0, sizeof(*tok));
	sl->loaded = 1;
	sl->present = 1;
	sl->ino = 0; /* written by this process: compare afresh next time */
}

int btpm_p11_flush_keys(const char *serial, uint32_t object)
{
	return btpm_tok_forget_keys(&btpm_p11_g.ctx, serial, object);
}

int btpm_p11_retry_for_room(int rc)
{
	return rc > 0 && btpm_rc_base((uint32_t)rc) == BTPM_RC_OBJECT_MEMORY &&
	       btpm_p11_flush_keys(NULL, 0) > 0;
}

void btpm_p11_slot_logout(struct p11_slot *sl)
{
	if (sl->login.who == BTPM_TOK_NOBODY)
		return;
	btpm_tok_logout(&btpm_p11_g.ctx, &sl->login);
	btpm_wipe(&sl->login, sizeof(sl->login));
}

void btpm_p11_slots_free(int tpm)
{
	struct p11_global *g = &btpm_p11_g;
	/* behind a resource manager, closing the TPM flushes the login sessions */
	int flush = tpm && g->store_open && !btpm_flushes_on_close(g->ctx.t);
	for (unsigned i = 0; i <= P11_MAX_SLOTS; i++) {
		struct p11_slot *sl = g->slots[i];
		if (!sl)
			continue;
		if (flush)
			btpm_p11_slot_logout(sl);
		if (sl->loaded)
			btpm_store_token_free(&sl->tok);
		btpm_wipe(sl, sizeof(*sl));
		free(sl);
		g->slots[i] = NULL;
	}
	g->nslots = 0;
}

/* ---- C_GetSlotList / C_GetSlotInfo / C_GetTokenInfo ---------------------------------- */

static CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	(void)tokenPresent; /* every listed slot has a token, initialized or not */
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_global *g = &btpm_p11_g;
	/* v2.40 5.5: the list may change when the application asks for its length */
	if (!pSlotList || !g->slots[P11_EMPTY_SLOT])
		rv = btpm_p11_slots_refresh();
	if (rv == CKR_OK) {
		CK_ULONG n = 0;
		for (unsigned i = 0; i < g->nslots; i++)
			if (g->slots[i] && g->slots[i]->present)
				n++;
		n++; /* the empty slot, always last */
		if (!pSlotList) {
			*pulCount = n;
		} else if (*pulCount < n) {
			*pulCount = n;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			CK_ULONG k = 0;
			for (unsigned i = 0; i < g->nslots; i++)
				if (g->slots[i] && g->slots[i]->present)
					pSlotList[k++] = i;
			pSlotList[k++] = P11_EMPTY_SLOT;
			*pulCount = k;
		}
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_slot(slotID);
	if (!sl) {
		btpm_p11_leave();
		return CKR_SLOT_ID_INVALID;
	}
	char desc[96];
	if (sl->serial[0])
		snprintf(desc, sizeof(desc), "baretpm TPM 2.0 token %s", sl->serial);
	else
		snprintf(desc, sizeof(desc), "baretpm TPM 2.0 (free slot for a new token)");
	memset(pInfo, 0, sizeof(*pInfo));
	btpm_p11_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription), desc);
	btpm_p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "baretpm");
	pInfo->flags = CKF_HW_SLOT | (sl->present || !sl->serial[0] ? CKF_TOKEN_PRESENT : 0);
	pInfo->hardwareVersion.major = 2; /* TPM 2.0 */
	btpm_p11_leave();
	return CKR_OK;
}

/* The TPM's lockout counter, at most one TPM2_GetCapability per P11_DA_CACHE_NS. */
static void da_state(void)
{
	struct p11_global *g = &btpm_p11_g;
	long long now = btpm_p11_now();
	if (g->da_valid && now - g->da_at < P11_DA_CACHE_NS)
		return;
	g->da_rc = btpm_tok_da_state(&g->ctx, &g->da_failures, &g->da_max, &g->da_locked);
	if (g->da_rc)
		btpm_p11_rv(g->da_rc, "reading the TPM's lockout state (PIN flags left out)");
	g->da_valid = 1;
	g->da_at = now;
}

void btpm_p11_da_invalidate(void)
{
	btpm_p11_g.da_valid = 0;
}

static CK_FLAGS pin_flags(void)
{
	struct p11_global *g = &btpm_p11_g;
	da_state();
	if (g->da_rc)
		return 0;
	CK_FLAGS f = 0;
	/* both PINs unseal a DA-protected object: one counter speaks for both */
	if (g->da_failures > 0)
		f |= CKF_USER_PIN_COUNT_LOW | CKF_SO_PIN_COUNT_LOW;
	if (g->da_max && g->da_failures + 1 == g->da_max)
		f |= CKF_USER_PIN_FINAL_TRY | CKF_SO_PIN_FINAL_TRY;
	if (g->da_locked)
		f |= CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED;
	return f;
}

static CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_slot(slotID);
	if (!sl)
		rv = CKR_SLOT_ID_INVALID;
	else if (sl->serial[0] && !sl->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	else
		rv = btpm_p11_slot_load(sl, 0);
	if (rv != CKR_OK) {
		btpm_p11_leave();
		return rv;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	btpm_p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "baretpm");
	btpm_p11_pad(pInfo->model, sizeof(pInfo->model), "TPM 2.0");
	btpm_p11_pad(pInfo->label, sizeof(pInfo->label), sl->serial[0] ? sl->tok.label : "");
	btpm_p11_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), sl->serial);
	btpm_p11_pad(pInfo->utcTime, sizeof(pInfo->utcTime), "");
	pInfo->flags = CKF_RNG;
	if (sl->serial[0]) {
		pInfo->flags |= CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED;
		if (sl->tok.user_pin_set)
			pInfo->flags |= CKF_USER_PIN_INITIALIZED;
		if (!store_writable_now())
			pInfo->flags |= CKF_WRITE_PROTECTED;
		pInfo->flags |= pin_flags();
	}
	pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulSessionCount = sl->sessions;
	pInfo->ulRwSessionCount = sl->rw_sessions;
	pInfo->ulMaxPinLen = BTPM_TOK_PIN_MAX;
	pInfo->ulMinPinLen = BTPM_TOK_PIN_MIN;
	pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->hardwareVersion.major = 2;
	btpm_p11_leave();
	return CKR_OK;
}

/* ---- mechanisms (v2.40 5.5; PKCS#11 Current Mechanisms 2.3) ---------------------------- */

#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)

static const struct {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_INFO info;
} mechanisms[] = {
	{CKM_EC_KEY_PAIR_GEN, {256, 384, CKF_HW | CKF_GENERATE_KEY_PAIR | EC_FLAGS}},
	{CKM_ECDSA, {256, 384, CKF_HW | CKF_SIGN | CKF_VERIFY | EC_FLAGS}},
	{CKM_ECDSA_SHA1, {256, 384, CKF_HW | CKF_SIGN | CKF_VERIFY | EC_FLAGS}},
	{CKM_ECDSA_SHA256, {256, 384, CKF_HW | CKF_SIGN | CKF_VERIFY | EC_FLAGS}},
	{CKM_ECDSA_SHA384, {256, 384, CKF_HW | CKF_SIGN | CKF_VERIFY | EC_FLAGS}},
	{CKM_ECDSA_SHA512, {256, 384, CKF_HW | CKF_SIGN | CKF_VERIFY | EC_FLAGS}},
	{CKM_SHA_1, {0, 0, CKF_DIGEST}},
	{CKM_SHA256, {0, 0, CKF_DIGEST}},
	{CKM_SHA384, {0, 0, CKF_DIGEST}},
	{CKM_SHA512, {0, 0, CKF_DIGEST}},
};
#define NMECH (sizeof(mechanisms) / sizeof(mechanisms[0]))

static CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
				CK_ULONG_PTR pulCount)
{
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!btpm_p11_slot(slotID)) {
		rv = CKR_SLOT_ID_INVALID;
	} else if (!pMechanismList) {
		*pulCount = NMECH;
	} else if (*pulCount < NMECH) {
		*pulCount = NMECH;
		rv = CKR_BUFFER_TOO_SMALL;
	} else {
		for (size_t i = 0; i < NMECH; i++)
			pMechanismList[i] = mechanisms[i].type;
		*pulCount = NMECH;
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
				CK_MECHANISM_INFO_PTR pInfo)
{
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	rv = CKR_MECHANISM_INVALID;
	if (!btpm_p11_slot(slotID)) {
		rv = CKR_SLOT_ID_INVALID;
	} else {
		for (size_t i = 0; i < NMECH; i++)
			if (mechanisms[i].type == type) {
				*pInfo = mechanisms[i].info;
				rv = CKR_OK;
			}
	}
	btpm_p11_leave();
	return rv;
}

void btpm_p11_fill_slots(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_GetSlotList = C_GetSlotList;
	f->C_GetSlotInfo = C_GetSlotInfo;
	f->C_GetTokenInfo = C_GetTokenInfo;
	f->C_GetMechanismList = C_GetMechanismList;
	f->C_GetMechanismInfo = C_GetMechanismInfo;
}
