/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ECDH on NIST P-256 in our own constant-time code, for the salt of every
 * session (Part 1, Annex C.6.1): with mbedTLS 2.28 one ephemeral ECDH cost
 * more client time than all the TPM commands of a login.
 *
 * Constant time with respect to the scalar: no branch, memory index or loop
 * bound depends on it. Branches depend only on public data (the peer point's
 * validity, whether a drawn candidate scalar was out of range, an error).
 *
 *   field  4 x 64-bit limbs, Montgomery form x * 2^256 mod p, every value
 *          fully reduced (< p) after every operation (p256_field.h)
 *   points projective (X:Y:Z), the complete formulas of Renes, Costello,
 *          Batina, EUROCRYPT 2016 (Algorithms 4, 5 and 6, a = -3): one
 *          formula for all inputs, the identity (0:1:0), doubling and
 *          P + (-P) too
 *   d Q    signed 5-bit fixed window, 52 digits, all 256 bits always
 *   d G    a comb over a 60-point table (p256.h, checked by the tests):
 *          15 doublings and 64 mixed additions instead of 255 and 51
 *   affine one Fermat inversion (a^(p-2)) for both points of an ephemeral
 *
 * Without unsigned __int128 this file only holds stubs that return
 * BTPM_E_UNSUPPORTED, and crypto/ecc.c stays with mbedTLS.
 */
#include <stdint.h>
#include <string.h>

#include "baretpm.h"
#include "btpm_crypto.h"

#if defined(__SIZEOF_INT128__)

#include "p256.h"
#include "p256_field.h"

/* ---- points ------------------------------------------------------------------ */

struct pt {
	fe x, y, z;
};

/*
 * The part Algorithms 4 and 5 share, operation for operation: from
 * Z3 <- b * zz on, with zz = Z1 Z2 (Algorithm 4) or Z1 (Algorithm 5, Z2 = 1).
 * zz is read before r is written, so r may alias the point zz belongs to.
 */
static void add_tail(struct pt *r, fe t0, fe t1, const fe t3, const fe t4, fe y3,
		     const fe zz)
{
	fe t2, x3, z3;
	fe_mul(z3, BM, zz);
	fe_sub(x3, y3, z3);
	fe_add(z3, x3, x3);
	fe_add(x3, x3, z3);
	fe_sub(z3, t1, x3);
	fe_add(x3, t1, x3);
	fe_mul(y3, BM, y3);
	fe_add(t1, zz, zz);
	fe_add(t2, t1, zz);
	fe_sub(y3, y3, t2);
	fe_sub(y3, y3, t0);
	fe_add(t1, y3, y3);
	fe_add(y3, t1, y3);
	fe_add(t1, t0, t0);
	fe_add(t0, t1, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t1, t4, y3);
	fe_mul(t2, t0, y3);
	fe_mul(y3, x3, z3);
	fe_add(y3, y3, t2);
	fe_mul(x3, t3, x3);
	fe_sub(r->x, x3, t1);
	fe_mul(z3, t4, z3);
	fe_mul(t1, t3, t0);
	fe_add(r->z, z3, t1);
	memcpy(r->y, y3, sizeof(fe));
}

/*
 * The three formulas below are the paper's algorithms operation for operation,
 * in its order and with its names (t0..t4, X3 Y3 Z3 as x3 y3 z3), the first
 * two ending in add_tail above; multiplying by b is a multiplication by the
 * constant BM.
 *
 * r = a + b, Renes-Costello-Batina Algorithm 4 (a = -3): 12M + 2 m_b, complete.
 * r may alias a or b.
 */
static void pt_add(struct pt *r, const struct pt *a, const struct pt *b)
{
	fe t0, t1, t2, t3, t4, x3, y3;
	fe_mul(t0, a->x, b->x);
	fe_mul(t1, a->y, b->y);
	fe_mul(t2, a->z, b->z);
	fe_add(t3, a->x, a->y);
	fe_add(t4, b->x, b->y);
	fe_mul(t3, t3, t4);
	fe_add(t4, t0, t1);
	fe_sub(t3, t3, t4);
	fe_add(t4, a->y, a->z);
	fe_add(x3, b->y, b->z);
	fe_mul(t4, t4, x3);
	fe_add(x3, t1, t2);
	fe_sub(t4, t4, x3);
	fe_add(x3, a->x, a->z);
	fe_add(y3, b->x, b->z);
	fe_mul(x3, x3, y3);
	fe_add(y3, t0, t2);
	fe_sub(y3, x3, y3);
	add_tail(r, t0, t1, t3, t4, y3, t2);
}

/* r = 2a, Renes-Costello-Batina Algorithm 6 (a = -3): 8M + 3S + 2 m_b. r may alias a. */
static void pt_dbl(struct pt *r, const struct pt *a)
{
	fe t0, t1, t2, t3, x3, y3, z3;
	fe_sqr(t0, a->x);
	fe_sqr(t1, a->y);
	fe_sqr(t2, a->z);
	fe_mul(t3, a->x, a->y);
	fe_add(t3, t3, t3);
	fe_mul(z3, a->x, a->z);
	fe_add(z3, z3, z3);
	fe_mul(y3, BM, t2);
	fe_sub(y3, y3, z3);
	fe_add(x3, y3, y3);
	fe_add(y3, x3, y3);
	fe_sub(x3, t1, y3);
	fe_add(y3, t1, y3);
	fe_mul(y3, x3, y3);
	fe_mul(x3, x3, t3);
	fe_add(t3, t2, t2);
	fe_add(t2, t2, t3);
	fe_mul(z3, BM, z3);
	fe_sub(z3, z3, t2);
	fe_sub(z3, z3, t0);
	fe_add(t3, z3, z3);
	fe_add(z3, z3, t3);
	fe_add(t3, t0, t0);
	fe_add(t0, t3, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t0, t0, z3);
	fe_add(y3, y3, t0);
	fe_mul(t0, a->y, a->z);
	fe_add(t0, t0, t0);
	fe_mul(z3, t0, z3);
	fe_sub(r->x, x3, z3);
	fe_mul(z3, t0, t1);
	fe_add(z3, z3, z3);
	fe_add(r->z, z3, z3);
	memcpy(r->y, y3, sizeof(fe));
}

/*
 * r = a + (x2, y2), Renes-Costello-Batina Algorithm 5 (mixed, a = -3): 11M +
 * 2 m_b, complete as long as the affine point is a point (it cannot be the
 * identity); a may be. r may alias a.
 */
static void pt_madd(struct pt *r, const struct pt *a, const struct p256_aff *b)
{
	fe t0, t1, t3, t4, y3;
	fe_mul(t0, a->x, b->x);
	fe_mul(t1, a->y, b->y);
	fe_add(t3, b->x, b->y);
	fe_add(t4, a->x, a->y);
	fe_mul(t3, t3, t4);
	fe_add(t4, t0, t1);
	fe_sub(t3, t3, t4);
	fe_mul(t4, b->y, a->z);
	fe_add(t4, t4, a->y);
	fe_mul(y3, b->x, a->z);
	fe_add(y3, y3, a->x);
	add_tail(r, t0, t1, t3, t4, y3, a->z);
}

static void pt_cmov(struct pt *r, const struct pt *a, uint64_t mask)
{
	fe_cmov(r->x, a->x, mask);
	fe_cmov(r->y, a->y, mask);
	fe_cmov(r->z, a->z, mask);
}

/* ---- scalar multiplication ------------------------------------------------------ */

#define WIN 5                       /* window width in bits */
#define NDIGITS ((256 + WIN) / WIN) /* 52: enough for 257 bits, the recoding's carry */
#define TAB (1 + (1 << (WIN - 1)))  /* 0P .. 16P */

/*
 * Signed fixed-window recoding: k = sum dig[i] 2^(5i) with every dig[i] in
 * [-15, 16]. A 5-bit chunk plus the incoming carry, c in [0, 32], becomes c
 * when c <= 16, else c - 32 with a carry into the next chunk; the carry is
 * (c + 15) >> 5, arithmetic, no branch. The top chunk holds bit 255 alone,
 * so it ends at most 2 with no carry out.
 */
static void recode(int8_t dig[NDIGITS], const uint64_t k[4])
{
	uint64_t carry = 0;
	for (int i = 0; i < NDIGITS; i++) {
		int pos = WIN * i, limb = pos / 64, off = pos % 64;
		uint64_t w = k[limb] >> off;
		if (off > 64 - WIN && limb < 3) /* public: depends on i only */
			w |= k[limb + 1] << (64 - off);
		uint64_t c = (w & ((1u << WIN) - 1)) + carry;
		carry = (c + (1u << (WIN - 1)) - 1) >> WIN;
		dig[i] = (int8_t)((int64_t)c - (int64_t)(carry << WIN));
	}
}

/*
 * r = dig * P from tab[j] = j P: every entry is read and masked in, then Y is
 * negated under a mask when dig < 0 (-(X:Y:Z) = (X:-Y:Z)).
 */
static void pt_select(struct pt *r, const struct pt tab[TAB], int8_t dig)
{
	uint64_t u = (uint64_t)(int64_t)dig;
	uint64_t neg = u >> 63, abs = (u ^ mask_of(neg)) + neg;
	*r = tab[0];
	for (uint64_t j = 1; j < TAB; j++)
		pt_cmov(r, &tab[j], eq_mask(j, abs));
	fe ny;
	fe_sub(ny, (const fe){0}, r->y);
	fe_cmov(r->y, ny, mask_of(neg));
}

/* r = k P for any 0 <= k < 2^256: 255 doublings and 51 additions whatever k is. */
static void pt_mul(struct pt *r, const struct pt *p, const uint64_t k[4])
{
	struct pt tab[TAB], t;
	int8_t dig[NDIGITS];
	memset(&tab[0], 0, sizeof(tab[0])); /* the identity (0:1:0) */
	memcpy(tab[0].y, ONE, sizeof(fe));
	tab[1] = *p;
	for (int j = 2; j < TAB; j++) {
		if (j % 2 == 0)
			pt_dbl(&tab[j], &tab[j / 2]);
		else
			pt_add(&tab[j], &tab[j - 1], &tab[1]);
	}
	recode(dig, k);
	pt_select(r, tab, dig[NDIGITS - 1]);
	for (int i = NDIGITS - 2; i >= 0; i--) {
		for (int j = 0; j < WIN; j++)
			pt_dbl(r, r);
		pt_select(&t, tab, dig[i]);
		pt_add(r, r, &t);
	}
	btpm_wipe(dig, sizeof(dig));
	btpm_wipe(&t, sizeof(t));
	btpm_wipe(tab, sizeof(tab));
}

/*
 * r = k G with the fixed-base comb of Lim and Lee (CRYPTO '94) and the table
 * of p256.h: k = sum over i < 64 of 2^i (k0_i + k1_i 2^64 + k2_i 2^128 +
 * k3_i 2^192), kj_i bit i of limb j; column i is split as 16 c + i' so that
 * k G = sum over i' < 16 of 2^i' sum over c < 4 of p256_g_comb[c][e - 1],
 * e = the 4 bits i of the limbs: 15 doublings and 64 mixed additions. For
 * e = 0 (no entry) the addition is done with the all-zero entry and undone
 * with a mask, like every other choice here.
 */
static void pt_mul_g(struct pt *r, const uint64_t k[4])
{
	struct pt sum;
	struct p256_aff t;
	memset(r, 0, sizeof(*r));
	memcpy(r->y, ONE, sizeof(fe));
	for (int i = 15; i >= 0; i--) {
		if (i != 15)
			pt_dbl(r, r);
		for (int c = 0; c < 4; c++) {
			int bit = 16 * c + i;
			uint64_t e = (k[0] >> bit & 1) | (k[1] >> bit & 1) << 1 |
				     (k[2] >> bit & 1) << 2 | (k[3] >> bit & 1) << 3;
			memset(&t, 0, sizeof(t));
			for (uint64_t j = 1; j < 16; j++) {
				uint64_t m = eq_mask(j, e);
				fe_cmov(t.x, p256_g_comb[c][j - 1].x, m);
				fe_cmov(t.y, p256_g_comb[c][j - 1].y, m);
			}
			pt_madd(&sum, r, &t);
			pt_cmov(r, &sum, ~eq_mask(e, 0));
		}
	}
	btpm_wipe(&sum, sizeof(sum));
	btpm_wipe(&t, sizeof(t));
}

static void fe_from_mont(fe r, const fe a)
{
	fe_mont_reduce(r, a[0], a[1], a[2], a[3], 0, 0, 0, 0);
}

/* Big-endian x (and y unless NULL) of p, given zi = 1/Z. */
static void pt_to_bytes(uint8_t x[32], uint8_t y[32], const struct pt *p, const fe zi)
{
	fe v;
	fe_mul(v, p->x, zi);
	fe_from_mont(v, v);
	limbs_to_bytes(x, v);
	if (y) {
		fe_mul(v, p->y, zi);
		fe_from_mont(v, v);
		limbs_to_bytes(y, v);
	}
	btpm_wipe(v, sizeof(v));
}

/*
 * A peer's public point: both coordinates below p and y^2 = x^3 - 3x + b
 * (SP 800-56A, 5.6.2.3.4; the cofactor is 1, so this is full validation, and
 * the identity has no affine form). Public data: plain branches.
 */
static int pt_from_bytes(struct pt *r, const uint8_t x[32], const uint8_t y[32])
{
	uint64_t xl[4], yl[4];
	limbs_from_bytes(xl, x);
	limbs_from_bytes(yl, y);
	if (!lt(xl, P) || !lt(yl, P))
		return 0;
	fe_mul(r->x, xl, R2);
	fe_mul(r->y, yl, R2);
	memcpy(r->z, ONE, sizeof(fe));
	fe lhs, rhs, t;
	fe_sqr(lhs, r->y);
	fe_sqr(rhs, r->x);
	fe_mul(rhs, rhs, r->x);
	fe_add(t, r->x, r->x);
	fe_add(t, t, r->x);
	fe_sub(rhs, rhs, t);
	fe_add(rhs, rhs, BM);
	fe_sub(t, lhs, rhs);
	return (int)is_zero(t);
}

/* k = the big-endian scalar; 1 when 1 <= k < n, else 0, without a branch. */
static uint64_t scalar_from_bytes(uint64_t k[4], const uint8_t b[32])
{
	limbs_from_bytes(k, b);
	return lt(k, N) & (is_zero(k) ^ 1);
}

/*
 * The compiler keeps copies of secrets (scalar limbs, partial products) in
 * stack slots of whatever frame it inlines the helpers into, and wiping the
 * named variables does not reach them. So each public function only checks
 * its arguments, calls a noinline worker that does everything secret, and
 * then overwrites the stack the worker and its callees used (as libgcrypt's
 * burn_stack does): 8 KB, twice the deepest chain gcc -O2 and clang build.
 * tests/test_stack.c scans that stack afterwards for the scalar.
 */
static __attribute__((noinline)) void burn_stack(void)
{
	uint8_t scratch[8192];
	btpm_wipe(scratch, sizeof(scratch));
}

static __attribute__((noinline)) int ecdh_work(const uint8_t priv[32], const uint8_t peer_x[32],
					       const uint8_t peer_y[32], uint8_t z_x[32])
{
	struct pt q, s;
	uint64_t d[4];
	fe zi;
	int rc = BTPM_E_CRYPTO;
	/* The point before the scalar: the same order of checks as the mbedTLS path. */
	if (!pt_from_bytes(&q, peer_x, peer_y))
		goto out;
	rc = BTPM_E_ARG;
	if (!scalar_from_bytes(d, priv))
		goto out;
	pt_mul(&s, &q, d);
	fe_inv(zi, s.z);
	pt_to_bytes(z_x, NULL, &s, zi);
	/* At infinity (never for 1 <= d < n and a valid point), Z = 0: refused. */
	rc = is_zero(s.z) ? BTPM_E_CRYPTO : 0;
out:
	btpm_wipe(d, sizeof(d));
	btpm_wipe(&s, sizeof(s));
	btpm_wipe(zi, sizeof(zi));
	if (rc)
		btpm_wipe(z_x, 32);
	return rc;
}

int btpm_p256_ecdh(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
		   uint8_t z_x[32])
{
	if (!priv || !peer_x || !peer_y || !z_x)
		return BTPM_E_ARG;
	int rc = ecdh_work(priv, peer_x, peer_y, z_x);
	burn_stack();
	return rc;
}

static __attribute__((noinline)) int ephemeral_work(const uint8_t peer_x[32],
						    const uint8_t peer_y[32], uint8_t our_x[32],
						    uint8_t our_y[32], uint8_t z_x[32])
{
	struct pt q, pub, s;
	uint64_t d[4];
	uint8_t db[32];
	fe zz, zi;
	int rc = BTPM_E_CRYPTO;
	if (!pt_from_bytes(&q, peer_x, peer_y))
		goto out;
	/*
	 * d uniform in [1, n-1] (FIPS 186-4, B.4.2, testing candidates): 32 fresh
	 * bytes until one is in range. n > 2^256 - 2^224, so a draw is rejected
	 * with probability < 2^-32; 64 rejections in a row mean a broken source.
	 */
	for (int tries = 0;; tries++) {
		if (tries == 64) {
			rc = BTPM_E_CRYPTO;
			goto out;
		}
		rc = btpm_random(db, sizeof(db));
		if (rc)
			goto out;
		if (scalar_from_bytes(d, db))
			break;
	}
	pt_mul_g(&pub, d);
	pt_mul(&s, &q, d);
	/* One inversion for both (Montgomery's trick): 1/Z1 = Z2 / (Z1 Z2), and back. */
	fe_mul(zz, pub.z, s.z);
	fe_inv(zz, zz);
	fe_mul(zi, zz, s.z);
	pt_to_bytes(our_x, our_y, &pub, zi);
	fe_mul(zi, zz, pub.z);
	pt_to_bytes(z_x, NULL, &s, zi);
	rc = is_zero(pub.z) | is_zero(s.z) ? BTPM_E_CRYPTO : 0;
out:
	btpm_wipe(d, sizeof(d));
	btpm_wipe(db, sizeof(db));
	btpm_wipe(&pub, sizeof(pub));
	btpm_wipe(&s, sizeof(s));
	btpm_wipe(zz, sizeof(zz));
	btpm_wipe(zi, sizeof(zi));
	if (rc) {
		btpm_wipe(our_x, 32);
		btpm_wipe(our_y, 32);
		btpm_wipe(z_x, 32);
	}
	return rc;
}

int btpm_p256_ecdh_ephemeral(const uint8_t peer_x[32], const uint8_t peer_y[32],
			     uint8_t our_x[32], uint8_t our_y[32], uint8_t z_x[32])
{
	if (!peer_x || !peer_y || !our_x || !our_y || !z_x)
		return BTPM_E_ARG;
	int rc = ephemeral_work(peer_x, peer_y, our_x, our_y, z_x);
	burn_stack();
	return rc;
}

#else /* no unsigned __int128: the callers keep using mbedTLS */

int btpm_p256_ecdh(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
		   uint8_t z_x[32])
{
	(void)priv;
	(void)peer_x;
	(void)peer_y;
	(void)z_x;
	return BTPM_E_UNSUPPORTED;
}

int btpm_p256_ecdh_ephemeral(const uint8_t peer_x[32], const uint8_t peer_y[32],
			     uint8_t our_x[32], uint8_t our_y[32], uint8_t z_x[32])
{
	(void)peer_x;
	(void)peer_y;
	(void)our_x;
	(void)our_y;
	(void)z_x;
	return BTPM_E_UNSUPPORTED;
}

#endif
