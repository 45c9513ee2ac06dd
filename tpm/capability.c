/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_GetCapability (Part 3, 30.2) and TPMS_CAPABILITY_DATA (Part 2, 10.10). */
#include <string.h>

#include "internal.h"

/* Parse the TPMU_CAPABILITIES list of one capability into out. */
static void parse_list(struct btpm_buf *b, struct btpm_capdata *out)
{
	uint32_t n = btpm_get_u32(b);
	uint32_t max = out->capability == BTPM_CAP_PCRS ? 16 : BTPM_CAP_MAX;
	if (n > max) {
		btpm_buf_fail(b, BTPM_E_MALFORMED);
		return;
	}
	out->count = n;
	for (uint32_t i = 0; i < n && !b->err; i++) {
		switch (out->capability) {
		case BTPM_CAP_ALGS: /* TPMS_ALG_PROPERTY */
			out->u.algs[i].alg = btpm_get_u16(b);
			out->u.algs[i].attributes = btpm_get_u32(b);
			break;
		case BTPM_CAP_HANDLES:
			out->u.handles[i] = btpm_get_u32(b);
			break;
		case BTPM_CAP_COMMANDS: /* TPMA_CC */
			out->u.commands[i] = btpm_get_u32(b);
			break;
		case BTPM_CAP_PCRS: { /* TPMS_PCR_SELECTION */
			struct btpm_pcr_selection *s = &out->u.pcrs[i];
			s->hash = btpm_get_u16(b);
			s->size_of_select = btpm_get_u8(b);
			if (s->size_of_select > sizeof(s->select))
				btpm_buf_fail(b, BTPM_E_MALFORMED);
			else
				btpm_get_bytes(b, s->select, s->size_of_select);
			break;
		}
		case BTPM_CAP_TPM_PROPERTIES: /* TPMS_TAGGED_PROPERTY */
			out->u.props[i].property = btpm_get_u32(b);
			out->u.props[i].value = btpm_get_u32(b);
			break;
		case BTPM_CAP_ECC_CURVES:
			out->u.curves[i] = btpm_get_u16(b);
			break;
		}
	}
}

static int supported(uint32_t capability)
{
	switch (capability) {
	case BTPM_CAP_ALGS:
	case BTPM_CAP_HANDLES:
	case BTPM_CAP_COMMANDS:
	case BTPM_CAP_PCRS:
	case BTPM_CAP_TPM_PROPERTIES:
	case BTPM_CAP_ECC_CURVES:
		return 1;
	}
	return 0;
}

int btpm_get_capability(struct btpm *t, uint32_t capability, uint32_t property, uint32_t count,
			int *more_data, struct btpm_capdata *out)
{
	if (!t || !out || !more_data || !supported(capability))
		return BTPM_E_ARG;
	struct btpm_buf *p = btpm_params(t);
	btpm_put_u32(p, capability);
	btpm_put_u32(p, property);
	btpm_put_u32(p, count);
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_get_capability, NULL, NULL, 0, &r);
	if (rc)
		return rc;
	uint8_t more = btpm_get_u8(&r.params);
	uint32_t cap = btpm_get_u32(&r.params);
	if (more > 1 || cap != capability)
		btpm_buf_fail(&r.params, BTPM_E_MALFORMED);
	out->capability = capability;
	out->count = 0;
	parse_list(&r.params, out);
	rc = btpm_buf_end(&r.params);
	if (rc) {
		btpm_set_detail(t, "TPM2_GetCapability 0x%x: malformed capability data",
				(unsigned)capability);
		out->count = 0;
		return rc;
	}
	*more_data = more;
	return 0;
}

/* The property, handle, algorithm or command code that orders entry i. */
static uint32_t key_of(const struct btpm_capdata *d, uint32_t i)
{
	switch (d->capability) {
	case BTPM_CAP_ALGS:
		return d->u.algs[i].alg;
	case BTPM_CAP_HANDLES:
		return d->u.handles[i];
	case BTPM_CAP_COMMANDS:
		/* TPM_CC from TPMA_CC: commandIndex plus the vendor bit (Part 2, 8.9) */
		return (d->u.commands[i] & 0xFFFFu) | (d->u.commands[i] & 0x20000000u);
	case BTPM_CAP_TPM_PROPERTIES:
		return d->u.props[i].property;
	case BTPM_CAP_ECC_CURVES:
		return d->u.curves[i];
	}
	return 0;
}

static void copy_entry(struct btpm_capdata *dst, uint32_t j, const struct btpm_capdata *src,
		       uint32_t i)
{
	switch (src->capability) {
	case BTPM_CAP_ALGS:
		dst->u.algs[j] = src->u.algs[i];
		break;
	case BTPM_CAP_HANDLES:
		dst->u.handles[j] = src->u.handles[i];
		break;
	case BTPM_CAP_COMMANDS:
		dst->u.commands[j] = src->u.commands[i];
		break;
	case BTPM_CAP_TPM_PROPERTIES:
		dst->u.props[j] = src->u.props[i];
		break;
	case BTPM_CAP_ECC_CURVES:
		dst->u.curves[j] = src->u.curves[i];
		break;
	}
}

int btpm_get_capability_all(struct btpm *t, uint32_t capability, uint32_t property,
			    uint32_t last, struct btpm_capdata *out)
{
	if (!t || !out || !supported(capability) || last < property)
		return BTPM_E_ARG;
	int more = 0, rc;
	if (capability == BTPM_CAP_PCRS) /* one answer holds every bank */
		return btpm_get_capability(t, capability, 0, 1, &more, out);
	struct btpm_capdata *chunk = &t->cap_scratch;
	out->capability = capability;
	out->count = 0;
	uint32_t next = property;
	do {
		rc = btpm_get_capability(t, capability, next, BTPM_CAP_MAX, &more, chunk);
		if (rc)
			return rc;
		int progressed = 0;
		for (uint32_t i = 0; i < chunk->count; i++) {
			uint32_t k = key_of(chunk, i);
			if (k < next) /* not ascending from where we asked: refuse to loop */
				goto malformed;
			if (k > last) {
				more = 0;
				break;
			}
			if (out->count == BTPM_CAP_MAX) {
				btpm_set_detail(t, "capability 0x%x has more than %d entries",
						(unsigned)capability, BTPM_CAP_MAX);
				return BTPM_E_TOOBIG;
			}
			copy_entry(out, out->count++, chunk, i);
			if (k == 0xFFFFFFFFu)
				more = 0;
			next = k + 1;
			progressed = 1;
		}
		if (more && !progressed)
			goto malformed;
	} while (more);
	return 0;
malformed:
	btpm_set_detail(t, "TPM2_GetCapability 0x%x: entries out of order", (unsigned)capability);
	return BTPM_E_MALFORMED;
}

int btpm_get_property(struct btpm *t, uint32_t property, uint32_t *value)
{
	if (!t || !value)
		return BTPM_E_ARG;
	struct btpm_capdata *d = &t->cap_scratch;
	int more;
	int rc = btpm_get_capability(t, BTPM_CAP_TPM_PROPERTIES, property, 1, &more, d);
	if (rc)
		return rc;
	if (d->count < 1 || d->u.props[0].property != property)
		return BTPM_E_NOTFOUND;
	*value = d->u.props[0].value;
	return 0;
}
