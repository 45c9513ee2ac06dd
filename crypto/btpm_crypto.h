/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Plain cryptographic helpers over byte buffers. This folder is the only code
 * that includes mbedTLS; no mbedTLS type appears in this header.
 */
#ifndef BTPM_CRYPTO_H
#define BTPM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * PEM-encode der[0..len) with the given label ("CERTIFICATE") into out,
 * NUL-terminated. Returns 0, or BTPM_E_TOOBIG when cap is too small (with
 * *olen set to the size needed), or BTPM_E_CRYPTO.
 */
int btpm_pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap,
		    size_t *olen);

#endif
