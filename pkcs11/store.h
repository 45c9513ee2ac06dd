/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token store: small, versioned, strictly parsed text files.
 *
 *   DIR/baretpm.conf          the pinned storage root key (SRK)
 *   DIR/tokens/SERIAL.token   one file per token: PIN-sealed secrets, objects
 *   DIR/.lock                 advisory lock (flock) held by writers
 *
 * DIR is BARETPM_STORE, else ${XDG_DATA_HOME:-$HOME/.local/share}/baretpm,
 * else /etc/baretpm (read-only use, e.g. in an initrd). Files are written as
 * temp file + fsync + rename + fsync of the directory, mode 0600; a reader
 * never sees half a file. A file that does not parse is reported with its
 * path and line and is never rewritten silently.
 *
 * The format, the exact lookup rule (readers and writers resolve DIR the
 * same way; /etc/baretpm is written only when it already exists and the
 * per-user directory does not, or when there is no HOME) and the limits:
 * docs/store-format.md. Functions return 0 or a BTPM_E_* code and, for any
 * failure with a store at hand, leave a "PATH[:LINE]: reason" in st->error.
 * Separate struct btpm_store values may be used from separate threads.
 */
#ifndef BTPM_STORE_H
#define BTPM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "baretpm.h"
#include "baretpm_keys.h"

#define BTPM_STORE_LABEL 32   /* PKCS#11 token/object labels: 32 bytes max */
#define BTPM_STORE_SERIAL 16  /* hex characters of a token serial */
#define BTPM_STORE_MAX_TOKENS 32
#define BTPM_STORE_MAX_ATTRS 24
#define BTPM_STORE_ATTR_MAX 4096 /* largest attribute value (a certificate) */
#define BTPM_STORE_MAX_OBJECTS 256 /* objects of one token */
/* Larger store files are refused; a token at every limit above fits (about 52 MB). */
#define BTPM_STORE_FILE_MAX (64u << 20)

struct btpm_store {
	char dir[512];
	int writable;      /* opened for writing (the directory exists and is writable) */
	int lock_fd;       /* -1 unless btpm_store_lock() holds the lock */
	char error[640];   /* "PATH:LINE: what is wrong" after a failure */
};

/* The pinned SRK (DESIGN: the salt of every session goes to this key). */
struct btpm_store_global {
	uint32_t srk_handle;       /* persistent handle, or 0 = transient from the template */
	struct btpm_public srk_public;
};

/* A secret sealed under the SRK with auth = SHA-256(salt || PIN). */
struct btpm_store_sealed {
	uint8_t salt[16];
	struct btpm_public pub;
	struct btpm_blob priv;
};

struct btpm_store_attr {
	uint32_t type;  /* CKA_* */
	uint32_t len;
	uint8_t *value; /* malloc'd; NULL when len is 0 */
};

/* One PKCS#11 object of a token. */
struct btpm_store_object {
	uint32_t handle;  /* stable within the token: never reused while the file exists */
	uint32_t cls;     /* CKO_* */
	/* private keys only: the TPM key and its auth value encrypted under W */
	struct btpm_public tpm_public;
	struct btpm_blob tpm_private;
	uint8_t auth_iv[12];
	uint8_t auth_ct[32];
	uint8_t auth_tag[16];
	unsigned nattrs;
	struct btpm_store_attr attrs[BTPM_STORE_MAX_ATTRS];
};

struct btpm_store_token {
	char serial[BTPM_STORE_SERIAL + 1]; /* lowercase hex, unique per token */
	char label[BTPM_STORE_LABEL + 1];
	int user_pin_set;                  /* the user sealed object exists */
	struct btpm_store_sealed so;       /* W sealed with the SO PIN */
	struct btpm_store_sealed user;     /* W sealed with the user PIN */
	uint32_t next_handle;              /* next object handle to hand out */
	unsigned nobjects;
	struct btpm_store_object *objects; /* malloc'd array */
};

/*
 * Open the store at dir (NULL: the lookup order above). want_write asks for a
 * writable store and creates DIR (0700) if missing; without it a missing or
 * read-only store is fine. Returns 0, BTPM_E_NOTFOUND (no store: run
 * 'baretpm init'), BTPM_E_READONLY, or BTPM_E_STORE/BTPM_E_IO with st->error.
 * After BTPM_E_READONLY an existing store is still open for reading
 * (st->writable 0), so a caller may fall back to read-only use.
 */
int btpm_store_open(struct btpm_store *st, const char *dir, int want_write);
/* Releases the lock if held; st->error is kept (close, then print why). */
void btpm_store_close(struct btpm_store *st);
/*
 * The directory the lookup order picks, and which rule picked it (source:
 * "$BARETPM_STORE", "$XDG_DATA_HOME", "$HOME", "system store" or "system
 * store (no HOME)"). NULL if it does not fit in buf.
 */
const char *btpm_store_default_dir(char *buf, size_t cap, const char **source);

/*
 * Exclusive advisory lock for a read-modify-write cycle (blocks). Save and
 * delete do not take it themselves. BTPM_E_READONLY on a store not opened
 * for writing, BTPM_E_ARG if st already holds it (not re-entrant).
 */
int btpm_store_lock(struct btpm_store *st);
void btpm_store_unlock(struct btpm_store *st);

int btpm_store_load_global(struct btpm_store *st, struct btpm_store_global *g);
int btpm_store_save_global(struct btpm_store *st, const struct btpm_store_global *g);

/*
 * Serials of every token, sorted; *n set to how many (at most max). With more
 * than max tokens: the max smallest and BTPM_E_TOOBIG.
 */
int btpm_store_list_tokens(struct btpm_store *st, char (*serials)[BTPM_STORE_SERIAL + 1],
			   unsigned max, unsigned *n);
/*
 * tok is overwritten, not freed (free a token loaded before); on failure it
 * is left empty. A serial that is not 16 lowercase hex digits: BTPM_E_ARG.
 */
int btpm_store_load_token(struct btpm_store *st, const char *serial, struct btpm_store_token *tok);
/*
 * Saves refuse (BTPM_E_ARG) what load would refuse: a label over 32 bytes or
 * not UTF-8 or with control characters, an empty sealed blob, a private key
 * without its TPM key, duplicate handles or attribute types, a handle not
 * below next_handle (0 counts as 1), ... The file is then not touched.
 */
int btpm_store_save_token(struct btpm_store *st, const struct btpm_store_token *tok);
int btpm_store_delete_token(struct btpm_store *st, const char *serial);
/* Free what a loaded token holds (objects and attribute values) and wipe it. */
void btpm_store_token_free(struct btpm_store_token *tok);

/*
 * Object helpers. tok->objects belongs to them (fill it only through add or
 * a load): once allocated it has room for BTPM_STORE_MAX_OBJECTS and never
 * moves, so an object pointer stays valid across later adds, until that
 * object or one before it is removed, or the token is freed.
 *
 * add: a zeroed object of class cls with the next handle (never one in use,
 * never 0); NULL when out of memory, at BTPM_STORE_MAX_OBJECTS, or when
 * handles are exhausted.
 */
struct btpm_store_object *btpm_store_object_add(struct btpm_store_token *tok, uint32_t cls);
/* Remove and wipe an object (BTPM_E_NOTFOUND if there is none); its handle is not reused. */
int btpm_store_object_remove(struct btpm_store_token *tok, uint32_t handle);
struct btpm_store_object *btpm_store_object_find(struct btpm_store_token *tok, uint32_t handle);
/* The attribute of that type, or NULL. */
const struct btpm_store_attr *btpm_store_attr_get(const struct btpm_store_object *o, uint32_t type);
/*
 * Set (replace) an attribute value; len 0 allowed. BTPM_E_TOOBIG over
 * BTPM_STORE_ATTR_MAX or beyond BTPM_STORE_MAX_ATTRS attributes, BTPM_E_NOMEM
 * (the old value stays).
 */
int btpm_store_attr_set(struct btpm_store_object *o, uint32_t type, const void *value,
			uint32_t len);

#endif
