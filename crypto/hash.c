/* SPDX-License-Identifier: BSD-2-Clause */
/* Digests and HMAC by TPM_ALG_ID, over one buffer or a list of pieces. */
#include <mbedtls/md.h>

#include "baretpm.h"
#include "btpm_crypto.h"

static const struct {
	uint16_t alg;
	mbedtls_md_type_t md;
	uint8_t size;
} hashes[] = {
	{BTPM_ALG_SHA1, MBEDTLS_MD_SHA1, 20},
	{BTPM_ALG_SHA256, MBEDTLS_MD_SHA256, 32},
	{BTPM_ALG_SHA384, MBEDTLS_MD_SHA384, 48},
	{BTPM_ALG_SHA512, MBEDTLS_MD_SHA512, 64},
};

static const mbedtls_md_info_t *md_info(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].alg == alg)
			return mbedtls_md_info_from_type(hashes[i].md);
	return NULL;
}

int btpm_hash_size(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].alg == alg)
			return hashes[i].size;
	return 0;
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

/*
 * One digest or HMAC (key non-NULL) over the pieces. The context holds the
 * HMAC pads, i.e. key material: mbedtls_md_free zeroizes it on every path.
 */
static int digest_v(uint16_t alg, const uint8_t *key, size_t keylen, uint8_t *out,
		    const struct btpm_iov *v, size_t nv)
{
	if (!out || !valid_iov(v, nv))
		return BTPM_E_ARG;
	const mbedtls_md_info_t *info = md_info(alg);
	if (!info)
		return BTPM_E_UNSUPPORTED;
	mbedtls_md_context_t ctx;
	mbedtls_md_init(&ctx);
	int hmac = key != NULL;
	int ret = mbedtls_md_setup(&ctx, info, hmac);
	if (!ret)
		ret = hmac ? mbedtls_md_hmac_starts(&ctx, key, keylen) : mbedtls_md_starts(&ctx);
	for (size_t i = 0; !ret && i < nv; i++)
		if (v[i].n)
			ret = hmac ? mbedtls_md_hmac_update(&ctx, v[i].p, v[i].n)
				   : mbedtls_md_update(&ctx, v[i].p, v[i].n);
	if (!ret)
		ret = hmac ? mbedtls_md_hmac_finish(&ctx, out) : mbedtls_md_finish(&ctx, out);
	mbedtls_md_free(&ctx);
	if (ret == MBEDTLS_ERR_MD_ALLOC_FAILED)
		return BTPM_E_NOMEM;
	return ret ? BTPM_E_CRYPTO : 0;
}

int btpm_hash_v(uint16_t alg, uint8_t *out, const struct btpm_iov *v, size_t nv)
{
	return digest_v(alg, NULL, 0, out, v, nv);
}

int btpm_hash(uint16_t alg, const void *p, size_t n, uint8_t *out)
{
	struct btpm_iov v = {p, n};
	return digest_v(alg, NULL, 0, out, &v, 1);
}

int btpm_hmac_v(uint16_t alg, const uint8_t *key, size_t keylen, uint8_t *out,
		const struct btpm_iov *v, size_t nv)
{
	static const uint8_t empty[1];
	if (!key && keylen)
		return BTPM_E_ARG;
	/* An empty key is legal (a session with no sessionKey and no authValue). */
	return digest_v(alg, key ? key : empty, keylen, out, v, nv);
}

int btpm_hmac(uint16_t alg, const uint8_t *key, size_t keylen, const void *p, size_t n,
	      uint8_t *out)
{
	struct btpm_iov v = {p, n};
	return btpm_hmac_v(alg, key, keylen, out, &v, 1);
}
