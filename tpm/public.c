/* SPDX-License-Identifier: BSD-2-Clause */
/* TPMT_PUBLIC (Part 2, 12.2.4): strict parsing, Names and templates. */
#include <string.h>

#include "btpm_crypto.h"
#include "internal.h"

/* TPMT_SYM_DEF_OBJECT (Part 2, 11.1.7): algorithm, then keyBits and mode. */
static uint16_t get_sym(struct btpm_buf *b)
{
	uint16_t alg = btpm_get_u16(b);
	if (alg != BTPM_ALG_NULL) {
		btpm_get_u16(b); /* keyBits */
		btpm_get_u16(b); /* mode */
	}
	return alg;
}

/* An asymmetric or keyedhash scheme: its id, and a hash for every non-NULL one. */
static uint16_t get_scheme(struct btpm_buf *b, int keyedhash)
{
	uint16_t scheme = btpm_get_u16(b);
	if (scheme == BTPM_ALG_NULL)
		return scheme;
	btpm_get_u16(b); /* hashAlg (TPMS_SCHEME_HASH and friends) */
	if (keyedhash && scheme == 0x000A) /* TPM_ALG_XOR: TPMS_SCHEME_XOR adds a kdf */
		btpm_get_u16(b);
	if (!keyedhash && scheme == 0x001A) /* TPM_ALG_ECDAA: TPMS_SCHEME_ECDAA adds count */
		btpm_get_u16(b);
	return scheme;
}

static int coord_size_of(uint16_t curve)
{
	switch (curve) {
	case BTPM_ECC_NIST_P256:
		return 32;
	case BTPM_ECC_NIST_P384:
		return 48;
	case 0x0005: /* NIST P-521 */
		return 66;
	}
	return 0;
}

int btpm_public_parse(const struct btpm_public *pub, struct btpm_public_info *out)
{
	if (!pub || !out || pub->size > sizeof(pub->area))
		return BTPM_E_ARG;
	struct btpm_buf b;
	uint16_t n;
	memset(out, 0, sizeof(*out));
	btpm_buf_view(&b, pub->area, pub->size);
	out->type = btpm_get_u16(&b);
	out->name_alg = btpm_get_u16(&b);
	out->attributes = btpm_get_u32(&b);
	btpm_get_tpm2b(&b, &n, 64); /* authPolicy */
	out->scheme = out->sym_alg = BTPM_ALG_NULL;
	switch (out->type) {
	case BTPM_ALG_ECC: { /* TPMS_ECC_PARMS, then TPMS_ECC_POINT */
		out->sym_alg = get_sym(&b);
		out->scheme = get_scheme(&b, 0);
		out->curve = btpm_get_u16(&b);
		get_scheme(&b, 0); /* kdf: TPMT_KDF_SCHEME has the same shape */
		int cs = coord_size_of(out->curve);
		if (!cs) {
			btpm_buf_fail(&b, BTPM_E_UNSUPPORTED);
			break;
		}
		out->coord_size = (uint16_t)cs;
		uint16_t xs, ys;
		const uint8_t *x = btpm_get_tpm2b(&b, &xs, (size_t)cs);
		const uint8_t *y = btpm_get_tpm2b(&b, &ys, (size_t)cs);
		if (b.err)
			break;
		/* left-pad: a TPM may drop leading zero octets */
		memcpy(out->x + cs - xs, x, xs);
		memcpy(out->y + cs - ys, y, ys);
		break;
	}
	case BTPM_ALG_KEYEDHASH: /* TPMS_KEYEDHASH_PARMS, then TPM2B_DIGEST */
		out->scheme = get_scheme(&b, 1);
		btpm_get_tpm2b(&b, &n, 64);
		break;
	case BTPM_ALG_RSA: /* TPMS_RSA_PARMS, then TPM2B_PUBLIC_KEY_RSA */
		out->sym_alg = get_sym(&b);
		out->scheme = get_scheme(&b, 0);
		btpm_get_u16(&b); /* keyBits */
		btpm_get_u32(&b); /* exponent */
		btpm_get_tpm2b(&b, &n, 512);
		break;
	default:
		btpm_buf_fail(&b, BTPM_E_UNSUPPORTED);
	}
	return btpm_buf_end(&b);
}

int btpm_public_name(const struct btpm_public *pub, struct btpm_name *out)
{
	if (!pub || !out || pub->size < 4 || pub->size > sizeof(pub->area))
		return BTPM_E_ARG;
	uint16_t alg = (uint16_t)(pub->area[2] << 8 | pub->area[3]); /* nameAlg */
	int hs = btpm_hash_size(alg);
	if (hs <= 0)
		return BTPM_E_UNSUPPORTED;
	out->name[0] = pub->area[2];
	out->name[1] = pub->area[3];
	int rc = btpm_hash(alg, pub->area, pub->size, out->name + 2);
	out->size = rc ? 0 : (uint16_t)(2 + hs);
	return rc;
}

/* type, nameAlg SHA-256, objectAttributes, empty authPolicy */
static void put_head(struct btpm_buf *b, uint16_t type, uint32_t attributes)
{
	btpm_put_u16(b, type);
	btpm_put_u16(b, BTPM_ALG_SHA256);
	btpm_put_u32(b, attributes);
	btpm_put_u16(b, 0);
}

static int finish(struct btpm_buf *b, struct btpm_public *out)
{
	int rc = btpm_buf_err(b);
	out->size = rc ? 0 : (uint16_t)b->off;
	return rc;
}

int btpm_template_srk(struct btpm_public *out)
{
	static const uint8_t zeros[32];
	if (!out)
		return BTPM_E_ARG;
	struct btpm_buf b;
	btpm_buf_init(&b, out->area, sizeof(out->area));
	/* TCG TPM v2.0 Provisioning Guidance, 7.5.1: ECC NIST P-256 SRK */
	put_head(&b, BTPM_ALG_ECC,
		 BTPM_OA_FIXED_TPM | BTPM_OA_FIXED_PARENT | BTPM_OA_SENSITIVE_DATA_ORIGIN |
			 BTPM_OA_USER_WITH_AUTH | BTPM_OA_NO_DA | BTPM_OA_RESTRICTED |
			 BTPM_OA_DECRYPT);
	btpm_put_u16(&b, BTPM_ALG_AES);
	btpm_put_u16(&b, 128);
	btpm_put_u16(&b, BTPM_ALG_CFB);
	btpm_put_u16(&b, BTPM_ALG_NULL); /* scheme */
	btpm_put_u16(&b, BTPM_ECC_NIST_P256);
	btpm_put_u16(&b, BTPM_ALG_NULL); /* kdf */
	btpm_put_tpm2b(&b, zeros, 32);
	btpm_put_tpm2b(&b, zeros, 32);
	return finish(&b, out);
}

int btpm_template_ecc_sign(struct btpm_public *out, uint16_t curve, int no_da)
{
	if (!out || !coord_size_of(curve) || curve == 0x0005)
		return BTPM_E_ARG;
	struct btpm_buf b;
	btpm_buf_init(&b, out->area, sizeof(out->area));
	put_head(&b, BTPM_ALG_ECC,
		 BTPM_OA_FIXED_TPM | BTPM_OA_FIXED_PARENT | BTPM_OA_SENSITIVE_DATA_ORIGIN |
			 BTPM_OA_USER_WITH_AUTH | BTPM_OA_SIGN | (no_da ? BTPM_OA_NO_DA : 0));
	btpm_put_u16(&b, BTPM_ALG_NULL); /* symmetric: none for a signing key */
	btpm_put_u16(&b, BTPM_ALG_NULL); /* scheme: chosen at TPM2_Sign */
	btpm_put_u16(&b, curve);
	btpm_put_u16(&b, BTPM_ALG_NULL); /* kdf */
	btpm_put_u16(&b, 0);             /* unique x, y: empty, the TPM fills them */
	btpm_put_u16(&b, 0);
	return finish(&b, out);
}

int btpm_template_sealed(struct btpm_public *out, int no_da)
{
	if (!out)
		return BTPM_E_ARG;
	struct btpm_buf b;
	btpm_buf_init(&b, out->area, sizeof(out->area));
	/* a data object: no sign/decrypt, and the caller supplies the data */
	put_head(&b, BTPM_ALG_KEYEDHASH,
		 BTPM_OA_FIXED_TPM | BTPM_OA_FIXED_PARENT | BTPM_OA_USER_WITH_AUTH |
			 (no_da ? BTPM_OA_NO_DA : 0));
	btpm_put_u16(&b, BTPM_ALG_NULL); /* scheme */
	btpm_put_u16(&b, 0);             /* unique */
	return finish(&b, out);
}
