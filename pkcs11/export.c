/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The only symbols build/libbaretpm_pkcs11.so exports (v3.0 5.4: a module
 * exports C_GetFunctionList, and C_GetInterfaceList/C_GetInterface from 3.0
 * on). Compiled into the shared object only: libbaretpm.a offers the same
 * entry points under btpm_pkcs11_* names, so it can share a program with
 * another PKCS#11 module.
 */
#include "baretpm_pkcs11.h"

#define P11_EXPORT __attribute__((visibility("default")))

P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);
P11_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
P11_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
				CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	return btpm_pkcs11_get_function_list(ppFunctionList);
}

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	return btpm_pkcs11_get_interface_list(pInterfacesList, pulCount);
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	return btpm_pkcs11_get_interface(pInterfaceName, pVersion, ppInterface, flags);
}
