/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object management (v2.40 5.7): create, destroy, attributes, search.
 *
 * Token objects live in the token's store file. Every change is a
 * read-modify-write under the store's lock from the file as it is now
 * (another process may have changed it), never from this module's cached
 * copy. Session objects (CKA_TOKEN false) live in memory and die with the
 * session that created them.
 *
 * Private objects (the private keys) are invisible until the user logs in:
 * searches skip them and their handles are invalid. Public keys,
 * certificates and data objects are always visible, which is how
 * `ssh-keygen -D` lists keys without a PIN and without the TPM.
 */
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "module.h"

CK_OBJECT_HANDLE btpm_p11_handle(unsigned slot, uint32_t object, int session)
{
	return (session ? P11_OBJ_SESSION : 0) | ((CK_OBJECT_HANDLE)(slot + 1) << P11_OBJ_SHIFT) |
	       object;
}

CK_RV btpm_p11_object(struct p11_session *s, CK_OBJECT_HANDLE h, struct p11_obj *out,
		      int *hidden)
{
	struct p11_global *g = &btpm_p11_g;
	int session = (h & P11_OBJ_SESSION) != 0;
	CK_OBJECT_HANDLE slot1 = (h & ~P11_OBJ_SESSION) >> P11_OBJ_SHIFT;
	uint32_t object = (uint32_t)(h & P11_OBJ_MASK);
	memset(out, 0, sizeof(*out));
	if (hidden)
		*hidden = 0;
	if (!object || slot1 != (CK_OBJECT_HANDLE)s->slot + 1)
		return CKR_OBJECT_HANDLE_INVALID;
	struct p11_slot *sl = g->slots[s->slot];
	if (session) {
		struct p11_sobj *m = btpm_p11_sobj_meta(object);
		if (!m || m->slot != s->slot)
			return CKR_OBJECT_HANDLE_INVALID;
		out->o = btpm_store_object_find(&g->sobj_tok, object);
	} else if (sl && sl->serial[0]) {
		CK_RV rv = btpm_p11_slot_load(sl, 0);
		if (rv != CKR_OK)
			return rv;
		out->o = btpm_store_object_find(&sl->tok, object);
	}
	if (!out->o)
		return CKR_OBJECT_HANDLE_INVALID;
	out->handle = h;
	out->slot = s->slot;
	out->token = !session;
	if (btpm_p11_is_private(out->o) && (!sl || sl->login.who != BTPM_TOK_USER)) {
		if (!hidden)
			return CKR_OBJECT_HANDLE_INVALID;
		*hidden = 1;
	}
	return CKR_OK;
}

/* ---- read-modify-write of a token file ------------------------------------------------ */

CK_RV btpm_p11_token_edit(struct p11_slot *sl, p11_edit_fn fn, void *arg)
{
	struct btpm_store *st = &btpm_p11_g.ctx.store;
	CK_RV rv = btpm_p11_store_writable(0);
	if (rv != CKR_OK)
		return rv;
	int rc = btpm_store_lock(st);
	if (rc)
		return btpm_p11_rv(rc, "locking the token store");
	struct btpm_store_token tok;
	rc = btpm_store_load_token(st, sl->serial, &tok);
	if (rc) {
		btpm_store_unlock(st);
		if (rc == BTPM_E_NOTFOUND) {
			sl->present = 0;
			return btpm_p11_fail(CKR_TOKEN_NOT_PRESENT, "token %s is gone", sl->serial);
		}
		return btpm_p11_rv(rc, "reading the token");
	}
	rv = fn(&tok, arg);
	if (rv == CKR_OK) {
		rc = btpm_store_save_token(st, &tok);
		if (rc)
			rv = btpm_p11_rv(rc, "saving the token");
	}
	btpm_store_unlock(st);
	if (rv == CKR_OK)
		btpm_p11_slot_set(sl, &tok);
	else
		btpm_store_token_free(&tok);
	return rv;
}

/* ---- C_CreateObject ------------------------------------------------------------------------- */

struct create {
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG n;
	CK_OBJECT_CLASS cls;
	int token;
	uint32_t object; /* out */
};

static const CK_ATTRIBUTE_TYPE data_settable[] = {CKA_LABEL, CKA_APPLICATION, CKA_OBJECT_ID,
						  CKA_VALUE};
static const CK_ATTRIBUTE_TYPE cert_settable[] = {CKA_LABEL,         CKA_ID,    CKA_SUBJECT,
						  CKA_ISSUER,        CKA_VALUE,
						  CKA_SERIAL_NUMBER};
static const CK_ATTRIBUTE_TYPE pub_settable[] = {CKA_LABEL, CKA_ID, CKA_SUBJECT};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A public EC key from outside: parameters and point checked and stored in canonical form. */
static CK_RV fill_public(struct btpm_store_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const CK_ATTRIBUTE *kt = btpm_p11_find_attr(tmpl, n, CKA_KEY_TYPE);
	const CK_ATTRIBUTE *par = btpm_p11_find_attr(tmpl, n, CKA_EC_PARAMS);
	const CK_ATTRIBUTE *pt = btpm_p11_find_attr(tmpl, n, CKA_EC_POINT);
	uint16_t curve;
	size_t oid_n;
	const uint8_t *x, *y, *raw = pt ? pt->pValue : NULL;
	if (!kt || !par || !pt)
		return CKR_TEMPLATE_INCOMPLETE;
	if (btpm_p11_ec_curve(par->pValue, par->ulValueLen, &curve))
		return CKR_CURVE_NOT_SUPPORTED;
	const uint8_t *oid = btpm_p11_ec_oid(curve, &oid_n);
	size_t coord = (size_t)btpm_ecc_coord_size(curve);
	uint8_t der[2 + 1 + 2 * 48];
	/* DER OCTET STRING as the spec says, or the bare point some tools send */
	if (btpm_p11_ec_point(pt->pValue, pt->ulValueLen, coord, &x, &y)) {
		if (pt->ulValueLen != 1 + 2 * coord || raw[0] != 0x04)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		der[0] = 0x04;
		der[1] = (uint8_t)(1 + 2 * coord);
		memcpy(der + 2, raw, 1 + 2 * coord);
	} else {
		memcpy(der, raw, pt->ulValueLen);
	}
	/* a point off the curve is refused now, not found out at C_Verify */
	if (btpm_ecc_point_check(curve, coord, der + 3, der + 3 + coord))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	CK_BBOOL no = CK_FALSE;
	if (btpm_store_attr_set(o, (uint32_t)CKA_EC_PARAMS, oid, (uint32_t)oid_n) ||
	    btpm_store_attr_set(o, (uint32_t)CKA_EC_POINT, der, (uint32_t)(3 + 2 * coord)) ||
	    btpm_store_attr_set(o, (uint32_t)CKA_LOCAL, &no, 1)) /* not made by this token */
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

/* Checked before anything is stored; EC parameters and point are handled by fill_public. */
static CK_RV create_into(struct btpm_store_object *o, struct create *c)
{
	CK_ATTRIBUTE *rest = calloc(c->n ? c->n : 1, sizeof(*rest));
	CK_ULONG nrest = 0;
	CK_RV rv = CKR_OK;
	if (!rest)
		return CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; i < c->n; i++)
		if (c->cls != CKO_PUBLIC_KEY ||
		    (c->tmpl[i].type != CKA_EC_PARAMS && c->tmpl[i].type != CKA_EC_POINT))
			rest[nrest++] = c->tmpl[i];
	if (c->cls == CKO_CERTIFICATE) {
		const CK_ATTRIBUTE *ct = btpm_p11_find_attr(c->tmpl, c->n, CKA_CERTIFICATE_TYPE);
		const CK_ATTRIBUTE *val = btpm_p11_find_attr(c->tmpl, c->n, CKA_VALUE);
		if (!ct || !val || !val->ulValueLen)
			rv = CKR_TEMPLATE_INCOMPLETE;
		else
			rv = btpm_p11_apply_template(o, c->token, rest, nrest, cert_settable,
						     N(cert_settable));
	} else if (c->cls == CKO_PUBLIC_KEY) {
		rv = fill_public(o, c->tmpl, c->n);
		if (rv == CKR_OK)
			rv = btpm_p11_apply_template(o, c->token, rest, nrest, pub_settable,
						     N(pub_settable));
	} else {
		rv = btpm_p11_apply_template(o, c->token, rest, nrest, data_settable,
					     N(data_settable));
	}
	free(rest);
	return rv;
}

static CK_RV create_in_token(struct btpm_store_token *tok, void *arg)
{
	struct create *c = arg;
	struct btpm_store_object *o = btpm_store_object_add(tok, (uint32_t)c->cls);
	if (!o)
		return btpm_p11_fail(CKR_DEVICE_MEMORY, "token %s holds the most objects it may",
				     tok->serial);
	if (o->handle > P11_OBJ_MASK)
		return btpm_p11_fail(CKR_DEVICE_MEMORY, "token %s ran out of object handles",
				     tok->serial);
	c->object = o->handle;
	return create_into(o, c);
}

static CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	CK_RV rv = btpm_p11_check_template(pTemplate, ulCount);
	if (rv != CKR_OK || !phObject)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_slot *sl = btpm_p11_g.slots[s->slot];
	struct create c = {pTemplate, ulCount, 0, 0, 0};
	const CK_ATTRIBUTE *cls = btpm_p11_find_attr(pTemplate, ulCount, CKA_CLASS);
	const CK_ATTRIBUTE *tok = btpm_p11_find_attr(pTemplate, ulCount, CKA_TOKEN);
	if (!cls)
		rv = CKR_TEMPLATE_INCOMPLETE;
	else if (btpm_p11_ulong(cls, &c.cls) != CKR_OK || (tok && btpm_p11_bool(tok, &c.token)))
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if (c.cls == CKO_PRIVATE_KEY)
		/*
		 * A private key here is made inside the TPM and never exists outside it
		 * (CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE): an imported one would
		 * contradict what every key of this token promises. Use C_GenerateKeyPair.
		 */
		rv = btpm_p11_fail(CKR_TEMPLATE_INCONSISTENT,
				   "private keys are generated in the TPM, never imported");
	else if (c.cls != CKO_PUBLIC_KEY && c.cls != CKO_CERTIFICATE && c.cls != CKO_DATA)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if (c.token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (c.token && !sl->serial[0])
		rv = btpm_p11_fail(CKR_TOKEN_WRITE_PROTECTED, "the token is not initialized");
	if (rv == CKR_OK && c.token) {
		rv = btpm_p11_token_edit(sl, create_in_token, &c);
		if (rv == CKR_OK)
			*phObject = btpm_p11_handle(s->slot, c.object, 0);
	} else if (rv == CKR_OK) {
		struct btpm_store_object *o = btpm_p11_sobj_add(s, (uint32_t)c.cls);
		rv = o ? create_into(o, &c) : CKR_HOST_MEMORY;
		if (o && rv != CKR_OK)
			btpm_p11_sobj_remove(o->handle);
		else if (o)
			*phObject = btpm_p11_handle(s->slot, o->handle, 1);
	}
	btpm_p11_leave();
	return rv;
}

/* ---- C_DestroyObject ----------------------------------------------------------------------- */

static CK_RV destroy_in_token(struct btpm_store_token *tok, void *arg)
{
	const uint32_t *object = arg;
	if (btpm_store_object_remove(tok, *object))
		return CKR_OBJECT_HANDLE_INVALID;
	return CKR_OK;
}

static CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_obj ob;
	rv = btpm_p11_object(s, hObject, &ob, NULL);
	if (rv == CKR_OK && ob.token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK && ob.token) {
		struct p11_slot *sl = btpm_p11_g.slots[ob.slot];
		uint32_t object = ob.o->handle;
		int key = ob.o->cls == CKO_PRIVATE_KEY;
		rv = btpm_p11_token_edit(sl, destroy_in_token, &object);
		if (rv == CKR_OK && key) /* a destroyed key leaves the TPM too, if loaded here */
			btpm_p11_flush_keys(sl->serial, object);
	} else if (rv == CKR_OK) {
		btpm_p11_sobj_remove(ob.o->handle);
	}
	btpm_p11_leave();
	return rv;
}

/* ---- attributes -------------------------------------------------------------------------- */

static CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			     CK_ULONG_PTR pulSize)
{
	if (!pulSize)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_obj ob;
	rv = btpm_p11_object(s, hObject, &ob, NULL);
	if (rv == CKR_OK) {
		/* what the store keeps of it: attribute values, and a key's TPM blobs */
		CK_ULONG n = ob.o->tpm_public.size + ob.o->tpm_private.size;
		for (unsigned i = 0; i < ob.o->nattrs; i++)
			n += ob.o->attrs[i].len;
		*pulSize = n;
	}
	btpm_p11_leave();
	return rv;
}

/*
 * v2.40 5.7 (C_GetAttributeValue): every attribute is processed; a sensitive
 * or unknown one, or one whose buffer is too small, gets
 * CK_UNAVAILABLE_INFORMATION; the call reports the first kind of trouble in
 * that order (the spec lets the library choose among them).
 */
static CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
				 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	if (ulCount && !pTemplate)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_obj ob;
	rv = btpm_p11_object(s, hObject, &ob, NULL);
	int sensitive = 0, invalid = 0, small = 0;
	for (CK_ULONG i = 0; rv == CKR_OK && i < ulCount; i++) {
		CK_ATTRIBUTE *a = &pTemplate[i];
		struct p11_val v;
		CK_RV r = btpm_p11_attr(ob.o, ob.token, a->type, &v);
		if (r == CKR_ATTRIBUTE_SENSITIVE) {
			sensitive = 1;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else if (r != CKR_OK) {
			invalid = 1;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else if (!a->pValue) {
			a->ulValueLen = v.n;
		} else if (a->ulValueLen >= v.n) {
			if (v.n)
				memcpy(a->pValue, v.p, v.n);
			a->ulValueLen = v.n;
		} else {
			small = 1;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		}
	}
	if (rv == CKR_OK)
		rv = sensitive ? CKR_ATTRIBUTE_SENSITIVE
		     : invalid ? CKR_ATTRIBUTE_TYPE_INVALID
		     : small   ? CKR_BUFFER_TOO_SMALL
			       : CKR_OK;
	btpm_p11_leave();
	return rv;
}

/* Only names may change: a key's material and what it may do are fixed by the TPM. */
static CK_RV check_settable(const struct btpm_store_object *o, const CK_ATTRIBUTE *tmpl,
			    CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE_TYPE t = tmpl[i].type;
		struct p11_val v;
		CK_RV rv = btpm_p11_attr(o, 1, t, &v);
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
			return rv;
		if (t != CKA_LABEL && t != CKA_ID && t != CKA_SUBJECT)
			return CKR_ATTRIBUTE_READ_ONLY;
		if (tmpl[i].ulValueLen > BTPM_STORE_ATTR_MAX)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

struct set {
	uint32_t object;
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG n;
};

static CK_RV set_attrs(struct btpm_store_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		int rc = btpm_store_attr_set(o, (uint32_t)tmpl[i].type, tmpl[i].pValue,
					     (uint32_t)tmpl[i].ulValueLen);
		if (rc)
			return rc == BTPM_E_NOMEM ? CKR_HOST_MEMORY : CKR_DEVICE_MEMORY;
	}
	return CKR_OK;
}

static CK_RV set_in_token(struct btpm_store_token *tok, void *arg)
{
	struct set *a = arg;
	struct btpm_store_object *o = btpm_store_object_find(tok, a->object);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID; /* destroyed by another process meanwhile */
	return set_attrs(o, a->tmpl, a->n);
}

static CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
				 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	if (btpm_p11_check_template(pTemplate, ulCount) != CKR_OK)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_obj ob;
	rv = btpm_p11_object(s, hObject, &ob, NULL);
	if (rv == CKR_OK)
		rv = check_settable(ob.o, pTemplate, ulCount);
	if (rv == CKR_OK && ob.token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK && ob.token) {
		struct set a = {ob.o->handle, pTemplate, ulCount};
		rv = btpm_p11_token_edit(btpm_p11_g.slots[ob.slot], set_in_token, &a);
	} else if (rv == CKR_OK) {
		rv = set_attrs(ob.o, pTemplate, ulCount);
	}
	btpm_p11_leave();
	return rv;
}

/* ---- search -------------------------------------------------------------------------------- */

static int add_found(struct p11_find *f, size_t *cap, CK_OBJECT_HANDLE h)
{
	if (f->n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		CK_OBJECT_HANDLE *p = realloc(f->handles, c * sizeof(*p));
		if (!p)
			return -1;
		f->handles = p;
		*cap = c;
	}
	f->handles[f->n++] = h;
	return 0;
}

static CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			       CK_ULONG ulCount)
{
	if (btpm_p11_check_template(pTemplate, ulCount) != CKR_OK)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_global *g = &btpm_p11_g;
	struct p11_slot *sl = g->slots[s->slot];
	struct p11_find *f = &s->find;
	size_t cap = 0;
	if (f->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (sl->serial[0])
		rv = btpm_p11_slot_load(sl, 0); /* objects other processes added since */
	if (rv != CKR_OK) {
		btpm_p11_leave();
		return rv;
	}
	int user = sl->login.who == BTPM_TOK_USER;
	for (unsigned i = 0; sl->serial[0] && i < sl->tok.nobjects && rv == CKR_OK; i++) {
		const struct btpm_store_object *o = &sl->tok.objects[i];
		if ((btpm_p11_is_private(o) && !user) || !btpm_p11_match(o, 1, pTemplate, ulCount))
			continue;
		if (add_found(f, &cap, btpm_p11_handle(s->slot, o->handle, 0)))
			rv = CKR_HOST_MEMORY;
	}
	for (size_t i = 0; i < g->nsobj && rv == CKR_OK; i++) {
		const struct btpm_store_object *o;
		if (g->sobj[i].slot != s->slot ||
		    !(o = btpm_store_object_find(&g->sobj_tok, g->sobj[i].object)) ||
		    !btpm_p11_match(o, 0, pTemplate, ulCount))
			continue;
		if (add_found(f, &cap, btpm_p11_handle(s->slot, o->handle, 1)))
			rv = CKR_HOST_MEMORY;
	}
	if (rv == CKR_OK) {
		f->active = 1;
		f->next = 0;
	} else {
		free(f->handles);
		memset(f, 0, sizeof(*f));
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
			   CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	if (!phObject || !pulObjectCount)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_find *f = &s->find;
	if (!f->active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		CK_ULONG k = 0;
		while (k < ulMaxObjectCount && f->next < f->n)
			phObject[k++] = f->handles[f->next++];
		*pulObjectCount = k;
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!s->find.active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		free(s->find.handles);
		memset(&s->find, 0, sizeof(s->find));
	}
	btpm_p11_leave();
	return rv;
}

void btpm_p11_fill_objects(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_CreateObject = C_CreateObject;
	f->C_DestroyObject = C_DestroyObject;
	f->C_GetObjectSize = C_GetObjectSize;
	f->C_GetAttributeValue = C_GetAttributeValue;
	f->C_SetAttributeValue = C_SetAttributeValue;
	f->C_FindObjectsInit = C_FindObjectsInit;
	f->C_FindObjects = C_FindObjects;
	f->C_FindObjectsFinal = C_FindObjectsFinal;
}
