/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Digests and HMAC by TPM_ALG_ID, over one buffer or a list of pieces.
 *
 * Straight on mbedTLS's SHA contexts, on the stack: mbedtls_md_setup()
 * allocates a context (and the HMAC pads) per call, and a signature computes
 * four of these (two HMACs, cpHash, rpHash), so that was four calloc/free
 * pairs per C_Sign. HMAC is RFC 2104 over the same contexts.
 */
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <string.h>

#include "baretpm.h"
#include "btpm_crypto.h"

#define MAX_BLOCK 128 /* SHA-384/512 */
#define MAX_DIGEST 64

union hash_ctx {
	mbedtls_sha1_context sha1;
	mbedtls_sha256_context sha256;
	mbedtls_sha512_context sha512;
};

static const struct hash {
	uint16_t alg;
	uint8_t size, block;
} hashes[] = {
	{BTPM_ALG_SHA1, 20, 64},
	{BTPM_ALG_SHA256, 32, 64},
	{BTPM_ALG_SHA384, 48, 128},
	{BTPM_ALG_SHA512, 64, 128},
};

static const struct hash *find(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].alg == alg)
			return &hashes[i];
	return NULL;
}

int btpm_hash_size(uint16_t alg)
{
	const struct hash *h = find(alg);
	return h ? h->size : 0;
}

/* mbedTLS 2.28's *_ret functions fail only on a hardware accelerator's error. */
static int h_start(const struct hash *h, union hash_ctx *c)
{
	switch (h->alg) {
	case BTPM_ALG_SHA1:
		mbedtls_sha1_init(&c->sha1);
		return mbedtls_sha1_starts_ret(&c->sha1);
	case BTPM_ALG_SHA256:
		mbedtls_sha256_init(&c->sha256);
		return mbedtls_sha256_starts_ret(&c->sha256, 0);
	default:
		mbedtls_sha512_init(&c->sha512);
		return mbedtls_sha512_starts_ret(&c->sha512, h->alg == BTPM_ALG_SHA384);
	}
}

static int h_update(const struct hash *h, union hash_ctx *c, const void *p, size_t n)
{
	if (!n)
		return 0;
	switch (h->alg) {
	case BTPM_ALG_SHA1:
		return mbedtls_sha1_update_ret(&c->sha1, p, n);
	case BTPM_ALG_SHA256:
		return mbedtls_sha256_update_ret(&c->sha256, p, n);
	default:
		return mbedtls_sha512_update_ret(&c->sha512, p, n);
	}
}

/* out = the digest; the context is wiped (mbedTLS's free zeroizes it). */
static int h_finish(const struct hash *h, union hash_ctx *c, uint8_t *out)
{
	int ret;
	switch (h->alg) {
	case BTPM_ALG_SHA1:
		ret = mbedtls_sha1_finish_ret(&c->sha1, out);
		mbedtls_sha1_free(&c->sha1);
		break;
	case BTPM_ALG_SHA256:
		ret = mbedtls_sha256_finish_ret(&c->sha256, out);
		mbedtls_sha256_free(&c->sha256);
		break;
	default:
		ret = mbedtls_sha512_finish_ret(&c->sha512, out);
		mbedtls_sha512_free(&c->sha512);
	}
	return ret;
}

static int valid_iov(const struct btpm_iov *v, size_t nv)
{
	if (!v && nv)
		return 0;
	for (size_t i = 0; i < nv; i++)
		if (!v[i].p && v[i].n)
			return 0;
	return 1;
}

/* H(prefix || v[0] || ... || v[nv-1]); prefix may be empty. */
static int digest(const struct hash *h, const uint8_t *prefix, size_t plen,
		  const struct btpm_iov *v, size_t nv, uint8_t *out)
{
	union hash_ctx c;
	int ret = h_start(h, &c);
	if (!ret)
		ret = h_update(h, &c, prefix, plen);
	for (size_t i = 0; !ret && i < nv; i++)
		ret = h_update(h, &c, v[i].p, v[i].n);
	uint8_t sum[MAX_DIGEST];
	int fin = h_finish(h, &c, sum); /* always: it wipes the context */
	if (!ret && !fin)
		memcpy(out, sum, h->size);
	btpm_wipe(sum, sizeof(sum));
	btpm_wipe(&c, sizeof(c));
	return ret || fin ? BTPM_E_CRYPTO : 0;
}

int btpm_hash_v(uint16_t alg, uint8_t *out, const struct btpm_iov *v, size_t nv)
{
	if (!out || !valid_iov(v, nv))
		return BTPM_E_ARG;
	const struct hash *h = find(alg);
	if (!h)
		return BTPM_E_UNSUPPORTED;
	return digest(h, NULL, 0, v, nv, out);
}

int btpm_hash(uint16_t alg, const void *p, size_t n, uint8_t *out)
{
	struct btpm_iov v = {p, n};
	return btpm_hash_v(alg, out, &v, 1);
}

/*
 * RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), K the key padded with
 * zeros to the block size, or H(key) first when the key is longer than a
 * block. The pads and the inner digest are key material: wiped on every path.
 */
int btpm_hmac_v(uint16_t alg, const uint8_t *key, size_t keylen, uint8_t *out,
		const struct btpm_iov *v, size_t nv)
{
	/* An empty key is legal (a session with no sessionKey and no authValue). */
	if (!out || (!key && keylen) || !valid_iov(v, nv))
		return BTPM_E_ARG;
	const struct hash *h = find(alg);
	if (!h)
		return BTPM_E_UNSUPPORTED;
	uint8_t pad[MAX_BLOCK], inner[MAX_DIGEST];
	memset(pad, 0, sizeof(pad));
	int rc = 0;
	if (keylen > h->block) {
		struct btpm_iov k = {key, keylen};
		rc = digest(h, NULL, 0, &k, 1, pad);
	} else if (keylen) {
		memcpy(pad, key, keylen);
	}
	for (unsigned i = 0; i < h->block; i++)
		pad[i] ^= 0x36;
	if (!rc)
		rc = digest(h, pad, h->block, v, nv, inner);
	for (unsigned i = 0; i < h->block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	struct btpm_iov in = {inner, h->size};
	if (!rc)
		rc = digest(h, pad, h->block, &in, 1, out);
	btpm_wipe(pad, sizeof(pad));
	btpm_wipe(inner, sizeof(inner));
	return rc;
}

int btpm_hmac(uint16_t alg, const uint8_t *key, size_t keylen, const void *p, size_t n,
	      uint8_t *out)
{
	struct btpm_iov v = {p, n};
	return btpm_hmac_v(alg, key, keylen, out, &v, 1);
}
