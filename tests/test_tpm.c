/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tpm/ command functions against a real swtpm this suite starts, with
 * values checked against the simulator's manufacturing records and, where
 * installed, tpm2-tools (a test oracle only).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"
#include "rc.h"
#include "run.h"

static struct btpm_test_sim sim;
static struct btpm *t;

static void open_tpm(void)
{
	char err[256];
	int rc = btpm_open(&t, sim.tcti, err, sizeof(err));
	ck_assert_msg(rc == 0, "btpm_open %s: %s", sim.tcti, err);
}

static void close_tpm(void)
{
	btpm_close(t);
	t = NULL;
}

static int have_tpm2_tools(void)
{
	return btpm_test_sh("command -v tpm2_readpublic", 5, NULL, 0, NULL, 0) == 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

START_TEST(startup_on_a_started_tpm)
{
	int rc = btpm_startup(t, BTPM_SU_CLEAR);
	ck_assert_int_eq(rc, BTPM_RC_INITIALIZE);
	char msg[256];
	btpm_strerror(t, rc, msg, sizeof(msg));
	ck_assert_msg(!strncmp(msg, "TPM_RC_INITIALIZE", 17), "%s", msg);
	ck_assert_int_eq(btpm_self_test(t, 1), 0);
}
END_TEST

START_TEST(random_is_random)
{
	uint8_t a[200], b[200];
	unsigned long before = btpm_commands_sent(t);
	ck_assert_int_eq(btpm_get_random(t, a, sizeof(a)), 0);
	ck_assert_int_eq(btpm_get_random(t, b, sizeof(b)), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	/* 64 bytes a command at most: 4 commands per 200 bytes */
	ck_assert_uint_eq(btpm_commands_sent(t) - before, 8);
}
END_TEST

START_TEST(properties)
{
	uint32_t v;
	ck_assert_int_eq(btpm_get_property(t, BTPM_PT_MAX_AUTH_FAIL, &v), 0);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(btpm_get_property(t, BTPM_PT_MANUFACTURER, &v), 0);
	ck_assert_uint_eq(v, 0x49424d00); /* "IBM" */
	ck_assert_int_eq(btpm_get_property(t, 0x2FF, &v), BTPM_E_NOTFOUND);
	struct btpm_capdata d;
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, BTPM_HR_PERSISTENT,
						 BTPM_HR_PERSISTENT + 0xFFFFFF, &d),
			 0);
	ck_assert_uint_eq(d.count, 2);
	ck_assert_uint_eq(d.u.handles[0], 0x81010001);
	ck_assert_uint_eq(d.u.handles[1], 0x81010016);
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_COMMANDS, 0, 0xFFFFFFFF, &d), 0);
	ck_assert_uint_gt(d.count, 100);
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_ALGS, 0, 0xFFFF, &d), 0);
	ck_assert_uint_gt(d.count, 20);
}
END_TEST

/* The EK's public area and Name, cross-checked with tpm2_readpublic. */
START_TEST(read_public_ek)
{
	struct btpm_read_public rp;
	ck_assert_int_eq(btpm_read_public(t, 0x81010001, &rp), 0);
	ck_assert_uint_gt(rp.public_size, 256); /* RSA-2048 modulus inside */
	ck_assert_uint_eq(rp.public_area[0], 0x00);
	ck_assert_uint_eq(rp.public_area[1], 0x01); /* TPM_ALG_RSA */
	ck_assert_uint_eq(rp.name.size, 34);         /* SHA-256 name: alg + digest */
	ck_assert_uint_eq(rp.name.name[1], 0x0b);
	/* an object that is not there */
	int rc = btpm_read_public(t, 0x81000099, &rp);
	ck_assert_int_gt(rc, 0);
	ck_assert_uint_eq(btpm_rc_base((uint32_t)rc), BTPM_RC_HANDLE);
	if (!have_tpm2_tools())
		return;
	char cmd[1024], out[4096], want[200];
	snprintf(cmd, sizeof(cmd),
		 "TPM2TOOLS_TCTI='%s' tpm2_readpublic -c 0x81010001 -n '%s/ek.name' >/dev/null && "
		 "od -An -v -tx1 '%s/ek.name' | tr -d ' \\n'",
		 sim.tcti, sim.dir, sim.dir);
	ck_assert_int_eq(btpm_test_sh(cmd, 30, out, sizeof(out), NULL, 0), 0);
	hex(rp.name.name, rp.name.size, want);
	ck_assert_str_eq(out, want);
}
END_TEST

/* NV_ReadPublic and a chunked NV_Read of the EK certificate, byte for byte. */
START_TEST(nv_read_ek_certificate_in_chunks)
{
	struct btpm_nv_public pub;
	ck_assert_int_eq(btpm_nv_read_public(t, 0x01c00002, &pub), 0);
	ck_assert_uint_eq(pub.nv_index, 0x01c00002);
	ck_assert_uint_eq(pub.name_alg, 0x000b);
	ck_assert(pub.attributes & BTPM_TPMA_NV_WRITTEN);
	char path[400];
	static uint8_t want[4096], got[4096];
	snprintf(path, sizeof(path), "%s/certs/ek-rsa.der", sim.dir);
	long n = btpm_test_read_file(path, want, sizeof(want));
	ck_assert_int_eq(n, pub.data_size);
	t->nv_buffer_max = 100; /* force 11 NV_Read commands */
	unsigned long before = btpm_commands_sent(t);
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, got, pub.data_size), 0);
	ck_assert_uint_eq(btpm_commands_sent(t) - before, (pub.data_size + 99) / 100);
	ck_assert_mem_eq(got, want, (size_t)n);
	/* the high-range ECC certificate through the EK helper */
	size_t len;
	snprintf(path, sizeof(path), "%s/certs/ek-ecc.der", sim.dir);
	n = btpm_test_read_file(path, want, sizeof(want));
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c00016, got, sizeof(got), &len), 0);
	ck_assert_uint_eq(len, (size_t)n);
	ck_assert_mem_eq(got, want, len);
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c0000a, got, sizeof(got), &len), BTPM_E_NOTFOUND);
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c00016, got, 100, &len), BTPM_E_TOOBIG);
}
END_TEST

START_TEST(pcr_read_all_in_rounds)
{
	struct btpm_pcr_values v;
	unsigned long before = btpm_commands_sent(t);
	ck_assert_int_eq(btpm_pcr_read(t, BTPM_ALG_SHA256, 0xFFFFFF, &v), 0);
	ck_assert_uint_eq(v.count, 24);
	ck_assert_uint_eq(btpm_commands_sent(t) - before, 3); /* 8 digests a response */
	for (unsigned i = 0; i < 24; i++)
		ck_assert_uint_eq(v.index[i], i);
	/* PCRs 17-22 reset to all ones in a fresh TPM (PC Client profile, locality) */
	static const uint8_t zeros[32];
	ck_assert_mem_eq(v.digest[0], zeros, 32);
	/* the sha1 bank holds no PCRs on this simulator: an empty selection comes back */
	ck_assert_int_eq(btpm_pcr_read(t, BTPM_ALG_SHA1, 0x1, &v), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(flush_of_nothing_is_a_tpm_error)
{
	int rc = btpm_flush_context(t, 0x80000000);
	ck_assert_int_gt(rc, 0);
	ck_assert_uint_eq(btpm_rc_base((uint32_t)rc), BTPM_RC_HANDLE);
	char msg[256];
	btpm_strerror(t, rc, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "TPM_RC_HANDLE"), "%s", msg);
}
END_TEST

START_TEST(shutdown_state)
{
	ck_assert_int_eq(btpm_shutdown(t, BTPM_SU_STATE), 0);
	/* still answering (Shutdown only prepares for power loss) */
	uint8_t b[4];
	ck_assert_int_eq(btpm_get_random(t, b, sizeof(b)), 0);
}
END_TEST

static Suite *tpm_suite(void)
{
	Suite *s = suite_create("tpm");
	TCase *tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_add_checked_fixture(tc, open_tpm, close_tpm);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, startup_on_a_started_tpm);
	tcase_add_test(tc, random_is_random);
	tcase_add_test(tc, properties);
	tcase_add_test(tc, read_public_ek);
	tcase_add_test(tc, nv_read_ek_certificate_in_chunks);
	tcase_add_test(tc, pcr_read_all_in_rounds);
	tcase_add_test(tc, flush_of_nothing_is_a_tpm_error);
	tcase_add_test(tc, shutdown_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(tpm_suite());
}
