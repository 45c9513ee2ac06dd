/* SPDX-License-Identifier: BSD-2-Clause */
/* EK certificates in NV (TCG EK Credential Profile 2.x, section 2.2.1.4). */
#include <string.h>

#include "internal.h"
#include "rc.h"

static const struct btpm_ek_index ek_indices[] = {
	{0x01C00002, "RSA 2048", 0},      /* low range */
	{0x01C0000A, "ECC NIST P256", 1}, /* low range */
	{0x01C00012, "RSA 2048", 0},      /* high range from here on */
	{0x01C00014, "ECC NIST P256", 1},
	{0x01C00016, "ECC NIST P384", 1},
	{0x01C00018, "ECC NIST P521", 1},
	{0x01C0001A, "ECC SM2 P256", 1},
	{0x01C0001C, "RSA 3072", 0},
	{0x01C0001E, "RSA 4096", 0},
};

const struct btpm_ek_index *btpm_ek_cert_indices(size_t *count)
{
	if (count)
		*count = sizeof(ek_indices) / sizeof(ek_indices[0]);
	return ek_indices;
}

/*
 * Some TPMs pad the certificate to the index size. A DER SEQUENCE with a
 * definite length tells its own size; anything else is returned as stored.
 */
static size_t der_length(const uint8_t *p, size_t n)
{
	if (n < 2 || p[0] != 0x30)
		return n;
	size_t len, hdr;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else {
		unsigned k = p[1] & 0x7F;
		if (k == 0 || k > 3 || n < 2 + k)
			return n;
		len = 0;
		for (unsigned i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr = 2 + k;
	}
	return hdr + len <= n ? hdr + len : n;
}

int btpm_ek_cert_read(struct btpm *t, uint32_t nv_index, uint8_t *out, size_t cap, size_t *len)
{
	if (!t || !out || !len)
		return BTPM_E_ARG;
	*len = 0;
	struct btpm_nv_public pub;
	int rc = btpm_nv_read_public(t, nv_index, &pub);
	/* TPM_RC_HANDLE (handle 1) for an index that is not defined */
	if (rc > 0 && btpm_rc_base((uint32_t)rc) == BTPM_RC_HANDLE)
		return BTPM_E_NOTFOUND;
	if (rc)
		return rc;
	if (!(pub.attributes & BTPM_TPMA_NV_WRITTEN) || !pub.data_size)
		return BTPM_E_NOTFOUND;
	if (pub.data_size > cap) {
		btpm_set_detail(t, "EK certificate at 0x%08x is %u bytes, more than %zu",
				(unsigned)nv_index, pub.data_size, cap);
		return BTPM_E_TOOBIG;
	}
	rc = btpm_nv_read(t, &pub, 0, out, pub.data_size);
	if (rc)
		return rc;
	*len = der_length(out, pub.data_size);
	return 0;
}
