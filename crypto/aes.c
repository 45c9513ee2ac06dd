/* SPDX-License-Identifier: BSD-2-Clause */
/* AES-CFB (TPM parameter encryption) and AES-GCM (data at rest). */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>

#include "baretpm.h"
#include "btpm_crypto.h"

static int aes_keylen_ok(size_t keylen)
{
	return keylen == 16 || keylen == 24 || keylen == 32;
}

/*
 * CFB-128 (SP 800-38A, 6.3) with a partial last segment, which is what
 * Part 1, 11.4.6.3 asks for: both directions use the forward cipher, so the
 * key schedule is always the encryption one. mbedTLS reads each input byte
 * before writing its output byte, so in place is safe.
 */
static int cfb(int mode, const uint8_t *key, size_t keylen, const uint8_t *iv, uint8_t *buf,
	       size_t n)
{
	if (!key || !aes_keylen_ok(keylen) || !iv || (!buf && n))
		return BTPM_E_ARG;
	if (!n)
		return 0;
	mbedtls_aes_context ctx;
	uint8_t chain[BTPM_AES_BLOCK]; /* the running IV holds keystream: wiped */
	size_t iv_off = 0;
	memcpy(chain, iv, sizeof(chain));
	mbedtls_aes_init(&ctx);
	int ret = mbedtls_aes_setkey_enc(&ctx, key, (unsigned)(keylen * 8));
	if (!ret)
		ret = mbedtls_aes_crypt_cfb128(&ctx, mode, n, &iv_off, chain, buf, buf);
	mbedtls_aes_free(&ctx);
	btpm_wipe(chain, sizeof(chain));
	return ret ? BTPM_E_CRYPTO : 0;
}

int btpm_aes_cfb_encrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, uint8_t *buf,
			 size_t n)
{
	return cfb(MBEDTLS_AES_ENCRYPT, key, keylen, iv, buf, n);
}

int btpm_aes_cfb_decrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, uint8_t *buf,
			 size_t n)
{
	return cfb(MBEDTLS_AES_DECRYPT, key, keylen, iv, buf, n);
}

static int gcm_args_ok(const uint8_t *key, size_t keylen, const uint8_t *iv, const uint8_t *aad,
		       size_t aadlen, const uint8_t *buf, size_t n, const uint8_t *tag)
{
	return key && aes_keylen_ok(keylen) && iv && (aad || !aadlen) && (buf || !n) && tag;
}

int btpm_aes_gcm_seal(const uint8_t *key, size_t keylen, const uint8_t *iv, const uint8_t *aad,
		      size_t aadlen, uint8_t *buf, size_t n, uint8_t *tag)
{
	if (!gcm_args_ok(key, keylen, iv, aad, aadlen, buf, n, tag))
		return BTPM_E_ARG;
	mbedtls_gcm_context ctx;
	mbedtls_gcm_init(&ctx);
	int ret = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(keylen * 8));
	if (!ret)
		ret = mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, n, iv, BTPM_GCM_IV, aad,
						aadlen, buf, buf, BTPM_GCM_TAG, tag);
	mbedtls_gcm_free(&ctx);
	if (ret) {
		/* Never leave a half-encrypted buffer that looks like output. */
		btpm_wipe(buf, n);
		btpm_wipe(tag, BTPM_GCM_TAG);
		return BTPM_E_CRYPTO;
	}
	return 0;
}

int btpm_aes_gcm_open(const uint8_t *key, size_t keylen, const uint8_t *iv, const uint8_t *aad,
		      size_t aadlen, uint8_t *buf, size_t n, const uint8_t *tag)
{
	if (!gcm_args_ok(key, keylen, iv, aad, aadlen, buf, n, tag))
		return BTPM_E_ARG;
	mbedtls_gcm_context ctx;
	mbedtls_gcm_init(&ctx);
	int ret = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(keylen * 8));
	/* Checks the tag in constant time; zeroes the output when it does not match. */
	if (!ret)
		ret = mbedtls_gcm_auth_decrypt(&ctx, n, iv, BTPM_GCM_IV, aad, aadlen, tag,
					       BTPM_GCM_TAG, buf, buf);
	mbedtls_gcm_free(&ctx);
	if (ret) {
		btpm_wipe(buf, n);
		return BTPM_E_CRYPTO;
	}
	return 0;
}
