/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Objects and attributes of a token in memory.
 *
 * tok->objects, once it exists, has room for BTPM_STORE_MAX_OBJECTS objects
 * and never moves: a pointer from btpm_store_object_add/find stays valid
 * across later adds (keygen adds a private and a public key and fills both),
 * until that object or one before it is removed, or the token is freed.
 * The untouched tail costs address space, not memory.
 */
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "store_int.h"

int btpm_store_objects_alloc(struct btpm_store_token *tok)
{
	if (!tok->objects)
		tok->objects = calloc(BTPM_STORE_MAX_OBJECTS, sizeof(*tok->objects));
	return tok->objects ? 0 : BTPM_E_NOMEM;
}

static void attr_clear(struct btpm_store_attr *a)
{
	if (a->value) {
		btpm_wipe(a->value, a->len);
		free(a->value);
	}
	a->value = NULL;
	a->len = 0;
}

static void object_clear(struct btpm_store_object *o)
{
	unsigned n = o->nattrs < BTPM_STORE_MAX_ATTRS ? o->nattrs : BTPM_STORE_MAX_ATTRS;
	for (unsigned i = 0; i < n; i++)
		attr_clear(&o->attrs[i]);
	btpm_wipe(o, sizeof(*o));
}

void btpm_store_token_free(struct btpm_store_token *tok)
{
	if (!tok)
		return;
	if (tok->objects) {
		unsigned n = tok->nobjects < BTPM_STORE_MAX_OBJECTS ? tok->nobjects
								    : BTPM_STORE_MAX_OBJECTS;
		for (unsigned i = 0; i < n; i++)
			object_clear(&tok->objects[i]);
		free(tok->objects);
	}
	btpm_wipe(tok, sizeof(*tok));
}

struct btpm_store_object *btpm_store_object_add(struct btpm_store_token *tok, uint32_t cls)
{
	if (!tok || tok->nobjects >= BTPM_STORE_MAX_OBJECTS || (tok->nobjects && !tok->objects))
		return NULL;
	/* Never hand out a handle an object has, even if next_handle was set too low. */
	uint32_t h = tok->next_handle ? tok->next_handle : 1;
	for (unsigned i = 0; i < tok->nobjects; i++)
		if (tok->objects[i].handle >= h)
			h = tok->objects[i].handle + 1;
	if (h == 0 || h == UINT32_MAX) /* next_handle would wrap to 0 */
		return NULL;
	if (btpm_store_objects_alloc(tok))
		return NULL;
	struct btpm_store_object *o = &tok->objects[tok->nobjects++];
	memset(o, 0, sizeof(*o));
	o->handle = h;
	o->cls = cls;
	tok->next_handle = h + 1;
	return o;
}

struct btpm_store_object *btpm_store_object_find(struct btpm_store_token *tok, uint32_t handle)
{
	if (!tok || !tok->objects)
		return NULL;
	for (unsigned i = 0; i < tok->nobjects; i++)
		if (tok->objects[i].handle == handle)
			return &tok->objects[i];
	return NULL;
}

int btpm_store_object_remove(struct btpm_store_token *tok, uint32_t handle)
{
	struct btpm_store_object *o = btpm_store_object_find(tok, handle);
	if (!o)
		return BTPM_E_NOTFOUND;
	size_t i = (size_t)(o - tok->objects), n = tok->nobjects;
	object_clear(o);
	memmove(o, o + 1, (n - i - 1) * sizeof(*o));
	/* The last slot now duplicates its successor's copy: wipe it (no free). */
	btpm_wipe(&tok->objects[n - 1], sizeof(*o));
	tok->nobjects--;
	return 0;
}

const struct btpm_store_attr *btpm_store_attr_get(const struct btpm_store_object *o, uint32_t type)
{
	if (!o)
		return NULL;
	for (unsigned i = 0; i < o->nattrs && i < BTPM_STORE_MAX_ATTRS; i++)
		if (o->attrs[i].type == type)
			return &o->attrs[i];
	return NULL;
}

int btpm_store_attr_set(struct btpm_store_object *o, uint32_t type, const void *value,
			uint32_t len)
{
	if (!o || (!value && len))
		return BTPM_E_ARG;
	if (len > BTPM_STORE_ATTR_MAX)
		return BTPM_E_TOOBIG;
	struct btpm_store_attr *a = (struct btpm_store_attr *)btpm_store_attr_get(o, type);
	if (!a && o->nattrs >= BTPM_STORE_MAX_ATTRS)
		return BTPM_E_TOOBIG;
	uint8_t *copy = NULL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return BTPM_E_NOMEM; /* the old value stays */
		memcpy(copy, value, len);
	}
	if (a)
		attr_clear(a);
	else
		a = &o->attrs[o->nattrs++];
	a->type = type;
	a->len = len;
	a->value = copy;
	return 0;
}
