/* SPDX-License-Identifier: BSD-2-Clause */
/* SubjectPublicKeyInfo for EC keys (RFC 5280, 4.1; RFC 5480, 2). */
#include <string.h>

#include "baretpm.h"
#include "btpm_crypto.h"
#include "btpm_spki.h"

/* id-ecPublicKey 1.2.840.10045.2.1 (RFC 5480, 2.1.1) */
static const uint8_t oid_ec_public_key[] = {0x06, 0x07, 0x2a, 0x86, 0x48,
					    0xce, 0x3d, 0x02, 0x01};
/* secp256r1 1.2.840.10045.3.1.7 and secp384r1 1.3.132.0.34 (RFC 5480, 2.1.1.1) */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

int btpm_ecc_spki_der(uint16_t curve, const uint8_t *x, const uint8_t *y, size_t coord_len,
		      uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *oid;
	size_t oid_len;
	if (!x || !y || !len || (!out && cap))
		return BTPM_E_ARG;
	switch (curve) {
	case BTPM_ECC_NIST_P256:
		oid = oid_p256;
		oid_len = sizeof(oid_p256);
		break;
	case BTPM_ECC_NIST_P384:
		oid = oid_p384;
		oid_len = sizeof(oid_p384);
		break;
	default:
		return BTPM_E_UNSUPPORTED;
	}
	if (coord_len != (size_t)btpm_ecc_coord_size(curve))
		return BTPM_E_ARG;
	size_t alg_len = sizeof(oid_ec_public_key) + oid_len;
	size_t bits_len = 2 + 2 * coord_len; /* unused-bits octet, 0x04, x, y */
	size_t body = 2 + alg_len + 2 + bits_len;
	if (body > 0x7F) /* short-form lengths suffice up to P-384 */
		return BTPM_E_UNSUPPORTED;
	*len = 2 + body;
	if (cap < *len)
		return BTPM_E_TOOBIG;
	size_t n = 0;
	out[n++] = 0x30; /* SubjectPublicKeyInfo */
	out[n++] = (uint8_t)body;
	out[n++] = 0x30; /* AlgorithmIdentifier */
	out[n++] = (uint8_t)alg_len;
	memcpy(out + n, oid_ec_public_key, sizeof(oid_ec_public_key));
	n += sizeof(oid_ec_public_key);
	memcpy(out + n, oid, oid_len); /* ECParameters: namedCurve */
	n += oid_len;
	out[n++] = 0x03; /* subjectPublicKey: BIT STRING of the uncompressed point */
	out[n++] = (uint8_t)bits_len;
	out[n++] = 0x00;
	out[n++] = 0x04;
	memcpy(out + n, x, coord_len);
	n += coord_len;
	memcpy(out + n, y, coord_len);
	return 0;
}
