/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store files, lines and values: the rules every line of every store file
 * follows (docs/store-format.md, "Lines" and "Values"). store_parse.c puts
 * them together into files. Every failure is BTPM_E_STORE with
 * "PATH:LINE: what is wrong".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

int btpm_lex_err(const struct btpm_lex *r, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return btpm_store_fail(r->st, BTPM_E_STORE, "%s:%u: %s", r->path, line ? line : 1, msg);
}

int btpm_lex_nomem(const struct btpm_lex *r)
{
	return btpm_store_fail(r->st, BTPM_E_NOMEM, "%s:%u: out of memory", r->path, r->line);
}

/*
 * The next line: 1, 0 at the end of the file, or an error. Every line ends
 * in '\n' (a missing one means a truncated file) and holds no control
 * character, no CR, no NUL; it is not empty and has no space at either end.
 */
int btpm_lex_line(struct btpm_lex *r)
{
	if (r->p == r->end)
		return 0;
	r->line++;
	const char *s = r->p;
	size_t i = 0;
	for (; s + i < r->end && s[i] != '\n'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0)
			return btpm_lex_err(r, r->line, "NUL byte in column %zu", i + 1);
		if (c == '\r')
			return btpm_lex_err(r, r->line, "carriage return in column %zu (CRLF "
					    "line endings are not allowed)", i + 1);
		if (c < 0x20 || c == 0x7f)
			return btpm_lex_err(r, r->line, "control character 0x%02x in column %zu", c,
					    i + 1);
	}
	if (s + i == r->end)
		return btpm_lex_err(r, r->line, "the last line has no newline (truncated file?)");
	r->l = s;
	r->n = i;
	r->p = s + i + 1;
	if (i == 0)
		return btpm_lex_err(r, r->line, "empty line");
	if (s[0] == ' ')
		return btpm_lex_err(r, r->line, "the line starts with a space");
	if (s[i - 1] == ' ')
		return btpm_lex_err(r, r->line, "the line ends with a space");
	return 1;
}

/* The key of the current line: everything before the first space. */
size_t btpm_lex_key_len(const struct btpm_lex *r)
{
	const char *sp = memchr(r->l, ' ', r->n);
	return sp ? (size_t)(sp - r->l) : r->n;
}

int btpm_lex_key_is(const struct btpm_lex *r, const char *key)
{
	size_t k = strlen(key);
	return btpm_lex_key_len(r) == k && memcmp(r->l, key, k) == 0;
}

/* A key fit to quote in a message: printable ASCII, cut after about 40 characters. */
static const char *show(const char *s, size_t n, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 4 < cap; i++, j++)
		out[j] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (j < n)
		memcpy(out + j, "...", 4);
	else
		out[j] = '\0';
	return out;
}

int btpm_lex_split(const struct btpm_lex *r, struct btpm_lex_fields *fl)
{
	memset(fl, 0, sizeof(*fl));
	const char *s = r->l, *end = r->l + r->n;
	while (s < end) {
		const char *sp = memchr(s, ' ', (size_t)(end - s));
		const char *fe = sp ? sp : end;
		if (fe == s)
			return btpm_lex_err(r, r->line, "two spaces in a row in column %zu",
					    (size_t)(s - r->l));
		if (fl->count == BTPM_LEX_FIELDS) {
			char k[48];
			return btpm_lex_err(r, r->line, "too many values after \"%s\"",
					    show(fl->f[0], fl->n[0], k, sizeof(k)));
		}
		fl->f[fl->count] = s;
		fl->n[fl->count++] = (size_t)(fe - s);
		s = sp ? sp + 1 : end;
	}
	return 0;
}

/* Exactly want fields (the key and want - 1 values). */
int btpm_lex_need(const struct btpm_lex *r, const struct btpm_lex_fields *fl, unsigned want,
		  const char *what)
{
	char k[48];
	if (fl->count == want)
		return 0;
	show(fl->f[0], fl->n[0], k, sizeof(k));
	if (fl->count < want)
		return btpm_lex_err(r, r->line, "\"%s\" needs %s", k, what);
	return btpm_lex_err(r, r->line, "too many values after \"%s\"", k);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return -2;
	return -1;
}

static size_t col(const struct btpm_lex *r, const char *p)
{
	return (size_t)(p - r->l) + 1;
}

/* Lowercase hex s[0..n) into out[0..cap): *len bytes. */
int btpm_lex_hex(const struct btpm_lex *r, const char *what, const char *s, size_t n, uint8_t *out,
		 size_t cap, size_t *len)
{
	if (n % 2)
		return btpm_lex_err(r, r->line, "%s: odd number of hex digits (%zu)", what, n);
	if (n / 2 > cap)
		return btpm_lex_err(r, r->line, "%s is %zu bytes, more than %zu", what, n / 2, cap);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		size_t bad = hi < 0 ? i : lo < 0 ? i + 1 : n;
		if (bad < n && (hi == -2 || (hi >= 0 && lo == -2)))
			return btpm_lex_err(r, r->line,
					    "%s: uppercase hex digit in column %zu (the store "
					    "writes lowercase)",
					    what, col(r, s + bad));
		if (bad < n)
			return btpm_lex_err(r, r->line, "%s: not a hex digit in column %zu", what,
					    col(r, s + bad));
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* A non-empty binary value of at most cap bytes. */
int btpm_lex_blob(const struct btpm_lex *r, const char *what, const char *s, size_t n, uint8_t *out,
		  size_t cap, uint16_t *size)
{
	size_t len;
	if (n == 0)
		return btpm_lex_err(r, r->line, "%s: empty value", what);
	int rc = btpm_lex_hex(r, what, s, n, out, cap, &len);
	if (!rc)
		*size = (uint16_t)len;
	return rc;
}

/* A binary value of exactly want bytes. */
int btpm_lex_fixed(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		   uint8_t *out, size_t want)
{
	size_t len;
	if (n % 2 == 0 && n != 2 * want)
		return btpm_lex_err(r, r->line, "%s must be %zu bytes, not %zu", what, want, n / 2);
	return btpm_lex_hex(r, what, s, n, out, want, &len);
}

/* "0x" and exactly 8 lowercase hex digits. */
int btpm_lex_u32hex(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		    uint32_t *out)
{
	uint32_t v = 0;
	int ok = n == 10 && s[0] == '0' && s[1] == 'x';
	for (size_t i = 2; ok && i < n; i++) {
		int d = hex_digit(s[i]);
		ok = d >= 0;
		v = v << 4 | (uint32_t)(d & 0xf);
	}
	if (!ok)
		return btpm_lex_err(r, r->line, "%s must be 0x and 8 lowercase hex digits", what);
	*out = v;
	return 0;
}

/* Decimal without sign or leading zeros, at most 2^32 - 1. */
int btpm_lex_dec(const struct btpm_lex *r, const char *what, const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	int ok = n >= 1 && n <= 10 && !(n > 1 && s[0] == '0');
	for (size_t i = 0; ok && i < n; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!ok || v > UINT32_MAX)
		return btpm_lex_err(r, r->line, "%s must be a decimal number from 0 to 4294967295",
				    what);
	*out = (uint32_t)v;
	return 0;
}

int btpm_store_serial_ok(const char *s, size_t n)
{
	if (n != BTPM_STORE_SERIAL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (hex_digit(s[i]) < 0)
			return 0;
	return 1;
}

const char *btpm_store_label_problem(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		if (c < 0x20 || c == 0x7f)
			return "control character";
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1fu, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0fu, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07u, min = 0x10000;
		else
			return "not valid UTF-8";
		if (n - i < len)
			return "not valid UTF-8";
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "not valid UTF-8";
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF are not UTF-8. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "not valid UTF-8";
		if (cp <= 0x9f) /* C1 controls U+0080..U+009F */
			return "control character";
		i += len;
	}
	return NULL;
}

/* "..." with \\ and \" the only escapes; out gets the label, NUL-terminated. */
int btpm_lex_label(const struct btpm_lex *r, const char *s, size_t n, char *out)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return btpm_lex_err(r, r->line, "label must be in double quotes");
	size_t len = 0;
	for (size_t i = 1; i < n - 1; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 >= n - 1)
				return btpm_lex_err(r, r->line,
						    "label: the closing quote is escaped");
			c = s[++i];
			if (c != '\\' && c != '"')
				return btpm_lex_err(r, r->line,
						    "label: unknown escape in column %zu (only "
						    "\\\\ and \\\" exist)",
						    col(r, s + i - 1));
		} else if (c == '"') {
			return btpm_lex_err(r, r->line,
					    "label: unescaped double quote in column %zu",
					    col(r, s + i));
		}
		if (len == BTPM_STORE_LABEL)
			return btpm_lex_err(r, r->line, "label is more than %d bytes",
					    BTPM_STORE_LABEL);
		out[len++] = c;
	}
	out[len] = '\0';
	const char *why = btpm_store_label_problem((const uint8_t *)out, len);
	if (why)
		return btpm_lex_err(r, r->line, "label: %s", why);
	return 0;
}

/* The first line: MAGIC VERSION. */
int btpm_lex_header(struct btpm_lex *r, const char *magic, const char *other)
{
	int rc = btpm_lex_line(r);
	if (rc == 0)
		return btpm_lex_err(r, 1, "empty file (expected \"%s %u\")", magic,
				    BTPM_STORE_VERSION);
	if (rc < 0)
		return rc;
	struct btpm_lex_fields fl;
	if ((rc = btpm_lex_split(r, &fl)) != 0)
		return rc;
	size_t mn = strlen(magic);
	if (fl.n[0] != mn || memcmp(fl.f[0], magic, mn) != 0) {
		if (fl.n[0] == strlen(other) && memcmp(fl.f[0], other, fl.n[0]) == 0)
			return btpm_lex_err(r, 1,
					    "this is a \"%s\" file where a \"%s\" file belongs",
					    other, magic);
		return btpm_lex_err(r, 1,
				    "not a baretpm store file (the first line must be \"%s %u\")",
				    magic, BTPM_STORE_VERSION);
	}
	uint32_t v;
	if ((rc = btpm_lex_need(r, &fl, 2, "a format version")) != 0 ||
	    (rc = btpm_lex_dec(r, "the format version", fl.f[1], fl.n[1], &v)) != 0)
		return rc;
	if (v != BTPM_STORE_VERSION)
		return btpm_lex_err(r, 1, "format version %u is not supported (this baretpm "
				    "reads version %u)", (unsigned)v, BTPM_STORE_VERSION);
	return 0;
}

/* Index of the current line's key in keys[0..n), or -1. */
int btpm_lex_lookup(const struct btpm_lex *r, const char *const *keys, int n)
{
	for (int i = 0; i < n; i++)
		if (btpm_lex_key_is(r, keys[i]))
			return i;
	return -1;
}

int btpm_lex_unknown(const struct btpm_lex *r, const char *where)
{
	char k[48];
	return btpm_lex_err(r, r->line, "unknown key \"%s\"%s",
			    show(r->l, btpm_lex_key_len(r), k, sizeof(k)), where);
}

/* Record that key k of keys was seen on this line; a second time is an error. */
int btpm_lex_see(const struct btpm_lex *r, unsigned *seen, int k, const char *const *keys)
{
	if (seen[k])
		return btpm_lex_err(r, r->line, "duplicate key \"%s\" (first on line %u)", keys[k],
				    seen[k]);
	seen[k] = r->line;
	return 0;
}
