/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to crypto/p256.c (included there only, and only where unsigned
 * __int128 exists): arithmetic modulo the P-256 prime p on 4 x 64-bit limbs
 * in Montgomery form, constant time; the curve's constants; byte and limb
 * conversions and branch-free comparisons.
 */
#ifndef BTPM_P256_FIELD_H
#define BTPM_P256_FIELD_H

#include <stdint.h>
#include <string.h>

#include "btpm_crypto.h"

typedef unsigned __int128 u128;
typedef uint64_t fe[4]; /* least significant limb first */

/* Curve parameters: FIPS 186-4, D.1.2.3 (also SEC 2 v2, 2.4.2). */
/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1 */
static const fe P = {0xffffffffffffffff, 0x00000000ffffffff, 0x0000000000000000,
		     0xffffffff00000001};
static const fe N = {0xf3b9cac2fc632551, 0xbce6faada7179e84, 0xffffffffffffffff,
		     0xffffffff00000000};
/* 2^512 mod p: fe_mul(x, R2) = x * 2^256 mod p, into the Montgomery domain. */
static const fe R2 = {0x0000000000000003, 0xfffffffbffffffff, 0xfffffffffffffffe,
		      0x00000004fffffffd};
/*
 * b * 2^256 mod p: the curve's b = 5ac635d8aa3a93e7 b3ebbd55769886bc 651d06b0cc53b0f6
 * 3bce3c3e27d2604b in the Montgomery domain (any error here fails every known answer).
 */
static const fe BM = {0xd89cdf6229c4bddf, 0xacf005cd78843090, 0xe5a220abf7212ed6,
		      0xdc30061d04874834};
/* 2^256 mod p: 1 in the Montgomery domain. */
static const fe ONE = {0x0000000000000001, 0xffffffff00000000, 0xffffffffffffffff,
		       0x00000000fffffffe};

/* All ones when bit (0 or 1) is 1, else zero. */
static inline uint64_t mask_of(uint64_t bit)
{
	return 0 - bit;
}

/*
 * Carries below are comparisons of unsigned words, which gcc and clang turn
 * into adc/sbb/setc, not branches (objdump of p256.o with gcc 12 -O2: the
 * only conditional jumps are loop counters and public checks).
 */
/* a + b + *c, with the carry in and out in *c (0 or 1). */
static inline uint64_t adc(uint64_t a, uint64_t b, uint64_t *c)
{
	uint64_t s = a + b, r = s + *c;
	*c = (uint64_t)(s < a) | (uint64_t)(r < s);
	return r;
}

/* a - b - *w, with the borrow in and out in *w (0 or 1). */
static inline uint64_t sbb(uint64_t a, uint64_t b, uint64_t *w)
{
	uint64_t d = a - b, r = d - *w;
	*w = (uint64_t)(a < b) | (uint64_t)(d < *w);
	return r;
}

/* The low word of t + a * b + *c, the high word into *c (the sum is < 2^128). */
static inline uint64_t mac(uint64_t t, uint64_t a, uint64_t b, uint64_t *c)
{
	u128 p = (u128)a * b;
	uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> 64);
	lo += t;
	hi += lo < t;
	lo += *c;
	hi += lo < *c;
	*c = hi;
	return lo;
}

/* r = a when mask is all ones, r unchanged when it is zero. */
static inline void fe_cmov(fe r, const fe a, uint64_t mask)
{
	r[0] ^= mask & (r[0] ^ a[0]);
	r[1] ^= mask & (r[1] ^ a[1]);
	r[2] ^= mask & (r[2] ^ a[2]);
	r[3] ^= mask & (r[3] ^ a[3]);
}

/*
 * r = v - p when v = (s0..s3) + hi * 2^256 is >= p, else v; v < 2p, hi 0 or 1.
 * The subtraction is always done and the result picked with a mask.
 */
static inline void fe_reduce_once(fe r, uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3,
				  uint64_t hi)
{
	uint64_t b = 0;
	uint64_t t0 = sbb(s0, P[0], &b), t1 = sbb(s1, P[1], &b);
	uint64_t t2 = sbb(s2, P[2], &b), t3 = sbb(s3, P[3], &b);
	/* v < p exactly when the 256-bit subtraction borrowed and there is no 2^256 bit. */
	uint64_t keep = mask_of(b & (hi ^ 1));
	r[0] = (s0 & keep) | (t0 & ~keep);
	r[1] = (s1 & keep) | (t1 & ~keep);
	r[2] = (s2 & keep) | (t2 & ~keep);
	r[3] = (s3 & keep) | (t3 & ~keep);
}

static inline void fe_add(fe r, const fe a, const fe b)
{
	uint64_t c = 0;
	uint64_t s0 = adc(a[0], b[0], &c), s1 = adc(a[1], b[1], &c);
	uint64_t s2 = adc(a[2], b[2], &c), s3 = adc(a[3], b[3], &c);
	fe_reduce_once(r, s0, s1, s2, s3, c);
}

static inline void fe_sub(fe r, const fe a, const fe b)
{
	uint64_t w = 0;
	uint64_t d0 = sbb(a[0], b[0], &w), d1 = sbb(a[1], b[1], &w);
	uint64_t d2 = sbb(a[2], b[2], &w), d3 = sbb(a[3], b[3], &w);
	/* a < b: add p back (the carry out of that addition cancels the borrow). */
	uint64_t m = mask_of(w), c = 0;
	r[0] = adc(d0, P[0] & m, &c);
	r[1] = adc(d1, P[1] & m, &c);
	r[2] = adc(d2, P[2] & m, &c);
	r[3] = adc(d3, P[3] & m, &c);
}

/*
 * Montgomery reduction of t = (t0..t7) < p * 2^256: r = t / 2^256 mod p.
 * Word by word, m = t[i] * (-p^-1 mod 2^64) and t += m * p * 2^(64 i); for
 * P-256, -p^-1 mod 2^64 = 1, so m = t[i], and the low limb of p being
 * 2^64 - 1 makes t[i] + m * p[0] = m * 2^64 exactly: the low word vanishes and
 * m carries out; p[2] = 0 (Gueron, Krasnov, "Fast prime field elliptic-curve
 * cryptography with 256-bit primes", J. Cryptographic Engineering 5, 2015).
 * Why Montgomery rather than the Solinas reduction of FIPS 186-4, D.2.3: that
 * one is written on 32-bit words with nine signed terms; with 64-bit limbs
 * this is fewer, simpler steps, and constant time with no fold loop.
 * ROUND(i) adds m * p at word i; hi carries the overflow of word i + 4 into
 * the next round.
 */
#define ROUND(x0, x1, x2, x3, x4)                                   \
	do {                                                        \
		uint64_t m_ = x0, c_ = m_;                          \
		x1 = mac(x1, m_, P[1], &c_);                        \
		x2 = adc(x2, 0, &c_);                               \
		x3 = mac(x3, m_, P[3], &c_);                        \
		x4 = adc(x4, c_, &hi);                              \
	} while (0)

static inline void fe_mont_reduce(fe r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
				  uint64_t t4, uint64_t t5, uint64_t t6, uint64_t t7)
{
	uint64_t hi = 0;
	ROUND(t0, t1, t2, t3, t4);
	ROUND(t1, t2, t3, t4, t5);
	ROUND(t2, t3, t4, t5, t6);
	ROUND(t3, t4, t5, t6, t7);
	fe_reduce_once(r, t4, t5, t6, t7, hi); /* t / 2^256 < 2p */
}
#undef ROUND

/*
 * r = a * b / 2^256 mod p; r may alias a or b. Interleaved (CIOS): each
 * round adds a * b[i], then one reduction step, so t stays 5 words and < 2p.
 */
static void fe_mul(fe r, const fe a, const fe b)
{
	uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t bi = b[i], c = 0, t5 = 0;
		t0 = mac(t0, a[0], bi, &c);
		t1 = mac(t1, a[1], bi, &c);
		t2 = mac(t2, a[2], bi, &c);
		t3 = mac(t3, a[3], bi, &c);
		t4 = adc(t4, c, &t5);
		/* t = (t + m p) / 2^64 with m = t0: see fe_mont_reduce */
		uint64_t m = t0, k = 0;
		c = m;
		t0 = mac(t1, m, P[1], &c);
		t1 = adc(t2, 0, &c);
		t2 = mac(t3, m, P[3], &c);
		t3 = adc(t4, c, &k);
		t4 = t5 + k;
	}
	fe_reduce_once(r, t0, t1, t2, t3, t4);
}

/* r = a^2 / 2^256 mod p: the six cross products once, doubled, plus the four squares. */
static void fe_sqr(fe r, const fe a)
{
	uint64_t c = 0, t1, t2, t3, t4, t5, t6, t7;
	t1 = mac(0, a[0], a[1], &c);
	t2 = mac(0, a[0], a[2], &c);
	t3 = mac(0, a[0], a[3], &c);
	t4 = c;
	c = 0;
	t3 = mac(t3, a[1], a[2], &c);
	t4 = mac(t4, a[1], a[3], &c);
	t5 = c;
	c = 0;
	t5 = mac(t5, a[2], a[3], &c);
	t6 = c;
	t7 = t6 >> 63;
	t6 = t6 << 1 | t5 >> 63;
	t5 = t5 << 1 | t4 >> 63;
	t4 = t4 << 1 | t3 >> 63;
	t3 = t3 << 1 | t2 >> 63;
	t2 = t2 << 1 | t1 >> 63;
	t1 = t1 << 1;
	uint64_t q0 = 0, q1 = 0, q2 = 0, q3 = 0; /* the squares, (qi:li) = a[i]^2 */
	uint64_t l0 = mac(0, a[0], a[0], &q0), l1 = mac(0, a[1], a[1], &q1);
	uint64_t l2 = mac(0, a[2], a[2], &q2), l3 = mac(0, a[3], a[3], &q3);
	c = 0;
	t1 = adc(t1, q0, &c);
	t2 = adc(t2, l1, &c);
	t3 = adc(t3, q1, &c);
	t4 = adc(t4, l2, &c);
	t5 = adc(t5, q2, &c);
	t6 = adc(t6, l3, &c);
	t7 = adc(t7, q3, &c); /* no carry out: a^2 < 2^512 */
	fe_mont_reduce(r, l0, t1, t2, t3, t4, t5, t6, t7);
}

static void fe_sqr_n(fe r, const fe a, int n)
{
	fe_sqr(r, a);
	while (--n > 0)
		fe_sqr(r, r);
}

/*
 * r = a^(p-2) = a^-1 (Fermat; 0 for a = 0). The exponent is public, so this
 * fixed chain (255 squarings, 12 multiplications) is constant time in a.
 * p - 2 in binary, from the top: 32 ones, 31 zeros, 1, 96 zeros, 94 ones, 0, 1.
 */
static void fe_inv(fe r, const fe a)
{
	fe x2, x3, x6, x12, x15, x30, x32, t; /* xk = a^(2^k - 1) */
	fe_sqr(x2, a);
	fe_mul(x2, x2, a);
	fe_sqr(x3, x2);
	fe_mul(x3, x3, a);
	fe_sqr_n(x6, x3, 3);
	fe_mul(x6, x6, x3);
	fe_sqr_n(x12, x6, 6);
	fe_mul(x12, x12, x6);
	fe_sqr_n(x15, x12, 3);
	fe_mul(x15, x15, x3);
	fe_sqr_n(x30, x15, 15);
	fe_mul(x30, x30, x15);
	fe_sqr_n(x32, x30, 2);
	fe_mul(x32, x32, x2);
	fe_sqr_n(t, x32, 32); /* 32 ones, 31 zeros, 1 */
	fe_mul(t, t, a);
	fe_sqr_n(t, t, 96 + 32); /* 96 zeros, 32 ones */
	fe_mul(t, t, x32);
	fe_sqr_n(t, t, 32); /* 64 ones */
	fe_mul(t, t, x32);
	fe_sqr_n(t, t, 30); /* 94 ones */
	fe_mul(t, t, x30);
	fe_sqr_n(t, t, 2); /* 0, 1 */
	fe_mul(r, t, a);
	fe *const all[] = {&x2, &x3, &x6, &x12, &x15, &x30, &x32, &t};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		btpm_wipe(*all[i], sizeof(fe));
}

/* Big-endian bytes to limbs (any 256-bit value). */
static void limbs_from_bytes(uint64_t r[4], const uint8_t b[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;
		for (int j = 0; j < 8; j++)
			v = v << 8 | b[(3 - i) * 8 + j];
		r[i] = v;
	}
}

static void limbs_to_bytes(uint8_t b[32], const uint64_t r[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			b[(3 - i) * 8 + j] = (uint8_t)(r[i] >> (56 - 8 * j));
}

/* 1 when a < m, else 0, from the borrow of a - m: no early exit. */
static uint64_t lt(const uint64_t a[4], const uint64_t m[4])
{
	uint64_t borrow = 0;
	for (int i = 0; i < 4; i++) {
		u128 d = (u128)a[i] - m[i] - borrow;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	return borrow;
}

/* All ones when a == b, else zero. */
static uint64_t eq_mask(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ b;
	return mask_of(((x | (0 - x)) >> 63) ^ 1);
}

/* 1 when a is zero, else 0. */
static uint64_t is_zero(const uint64_t a[4])
{
	return eq_mask(a[0] | a[1] | a[2] | a[3], 0) & 1;
}

#endif
