/* SPDX-License-Identifier: BSD-2-Clause */
/* TCTI string parsing and default selection (tpm/tcti.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

struct good {
	const char *s;
	enum btpm_tcti_kind kind;
	const char *path, *host;
	unsigned port;
	int timeout_ms;
	const char *ctrl;
};

#define DEF BTPM_DEFAULT_TIMEOUT_MS

static const struct good goods[] = {
	{"device", BTPM_TCTI_DEVICE, "/dev/tpmrm0", "", 0, DEF, ""},
	{"device:", BTPM_TCTI_DEVICE, "/dev/tpmrm0", "", 0, DEF, ""},
	{"device:/dev/tpm0", BTPM_TCTI_DEVICE, "/dev/tpm0", "", 0, DEF, ""},
	{"device:path=/dev/tpm0", BTPM_TCTI_DEVICE, "/dev/tpm0", "", 0, DEF, ""},
	{"device:/dev/tpmrm0,timeout=500", BTPM_TCTI_DEVICE, "/dev/tpmrm0", "", 0, 500, ""},
	{"device:timeout=7", BTPM_TCTI_DEVICE, "/dev/tpmrm0", "", 0, 7, ""},
	{"swtpm", BTPM_TCTI_SWTPM, "", "localhost", 2321, DEF, ""},
	{"swtpm:", BTPM_TCTI_SWTPM, "", "localhost", 2321, DEF, ""},
	{"swtpm:port=2321", BTPM_TCTI_SWTPM, "", "localhost", 2321, DEF, ""},
	{"swtpm:host=127.0.0.1,port=40000", BTPM_TCTI_SWTPM, "", "127.0.0.1", 40000, DEF, ""},
	{"swtpm:port=1,host=tpm.example", BTPM_TCTI_SWTPM, "", "tpm.example", 1, DEF, ""},
	{"swtpm:host=[::1],port=4000", BTPM_TCTI_SWTPM, "", "::1", 4000, DEF, ""},
	{"swtpm:host=fe80::1%eth0", BTPM_TCTI_SWTPM, "", "fe80::1%eth0", 2321, DEF, ""},
	{"swtpm:path=/run/swtpm/tpm.sock", BTPM_TCTI_SWTPM, "/run/swtpm/tpm.sock", "", 0, DEF, ""},
	{"swtpm:path=/r/t.sock,ctrl=/r/c.sock,timeout=9", BTPM_TCTI_SWTPM, "/r/t.sock", "", 0, 9,
	 "/r/c.sock"},
	{"swtpm:timeout=86400000", BTPM_TCTI_SWTPM, "", "localhost", 2321, 86400000, ""},
	{"swtpm:port=65534", BTPM_TCTI_SWTPM, "", "localhost", 65534, DEF, ""},
	{"mssim", BTPM_TCTI_MSSIM, "", "localhost", 2321, DEF, ""},
	{"mssim:host=localhost,port=2321", BTPM_TCTI_MSSIM, "", "localhost", 2321, DEF, ""},
	{"mssim:host=10.0.0.1,port=5000,timeout=1", BTPM_TCTI_MSSIM, "", "10.0.0.1", 5000, 1, ""},
};

START_TEST(test_accepts)
{
	const struct good *g = &goods[_i];
	struct btpm_tcti t;
	char err[256];
	memset(&t, 0xA5, sizeof(t));
	int rc = btpm_tcti_parse(g->s, &t, err, sizeof(err));
	ck_assert_msg(rc == 0, "'%s' rejected: %s", g->s, err);
	ck_assert_int_eq(t.kind, g->kind);
	ck_assert_str_eq(t.path, g->path);
	ck_assert_str_eq(t.host, g->host);
	ck_assert_uint_eq(t.port, g->port);
	ck_assert_int_eq(t.timeout_ms, g->timeout_ms);
	ck_assert_str_eq(t.ctrl_path, g->ctrl);
	ck_assert_str_eq(err, "");
}
END_TEST

struct badcase {
	const char *s;
	const char *names; /* text the reason must contain */
};

static const struct badcase bads[] = {
	{"", "TCTI kind ''"},
	{"foo", "'foo'"},
	{"foo:bar=1", "'foo'"},
	{"Device", "'Device'"},
	{"devices:/dev/tpm0", "'devices'"},
	{"tabrmd", "tpm2-abrmd"},
	{"tabrmd:bus_type=session", "tpm2-abrmd"},
	{":port=1", "TCTI kind ''"},
	{"swtpm:port=0", "'port=0'"},
	{"swtpm:port=65536", "'port=65536'"},
	{"swtpm:port=65535", "port + 1"},
	{"swtpm:port=abc", "'port=abc'"},
	{"swtpm:port=-1", "'port=-1'"},
	{"swtpm:port=+1", "'port=+1'"},
	{"swtpm:port= 1", "'port= 1'"},
	{"swtpm:port=1 ", "'port=1 '"},
	{"swtpm:port=0x10", "'port=0x10'"},
	{"swtpm:port=99999999999999999999", "'port=99999999999999999999'"},
	{"swtpm:port=4294969617", "'port=4294969617'"}, /* 2^32 + 2321 must not wrap */
	{"swtpm:port", "'port': expected key=value"},
	{"swtpm:host", "'host': expected key=value"},
	{"swtpm:=1", "'=1': unknown key"},
	{"swtpm:port=", "'port=': empty value"},
	{"swtpm:host=", "'host=': empty value"},
	{"swtpm:path=", "'path=': empty value"},
	{"swtpm:port=1,port=2", "'port=2': given twice"},
	{"swtpm:host=a,port=2,host=b", "'host=b': given twice"},
	{"swtpm:port=1,timeout=1,host=x,timeout=2", "'timeout=2': given twice"},
	{"device:/dev/tpm0,path=/dev/tpm1", "'path=/dev/tpm1': given twice"},
	{"device:/dev/tpm0,/dev/tpm1", "'/dev/tpm1': expected key=value"},
	{"device:timeout=1,/dev/tpm0", "'/dev/tpm0': expected key=value"},
	{"device:/dev/a=b", "'/dev/a=b': unknown key"},
	{"swtpm:/tmp/x.sock", "'/tmp/x.sock': expected key=value"},
	{"swtpm:foo=1", "'foo=1': unknown key"},
	{"swtpm:PORT=1", "'PORT=1': unknown key"},
	{"device:host=x", "'host=x': not valid"},
	{"device:port=1", "'port=1': not valid"},
	{"mssim:path=/x", "'path=/x': not valid"},
	{"mssim:ctrl=/x", "'ctrl=/x': not valid"},
	{"swtpm:port=1,", "trailing comma"},
	{"swtpm:,port=1", "stray comma"},
	{"swtpm:port=1,,host=x", "stray comma"},
	{"swtpm:path=/x.sock,port=1", "path="},
	{"swtpm:host=h,path=/x.sock", "path="},
	{"swtpm:ctrl=/c.sock", "ctrl="},
	{"swtpm:timeout=0", "'timeout=0'"},
	{"swtpm:timeout=86400001", "'timeout=86400001'"},
	{"swtpm:timeout=1.5", "'timeout=1.5'"},
	{"swtpm:timeout=-5", "'timeout=-5'"},
	{"swtpm:host=a b", "'host=a b'"},
	{"swtpm:host=a;reboot", "'host=a;reboot'"},
	{"swtpm:host=[]", "'host=[]'"},
	{"swtpm:host='x'", "'host='x''"},
	{"device:/dev/tpm0\n", "control character at offset 16"},
	{"swtpm:host=a\tb", "control character"},
	{"swtpm:port=1\x7f", "control character"},
};

START_TEST(test_rejects)
{
	const struct badcase *b = &bads[_i];
	struct btpm_tcti t, before;
	char err[256];
	memset(&t, 0x5A, sizeof(t));
	before = t;
	int rc = btpm_tcti_parse(b->s, &t, err, sizeof(err));
	ck_assert_msg(rc == BTPM_E_CONFIG, "'%s' accepted (rc %d)", b->s, rc);
	ck_assert_msg(strstr(err, b->names), "'%s': reason '%s' does not contain '%s'", b->s, err,
		      b->names);
	/* A rejected string leaves the output untouched. */
	ck_assert(memcmp(&t, &before, sizeof(t)) == 0);
}
END_TEST

/* Build "prefix" + n copies of c + "suffix" in a heap buffer. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t a = strlen(prefix), z = strlen(suffix);
	char *s = malloc(a + n + z + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, prefix, a);
	memset(s + a, c, n);
	memcpy(s + a + n, suffix, z + 1);
	return s;
}

START_TEST(test_overlong)
{
	struct btpm_tcti t;
	char err[256];
	/* Fields that just fit, then one byte more. */
	char *s = repeat("swtpm:host=", 'h', sizeof(t.host) - 1, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), 0);
	free(s);
	s = repeat("swtpm:host=", 'h', sizeof(t.host), "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	/* The reason quotes a bounded prefix of the offending text. */
	ck_assert_ptr_nonnull(strstr(err, "...'"));
	ck_assert_uint_lt(strlen(err), 120);
	free(s);
	s = repeat("device:/", 'd', sizeof(t.path) - 2, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(t.path), sizeof(t.path) - 1);
	free(s);
	s = repeat("device:/", 'd', sizeof(t.path) - 1, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	free(s);
	/* A unix socket path must fit sun_path (108 bytes with the NUL on Linux). */
	s = repeat("swtpm:path=/", 's', 106, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), 0);
	free(s);
	s = repeat("swtpm:path=/", 's', 107, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	free(s);
	s = repeat("swtpm:path=/x,ctrl=/", 's', 107, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	free(s);
	/* A huge string is refused as a whole, without reading all of it. */
	s = repeat("swtpm:port=2321,timeout=5", '0', 100000, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	free(s);
	s = repeat("swtpm:port=", '1', 500, "");
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), BTPM_E_CONFIG);
	free(s);
}
END_TEST

START_TEST(test_err_buffer)
{
	struct btpm_tcti t;
	char buf[16];
	/* A small err buffer is filled, truncated and terminated, never overrun. */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(btpm_tcti_parse("swtpm:port=abc", &t, buf + 4, 8), BTPM_E_CONFIG);
	ck_assert_uint_eq(strlen(buf + 4), 7);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(buf[i], 'Z');
	for (int i = 12; i < 16; i++)
		ck_assert_int_eq(buf[i], 'Z');
	/* No err buffer at all is fine too. */
	ck_assert_int_eq(btpm_tcti_parse("swtpm:port=abc", &t, NULL, 0), BTPM_E_CONFIG);
	ck_assert_int_eq(btpm_tcti_parse("swtpm:port=1", &t, NULL, 0), 0);
	ck_assert_int_eq(btpm_tcti_parse(NULL, &t, buf, sizeof(buf)), BTPM_E_CONFIG);
}
END_TEST

static void clear_env(void)
{
	unsetenv("BARETPM_TCTI");
	unsetenv("TPM2_PKCS11_TCTI");
	unsetenv("TPM2TOOLS_TCTI");
}

START_TEST(test_default_env)
{
	const char *src = NULL, *s;
	clear_env();
	setenv("TPM2TOOLS_TCTI", "swtpm:port=2321", 1);
	s = btpm_tcti_default(&src);
	ck_assert_str_eq(s, "swtpm:port=2321");
	ck_assert_str_eq(src, "TPM2TOOLS_TCTI");

	setenv("TPM2_PKCS11_TCTI", "device:/dev/tpmrm0", 1);
	s = btpm_tcti_default(&src);
	ck_assert_str_eq(s, "device:/dev/tpmrm0");
	ck_assert_str_eq(src, "TPM2_PKCS11_TCTI");

	setenv("BARETPM_TCTI", "mssim:host=localhost,port=2321", 1);
	s = btpm_tcti_default(&src);
	ck_assert_str_eq(s, "mssim:host=localhost,port=2321");
	ck_assert_str_eq(src, "BARETPM_TCTI");

	/* An empty variable does not count: the next one in line wins. */
	setenv("BARETPM_TCTI", "", 1);
	s = btpm_tcti_default(&src);
	ck_assert_str_eq(src, "TPM2_PKCS11_TCTI");
	setenv("TPM2_PKCS11_TCTI", "", 1);
	s = btpm_tcti_default(&src);
	ck_assert_str_eq(src, "TPM2TOOLS_TCTI");

	/* source may be NULL. */
	ck_assert_str_eq(btpm_tcti_default(NULL), "swtpm:port=2321");

	/* The tpm2-tools spellings parse. */
	struct btpm_tcti t;
	char err[128];
	ck_assert_int_eq(btpm_tcti_parse(btpm_tcti_default(NULL), &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.kind, BTPM_TCTI_SWTPM);
	ck_assert_uint_eq(t.port, 2321);
	clear_env();
}
END_TEST

START_TEST(test_default_device)
{
	const char *src = NULL;
	clear_env();
	const char *s = btpm_tcti_default(&src);
	ck_assert_str_eq(src, "default");
	if (access("/dev/tpmrm0", F_OK) == 0)
		ck_assert_str_eq(s, "device:/dev/tpmrm0");
	else if (access("/dev/tpm0", F_OK) == 0)
		ck_assert_str_eq(s, "device:/dev/tpm0");
	else
		ck_assert_str_eq(s, "device:/dev/tpmrm0");
	struct btpm_tcti t;
	char err[128];
	ck_assert_int_eq(btpm_tcti_parse(s, &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.kind, BTPM_TCTI_DEVICE);
}
END_TEST

static Suite *tcti_suite(void)
{
	Suite *s = suite_create("tcti");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_accepts, 0, (int)(sizeof(goods) / sizeof(goods[0])));
	tcase_add_loop_test(tc, test_rejects, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_err_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("default");
	tcase_add_test(tc, test_default_env);
	tcase_add_test(tc, test_default_device);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tcti_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
