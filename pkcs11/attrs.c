/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attribute values of the objects a token holds (v2.40 section 4, Current
 * Mechanisms 2.3 for EC keys). The store keeps what varies (label, ID, EC
 * parameters and point, certificate and data values); everything a TPM key
 * has by construction (sensitive, never extractable, sign only, ...) is
 * derived here when read, so it cannot disagree with what the TPM enforces.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "btpm_crypto.h"
#include "btpm_spki.h"
#include "module.h"

/* DER OIDs of the named curves (RFC 5480, 2.1.1.1). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

/* What a key may do: the mechanisms of crypt.c (CKA_ALLOWED_MECHANISMS). */
static const CK_MECHANISM_TYPE allowed[] = {CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA256,
					    CKM_ECDSA_SHA384, CKM_ECDSA_SHA512};

/* ---- EC encodings ---------------------------------------------------------------- */

const uint8_t *btpm_p11_ec_oid(uint16_t curve, size_t *n)
{
	if (curve == BTPM_ECC_NIST_P256) {
		*n = sizeof(oid_p256);
		return oid_p256;
	}
	if (curve == BTPM_ECC_NIST_P384) {
		*n = sizeof(oid_p384);
		return oid_p384;
	}
	*n = 0;
	return NULL;
}

/*
 * ECParameters (X9.62, RFC 5480): namedCurve OID; v3.0 also allows a curve
 * name as PrintableString, which some tools send to C_GenerateKeyPair.
 */
int btpm_p11_ec_curve(const uint8_t *p, size_t n, uint16_t *curve)
{
	static const struct {
		const char *name;
		uint16_t curve;
	} names[] = {
		{"prime256v1", BTPM_ECC_NIST_P256}, {"secp256r1", BTPM_ECC_NIST_P256},
		{"P-256", BTPM_ECC_NIST_P256},      {"nistp256", BTPM_ECC_NIST_P256},
		{"secp384r1", BTPM_ECC_NIST_P384},  {"P-384", BTPM_ECC_NIST_P384},
		{"nistp384", BTPM_ECC_NIST_P384},
	};
	if (!p)
		return -1;
	if (n == sizeof(oid_p256) && !memcmp(p, oid_p256, n)) {
		*curve = BTPM_ECC_NIST_P256;
		return 0;
	}
	if (n == sizeof(oid_p384) && !memcmp(p, oid_p384, n)) {
		*curve = BTPM_ECC_NIST_P384;
		return 0;
	}
	if (n < 3 || p[0] != 0x13 || p[1] != n - 2) /* PrintableString, short length */
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n - 2 &&
		    !strncasecmp((const char *)p + 2, names[i].name, n - 2)) {
			*curve = names[i].curve;
			return 0;
		}
	return -1;
}

/* CKA_EC_POINT: DER OCTET STRING of 04 || x || y (X9.62 uncompressed); short form fits. */
int btpm_p11_ec_point(const uint8_t *p, size_t n, size_t coord, const uint8_t **x,
		      const uint8_t **y)
{
	size_t inner = 1 + 2 * coord;
	if (!p || inner > 127 || n != 2 + inner || p[0] != 0x04 || p[1] != inner || p[2] != 0x04)
		return -1;
	*x = p + 3;
	*y = p + 3 + coord;
	return 0;
}

CK_RV btpm_p11_ec_key(const struct btpm_store_object *o, uint16_t *curve, size_t *coord,
		      const uint8_t **x, const uint8_t **y)
{
	const struct btpm_store_attr *par = btpm_store_attr_get(o, (uint32_t)CKA_EC_PARAMS);
	const struct btpm_store_attr *pt = btpm_store_attr_get(o, (uint32_t)CKA_EC_POINT);
	if (!par || !pt || btpm_p11_ec_curve(par->value, par->len, curve))
		return CKR_KEY_TYPE_INCONSISTENT;
	*coord = (size_t)btpm_ecc_coord_size(*curve);
	if (!*coord || btpm_p11_ec_point(pt->value, pt->len, *coord, x, y))
		return CKR_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

/* ---- values ------------------------------------------------------------------------- */

static CK_RV val_bytes(struct p11_val *v, const void *p, size_t n)
{
	v->p = p ? p : v->buf;
	v->n = n;
	return CKR_OK;
}

static CK_RV val_bool(struct p11_val *v, int b)
{
	v->buf[0] = b ? CK_TRUE : CK_FALSE;
	return val_bytes(v, v->buf, sizeof(CK_BBOOL));
}

static CK_RV val_ulong(struct p11_val *v, CK_ULONG x)
{
	memcpy(v->buf, &x, sizeof(x));
	return val_bytes(v, v->buf, sizeof(x));
}

/* The stored value, or def (NULL: the empty value) when there is none. */
static CK_RV val_stored(struct p11_val *v, const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t)
{
	const struct btpm_store_attr *a = btpm_store_attr_get(o, (uint32_t)t);
	return a ? val_bytes(v, a->value, a->len) : val_bytes(v, NULL, 0);
}

static int stored_bool(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t, int def)
{
	const struct btpm_store_attr *a = btpm_store_attr_get(o, (uint32_t)t);
	return a && a->len == 1 ? a->value[0] != 0 : def;
}

/* X.509 SubjectPublicKeyInfo from the EC parameters and point (CKA_PUBLIC_KEY_INFO). */
static CK_RV val_spki(struct p11_val *v, const struct btpm_store_object *o)
{
	uint16_t curve;
	size_t coord, n = 0;
	const uint8_t *x, *y;
	if (btpm_p11_ec_key(o, &curve, &coord, &x, &y) ||
	    btpm_ecc_spki_der(curve, x, y, coord, v->buf, sizeof(v->buf), &n))
		return val_bytes(v, NULL, 0);
	return val_bytes(v, v->buf, n);
}

static CK_RV key_attr(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t, struct p11_val *v)
{
	int local = o->cls == CKO_PRIVATE_KEY || stored_bool(o, CKA_LOCAL, 1);
	switch (t) {
	case CKA_KEY_TYPE:
		return val_ulong(v, CKK_EC);
	case CKA_ID:
	case CKA_SUBJECT:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_EC_PARAMS:
	case CKA_EC_POINT:
		return val_stored(v, o, t);
	case CKA_DERIVE:
		return val_bool(v, 0);
	case CKA_LOCAL:
		return val_bool(v, local);
	case CKA_KEY_GEN_MECHANISM:
		return val_ulong(v, local ? CKM_EC_KEY_PAIR_GEN : CK_UNAVAILABLE_INFORMATION);
	case CKA_ALLOWED_MECHANISMS:
		return val_bytes(v, allowed, sizeof(allowed));
	case CKA_PUBLIC_KEY_INFO:
		return val_spki(v, o);
	}
	return CKR_ATTRIBUTE_TYPE_INVALID;
}

static CK_RV public_attr(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t, struct p11_val *v)
{
	switch (t) {
	case CKA_VERIFY:
		return val_bool(v, 1);
	case CKA_ENCRYPT:
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP:
	case CKA_TRUSTED:
		return val_bool(v, 0);
	}
	return key_attr(o, t, v);
}

/* A TPM key: signs, never leaves the TPM, needs no re-authentication per use. */
static CK_RV private_attr(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t,
			  struct p11_val *v)
{
	switch (t) {
	case CKA_SIGN:
	case CKA_SENSITIVE:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE:
		return val_bool(v, 1);
	case CKA_DECRYPT:
	case CKA_SIGN_RECOVER:
	case CKA_UNWRAP:
	case CKA_EXTRACTABLE:
	case CKA_WRAP_WITH_TRUSTED:
	case CKA_ALWAYS_AUTHENTICATE:
		return val_bool(v, 0);
	case CKA_VALUE: /* the private scalar */
		return CKR_ATTRIBUTE_SENSITIVE;
	}
	return key_attr(o, t, v);
}

static CK_RV cert_attr(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t, struct p11_val *v)
{
	const struct btpm_store_attr *a;
	switch (t) {
	case CKA_CERTIFICATE_TYPE:
		return val_ulong(v, CKC_X_509);
	case CKA_TRUSTED:
		return val_bool(v, 0);
	case CKA_CERTIFICATE_CATEGORY:
		return val_ulong(v, CK_CERTIFICATE_CATEGORY_UNSPECIFIED);
	case CKA_JAVA_MIDP_SECURITY_DOMAIN:
		return val_ulong(v, 0);
	case CKA_NAME_HASH_ALGORITHM:
		return val_ulong(v, CKM_SHA_1);
	case CKA_CHECK_VALUE: /* v2.40 4.6.3: the first 3 bytes of SHA-1(CKA_VALUE) */
		a = btpm_store_attr_get(o, (uint32_t)CKA_VALUE);
		if (!a || !a->len || btpm_hash(BTPM_ALG_SHA1, a->value, a->len, v->buf))
			return val_bytes(v, NULL, 0);
		return val_bytes(v, v->buf, 3);
	case CKA_SUBJECT:
	case CKA_ID:
	case CKA_ISSUER:
	case CKA_SERIAL_NUMBER:
	case CKA_VALUE:
	case CKA_URL:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_PUBLIC_KEY_INFO:
		return val_stored(v, o, t);
	}
	return CKR_ATTRIBUTE_TYPE_INVALID;
}

static CK_RV data_attr(const struct btpm_store_object *o, CK_ATTRIBUTE_TYPE t, struct p11_val *v)
{
	switch (t) {
	case CKA_APPLICATION:
	case CKA_OBJECT_ID:
	case CKA_VALUE:
		return val_stored(v, o, t);
	}
	return CKR_ATTRIBUTE_TYPE_INVALID;
}

int btpm_p11_is_private(const struct btpm_store_object *o)
{
	return o->cls == CKO_PRIVATE_KEY;
}

CK_RV btpm_p11_attr(const struct btpm_store_object *o, int token, CK_ATTRIBUTE_TYPE t,
		    struct p11_val *v)
{
	switch (t) {
	case CKA_CLASS:
		return val_ulong(v, o->cls);
	case CKA_TOKEN:
		return val_bool(v, token);
	case CKA_PRIVATE:
		return val_bool(v, btpm_p11_is_private(o));
	case CKA_MODIFIABLE:
	case CKA_DESTROYABLE:
		return val_bool(v, 1);
	case CKA_COPYABLE: /* C_CopyObject is not offered */
		return val_bool(v, 0);
	case CKA_LABEL:
		return val_stored(v, o, t);
	}
	CK_RV rv = CKR_ATTRIBUTE_TYPE_INVALID;
	switch (o->cls) {
	case CKO_PRIVATE_KEY:
		rv = private_attr(o, t, v);
		break;
	case CKO_PUBLIC_KEY:
		rv = public_attr(o, t, v);
		break;
	case CKO_CERTIFICATE:
		rv = cert_attr(o, t, v);
		break;
	case CKO_DATA:
		rv = data_attr(o, t, v);
		break;
	}
	/* an attribute another tool stored that this table does not know */
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID && t <= UINT32_MAX &&
	    btpm_store_attr_get(o, (uint32_t)t))
		rv = val_stored(v, o, t);
	return rv;
}

/* ---- templates ---------------------------------------------------------------------- */

static int is_bool(CK_ATTRIBUTE_TYPE t)
{
	static const CK_ATTRIBUTE_TYPE b[] = {
		CKA_TOKEN,       CKA_PRIVATE,        CKA_MODIFIABLE,       CKA_COPYABLE,
		CKA_DESTROYABLE, CKA_SENSITIVE,      CKA_ENCRYPT,          CKA_DECRYPT,
		CKA_WRAP,        CKA_UNWRAP,         CKA_SIGN,             CKA_SIGN_RECOVER,
		CKA_VERIFY,      CKA_VERIFY_RECOVER, CKA_DERIVE,           CKA_EXTRACTABLE,
		CKA_LOCAL,       CKA_TRUSTED,        CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
		CKA_WRAP_WITH_TRUSTED, CKA_ALWAYS_AUTHENTICATE,
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (b[i] == t)
			return 1;
	return 0;
}

static int is_ulong(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_CLASS || t == CKA_KEY_TYPE || t == CKA_CERTIFICATE_TYPE ||
	       t == CKA_CERTIFICATE_CATEGORY || t == CKA_KEY_GEN_MECHANISM ||
	       t == CKA_JAVA_MIDP_SECURITY_DOMAIN || t == CKA_NAME_HASH_ALGORITHM;
}

/* Attributes only the token sets (v2.40 4.x, footnotes 2, 4 and 6 of the tables). */
static int is_token_set(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_LOCAL || t == CKA_ALWAYS_SENSITIVE || t == CKA_NEVER_EXTRACTABLE ||
	       t == CKA_KEY_GEN_MECHANISM || t == CKA_ALLOWED_MECHANISMS || t == CKA_CHECK_VALUE;
}

/* Equal values; a CK_BBOOL compares by truth, as applications write 0xFF for true too. */
static int same(CK_ATTRIBUTE_TYPE t, const void *a, size_t an, const void *b, size_t bn)
{
	if (is_bool(t) && an == 1 && bn == 1)
		return !*(const CK_BBOOL *)a == !*(const CK_BBOOL *)b;
	return an == bn && (!an || !memcmp(a, b, an));
}

int btpm_p11_match(const struct btpm_store_object *o, int token, const CK_ATTRIBUTE *tmpl,
		   CK_ULONG n)
{
	struct p11_val v;
	for (CK_ULONG i = 0; i < n; i++) {
		if (btpm_p11_attr(o, token, tmpl[i].type, &v) != CKR_OK)
			return 0;
		if (!same(tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen, v.p, v.n))
			return 0;
	}
	return 1;
}

CK_RV btpm_p11_check_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	if (n && !tmpl)
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++)
		if (!tmpl[i].pValue && tmpl[i].ulValueLen)
			return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

const CK_ATTRIBUTE *btpm_p11_find_attr(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (tmpl[i].type == t)
			return &tmpl[i];
	return NULL;
}

CK_RV btpm_p11_bool(const CK_ATTRIBUTE *a, int *out)
{
	if (a->ulValueLen != sizeof(CK_BBOOL))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*out = *(const CK_BBOOL *)a->pValue != CK_FALSE;
	return CKR_OK;
}

CK_RV btpm_p11_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out)
{
	if (a->ulValueLen != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, a->pValue, sizeof(*out));
	return CKR_OK;
}

static int listed(const CK_ATTRIBUTE_TYPE *list, size_t n, CK_ATTRIBUTE_TYPE t)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == t)
			return 1;
	return 0;
}

/* v2.40 4.1.1 (creating objects): the rules, in the order the errors are reported. */
CK_RV btpm_p11_apply_template(struct btpm_store_object *o, int token, const CK_ATTRIBUTE *tmpl,
			      CK_ULONG n, const CK_ATTRIBUTE_TYPE *settable, size_t nsettable)
{
	for (CK_ULONG i = 0; i < n; i++)
		for (CK_ULONG j = i + 1; j < n; j++)
			if (tmpl[i].type == tmpl[j].type &&
			    !same(tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen, tmpl[j].pValue,
				  tmpl[j].ulValueLen))
				return CKR_TEMPLATE_INCONSISTENT;
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = &tmpl[i];
		if (!listed(settable, nsettable, a->type))
			continue;
		if ((is_bool(a->type) && a->ulValueLen != sizeof(CK_BBOOL)) ||
		    (is_ulong(a->type) && a->ulValueLen != sizeof(CK_ULONG)))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (a->ulValueLen > BTPM_STORE_ATTR_MAX)
			return CKR_DEVICE_MEMORY; /* the store's limit for one value */
		int rc = btpm_store_attr_set(o, (uint32_t)a->type, a->pValue,
					     (uint32_t)a->ulValueLen);
		if (rc == BTPM_E_NOMEM)
			return CKR_HOST_MEMORY;
		if (rc)
			return CKR_DEVICE_MEMORY; /* more attributes than an object may have */
	}
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = &tmpl[i];
		struct p11_val v;
		if (listed(settable, nsettable, a->type))
			continue;
		CK_RV rv = btpm_p11_attr(o, token, a->type, &v);
		if (rv == CKR_ATTRIBUTE_SENSITIVE)
			return CKR_ATTRIBUTE_READ_ONLY; /* e.g. CKA_VALUE of a key made in the TPM */
		if (rv != CKR_OK)
			return rv;
		if (same(a->type, a->pValue, a->ulValueLen, v.p, v.n))
			continue; /* asks for what the object has anyway */
		return is_token_set(a->type) ? CKR_ATTRIBUTE_READ_ONLY : CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}
