/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_ContextSave (Part 3, 28.2) and TPM2_ContextLoad (Part 3, 28.3). */
#include <string.h>

#include "cmds_keys.h"

/* TPMS_CONTEXT (Part 2, 14.5) */
static void put_context(struct btpm_buf *b, const struct btpm_context *c)
{
	btpm_put_u64(b, c->sequence);
	btpm_put_u32(b, c->saved_handle);
	btpm_put_u32(b, c->hierarchy);
	btpm_put_tpm2b(b, c->blob, c->blob_size); /* contextBlob: TPM2B_CONTEXT_DATA */
}

int btpm_context_save(struct btpm *t, uint32_t handle, struct btpm_context *out)
{
	if (!t || !out)
		return BTPM_E_ARG;
	const struct btpm_entity e = {.handle = handle};
	const struct btpm_entity *h[1] = {&e};
	btpm_params(t);
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_context_save, h, NULL, 0, &r);
	if (rc)
		return rc;
	struct btpm_buf *b = &r.params;
	uint16_t n;
	uint64_t sequence = btpm_get_u64(b);
	uint32_t saved_handle = btpm_get_u32(b);
	uint32_t hierarchy = btpm_get_u32(b);
	const uint8_t *blob = btpm_get_tpm2b(b, &n, sizeof(out->blob)); /* TPM2B_CONTEXT_DATA */
	if (blob && !n)
		btpm_buf_fail(b, BTPM_E_MALFORMED);
	rc = btpm_buf_end(b);
	if (rc) {
		btpm_set_detail(t, "TPM2_ContextSave 0x%08x: malformed response", (unsigned)handle);
		return rc;
	}
	out->sequence = sequence;
	out->saved_handle = saved_handle;
	out->hierarchy = hierarchy;
	out->blob_size = n;
	memcpy(out->blob, blob, n);
	return 0;
}

int btpm_context_load(struct btpm *t, const struct btpm_context *ctx, uint32_t *handle)
{
	if (!t || !ctx || !handle || !ctx->blob_size || ctx->blob_size > sizeof(ctx->blob))
		return BTPM_E_ARG;
	put_context(btpm_params(t), ctx);
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_context_load, NULL, NULL, 0, &r);
	if (rc)
		return rc;
	rc = btpm_buf_end(&r.params);
	/* an object comes back as a transient handle, a session as itself */
	if (!rc && (r.handle & 0xFF000000u) != (ctx->saved_handle & 0xFF000000u))
		rc = BTPM_E_MALFORMED;
	if (rc) {
		if ((r.handle & 0xFF000000u) == BTPM_HR_TRANSIENT)
			btpm_flush_context(t, r.handle);
		btpm_set_detail(t, "TPM2_ContextLoad: malformed response (loadedHandle 0x%08x)",
				(unsigned)r.handle);
		return rc;
	}
	*handle = r.handle;
	return 0;
}
