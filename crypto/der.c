/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ECDSA signatures between the TPM's form (r and s as big-endian numbers,
 * TPMS_SIGNATURE_ECDSA) and DER's ECDSA-Sig-Value (RFC 3279, 2.2.3), which
 * is what X.509, PKCS#11's CKM_ECDSA consumers and OpenSSH's ssh-agent
 * protocol build on. Written out by hand: the parser must reject what a
 * lenient BER reader (mbedtls_asn1_get_mpi) accepts.
 */
#include <string.h>

#include "baretpm.h"
#include "btpm_crypto.h"

#define TAG_INTEGER 0x02
#define TAG_SEQUENCE 0x30
#define MAX_SCALAR 66 /* P-521: (521 + 7) / 8 */

/* The minimal INTEGER content of an unsigned big-endian number: start and size. */
static void int_span(const uint8_t *v, size_t len, size_t *skip, size_t *size, int *pad)
{
	size_t i = 0;
	while (i + 1 < len && v[i] == 0)
		i++;
	*skip = i;
	*pad = (v[i] & 0x80) != 0; /* a set high bit would read as negative */
	*size = len - i + (size_t)*pad;
}

static size_t put_int(uint8_t *p, const uint8_t *v, size_t len)
{
	size_t skip, size, n = 0;
	int pad;
	int_span(v, len, &skip, &size, &pad);
	p[n++] = TAG_INTEGER;
	p[n++] = (uint8_t)size; /* at most 67: short form */
	if (pad)
		p[n++] = 0;
	memcpy(p + n, v + skip, len - skip);
	return n + len - skip;
}

int btpm_ecdsa_rs_to_der(const uint8_t *r, const uint8_t *s, size_t len, uint8_t *der,
			 size_t cap, size_t *der_len)
{
	if (!r || !s || !len || len > MAX_SCALAR || !der || !der_len)
		return BTPM_E_ARG;
	size_t skip, rsize, ssize;
	int pad;
	int_span(r, len, &skip, &rsize, &pad);
	int_span(s, len, &skip, &ssize, &pad);
	size_t body = 2 + rsize + 2 + ssize; /* at most 138 */
	size_t need = 1 + (body < 0x80 ? 1u : 2u) + body;
	*der_len = need;
	if (cap < need)
		return BTPM_E_TOOBIG;
	size_t n = 0;
	der[n++] = TAG_SEQUENCE;
	if (body >= 0x80)
		der[n++] = 0x81;
	der[n++] = (uint8_t)body;
	n += put_int(der + n, r, len);
	n += put_int(der + n, s, len);
	return 0;
}

/* A DER definite length in its shortest form (X.690, 10.1), that fits in what is left. */
static int get_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	if (*p >= end)
		return -1;
	uint8_t b = *(*p)++;
	size_t v;
	if (b < 0x80) {
		v = b;
	} else if (b == 0x81) {
		if (end - *p < 1 || (*p)[0] < 0x80)
			return -1;
		v = *(*p)++;
	} else if (b == 0x82) {
		if (end - *p < 2 || (*p)[0] == 0)
			return -1;
		v = (size_t)(*p)[0] << 8 | (*p)[1];
		*p += 2;
	} else {
		return -1; /* indefinite (0x80), or longer than any signature */
	}
	if (v > (size_t)(end - *p))
		return -1;
	*len = v;
	return 0;
}

/* A non-negative, minimally encoded INTEGER into out[0..outlen), left-padded. */
static int get_int(const uint8_t **p, const uint8_t *end, uint8_t *out, size_t outlen)
{
	size_t n;
	if (*p >= end || *(*p)++ != TAG_INTEGER || get_len(p, end, &n) || n == 0)
		return -1;
	const uint8_t *v = *p;
	*p += n;
	if (v[0] & 0x80)
		return -1; /* negative */
	if (n > 1 && v[0] == 0 && !(v[1] & 0x80))
		return -1; /* a leading zero that is not a sign octet */
	if (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	if (n > outlen)
		return -1; /* too large for the curve: never truncated */
	memset(out, 0, outlen - n);
	memcpy(out + outlen - n, v, n);
	return 0;
}

int btpm_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, uint8_t *r, uint8_t *s, size_t len)
{
	if (!der || !r || !s || !len)
		return BTPM_E_ARG;
	const uint8_t *p = der, *end = der + der_len;
	size_t body;
	if (der_len < 1 || *p++ != TAG_SEQUENCE || get_len(&p, end, &body) ||
	    body != (size_t)(end - p) || get_int(&p, end, r, len) || get_int(&p, end, s, len) ||
	    p != end) {
		memset(r, 0, len);
		memset(s, 0, len);
		return BTPM_E_MALFORMED;
	}
	return 0;
}
