/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the PKCS#11 module, shared by its files and by nothing else.
 *
 *   module.c    global state, C_Initialize/C_Finalize/C_GetInfo, locking,
 *               fork detection, error mapping, function lists, interfaces
 *   slots.c     slots and tokens (store-backed), mechanisms
 *   sessions.c  the session table, session objects
 *   attrs.c     attribute values (stored or derived), templates, EC encodings
 *   objects.c   C_CreateObject ... C_FindObjectsFinal
 *   crypt.c     sign, verify, digest, random
 *   admin.c     C_InitToken, C_InitPIN, C_SetPIN, C_Login, C_Logout
 *   keygen.c    C_GenerateKeyPair
 *   export.c    the three exported symbols (only in the shared object)
 *
 * Every C_* function is static in its file and reached only through the
 * function lists that module.c assembles from the btpm_p11_fill_* functions.
 * All state lives in btpm_p11_g and is touched only with the module lock held
 * (btpm_p11_enter/btpm_p11_leave).
 */
#ifndef BTPM_P11_MODULE_H
#define BTPM_P11_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "p11.h"
#include "token.h"

/* Slot IDs 0..P11_MAX_SLOTS-1 are tokens; P11_EMPTY_SLOT is the slot for C_InitToken. */
#define P11_MAX_SLOTS 64u
#define P11_EMPTY_SLOT P11_MAX_SLOTS

/*
 * Object handles: token objects are (slot + 1) << 20 | store handle, session
 * objects have bit 31 set as well and a handle from the in-memory table.
 */
#define P11_OBJ_SHIFT 20
#define P11_OBJ_MASK 0xFFFFFul
#define P11_OBJ_SESSION (1ul << 31)

/* How long the TPM's dictionary-attack state is trusted for the PIN flags. */
#define P11_DA_CACHE_NS 2000000000ll

/* Largest input buffered by a multi-part digest, sign or verify. */
#define P11_MAX_DATA (64ul << 20)

#define P11_API __attribute__((visibility("hidden")))

struct p11_slot {
	char serial[BTPM_STORE_SERIAL + 1]; /* "" for the empty slot */
	int present;                        /* listed by the store at the last scan */
	int loaded;                         /* tok holds the file last read */
	struct btpm_store_token tok;
	/* identity of the file tok was read from: reload when it changes */
	dev_t dev;
	ino_t ino;
	long long mtime_ns;
	off_t size;
	struct btpm_tok_login login; /* shared by every session of this token (v2.40 4.x) */
	unsigned long sessions, rw_sessions;
	char file[sizeof(((struct btpm_store *)0)->dir) + 64]; /* its path; "" until needed */
};

/* A running operation; the buffers hold input until the final call. */
struct p11_op {
	int active;
	CK_MECHANISM_TYPE mech;
	unsigned slot;
	uint32_t object;   /* store handle of the key (sign) */
	uint16_t hash;     /* TPM_ALG_ID of the software hash, 0 for raw ECDSA input */
	uint16_t curve;
	size_t coord;      /* coordinate size of the curve */
	uint8_t x[48], y[48]; /* verify: the public point */
	int multi;         /* an Update was called */
	uint8_t *buf;
	size_t len, cap;
};

struct p11_find {
	int active;
	CK_OBJECT_HANDLE *handles;
	size_t n, next;
};

struct p11_session {
	CK_SESSION_HANDLE handle;
	unsigned slot;
	CK_FLAGS flags;
	struct p11_find find;
	struct p11_op sign, verify, digest;
};

/* Which session owns a session object (CKA_TOKEN false). */
struct p11_sobj {
	uint32_t object;
	unsigned slot;
	CK_SESSION_HANDLE owner;
};

struct p11_global {
	struct btpm_tok_ctx ctx;
	int store_open;           /* ctx holds an open store */
	struct p11_slot *slots[P11_MAX_SLOTS + 1];
	unsigned nslots;          /* token slots ever assigned */
	struct p11_session **sessions;
	size_t nsessions, cap_sessions;
	CK_SESSION_HANDLE next_session;
	struct btpm_store_token sobj_tok; /* the session objects' attributes */
	struct p11_sobj *sobj;
	size_t nsobj, cap_sobj;
	/* the TPM's dictionary-attack state, cached for the PIN flags */
	int da_valid, da_rc;
	long long da_at;
	uint32_t da_failures, da_max;
	int da_locked;
	unsigned long commands_closed; /* TPM commands of connections closed before */
	int debug;                     /* BARETPM_DEBUG=1: errors to stderr */
	int told_no_store; /* BARETPM_DEBUG said once that there is no store */
	char last_error[768];
};

extern struct p11_global btpm_p11_g P11_API;

/* ---- module.c ---------------------------------------------------------- */

/* Take the lock after checking initialization (and fork); CKR_OK with the lock held. */
P11_API CK_RV btpm_p11_enter(void);
P11_API void btpm_p11_leave(void);
/* btpm_p11_enter plus the session lookup; on failure the lock is not held. */
P11_API CK_RV btpm_p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **s);
/* Record why a call fails (for tests and BARETPM_DEBUG); returns rv. */
P11_API CK_RV btpm_p11_fail(CK_RV rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Map a baretpm return code to a CK_RV, recording the reason: transport
 * errors give CKR_DEVICE_ERROR or CKR_DEVICE_REMOVED, store problems
 * CKR_DEVICE_ERROR (CKR_TOKEN_WRITE_PROTECTED for a read-only store), TPM
 * codes CKR_DEVICE_ERROR unless the caller maps them first.
 */
P11_API CK_RV btpm_p11_rv(int rc, const char *what);
/* TPM commands sent by this module instance (a diagnostic for budgets). */
P11_API unsigned long btpm_p11_commands(void);
/* Monotonic clock in nanoseconds. */
P11_API long long btpm_p11_now(void);
/* Space-pad a UTF-8 string into a fixed PKCS#11 text field. */
P11_API void btpm_p11_pad(CK_UTF8CHAR *field, size_t size, const char *s);

/* ---- slots.c ----------------------------------------------------------- */

/* Open the store if it is not (no TPM command); CKR_OK also when there is none yet. */
P11_API CK_RV btpm_p11_store_ready(void);
/* Make the store writable (reopening it for writing); creates it when create is set. */
P11_API CK_RV btpm_p11_store_writable(int create);
/* Rescan the store's token list; slots of new tokens get the next free IDs. */
P11_API CK_RV btpm_p11_slots_refresh(void);
/* The slot of a slot ID (token slots: the token must be present), or NULL. */
P11_API struct p11_slot *btpm_p11_slot(CK_SLOT_ID id);
/* Read the token file again if it changed since it was read (force: always). */
P11_API CK_RV btpm_p11_slot_load(struct p11_slot *sl, int force);
/* Replace the slot's token by tok (taking ownership of its objects). */
P11_API void btpm_p11_slot_set(struct p11_slot *sl, struct btpm_store_token *tok);
/* Forget the cached dictionary-attack state (after a PIN was tried). */
P11_API void btpm_p11_da_invalidate(void);
/*
 * Flush keys this process loaded: one (serial, object), or all (serial NULL),
 * e.g. to make room when the TPM answers TPM_RC_OBJECT_MEMORY (swtpm holds
 * three objects); they are loaded again on their next use. Returns how many.
 */
P11_API int btpm_p11_flush_keys(const char *serial, uint32_t object);
/* 1 if rc is TPM_RC_OBJECT_MEMORY and keys could be flushed to make room: try again. */
P11_API int btpm_p11_retry_for_room(int rc);
/* Log the token out (flushes its TPM session and keys). */
P11_API void btpm_p11_slot_logout(struct p11_slot *sl);
P11_API void btpm_p11_fill_slots(CK_FUNCTION_LIST_3_0 *f);
/* Free every slot (C_Finalize); tpm: also log out through the TPM. */
P11_API void btpm_p11_slots_free(int tpm);

/* ---- sessions.c -------------------------------------------------------- */

P11_API struct p11_session *btpm_p11_session(CK_SESSION_HANDLE h);
/* The session's state (CKS_*) from its token's login. */
P11_API CK_STATE btpm_p11_session_state(const struct p11_session *s);
P11_API void btpm_p11_op_end(struct p11_op *op);
/* Add a session object owned by s; returns its object or NULL (out of memory). */
P11_API struct btpm_store_object *btpm_p11_sobj_add(struct p11_session *s, uint32_t cls);
P11_API struct p11_sobj *btpm_p11_sobj_meta(uint32_t object);
P11_API void btpm_p11_sobj_remove(uint32_t object);
/* Free every session and session object (C_Finalize, or a forked child). */
P11_API void btpm_p11_sessions_free(void);
P11_API void btpm_p11_fill_sessions(CK_FUNCTION_LIST_3_0 *f);

/* ---- attrs.c ----------------------------------------------------------- */

/* What an object handle resolved to (pointers valid until the token is reloaded). */
struct p11_obj {
	CK_OBJECT_HANDLE handle;
	unsigned slot;
	int token;                    /* CKA_TOKEN */
	struct btpm_store_object *o;
};

/* Space for a derived attribute value (SPKI of a P-384 key is the largest). */
#define P11_VAL_MAX 160
struct p11_val {
	const uint8_t *p;
	size_t n;
	uint8_t buf[P11_VAL_MAX];
};

/*
 * The value of attribute t of an object: stored, or derived from its class
 * (the constant attributes of a TPM key are never stored). Returns CKR_OK,
 * CKR_ATTRIBUTE_TYPE_INVALID or CKR_ATTRIBUTE_SENSITIVE.
 */
P11_API CK_RV btpm_p11_attr(const struct btpm_store_object *o, int token, CK_ATTRIBUTE_TYPE t,
			    struct p11_val *v);
/* 1 if the object is a private object (visible only to a logged-in user). */
P11_API int btpm_p11_is_private(const struct btpm_store_object *o);
/* 1 if every attribute of the template has exactly this value on the object. */
P11_API int btpm_p11_match(const struct btpm_store_object *o, int token, const CK_ATTRIBUTE *tmpl,
			   CK_ULONG n);
/* A template argument pair is usable (no NULL array with a count, no NULL value with a length). */
P11_API CK_RV btpm_p11_check_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* The first attribute of type t in the template, or NULL. */
P11_API const CK_ATTRIBUTE *btpm_p11_find_attr(const CK_ATTRIBUTE *tmpl, CK_ULONG n,
					       CK_ATTRIBUTE_TYPE t);
/* A CK_BBOOL / CK_ULONG template value; CKR_ATTRIBUTE_VALUE_INVALID if it is not one. */
P11_API CK_RV btpm_p11_bool(const CK_ATTRIBUTE *a, int *out);
P11_API CK_RV btpm_p11_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out);

/*
 * Apply a template to a new object o of its class: attributes in settable
 * are stored, every other one must equal the value the object will have
 * (CKR_ATTRIBUTE_TYPE_INVALID if the class has no such attribute,
 * CKR_ATTRIBUTE_READ_ONLY or CKR_ATTRIBUTE_VALUE_INVALID if it differs).
 */
P11_API CK_RV btpm_p11_apply_template(struct btpm_store_object *o, int token,
				      const CK_ATTRIBUTE *tmpl, CK_ULONG n,
				      const CK_ATTRIBUTE_TYPE *settable, size_t nsettable);

/* CKA_EC_PARAMS (namedCurve OID, or a curve name as PrintableString) to a TPM curve. */
P11_API int btpm_p11_ec_curve(const uint8_t *p, size_t n, uint16_t *curve);
/* The DER OID of a TPM curve. */
P11_API const uint8_t *btpm_p11_ec_oid(uint16_t curve, size_t *n);
/* CKA_EC_POINT (DER OCTET STRING of 04||x||y) to x and y of coord bytes each. */
P11_API int btpm_p11_ec_point(const uint8_t *p, size_t n, size_t coord, const uint8_t **x,
			      const uint8_t **y);
/* The curve, coordinate size and point of an EC key object. */
P11_API CK_RV btpm_p11_ec_key(const struct btpm_store_object *o, uint16_t *curve, size_t *coord,
			      const uint8_t **x, const uint8_t **y);

/* ---- objects.c --------------------------------------------------------- */

/*
 * Resolve an object handle in session s. Private objects of a token the user
 * is not logged in to are reported as CKR_OBJECT_HANDLE_INVALID, unless
 * *hidden is non-NULL, which then tells that case apart.
 */
P11_API CK_RV btpm_p11_object(struct p11_session *s, CK_OBJECT_HANDLE h, struct p11_obj *out,
			      int *hidden);
P11_API CK_OBJECT_HANDLE btpm_p11_handle(unsigned slot, uint32_t object, int session);
/*
 * Change a token file: lock the store, read the token as it is now, let fn
 * change it, save, unlock, and make the result the slot's view. Nothing is
 * saved when fn fails.
 */
typedef CK_RV (*p11_edit_fn)(struct btpm_store_token *tok, void *arg);
P11_API CK_RV btpm_p11_token_edit(struct p11_slot *sl, p11_edit_fn fn, void *arg);
P11_API void btpm_p11_fill_objects(CK_FUNCTION_LIST_3_0 *f);

/* ---- crypt.c / admin.c / keygen.c -------------------------------------------- */

P11_API void btpm_p11_fill_crypt(CK_FUNCTION_LIST_3_0 *f);
P11_API void btpm_p11_fill_admin(CK_FUNCTION_LIST_3_0 *f);
P11_API void btpm_p11_fill_keygen(CK_FUNCTION_LIST_3_0 *f);
/* The mechanism's TPM hash (0 for CKM_ECDSA), or -1 if it is no ECDSA mechanism. */
P11_API int btpm_p11_ecdsa_hash(CK_MECHANISM_TYPE m);

#endif
