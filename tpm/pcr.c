/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_PCR_Read (Part 3, 22.4). */
#include <string.h>

#include "internal.h"

#define PCR_COUNT 24
#define SELECT_BYTES 3 /* PCR_SELECT_MIN for 24 PCRs (Part 2, 10.6.1) */

static unsigned digest_size(uint16_t hash)
{
	switch (hash) {
	case BTPM_ALG_SHA1:
		return 20;
	case BTPM_ALG_SHA256:
		return 32;
	case BTPM_ALG_SHA384:
		return 48;
	case BTPM_ALG_SHA512:
		return 64;
	}
	return 0;
}

/* TPML_PCR_SELECTION of one bank (Part 2, 10.9.7). */
static void put_selection(struct btpm_buf *b, uint16_t hash, uint32_t mask)
{
	btpm_put_u32(b, 1);
	btpm_put_u16(b, hash);
	btpm_put_u8(b, SELECT_BYTES);
	for (unsigned i = 0; i < SELECT_BYTES; i++)
		btpm_put_u8(b, (uint8_t)(mask >> (8 * i)));
}

/* The bank's selection in a response: empty list = nothing read. */
static uint32_t get_selection(struct btpm_buf *b, uint16_t hash)
{
	uint32_t n = btpm_get_u32(b), mask = 0;
	if (n > 1) {
		btpm_buf_fail(b, BTPM_E_MALFORMED);
		return 0;
	}
	if (n == 1) {
		uint16_t h = btpm_get_u16(b);
		uint8_t size = btpm_get_u8(b);
		if (h != hash || size > 4) {
			btpm_buf_fail(b, BTPM_E_MALFORMED);
			return 0;
		}
		for (unsigned i = 0; i < size; i++)
			mask |= (uint32_t)btpm_get_u8(b) << (8 * i);
	}
	return mask;
}

int btpm_pcr_read(struct btpm *t, uint16_t hash, uint32_t mask, struct btpm_pcr_values *out)
{
	unsigned dsize = digest_size(hash);
	if (!t || !out || !dsize || mask >> PCR_COUNT)
		return BTPM_E_ARG;
	memset(out, 0, sizeof(*out));
	out->hash = hash;
	out->digest_size = (uint16_t)dsize;
	uint32_t left = mask;
	/* The TPM returns at most 8 digests per call; a PCR change between calls restarts. */
	for (unsigned round = 0; left && round < 16; round++) {
		struct btpm_rsp r;
		put_selection(btpm_params(t), hash, left);
		int rc = btpm_exec(t, &btpm_cmd_pcr_read, NULL, NULL, 0, &r);
		if (rc)
			return rc;
		uint32_t counter = btpm_get_u32(&r.params);
		uint32_t got = get_selection(&r.params, hash);
		uint32_t ndig = btpm_get_u32(&r.params);
		unsigned bits = (unsigned)__builtin_popcount(got);
		if ((got & ~left) || ndig != bits || (left && !got))
			btpm_buf_fail(&r.params, BTPM_E_MALFORMED);
		if (round && counter != out->update_counter && !r.params.err) {
			/* values read so far may mix two PCR states: start over */
			left = mask;
			out->count = 0;
			out->update_counter = counter;
			continue;
		}
		out->update_counter = counter;
		for (unsigned i = 0; i < PCR_COUNT && !r.params.err; i++) {
			if (!(got & (1u << i)))
				continue;
			uint16_t n;
			const uint8_t *d = btpm_get_tpm2b(&r.params, &n, dsize);
			if (d && n != dsize)
				btpm_buf_fail(&r.params, BTPM_E_MALFORMED);
			if (r.params.err)
				break;
			out->index[out->count] = (uint8_t)i;
			memcpy(out->digest[out->count++], d, dsize);
		}
		rc = btpm_buf_end(&r.params);
		if (rc) {
			btpm_set_detail(t, "TPM2_PCR_Read: malformed response");
			return rc;
		}
		left &= ~got;
	}
	if (left) {
		btpm_set_detail(t, "TPM2_PCR_Read: PCRs kept changing while being read");
		return BTPM_E_MALFORMED;
	}
	/* Index order regardless of how the rounds fell. */
	for (unsigned i = 1; i < out->count; i++)
		for (unsigned j = i; j && out->index[j - 1] > out->index[j]; j--) {
			uint8_t ti = out->index[j];
			uint8_t td[64];
			memcpy(td, out->digest[j], dsize);
			out->index[j] = out->index[j - 1];
			memcpy(out->digest[j], out->digest[j - 1], dsize);
			out->index[j - 1] = ti;
			memcpy(out->digest[j - 1], td, dsize);
		}
	return 0;
}
