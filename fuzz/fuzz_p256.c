/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * crypto/p256.c against mbedTLS, the oracle: btpm_p256_ecdh must give the
 * same result code and, on success, the same shared x-coordinate as the
 * mbedTLS path it replaced in crypto/ecc.c (check the point, then the
 * scalar, then compute), and a zeroed output on failure.
 *
 * Input: d (32 bytes) || X (32) || Y (32) [|| mode (1)], big-endian, shorter
 * inputs zero-padded. Random X, Y are almost never on the curve, so mode
 * bit 0 makes the point q G, computed by mbedTLS, with q = X when 1 <= q < n
 * (and bit 1 then takes -(q G)); with q known, btpm_p256_ecdh_ephemeral is
 * checked too: mbedTLS must derive its z from its public point and q.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>

#include "baretpm.h"
#include "btpm_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_p256: %s\n", what);
	abort();
}

static int rng(void *unused, unsigned char *out, size_t n)
{
	(void)unused;
	return btpm_random(out, n) ? MBEDTLS_ERR_ECP_RANDOM_FAILED : 0;
}

/* mbedTLS's answer with the rules of the old btpm_ecdh: BTPM_E_CRYPTO, BTPM_E_ARG or 0. */
static int oracle(mbedtls_ecp_group *grp, const uint8_t *d, const uint8_t *x, const uint8_t *y,
		  uint8_t *z)
{
	mbedtls_ecp_point q;
	mbedtls_mpi k, zz;
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&k);
	mbedtls_mpi_init(&zz);
	int rc = 0;
	check(!mbedtls_mpi_read_binary(&q.X, x, 32) && !mbedtls_mpi_read_binary(&q.Y, y, 32) &&
		      !mbedtls_mpi_lset(&q.Z, 1) && !mbedtls_mpi_read_binary(&k, d, 32),
	      "mbedTLS cannot load the input");
	if (mbedtls_ecp_check_pubkey(grp, &q))
		rc = BTPM_E_CRYPTO;
	else if (mbedtls_ecp_check_privkey(grp, &k))
		rc = BTPM_E_ARG;
	else if (mbedtls_ecdh_compute_shared(grp, &zz, &q, &k, rng, NULL) ||
		 mbedtls_mpi_write_binary(&zz, z, 32))
		rc = BTPM_E_CRYPTO;
	mbedtls_mpi_free(&zz);
	mbedtls_mpi_free(&k);
	mbedtls_ecp_point_free(&q);
	return rc;
}

/* (x, y) = q G (negated when neg) by mbedTLS; 0, or -1 when q is not in [1, n-1]. */
static int public_point(mbedtls_ecp_group *grp, const uint8_t *q, int neg, uint8_t *x, uint8_t *y)
{
	mbedtls_ecp_point r;
	mbedtls_mpi k;
	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&k);
	int rc = -1;
	if (!mbedtls_mpi_read_binary(&k, q, 32) && !mbedtls_ecp_check_privkey(grp, &k)) {
		check(!mbedtls_ecp_mul(grp, &r, &k, &grp->G, rng, NULL), "mbedTLS q G");
		if (neg)
			check(!mbedtls_mpi_sub_mpi(&r.Y, &grp->P, &r.Y), "mbedTLS -Y");
		check(!mbedtls_mpi_write_binary(&r.X, x, 32) &&
			      !mbedtls_mpi_write_binary(&r.Y, y, 32),
		      "mbedTLS writes the point");
		rc = 0;
	}
	mbedtls_mpi_free(&k);
	mbedtls_ecp_point_free(&r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mbedtls_ecp_group grp; /* loaded once: its tables for G are reused */
	static int loaded;
	if (!loaded) {
		mbedtls_ecp_group_init(&grp);
		check(!mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), "group load");
		loaded = 1;
	}
	uint8_t in[97] = {0}, x[32], y[32], z[32], want[32] = {0}, zero[32] = {0};
	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	const uint8_t *d = in, *mode = in + 96;
	memcpy(x, in + 32, 32);
	memcpy(y, in + 64, 32);
	int known_q = (*mode & 1) && !public_point(&grp, in + 32, *mode & 2, x, y);

	memset(z, 0xa5, sizeof(z));
	int rc = btpm_p256_ecdh(d, x, y, z);
	int expect = oracle(&grp, d, x, y, want);
	check(rc == expect, "result code differs from mbedTLS");
	if (rc)
		check(!memcmp(z, zero, 32), "output not zeroed");
	else
		check(!memcmp(z, want, 32), "z differs from mbedTLS");

	uint8_t ox[32], oy[32];
	memset(z, 0xa5, sizeof(z));
	rc = btpm_p256_ecdh_ephemeral(x, y, ox, oy, z);
	check(rc == 0 || rc == BTPM_E_CRYPTO, "ephemeral: unexpected result code");
	check((rc == 0) == (expect != BTPM_E_CRYPTO), "ephemeral: point validity differs");
	if (rc) {
		check(!memcmp(z, zero, 32) && !memcmp(ox, zero, 32) && !memcmp(oy, zero, 32),
		      "ephemeral: outputs not zeroed");
	} else if (known_q && !(*mode & 2)) {
		/* the peer's side, all mbedTLS: x(q (d G)) */
		check(oracle(&grp, in + 32, ox, oy, want) == 0, "ephemeral: mbedTLS refuses d G");
		check(!memcmp(z, want, 32), "ephemeral: z differs from mbedTLS");
	}
	return 0;
}
