/* SPDX-License-Identifier: BSD-2-Clause */
/* The man pages render without warnings and document every verb and option. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "run.h"

START_TEST(man_pages)
{
	static char out[16384], err[16384];
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s/tests/man-check.sh' '%s' '%s/docs'", btpm_test_srcdir(),
		 btpm_test_cli(), btpm_test_srcdir());
	int rc = btpm_test_sh(cmd, 120, out, sizeof(out), err, sizeof(err));
	if (rc == 77) {
		fprintf(stderr, "man-check skipped: %s", err);
		return;
	}
	ck_assert_msg(rc == 0, "man-check failed (%d):\n%s%s", rc, out, err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("docs");
	TCase *tc = tcase_create("man");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, man_pages);
	suite_add_tcase(s, tc);
	return btpm_test_run(s);
}
