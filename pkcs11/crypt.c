/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signing (in the TPM), verification and digests (in software), random
 * numbers (from the TPM): v2.40 5.10-5.15, Current Mechanisms 2.3.
 *
 * ECDSA input. The TPM signs a digest whose size is that of a hash it knows.
 * Whatever the mechanism, the value signed is brought to exactly the curve's
 * size first: a longer input keeps its leftmost bytes and a shorter one is
 * left-padded with zeros. That is exactly what ECDSA does to a digest
 * (FIPS 186-4 6.4: e is the leftmost bits of the hash, as an integer; for
 * P-256 and P-384 the order has 256 and 384 bits), so the signature verifies
 * against the original input with any standard verifier. The TPM is then
 * told the hash of that size (SHA-256 for P-256, SHA-384 for P-384), which
 * for ECDSA only names the length. CKM_ECDSA thus accepts any non-empty
 * input, as PKCS#11 allows, not only 20/32/48/64 bytes.
 *
 * Signatures are r || s, each the curve's size (the PKCS#11 EC format).
 * Multi-part input is buffered until the final call (up to P11_MAX_DATA).
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "btpm_crypto.h"
#include "module.h"

int btpm_p11_ecdsa_hash(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_ECDSA:
		return 0;
	case CKM_ECDSA_SHA1:
		return BTPM_ALG_SHA1;
	case CKM_ECDSA_SHA256:
		return BTPM_ALG_SHA256;
	case CKM_ECDSA_SHA384:
		return BTPM_ALG_SHA384;
	case CKM_ECDSA_SHA512:
		return BTPM_ALG_SHA512;
	}
	return -1;
}

static int digest_hash(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA_1:
		return BTPM_ALG_SHA1;
	case CKM_SHA256:
		return BTPM_ALG_SHA256;
	case CKM_SHA384:
		return BTPM_ALG_SHA384;
	case CKM_SHA512:
		return BTPM_ALG_SHA512;
	}
	return -1;
}

static CK_RV mech_params(const CK_MECHANISM *m)
{
	return m->pParameter || m->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
}

static CK_RV op_append(struct p11_op *op, const void *p, CK_ULONG n)
{
	op->multi = 1;
	if (!n)
		return CKR_OK;
	if (n > P11_MAX_DATA - op->len)
		return CKR_DATA_LEN_RANGE;
	if (op->len + n > op->cap) {
		size_t cap = op->cap ? op->cap : 256;
		while (cap < op->len + n)
			cap *= 2;
		uint8_t *b = malloc(cap);
		if (!b)
			return CKR_HOST_MEMORY;
		if (op->len)
			memcpy(b, op->buf, op->len);
		if (op->buf) {
			btpm_wipe(op->buf, op->cap);
			free(op->buf);
		}
		op->buf = b;
		op->cap = cap;
	}
	memcpy(op->buf + op->len, p, n);
	op->len += n;
	return CKR_OK;
}

/* The value ECDSA signs, brought to exactly coord bytes (see the top of this file). */
static CK_RV ecdsa_input(const struct p11_op *op, const uint8_t *data, size_t n, uint8_t *e)
{
	uint8_t h[BTPM_MAX_DIGEST];
	if (op->hash) {
		if (btpm_hash(op->hash, data, n, h))
			return CKR_FUNCTION_FAILED;
		data = h;
		n = (size_t)btpm_hash_size(op->hash);
	} else if (!n) {
		return CKR_DATA_LEN_RANGE;
	}
	if (n >= op->coord) {
		memcpy(e, data, op->coord);
	} else {
		memset(e, 0, op->coord - n);
		memcpy(e + op->coord - n, data, n);
	}
	return CKR_OK;
}

/* v2.40 5.2: NULL output asks for the length; a small buffer gets it too; both keep the op. */
static CK_RV out_len(CK_BYTE_PTR out, CK_ULONG_PTR len, size_t need, int *done)
{
	*done = 1;
	if (!out) {
		*len = need;
		return CKR_OK;
	}
	if (*len < need) {
		*len = need;
		return CKR_BUFFER_TOO_SMALL;
	}
	*done = 0;
	return CKR_OK;
}

/*
 * v3.0 5.11, 5.13, 5.14: C_SignInit, C_VerifyInit or C_DigestInit with no
 * mechanism ends that kind of operation, whatever state it is in. off names
 * the operation in struct p11_session.
 */
static CK_RV op_cancel(CK_SESSION_HANDLE hSession, size_t off)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	btpm_p11_op_end((struct p11_op *)((char *)s + off));
	btpm_p11_leave();
	return CKR_OK;
}

/* ---- sign ------------------------------------------------------------------------------- */

static CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_OBJECT_HANDLE hKey)
{
	if (!pMechanism)
		return op_cancel(hSession, offsetof(struct p11_session, sign));
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = &s->sign;
	int hash = btpm_p11_ecdsa_hash(pMechanism->mechanism), hidden = 0;
	struct p11_obj ob;
	uint16_t curve = 0;
	size_t coord = 0;
	const uint8_t *x, *y;
	if (op->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (hash < 0)
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = mech_params(pMechanism)) != CKR_OK)
		;
	else if ((rv = btpm_p11_object(s, hKey, &ob, &hidden)) != CKR_OK)
		rv = rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
	else if (hidden)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (ob.o->cls == CKO_PUBLIC_KEY)
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED; /* its CKA_SIGN is false */
	else if (ob.o->cls != CKO_PRIVATE_KEY || !ob.token)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else
		rv = btpm_p11_ec_key(ob.o, &curve, &coord, &x, &y);
	if (rv == CKR_OK) {
		memset(op, 0, sizeof(*op));
		op->active = 1;
		op->mech = pMechanism->mechanism;
		op->slot = ob.slot;
		op->object = ob.o->handle;
		op->hash = (uint16_t)hash;
		op->curve = curve;
		op->coord = coord;
	}
	btpm_p11_leave();
	return rv;
}

/* One TPM2_Sign once the key is loaded (btpm_tok_sign loads it on first use). */
static CK_RV tpm_sign(struct p11_op *op, const uint8_t *data, size_t n, CK_BYTE_PTR sig)
{
	struct p11_global *g = &btpm_p11_g;
	struct p11_slot *sl = g->slots[op->slot];
	uint8_t e[BTPM_MAX_ECC_COORD];
	size_t len = 0;
	if (!sl || sl->login.who != BTPM_TOK_USER)
		return CKR_USER_NOT_LOGGED_IN; /* logged out since C_SignInit */
	CK_RV rv = btpm_p11_slot_load(sl, 0);
	if (rv != CKR_OK)
		return rv;
	if (!btpm_store_object_find(&sl->tok, op->object))
		return btpm_p11_fail(CKR_KEY_HANDLE_INVALID, "the key was destroyed");
	rv = ecdsa_input(op, data, n, e);
	if (rv != CKR_OK)
		return rv;
	int rc = btpm_tok_sign(&g->ctx, &sl->tok, &sl->login, op->object, e, op->coord, sig,
			       2 * op->coord, &len);
	btpm_wipe(e, sizeof(e));
	if (rc)
		return btpm_p11_rv(rc, "signing in the TPM");
	return len == 2 * op->coord ? CKR_OK : CKR_FUNCTION_FAILED;
}

/*
 * Enter the module for a call that goes on with the session's operation at
 * offset `which` (sign, verify, digest): CKR_OPERATION_NOT_INITIALIZED when
 * none is running, and for a single-part call (C_Sign, C_Verify, C_Digest)
 * CKR_OPERATION_ACTIVE after an Update, which only the Final call may end.
 * On CKR_OK the module is entered: the caller ends with btpm_p11_leave().
 */
static CK_RV op_enter(CK_SESSION_HANDLE hSession, size_t which, int single_part,
		      struct p11_op **opp)
{
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = (struct p11_op *)((char *)s + which);
	if (!op->active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (single_part && op->multi)
		rv = CKR_OPERATION_ACTIVE;
	if (rv != CKR_OK) {
		btpm_p11_leave();
		return rv;
	}
	*opp = op;
	return CKR_OK;
}

static CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		    CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, sign), 1, &op);
	if (rv != CKR_OK)
		return rv;
	int done = 0;
	if (!pulSignatureLen || (!pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = out_len(pSignature, pulSignatureLen, 2 * op->coord, &done);
	if (rv == CKR_OK && !done) {
		rv = tpm_sign(op, pData, ulDataLen, pSignature);
		if (rv == CKR_OK)
			*pulSignatureLen = 2 * op->coord;
	}
	if (!done || (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL))
		btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

/*
 * C_SignUpdate / C_VerifyUpdate / C_DigestUpdate (PKCS#11 v2.40, 5.12-5.14):
 * one more part of a multi-part operation; an error ends the operation.
 */
static CK_RV op_update(CK_SESSION_HANDLE hSession, size_t which, CK_BYTE_PTR pPart,
		       CK_ULONG ulPartLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, which, 0, &op);
	if (rv != CKR_OK)
		return rv;
	if (!op->hash)
		rv = CKR_FUNCTION_NOT_SUPPORTED; /* CKM_ECDSA is single-part only */
	else if (!pPart && ulPartLen)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = op_append(op, pPart, ulPartLen);
	if (rv != CKR_OK)
		btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

static CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return op_update(hSession, offsetof(struct p11_session, sign), pPart, ulPartLen);
}

static CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
			 CK_ULONG_PTR pulSignatureLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, sign), 0, &op);
	if (rv != CKR_OK)
		return rv;
	int done = 0;
	if (!pulSignatureLen)
		rv = CKR_ARGUMENTS_BAD;
	else if (!op->hash)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else
		rv = out_len(pSignature, pulSignatureLen, 2 * op->coord, &done);
	if (rv == CKR_OK && !done) {
		rv = tpm_sign(op, op->buf, op->len, pSignature);
		if (rv == CKR_OK)
			*pulSignatureLen = 2 * op->coord;
	}
	if (!done || (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL))
		btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

/* ---- verify (software) ---------------------------------------------------------------- */

static CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			  CK_OBJECT_HANDLE hKey)
{
	if (!pMechanism)
		return op_cancel(hSession, offsetof(struct p11_session, verify));
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = &s->verify;
	int hash = btpm_p11_ecdsa_hash(pMechanism->mechanism);
	struct p11_obj ob;
	uint16_t curve = 0;
	size_t coord = 0;
	const uint8_t *x = NULL, *y = NULL;
	if (op->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (hash < 0)
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = mech_params(pMechanism)) != CKR_OK)
		;
	else if ((rv = btpm_p11_object(s, hKey, &ob, NULL)) != CKR_OK)
		rv = rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
	else if (ob.o->cls == CKO_PRIVATE_KEY)
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED; /* verify with the public key */
	else if (ob.o->cls != CKO_PUBLIC_KEY)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else
		rv = btpm_p11_ec_key(ob.o, &curve, &coord, &x, &y);
	if (rv == CKR_OK) {
		memset(op, 0, sizeof(*op));
		op->active = 1;
		op->mech = pMechanism->mechanism;
		op->hash = (uint16_t)hash;
		op->curve = curve;
		op->coord = coord;
		memcpy(op->x, x, coord);
		memcpy(op->y, y, coord);
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV verify(const struct p11_op *op, const uint8_t *data, size_t n, const uint8_t *sig,
		    CK_ULONG sig_len)
{
	uint8_t e[BTPM_MAX_ECC_COORD];
	if (!sig)
		return CKR_ARGUMENTS_BAD;
	if (sig_len != 2 * op->coord)
		return CKR_SIGNATURE_LEN_RANGE;
	CK_RV rv = ecdsa_input(op, data, n, e);
	if (rv != CKR_OK)
		return rv;
	int rc = btpm_ecdsa_verify(op->curve, op->x, op->y, op->coord, e, op->coord, sig,
				   op->coord, sig + op->coord, op->coord);
	if (rc == BTPM_E_CRYPTO)
		return CKR_SIGNATURE_INVALID;
	return rc ? CKR_FUNCTION_FAILED : CKR_OK;
}

static CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		      CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, verify), 1, &op);
	if (rv != CKR_OK)
		return rv;
	rv = !pData && ulDataLen ? CKR_ARGUMENTS_BAD
				 : verify(op, pData, ulDataLen, pSignature, ulSignatureLen);
	btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

static CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return op_update(hSession, offsetof(struct p11_session, verify), pPart, ulPartLen);
}

static CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
			   CK_ULONG ulSignatureLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, verify), 0, &op);
	if (rv != CKR_OK)
		return rv;
	rv = !op->hash ? CKR_FUNCTION_NOT_SUPPORTED
		       : verify(op, op->buf, op->len, pSignature, ulSignatureLen);
	btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

/* ---- digest (software) ----------------------------------------------------------------- */

static CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	if (!pMechanism)
		return op_cancel(hSession, offsetof(struct p11_session, digest));
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	int hash = digest_hash(pMechanism->mechanism);
	if (s->digest.active)
		rv = CKR_OPERATION_ACTIVE;
	else if (hash < 0)
		rv = CKR_MECHANISM_INVALID;
	else
		rv = mech_params(pMechanism);
	if (rv == CKR_OK) {
		memset(&s->digest, 0, sizeof(s->digest));
		s->digest.active = 1;
		s->digest.mech = pMechanism->mechanism;
		s->digest.hash = (uint16_t)hash;
	}
	btpm_p11_leave();
	return rv;
}

static CK_RV digest_out(struct p11_op *op, const uint8_t *data, size_t n, CK_BYTE_PTR out,
			CK_ULONG_PTR out_len_p, int *done)
{
	size_t need = (size_t)btpm_hash_size(op->hash);
	CK_RV rv = out_len(out, out_len_p, need, done);
	if (rv != CKR_OK || *done)
		return rv;
	if (btpm_hash(op->hash, data, n, out))
		return CKR_FUNCTION_FAILED;
	*out_len_p = need;
	return CKR_OK;
}

static CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		      CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, digest), 1, &op);
	if (rv != CKR_OK)
		return rv;
	int done = 0;
	if (!pulDigestLen || (!pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = digest_out(op, pData, ulDataLen, pDigest, pulDigestLen, &done);
	if (!done || (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL))
		btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

static CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return op_update(hSession, offsetof(struct p11_session, digest), pPart, ulPartLen);
}

static CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest,
			   CK_ULONG_PTR pulDigestLen)
{
	struct p11_op *op;
	CK_RV rv = op_enter(hSession, offsetof(struct p11_session, digest), 0, &op);
	if (rv != CKR_OK)
		return rv;
	int done = 0;
	if (!pulDigestLen)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = digest_out(op, op->buf, op->len, pDigest, pulDigestLen, &done);
	if (!done || (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL))
		btpm_p11_op_end(op);
	btpm_p11_leave();
	return rv;
}

/* ---- random ------------------------------------------------------------------------------ */

/*
 * The TPM's RNG takes extra entropy only through TPM2_StirRandom, which would
 * cost a command for nothing a caller could verify; v2.40 5.15 provides
 * CKR_RANDOM_SEED_NOT_SUPPORTED for exactly this.
 */
static CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	if (!pSeed && ulSeedLen)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	btpm_p11_leave();
	return CKR_RANDOM_SEED_NOT_SUPPORTED;
}

static CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData,
			      CK_ULONG ulRandomLen)
{
	if (!RandomData && ulRandomLen)
		return CKR_ARGUMENTS_BAD;
	struct p11_session *s;
	CK_RV rv = btpm_p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct btpm_tok_ctx *c = &btpm_p11_g.ctx;
	int rc = ulRandomLen ? btpm_tok_tpm(c) : 0;
	if (!rc && ulRandomLen)
		rc = btpm_get_random(c->t, RandomData, ulRandomLen);
	if (rc)
		rv = btpm_p11_rv(rc, "random numbers from the TPM");
	btpm_p11_leave();
	return rv;
}

void btpm_p11_fill_crypt(CK_FUNCTION_LIST_3_0 *f)
{
	f->C_SignInit = C_SignInit;
	f->C_Sign = C_Sign;
	f->C_SignUpdate = C_SignUpdate;
	f->C_SignFinal = C_SignFinal;
	f->C_VerifyInit = C_VerifyInit;
	f->C_Verify = C_Verify;
	f->C_VerifyUpdate = C_VerifyUpdate;
	f->C_VerifyFinal = C_VerifyFinal;
	f->C_DigestInit = C_DigestInit;
	f->C_Digest = C_Digest;
	f->C_DigestUpdate = C_DigestUpdate;
	f->C_DigestFinal = C_DigestFinal;
	f->C_SeedRandom = C_SeedRandom;
	f->C_GenerateRandom = C_GenerateRandom;
}
