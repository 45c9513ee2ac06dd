/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store files, text to structs. docs/store-format.md is the specification;
 * this parser accepts exactly the files it describes and reports anything
 * else as BTPM_E_STORE with "PATH:LINE: what is wrong". Nothing is guessed or
 * repaired: the file is what the store wrote, or something broke it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "store_int.h"

/* ---- baretpm.conf ----------------------------------------------------------- */

enum { G_SRK_HANDLE, G_SRK_PUBLIC, G_N };
static const char *const gkeys[G_N] = {"srk-handle", "srk-public"};

static int global_line(const struct btpm_lex *r, const struct btpm_lex_fields *fl, int k,
		       struct btpm_store_global *g)
{
	int rc = btpm_lex_need(r, fl, 2, "a value");
	if (rc)
		return rc;
	if (k == G_SRK_PUBLIC)
		return btpm_lex_blob(r, gkeys[k], fl->f[1], fl->n[1], g->srk_public.area,
				     sizeof(g->srk_public.area), &g->srk_public.size);
	rc = btpm_lex_u32hex(r, gkeys[k], fl->f[1], fl->n[1], &g->srk_handle);
	if (!rc && g->srk_handle && (g->srk_handle & 0xff000000u) != BTPM_HR_PERSISTENT)
		rc = btpm_lex_err(r, r->line,
				  "srk-handle must be 0x00000000 (transient) or a persistent "
				  "handle 0x81xxxxxx");
	return rc;
}

int btpm_store_parse_global(struct btpm_store *st, const char *path, const uint8_t *text,
			    size_t len, struct btpm_store_global *g)
{
	struct btpm_lex r = {
		.st = st, .path = path, .p = (const char *)text, .end = (const char *)text + len};
	unsigned seen[G_N] = {0};
	struct btpm_lex_fields fl;
	memset(g, 0, sizeof(*g));
	int rc = btpm_lex_header(&r, BTPM_STORE_MAGIC_GLOBAL, BTPM_STORE_MAGIC_TOKEN);
	while (!rc && (rc = btpm_lex_line(&r)) > 0) {
		int k = btpm_lex_lookup(&r, gkeys, G_N);
		if (k < 0)
			rc = btpm_lex_unknown(&r, "");
		else if (!(rc = btpm_lex_see(&r, seen, k, gkeys)) &&
			 !(rc = btpm_lex_split(&r, &fl)))
			rc = global_line(&r, &fl, k, g);
	}
	for (int k = 0; !rc && k < G_N; k++)
		if (!seen[k])
			rc = btpm_lex_err(&r, r.line, "missing \"%s\" (the file ends here)",
					  gkeys[k]);
	if (rc)
		btpm_wipe(g, sizeof(*g));
	return rc;
}

/* ---- token files ------------------------------------------------------------ */

enum {
	T_SERIAL,
	T_LABEL,
	T_USER_PIN_SET,
	T_NEXT_HANDLE,
	T_SO_SALT,
	T_SO_PUBLIC,
	T_SO_PRIVATE,
	T_USER_SALT,
	T_USER_PUBLIC,
	T_USER_PRIVATE,
	T_N
};
static const char *const tkeys[T_N] = {
	"serial", "label", "user-pin-set", "next-handle",
	"so-salt", "so-public", "so-private",
	"user-salt", "user-public", "user-private",
};

enum { O_TPM_PUBLIC, O_TPM_PRIVATE, O_AUTH_IV, O_AUTH_CT, O_AUTH_TAG, O_N };
static const char *const okeys[O_N] = {
	"tpm-public", "tpm-private", "auth-iv", "auth-ct", "auth-tag",
};

/* Parsing state of a token file beyond the token itself. */
struct tstate {
	const char *serial; /* from the file name */
	unsigned seen[T_N];
	int in_objects;              /* an "object" line was seen: the token keys are over */
	struct btpm_store_object *o; /* the object being read, between "object" and "end" */
	unsigned oline;              /* its "object" line */
	unsigned oseen[O_N];
	unsigned aline[BTPM_STORE_MAX_ATTRS];   /* line of each attribute of o */
	unsigned lines[BTPM_STORE_MAX_OBJECTS]; /* "object" line of each object */
};

static int sealed_line(const struct btpm_lex *r, const struct btpm_lex_fields *fl, int k,
		       struct btpm_store_sealed *s)
{
	switch ((k - T_SO_SALT) % 3) {
	case 0: return btpm_lex_fixed(r, tkeys[k], fl->f[1], fl->n[1], s->salt, sizeof(s->salt));
	case 1:
		return btpm_lex_blob(r, tkeys[k], fl->f[1], fl->n[1], s->pub.area,
				     sizeof(s->pub.area), &s->pub.size);
	default:
		return btpm_lex_blob(r, tkeys[k], fl->f[1], fl->n[1], s->priv.data,
				     sizeof(s->priv.data), &s->priv.size);
	}
}

static int token_line(const struct btpm_lex *r, struct tstate *ts, int k,
		      struct btpm_store_token *tok)
{
	struct btpm_lex_fields fl;
	int rc;
	if (k == T_LABEL) {
		if (r->n == btpm_lex_key_len(r))
			return btpm_lex_err(r, r->line, "\"label\" needs a value");
		size_t skip = btpm_lex_key_len(r) + 1;
		return btpm_lex_label(r, r->l + skip, r->n - skip, tok->label);
	}
	if ((rc = btpm_lex_split(r, &fl)) != 0 || (rc = btpm_lex_need(r, &fl, 2, "a value")) != 0)
		return rc;
	uint32_t v;
	switch (k) {
	case T_SERIAL:
		if (!btpm_store_serial_ok(fl.f[1], fl.n[1]))
			return btpm_lex_err(r, r->line, "serial must be %d lowercase hex digits",
					    BTPM_STORE_SERIAL);
		if (memcmp(fl.f[1], ts->serial, BTPM_STORE_SERIAL) != 0)
			return btpm_lex_err(r, r->line,
					    "serial %.*s does not match the file name "
					    "(%s" BTPM_STORE_SUFFIX ")",
					    BTPM_STORE_SERIAL, fl.f[1], ts->serial);
		memcpy(tok->serial, fl.f[1], BTPM_STORE_SERIAL);
		tok->serial[BTPM_STORE_SERIAL] = '\0';
		return 0;
	case T_USER_PIN_SET:
		if ((rc = btpm_lex_dec(r, tkeys[k], fl.f[1], fl.n[1], &v)) != 0)
			return rc;
		if (v > 1)
			return btpm_lex_err(r, r->line, "user-pin-set must be 0 or 1");
		tok->user_pin_set = (int)v;
		return 0;
	case T_NEXT_HANDLE:
		if ((rc = btpm_lex_dec(r, tkeys[k], fl.f[1], fl.n[1], &tok->next_handle)) != 0)
			return rc;
		if (tok->next_handle == 0)
			return btpm_lex_err(r, r->line, "next-handle must be at least 1");
		return 0;
	default: return sealed_line(r, &fl, k, k < T_USER_SALT ? &tok->so : &tok->user);
	}
}

/* The token keys are complete and consistent (at the first object or the end). */
static int token_keys_done(const struct btpm_lex *r, const struct tstate *ts,
			   const struct btpm_store_token *tok)
{
	const char *where = ts->in_objects ? "before the first object" : "the file ends here";
	for (int k = 0; k < T_USER_SALT; k++)
		if (!ts->seen[k])
			return btpm_lex_err(r, r->line, "missing \"%s\" (%s)", tkeys[k], where);
	for (int k = T_USER_SALT; k < T_N; k++) {
		if (tok->user_pin_set && !ts->seen[k])
			return btpm_lex_err(r, r->line, "missing \"%s\" (user-pin-set is 1; %s)",
					    tkeys[k], where);
		if (!tok->user_pin_set && ts->seen[k])
			return btpm_lex_err(r, ts->seen[k], "\"%s\" but user-pin-set is 0",
					    tkeys[k]);
	}
	return 0;
}

/* "object HANDLE CLASS": a new object. */
static int object_start(const struct btpm_lex *r, struct tstate *ts, struct btpm_store_token *tok)
{
	struct btpm_lex_fields fl;
	uint32_t h, cls;
	int rc;
	if ((rc = btpm_lex_split(r, &fl)) != 0 ||
	    (rc = btpm_lex_need(r, &fl, 3, "a handle and a class")) ||
	    (rc = btpm_lex_dec(r, "the object handle", fl.f[1], fl.n[1], &h)) != 0 ||
	    (rc = btpm_lex_u32hex(r, "the object class", fl.f[2], fl.n[2], &cls)) != 0)
		return rc;
	if (h == 0)
		return btpm_lex_err(r, r->line, "object handle 0 (handles start at 1)");
	if (h >= tok->next_handle)
		return btpm_lex_err(r, r->line, "object handle %u is not below next-handle %u",
				    (unsigned)h, (unsigned)tok->next_handle);
	for (unsigned i = 0; i < tok->nobjects; i++)
		if (tok->objects[i].handle == h)
			return btpm_lex_err(r, r->line,
					    "object %u appears twice (first on line %u)",
					    (unsigned)h, ts->lines[i]);
	if (tok->nobjects == BTPM_STORE_MAX_OBJECTS)
		return btpm_lex_err(r, r->line, "more than %d objects", BTPM_STORE_MAX_OBJECTS);
	if (btpm_store_objects_alloc(tok))
		return btpm_lex_nomem(r);
	ts->lines[tok->nobjects] = r->line;
	ts->o = &tok->objects[tok->nobjects++];
	ts->o->handle = h;
	ts->o->cls = cls;
	ts->oline = r->line;
	memset(ts->oseen, 0, sizeof(ts->oseen));
	return 0;
}

/* "attr TYPE [HEX]" */
static int object_attr(const struct btpm_lex *r, struct tstate *ts)
{
	struct btpm_store_object *o = ts->o;
	struct btpm_lex_fields fl;
	uint32_t type;
	char what[32];
	int rc = btpm_lex_split(r, &fl);
	if (!rc && fl.count < 2)
		rc = btpm_lex_err(r, r->line, "\"attr\" needs a type");
	if (!rc)
		rc = btpm_lex_u32hex(r, "the attribute type", fl.f[1], fl.n[1], &type);
	if (rc)
		return rc;
	for (unsigned i = 0; i < o->nattrs; i++)
		if (o->attrs[i].type == type)
			return btpm_lex_err(r, r->line,
					    "attribute 0x%08x appears twice in object %u (first "
					    "on line %u)",
					    (unsigned)type, (unsigned)o->handle, ts->aline[i]);
	if (o->nattrs == BTPM_STORE_MAX_ATTRS)
		return btpm_lex_err(r, r->line, "object %u has more than %d attributes",
				    (unsigned)o->handle, BTPM_STORE_MAX_ATTRS);
	size_t n = fl.count == 3 ? fl.n[2] : 0, len = 0;
	snprintf(what, sizeof(what), "attribute 0x%08x", (unsigned)type);
	uint8_t *v = NULL;
	if (n % 2 == 0 && n / 2 <= BTPM_STORE_ATTR_MAX && n && !(v = malloc(n / 2)))
		return btpm_lex_nomem(r);
	rc = btpm_lex_hex(r, what, fl.count == 3 ? fl.f[2] : "", n, v, BTPM_STORE_ATTR_MAX, &len);
	if (rc) {
		if (v)
			btpm_wipe(v, n / 2);
		free(v);
		return rc;
	}
	ts->aline[o->nattrs] = r->line;
	o->attrs[o->nattrs++] =
		(struct btpm_store_attr){.type = type, .len = (uint32_t)len, .value = v};
	return 0;
}

static int object_key(const struct btpm_lex *r, struct tstate *ts, int k)
{
	struct btpm_store_object *o = ts->o;
	struct btpm_lex_fields fl;
	int rc = btpm_lex_see(r, ts->oseen, k, okeys);
	if (!rc)
		rc = btpm_lex_split(r, &fl);
	if (!rc)
		rc = btpm_lex_need(r, &fl, 2, "a value");
	if (rc)
		return rc;
	const char *v = fl.f[1];
	size_t n = fl.n[1];
	switch (k) {
	case O_TPM_PUBLIC:
		return btpm_lex_blob(r, okeys[k], v, n, o->tpm_public.area,
				     sizeof(o->tpm_public.area), &o->tpm_public.size);
	case O_TPM_PRIVATE:
		return btpm_lex_blob(r, okeys[k], v, n, o->tpm_private.data,
				     sizeof(o->tpm_private.data), &o->tpm_private.size);
	case O_AUTH_IV: return btpm_lex_fixed(r, okeys[k], v, n, o->auth_iv, sizeof(o->auth_iv));
	case O_AUTH_CT: return btpm_lex_fixed(r, okeys[k], v, n, o->auth_ct, sizeof(o->auth_ct));
	default: return btpm_lex_fixed(r, okeys[k], v, n, o->auth_tag, sizeof(o->auth_tag));
	}
}

/* "end": the TPM key lines come all together or not at all; private keys need them. */
static int object_end(const struct btpm_lex *r, struct tstate *ts)
{
	const struct btpm_store_object *o = ts->o;
	int have = -1, miss = -1;
	for (int k = 0; k < O_N; k++) {
		if (ts->oseen[k] && have < 0)
			have = k;
		if (!ts->oseen[k] && miss < 0)
			miss = k;
	}
	if (r->n != 3)
		return btpm_lex_err(r, r->line, "\"end\" takes no value");
	if (have >= 0 && miss >= 0)
		return btpm_lex_err(r, r->line, "object %u has \"%s\" but no \"%s\"",
				    (unsigned)o->handle, okeys[have], okeys[miss]);
	if (have < 0 && o->cls == BTPM_STORE_CKO_PRIVATE_KEY)
		return btpm_lex_err(r, r->line,
				    "object %u is a private key (class 0x%08x) without its "
				    "TPM key (\"tpm-public\" ...)",
				    (unsigned)o->handle, (unsigned)o->cls);
	ts->o = NULL;
	return 0;
}

static int object_line(const struct btpm_lex *r, struct tstate *ts)
{
	if (btpm_lex_key_is(r, "end"))
		return object_end(r, ts);
	if (btpm_lex_key_is(r, "attr"))
		return object_attr(r, ts);
	if (btpm_lex_key_is(r, "object"))
		return btpm_lex_err(r, r->line,
				    "object %u (line %u) has no \"end\" before the next object",
				    (unsigned)ts->o->handle, ts->oline);
	int k = btpm_lex_lookup(r, okeys, O_N);
	if (k < 0)
		return btpm_lex_unknown(r, " in an object");
	return object_key(r, ts, k);
}

static int outside_line(const struct btpm_lex *r, struct tstate *ts, struct btpm_store_token *tok)
{
	int rc;
	if (btpm_lex_key_is(r, "object")) {
		if (!ts->in_objects) {
			ts->in_objects = 1;
			if ((rc = token_keys_done(r, ts, tok)) != 0)
				return rc;
		}
		return object_start(r, ts, tok);
	}
	if (btpm_lex_key_is(r, "end"))
		return btpm_lex_err(r, r->line, "\"end\" outside an object");
	int k = btpm_lex_lookup(r, tkeys, T_N);
	if (k < 0)
		return btpm_lex_unknown(r, ts->in_objects ? " after the objects" : "");
	if (ts->in_objects)
		return btpm_lex_err(r, r->line, "\"%s\" after the objects (token keys come first)",
				    tkeys[k]);
	if ((rc = btpm_lex_see(r, ts->seen, k, tkeys)) != 0)
		return rc;
	return token_line(r, ts, k, tok);
}

int btpm_store_parse_token(struct btpm_store *st, const char *path, const char *serial,
			   const uint8_t *text, size_t len, struct btpm_store_token *tok)
{
	struct btpm_lex r = {
		.st = st, .path = path, .p = (const char *)text, .end = (const char *)text + len};
	struct tstate state = {.serial = serial}, *ts = &state;
	memset(tok, 0, sizeof(*tok));
	int rc = btpm_lex_header(&r, BTPM_STORE_MAGIC_TOKEN, BTPM_STORE_MAGIC_GLOBAL);
	while (!rc && (rc = btpm_lex_line(&r)) > 0)
		rc = ts->o ? object_line(&r, ts) : outside_line(&r, ts, tok);
	if (!rc && ts->o)
		rc = btpm_lex_err(&r, ts->oline,
				  "object %u has no \"end\" (the file ends on line %u)",
				  (unsigned)ts->o->handle, r.line);
	if (!rc && !ts->in_objects)
		rc = token_keys_done(&r, ts, tok);
	if (rc)
		btpm_store_token_free(tok);
	return rc;
}
