/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The baretpm CLI against a swtpm this suite starts: every verb, its errors,
 * and values cross-checked with the simulator's manufacturing records and,
 * where installed, tpm2-tools (a test oracle only).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

static struct btpm_test_sim sim;
static char out[65536], err[8192];

/* Run "baretpm -T <sim> ARGS" (args is a shell fragment); returns the exit status. */
static int cli(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "'%s' -T '%s' %s", btpm_test_cli(), sim.tcti, args);
	return btpm_test_sh(cmd, 30, out, sizeof(out), err, sizeof(err));
}

/* Run a shell command built printf-style; returns the exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return btpm_test_sh(cmd, 60, out, sizeof(out), err, sizeof(err));
}

static int have_tpm2_tools(void)
{
	return btpm_test_sh("command -v tpm2_getcap", 5, NULL, 0, NULL, 0) == 0;
}

#define assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)), "missing '%s' in:\n%s", (needle), (hay))

START_TEST(info_summary)
{
	ck_assert_int_eq(cli("info"), 0);
	assert_has(out, "manufacturer:   IBM (0x49424d00)");
	assert_has(out, "model:          SW   TPM");
	assert_has(out, "specification:  TPM 2.0, level 0, revision 1.");
	assert_has(out, "lockout:        0 of 3 failed attempts; recovery 1000 s; "
			"lockout recovery 1000 s; not in lockout");
	assert_has(out, "EK certificates: RSA 2048 at NV 0x01c00002, ECC NIST P384 at NV 0x01c00016");
	ck_assert_int_eq(cli("info extra"), 2);
}
END_TEST

START_TEST(getcap_names_and_values)
{
	ck_assert_int_eq(cli("getcap properties-variable"), 0);
	assert_has(out, "TPM2_PT_LOCKOUT_COUNTER: 0x0\n");
	assert_has(out, "TPM2_PT_MAX_AUTH_FAIL: 0x3\n");
	assert_has(out, "TPM2_PT_LOCKOUT_INTERVAL: 0x3E8\n");
	assert_has(out, "TPM2_PT_LOCKOUT_RECOVERY: 0x3E8\n");
	ck_assert_int_eq(cli("getcap properties-fixed"), 0);
	assert_has(out, "TPM2_PT_MANUFACTURER:\n  raw: 0x49424D00\n  value: \"IBM\"\n");
	assert_has(out, "TPM2_PT_FIRMWARE_VERSION_1:\n");
	ck_assert_int_eq(cli("getcap handles-persistent"), 0);
	assert_has(out, "- 0x81010001\n");
	ck_assert_int_eq(cli("getcap handles-nv-index"), 0);
	assert_has(out, "- 0x1C00002\n");
	assert_has(out, "- 0x1C00016\n");
	ck_assert_int_eq(cli("getcap ecc-curves"), 0);
	assert_has(out, "TPM2_ECC_NIST_P256: 0x3\n");
	ck_assert_int_eq(cli("getcap no-such-thing"), 2);
	ck_assert_int_eq(cli("getcap"), 2);
}
END_TEST

/* Every capability word prints exactly what tpm2_getcap prints. */
START_TEST(getcap_matches_tpm2_tools)
{
	if (!have_tpm2_tools()) {
		fprintf(stderr, "tpm2-tools not installed: oracle comparison skipped\n");
		return;
	}
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "BARETPM_TCTI='%s' %s/tests/getcap-oracle.sh '%s'", sim.tcti,
		 btpm_test_srcdir(), btpm_test_cli());
	int rc = btpm_test_sh(cmd, 120, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(rc == 0, "getcap differs from tpm2_getcap (%d):\n%s%s", rc, out, err);
}
END_TEST

START_TEST(pcrread_matches_tpm2_tools)
{
	ck_assert_int_eq(cli("pcrread sha256:0,7,23"), 0);
	assert_has(out, "  sha256:\n    0 : 0x0000000000000000000000000000000000000000000000000000000000000000\n");
	assert_has(out, "    23: 0x");
	ck_assert_int_eq(cli("pcrread sha256:24"), 2);
	ck_assert_int_eq(cli("pcrread md5"), 2);
	if (!have_tpm2_tools())
		return;
	int rc = sh("'%s' -T '%s' pcrread > '%s/pcr.ours' && TPM2TOOLS_TCTI='%s' tpm2_pcrread > "
		    "'%s/pcr.theirs' && diff -u '%s/pcr.theirs' '%s/pcr.ours'",
		    btpm_test_cli(), sim.tcti, sim.dir, sim.tcti, sim.dir, sim.dir, sim.dir);
	ck_assert_msg(rc == 0, "pcrread differs from tpm2_pcrread:\n%s%s", out, err);
}
END_TEST

/* The EK certificates read back byte for byte as the simulator was manufactured. */
START_TEST(ekcert_der_equals_manufactured)
{
	char args[600];
	snprintf(args, sizeof(args), "ekcert --rsa -o %s/rsa.der", sim.dir);
	ck_assert_int_eq(cli(args), 0);
	assert_has(err, "EK certificate RSA 2048 at NV 0x01c00002: 1016 bytes");
	ck_assert_int_eq(sh("cmp '%s/rsa.der' '%s/certs/ek-rsa.der'", sim.dir, sim.dir), 0);
	snprintf(args, sizeof(args), "ekcert --ecc -o %s/ecc.der", sim.dir);
	ck_assert_int_eq(cli(args), 0);
	assert_has(err, "ECC NIST P384 at NV 0x01c00016");
	ck_assert_int_eq(sh("cmp '%s/ecc.der' '%s/certs/ek-ecc.der'", sim.dir, sim.dir), 0);
	/* --index picks one; PEM decodes to the same bytes */
	snprintf(args, sizeof(args), "ekcert --index 0x01c00016 --pem -o %s/ecc.pem", sim.dir);
	ck_assert_int_eq(cli(args), 0);
	ck_assert_int_eq(sh("grep -v -- ----- '%s/ecc.pem' | base64 -d | cmp - '%s/certs/ek-ecc.der'",
			    sim.dir, sim.dir),
			 0);
}
END_TEST

START_TEST(ekcert_pem_to_stdout_lists_all)
{
	ck_assert_int_eq(cli("ekcert"), 0);
	const char *second = strstr(out + 1, "-----BEGIN CERTIFICATE-----");
	ck_assert_msg(!strncmp(out, "-----BEGIN CERTIFICATE-----\n", 28) && second,
		      "expected two PEM certificates:\n%s", out);
	assert_has(err, "0x01c00002");
	assert_has(err, "0x01c00016");
	/* every base64 line is 64 characters but the last of each certificate */
	char *line = out;
	int short_lines = 0;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (line[0] != '-' && n != 64)
			short_lines++;
		line = nl ? nl + 1 : NULL;
	}
	ck_assert_int_eq(short_lines, 2);
}
END_TEST

START_TEST(ekcert_none_is_clear)
{
	ck_assert_int_eq(cli("ekcert --index 0x01c0000a"), 1);
	assert_has(err, "no EK certificate");
	ck_assert_int_eq(cli("ekcert --rsa --ecc"), 2);
	ck_assert_int_eq(cli("ekcert --index 0x81000001"), 2);
}
END_TEST

START_TEST(random_bytes)
{
	ck_assert_int_eq(cli("random 16 --hex"), 0);
	ck_assert_uint_eq(strlen(out), 33);
	ck_assert_uint_eq(strspn(out, "0123456789abcdef"), 32);
	ck_assert_int_eq(cli("random 1000 | wc -c"), 0);
	ck_assert_int_eq(atoi(out), 1000);
	ck_assert_int_eq(cli("random 0"), 2);
	ck_assert_int_eq(cli("random -5"), 2);
	ck_assert_int_eq(cli("random 99999999"), 2);
	ck_assert_int_eq(cli("random"), 2);
}
END_TEST

START_TEST(startup_already_started)
{
	ck_assert_int_eq(cli("startup"), 0);
	assert_has(out, "TPM already started");
	ck_assert_int_eq(cli("startup --bogus"), 2);
}
END_TEST

START_TEST(help_for_every_verb)
{
	static const char *verbs[] = {"info", "getcap", "ekcert", "pcrread", "random", "startup"};
	char cmd[512];
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(cmd, sizeof(cmd), "'%s' %s --help", btpm_test_cli(), verbs[i]);
		ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
		ck_assert_msg(!strncmp(out, "usage: baretpm", 14), "%s --help:\n%s", verbs[i], out);
	}
	snprintf(cmd, sizeof(cmd), "'%s' --help", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	assert_has(out, "BARETPM_TCTI, TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI");
	assert_has(out, "BARETPM_STORE");
	snprintf(cmd, sizeof(cmd), "'%s' --version", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_msg(!strncmp(out, "baretpm ", 8) && strchr("0123456789", out[8]), "%s", out);
	snprintf(cmd, sizeof(cmd), "'%s' frobnicate", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 2);
	assert_has(err, "unknown verb 'frobnicate'");
	snprintf(cmd, sizeof(cmd), "'%s'", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 2);
}
END_TEST

START_TEST(tcti_from_environment)
{
	char cmd[1024];
	/* BARETPM_TCTI wins over TPM2TOOLS_TCTI; the others are used when it is absent */
	snprintf(cmd, sizeof(cmd),
		 "BARETPM_TCTI='%s' TPM2TOOLS_TCTI=swtpm:port=1 '%s' random 4 --hex", sim.tcti,
		 btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "env -u BARETPM_TCTI TPM2_PKCS11_TCTI='%s' '%s' random 4 --hex",
		 sim.tcti, btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd),
		 "env -u BARETPM_TCTI -u TPM2_PKCS11_TCTI TPM2TOOLS_TCTI='%s' '%s' info", sim.tcti,
		 btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	assert_has(out, sim.tcti);
}
END_TEST

START_TEST(unreachable_and_bad_tcti)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' -T swtpm:host=127.0.0.1,port=1 info", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 20, out, sizeof(out), err, sizeof(err)), 3);
	assert_has(err, "refused");
	snprintf(cmd, sizeof(cmd), "'%s' -T carrier-pigeon:x info", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' -T device:/nonexistent/tpm info", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 3);
	assert_has(err, "/nonexistent/tpm");
	snprintf(cmd, sizeof(cmd), "'%s' info -T", btpm_test_cli());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 2);
}
END_TEST

/* A fresh simulator that was never powered on: startup --power-on brings it up. */
START_TEST(power_on_and_startup)
{
	struct btpm_test_sim cold;
	ck_assert_int_eq(btpm_test_sim_start(&cold, "--no-init"), 0);
	char cmd[1024];
	/* before: every command fails, and the error says what to do */
	snprintf(cmd, sizeof(cmd), "'%s' -T '%s,timeout=3000' info", btpm_test_cli(), cold.tcti);
	int rc = btpm_test_sh(cmd, 20, out, sizeof(out), err, sizeof(err));
	if (rc != 1 || !strstr(err, "run 'baretpm startup --power-on'")) {
		btpm_test_sim_stop(&cold);
		ck_abort_msg("unpowered simulator: exit %d, %s", rc, err);
	}
	snprintf(cmd, sizeof(cmd), "'%s' -T '%s,timeout=3000' startup --power-on", btpm_test_cli(),
		 cold.tcti);
	rc = btpm_test_sh(cmd, 20, out, sizeof(out), err, sizeof(err));
	if (rc == 0) {
		assert_has(out, "simulator powered on\nTPM started (TPM_SU_CLEAR)\n");
		snprintf(cmd, sizeof(cmd), "'%s' -T '%s' random 8 --hex", btpm_test_cli(), cold.tcti);
		rc = btpm_test_sh(cmd, 20, out, sizeof(out), err, sizeof(err));
	}
	btpm_test_sim_stop(&cold);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
}
END_TEST

/* sim/swtpm-stop removes only what sim/swtpm-start made (or an empty directory). */
START_TEST(swtpm_stop_is_careful)
{
	char cmd[1400];
	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d) && touch \"$d/mine\" && '%s/sim/swtpm-stop' \"$d\"; r=$?; "
		 "test -e \"$d/mine\" || r=99; rm -rf \"$d\"; exit $r",
		 btpm_test_srcdir());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 2);
	assert_has(err, "was not made by sim/swtpm-start");
	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d) && '%s/sim/swtpm-stop' \"$d\" && test ! -e \"$d\" && "
		 "'%s/sim/swtpm-stop' \"$d\" && '%s/sim/swtpm-stop' --help | grep -q usage",
		 btpm_test_srcdir(), btpm_test_srcdir(), btpm_test_srcdir());
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	/* options after DIR, as before it */
	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d) && '%s/sim/swtpm-start' \"$d\" --unix >/dev/null && "
		 "test -S \"$d/tpm.sock\"; r=$?; '%s/sim/swtpm-stop' \"$d\"; exit $r",
		 btpm_test_srcdir(), btpm_test_srcdir());
	ck_assert_msg(btpm_test_sh(cmd, 120, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* The simulator dies: a clear error and the "TPM not reachable" exit status, fast. */
START_TEST(dead_simulator)
{
	struct btpm_test_sim doomed;
	ck_assert_int_eq(btpm_test_sim_start(&doomed, NULL), 0);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "kill -9 %d; sleep 0.2; '%s' -T '%s' info", (int)doomed.pid,
		 btpm_test_cli(), doomed.tcti);
	int rc = btpm_test_sh(cmd, 20, out, sizeof(out), err, sizeof(err));
	btpm_test_sim_stop(&doomed);
	ck_assert_int_eq(rc, 3);
	assert_has(err, "Connection refused");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("verbs");
	btpm_test_sim_fixture(tc, &sim);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, info_summary);
	tcase_add_test(tc, getcap_names_and_values);
	tcase_add_test(tc, getcap_matches_tpm2_tools);
	tcase_add_test(tc, pcrread_matches_tpm2_tools);
	tcase_add_test(tc, ekcert_der_equals_manufactured);
	tcase_add_test(tc, ekcert_pem_to_stdout_lists_all);
	tcase_add_test(tc, ekcert_none_is_clear);
	tcase_add_test(tc, random_bytes);
	tcase_add_test(tc, startup_already_started);
	tcase_add_test(tc, help_for_every_verb);
	tcase_add_test(tc, tcti_from_environment);
	tcase_add_test(tc, unreachable_and_bad_tcti);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, power_on_and_startup);
	tcase_add_test(tc, dead_simulator);
	tcase_add_test(tc, swtpm_stop_is_careful);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(cli_suite());
}
