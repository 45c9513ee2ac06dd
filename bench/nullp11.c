/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A PKCS#11 module that does no work: one slot, one token, one P-256 public
 * key (the curve's generator point, a valid public key) served from memory.
 * No TPM, no files, no crypto library. The benchmark runs `ssh-keygen -D` on
 * it to measure what ssh-keygen and OpenSSL themselves spend on loading a
 * module and turning one EC key into a line of output: the lowest time any
 * module could reach. Never installed; only what ssh-keygen -D calls is
 * implemented, everything else is absent (NULL) from the function list.
 */
#include <string.h>

#include "p11.h"

/* DER OID prime256v1 (RFC 5480 2.1.1.1) and an OCTET STRING holding 04||Gx||Gy (SEC 2, 2.4.2) */
static const CK_BYTE ec_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE ec_point[] = {
	0x04, 0x41, 0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39,
	0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7,
	0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb,
	0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};
static const CK_BYTE key_id[] = {0x01};
static const char key_label[] = "null";

#define KEY_HANDLE 1
#define SESSION 1

static CK_OBJECT_CLASS found_class; /* what the running search asks for */
static int search_done;

static void pad(CK_UTF8CHAR *f, size_t n, const char *s)
{
	memset(f, ' ', n);
	memcpy(f, s, strlen(s) < n ? strlen(s) : n);
}

static CK_RV C_Initialize(CK_VOID_PTR a)
{
	(void)a;
	return CKR_OK;
}

static CK_RV C_Finalize(CK_VOID_PTR a)
{
	(void)a;
	return CKR_OK;
}

static CK_RV C_GetInfo(CK_INFO_PTR i)
{
	memset(i, 0, sizeof(*i));
	i->cryptokiVersion.major = 2;
	i->cryptokiVersion.minor = 40;
	pad(i->manufacturerID, sizeof(i->manufacturerID), "null");
	pad(i->libraryDescription, sizeof(i->libraryDescription), "no-op module");
	return CKR_OK;
}

static CK_RV C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
	(void)present;
	if (list) {
		if (*n < 1) {
			*n = 1;
			return CKR_BUFFER_TOO_SMALL;
		}
		list[0] = 0;
	}
	*n = 1;
	return CKR_OK;
}

static CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR i)
{
	(void)slot;
	memset(i, 0, sizeof(*i));
	pad(i->slotDescription, sizeof(i->slotDescription), "null");
	pad(i->manufacturerID, sizeof(i->manufacturerID), "null");
	i->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR i)
{
	(void)slot;
	memset(i, 0, sizeof(*i));
	pad(i->label, sizeof(i->label), "null");
	pad(i->manufacturerID, sizeof(i->manufacturerID), "null");
	pad(i->model, sizeof(i->model), "null");
	pad(i->serialNumber, sizeof(i->serialNumber), "0");
	i->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	i->ulMaxPinLen = 64;
	i->ulMinPinLen = 4;
	return CKR_OK;
}

static CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS f, CK_VOID_PTR app, CK_NOTIFY notify,
			   CK_SESSION_HANDLE_PTR s)
{
	(void)slot, (void)f, (void)app, (void)notify;
	*s = SESSION;
	return CKR_OK;
}

static CK_RV C_CloseSession(CK_SESSION_HANDLE s)
{
	(void)s;
	return CKR_OK;
}

static CK_RV C_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	(void)s;
	found_class = (CK_OBJECT_CLASS)-1;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == CKA_CLASS && t[i].ulValueLen == sizeof(CK_OBJECT_CLASS))
			memcpy(&found_class, t[i].pValue, sizeof(found_class));
	search_done = 0;
	return CKR_OK;
}

static CK_RV C_FindObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR h, CK_ULONG max,
			   CK_ULONG_PTR n)
{
	(void)s;
	*n = 0;
	if (!search_done && max > 0 && found_class == CKO_PUBLIC_KEY) {
		h[0] = KEY_HANDLE;
		*n = 1;
	}
	search_done = 1;
	return CKR_OK;
}

static CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE s)
{
	(void)s;
	return CKR_OK;
}

static CK_RV put(CK_ATTRIBUTE_PTR a, const void *v, CK_ULONG len)
{
	if (a->pValue) {
		if (a->ulValueLen < len) {
			a->ulValueLen = len;
			return CKR_BUFFER_TOO_SMALL;
		}
		memcpy(a->pValue, v, len);
	}
	a->ulValueLen = len;
	return CKR_OK;
}

static CK_RV C_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
				 CK_ULONG n)
{
	(void)s;
	if (o != KEY_HANDLE)
		return CKR_OBJECT_HANDLE_INVALID;
	static const CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	static const CK_KEY_TYPE kt = CKK_EC;
	static const CK_BBOOL yes = CK_TRUE;
	CK_RV rv = CKR_OK;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_RV r;
		switch (t[i].type) {
		case CKA_CLASS: r = put(&t[i], &cls, sizeof(cls)); break;
		case CKA_KEY_TYPE: r = put(&t[i], &kt, sizeof(kt)); break;
		case CKA_ID: r = put(&t[i], key_id, sizeof(key_id)); break;
		case CKA_LABEL: r = put(&t[i], key_label, sizeof(key_label) - 1); break;
		case CKA_EC_PARAMS: r = put(&t[i], ec_params, sizeof(ec_params)); break;
		case CKA_EC_POINT: r = put(&t[i], ec_point, sizeof(ec_point)); break;
		case CKA_TOKEN:
		case CKA_VERIFY: r = put(&t[i], &yes, sizeof(yes)); break;
		default:
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			r = CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (r != CKR_OK)
			rv = r;
	}
	return rv;
}

static CK_FUNCTION_LIST functions = {
	.version = {2, 40},
	.C_Initialize = C_Initialize,
	.C_Finalize = C_Finalize,
	.C_GetInfo = C_GetInfo,
	.C_GetSlotList = C_GetSlotList,
	.C_GetSlotInfo = C_GetSlotInfo,
	.C_GetTokenInfo = C_GetTokenInfo,
	.C_OpenSession = C_OpenSession,
	.C_CloseSession = C_CloseSession,
	.C_FindObjectsInit = C_FindObjectsInit,
	.C_FindObjects = C_FindObjects,
	.C_FindObjectsFinal = C_FindObjectsFinal,
	.C_GetAttributeValue = C_GetAttributeValue,
};

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	if (!pp)
		return CKR_ARGUMENTS_BAD;
	*pp = &functions;
	return CKR_OK;
}
