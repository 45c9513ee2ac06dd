/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The baretpm PKCS#11 module for programs that link libbaretpm.a statically.
 *
 * The shared object build/libbaretpm_pkcs11.so exports only C_GetFunctionList,
 * C_GetInterfaceList and C_GetInterface. The static library holds the same
 * module without those three names, so that it can be linked into one
 * program next to another PKCS#11 module; its entry points are these
 * prefixed functions, which behave exactly like the standard ones. Every
 * other function is reached through the function lists.
 *
 * Configuration comes from the environment: the TPM from BARETPM_TCTI,
 * TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI, then /dev/tpmrm0 and /dev/tpm0; the token
 * store from BARETPM_STORE, then ${XDG_DATA_HOME:-$HOME/.local/share}/baretpm,
 * then /etc/baretpm. BARETPM_DEBUG=1 makes the module print why a call
 * failed to stderr (never a PIN or any other secret).
 */
#ifndef BARETPM_PKCS11_H
#define BARETPM_PKCS11_H

#include <stddef.h>

#include "p11.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C_GetFunctionList: the PKCS#11 v2.40 function list. */
CK_RV btpm_pkcs11_get_function_list(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);
/* C_GetInterfaceList: "PKCS 11" v3.0 and v2.40. */
CK_RV btpm_pkcs11_get_interface_list(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
/* C_GetInterface (also finds the diagnostics interface below by its name). */
CK_RV btpm_pkcs11_get_interface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
				CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);

/*
 * Diagnostics, for tests and benchmarks; not part of PKCS#11. Reachable in
 * the shared object as the vendor interface of this name through
 * C_GetInterface (it is not listed by C_GetInterfaceList, so that generic
 * PKCS#11 consumers never meet it). pFunctionList points to a
 * struct btpm_pkcs11_diag.
 */
#define BTPM_PKCS11_DIAG_INTERFACE "baretpm diagnostics"

struct btpm_pkcs11_diag {
	CK_VERSION version; /* 1.0 */
	/* TPM commands this module instance has sent since it was loaded. */
	unsigned long (*commands_sent)(void);
	/*
	 * Why the last failing call failed ("" if none did), NUL-terminated in
	 * buf; returns buf.
	 */
	const char *(*last_error)(char *buf, size_t cap);
};

unsigned long btpm_pkcs11_commands_sent(void);
const char *btpm_pkcs11_last_error(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
