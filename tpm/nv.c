/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_NV_ReadPublic (Part 3, 31.6) and TPM2_NV_Read (Part 3, 31.13). */
#include <string.h>

#include "internal.h"

/* TPMS_NV_PUBLIC (Part 2, 13.5) inside its TPM2B_NV_PUBLIC. */
static void parse_nv_public(struct btpm_buf *b, struct btpm_nv_public *out)
{
	struct btpm_buf s;
	btpm_get_sub(b, &s, 0);
	out->nv_index = btpm_get_u32(&s);
	out->name_alg = btpm_get_u16(&s);
	out->attributes = btpm_get_u32(&s);
	btpm_get_tpm2b_copy(&s, out->auth_policy, sizeof(out->auth_policy), &out->auth_policy_size);
	out->data_size = btpm_get_u16(&s);
	int rc = btpm_buf_end(&s);
	if (rc)
		btpm_buf_fail(b, rc);
}

int btpm_nv_read_public(struct btpm *t, uint32_t nv_index, struct btpm_nv_public *out)
{
	if (!t || !out)
		return BTPM_E_ARG;
	struct btpm_rsp r;
	btpm_params(t);
	const struct btpm_entity e = {.handle = nv_index}, *h[1] = {&e};
	int rc = btpm_exec(t, &btpm_cmd_nv_read_public, h, NULL, 0, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	parse_nv_public(&r.params, out);
	btpm_get_tpm2b_copy(&r.params, out->name.name, sizeof(out->name.name), &out->name.size);
	rc = btpm_buf_end(&r.params);
	if (!rc && out->nv_index != nv_index) {
		btpm_set_detail(t, "TPM2_NV_ReadPublic 0x%08x answered for 0x%08x",
				(unsigned)nv_index, (unsigned)out->nv_index);
		rc = BTPM_E_MALFORMED;
	} else if (rc) {
		btpm_set_detail(t, "TPM2_NV_ReadPublic 0x%08x: malformed response",
				(unsigned)nv_index);
	}
	return rc;
}

static int nv_buffer_max(struct btpm *t, uint32_t *max)
{
	if (!t->nv_buffer_max) {
		uint32_t v;
		int rc = btpm_get_property(t, BTPM_PT_NV_BUFFER_MAX, &v);
		if (rc == BTPM_E_NOTFOUND || (!rc && (v < 64 || v > 2048)))
			v = 512; /* a conservative size every TPM accepts */
		else if (rc)
			return rc;
		t->nv_buffer_max = v;
	}
	*max = t->nv_buffer_max;
	return 0;
}

int btpm_nv_read(struct btpm *t, const struct btpm_nv_public *pub, uint16_t offset,
		 uint8_t *out, size_t size)
{
	if (!t || !pub || (!out && size) || (size_t)offset + size > pub->data_size)
		return BTPM_E_ARG;
	struct btpm_entity auth = {0}, index = {.handle = pub->nv_index};
	const struct btpm_entity *handles[2] = {&auth, &index};
	if (pub->attributes & BTPM_TPMA_NV_AUTHREAD)
		auth.handle = pub->nv_index;
	else if (pub->attributes & BTPM_TPMA_NV_OWNERREAD)
		auth.handle = BTPM_RH_OWNER;
	else {
		btpm_set_detail(t, "NV index 0x%08x is readable neither with its own nor the "
				   "owner's authorization",
				(unsigned)pub->nv_index);
		return BTPM_E_UNSUPPORTED;
	}
	uint32_t max;
	int rc = nv_buffer_max(t, &max);
	if (rc)
		return rc;
	struct btpm_session pw;
	btpm_session_password(&pw);
	struct btpm_session *sessions[1] = {&pw};
	while (size) {
		uint16_t want = size > max ? (uint16_t)max : (uint16_t)size, got;
		struct btpm_buf *p = btpm_params(t);
		btpm_put_u16(p, want);
		btpm_put_u16(p, offset);
		struct btpm_rsp r;
		rc = btpm_exec(t, &btpm_cmd_nv_read, handles, sessions, 1, &r);
		if (rc)
			return rc;
		const uint8_t *d = btpm_get_tpm2b(&r.params, &got, want);
		rc = btpm_buf_end(&r.params);
		if (!rc && got != want)
			rc = BTPM_E_MALFORMED;
		if (rc) {
			btpm_set_detail(t, "TPM2_NV_Read 0x%08x: malformed response",
					(unsigned)pub->nv_index);
			return rc;
		}
		memcpy(out, d, got);
		out += got;
		offset = (uint16_t)(offset + got);
		size -= got;
	}
	return 0;
}
