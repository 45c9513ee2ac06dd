/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A program linked with -static against libbaretpm.a and mbedTLS's
 * libmbedcrypto.a: no shared library, no dlopen. Through the btpm_-prefixed
 * entry point of the PKCS#11 module it creates a token on the empty slot (the
 * store is set up on the way if it is new), sets the user PIN, generates a
 * P-256 key in the TPM, signs with CKM_ECDSA_SHA256, and verifies the
 * signature itself with mbedTLS over the key's CKA_EC_POINT.
 *
 * The TPM and the store come from BARETPM_TCTI and BARETPM_STORE, as for the
 * module. argv[1], if given, is the token label (default "static").
 * Prints "static sign: verified" and exits 0; otherwise names the failing
 * call on stderr and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "baretpm.h"
#include "baretpm_pkcs11.h"
#include "btpm_crypto.h"

#define SO_PIN "5678"
#define USER_PIN "1234"

static CK_FUNCTION_LIST *F;

static int failed(CK_RV rv, const char *call)
{
	char why[512];
	fprintf(stderr, "static sign: %s = 0x%lx (%s)\n", call, rv,
		btpm_pkcs11_last_error(why, sizeof(why)));
	return 1;
}

#define TRY(call)                                                                                  \
	do {                                                                                       \
		CK_RV rv_ = (call);                                                                \
		if (rv_ != CKR_OK)                                                                 \
			return failed(rv_, #call);                                                 \
	} while (0)

static void pad32(CK_UTF8CHAR *out, const char *s)
{
	size_t n = strlen(s);
	memset(out, ' ', 32);
	memcpy(out, s, n < 32 ? n : 32);
}

/* The slots with an initialized token into ids (at most 16), the empty one into *empty. */
static int list_slots(CK_SLOT_ID *ids, CK_ULONG *n, CK_SLOT_ID *empty)
{
	CK_SLOT_ID slots[16];
	CK_ULONG all = 16;
	CK_TOKEN_INFO ti;
	*n = 0;
	*empty = (CK_SLOT_ID)-1;
	TRY(F->C_GetSlotList(CK_TRUE, slots, &all));
	for (CK_ULONG i = 0; i < all; i++) {
		TRY(F->C_GetTokenInfo(slots[i], &ti));
		if (ti.flags & CKF_TOKEN_INITIALIZED)
			ids[(*n)++] = slots[i];
		else
			*empty = slots[i];
	}
	if (*empty == (CK_SLOT_ID)-1) {
		fprintf(stderr, "static sign: no empty slot\n");
		return 1;
	}
	return 0;
}

/* The token C_InitToken made: the one slot that was not there before (labels may repeat). */
static int new_slot(const CK_SLOT_ID *before, CK_ULONG nb, CK_SLOT_ID *out)
{
	CK_SLOT_ID now[16], empty;
	CK_ULONG n, found = 0;
	if (list_slots(now, &n, &empty))
		return 1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ULONG j = 0;
		while (j < nb && before[j] != now[i])
			j++;
		if (j == nb) {
			*out = now[i];
			found++;
		}
	}
	if (found != 1) {
		fprintf(stderr, "static sign: %lu new tokens after C_InitToken\n", found);
		return 1;
	}
	return 0;
}

static int run(const char *name)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const char msg[] = "signed inside the TPM by a statically linked program";
	CK_UTF8CHAR label[32];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub, priv;
	CK_OBJECT_CLASS pc = CKO_PUBLIC_KEY, kc = CKO_PRIVATE_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pt[] = {
		{CKA_CLASS, &pc, sizeof(pc)}, {CKA_KEY_TYPE, &ec, sizeof(ec)},
		{CKA_TOKEN, &yes, 1},         {CKA_VERIFY, &yes, 1},
		{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
		{CKA_LABEL, "static-key", 10},
	};
	CK_ATTRIBUTE kt[] = {
		{CKA_CLASS, &kc, sizeof(kc)}, {CKA_KEY_TYPE, &ec, sizeof(ec)}, {CKA_TOKEN, &yes, 1},
		{CKA_PRIVATE, &yes, 1},       {CKA_SENSITIVE, &yes, 1},        {CKA_SIGN, &yes, 1},
	};
	CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_MECHANISM sign = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[64], point[80], digest[32];
	CK_ULONG siglen = sizeof(sig);
	CK_ATTRIBUTE ap = {CKA_EC_POINT, point, sizeof(point)};

	CK_SLOT_ID before[16], empty;
	CK_ULONG nb;
	pad32(label, name);
	if (list_slots(before, &nb, &empty))
		return 1;
	TRY(F->C_InitToken(empty, (CK_UTF8CHAR_PTR)SO_PIN, 4, label));
	if (new_slot(before, nb, &slot))
		return 1;
	TRY(F->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	TRY(F->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 4));
	TRY(F->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	TRY(F->C_Logout(s));
	TRY(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4));
	TRY(F->C_GenerateKeyPair(s, &gen, pt, sizeof(pt) / sizeof(pt[0]), kt,
				 sizeof(kt) / sizeof(kt[0]), &pub, &priv));
	TRY(F->C_SignInit(s, &sign, priv));
	TRY(F->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &siglen));
	TRY(F->C_GetAttributeValue(s, pub, &ap, 1));
	TRY(F->C_Logout(s));
	TRY(F->C_CloseSession(s));

	/* DER OCTET STRING of the uncompressed point: 04 41 04 X Y (X9.62, v2.40 2.3.3) */
	if (siglen != 64 || ap.ulValueLen != 67 || point[0] != 0x04 || point[1] != 65 ||
	    point[2] != 0x04) {
		fprintf(stderr, "static sign: signature of %lu bytes, CKA_EC_POINT of %lu\n", siglen,
			ap.ulValueLen);
		return 1;
	}
	if (btpm_hash(BTPM_ALG_SHA256, msg, sizeof(msg) - 1, digest) ||
	    btpm_ecdsa_verify(BTPM_ECC_NIST_P256, point + 3, point + 35, 32, digest, 32, sig, 32,
			      sig + 32, 32)) {
		fprintf(stderr, "static sign: the signature does not verify\n");
		return 1;
	}
	/* a verifier that accepted anything would prove nothing */
	sig[7] ^= 1;
	if (!btpm_ecdsa_verify(BTPM_ECC_NIST_P256, point + 3, point + 35, 32, digest, 32, sig, 32,
			       sig + 32, 32)) {
		fprintf(stderr, "static sign: a corrupted signature verifies\n");
		return 1;
	}
	printf("static sign: verified\n");
	return 0;
}

int main(int argc, char **argv)
{
	CK_RV rv = btpm_pkcs11_get_function_list(&F);
	if (rv != CKR_OK)
		return failed(rv, "btpm_pkcs11_get_function_list(&F)");
	TRY(F->C_Initialize(NULL));
	int rc = run(argc > 1 ? argv[1] : "static");
	rv = F->C_Finalize(NULL);
	if (rv != CKR_OK && !rc)
		rc = failed(rv, "F->C_Finalize(NULL)");
	return rc;
}
