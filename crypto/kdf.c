/* SPDX-License-Identifier: BSD-2-Clause */
/* KDFa and KDFe (TPM 2.0 Part 1, 11.4.10). */
#include <string.h>

#include "baretpm.h"
#include "btpm_crypto.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Both KDFs concatenate blocks K(1), K(2), ... computed over the same pieces
 * with only the counter changing, and truncate to bits: pieces[0] is the
 * counter, filled in here. A partial last block is computed in full into a
 * local buffer and wiped.
 */
static int kdf(uint16_t alg, const uint8_t *key, size_t keylen, struct btpm_iov *pieces,
	       size_t npieces, uint32_t bits, uint8_t *out)
{
	int hlen = btpm_hash_size(alg);
	if (!hlen)
		return BTPM_E_UNSUPPORTED;
	size_t bytes = ((size_t)bits + 7) / 8, off = 0;
	uint8_t counter[4], block[BTPM_MAX_DIGEST];
	int rc = 0;
	pieces[0].p = counter;
	pieces[0].n = sizeof(counter);
	for (uint32_t i = 1; off < bytes; i++) {
		put32(counter, i);
		size_t take = bytes - off < (size_t)hlen ? bytes - off : (size_t)hlen;
		rc = key ? btpm_hmac_v(alg, key, keylen, block, pieces, npieces)
			 : btpm_hash_v(alg, block, pieces, npieces);
		if (rc)
			break;
		memcpy(out + off, block, take);
		off += take;
	}
	btpm_wipe(block, sizeof(block));
	if (rc) {
		btpm_wipe(out, bytes);
		return rc;
	}
	/* bits not a multiple of 8: the excess high-order bits of the first octet are 0. */
	if (bits % 8)
		out[0] &= (uint8_t)((1u << (bits % 8)) - 1);
	return 0;
}

/* The label with its NUL: "the label is followed by a 0 octet unless it ends in one". */
static struct btpm_iov label_iov(const char *label)
{
	struct btpm_iov v = {label ? label : "", label ? strlen(label) + 1 : 1};
	return v;
}

int btpm_kdfa(uint16_t alg, const uint8_t *key, size_t keylen, const char *label,
	      const uint8_t *context_u, size_t ulen, const uint8_t *context_v, size_t vlen,
	      uint32_t bits, uint8_t *out)
{
	static const uint8_t empty[1];
	if ((!key && keylen) || (!context_u && ulen) || (!context_v && vlen) || !out || !bits)
		return BTPM_E_ARG;
	uint8_t l[4];
	put32(l, bits);
	struct btpm_iov pieces[] = {
		{NULL, 0}, label_iov(label), {context_u, ulen}, {context_v, vlen}, {l, 4},
	};
	return kdf(alg, key ? key : empty, keylen, pieces, 5, bits, out);
}

int btpm_kdfe(uint16_t alg, const uint8_t *z, size_t zlen, const char *label,
	      const uint8_t *party_u, size_t ulen, const uint8_t *party_v, size_t vlen,
	      uint32_t bits, uint8_t *out)
{
	if (!z || !zlen || (!party_u && ulen) || (!party_v && vlen) || !out || !bits)
		return BTPM_E_ARG;
	struct btpm_iov pieces[] = {
		{NULL, 0}, {z, zlen}, label_iov(label), {party_u, ulen}, {party_v, vlen},
	};
	return kdf(alg, NULL, 0, pieces, 5, bits, out);
}
