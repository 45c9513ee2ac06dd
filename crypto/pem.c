/* SPDX-License-Identifier: BSD-2-Clause */
/* PEM armour (RFC 7468) over mbedTLS's base64. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "baretpm.h"
#include "btpm_crypto.h"

#define LINE 64 /* RFC 7468, section 2: lines of exactly 64 characters */

int btpm_pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap,
		    size_t *olen)
{
	if (!label || (!der && len) || !out || !olen)
		return BTPM_E_ARG;
	size_t b64 = 4 * ((len + 2) / 3);
	size_t need = 2 * strlen(label) + 2 * sizeof("-----BEGIN -----\n") + b64 + b64 / LINE + 2;
	*olen = need;
	if (cap < need)
		return BTPM_E_TOOBIG;
	size_t n = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
	/* Encode 48 input bytes (one 64-character line) at a time. */
	for (size_t off = 0; off < len; off += 48) {
		size_t chunk = len - off < 48 ? len - off : 48, w;
		if (mbedtls_base64_encode((unsigned char *)out + n, cap - n, &w, der + off, chunk))
			return BTPM_E_CRYPTO;
		n += w;
		out[n++] = '\n';
	}
	n += (size_t)snprintf(out + n, cap - n, "-----END %s-----\n", label);
	*olen = n;
	return 0;
}

int btpm_base64_encode(const uint8_t *p, size_t n, char *out, size_t cap, size_t *olen)
{
	if ((!p && n) || !out || !olen)
		return BTPM_E_ARG;
	size_t w;
	int rc = mbedtls_base64_encode((unsigned char *)out, cap, &w, p, n);
	*olen = w;
	if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
		return BTPM_E_TOOBIG;
	return rc ? BTPM_E_CRYPTO : 0;
}
