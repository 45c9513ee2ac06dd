/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * No secret left in dead stack: after btpm_p256_ecdh and
 * btpm_p256_ecdh_ephemeral return, the stack their callees used holds no
 * 8-byte word of the private scalar, as a limb or as big-endian bytes
 * (crypto/p256.c, burn_stack). This binary supplies btpm_random itself, so
 * that the ephemeral scalar is one the test knows; the archive's
 * crypto/rng.o is then not linked in.
 */
#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "baretpm.h"
#include "btpm_crypto.h"
#include "run.h"

#define DEAD 32768 /* bytes of stack below the caller's frame that are scanned */

static const uint8_t *forced; /* the next 32 random bytes, when set */

int btpm_random(uint8_t *out, size_t n)
{
	if (forced && n == 32) {
		memcpy(out, forced, 32);
		forced = NULL;
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t r = getrandom(out + off, n - off, 0);
		if (r <= 0)
			return BTPM_E_CRYPTO;
		off += (size_t)r;
	}
	return 0;
}

/* Zero the stack below the caller, as far as the scan will look. */
static __attribute__((noinline)) void clear_dead(void)
{
	volatile uint8_t area[DEAD];
	for (size_t i = 0; i < DEAD; i++)
		area[i] = 0;
	__asm__ __volatile__("" : : "r"(area) : "memory");
}

/*
 * Words of the stack below the caller (what the last call left there) equal
 * to a limb of the big-endian scalar d, or to 8 of its bytes in order.
 * Reading what this frame never wrote is the whole point here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
static __attribute__((noinline)) unsigned count_dead(const uint8_t d[32])
{
	volatile uint8_t area[DEAD];
	uint64_t limb[4], chunk[4];
	for (int i = 0; i < 4; i++) {
		limb[i] = 0;
		for (int j = 0; j < 8; j++)
			limb[i] = limb[i] << 8 | d[8 * (3 - i) + j];
		memcpy(&chunk[i], d + 8 * i, 8);
	}
	unsigned hits = 0;
	for (size_t off = 0; off + 8 <= DEAD; off += 8) {
		uint64_t w = 0;
		for (int j = 7; j >= 0; j--)
			w = w << 8 | area[off + (size_t)j]; /* little-endian, as the CPU stores it */
		for (int i = 0; i < 4; i++)
			hits += (w == limb[i]) + (w == chunk[i]);
	}
	return hits;
}
#pragma GCC diagnostic pop

/* A P-256 point: 2 G (affine, big-endian), a peer that is surely valid. */
static const uint8_t two_g_x[32] = {
	0x7c, 0xf2, 0x7b, 0x18, 0x8d, 0x03, 0x4f, 0x7e, 0x8a, 0x52, 0x38, 0x03, 0x04, 0xb5, 0x1a, 0xc3,
	0xc0, 0x89, 0x69, 0xe2, 0x77, 0xf2, 0x1b, 0x35, 0xa6, 0x0b, 0x48, 0xfc, 0x47, 0x66, 0x99, 0x78};
static const uint8_t two_g_y[32] = {
	0x07, 0x77, 0x55, 0x10, 0xdb, 0x8e, 0xd0, 0x40, 0x29, 0x3d, 0x9a, 0xc6, 0x9f, 0x74, 0x30, 0xdb,
	0xba, 0x7d, 0xad, 0xe6, 0x3c, 0xe9, 0x82, 0x29, 0x9e, 0x04, 0xb7, 0x9d, 0x22, 0x78, 0x73, 0xd1};

/* A scalar below n whose 8-byte pieces cannot occur in the stack by chance. */
static void scalar(uint8_t d[32], unsigned seed)
{
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(0x3c + 7 * i + 13 * seed);
	d[0] = 0x5a;
}

START_TEST(static_ecdh_leaves_no_scalar)
{
	uint8_t d[32], z[32];
	scalar(d, (unsigned)_i);
	clear_dead();
	int rc = btpm_p256_ecdh(d, two_g_x, two_g_y, z);
	unsigned hits = count_dead(d);
	if (rc == BTPM_E_UNSUPPORTED)
		return; /* no unsigned __int128: mbedTLS does it */
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(hits == 0, "%u words of the scalar left on the stack", hits);
}
END_TEST

START_TEST(ephemeral_ecdh_leaves_no_scalar)
{
	uint8_t d[32], x[32], y[32], z[32];
	scalar(d, (unsigned)_i);
	forced = d;
	clear_dead();
	int rc = btpm_p256_ecdh_ephemeral(two_g_x, two_g_y, x, y, z);
	unsigned hits = count_dead(d);
	if (rc == BTPM_E_UNSUPPORTED)
		return;
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(forced); /* the forced scalar was used */
	/* and really: our public point is d G, checked against mbedTLS */
	uint8_t px[32], py[32];
	ck_assert_int_eq(btpm_ecc_public(BTPM_ECC_NIST_P256, 32, d, px, py), 0);
	ck_assert_mem_eq(x, px, 32);
	ck_assert_mem_eq(y, py, 32);
	ck_assert_msg(hits == 0, "%u words of the ephemeral scalar left on the stack", hits);
}
END_TEST

/* Leave d in a dead frame, as a careless function would. */
static __attribute__((noinline)) void leave_behind(const uint8_t d[32])
{
	volatile uint64_t copy[16];
	for (int i = 0; i < 4; i++) {
		uint64_t w;
		memcpy(&w, d + 8 * i, 8);
		copy[4 + i] = w;
	}
	__asm__ __volatile__("" : : "r"(copy) : "memory");
}

START_TEST(the_scan_sees_a_leak)
{
	/* the check of the check: a scalar left in a dead frame is found */
	uint8_t d[32];
	scalar(d, 9);
	clear_dead();
	leave_behind(d);
	ck_assert_uint_ge(count_dead(d), 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stack");
	TCase *tc = tcase_create("p256");
	/* ASan keeps locals on a fake stack of its own: there is nothing to scan */
	if (!getenv("BTPM_ASAN")) {
		tcase_add_test(tc, the_scan_sees_a_leak);
		tcase_add_loop_test(tc, static_ecdh_leaves_no_scalar, 0, 4);
		tcase_add_loop_test(tc, ephemeral_ecdh_leaves_no_scalar, 0, 4);
	}
	suite_add_tcase(s, tc);
	return btpm_test_run(s);
}
