/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the PKCS#11 suites: load the module the way applications do
 * (dlopen, C_GetFunctionList, C_GetInterface) and call it only through its
 * function lists. BTPM_MODULE names the module (default
 * build/libbaretpm_pkcs11.so).
 */
#ifndef BTPM_P11_TEST_H
#define BTPM_P11_TEST_H

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm_pkcs11.h"
#include "p11.h"

static CK_FUNCTION_LIST *F;        /* v2.40, from C_GetFunctionList */
static CK_FUNCTION_LIST_3_0 *F3;   /* v3.0, from C_GetInterface */
static CK_C_GetInterface GetInterface;
static CK_C_GetInterfaceList GetInterfaceList;
static const struct btpm_pkcs11_diag *D; /* the module's diagnostics interface */
static void *module;

static inline void *p11_sym(const char *name)
{
	void *p = dlsym(module, name);
	if (!p) {
		fprintf(stderr, "%s: %s\n", name, dlerror());
		exit(1);
	}
	return p;
}

static inline void p11_load(void)
{
	const char *path = getenv("BTPM_MODULE");
	if (!path || !*path)
		path = "build/libbaretpm_pkcs11.so";
	module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!module) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		exit(1);
	}
	CK_C_GetFunctionList gfl;
	void *p = p11_sym("C_GetFunctionList");
	memcpy(&gfl, &p, sizeof(p));
	p = p11_sym("C_GetInterface");
	memcpy(&GetInterface, &p, sizeof(p));
	p = p11_sym("C_GetInterfaceList");
	memcpy(&GetInterfaceList, &p, sizeof(p));
	CK_INTERFACE_PTR it;
	CK_VERSION v3 = {3, 0};
	if (gfl(&F) != CKR_OK || GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v3, &it, 0) != CKR_OK) {
		fprintf(stderr, "%s: no function list\n", path);
		exit(1);
	}
	F3 = it->pFunctionList;
	if (GetInterface((CK_UTF8CHAR_PTR)BTPM_PKCS11_DIAG_INTERFACE, NULL, &it, 0) != CKR_OK) {
		fprintf(stderr, "%s: no diagnostics interface\n", path);
		exit(1);
	}
	D = it->pFunctionList;
}

/* Why the module's last failing call failed. */
static inline const char *p11_why(void)
{
	static char buf[800];
	return D ? D->last_error(buf, sizeof(buf)) : "";
}

#define RV(expect, call)                                                                           \
	do {                                                                                       \
		CK_RV r_ = (call);                                                                 \
		ck_assert_msg(r_ == (CK_RV)(expect), "%s = 0x%lx, expected 0x%lx (%s)", #call, r_, \
			      (CK_RV)(expect), p11_why());                                         \
	} while (0)
#define P11_OK(call) RV(CKR_OK, call)

#define ATTR(t, p, n) {(t), (void *)(p), (CK_ULONG)(n)}

/* Every object a template matches (at most max), through FindObjects in small steps. */
static inline CK_ULONG p11_find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
				CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ULONG k = 0, got = 0;
	P11_OK(F->C_FindObjectsInit(s, t, n));
	do {
		CK_ULONG step = max - k < 2 ? max - k : 2;
		P11_OK(F->C_FindObjects(s, out + k, step, &got));
		k += got;
	} while (got && k < max);
	P11_OK(F->C_FindObjectsFinal(s));
	return k;
}

static inline CK_ULONG p11_find_class(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
				      CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &cls, sizeof(cls))};
	return p11_find(s, t, 1, out, max);
}

/* One attribute into buf; returns its length. */
static inline CK_ULONG p11_get(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
			       void *buf, CK_ULONG cap)
{
	CK_ATTRIBUTE a = {type, buf, cap};
	P11_OK(F->C_GetAttributeValue(s, h, &a, 1));
	return a.ulValueLen;
}

static inline CK_BBOOL p11_get_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL b = 0xEE;
	ck_assert_uint_eq(p11_get(s, h, t, &b, sizeof(b)), 1);
	return b;
}

static inline CK_ULONG p11_get_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG v = 0;
	ck_assert_uint_eq(p11_get(s, h, t, &v, sizeof(v)), sizeof(v));
	return v;
}

/* The slot list as the module gives it (count query, then the list). */
static inline CK_ULONG p11_slots(CK_SLOT_ID *out, CK_ULONG max)
{
	CK_ULONG n = 0;
	P11_OK(F->C_GetSlotList(CK_TRUE, NULL, &n));
	ck_assert_uint_le(n, max);
	n = max;
	P11_OK(F->C_GetSlotList(CK_TRUE, out, &n));
	return n;
}

static inline void p11_label(CK_UTF8CHAR *out, const char *s)
{
	memset(out, ' ', 32);
	memcpy(out, s, strlen(s));
}

#endif
