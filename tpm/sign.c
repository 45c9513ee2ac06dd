/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_Sign (Part 3, 20.2) with ECDSA. */
#include <string.h>

#include "btpm_crypto.h"
#include "cmds_keys.h"

#define ST_HASHCHECK 0x8024u /* TPM_ST_HASHCHECK (Part 2, 6.9) */

/* A TPM2B_ECC_PARAMETER of 1..coord_size bytes, left-padded into out[0..coord_size). */
static void get_scalar(struct btpm_buf *b, uint8_t *out, size_t coord_size)
{
	uint16_t n;
	const uint8_t *p = btpm_get_tpm2b(b, &n, coord_size);
	if (p && !n)
		btpm_buf_fail(b, BTPM_E_MALFORMED);
	if (!p || !n)
		return;
	memset(out, 0, coord_size - n);
	memcpy(out + coord_size - n, p, n);
}

int btpm_sign(struct btpm *t, struct btpm_session *s, struct btpm_entity *key,
	      const uint8_t *digest, size_t digest_size, uint16_t hash_alg, uint8_t *r,
	      uint8_t *s_out, size_t coord_size)
{
	if (!t || !s || !key || !digest || !r || !s_out || !coord_size ||
	    coord_size > BTPM_MAX_ECC_COORD || btpm_hash_size(hash_alg) <= 0 ||
	    digest_size != (size_t)btpm_hash_size(hash_alg))
		return BTPM_E_ARG;
	struct btpm_buf *p = btpm_params(t);
	btpm_put_tpm2b(p, digest, digest_size); /* digest */
	btpm_put_u16(p, BTPM_ALG_ECDSA);        /* inScheme: TPMT_SIG_SCHEME (Part 2, 11.2.1.5) */
	btpm_put_u16(p, hash_alg);
	btpm_put_u16(p, ST_HASHCHECK); /* validation: a NULL TPMT_TK_HASHCHECK (Part 2, 10.7.6) */
	btpm_put_u32(p, BTPM_RH_NULL);
	btpm_put_tpm2b(p, NULL, 0);
	const struct btpm_entity *h[1] = {key};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp rsp;
	int rc = btpm_exec(t, &btpm_cmd_sign, h, ss, 1, &rsp);
	if (rc)
		return rc;
	/* TPMT_SIGNATURE (Part 2, 11.3.4) with TPMS_SIGNATURE_ECDSA (11.3.2) */
	uint8_t sig_r[BTPM_MAX_ECC_COORD], sig_s[BTPM_MAX_ECC_COORD];
	uint16_t sig_alg = btpm_get_u16(&rsp.params);
	uint16_t hash = btpm_get_u16(&rsp.params);
	if (sig_alg != BTPM_ALG_ECDSA || hash != hash_alg)
		btpm_buf_fail(&rsp.params, BTPM_E_MALFORMED);
	get_scalar(&rsp.params, sig_r, coord_size);
	get_scalar(&rsp.params, sig_s, coord_size);
	rc = btpm_buf_end(&rsp.params);
	if (rc) {
		btpm_set_detail(t, "TPM2_Sign: malformed response (signature 0x%04x/0x%04x, "
				   "expected ECDSA with 0x%04x, %zu-byte scalars)",
				sig_alg, hash, hash_alg, coord_size);
		return rc;
	}
	memcpy(r, sig_r, coord_size);
	memcpy(s_out, sig_s, coord_size);
	return 0;
}
