/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7512 PKCS#11 URI parsing. */
#include "uri.h"

#include <stdio.h>
#include <string.h>

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode v[0..n) into out (cap bytes); returns the length or -1. */
static long decode(const char *v, size_t n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int byte = (unsigned char)v[i];
		if (v[i] == '%') {
			if (n - i < 3)
				return -1;
			int hi = hexdigit(v[i + 1]), lo = hexdigit(v[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			byte = hi << 4 | lo;
			i += 2;
		}
		if (len == cap)
			return -1;
		out[len++] = (uint8_t)byte;
	}
	return (long)len;
}

static int text(const char *v, size_t n, char *out, size_t cap)
{
	long len = decode(v, n, (uint8_t *)out, cap - 1);
	if (len < 0 || memchr(out, 0, (size_t)len))
		return -1;
	out[len] = 0;
	return 0;
}

int btpm_uri_parse(const char *s, struct btpm_uri *out, char *err, size_t errcap)
{
	static const char scheme[] = "pkcs11:";
	memset(out, 0, sizeof(*out));
	if (!s || strncmp(s, scheme, sizeof(scheme) - 1)) {
		snprintf(err, errcap, "a PKCS#11 URI starts with 'pkcs11:'");
		return -1;
	}
	const char *p = s + sizeof(scheme) - 1;
	size_t path_len = strcspn(p, "?");
	while (path_len) {
		size_t n = strcspn(p, ";");
		if (n > path_len)
			n = path_len;
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p) {
			snprintf(err, errcap, "'%.*s' is not NAME=VALUE", (int)(n > 40 ? 40 : n), p);
			return -1;
		}
		size_t kn = (size_t)(eq - p), vn = n - kn - 1;
		const char *v = eq + 1;
		struct {
			const char *name;
			unsigned bit;
			char *field;
			size_t cap;
		} texts[] = {
			{"token", BTPM_URI_HAS_TOKEN, out->token, sizeof(out->token)},
			{"serial", BTPM_URI_HAS_SERIAL, out->serial, sizeof(out->serial)},
			{"object", BTPM_URI_HAS_OBJECT, out->object, sizeof(out->object)},
			{"manufacturer", BTPM_URI_HAS_MANUFACTURER, out->manufacturer,
			 sizeof(out->manufacturer)},
			{"model", BTPM_URI_HAS_MODEL, out->model, sizeof(out->model)},
			{"type", BTPM_URI_HAS_TYPE, out->type, sizeof(out->type)},
		};
		unsigned bit = 0;
		int bad = 0;
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
			if (strlen(texts[i].name) == kn && !strncmp(p, texts[i].name, kn)) {
				bit = texts[i].bit;
				bad = out->has & bit || text(v, vn, texts[i].field, texts[i].cap);
			}
		if (kn == 2 && !strncmp(p, "id", 2)) {
			bit = BTPM_URI_HAS_ID;
			long len = out->has & bit ? -1 : decode(v, vn, out->id, sizeof(out->id));
			bad = len < 0;
			out->id_len = bad ? 0 : (size_t)len;
		}
		if (bad) {
			snprintf(err, errcap, "bad or repeated value in '%.*s'", (int)(n > 40 ? 40 : n),
				 p);
			return -1;
		}
		out->has |= bit;
		if (bit == BTPM_URI_HAS_TYPE && strcmp(out->type, "public") &&
		    strcmp(out->type, "private") && strcmp(out->type, "cert") &&
		    strcmp(out->type, "data") && strcmp(out->type, "secret-key")) {
			snprintf(err, errcap, "unknown object type '%s'", out->type);
			return -1;
		}
		p += n;
		path_len -= n;
		if (path_len) { /* the ';' */
			p++;
			path_len--;
			if (!path_len) {
				snprintf(err, errcap, "a PKCS#11 URI does not end with ';'");
				return -1;
			}
		}
	}
	return 0;
}
