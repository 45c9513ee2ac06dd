/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * End to end with real clients (the scripts in tests/e2e): ssh-keygen -D and an ssh
 * login to a local sshd through the PKCS#11 module; pkcs11-tool
 * administration and signing verified by openssl; p11tool; a CSR and a
 * certificate made by OpenSSL through libp11's PKCS#11 engine; an ssh login
 * through ssh-agent with ssh-add -s. Each script starts
 * its own swtpm and stops it.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "run.h"

static char out[1 << 17], err[1 << 14];

/* An absolute path: p11-kit (under p11tool) takes a relative one as relative to its own directory. */
static const char *module(void)
{
	static char abs[1024];
	const char *m = getenv("BTPM_MODULE");
	if (!m || !*m)
		m = "build/libbaretpm_pkcs11.so";
	char full[PATH_MAX];
	if (!realpath(m, full) || strlen(full) >= sizeof(abs))
		return m;
	memcpy(abs, full, strlen(full) + 1);
	return abs;
}

static void run_script(const char *name, const char *last_line)
{
	char cmd[4096];
	/* An ASan-built module cannot be loaded into ssh, sshd or pkcs11-tool (the
	 * runtime must come first); under `make asan` the module is exercised by
	 * test_pkcs11*, and the real clients run in `make check`. */
	if (getenv("BTPM_ASAN")) {
		fprintf(stderr, "%s: not run under ASan (clients are not instrumented)\n", name);
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s/tests/e2e/%s' '%s' '%s'", btpm_test_srcdir(), name,
		 btpm_test_cli(), module());
	int rc = btpm_test_sh(cmd, 280, out, sizeof(out), err, sizeof(err));
	if (rc == 77) {
		fprintf(stderr, "%s: skipped, a client is not installed: %s\n", name, err);
		return;
	}
	ck_assert_msg(rc == 0 && strstr(out, last_line), "%s failed (exit %d)\n%s\n%s", name, rc,
		      out, err);
}

START_TEST(ssh_login)
{
	run_script("ssh-login.sh", "e2e ssh: all steps passed");
}
END_TEST

START_TEST(pkcs11_tool_and_p11tool)
{
	run_script("pkcs11-tool.sh", "e2e pkcs11-tool/p11tool: all steps passed");
}
END_TEST

START_TEST(openssl_engine)
{
	run_script("openssl-engine.sh", "e2e openssl engine: all steps passed");
}
END_TEST

START_TEST(ssh_agent)
{
	run_script("ssh-agent.sh", "e2e ssh-agent: all steps passed");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("clients");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, ssh_login);
	tcase_add_test(tc, pkcs11_tool_and_p11tool);
	tcase_add_test(tc, openssl_engine);
	tcase_add_test(tc, ssh_agent);
	suite_add_tcase(s, tc);
	return btpm_test_run(s);
}
