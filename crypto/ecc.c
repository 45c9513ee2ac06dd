/* SPDX-License-Identifier: BSD-2-Clause */
/* ECDH and ECDSA on NIST P-256 and P-384 (mbedTLS 2.x ecp/ecdh/ecdsa). */
#include <mbedtls/bignum.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "baretpm.h"
#include "btpm_crypto.h"

static const struct {
	uint16_t curve;
	mbedtls_ecp_group_id id;
	uint8_t size;
} curves[] = {
	{BTPM_ECC_NIST_P256, MBEDTLS_ECP_DP_SECP256R1, 32},
	{BTPM_ECC_NIST_P384, MBEDTLS_ECP_DP_SECP384R1, 48},
};

int btpm_ecc_coord_size(uint16_t curve)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].curve == curve)
			return curves[i].size;
	return 0;
}

/*
 * The mbedTLS state of one operation: the curve, two points and three
 * numbers, each function using those it needs. work_free frees (and thereby
 * zeroizes) all of them on every path, private scalars included.
 */
struct work {
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q, peer;
	mbedtls_mpi d, r, s;
};

static void work_init(struct work *w)
{
	mbedtls_ecp_group_init(&w->grp);
	mbedtls_ecp_point_init(&w->q);
	mbedtls_ecp_point_init(&w->peer);
	mbedtls_mpi_init(&w->d);
	mbedtls_mpi_init(&w->r);
	mbedtls_mpi_init(&w->s);
}

static void work_free(struct work *w)
{
	mbedtls_mpi_free(&w->s);
	mbedtls_mpi_free(&w->r);
	mbedtls_mpi_free(&w->d);
	mbedtls_ecp_point_free(&w->peer);
	mbedtls_ecp_point_free(&w->q);
	mbedtls_ecp_group_free(&w->grp);
}

/* mbedTLS's f_rng: blinding and key generation draw from the kernel. */
static int rng(void *unused, unsigned char *out, size_t n)
{
	(void)unused;
	return btpm_random(out, n) ? MBEDTLS_ERR_ECP_RANDOM_FAILED : 0;
}

static int map_err(int ret)
{
	if (ret == MBEDTLS_ERR_MPI_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED)
		return BTPM_E_NOMEM;
	return ret ? BTPM_E_CRYPTO : 0;
}

/*
 * Load the group after checking the curve and that the caller's coordinate
 * length is the curve's. Returns 0 or a BTPM_E_* code.
 */
static int load_group(mbedtls_ecp_group *grp, uint16_t curve, size_t coord_len)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i].curve != curve)
			continue;
		if (coord_len != curves[i].size)
			return BTPM_E_ARG;
		return map_err(mbedtls_ecp_group_load(grp, curves[i].id));
	}
	return BTPM_E_UNSUPPORTED;
}

/*
 * A peer's public point from affine coordinates, validated: coordinates
 * below p, on the curve, not the point at infinity (SP 800-56A, 5.6.2.3.4
 * partial validation; the cofactor of both curves is 1, so that is full
 * validation). An invalid point is BTPM_E_CRYPTO: it came from outside.
 */
static int read_point(const mbedtls_ecp_group *grp, mbedtls_ecp_point *q, const uint8_t *x,
		      const uint8_t *y, size_t len)
{
	int ret = mbedtls_mpi_read_binary(&q->X, x, len);
	if (!ret)
		ret = mbedtls_mpi_read_binary(&q->Y, y, len);
	if (!ret)
		ret = mbedtls_mpi_lset(&q->Z, 1);
	if (ret)
		return map_err(ret);
	return mbedtls_ecp_check_pubkey(grp, q) ? BTPM_E_CRYPTO : 0;
}

/* A private scalar 1 <= d < n; a bad one is the caller's error. */
static int read_scalar(const mbedtls_ecp_group *grp, mbedtls_mpi *d, const uint8_t *priv,
		       size_t len)
{
	int ret = mbedtls_mpi_read_binary(d, priv, len);
	if (ret)
		return map_err(ret);
	return mbedtls_ecp_check_privkey(grp, d) ? BTPM_E_ARG : 0;
}

/* After a failure, leave no partial secret in an output the caller sized right. */
static void wipe_on_error(int rc, uint16_t curve, uint8_t *p, size_t len)
{
	if (rc && (size_t)btpm_ecc_coord_size(curve) == len)
		btpm_wipe(p, len);
}

static int write_point(const mbedtls_ecp_point *q, uint8_t *x, uint8_t *y, size_t len)
{
	int ret = mbedtls_mpi_write_binary(&q->X, x, len);
	if (!ret)
		ret = mbedtls_mpi_write_binary(&q->Y, y, len);
	return map_err(ret);
}

/* z_x = x(d * Q). mbedtls_ecdh_compute_shared refuses a result at infinity. */
static int shared_x(mbedtls_ecp_group *grp, const mbedtls_mpi *d, const mbedtls_ecp_point *q,
		    uint8_t *z_x, size_t len)
{
	mbedtls_mpi z;
	mbedtls_mpi_init(&z);
	int ret = mbedtls_ecdh_compute_shared(grp, &z, q, d, rng, NULL);
	if (!ret)
		ret = mbedtls_mpi_write_binary(&z, z_x, len);
	mbedtls_mpi_free(&z); /* zeroizes */
	return map_err(ret);
}

int btpm_ecdh_ephemeral(uint16_t curve, const uint8_t *peer_x, const uint8_t *peer_y,
			size_t coord_len, uint8_t *our_x, uint8_t *our_y, uint8_t *z_x)
{
	if (!peer_x || !peer_y || !our_x || !our_y || !z_x)
		return BTPM_E_ARG;
	/* P-256, the salt of every session: our own code (p256.c), 7x faster than mbedTLS. */
	if (curve == BTPM_ECC_NIST_P256 && coord_len == 32) {
		int rc = btpm_p256_ecdh_ephemeral(peer_x, peer_y, our_x, our_y, z_x);
		if (rc != BTPM_E_UNSUPPORTED)
			return rc;
	}
	struct work w; /* w.q: our ephemeral point; w.d its private scalar */
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_point(&w.grp, &w.peer, peer_x, peer_y, coord_len);
	if (!rc)
		rc = map_err(mbedtls_ecp_gen_keypair(&w.grp, &w.d, &w.q, rng, NULL));
	if (!rc)
		rc = shared_x(&w.grp, &w.d, &w.peer, z_x, coord_len);
	if (!rc)
		rc = write_point(&w.q, our_x, our_y, coord_len);
	work_free(&w);
	wipe_on_error(rc, curve, z_x, coord_len);
	return rc;
}

int btpm_ecdh(uint16_t curve, size_t coord_len, const uint8_t *priv, const uint8_t *peer_x,
	      const uint8_t *peer_y, uint8_t *z_x)
{
	if (!priv || !peer_x || !peer_y || !z_x)
		return BTPM_E_ARG;
	if (curve == BTPM_ECC_NIST_P256 && coord_len == 32) {
		int rc = btpm_p256_ecdh(priv, peer_x, peer_y, z_x);
		if (rc != BTPM_E_UNSUPPORTED)
			return rc;
	}
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_point(&w.grp, &w.peer, peer_x, peer_y, coord_len);
	if (!rc)
		rc = read_scalar(&w.grp, &w.d, priv, coord_len);
	if (!rc)
		rc = shared_x(&w.grp, &w.d, &w.peer, z_x, coord_len);
	work_free(&w);
	wipe_on_error(rc, curve, z_x, coord_len);
	return rc;
}

int btpm_ecc_keygen(uint16_t curve, size_t coord_len, uint8_t *priv, uint8_t *pub_x,
		    uint8_t *pub_y)
{
	if (!priv || !pub_x || !pub_y)
		return BTPM_E_ARG;
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = map_err(mbedtls_ecp_gen_keypair(&w.grp, &w.d, &w.q, rng, NULL));
	if (!rc)
		rc = map_err(mbedtls_mpi_write_binary(&w.d, priv, coord_len));
	if (!rc)
		rc = write_point(&w.q, pub_x, pub_y, coord_len);
	work_free(&w);
	wipe_on_error(rc, curve, priv, coord_len);
	return rc;
}

int btpm_ecc_public(uint16_t curve, size_t coord_len, const uint8_t *priv, uint8_t *pub_x,
		    uint8_t *pub_y)
{
	if (!priv || !pub_x || !pub_y)
		return BTPM_E_ARG;
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_scalar(&w.grp, &w.d, priv, coord_len);
	if (!rc)
		rc = map_err(mbedtls_ecp_mul(&w.grp, &w.q, &w.d, &w.grp.G, rng, NULL));
	if (!rc)
		rc = write_point(&w.q, pub_x, pub_y, coord_len);
	work_free(&w);
	return rc;
}

/* Signature components: 1..coord_len bytes, so that no caller can pass megabytes. */
static int read_sig_int(mbedtls_mpi *v, const uint8_t *p, size_t n, size_t coord_len)
{
	if (!p || !n || n > coord_len)
		return BTPM_E_ARG;
	return map_err(mbedtls_mpi_read_binary(v, p, n));
}

int btpm_ecc_point_check(uint16_t curve, size_t coord_len, const uint8_t *x, const uint8_t *y)
{
	if (!x || !y)
		return BTPM_E_ARG;
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_point(&w.grp, &w.q, x, y, coord_len);
	work_free(&w);
	return rc;
}

int btpm_ecdsa_verify(uint16_t curve, const uint8_t *pub_x, const uint8_t *pub_y,
		      size_t coord_len, const uint8_t *digest, size_t dlen, const uint8_t *r,
		      size_t rlen, const uint8_t *s, size_t slen)
{
	if (!pub_x || !pub_y || !digest || !dlen || dlen > BTPM_MAX_DIGEST || !r || !s)
		return BTPM_E_ARG;
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_sig_int(&w.r, r, rlen, coord_len);
	if (!rc)
		rc = read_sig_int(&w.s, s, slen, coord_len);
	if (!rc)
		rc = read_point(&w.grp, &w.q, pub_x, pub_y, coord_len);
	/* Rejects r or s outside [1, n-1] as well as a wrong signature. */
	if (!rc)
		rc = map_err(mbedtls_ecdsa_verify(&w.grp, digest, dlen, &w.q, &w.r, &w.s));
	work_free(&w);
	return rc;
}

int btpm_ecdsa_sign(uint16_t curve, size_t coord_len, const uint8_t *priv,
		    const uint8_t *digest, size_t dlen, uint8_t *r, uint8_t *s)
{
	if (!priv || !digest || !r || !s)
		return BTPM_E_ARG;
	/* RFC 6979, 3.2: the nonce is derived with the hash that made the digest. */
	mbedtls_md_type_t md = dlen == 20   ? MBEDTLS_MD_SHA1
			       : dlen == 32 ? MBEDTLS_MD_SHA256
			       : dlen == 48 ? MBEDTLS_MD_SHA384
			       : dlen == 64 ? MBEDTLS_MD_SHA512
					    : MBEDTLS_MD_NONE;
	if (md == MBEDTLS_MD_NONE)
		return BTPM_E_ARG;
	struct work w;
	work_init(&w);
	int rc = load_group(&w.grp, curve, coord_len);
	if (!rc)
		rc = read_scalar(&w.grp, &w.d, priv, coord_len);
	if (!rc)
		rc = map_err(mbedtls_ecdsa_sign_det_ext(&w.grp, &w.r, &w.s, &w.d, digest, dlen, md,
							rng, NULL));
	if (!rc)
		rc = map_err(mbedtls_mpi_write_binary(&w.r, r, coord_len));
	if (!rc)
		rc = map_err(mbedtls_mpi_write_binary(&w.s, s, coord_len));
	work_free(&w);
	return rc;
}
