/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_GetRandom (Part 3, 16.1). */
#include <string.h>

#include "internal.h"

int btpm_get_random(struct btpm *t, uint8_t *out, size_t n)
{
	if (!t || (!out && n))
		return BTPM_E_ARG;
	while (n) {
		/* The TPM may return fewer bytes than asked (at most one digest's worth). */
		uint16_t want = n > 64 ? 64 : (uint16_t)n, got;
		struct btpm_rsp r;
		btpm_put_u16(btpm_params(t), want);
		int rc = btpm_exec(t, &btpm_cmd_get_random, NULL, NULL, 0, &r);
		if (rc)
			return rc;
		const uint8_t *p = btpm_get_tpm2b(&r.params, &got, want);
		rc = btpm_buf_end(&r.params);
		if (!rc && !got) {
			btpm_set_detail(t, "TPM2_GetRandom returned no bytes");
			rc = BTPM_E_MALFORMED;
		}
		if (rc)
			return rc;
		memcpy(out, p, got);
		out += got;
		n -= got;
	}
	return 0;
}
