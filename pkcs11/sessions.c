/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sessions (v2.40 5.6) and session objects. Sessions are serial only; a
 * token's login state belongs to the token and is shared by all of this
 * application's sessions with it (v2.40 2.6.7); closing the last of them
 * logs out, which flushes the token's TPM session and keys.
 */
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "module.h"

struct p11_session *btpm_p11_session(CK_SESSION_HANDLE h)
{
	struct p11_global *g = &btpm_p11_g;
	for (size_t i = 0; i < g->nsessions; i++)
		if (g->sessions[i]->handle == h)
			return g->sessions[i];
	return NULL;
}

CK_STATE btpm_p11_session_state(const struct p11_session *s)
{
	const struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	int rw = (s->flags & CKF_RW_SESSION) != 0;
	switch (sl ? sl->login.who : BTPM_TOK_NOBODY) {
	case BTPM_TOK_SO:
		return CKS_RW_SO_FUNCTIONS;
	case BTPM_TOK_USER:
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	default:
		return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
}

void btpm_p11_op_end(struct p11_op *op)
{
	if (op->buf) {
		btpm_wipe(op->buf, op->cap);
		free(op->buf);
	}
	btpm_wipe(op, sizeof(*op));
}

static void find_end(struct p11_find *f)
{
	free(f->handles);
	memset(f, 0, sizeof(*f));
}

/* ---- session objects ---------------------------------------------------------------- */

struct btpm_store_object *btpm_p11_sobj_add(struct p11_session *s, uint32_t cls)
{
	struct p11_global *g = &btpm_p11_g;
	if (g->nsobj == g->cap_sobj) {
		size_t cap = g->cap_sobj ? 2 * g->cap_sobj : 16;
		struct p11_sobj *m = realloc(g->sobj, cap * sizeof(*m));
		if (!m)
			return NULL;
		g->sobj = m;
		g->cap_sobj = cap;
	}
	struct btpm_store_object *o = btpm_store_object_add(&g->sobj_tok, (uint32_t)cls);
	if (!o)
		return NULL;
	if (o->handle > P11_OBJ_MASK) {
		/* 2^20 - 1 handles handed out: go on with the lowest one no live object has */
		uint32_t h = 1;
		while (h <= P11_OBJ_MASK && btpm_store_object_find(&g->sobj_tok, h))
			h++;
		if (h > P11_OBJ_MASK) {
			btpm_store_object_remove(&g->sobj_tok, o->handle);
			return NULL;
		}
		o->handle = h;
	}
	g->sobj[g->nsobj++] = (struct p11_sobj){o->handle, s->slot, s->handle};
	return o;
}

struct p11_sobj *btpm_p11_sobj_meta(uint32_t object)
{
	struct p11_global *g = &btpm_p11_g;
	for (size_t i = 0; i < g->nsobj; i++)
		if (g->sobj[i].object == object)
			return &g->sobj[i];
	return NULL;
}

void btpm_p11_sobj_remove(uint32_t object)
{
	struct p11_global *g = &btpm_p11_g;
	struct p11_sobj *m = btpm_p11_sobj_meta(object);
	if (!m)
		return;
	btpm_store_object_remove(&g->sobj_tok, object);
	*m = g->sobj[--g->nsobj];
}

/* ---- open and close --------------------------------------------------------------- */

static void session_free(struct p11_session *s)
{
	find_end(&s->find);
	btpm_p11_op_end(&s->sign);
	btpm_p11_op_end(&s->verify);
	btpm_p11_op_end(&s->digest);
	btpm_wipe(s, sizeof(*s));
	free(s);
}

/* Close the i-th session: its objects go, and the last one of a token logs out. */
static void session_close(size_t i)
{
	struct p11_global *g = &btpm_p11_g;
	struct p11_session *s = g->sessions[i];
	struct p11_slot *sl = g->slots[s->slot];
	for (size_t k = g->nsobj; k-- > 0;)
		if (g->sobj[k].owner == s->handle)
			btpm_p11_sobj_remove(g->sobj[k].object);
	if (sl) {
		sl->sessions--;
		if (s->flags & CKF_RW_SESSION)
			sl->rw_sessions--;
		if (!sl->sessions)
			btpm_p11_slot_logout(sl);
	}
	g->sessions[i] = g->sessions[--g->nsessions];
	session_free(s);
}

void btpm_p11_sessions_free(void)
{
	struct p11_global *g = &btpm_p11_g;
	for (size_t i = 0; i < g->nsessions; i++)
		session_free(g->sessions[i]);
	free(g->sessions);
	g->sessions = NULL;
	g->nsessions = g->cap_sessions = 0;
	btpm_store_token_free(&g->sobj_tok);
	free(g->sobj);
	g->sobj = NULL;
	g->nsobj = g->cap_sobj = 0;
}

static CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
			   CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	(void)pApplication; /* no callbacks: nothing is ever notified */
	(void)Notify;
	if (!phSession)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_global *g = &btpm_p11_g;
	struct p11_slot *sl = btpm_p11_slot(slotID);
	struct p11_session *s = NULL;
	if (!(flags & CKF_SERIAL_SESSION))
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	else if (!sl)
		rv = CKR_SLOT_ID_INVALID;
	else if (sl->serial[0] && !sl->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (!(flags & CKF_RW_SESSION) && sl->login.who == BTPM_TOK_SO)
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	else
		rv = btpm_p11_slot_load(sl, 0); /* a fresh view of the token */
	if (rv == CKR_OK && g->nsessions == g->cap_sessions) {
		size_t cap = g->cap_sessions ? 2 * g->cap_sessions : 8;
		struct p11_session **t = realloc(g->sessions, cap * sizeof(*t));
		if (t) {
			g->sessions = t;
			g->cap_sessions = cap;
		} else {
			rv = CKR_HOST_MEMORY;
		}
	}
	if (rv == CKR_OK && !(s = calloc(1, sizeof(*s))))
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK) {
		s->handle = g->next_session++;
		s->slot = (unsigned)slotID;
		s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
		g->sessions[g->nsessions++] = s;
		sl->sessions++;
		if (flags & CKF_RW_SESSION)
			sl->rw_sessions++;
		*phSession = s->handle;
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_global *g = &btpm_p11_g;
	rv = CKR_SESSION_HANDLE_INVALID;
	for (size_t i = 0; i < g->nsessions; i++)
		if (g->sessions[i]->handle == hSession) {
			session_close(i);
			rv = CKR_OK;
			break;
		}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	struct p11_global *g = &btpm_p11_g;
	if (slotID > P11_EMPTY_SLOT || !g->slots[slotID]) {
		rv = CKR_SLOT_ID_INVALID;
	} else {
		for (size_t i = g->nsessions; i-- > 0;)
			if (g->sessions[i]->slot == slotID)
				session_close(i);
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = s->slot;
	pInfo->state = btpm_p11_session_state(s);
	pInfo->flags = s->flags;
	btpm_p11_leave();
	return CKR_OK;
}

void btpm_p11_fill_sessions(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_OpenSession = C_OpenSession;
	f->C_CloseSession = C_CloseSession;
	f->C_CloseAllSessions = C_CloseAllSessions;
	f->C_GetSessionInfo = C_GetSessionInfo;
}
