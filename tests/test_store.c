/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token store (pkcs11/store*.c) against docs/store-format.md: exact file
 * text, round trips at every limit, one corruption per rule with its
 * PATH:LINE, atomic replacement (a write that fails midway through
 * RLIMIT_FSIZE), modes, the writer lock between processes, read-only stores,
 * the directory lookup order, listing and deleting. No TPM is involved.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../pkcs11/store.h"
#include "baretpm.h"
#include "run.h"

#define CKO_PUBLIC_KEY 2u
#define CKO_PRIVATE_KEY 3u
#define CKO_CERTIFICATE 1u
#define CKA_LABEL 0x3u
#define CKA_VALUE 0x11u
#define CKA_ID 0x102u

#define SERIAL "0123456789abcdef"

static char tmp[256];     /* per-test scratch directory */
static char sdir[300];    /* tmp/store */
static char tfile[400];   /* sdir/tokens/SERIAL.token */
static char cfile[400];   /* sdir/baretpm.conf */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void rm_rf(const char *path)
{
	/* Directories made read-only by a test must be writable again to empty them. */
	chmod(path, 0700);
	char sub[400];
	snprintf(sub, sizeof(sub), "%s/store", path);
	chmod(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/store/tokens", path);
	chmod(sub, 0700);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/btpm-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/store", tmp);
	snprintf(tfile, sizeof(tfile), "%s/tokens/%s.token", sdir, SERIAL);
	snprintf(cfile, sizeof(cfile), "%s/baretpm.conf", sdir);
}

static void teardown(void)
{
	rm_rf(tmp);
}

/* ---- helpers ---------------------------------------------------------------- */

static size_t read_all(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd);
	ck_assert_int_lt(n, cap);
	buf[n] = '\0';
	return n;
}

static void write_all(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void fill(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static void open_rw(struct btpm_store *st)
{
	int rc = btpm_store_open(st, sdir, 1);
	ck_assert_msg(rc == 0, "open: %d %s", rc, st->error);
}

/* The small token the golden text below describes. */
static void small_token(struct btpm_store_token *tok)
{
	memset(tok, 0, sizeof(*tok));
	strcpy(tok->serial, SERIAL);
	strcpy(tok->label, "my token");
	tok->user_pin_set = 1;
	fill(tok->so.salt, 16, 0x00);
	tok->so.pub.size = 3;
	fill(tok->so.pub.area, 3, 0x00);
	tok->so.priv.size = 2;
	fill(tok->so.priv.data, 2, 0xaa);
	fill(tok->user.salt, 16, 0x10);
	tok->user.pub.size = 1;
	tok->user.pub.area[0] = 0x03;
	tok->user.priv.size = 1;
	tok->user.priv.data[0] = 0xcc;
	struct btpm_store_object *o = btpm_store_object_add(tok, CKO_PRIVATE_KEY);
	struct btpm_store_object *p = btpm_store_object_add(tok, CKO_PUBLIC_KEY);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(p);
	o->tpm_public.size = 2;
	fill(o->tpm_public.area, 2, 0x01);
	o->tpm_private.size = 1;
	o->tpm_private.data[0] = 0x03;
	fill(o->auth_iv, 12, 0x20);
	fill(o->auth_ct, 32, 0x40);
	fill(o->auth_tag, 16, 0x60);
	ck_assert_int_eq(btpm_store_attr_set(o, CKA_LABEL, "key", 3), 0);
	ck_assert_int_eq(btpm_store_attr_set(o, CKA_ID, NULL, 0), 0);
	ck_assert_int_eq(btpm_store_attr_set(p, CKA_LABEL, "key", 3), 0);
}

/* Written by hand from docs/store-format.md, line by line. */
static const char *const golden[] = {
	"baretpm-token 1",                                         /* 1 */
	"serial 0123456789abcdef",                                 /* 2 */
	"label \"my token\"",                                      /* 3 */
	"user-pin-set 1",                                          /* 4 */
	"next-handle 3",                                           /* 5 */
	"so-salt 000102030405060708090a0b0c0d0e0f",                /* 6 */
	"so-public 000102",                                        /* 7 */
	"so-private aaab",                                         /* 8 */
	"user-salt 101112131415161718191a1b1c1d1e1f",              /* 9 */
	"user-public 03",                                          /* 10 */
	"user-private cc",                                         /* 11 */
	"object 1 0x00000003",                                     /* 12 */
	"tpm-public 0102",                                         /* 13 */
	"tpm-private 03",                                          /* 14 */
	"auth-iv 202122232425262728292a2b",                        /* 15 */
	"auth-ct 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f", /* 16 */
	"auth-tag 606162636465666768696a6b6c6d6e6f",               /* 17 */
	"attr 0x00000003 6b6579",                                  /* 18 */
	"attr 0x00000102",                                         /* 19 */
	"end",                                                     /* 20 */
	"object 2 0x00000002",                                     /* 21 */
	"attr 0x00000003 6b6579",                                  /* 22 */
	"end",                                                     /* 23 */
};
#define NGOLDEN (sizeof(golden) / sizeof(golden[0]))

static const char golden_global[] = "baretpm-store 1\n"
				    "srk-handle 0x81000001\n"
				    "srk-public 0023000b\n";

static size_t golden_text(char *buf, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < NGOLDEN; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\n", golden[i]);
	return n;
}

static int tokens_equal(const struct btpm_store_token *a, const struct btpm_store_token *b)
{
	if (strcmp(a->serial, b->serial) || strcmp(a->label, b->label) ||
	    a->user_pin_set != b->user_pin_set || a->next_handle != b->next_handle ||
	    a->nobjects != b->nobjects || memcmp(&a->so, &b->so, sizeof(a->so)))
		return 0;
	if (a->user_pin_set && memcmp(&a->user, &b->user, sizeof(a->user)))
		return 0;
	for (unsigned i = 0; i < a->nobjects; i++) {
		const struct btpm_store_object *x = &a->objects[i], *y = &b->objects[i];
		if (x->handle != y->handle || x->cls != y->cls || x->nattrs != y->nattrs ||
		    x->tpm_public.size != y->tpm_public.size ||
		    memcmp(x->tpm_public.area, y->tpm_public.area, x->tpm_public.size) ||
		    x->tpm_private.size != y->tpm_private.size ||
		    memcmp(x->tpm_private.data, y->tpm_private.data, x->tpm_private.size))
			return 0;
		if (x->tpm_public.size &&
		    (memcmp(x->auth_iv, y->auth_iv, 12) || memcmp(x->auth_ct, y->auth_ct, 32) ||
		     memcmp(x->auth_tag, y->auth_tag, 16)))
			return 0;
		for (unsigned k = 0; k < x->nattrs; k++) {
			const struct btpm_store_attr *p = &x->attrs[k], *q = &y->attrs[k];
			if (p->type != q->type || p->len != q->len ||
			    (p->len && memcmp(p->value, q->value, p->len)))
				return 0;
			if (!p->len && (p->value || q->value))
				return 0;
		}
	}
	return 1;
}

static int file_mode(const char *path)
{
	struct stat sb;
	ck_assert_int_eq(lstat(path, &sb), 0);
	return (int)(sb.st_mode & 07777);
}

/* Names in dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* ---- format and round trips ------------------------------------------------- */

START_TEST(golden_token_text)
{
	struct btpm_store st;
	struct btpm_store_token tok, back;
	static char want[8192], got[8192];
	open_rw(&st);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	golden_text(want, sizeof(want));
	read_all(tfile, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &back), 0);
	ck_assert(tokens_equal(&tok, &back));
	btpm_store_token_free(&tok);
	btpm_store_token_free(&back);
	btpm_store_close(&st);
}
END_TEST

START_TEST(golden_global_text)
{
	struct btpm_store st;
	struct btpm_store_global g = {.srk_handle = 0x81000001u}, back;
	static char got[256];
	g.srk_public.size = 4;
	memcpy(g.srk_public.area, "\x00\x23\x00\x0b", 4);
	open_rw(&st);
	ck_assert_int_eq(btpm_store_load_global(&st, &back), BTPM_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(st.error, "baretpm init"));
	ck_assert_int_eq(btpm_store_save_global(&st, &g), 0);
	read_all(cfile, got, sizeof(got));
	ck_assert_str_eq(got, golden_global);
	ck_assert_int_eq(btpm_store_load_global(&st, &back), 0);
	ck_assert_int_eq(back.srk_handle, g.srk_handle);
	ck_assert_int_eq(back.srk_public.size, 4);
	ck_assert_mem_eq(back.srk_public.area, g.srk_public.area, 4);
	/* transient SRK and a public area at its capacity */
	g.srk_handle = 0;
	g.srk_public.size = sizeof(g.srk_public.area);
	fill(g.srk_public.area, sizeof(g.srk_public.area), 7);
	ck_assert_int_eq(btpm_store_save_global(&st, &g), 0);
	ck_assert_int_eq(btpm_store_load_global(&st, &back), 0);
	ck_assert_int_eq(back.srk_handle, 0);
	ck_assert_int_eq(back.srk_public.size, sizeof(g.srk_public.area));
	ck_assert(memcmp(back.srk_public.area, g.srk_public.area, sizeof(g.srk_public.area)) == 0);
	btpm_store_close(&st);
}
END_TEST

/* A token at the limits: max-size blobs and values, empty values, 24 attributes. */
static void big_token(struct btpm_store_token *tok, const char *serial, const char *label)
{
	uint8_t *v = malloc(BTPM_STORE_ATTR_MAX); /* threads call this too */
	ck_assert_ptr_nonnull(v);
	memset(tok, 0, sizeof(*tok));
	strcpy(tok->serial, serial);
	strcpy(tok->label, label);
	tok->next_handle = 10;
	fill(tok->so.salt, 16, 1);
	tok->so.pub.size = BTPM_MAX_PUBLIC;
	fill(tok->so.pub.area, BTPM_MAX_PUBLIC, 2);
	tok->so.priv.size = BTPM_MAX_PRIVATE;
	fill(tok->so.priv.data, BTPM_MAX_PRIVATE, 3);
	struct btpm_store_object *o = btpm_store_object_add(tok, CKO_PRIVATE_KEY);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->handle, 10);
	o->tpm_public.size = BTPM_MAX_PUBLIC;
	fill(o->tpm_public.area, BTPM_MAX_PUBLIC, 4);
	o->tpm_private.size = BTPM_MAX_PRIVATE;
	fill(o->tpm_private.data, BTPM_MAX_PRIVATE, 5);
	fill(o->auth_iv, 12, 0xf0);
	fill(o->auth_ct, 32, 0xe0);
	fill(o->auth_tag, 16, 0xd0);
	for (uint32_t a = 0; a < BTPM_STORE_MAX_ATTRS; a++) {
		uint32_t len = a == 0 ? BTPM_STORE_ATTR_MAX : a % 3 == 0 ? 0 : a * 7;
		fill(v, len, (uint8_t)a);
		ck_assert_int_eq(btpm_store_attr_set(o, 0x80000000u + a * 0x1001u, v, len), 0);
	}
	ck_assert_ptr_nonnull(btpm_store_object_add(tok, CKO_PUBLIC_KEY));
	struct btpm_store_object *c = btpm_store_object_add(tok, CKO_CERTIFICATE);
	ck_assert_ptr_nonnull(c);
	fill(v, BTPM_STORE_ATTR_MAX, 0x33);
	ck_assert_int_eq(btpm_store_attr_set(c, CKA_VALUE, v, BTPM_STORE_ATTR_MAX), 0);
	ck_assert_int_eq(btpm_store_attr_set(c, CKA_LABEL, label, (uint32_t)strlen(label)), 0);
	ck_assert_int_eq(btpm_store_attr_set(c, 0xffffffffu, "", 0), 0);
	ck_assert_int_eq(tok->next_handle, 13);
	free(v);
}

START_TEST(roundtrip_limits)
{
	static const char *const labels[] = {
		"",
		"a label with  spaces ",
		"\"quoted\" \\back\\slash\\",
		/* é € 🔑 日本 */
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xe6\x97\xa5\xe6\x9c\xac",
		"0123456789abcdef0123456789abcdef", /* 32 bytes */
		/* 8 keys of 4 bytes: 32 bytes */
		("\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
		 "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"),
	};
	struct btpm_store st;
	static struct btpm_store_token tok, back, again;
	static char first[200000], second[200000];
	open_rw(&st);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		big_token(&tok, SERIAL, labels[i]);
		tok.user_pin_set = (int)(i % 2);
		if (tok.user_pin_set)
			tok.user = tok.so;
		ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
		int rc = btpm_store_load_token(&st, SERIAL, &back);
		ck_assert_msg(rc == 0, "label %zu: %d %s", i, rc, st.error);
		ck_assert_str_eq(back.label, labels[i]);
		ck_assert(tokens_equal(&tok, &back));
		/* Canonical: saving what was loaded gives the same bytes. */
		size_t n1 = read_all(tfile, first, sizeof(first));
		ck_assert_int_eq(btpm_store_save_token(&st, &back), 0);
		size_t n2 = read_all(tfile, second, sizeof(second));
		ck_assert_int_eq(n1, n2);
		ck_assert(memcmp(first, second, n1) == 0);
		ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &again), 0);
		ck_assert(tokens_equal(&again, &back));
		btpm_store_token_free(&tok);
		btpm_store_token_free(&back);
		btpm_store_token_free(&again);
	}
	btpm_store_close(&st);
}
END_TEST

START_TEST(roundtrip_max_objects)
{
	struct btpm_store st;
	static struct btpm_store_token tok, back;
	open_rw(&st);
	small_token(&tok);
	while (tok.nobjects < BTPM_STORE_MAX_OBJECTS) {
		struct btpm_store_object *o = btpm_store_object_add(&tok, 0x80000001u);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(btpm_store_attr_set(o, CKA_ID, &tok.nobjects, 1), 0);
	}
	ck_assert_ptr_null(btpm_store_object_add(&tok, 0));
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &back), 0);
	ck_assert_int_eq(back.nobjects, BTPM_STORE_MAX_OBJECTS);
	ck_assert(tokens_equal(&tok, &back));
	btpm_store_token_free(&tok);
	btpm_store_token_free(&back);
	btpm_store_close(&st);
}
END_TEST

/* ---- corruptions ------------------------------------------------------------ */

enum op { REPLACE, INSERT, DELETE, RAW };

struct corrupt {
	enum op op;
	unsigned at;        /* golden line (1-based) replaced, deleted or inserted after */
	const char *s;      /* the new line, without '\n' (RAW: the whole file) */
	size_t slen;        /* 0: strlen(s) */
	unsigned line;      /* expected line in the message */
	const char *needle; /* expected in the message */
};

static size_t build(const struct corrupt *c, char *buf, size_t cap)
{
	size_t slen = c->slen ? c->slen : strlen(c->s ? c->s : "");
	if (c->op == RAW) {
		memcpy(buf, c->s, slen);
		return slen;
	}
	size_t n = 0;
	for (unsigned i = 1; i <= NGOLDEN; i++) {
		if (i == c->at && c->op == DELETE)
			continue;
		if (i == c->at && c->op == REPLACE) {
			memcpy(buf + n, c->s, slen);
			n += slen;
			buf[n++] = '\n';
			continue;
		}
		n += (size_t)snprintf(buf + n, cap - n, "%s\n", golden[i - 1]);
		if (i == c->at && c->op == INSERT) {
			memcpy(buf + n, c->s, slen);
			n += slen;
			buf[n++] = '\n';
		}
	}
	return n;
}

/* Load path (file content text) must fail at PATH:line with needle; the file stays. */
static void expect_store_error(const char *path, const char *text, size_t len, int global,
			       unsigned line, const char *needle, const char *what)
{
	static char after[1 << 20];
	struct btpm_store st;
	struct btpm_store_token tok;
	struct btpm_store_global g;
	char prefix[512];
	write_all(path, text, len);
	open_rw(&st);
	int rc = global ? btpm_store_load_global(&st, &g)
			: btpm_store_load_token(&st, SERIAL, &tok);
	ck_assert_msg(rc == BTPM_E_STORE, "%s: rc %d (%s)", what, rc, st.error);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	ck_assert_msg(strncmp(st.error, prefix, strlen(prefix)) == 0, "%s: want %s..., got %s",
		      what, prefix, st.error);
	ck_assert_msg(strstr(st.error, needle) != NULL, "%s: want \"%s\" in %s", what, needle,
		      st.error);
	if (!global) {
		ck_assert_ptr_null(tok.objects);
		ck_assert_int_eq(tok.nobjects, 0);
	}
	size_t n = read_all(path, after, sizeof(after));
	ck_assert_msg(n == len && memcmp(after, text, len) == 0, "%s: file changed", what);
	btpm_store_close(&st);
}

static char long_hex[2 * 4097 + 64];

static const char *hex_line(const char *key, size_t bytes)
{
	size_t n = (size_t)snprintf(long_hex, sizeof(long_hex), "%s", key);
	for (size_t i = 0; i < bytes; i++)
		n += (size_t)snprintf(long_hex + n, sizeof(long_hex) - n, "ab");
	return long_hex;
}

static const struct corrupt token_cases[] = {
	/* structure of lines */
	{RAW, 0, "", 0, 1, "empty file"},
	{REPLACE, 1, "baretpm-token 2", 0, 1, "format version 2 is not supported"},
	{REPLACE, 1, "baretpm-token 01", 0, 1, "format version must be a decimal"},
	{REPLACE, 1, "baretpm-token", 0, 1, "needs a format version"},
	{REPLACE, 1, "baretpm-store 1", 0, 1, "\"baretpm-store\" file where a \"baretpm-token\""},
	{REPLACE, 1, "hello world", 0, 1, "not a baretpm store file"},
	{REPLACE, 3, "label \"my\0token\"", 16, 3, "NUL byte in column 10"},
	{REPLACE, 5, "next-handle 3\r", 0, 5, "carriage return in column 14"},
	{REPLACE, 5, "next-handle\t3", 0, 5, "control character 0x09 in column 12"},
	{REPLACE, 5, "next-handle 3\x7f", 0, 5, "control character 0x7f"},
	{INSERT, 4, "", 0, 5, "empty line"},
	{REPLACE, 5, " next-handle 3", 0, 5, "starts with a space"},
	{REPLACE, 5, "next-handle 3 ", 0, 5, "ends with a space"},
	{REPLACE, 5, "next-handle  3", 0, 5, "two spaces in a row"},
	{REPLACE, 5, "next-handle 3 4", 0, 5, "too many values after \"next-handle\""},
	{REPLACE, 5, "next-handle", 0, 5, "\"next-handle\" needs a value"},
	/* keys */
	{INSERT, 3, "colour blue", 0, 4, "unknown key \"colour\""},
	{INSERT, 3, "label \"again\"", 0, 4, "duplicate key \"label\" (first on line 3)"},
	{DELETE, 7, NULL, 0, 11, "missing \"so-public\" (before the first object)"},
	{DELETE, 2, NULL, 0, 11, "missing \"serial\""},
	{DELETE, 10, NULL, 0, 11, "missing \"user-public\" (user-pin-set is 1"},
	{REPLACE, 4, "user-pin-set 0", 0, 9, "\"user-salt\" but user-pin-set is 0"},
	{REPLACE, 4, "user-pin-set 2", 0, 4, "user-pin-set must be 0 or 1"},
	{REPLACE, 5, "next-handle 0", 0, 5, "next-handle must be at least 1"},
	{REPLACE, 5, "next-handle 4294967296", 0, 5, "decimal number"},
	{REPLACE, 5, "next-handle 03", 0, 5, "decimal number"},
	{REPLACE, 5, "next-handle 2", 0, 21, "object handle 2 is not below next-handle 2"},
	{INSERT, 23, "label \"x\"", 0, 24, "\"label\" after the objects"},
	{INSERT, 23, "garbage", 0, 24, "unknown key \"garbage\" after the objects"},
	/* serial */
	{REPLACE, 2, "serial 0123456789ABCDEF", 0, 2, "serial must be 16 lowercase hex digits"},
	{REPLACE, 2, "serial 0123456789abcde", 0, 2, "serial must be 16 lowercase hex digits"},
	{REPLACE, 2, "serial fedcba9876543210", 0, 2, "does not match the file name"},
	/* label */
	{REPLACE, 3, "label my token", 0, 3, "label must be in double quotes"},
	{REPLACE, 3, "label \"my token", 0, 3, "label must be in double quotes"},
	{REPLACE, 3, "label", 0, 3, "\"label\" needs a value"},
	{REPLACE, 3, "label \"a\"b\"", 0, 3, "unescaped double quote in column 9"},
	{REPLACE, 3, "label \"a\\nb\"", 0, 3, "unknown escape in column 9"},
	{REPLACE, 3, "label \"ab\\\"", 0, 3, "the closing quote is escaped"},
	{REPLACE, 3, "label \"0123456789abcdef0123456789abcdefX\"", 0, 3, "more than 32 bytes"},
	{REPLACE, 3, "label \"\xc3\"", 0, 3, "not valid UTF-8"},
	{REPLACE, 3, "label \"\xc0\xaf\"", 0, 3, "not valid UTF-8"},      /* overlong '/' */
	{REPLACE, 3, "label \"\xed\xa0\x80\"", 0, 3, "not valid UTF-8"},  /* surrogate */
	{REPLACE, 3, "label \"\xc2\x85\"", 0, 3, "control character"},    /* U+0085 NEL */
	/* hex */
	{REPLACE, 7, "so-public 00010", 0, 7, "odd number of hex digits (5)"},
	{REPLACE, 7, "so-public 0g", 0, 7, "not a hex digit in column 12"},
	{REPLACE, 7, "so-public 0A", 0, 7, "uppercase hex digit in column 12"},
	{REPLACE, 7, "so-public 00\xc3\xa9", 0, 7, "not a hex digit in column 13"},
	{REPLACE, 7, "so-public", 0, 7, "\"so-public\" needs a value"},
	{REPLACE, 6, "so-salt 0001", 0, 6, "so-salt must be 16 bytes, not 2"},
	{REPLACE, 15, "auth-iv 2021", 0, 15, "auth-iv must be 12 bytes, not 2"},
	/* objects */
	{REPLACE, 12, "object 1 3", 0, 12, "object class must be 0x and 8 lowercase hex"},
	{REPLACE, 12, "object 1 0X00000003", 0, 12, "object class must be 0x"},
	{REPLACE, 12, "object 0 0x00000003", 0, 12, "object handle 0"},
	{REPLACE, 12, "object 1", 0, 12, "needs a handle and a class"},
	{REPLACE, 21, "object 1 0x00000002", 0, 21, "object 1 appears twice (first on line 12)"},
	{DELETE, 23, NULL, 0, 21, "object 2 has no \"end\" (the file ends on line 22)"},
	{DELETE, 20, NULL, 0, 20, "object 1 (line 12) has no \"end\" before the next object"},
	{INSERT, 20, "end", 0, 21, "\"end\" outside an object"},
	{REPLACE, 20, "end 1", 0, 20, "\"end\" takes no value"},
	{DELETE, 17, NULL, 0, 19, "object 1 has \"tpm-public\" but no \"auth-tag\""},
	{REPLACE, 21, "object 2 0x00000003", 0, 23, "object 2 is a private key"},
	{INSERT, 13, "tpm-public 01", 0, 14, "duplicate key \"tpm-public\" (first on line 13)"},
	{INSERT, 18, "attr 0x00000003 00", 0, 19, "attribute 0x00000003 appears twice in object 1"},
	{INSERT, 18, "attr 0x3 00", 0, 19, "attribute type must be 0x"},
	{INSERT, 18, "attr", 0, 19, "\"attr\" needs a type"},
	{INSERT, 18, "attr 0x00000004 ab cd", 0, 19, "too many values"},
	{INSERT, 18, "attr 0x00000004 abc", 0, 19, "odd number of hex digits"},
	{INSERT, 18, "attr 0x00000004 abCd", 0, 19, "uppercase hex digit in column 19"},
	{INSERT, 18, "serial 0123456789abcdef", 0, 19, "unknown key \"serial\" in an object"},
	/* CRLF on the last line, and no final newline */
	{RAW, 0, "baretpm-token 1\r\n", 0, 1, "carriage return"},
};

START_TEST(corrupt_token)
{
	static char text[1 << 16];
	mkdir(sdir, 0700);
	char tdir[400];
	snprintf(tdir, sizeof(tdir), "%s/tokens", sdir);
	mkdir(tdir, 0700);
	const struct corrupt *c = &token_cases[_i];
	size_t n = build(c, text, sizeof(text));
	char what[64];
	snprintf(what, sizeof(what), "token case %d", _i);
	expect_store_error(tfile, text, n, 0, c->line, c->needle, what);
}
END_TEST

/* Corruptions that need more than one line edited. */
START_TEST(corrupt_token_more)
{
	static char text[1 << 20];
	mkdir(sdir, 0700);
	char tdir[400], other[512];
	snprintf(tdir, sizeof(tdir), "%s/tokens", sdir);
	mkdir(tdir, 0700);

	/* the last line without its newline: a truncated file */
	size_t n = golden_text(text, sizeof(text));
	expect_store_error(tfile, text, n - 1, 0, 23, "no newline", "truncated");
	expect_store_error(tfile, text, n - 10, 0, 22, "no newline", "truncated mid-line");

	/* a blob over its capacity */
	struct corrupt c = {REPLACE, 13, hex_line("tpm-public ", 1025), 0, 13,
			    "tpm-public is 1025 bytes, more than 1024"};
	n = build(&c, text, sizeof(text));
	expect_store_error(tfile, text, n, 0, c.line, c.needle, "blob");
	c = (struct corrupt){REPLACE, 8, hex_line("so-private ", 1025), 0, 8, "more than 1024"};
	n = build(&c, text, sizeof(text));
	expect_store_error(tfile, text, n, 0, c.line, c.needle, "so-private");

	/* an attribute over BTPM_STORE_ATTR_MAX, and one exactly at it */
	c = (struct corrupt){INSERT, 22, hex_line("attr 0x00000011 ", 4097), 0, 23,
			     "attribute 0x00000011 is 4097 bytes, more than 4096"};
	n = build(&c, text, sizeof(text));
	expect_store_error(tfile, text, n, 0, c.line, c.needle, "attr size");

	/* 25 attributes */
	n = 0;
	for (unsigned i = 1; i <= NGOLDEN; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", golden[i - 1]);
		if (i == 22)
			for (unsigned a = 0; a < 24; a++)
				n += (size_t)snprintf(text + n, sizeof(text) - n,
						      "attr 0x%08x 00\n", 0x100u + a);
	}
	expect_store_error(tfile, text, n, 0, 22 + 24, "object 2 has more than 24 attributes",
			   "attr count");

	/* more than BTPM_STORE_MAX_OBJECTS objects */
	n = 0;
	for (unsigned i = 1; i <= 11; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n",
				      i == 5 ? "next-handle 1000" : golden[i - 1]);
	for (unsigned h = 1; h <= BTPM_STORE_MAX_OBJECTS + 1; h++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "object %u 0x00000000\nend\n", h);
	expect_store_error(tfile, text, n, 0, 11 + 2 * BTPM_STORE_MAX_OBJECTS + 1,
			   "more than 256 objects", "object count");

	/* the file of one token under another token's name */
	n = golden_text(text, sizeof(text));
	snprintf(other, sizeof(other), "%s/fedcba9876543210.token", tdir);
	write_all(other, text, n);
	struct btpm_store st;
	struct btpm_store_token tok;
	open_rw(&st);
	ck_assert_int_eq(btpm_store_load_token(&st, "fedcba9876543210", &tok), BTPM_E_STORE);
	char want[700];
	snprintf(want, sizeof(want), "%s:2: serial 0123456789abcdef does not match the file name "
		 "(fedcba9876543210.token)", other);
	ck_assert_str_eq(st.error, want);

	/* missing keys at the end of a file without objects */
	n = 0;
	for (unsigned i = 1; i <= 6; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", golden[i - 1]);
	expect_store_error(tfile, text, n, 0, 6, "missing \"so-public\" (the file ends here)",
			   "eof keys");

	/* not a regular file */
	unlink(tfile);
	mkdir(tfile, 0700);
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &tok), BTPM_E_STORE);
	ck_assert_ptr_nonnull(strstr(st.error, "not a regular file"));
	rmdir(tfile);
	ck_assert_int_eq(mkfifo(tfile, 0600), 0); /* must not block */
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &tok), BTPM_E_STORE);
	ck_assert_ptr_nonnull(strstr(st.error, "not a regular file"));
	unlink(tfile);
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &tok), BTPM_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(st.error, "no such token"));
	btpm_store_close(&st);
}
END_TEST

static const struct corrupt global_cases[] = {
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x81000001\n", 0, 2,
	 "missing \"srk-public\" (the file ends here)"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public 00\nsrk-handle 0x81000001\n",
	 0, 4, "duplicate key \"srk-handle\" (first on line 2)"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x01000000\nsrk-public 00\n", 0, 2,
	 "srk-handle must be 0x00000000 (transient) or a persistent handle"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x8100001\nsrk-public 00\n", 0, 2,
	 "srk-handle must be 0x and 8 lowercase hex digits"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x8100000A\nsrk-public 00\n", 0, 2,
	 "srk-handle must be 0x and 8 lowercase hex digits"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public \n", 0, 3,
	 "ends with a space"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public 00\nsrk-secret 00\n", 0, 4,
	 "unknown key \"srk-secret\""},
	{RAW, 0, "baretpm-store 2\nsrk-handle 0x81000001\nsrk-public 00\n", 0, 1,
	 "format version 2 is not supported (this baretpm reads version 1)"},
	{RAW, 0, "baretpm-token 1\n", 0, 1, "\"baretpm-token\" file where a \"baretpm-store\""},
	{RAW, 0, "baretpm-store 1\r\nsrk-handle 0x81000001\r\n", 0, 1, "carriage return"},
	{RAW, 0, "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public 00", 0, 3, "no newline"},
	{RAW, 0, "baretpm-store 1\n\0", 17, 2, "NUL byte in column 1"},
	{RAW, 0, "\n", 0, 1, "empty line"},
};

START_TEST(corrupt_global)
{
	static char text[4096];
	mkdir(sdir, 0700);
	const struct corrupt *c = &global_cases[_i];
	size_t n = build(c, text, sizeof(text));
	char what[64];
	snprintf(what, sizeof(what), "global case %d", _i);
	expect_store_error(cfile, text, n, 1, c->line, c->needle, what);
}
END_TEST

/* What load would refuse, save refuses first (BTPM_E_ARG), writing nothing. */
START_TEST(save_checks)
{
	struct btpm_store st;
	struct btpm_store_token tok;
	struct btpm_store_global g = {.srk_handle = 0x81000001u};
	open_rw(&st);
	ck_assert_int_eq(btpm_store_save_global(&st, &g), BTPM_E_ARG); /* empty public */
	g.srk_public.size = 1;
	g.srk_handle = 0x80000001u;
	ck_assert_int_eq(btpm_store_save_global(&st, &g), BTPM_E_ARG);

	for (int k = 0; k < 9; k++) {
		small_token(&tok);
		switch (k) {
		case 0: strcpy(tok.serial, "0123456789ABCDEF"); break;
		case 1: strcpy(tok.serial, "../../etc/passwd"); break;
		case 2: strcpy(tok.label, "tab\there"); break;
		case 3: strcpy(tok.label, "\xff"); break;
		case 4: memset(&tok.objects[0].tpm_public, 0, sizeof(struct btpm_public));
			tok.objects[0].tpm_private.size = 0;
			break;
		case 5: tok.objects[1].handle = 1; break;
		case 6: tok.next_handle = 2; break;
		case 7: tok.objects[1].attrs[0].len = 5000; break;
		case 8: tok.so.priv.size = 0; break;
		}
		int rc = btpm_store_save_token(&st, &tok);
		ck_assert_msg(rc == BTPM_E_ARG, "case %d: %d %s", k, rc, st.error);
		ck_assert_msg(access(tfile, F_OK) != 0, "case %d wrote a file", k);
		if (k == 7)
			tok.objects[1].attrs[0].len = 3;
		btpm_store_token_free(&tok);
	}
	ck_assert_int_eq(btpm_store_load_token(&st, "../../etc/passwd", &tok), BTPM_E_ARG);
	ck_assert_int_eq(btpm_store_delete_token(&st, "0123456789abcdeg"), BTPM_E_ARG);
	ck_assert_int_eq(count_entries(sdir), 1); /* tokens/ only */
	btpm_store_close(&st);
}
END_TEST

/* ---- files: atomicity, modes, symlinks ---------------------------------------- */

START_TEST(modes)
{
	/* The umask takes bits off what mkdir/open ask for; the store puts them back. */
	mode_t old = umask(0222);
	struct btpm_store st;
	struct btpm_store_token tok;
	char path[400];
	snprintf(sdir, sizeof(sdir), "%s/a/b/store", tmp);
	snprintf(tfile, sizeof(tfile), "%s/tokens/%s.token", sdir, SERIAL);
	open_rw(&st);
	ck_assert_int_eq(file_mode(sdir), 0700);
	snprintf(path, sizeof(path), "%s/a", tmp);
	ck_assert_int_eq(file_mode(path), 0700);
	snprintf(path, sizeof(path), "%s/tokens", sdir);
	ck_assert_int_eq(file_mode(path), 0700);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	ck_assert_int_eq(file_mode(tfile), 0600);
	ck_assert_int_eq(btpm_store_lock(&st), 0);
	snprintf(path, sizeof(path), "%s/.lock", sdir);
	ck_assert_int_eq(file_mode(path), 0600);
	btpm_store_unlock(&st);
	/* a file that was 0644 becomes 0600 when rewritten */
	chmod(tfile, 0644);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	ck_assert_int_eq(file_mode(tfile), 0600);
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
	umask(old);
}
END_TEST

/* A write that fails midway (RLIMIT_FSIZE: EFBIG) leaves the old file and no temp file. */
START_TEST(atomic_failed_write)
{
	static char before[1 << 18], after[1 << 18];
	struct btpm_store st;
	struct btpm_store_token tok;
	char tdir[400];
	snprintf(tdir, sizeof(tdir), "%s/tokens", sdir);
	open_rw(&st);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	size_t n = read_all(tfile, before, sizeof(before));
	btpm_store_token_free(&tok);

	big_token(&tok, SERIAL, "bigger than 1000 bytes");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* No ck_assert here: Check's own message file would hit the limit too. */
		struct rlimit rl = {.rlim_cur = 1000, .rlim_max = 1000};
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(10);
		int rc = btpm_store_save_token(&st, &tok);
		btpm_store_token_free(&tok);
		if (rc != BTPM_E_IO)
			_exit(11);
		if (!strstr(st.error, "write failed, the file is unchanged") ||
		    !strstr(st.error, tfile))
			_exit(12);
		_exit(0);
	}
	int status;
	btpm_store_token_free(&tok);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	size_t m = read_all(tfile, after, sizeof(after));
	ck_assert_int_eq(m, n);
	ck_assert(memcmp(before, after, n) == 0);
	ck_assert_int_eq(count_entries(tdir), 1); /* the temp file is gone */
	btpm_store_close(&st);
}
END_TEST

/* The target is replaced, never written through: a symlink there is replaced, not followed. */
START_TEST(symlinks)
{
	struct btpm_store st;
	struct btpm_store_token tok;
	char outside[400], lock[400], buf[64];
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	write_all(outside, "precious\n", 9);
	open_rw(&st);
	ck_assert_int_eq(symlink(outside, tfile), 0);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	struct stat sb;
	ck_assert_int_eq(lstat(tfile, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	read_all(outside, buf, sizeof(buf));
	ck_assert_str_eq(buf, "precious\n");
	/* a symlinked lock file is refused */
	snprintf(lock, sizeof(lock), "%s/.lock", sdir);
	ck_assert_int_eq(symlink(outside, lock), 0);
	ck_assert_int_eq(btpm_store_lock(&st), BTPM_E_IO);
	ck_assert_ptr_nonnull(strstr(st.error, lock));
	ck_assert_int_eq(st.lock_fd, -1);
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
}
END_TEST

/* ---- lock ------------------------------------------------------------------- */

/* 1 if fd becomes readable within ms milliseconds. */
static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r == 1;
}

START_TEST(lock_blocks_second_process)
{
	struct btpm_store st;
	int ready[2], got[2];
	char c;
	open_rw(&st);
	ck_assert_int_eq(btpm_store_lock(&st), 0);
	ck_assert_int_eq(btpm_store_lock(&st), BTPM_E_ARG); /* not re-entrant */
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(got), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct btpm_store s2;
		alarm(20); /* never outlive a broken test */
		if (btpm_store_open(&s2, sdir, 1))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		int rc = btpm_store_lock(&s2);
		if (write(got[1], rc ? "e" : "g", 1) != 1)
			_exit(3);
		btpm_store_unlock(&s2);
		btpm_store_close(&s2);
		_exit(0);
	}
	ck_assert(readable(ready[0], 10000));
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	/* The child is (or is about to be) waiting for the lock: nothing for a while. */
	ck_assert(!readable(got[0], 500));
	btpm_store_unlock(&st);
	ck_assert_int_eq(st.lock_fd, -1);
	ck_assert(readable(got[0], 10000));
	ck_assert_int_eq(read(got[0], &c, 1), 1);
	ck_assert_int_eq(c, 'g');
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	btpm_store_close(&st);
}
END_TEST

/* Two processes doing read-modify-write under the lock lose no update. */
START_TEST(lock_read_modify_write)
{
	enum { ROUNDS = 25 };
	struct btpm_store st;
	struct btpm_store_token tok;
	open_rw(&st);
	small_token(&tok);
	uint32_t zero = 0;
	ck_assert_int_eq(btpm_store_attr_set(&tok.objects[1], CKA_VALUE, &zero, 4), 0);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	btpm_store_token_free(&tok);
	pid_t pids[2];
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (pids[k] == 0) {
			struct btpm_store s;
			alarm(60);
			if (btpm_store_open(&s, sdir, 1))
				_exit(1);
			for (int i = 0; i < ROUNDS; i++) {
				struct btpm_store_token t;
				uint32_t v;
				if (btpm_store_lock(&s) || btpm_store_load_token(&s, SERIAL, &t))
					_exit(2);
				memcpy(&v, btpm_store_attr_get(&t.objects[1], CKA_VALUE)->value, 4);
				v++;
				if (btpm_store_attr_set(&t.objects[1], CKA_VALUE, &v, 4) ||
				    btpm_store_save_token(&s, &t))
					_exit(3);
				btpm_store_token_free(&t);
				btpm_store_unlock(&s);
			}
			btpm_store_close(&s);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status;
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: %d", k,
			      status);
	}
	ck_assert_int_eq(btpm_store_load_token(&st, SERIAL, &tok), 0);
	uint32_t v;
	memcpy(&v, btpm_store_attr_get(&tok.objects[1], CKA_VALUE)->value, 4);
	ck_assert_int_eq(v, 2 * ROUNDS);
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
}
END_TEST

/* ---- read-only stores ------------------------------------------------------- */

static void make_store(void)
{
	struct btpm_store st;
	struct btpm_store_token tok;
	struct btpm_store_global g = {.srk_handle = 0x81000001u};
	g.srk_public.size = 4;
	open_rw(&st);
	ck_assert_int_eq(btpm_store_save_global(&st, &g), 0);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
}

/*
 * Every write is refused with BTPM_E_READONLY, naming the path; reads work.
 * 0, or the number of the check that failed (no ck_assert: children call it).
 */
static int readonly_problem(struct btpm_store *st)
{
	struct btpm_store_token tok;
	struct btpm_store_global g;
	char s[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n;
	int step = 0;
	if (++step, st->writable != 0)
		return step;
	if (++step, btpm_store_load_global(st, &g) != 0)
		return step;
	if (++step, btpm_store_list_tokens(st, s, BTPM_STORE_MAX_TOKENS, &n) != 0 || n != 1)
		return step;
	if (++step, btpm_store_load_token(st, SERIAL, &tok) != 0)
		return step;
	if (++step, btpm_store_save_global(st, &g) != BTPM_E_READONLY || !strstr(st->error, cfile))
		step = -step;
	else if (++step, btpm_store_save_token(st, &tok) != BTPM_E_READONLY ||
			 !strstr(st->error, tfile))
		step = -step;
	else if (++step, btpm_store_delete_token(st, SERIAL) != BTPM_E_READONLY ||
			 !strstr(st->error, tfile))
		step = -step;
	else if (++step, btpm_store_lock(st) != BTPM_E_READONLY)
		step = -step;
	else if (++step, access(tfile, F_OK) != 0)
		step = -step;
	else
		step = 0;
	btpm_store_token_free(&tok);
	return step < 0 ? -step : 0;
}

START_TEST(readonly_opened_for_reading)
{
	struct btpm_store st;
	make_store();
	ck_assert_int_eq(btpm_store_open(&st, sdir, 0), 0);
	int step = readonly_problem(&st);
	ck_assert_msg(step == 0, "check %d: %s", step, st.error);
	btpm_store_close(&st);
	/* reopening the same directory for writing, straight from st->dir */
	ck_assert_int_eq(btpm_store_open(&st, st.dir, 1), 0);
	ck_assert_str_eq(st.dir, sdir);
	ck_assert_int_eq(st.writable, 1);
	btpm_store_close(&st);
	/* a missing store is BTPM_E_NOTFOUND for readers, and is not created */
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nothing", tmp);
	ck_assert_int_eq(btpm_store_open(&st, missing, 0), BTPM_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(st.error, missing));
	ck_assert_ptr_nonnull(strstr(st.error, "baretpm init"));
	ck_assert_int_ne(access(missing, F_OK), 0);
}
END_TEST

static int chown_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return lchown(path, 65534, 65534);
}

/*
 * A directory this user cannot write. Permissions do not bind root, so as
 * root the store is handed to nobody (65534) and the child becomes nobody.
 */
START_TEST(readonly_directory)
{
	char tdir[400];
	int root = geteuid() == 0;
	make_store();
	if (root)
		ck_assert_int_eq(nftw(tmp, chown_entry, 16, FTW_PHYS), 0);
	snprintf(tdir, sizeof(tdir), "%s/tokens", sdir);
	ck_assert_int_eq(chmod(tdir, 0500), 0);
	ck_assert_int_eq(chmod(sdir, 0500), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (root && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(77);
		struct btpm_store st;
		int rc = btpm_store_open(&st, sdir, 1);
		if (rc != BTPM_E_READONLY || !strstr(st.error, sdir))
			_exit(100);
		_exit(readonly_problem(&st)); /* still usable for reading */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died: %d", status);
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "readonly_directory: skipped (cannot drop root privileges)\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- lookup order ----------------------------------------------------------- */

static void set_env(const char *store, const char *xdg, const char *home)
{
	store ? setenv("BARETPM_STORE", store, 1) : unsetenv("BARETPM_STORE");
	xdg ? setenv("XDG_DATA_HOME", xdg, 1) : unsetenv("XDG_DATA_HOME");
	home ? setenv("HOME", home, 1) : unsetenv("HOME");
}

static void expect_dir(const char *want, const char *want_source)
{
	char buf[512];
	const char *src = NULL;
	ck_assert_ptr_nonnull(btpm_store_default_dir(buf, sizeof(buf), &src));
	ck_assert_str_eq(buf, want);
	ck_assert_str_eq(src, want_source);
}

/* A copy of a variable, to put it back (CK_FORK=no runs every test in one process). */
static char *saved(const char *name)
{
	const char *v = getenv(name);
	return v ? strdup(v) : NULL;
}

START_TEST(lookup_order)
{
	char *env[3] = {saved("BARETPM_STORE"), saved("XDG_DATA_HOME"), saved("HOME")};
	char a[400], xdg[400], home[400], want[512];
	int sys = access("/etc/baretpm", F_OK) == 0;
	snprintf(a, sizeof(a), "%s/explicit", tmp);
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmp);
	snprintf(home, sizeof(home), "%s/home", tmp);

	set_env(a, xdg, home); /* BARETPM_STORE wins, existing or not */
	expect_dir(a, "$BARETPM_STORE");
	set_env("", xdg, home); /* empty counts as unset */
	snprintf(want, sizeof(want), "%s/baretpm", xdg);
	expect_dir(sys ? "/etc/baretpm" : want, sys ? "system store" : "$XDG_DATA_HOME");
	set_env(NULL, "relative/xdg", home); /* a relative XDG_DATA_HOME is ignored */
	snprintf(want, sizeof(want), "%s/.local/share/baretpm", home);
	expect_dir(sys ? "/etc/baretpm" : want, sys ? "system store" : "$HOME");
	set_env(NULL, NULL, NULL);
	expect_dir("/etc/baretpm", "system store (no HOME)");
	set_env(NULL, NULL, "");
	expect_dir("/etc/baretpm", "system store (no HOME)");

	/* writing creates the per-user directory (and its parents) 0700 */
	struct btpm_store st;
	set_env(NULL, NULL, home);
	ck_assert_int_eq(btpm_store_open(&st, NULL, 1), 0);
	ck_assert_str_eq(st.dir, want);
	ck_assert_int_eq(file_mode(want), 0700);
	btpm_store_close(&st);
	/* once it exists, it is the store, /etc/baretpm or not */
	expect_dir(want, "$HOME");
	ck_assert_int_eq(btpm_store_open(&st, NULL, 0), 0);
	ck_assert_str_eq(st.dir, want);
	btpm_store_close(&st);
	set_env(NULL, xdg, home); /* XDG_DATA_HOME before HOME */
	snprintf(want, sizeof(want), "%s/baretpm", xdg);
	if (!sys) {
		ck_assert_int_eq(btpm_store_open(&st, NULL, 0), BTPM_E_NOTFOUND);
		ck_assert_ptr_nonnull(strstr(st.error, want));
		ck_assert_ptr_nonnull(strstr(st.error, "$XDG_DATA_HOME"));
	}
	ck_assert_int_eq(btpm_store_open(&st, NULL, 1), 0);
	ck_assert_str_eq(st.dir, want);
	btpm_store_close(&st);
	set_env(a, xdg, home);
	ck_assert_int_eq(btpm_store_open(&st, NULL, 0), BTPM_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(st.error, "$BARETPM_STORE"));
	/* trailing slashes are dropped */
	snprintf(want, sizeof(want), "%s///", a);
	ck_assert_int_eq(btpm_store_open(&st, want, 1), 0);
	ck_assert_str_eq(st.dir, a);
	btpm_store_close(&st);
	ck_assert_ptr_null(btpm_store_default_dir(want, 4, NULL));
	set_env(env[0], env[1], env[2]);
	for (int i = 0; i < 3; i++)
		free(env[i]);
}
END_TEST

/* ---- list and delete -------------------------------------------------------- */

START_TEST(list_and_delete)
{
	static const char *const serials[] = {
		"ffffffffffffffff", "0000000000000001", "8000000000000000", "0000000000000000",
		"a1b2c3d4e5f60718",
	};
	static const char *const sorted[] = {
		"0000000000000000", "0000000000000001", "8000000000000000", "a1b2c3d4e5f60718",
		"ffffffffffffffff",
	};
	struct btpm_store st;
	struct btpm_store_token tok;
	char s[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1], path[512];
	unsigned n = 99;
	open_rw(&st);
	ck_assert_int_eq(btpm_store_list_tokens(&st, s, BTPM_STORE_MAX_TOKENS, &n), 0);
	ck_assert_int_eq(n, 0);
	for (size_t i = 0; i < 5; i++) {
		small_token(&tok);
		strcpy(tok.serial, serials[i]);
		ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
		btpm_store_token_free(&tok);
	}
	/* files that are not SERIAL.token are not tokens */
	static const char *const strays[] = {
		"0123456789ABCDEF.token", ".0000000000000002.token.0011223344556677.tmp",
		"notes.txt", "000000000000000.token", "0000000000000003.token~",
	};
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/tokens/%s", sdir, strays[i]);
		write_all(path, "x", 1);
	}
	ck_assert_int_eq(btpm_store_list_tokens(&st, s, BTPM_STORE_MAX_TOKENS, &n), 0);
	ck_assert_int_eq(n, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_str_eq(s[i], sorted[i]);
	/* too many for the caller: the smallest, and BTPM_E_TOOBIG */
	ck_assert_int_eq(btpm_store_list_tokens(&st, s, 3, &n), BTPM_E_TOOBIG);
	ck_assert_int_eq(n, 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_str_eq(s[i], sorted[i]);
	ck_assert_int_eq(btpm_store_list_tokens(&st, NULL, 0, &n), BTPM_E_TOOBIG);
	ck_assert_int_eq(n, 0);

	ck_assert_int_eq(btpm_store_delete_token(&st, "8000000000000000"), 0);
	ck_assert_int_eq(btpm_store_delete_token(&st, "8000000000000000"), BTPM_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(st.error, "8000000000000000.token: no such token"));
	ck_assert_int_eq(btpm_store_load_token(&st, "8000000000000000", &tok), BTPM_E_NOTFOUND);
	ck_assert_int_eq(btpm_store_list_tokens(&st, s, BTPM_STORE_MAX_TOKENS, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(s[2], "a1b2c3d4e5f60718");
	btpm_store_close(&st);
}
END_TEST

/* ---- objects in memory ------------------------------------------------------ */


/* A writer killed mid-save leaves ".SERIAL.token.*.tmp"; the next locked save removes it. */
START_TEST(stale_temp_files_removed_under_lock)
{
	struct btpm_store st;
	struct btpm_store_token tok;
	char stale[512], other[512];
	open_rw(&st);
	small_token(&tok);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	snprintf(stale, sizeof(stale), "%s/tokens/.%s.token.0011223344556677.tmp", sdir, SERIAL);
	snprintf(other, sizeof(other), "%s/tokens/.ffffffffffffffff.token.0011223344556677.tmp",
		 sdir);
	write_all(stale, "half", 4);
	write_all(other, "half", 4);
	/* without the lock another writer may be mid-save: nothing is removed */
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	ck_assert_int_eq(access(stale, F_OK), 0);
	ck_assert_int_eq(btpm_store_lock(&st), 0);
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	btpm_store_unlock(&st);
	ck_assert_int_ne(access(stale, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0); /* another token's file is not this save's */
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
}
END_TEST

START_TEST(object_helpers)
{
	struct btpm_store_token tok;
	uint8_t big[BTPM_STORE_ATTR_MAX + 1] = {0};
	memset(&tok, 0, sizeof(tok));
	struct btpm_store_object *a = btpm_store_object_add(&tok, CKO_PRIVATE_KEY);
	struct btpm_store_object *b = btpm_store_object_add(&tok, CKO_PUBLIC_KEY);
	struct btpm_store_object *c = btpm_store_object_add(&tok, CKO_CERTIFICATE);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	/* handles from 1; earlier pointers survive later adds */
	ck_assert_int_eq(a->handle, 1);
	ck_assert_int_eq(b->handle, 2);
	ck_assert_int_eq(c->handle, 3);
	ck_assert_ptr_eq(btpm_store_object_find(&tok, 1), a);
	ck_assert_ptr_null(btpm_store_object_find(&tok, 4));

	ck_assert_int_eq(btpm_store_attr_set(a, CKA_LABEL, "one", 3), 0);
	ck_assert_int_eq(btpm_store_attr_set(a, CKA_LABEL, "three", 5), 0); /* replaced */
	ck_assert_int_eq(a->nattrs, 1);
	const struct btpm_store_attr *l = btpm_store_attr_get(a, CKA_LABEL);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(l->len, 5);
	ck_assert_mem_eq(l->value, "three", 5);
	ck_assert_int_eq(btpm_store_attr_set(a, CKA_LABEL, NULL, 0), 0);
	ck_assert_int_eq(l->len, 0);
	ck_assert_ptr_null(l->value);
	ck_assert_ptr_null(btpm_store_attr_get(a, CKA_ID));
	ck_assert_int_eq(btpm_store_attr_set(a, CKA_ID, NULL, 1), BTPM_E_ARG);
	ck_assert_int_eq(btpm_store_attr_set(a, CKA_ID, big, sizeof(big)), BTPM_E_TOOBIG);
	ck_assert_int_eq(btpm_store_attr_set(a, CKA_ID, big, BTPM_STORE_ATTR_MAX), 0);
	for (uint32_t t = 100; a->nattrs < BTPM_STORE_MAX_ATTRS; t++)
		ck_assert_int_eq(btpm_store_attr_set(a, t, &t, 4), 0);
	ck_assert_int_eq(btpm_store_attr_set(a, 99, "x", 1), BTPM_E_TOOBIG);
	ck_assert_int_eq(btpm_store_attr_set(a, 100, "x", 1), 0); /* replacing still works */

	/* remove the middle one: the others keep their handles, 2 is never reused */
	ck_assert_int_eq(btpm_store_object_remove(&tok, 2), 0);
	ck_assert_int_eq(btpm_store_object_remove(&tok, 2), BTPM_E_NOTFOUND);
	ck_assert_int_eq(tok.nobjects, 2);
	ck_assert_ptr_eq(btpm_store_object_find(&tok, 1), a);
	ck_assert_int_eq(btpm_store_object_find(&tok, 3)->cls, CKO_CERTIFICATE);
	struct btpm_store_object *d = btpm_store_object_add(&tok, 0);
	ck_assert_int_eq(d->handle, 4);
	/* a next_handle set too low by hand still gives a fresh handle */
	tok.next_handle = 2;
	ck_assert_int_eq(btpm_store_object_add(&tok, 0)->handle, 5);
	tok.next_handle = UINT32_MAX;
	ck_assert_ptr_null(btpm_store_object_add(&tok, 0));
	ck_assert_ptr_null(btpm_store_object_add(NULL, 0));
	ck_assert_int_eq(btpm_store_object_remove(NULL, 1), BTPM_E_NOTFOUND);

	btpm_store_token_free(&tok);
	ck_assert_ptr_null(tok.objects);
	ck_assert_int_eq(tok.nobjects, 0);
	btpm_store_token_free(&tok); /* twice is harmless */
	btpm_store_token_free(NULL);
}
END_TEST

/* ---- threads ---------------------------------------------------------------- */

struct worker {
	char serial[BTPM_STORE_SERIAL + 1];
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct btpm_store st;
	if (btpm_store_open(&st, sdir, 1))
		return NULL;
	for (int i = 0; i < 20; i++) {
		struct btpm_store_token tok, back;
		big_token(&tok, w->serial, "thread");
		int ok = btpm_store_save_token(&st, &tok) == 0 &&
			 btpm_store_load_token(&st, w->serial, &back) == 0 &&
			 tokens_equal(&tok, &back);
		btpm_store_token_free(&tok);
		btpm_store_token_free(&back);
		if (!ok)
			return NULL;
	}
	btpm_store_close(&st);
	w->ok = 1;
	return NULL;
}

START_TEST(threads)
{
	struct worker w[4];
	pthread_t th[4];
	struct btpm_store st;
	open_rw(&st);
	btpm_store_close(&st);
	for (int i = 0; i < 4; i++) {
		snprintf(w[i].serial, sizeof(w[i].serial), "%016x", i + 1);
		w[i].ok = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert(w[i].ok);
	}
}
END_TEST

/* ---- out of memory ------------------------------------------------------------ */

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/*
 * malloc/calloc/free of this program, counting live blocks and failing once
 * a budget runs out: every allocation of the store code can be made to fail
 * in turn. (Not under sanitizers, which bring their own allocator.)
 */
#define FAULTS 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void __libc_free(void *p);
static long budget = -1; /* allocations that may still succeed; -1: any number */
static long live;

void *malloc(size_t n)
{
	if (budget == 0)
		return NULL;
	if (budget > 0)
		budget--;
	void *p = __libc_malloc(n);
	live += p != NULL;
	return p;
}

void *calloc(size_t n, size_t m)
{
	if (budget == 0)
		return NULL;
	if (budget > 0)
		budget--;
	void *p = __libc_calloc(n, m);
	live += p != NULL;
	return p;
}

extern void *__libc_realloc(void *p, size_t n);
void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	return __libc_realloc(p, n); /* the store never reallocs: not a failure point */
}

void free(void *p)
{
	live -= p != NULL;
	__libc_free(p);
}
#endif

/* Every allocation failing in turn: BTPM_E_NOMEM, nothing leaked, nothing half-done. */
START_TEST(out_of_memory)
{
#ifdef FAULTS
	struct btpm_store st;
	static struct btpm_store_token tok, back;
	static char before[1 << 17], after[1 << 17];
	open_rw(&st);
	big_token(&tok, SERIAL, "nomem");
	ck_assert_int_eq(btpm_store_save_token(&st, &tok), 0);
	size_t n = read_all(tfile, before, sizeof(before));
	int loads = 0, saves = 0;
	for (long k = 0;; k++) {
		/* live is compared right after the calls: Check allocates too */
		long l0 = live;
		budget = k;
		int rc = btpm_store_load_token(&st, SERIAL, &back);
		budget = -1;
		int same = 1;
		if (rc == 0)
			same = tokens_equal(&tok, &back);
		btpm_store_token_free(&back);
		long l1 = live;
		ck_assert_int_eq(l1, l0);
		if (rc == 0) {
			ck_assert(same);
			break;
		}
		ck_assert_msg(rc == BTPM_E_NOMEM, "budget %ld: %d %s", k, rc, st.error);
		loads++;
	}
	for (long k = 0;; k++) {
		long l0 = live;
		budget = k;
		int rc = btpm_store_save_token(&st, &tok);
		budget = -1;
		long l1 = live;
		ck_assert_int_eq(l1, l0);
		if (rc == 0)
			break;
		ck_assert_msg(rc == BTPM_E_NOMEM, "budget %ld: %d %s", k, rc, st.error);
		size_t m = read_all(tfile, after, sizeof(after));
		ck_assert(m == n && memcmp(before, after, n) == 0);
		saves++;
	}
	ck_assert_int_gt(loads, 10); /* the file, the objects, every attribute */
	ck_assert_int_gt(saves, 2);  /* the text buffer grows */

	struct btpm_store_object *o = &tok.objects[0];
	const struct btpm_store_attr *a = btpm_store_attr_get(o, 0x80000000u);
	ck_assert_ptr_nonnull(a);
	uint32_t len = a->len;
	budget = 0;
	int rc = btpm_store_attr_set(o, 0x80000000u, "x", 1);
	budget = -1;
	ck_assert_int_eq(rc, BTPM_E_NOMEM);
	ck_assert_int_eq(a->len, len); /* the old value stays */
	struct btpm_store_token empty;
	memset(&empty, 0, sizeof(empty));
	budget = 0;
	struct btpm_store_object *none = btpm_store_object_add(&empty, 0);
	budget = -1;
	ck_assert_ptr_null(none);
	ck_assert_int_eq(empty.nobjects, 0);
	btpm_store_token_free(&tok);
	btpm_store_close(&st);
#endif
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, golden_token_text);
	tcase_add_test(tc, golden_global_text);
	tcase_add_test(tc, roundtrip_limits);
	tcase_add_test(tc, roundtrip_max_objects);
	tcase_add_test(tc, save_checks);
	tcase_add_test(tc, object_helpers);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrupt");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, corrupt_token, 0,
			    (int)(sizeof(token_cases) / sizeof(token_cases[0])));
	tcase_add_loop_test(tc, corrupt_global, 0,
			    (int)(sizeof(global_cases) / sizeof(global_cases[0])));
	tcase_add_test(tc, corrupt_token_more);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, atomic_failed_write);
	tcase_add_test(tc, symlinks);
	tcase_add_test(tc, lock_blocks_second_process);
	tcase_add_test(tc, lock_read_modify_write);
	tcase_add_test(tc, readonly_opened_for_reading);
	tcase_add_test(tc, readonly_directory);
	tcase_add_test(tc, lookup_order);
	tcase_add_test(tc, list_and_delete);
	tcase_add_test(tc, stale_temp_files_removed_under_lock);
	tcase_add_test(tc, threads);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(store_suite());
}
