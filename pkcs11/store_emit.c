/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store files, structs to text (docs/store-format.md). What is written is
 * checked first against every rule the parser enforces, so save never
 * produces a file that load would refuse: a bad value in memory is the
 * caller's bug (BTPM_E_ARG), reported before anything on disk changes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "store_int.h"

/* ---- text buffer ------------------------------------------------------------ */

void btpm_store_text_free(struct btpm_store_text *t)
{
	if (t->p) {
		btpm_wipe(t->p, t->cap);
		free(t->p);
	}
	memset(t, 0, sizeof(*t));
}

/* Room for extra more bytes; the old buffer is wiped, not realloc'd away. */
static int tx_room(struct btpm_store_text *t, size_t extra)
{
	if (t->oom)
		return -1;
	if (t->cap - t->len >= extra)
		return 0;
	size_t cap = t->cap ? t->cap : 4096;
	while (cap - t->len < extra)
		cap *= 2;
	char *p = malloc(cap);
	if (!p) {
		t->oom = 1;
		return -1;
	}
	if (t->p) {
		memcpy(p, t->p, t->len);
		btpm_wipe(t->p, t->cap);
		free(t->p);
	}
	t->p = p;
	t->cap = cap;
	return 0;
}

static void tx_put(struct btpm_store_text *t, const char *s, size_t n)
{
	if (tx_room(t, n) == 0) {
		memcpy(t->p + t->len, s, n);
		t->len += n;
	}
}

static void tx_str(struct btpm_store_text *t, const char *s)
{
	tx_put(t, s, strlen(s));
}

static void tx_fmt(struct btpm_store_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tx_fmt(struct btpm_store_text *t, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf))
		tx_put(t, buf, (size_t)n);
	else
		t->oom = 1; /* only short fixed formats come here */
}

/* "key HEX\n" ("key\n" when n is 0: only attributes may be empty). */
static void tx_hex(struct btpm_store_text *t, const char *key, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	tx_str(t, key);
	if (n)
		tx_put(t, " ", 1);
	if (tx_room(t, 2 * n + 1))
		return;
	for (size_t i = 0; i < n; i++) {
		t->p[t->len++] = digits[p[i] >> 4];
		t->p[t->len++] = digits[p[i] & 15];
	}
	t->p[t->len++] = '\n';
}

/* label "..." with \ and " escaped. */
static void tx_label(struct btpm_store_text *t, const char *label)
{
	tx_str(t, "label \"");
	for (const char *c = label; *c; c++) {
		if (*c == '\\' || *c == '"')
			tx_put(t, "\\", 1);
		tx_put(t, c, 1);
	}
	tx_str(t, "\"\n");
}

/* ---- checks ----------------------------------------------------------------- */

static int blob_ok(uint16_t size, size_t cap)
{
	return size > 0 && size <= cap;
}

int btpm_store_check_global(struct btpm_store *st, const struct btpm_store_global *g)
{
	if (g->srk_handle && (g->srk_handle & 0xff000000u) != BTPM_HR_PERSISTENT)
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save: srk_handle 0x%08x is "
				       "neither 0 nor persistent", (unsigned)g->srk_handle);
	if (!blob_ok(g->srk_public.size, sizeof(g->srk_public.area)))
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save: srk_public has size %u",
				       (unsigned)g->srk_public.size);
	return 0;
}

static int sealed_ok(const struct btpm_store_sealed *s)
{
	return blob_ok(s->pub.size, sizeof(s->pub.area)) &&
	       blob_ok(s->priv.size, sizeof(s->priv.data));
}

static int check_object(struct btpm_store *st, const struct btpm_store_token *tok,
			unsigned i, uint32_t next)
{
	const struct btpm_store_object *o = &tok->objects[i];
	const char *s = tok->serial;
	unsigned h = (unsigned)o->handle;
	if (o->handle == 0 || o->handle >= next)
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: object handle %u is "
				       "0 or not below next_handle %u", s, h, (unsigned)next);
	for (unsigned j = 0; j < i; j++)
		if (tok->objects[j].handle == o->handle)
			return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: two objects "
					       "with handle %u", s, h);
	int tpm = o->tpm_public.size || o->tpm_private.size;
	if (tpm && !(blob_ok(o->tpm_public.size, sizeof(o->tpm_public.area)) &&
		     blob_ok(o->tpm_private.size, sizeof(o->tpm_private.data))))
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: object %u has a "
				       "TPM key with sizes %u/%u", s, h,
				       (unsigned)o->tpm_public.size, (unsigned)o->tpm_private.size);
	if (!tpm && o->cls == BTPM_STORE_CKO_PRIVATE_KEY)
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: private key object "
				       "%u has no TPM key", s, h);
	if (o->nattrs > BTPM_STORE_MAX_ATTRS)
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: object %u has %u "
				       "attributes", s, h, o->nattrs);
	for (unsigned a = 0; a < o->nattrs; a++) {
		const struct btpm_store_attr *at = &o->attrs[a];
		if (at->len > BTPM_STORE_ATTR_MAX || (at->len && !at->value))
			return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: object %u "
					       "attribute 0x%08x has length %u", s, h,
					       (unsigned)at->type, (unsigned)at->len);
		for (unsigned b = 0; b < a; b++)
			if (o->attrs[b].type == at->type)
				return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: "
						       "object %u has attribute 0x%08x twice", s,
						       h, (unsigned)at->type);
	}
	return 0;
}

/* next_handle as written: at least 1 (a zeroed token has 0). */
static uint32_t next_handle(const struct btpm_store_token *tok)
{
	return tok->next_handle ? tok->next_handle : 1;
}

int btpm_store_check_token(struct btpm_store *st, const struct btpm_store_token *tok)
{
	if (!btpm_store_serial_ok(tok->serial, strnlen(tok->serial, sizeof(tok->serial))))
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save a token whose serial is not "
				       "%d lowercase hex digits", BTPM_STORE_SERIAL);
	const char *s = tok->serial;
	size_t ln = strnlen(tok->label, sizeof(tok->label));
	const char *why = ln == sizeof(tok->label) ? "not NUL-terminated"
			  : btpm_store_label_problem((const uint8_t *)tok->label, ln);
	if (why)
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: label: %s", s, why);
	if (!sealed_ok(&tok->so) || (tok->user_pin_set && !sealed_ok(&tok->user)))
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: a sealed object "
				       "(%s) has an empty or oversized blob", s,
				       sealed_ok(&tok->so) ? "user" : "so");
	if (tok->nobjects > BTPM_STORE_MAX_OBJECTS || (tok->nobjects && !tok->objects))
		return btpm_store_fail(st, BTPM_E_ARG, "cannot save token %s: %u objects", s,
				       tok->nobjects);
	for (unsigned i = 0; i < tok->nobjects; i++) {
		int rc = check_object(st, tok, i, next_handle(tok));
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- emitters --------------------------------------------------------------- */

int btpm_store_emit_global(const struct btpm_store_global *g, struct btpm_store_text *t)
{
	tx_fmt(t, "%s %u\n", BTPM_STORE_MAGIC_GLOBAL, BTPM_STORE_VERSION);
	tx_fmt(t, "srk-handle 0x%08x\n", (unsigned)g->srk_handle);
	tx_hex(t, "srk-public", g->srk_public.area, g->srk_public.size);
	return t->oom ? BTPM_E_NOMEM : 0;
}

static void emit_sealed(struct btpm_store_text *t, const char *who,
			const struct btpm_store_sealed *s)
{
	char key[32];
	snprintf(key, sizeof(key), "%s-salt", who);
	tx_hex(t, key, s->salt, sizeof(s->salt));
	snprintf(key, sizeof(key), "%s-public", who);
	tx_hex(t, key, s->pub.area, s->pub.size);
	snprintf(key, sizeof(key), "%s-private", who);
	tx_hex(t, key, s->priv.data, s->priv.size);
}

static void emit_object(struct btpm_store_text *t, const struct btpm_store_object *o)
{
	tx_fmt(t, "object %u 0x%08x\n", (unsigned)o->handle, (unsigned)o->cls);
	if (o->tpm_public.size) {
		tx_hex(t, "tpm-public", o->tpm_public.area, o->tpm_public.size);
		tx_hex(t, "tpm-private", o->tpm_private.data, o->tpm_private.size);
		tx_hex(t, "auth-iv", o->auth_iv, sizeof(o->auth_iv));
		tx_hex(t, "auth-ct", o->auth_ct, sizeof(o->auth_ct));
		tx_hex(t, "auth-tag", o->auth_tag, sizeof(o->auth_tag));
	}
	for (unsigned a = 0; a < o->nattrs; a++) {
		char key[32];
		snprintf(key, sizeof(key), "attr 0x%08x", (unsigned)o->attrs[a].type);
		tx_hex(t, key, o->attrs[a].value, o->attrs[a].len);
	}
	tx_str(t, "end\n");
}

int btpm_store_emit_token(const struct btpm_store_token *tok, struct btpm_store_text *t)
{
	tx_fmt(t, "%s %u\n", BTPM_STORE_MAGIC_TOKEN, BTPM_STORE_VERSION);
	tx_fmt(t, "serial %s\n", tok->serial);
	tx_label(t, tok->label);
	tx_fmt(t, "user-pin-set %d\n", tok->user_pin_set ? 1 : 0);
	tx_fmt(t, "next-handle %u\n", (unsigned)next_handle(tok));
	emit_sealed(t, "so", &tok->so);
	if (tok->user_pin_set)
		emit_sealed(t, "user", &tok->user);
	for (unsigned i = 0; i < tok->nobjects; i++)
		emit_object(t, &tok->objects[i]);
	return t->oom ? BTPM_E_NOMEM : 0;
}
