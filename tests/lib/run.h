/* SPDX-License-Identifier: BSD-2-Clause */
/* Run a Check suite and turn its result into the process exit status. */
#ifndef BTPM_TEST_RUN_H
#define BTPM_TEST_RUN_H

#include <check.h>

/* Runs every test of s (CK_NORMAL output); EXIT_SUCCESS if none failed. */
int btpm_test_run(Suite *s);

#endif
