/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PKCS#11 templates and attribute handling through the module's function
 * list: C_CreateObject, C_FindObjectsInit/C_FindObjects, C_GetAttributeValue,
 * C_SetAttributeValue, C_GenerateKeyPair, C_DestroyObject, C_GetObjectSize.
 *
 * The store (BARETPM_STORE) is a private directory holding one token with a
 * private key, a public key, a certificate, a data object and an object of a
 * vendor class, its file written as text (docs/store-format.md) and restored
 * before every input. BARETPM_TCTI names a closed port: there is no TPM, so
 * whatever needs one (C_GenerateKeyPair after its templates passed) fails
 * with a device error. Each input runs C_Initialize ... C_Finalize, after
 * which the token file must still load.
 *
 * Input: [flags] then operations until the input ends (at most MAX_OPS).
 *   flags bit 0: mark the user logged in (see login()), bit 1: R/W session,
 *   bit 2: the session is on the empty slot instead of the token
 *   op: [kind] and its arguments (kind mod 7):
 *     0 CreateObject(template)            1 FindObjects(template, [batch])
 *     2 GetAttributeValue(obj, template)  3 SetAttributeValue(obj, template)
 *     4 GenerateKeyPair([mech], template, template)
 *     5 DestroyObject(obj)                6 GetObjectSize(obj)
 *   obj: [i]: the i-th handle known (found at the start, or created since);
 *     0xFF: a raw 32-bit handle follows
 *   template: [count] then count (mod MAX_ATTRS + 1) attributes:
 *     type: [t]: t < NTYPES an entry of types[], 0xFF a 32-bit type follows,
 *       0xFE a 64-bit one, else t itself
 *     length: [l]: 0xFF NULL pointer, length 0; 0xFE NULL pointer with length 1
 *       (a bad argument); 0xFD a 16-bit length follows; else l
 *     value: that many bytes (zeros once the input ends); for
 *       C_GetAttributeValue a buffer of that size instead
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baretpm.h"
#include "baretpm_pkcs11.h"
#include "common.h"
#include "module.h"

#define SERIAL "0123456789abcdef"
#define MAX_OPS 24
#define MAX_ATTRS 16
#define MAX_KNOWN 64

/* P-256 (prime256v1) namedCurve OID and the base point as a DER OCTET STRING. */
#define OID_P256 "06082a8648ce3d030107"
#define POINT_P256                                                                                 \
	"044104"                                                                                   \
	"6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"                         \
	"4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

static const uint8_t p256_gx[32] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
static const uint8_t p256_gy[32] = {
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

static const char token_text[] =
	"baretpm-token 1\n"
	"serial " SERIAL "\n"
	"label \"fuzz token\"\n"
	"user-pin-set 1\n"
	"next-handle 6\n"
	"so-salt 000102030405060708090a0b0c0d0e0f\n"
	"so-public 000102\n"
	"so-private aaab\n"
	"user-salt 101112131415161718191a1b1c1d1e1f\n"
	"user-public 03\n"
	"user-private cc\n"
	"object 1 0x00000003\n"
	"tpm-public 0023000b\n"
	"tpm-private 03\n"
	"auth-iv 202122232425262728292a2b\n"
	"auth-ct 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n"
	"auth-tag 606162636465666768696a6b6c6d6e6f\n"
	"attr 0x00000003 6b6579\n"
	"attr 0x00000102 01\n"
	"attr 0x00000180 " OID_P256 "\n"
	"attr 0x00000181 " POINT_P256 "\n"
	"end\n"
	"object 2 0x00000002\n"
	"attr 0x00000003 6b6579\n"
	"attr 0x00000102 01\n"
	"attr 0x00000180 " OID_P256 "\n"
	"attr 0x00000181 " POINT_P256 "\n"
	"end\n"
	"object 3 0x00000001\n"
	"attr 0x00000003 63657274\n"
	"attr 0x00000011 3003020101\n"
	"attr 0x00000101 300b3109300706035504030c0078\n"
	"attr 0x00000102 01\n"
	"end\n"
	"object 4 0x00000000\n"
	"attr 0x00000003 64617461\n"
	"attr 0x00000010 617070\n"
	"attr 0x00000011 76616c7565\n"
	"end\n"
	"object 5 0x80000001\n"
	"attr 0x00000003 76656e646f72\n"
	"attr 0x80000002 00\n"
	"attr 0x00000102\n"
	"end\n";

static const CK_ATTRIBUTE_TYPE types[] = {
	CKA_CLASS,          CKA_TOKEN,          CKA_PRIVATE,         CKA_LABEL,
	CKA_APPLICATION,    CKA_VALUE,          CKA_OBJECT_ID,       CKA_CERTIFICATE_TYPE,
	CKA_ISSUER,         CKA_SERIAL_NUMBER,  CKA_TRUSTED,         CKA_CERTIFICATE_CATEGORY,
	CKA_CHECK_VALUE,    CKA_KEY_TYPE,       CKA_SUBJECT,         CKA_ID,
	CKA_SENSITIVE,      CKA_SIGN,           CKA_VERIFY,          CKA_DERIVE,
	CKA_START_DATE,     CKA_END_DATE,       CKA_PUBLIC_KEY_INFO, CKA_EXTRACTABLE,
	CKA_LOCAL,          CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_KEY_GEN_MECHANISM,
	CKA_MODIFIABLE,     CKA_COPYABLE,       CKA_DESTROYABLE,     CKA_EC_PARAMS,
	CKA_EC_POINT,       CKA_ALWAYS_AUTHENTICATE, CKA_ALLOWED_MECHANISMS, CKA_URL,
	CKA_UNIQUE_ID,      CKA_VENDOR_DEFINED,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static CK_FUNCTION_LIST_PTR F;
static int verbose; /* FUZZ_VERBOSE=1: each operation's outcome (to check the seeds) */
static char why[768];
static char token_path[600];
static struct btpm_store check_store; /* to read the token file as the next process would */

struct tmpl {
	CK_ATTRIBUTE a[MAX_ATTRS];
	CK_ULONG cap[MAX_ATTRS]; /* bytes allocated behind a[i].pValue */
	CK_ULONG n;
};

struct run {
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE known[MAX_KNOWN];
	unsigned nknown;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "fuzz_p11_attrs: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = fuzz_tmpdir("fuzz_p11_attrs");
	char path[600], conf[3000];
	struct btpm_public srk;
	if (!dir || btpm_template_srk(&srk) || srk.size < 68)
		die("no store directory");
	/* the pinned SRK needs a point on the curve (the salt is computed before any I/O) */
	memcpy(srk.area + srk.size - 66, p256_gx, 32);
	memcpy(srk.area + srk.size - 32, p256_gy, 32);
	int n = snprintf(conf, sizeof(conf), "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public ");
	for (unsigned i = 0; i < srk.size; i++)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n, "%02x", srk.area[i]);
	n += snprintf(conf + n, sizeof(conf) - (size_t)n, "\n");
	snprintf(path, sizeof(path), "%s/baretpm.conf", dir);
	if (fuzz_write_file(path, conf, (size_t)n))
		die("cannot write baretpm.conf");
	snprintf(path, sizeof(path), "%s/tokens", dir);
	if (mkdir(path, 0700))
		die("cannot make tokens/");
	snprintf(token_path, sizeof(token_path), "%s/" SERIAL ".token", path);
	if (btpm_store_open(&check_store, dir, 0))
		die("cannot open the store");
	setenv("BARETPM_STORE", dir, 1);
	setenv("BARETPM_TCTI", "swtpm:host=127.0.0.1,port=1", 1);
	unsetenv("BARETPM_DEBUG");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (btpm_pkcs11_get_function_list(&F) != CKR_OK)
		die("no function list");
	return 0;
}

static CK_ATTRIBUTE_TYPE read_type(struct fuzz_in *in)
{
	uint8_t t = fuzz_u8(in);
	if (t < NTYPES)
		return types[t];
	if (t == 0xFF)
		return fuzz_u32(in);
	if (t == 0xFE) {
		CK_ATTRIBUTE_TYPE hi = fuzz_u32(in);
		return (CK_ATTRIBUTE_TYPE)(hi << 16 << 16 | fuzz_u32(in));
	}
	return t;
}

/* output: value buffers for C_GetAttributeValue (left uninitialized-looking). */
static void read_template(struct fuzz_in *in, struct tmpl *t, int output)
{
	t->n = fuzz_u8(in) % (MAX_ATTRS + 1);
	for (CK_ULONG i = 0; i < t->n; i++) {
		CK_ATTRIBUTE *a = &t->a[i];
		a->type = read_type(in);
		uint8_t l = fuzz_u8(in);
		a->pValue = NULL;
		t->cap[i] = 0;
		if (l == 0xFF || l == 0xFE) {
			a->ulValueLen = l == 0xFE;
			continue;
		}
		size_t len = l == 0xFD ? fuzz_u16(in) : l, got;
		/* exactly len bytes (one for len 0, so the pointer is real): ASan guards the end */
		uint8_t *v = malloc(len ? len : 1);
		if (!v)
			die("out of memory");
		if (output) {
			memset(v, 0xA5, len ? len : 1);
		} else {
			const uint8_t *p = fuzz_bytes(in, len, &got);
			memcpy(v, p, got);
			memset(v + got, 0, len - got);
		}
		a->pValue = v;
		a->ulValueLen = len;
		t->cap[i] = len;
	}
}

static void free_template(struct tmpl *t)
{
	for (CK_ULONG i = 0; i < t->n; i++)
		free(t->a[i].pValue);
	t->n = 0;
}

static CK_OBJECT_HANDLE read_object(struct fuzz_in *in, const struct run *r)
{
	uint8_t i = fuzz_u8(in);
	if (i == 0xFF)
		return fuzz_u32(in);
	return r->nknown ? r->known[i % r->nknown] : i;
}

static void learn(struct run *r, CK_OBJECT_HANDLE h)
{
	if (r->nknown < MAX_KNOWN)
		r->known[r->nknown++] = h;
}

static CK_RV op_create(struct fuzz_in *in, struct run *r)
{
	struct tmpl t;
	CK_OBJECT_HANDLE h;
	read_template(in, &t, 0);
	CK_RV rv = F->C_CreateObject(r->h, t.a, t.n, &h);
	if (rv == CKR_OK)
		learn(r, h);
	free_template(&t);
	return rv;
}

static CK_RV op_find(struct fuzz_in *in, struct run *r)
{
	struct tmpl t;
	read_template(in, &t, 0);
	CK_ULONG batch = 1u + fuzz_u8(in) % 8, got;
	CK_OBJECT_HANDLE found[8];
	CK_RV rv = F->C_FindObjectsInit(r->h, t.a, t.n);
	if (rv == CKR_OK) {
		while (F->C_FindObjects(r->h, found, batch, &got) == CKR_OK && got) {
			if (got > batch)
				die("C_FindObjects returned more handles than asked for");
			for (CK_ULONG i = 0; i < got; i++)
				learn(r, found[i]);
		}
		F->C_FindObjectsFinal(r->h);
	}
	free_template(&t);
	return rv;
}

static CK_RV op_get(struct fuzz_in *in, struct run *r)
{
	struct tmpl t;
	CK_OBJECT_HANDLE h = read_object(in, r);
	read_template(in, &t, 1);
	CK_RV rv = F->C_GetAttributeValue(r->h, h, t.a, t.n);
	/* v2.40 5.7: a length is the value's, or CK_UNAVAILABLE_INFORMATION; never over the buffer */
	for (CK_ULONG i = 0; i < t.n; i++)
		if (t.a[i].pValue && t.a[i].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
		    t.a[i].ulValueLen > t.cap[i])
			die("C_GetAttributeValue reports more bytes than the buffer holds");
	free_template(&t);
	return rv;
}

static CK_RV op_set(struct fuzz_in *in, struct run *r)
{
	struct tmpl t;
	CK_OBJECT_HANDLE h = read_object(in, r);
	read_template(in, &t, 0);
	CK_RV rv = F->C_SetAttributeValue(r->h, h, t.a, t.n);
	free_template(&t);
	return rv;
}

static CK_RV op_keygen(struct fuzz_in *in, struct run *r)
{
	static const CK_MECHANISM_TYPE mechs[] = {CKM_EC_KEY_PAIR_GEN, 0 /* CKM_RSA_PKCS_KEY_PAIR_GEN */};
	uint8_t m = fuzz_u8(in);
	CK_BYTE param = 0;
	CK_MECHANISM mech = {mechs[m & 1], m & 2 ? &param : NULL, m & 2 ? 1 : 0};
	struct tmpl pub, priv;
	CK_OBJECT_HANDLE hpub, hpriv;
	read_template(in, &pub, 0);
	read_template(in, &priv, 0);
	CK_RV rv = F->C_GenerateKeyPair(r->h, &mech, pub.a, pub.n, priv.a, priv.n, &hpub, &hpriv);
	if (rv == CKR_OK)
		die("C_GenerateKeyPair succeeded without a TPM");
	free_template(&pub);
	free_template(&priv);
	return rv;
}

static CK_RV op_destroy(struct fuzz_in *in, struct run *r)
{
	return F->C_DestroyObject(r->h, read_object(in, r));
}

static CK_RV op_size(struct fuzz_in *in, struct run *r)
{
	CK_ULONG n;
	return F->C_GetObjectSize(r->h, read_object(in, r), &n);
}

static CK_RV (*const ops[])(struct fuzz_in *, struct run *) = {
	op_create, op_find, op_get, op_set, op_keygen, op_destroy, op_size,
};

/*
 * Logging in needs the TPM (the PIN unseals the token secret). To reach what
 * a logged-in user can do with templates (private objects visible,
 * C_GenerateKeyPair's checks), the harness marks the token's login state as
 * the module would after C_Login, without a secret or a TPM session.
 */
static void login(CK_SLOT_ID slot)
{
	struct p11_slot *sl = slot <= P11_EMPTY_SLOT ? btpm_p11_g.slots[slot] : NULL;
	if (!sl || !sl->serial[0])
		return;
	sl->login.who = BTPM_TOK_USER;
	snprintf(sl->login.serial, sizeof(sl->login.serial), "%s", sl->serial);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct run r = {0};
	uint8_t flags = fuzz_u8(&in);
	CK_SLOT_ID slots[P11_MAX_SLOTS + 1];
	CK_ULONG nslots = P11_MAX_SLOTS + 1;
	if (fuzz_write_file(token_path, token_text, sizeof(token_text) - 1))
		die("cannot restore the token file");
	if (F->C_Initialize(NULL) != CKR_OK)
		die("C_Initialize failed");
	if (F->C_GetSlotList(CK_FALSE, slots, &nslots) != CKR_OK || nslots < 2)
		die("the token's slot is missing");
	CK_SLOT_ID slot = flags & 4 ? slots[nslots - 1] : slots[0];
	CK_FLAGS sflags = CKF_SERIAL_SESSION | (flags & 2 ? CKF_RW_SESSION : 0);
	if (F->C_OpenSession(slot, sflags, NULL, NULL, &r.h) != CKR_OK)
		die("C_OpenSession failed");
	if (flags & 1)
		login(slot);
	CK_OBJECT_HANDLE found[MAX_KNOWN];
	CK_ULONG got = 0;
	if (F->C_FindObjectsInit(r.h, NULL, 0) == CKR_OK) {
		F->C_FindObjects(r.h, found, MAX_KNOWN, &got);
		F->C_FindObjectsFinal(r.h);
	}
	for (CK_ULONG i = 0; i < got; i++)
		learn(&r, found[i]);
	for (unsigned k = 0; k < MAX_OPS && in.n; k++) {
		unsigned op = fuzz_u8(&in) % (unsigned)(sizeof(ops) / sizeof(ops[0]));
		CK_RV rv = ops[op](&in, &r);
		if (verbose)
			fprintf(stderr, "op %u: 0x%lx %s\n", op, rv,
				rv == CKR_OK ? "" : btpm_pkcs11_last_error(why, sizeof(why)));
	}
	if (F->C_Finalize(NULL) != CKR_OK)
		die("C_Finalize failed");
	/* whatever the module wrote, the token file still loads */
	struct btpm_store_token tok;
	if (btpm_store_load_token(&check_store, SERIAL, &tok)) {
		fprintf(stderr, "%s\n", check_store.error);
		die("the module left a token file that does not load");
	}
	btpm_store_token_free(&tok);
	return 0;
}
