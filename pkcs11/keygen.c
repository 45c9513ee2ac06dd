/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * C_GenerateKeyPair with CKM_EC_KEY_PAIR_GEN (Current Mechanisms 2.3.5): an
 * ECC signing key made in the TPM (btpm_tok_keygen), stored as a private and
 * a public token object.
 *
 * Templates are checked completely before the TPM is asked for anything.
 * The curve comes from CKA_EC_PARAMS (namedCurve OID or curve name, public
 * template, else private). The label and ID given for one half serve for the
 * other too unless it has its own. Without any CKA_ID both halves get the
 * SHA-1 of the uncompressed point 04||x||y, the ID OpenSC derives for keys it
 * makes, so `pkcs11-tool` and `ssh` find the halves of a pair by it.
 * Keys are always token objects: a TPM key must keep its blobs somewhere.
 */
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "module.h"

static const CK_ATTRIBUTE_TYPE settable[] = {CKA_LABEL, CKA_ID, CKA_SUBJECT};
#define NSETTABLE (sizeof(settable) / sizeof(settable[0]))

struct keygen {
	struct p11_slot *sl;
	uint16_t curve;
	CK_ATTRIBUTE *pub, *priv; /* the templates without CKA_EC_PARAMS */
	CK_ULONG npub, npriv;
	const CK_ATTRIBUTE *label, *id;
	uint32_t pub_obj, priv_obj;
};

/* A template's class, key type and CKA_TOKEN must describe an EC key pair on the token. */
static CK_RV check_kind(const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_CLASS cls)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG v;
	int b;
	if ((a = btpm_p11_find_attr(t, n, CKA_CLASS)) && (btpm_p11_ulong(a, &v) || v != cls))
		return CKR_TEMPLATE_INCONSISTENT;
	if ((a = btpm_p11_find_attr(t, n, CKA_KEY_TYPE)) && (btpm_p11_ulong(a, &v) || v != CKK_EC))
		return CKR_TEMPLATE_INCONSISTENT;
	if ((a = btpm_p11_find_attr(t, n, CKA_TOKEN)) && (btpm_p11_bool(a, &b) || !b))
		return btpm_p11_fail(CKR_TEMPLATE_INCONSISTENT,
				     "keys live in the token store: CKA_TOKEN must be true");
	return CKR_OK;
}

/*
 * OpenSC's pkcs11-tool asks for CKA_DERIVE = true on every EC key pair it
 * generates unless told otherwise. A TPM signing key cannot derive: the
 * request is dropped rather than failing the whole generation, and the key
 * reports CKA_DERIVE false, which is what a caller checks before deriving.
 */
static int derive_request(const CK_ATTRIBUTE *a)
{
	return a->type == CKA_DERIVE && a->ulValueLen == sizeof(CK_BBOOL) && a->pValue &&
	       *(const CK_BBOOL *)a->pValue;
}

/* Copy of a template without its CKA_EC_PARAMS (handled apart: the curve). */
static CK_ATTRIBUTE *without_params(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG *out_n)
{
	CK_ATTRIBUTE *r = calloc(n ? n : 1, sizeof(*r));
	*out_n = 0;
	for (CK_ULONG i = 0; r && i < n; i++)
		if (t[i].type != CKA_EC_PARAMS && !derive_request(&t[i]))
			r[(*out_n)++] = t[i];
	return r;
}

static CK_RV curve_of(const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
		      CK_ULONG npriv, uint16_t *curve)
{
	const CK_ATTRIBUTE *a = btpm_p11_find_attr(pub, npub, CKA_EC_PARAMS);
	const CK_ATTRIBUTE *b = btpm_p11_find_attr(priv, npriv, CKA_EC_PARAMS);
	uint16_t other;
	if (!a && !b)
		return CKR_TEMPLATE_INCOMPLETE;
	if (!a)
		a = b;
	if (btpm_p11_ec_curve(a->pValue, a->ulValueLen, curve))
		return CKR_CURVE_NOT_SUPPORTED;
	if (b && (btpm_p11_ec_curve(b->pValue, b->ulValueLen, &other) || other != *curve))
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* The templates against objects shaped like the ones the TPM key will get. */
static CK_RV dry_run(const struct keygen *k)
{
	struct btpm_store_token scratch;
	memset(&scratch, 0, sizeof(scratch));
	struct btpm_store_object *o = btpm_store_object_add(&scratch, (uint32_t)CKO_PRIVATE_KEY);
	struct btpm_store_object *p = btpm_store_object_add(&scratch, (uint32_t)CKO_PUBLIC_KEY);
	size_t oid_n;
	const uint8_t *oid = btpm_p11_ec_oid(k->curve, &oid_n);
	CK_RV rv = o && p ? CKR_OK : CKR_HOST_MEMORY;
	if (rv == CKR_OK && (btpm_store_attr_set(o, (uint32_t)CKA_EC_PARAMS, oid, (uint32_t)oid_n) ||
			     btpm_store_attr_set(p, (uint32_t)CKA_EC_PARAMS, oid, (uint32_t)oid_n)))
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK)
		rv = btpm_p11_apply_template(o, 1, k->priv, k->npriv, settable, NSETTABLE);
	if (rv == CKR_OK)
		rv = btpm_p11_apply_template(p, 1, k->pub, k->npub, settable, NSETTABLE);
	btpm_store_token_free(&scratch);
	return rv;
}

/* CKA_ID = SHA-1(04 || x || y) when the application gave none. */
static CK_RV default_id(struct btpm_store_object *o, struct btpm_store_object *p)
{
	const struct btpm_store_attr *pt = btpm_store_attr_get(p, (uint32_t)CKA_EC_POINT);
	uint8_t id[20];
	if (!pt || pt->len < 3 || btpm_hash(BTPM_ALG_SHA1, pt->value + 2, pt->len - 2, id))
		return CKR_FUNCTION_FAILED;
	if (btpm_store_attr_set(o, (uint32_t)CKA_ID, id, sizeof(id)) ||
	    btpm_store_attr_set(p, (uint32_t)CKA_ID, id, sizeof(id)))
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

static CK_RV keygen_in_token(struct btpm_store_token *tok, void *arg)
{
	struct keygen *k = arg;
	struct p11_global *g = &btpm_p11_g;
	const char *label = k->label ? k->label->pValue : NULL;
	const uint8_t *id = k->id ? k->id->pValue : NULL;
	size_t llen = k->label ? k->label->ulValueLen : 0, idlen = k->id ? k->id->ulValueLen : 0;
	int rc = btpm_tok_keygen(&g->ctx, tok, &k->sl->login, k->curve, label, llen, id, idlen,
				 &k->priv_obj, &k->pub_obj);
	if (btpm_p11_retry_for_room(rc))
		rc = btpm_tok_keygen(&g->ctx, tok, &k->sl->login, k->curve, label, llen, id, idlen,
				     &k->priv_obj, &k->pub_obj);
	if (rc)
		return btpm_p11_rv(rc, "generating the key in the TPM");
	struct btpm_store_object *o = btpm_store_object_find(tok, k->priv_obj);
	struct btpm_store_object *p = btpm_store_object_find(tok, k->pub_obj);
	if (!o || !p || k->priv_obj > P11_OBJ_MASK || k->pub_obj > P11_OBJ_MASK)
		return btpm_p11_fail(CKR_DEVICE_MEMORY, "token %s ran out of object handles",
				     tok->serial);
	CK_RV rv = k->id ? CKR_OK : default_id(o, p);
	if (rv == CKR_OK)
		rv = btpm_p11_apply_template(o, 1, k->priv, k->npriv, settable, NSETTABLE);
	if (rv == CKR_OK)
		rv = btpm_p11_apply_template(p, 1, k->pub, k->npub, settable, NSETTABLE);
	return rv;
}

static CK_RV check_templates(struct keygen *k, const CK_ATTRIBUTE *pub, CK_ULONG npub,
			     const CK_ATTRIBUTE *priv, CK_ULONG npriv)
{
	CK_RV rv = check_kind(pub, npub, CKO_PUBLIC_KEY);
	if (rv == CKR_OK)
		rv = check_kind(priv, npriv, CKO_PRIVATE_KEY);
	if (rv == CKR_OK)
		rv = curve_of(pub, npub, priv, npriv, &k->curve);
	if (rv != CKR_OK)
		return rv;
	if (!(k->label = btpm_p11_find_attr(priv, npriv, CKA_LABEL)))
		k->label = btpm_p11_find_attr(pub, npub, CKA_LABEL);
	if (!(k->id = btpm_p11_find_attr(priv, npriv, CKA_ID)))
		k->id = btpm_p11_find_attr(pub, npub, CKA_ID);
	if ((k->label && k->label->ulValueLen > BTPM_STORE_LABEL) ||
	    (k->id && k->id->ulValueLen > 255))
		return CKR_ATTRIBUTE_VALUE_INVALID; /* what the token layer keeps */
	k->pub = without_params(pub, npub, &k->npub);
	k->priv = without_params(priv, npriv, &k->npriv);
	if (!k->pub || !k->priv)
		return CKR_HOST_MEMORY;
	return dry_run(k);
}

static CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			       CK_ATTRIBUTE_PTR pPublicKeyTemplate,
			       CK_ULONG ulPublicKeyAttributeCount,
			       CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
			       CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
			       CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	if (!pMechanism || !phPublicKey || !phPrivateKey ||
	    btpm_p11_check_template(pPublicKeyTemplate, ulPublicKeyAttributeCount) ||
	    btpm_p11_check_template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount))
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct keygen k;
	memset(&k, 0, sizeof(k));
	k.sl = btpm_p11_g.slots[s->slot];
	if (pMechanism->mechanism != CKM_EC_KEY_PAIR_GEN)
		rv = CKR_MECHANISM_INVALID;
	else if (pMechanism->pParameter || pMechanism->ulParameterLen)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (k.sl->login.who != BTPM_TOK_USER)
		rv = CKR_USER_NOT_LOGGED_IN;
	else
		rv = check_templates(&k, pPublicKeyTemplate, ulPublicKeyAttributeCount,
				     pPrivateKeyTemplate, ulPrivateKeyAttributeCount);
	if (rv == CKR_OK)
		rv = btpm_p11_token_edit(k.sl, keygen_in_token, &k);
	if (rv == CKR_OK) {
		*phPublicKey = btpm_p11_handle(s->slot, k.pub_obj, 0);
		*phPrivateKey = btpm_p11_handle(s->slot, k.priv_obj, 0);
	}
	free(k.pub);
	free(k.priv);
	btpm_p11_leave();
	return rv;
}

void btpm_p11_fill_keygen(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_GenerateKeyPair = C_GenerateKeyPair;
}
