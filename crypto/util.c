/* SPDX-License-Identifier: BSD-2-Clause */
/* Constant-time comparison and wiping of secrets. */
#include <mbedtls/platform_util.h>

#include "btpm_crypto.h"

int btpm_ct_equal(const void *a, const void *b, size_t n)
{
	if (!n)
		return 1;
	if (!a || !b)
		return 0;
	const volatile uint8_t *x = a, *y = b;
	/* Every byte is read whatever the earlier ones were: no early exit. */
	uint8_t diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	/* (diff - 1) >> 8 is all ones exactly when diff == 0: no branch on the data. */
	return (int)((((unsigned)diff - 1u) >> 8) & 1u);
}

void btpm_wipe(void *p, size_t n)
{
	if (p && n)
		mbedtls_platform_zeroize(p, n);
}
