/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PKCS#11 URI parser (pkcs11/uri.c). The input is the string (up to its
 * first NUL byte). Besides not crashing: a URI that parses is rebuilt from
 * what was parsed, every value percent-encoded byte by byte, and the rebuilt
 * URI must parse to the same attributes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_uri: %s for \"%s\"\n", what, s);
	abort();
}

static size_t put(char *buf, size_t off, const char *name, const void *v, size_t n, int *first)
{
	off += (size_t)sprintf(buf + off, "%s%s=", *first ? "" : ";", name);
	*first = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(buf + off, "%%%02X", ((const unsigned char *)v)[i]);
	return off;
}

static int same(const struct btpm_uri *a, const struct btpm_uri *b)
{
	return a->has == b->has && !strcmp(a->token, b->token) && !strcmp(a->serial, b->serial) &&
	       !strcmp(a->manufacturer, b->manufacturer) && !strcmp(a->model, b->model) &&
	       !strcmp(a->object, b->object) && !strcmp(a->type, b->type) &&
	       a->id_len == b->id_len && !memcmp(a->id, b->id, a->id_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1); /* exactly the string: ASan sees any overread */
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct btpm_uri u, again;
	char err[128];
	memset(err, 'x', sizeof(err));
	int rc = btpm_uri_parse(s, &u, err, sizeof(err));
	if (rc != 0 && rc != -1)
		die("unexpected return code", s);
	if (rc) {
		if (!memchr(err, 0, sizeof(err)) || !err[0])
			die("failure without a terminated reason", s);
		free(s);
		return 0;
	}
	static const struct {
		const char *name;
		unsigned bit;
		size_t off, cap;
	} texts[] = {
		{"token", BTPM_URI_HAS_TOKEN, offsetof(struct btpm_uri, token), BTPM_URI_TEXT},
		{"serial", BTPM_URI_HAS_SERIAL, offsetof(struct btpm_uri, serial), BTPM_URI_TEXT},
		{"object", BTPM_URI_HAS_OBJECT, offsetof(struct btpm_uri, object), BTPM_URI_TEXT},
		{"manufacturer", BTPM_URI_HAS_MANUFACTURER, offsetof(struct btpm_uri, manufacturer),
		 BTPM_URI_TEXT},
		{"model", BTPM_URI_HAS_MODEL, offsetof(struct btpm_uri, model), BTPM_URI_TEXT},
		{"type", BTPM_URI_HAS_TYPE, offsetof(struct btpm_uri, type), 16},
	};
	/* 7 attributes of at most 65 bytes, 3 characters each, plus names */
	char rebuilt[8 + 7 * (16 + 3 * 65)];
	size_t off = (size_t)sprintf(rebuilt, "pkcs11:");
	int first = 1;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *field = (const char *)&u + texts[i].off;
		if (!memchr(field, 0, texts[i].cap))
			die("text field not terminated", s);
		if (!(u.has & texts[i].bit) && field[0])
			die("a value without its attribute", s);
		if (u.has & texts[i].bit)
			off = put(rebuilt, off, texts[i].name, field, strlen(field), &first);
	}
	if (u.id_len > sizeof(u.id) || (!(u.has & BTPM_URI_HAS_ID) && u.id_len))
		die("bad id length", s);
	if (u.has & BTPM_URI_HAS_ID)
		off = put(rebuilt, off, "id", u.id, u.id_len, &first);
	if (btpm_uri_parse(rebuilt, &again, err, sizeof(err)))
		die("the rebuilt URI does not parse", rebuilt);
	if (!same(&u, &again))
		die("the rebuilt URI parses differently", rebuilt);
	free(s);
	return 0;
}
