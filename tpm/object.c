/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_ReadPublic (Part 3, 12.4) and TPM2_FlushContext (Part 3, 28.4). */
#include <string.h>

#include "internal.h"

int btpm_read_public(struct btpm *t, uint32_t object, struct btpm_read_public *out)
{
	if (!t || !out)
		return BTPM_E_ARG;
	struct btpm_rsp r;
	btpm_params(t);
	const struct btpm_entity e = {.handle = object}, *h[1] = {&e};
	int rc = btpm_exec(t, &btpm_cmd_read_public, h, NULL, 0, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	/* TPM2B_PUBLIC: an empty outPublic is not a valid answer */
	struct btpm_buf pub;
	btpm_get_sub(&r.params, &pub, 0);
	if (!pub.err && pub.cap > sizeof(out->public_area))
		btpm_buf_fail(&r.params, BTPM_E_TOOBIG);
	else if (!pub.err) {
		memcpy(out->public_area, pub.p, pub.cap);
		out->public_size = (uint16_t)pub.cap;
	}
	btpm_get_tpm2b_copy(&r.params, out->name.name, sizeof(out->name.name), &out->name.size);
	btpm_get_tpm2b_copy(&r.params, out->qualified_name.name, sizeof(out->qualified_name.name),
			    &out->qualified_name.size);
	rc = btpm_buf_end(&r.params);
	if (rc)
		btpm_set_detail(t, "TPM2_ReadPublic 0x%08x: malformed response", (unsigned)object);
	return rc;
}

int btpm_flush_context(struct btpm *t, uint32_t handle)
{
	if (!t)
		return BTPM_E_ARG;
	struct btpm_rsp r;
	btpm_put_u32(btpm_params(t), handle); /* flushHandle is a parameter, not a handle */
	int rc = btpm_exec(t, &btpm_cmd_flush_context, NULL, NULL, 0, &r);
	return rc ? rc : btpm_buf_end(&r.params);
}
