/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the token store, shared by its files and by nothing else:
 *   store.c        the public API: lookup, open, load, save, list, delete
 *   store_file.c   files: whole-file read, atomic write, directories, lock
 *   store_lex.c    lines and values of the text format (strict, "PATH:LINE: ...")
 *   store_parse.c  text -> structs: the grammar of the two kinds of file
 *   store_emit.c   structs -> text, and the checks that keep save from writing
 *                  a file that load would refuse
 *   store_obj.c    objects and attributes of a loaded token
 * docs/store-format.md describes the files themselves.
 */
#ifndef BTPM_STORE_INT_H
#define BTPM_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define BTPM_STORE_CONF "baretpm.conf"
#define BTPM_STORE_TOKENS "tokens"
#define BTPM_STORE_LOCK ".lock"
#define BTPM_STORE_SUFFIX ".token"
#define BTPM_STORE_MAGIC_GLOBAL "baretpm-store"
#define BTPM_STORE_MAGIC_TOKEN "baretpm-token"
#define BTPM_STORE_VERSION 1u
#define BTPM_STORE_CKO_PRIVATE_KEY 0x3u /* PKCS#11 CKO_PRIVATE_KEY */
/* Room for DIR + "/tokens/" + SERIAL + ".token" and a NUL. */
#define BTPM_STORE_PATH (sizeof(((struct btpm_store *)0)->dir) + 64)

/* Set st->error (printf-like) and return rc. */
int btpm_store_fail(struct btpm_store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* strerror(e) into buf, thread-safe. */
const char *btpm_store_errstr(int e, char *buf, size_t cap);

/* ---- store_file.c ---------------------------------------------------------- */

/*
 * The whole of path in a malloc'd buffer (the caller btpm_wipe()s and frees
 * it). BTPM_E_NOTFOUND if it does not exist, BTPM_E_STORE if it is not a
 * regular file or is larger than BTPM_STORE_FILE_MAX, else BTPM_E_IO.
 */
int btpm_store_read_file(struct btpm_store *st, const char *path, uint8_t **data, size_t *len);
/*
 * Replace dir/name with data atomically: a temp file in dir (O_EXCL,
 * O_NOFOLLOW, 0600, random name), fsync, rename over name, fsync of dir. On
 * failure the temp file is removed and dir/name is untouched.
 * BTPM_E_READONLY for EACCES/EPERM/EROFS, else BTPM_E_IO.
 */
int btpm_store_write_file(struct btpm_store *st, const char *dir, const char *name,
			  const void *data, size_t len);
/* Remove dir/name and fsync dir. BTPM_E_NOTFOUND if there is no such file. */
int btpm_store_remove_file(struct btpm_store *st, const char *dir, const char *name);
/* mkdir -p: every missing component is created with mode 0700. */
int btpm_store_mkdirs(struct btpm_store *st, const char *path);
/* 1 if path is a directory (following symlinks), else 0. */
int btpm_store_is_dir(const char *path);

/* ---- store_lex.c: lines and values ------------------------------------------ */

/* Reading position in a file. */
struct btpm_lex {
	struct btpm_store *st;
	const char *path;
	const char *p, *end; /* what is still unread */
	unsigned line;       /* number of the current line (1-based) */
	const char *l;       /* the current line, without its '\n' */
	size_t n;
};

#define BTPM_LEX_FIELDS 3

/* The current line split at single spaces: the key and up to two values. */
struct btpm_lex_fields {
	unsigned count;
	const char *f[BTPM_LEX_FIELDS];
	size_t n[BTPM_LEX_FIELDS];
};

/* BTPM_E_STORE with "PATH:line: message" (line 0 counts as 1). */
int btpm_lex_err(const struct btpm_lex *r, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int btpm_lex_nomem(const struct btpm_lex *r);
/*
 * The next line into r->l/r->n: 1, 0 at the end of the file, or an error: no
 * final newline, NUL, CR, control characters, an empty line, a space at
 * either end.
 */
int btpm_lex_line(struct btpm_lex *r);
/* The first line: "MAGIC 1"; other is the magic of the other kind of file. */
int btpm_lex_header(struct btpm_lex *r, const char *magic, const char *other);
size_t btpm_lex_key_len(const struct btpm_lex *r);
int btpm_lex_key_is(const struct btpm_lex *r, const char *key);
/* Index of the line's key in keys[0..n), or -1. */
int btpm_lex_lookup(const struct btpm_lex *r, const char *const *keys, int n);
/* "unknown key ..." + where. */
int btpm_lex_unknown(const struct btpm_lex *r, const char *where);
/* seen[k] = this line, or an error if the key was seen before. */
int btpm_lex_see(const struct btpm_lex *r, unsigned *seen, int k, const char *const *keys);
/* Split the line at single spaces (two in a row are an error). */
int btpm_lex_split(const struct btpm_lex *r, struct btpm_lex_fields *fl);
/* Exactly want fields, else "KEY needs <what>" / "too many values". */
int btpm_lex_need(const struct btpm_lex *r, const struct btpm_lex_fields *fl, unsigned want,
		  const char *what);
/* Lowercase hex of at most cap bytes (may be empty), into out; *len bytes. */
int btpm_lex_hex(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		 uint8_t *out, size_t cap, size_t *len);
/* Non-empty lowercase hex of at most cap bytes. */
int btpm_lex_blob(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		  uint8_t *out, size_t cap, uint16_t *size);
/* Lowercase hex of exactly want bytes. */
int btpm_lex_fixed(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		   uint8_t *out, size_t want);
/* "0x" and 8 lowercase hex digits. */
int btpm_lex_u32hex(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		    uint32_t *out);
/* Decimal, no sign, no leading zero, at most 4294967295. */
int btpm_lex_dec(const struct btpm_lex *r, const char *what, const char *s, size_t n,
		 uint32_t *out);
/* A quoted label (\\ and \" escapes) into out[BTPM_STORE_LABEL + 1]. */
int btpm_lex_label(const struct btpm_lex *r, const char *s, size_t n, char *out);
/* 1 if s is exactly BTPM_STORE_SERIAL lowercase hex digits. */
int btpm_store_serial_ok(const char *s, size_t n);
/* NULL if label[0..n) may be a label (UTF-8, no control characters), else why not. */
const char *btpm_store_label_problem(const uint8_t *label, size_t n);

/* ---- store_parse.c: files ---------------------------------------------------- */

int btpm_store_parse_global(struct btpm_store *st, const char *path, const uint8_t *text,
			    size_t len, struct btpm_store_global *g);
/* serial: what the file name says; the file must agree. */
int btpm_store_parse_token(struct btpm_store *st, const char *path, const char *serial,
			   const uint8_t *text, size_t len, struct btpm_store_token *tok);
/* ---- store_emit.c ---------------------------------------------------------- */

/* A growing text buffer; wiped whenever it moves or is freed. */
struct btpm_store_text {
	char *p;
	size_t len, cap;
	int oom;
};
void btpm_store_text_free(struct btpm_store_text *t);

/* BTPM_E_ARG (with st->error) if g or tok could not be loaded back. */
int btpm_store_check_global(struct btpm_store *st, const struct btpm_store_global *g);
int btpm_store_check_token(struct btpm_store *st, const struct btpm_store_token *tok);
/* The file text; 0 or BTPM_E_NOMEM. Check first. */
int btpm_store_emit_global(const struct btpm_store_global *g, struct btpm_store_text *t);
int btpm_store_emit_token(const struct btpm_store_token *tok, struct btpm_store_text *t);

/* ---- store_obj.c ----------------------------------------------------------- */

/* Give tok its objects array (capacity BTPM_STORE_MAX_OBJECTS) if it has none. */
int btpm_store_objects_alloc(struct btpm_store_token *tok);

#endif
