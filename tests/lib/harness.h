/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: a throwaway swtpm per suite, and running the CLI. */
#ifndef BTPM_TEST_HARNESS_H
#define BTPM_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

struct btpm_test_sim {
	char dir[256];  /* state dir (removed by stop) */
	char tcti[320]; /* "swtpm:host=127.0.0.1,port=N" or "swtpm:path=..." */
	int port;
	pid_t pid;
};

/* Source tree root (BTPM_SRCDIR, default "."). */
const char *btpm_test_srcdir(void);
/* Path of the built CLI (BTPM_CLI, default build/baretpm). */
const char *btpm_test_cli(void);

/*
 * Start a swtpm via sim/swtpm-start; opts is NULL or extra options such as
 * "--unix" or "--no-init". Returns 0 or -1 (with a message on stderr).
 */
int btpm_test_sim_start(struct btpm_test_sim *s, const char *opts);
void btpm_test_sim_stop(struct btpm_test_sim *s);
/*
 * Start s (no options) before tc's tests and stop it after them (Check's
 * unchecked fixture; a failed start aborts the case). One such sim per suite.
 */
void btpm_test_sim_fixture(TCase *tc, struct btpm_test_sim *s);

/*
 * Run a shell command line with a timeout of timeout_s seconds, capture its
 * stdout (and stderr when err is non-NULL) NUL-terminated, return its exit
 * status (128+signal if killed, -1 if it could not run).
 */
int btpm_test_sh(const char *cmdline, int timeout_s, char *out, size_t outcap, char *err,
		 size_t errcap);

/* rm -rf DIR, killed after timeout_s seconds; errors are ignored. */
void btpm_test_rmtree(const char *dir, int timeout_s);

/* Read a whole file; returns its length or -1. */
long btpm_test_read_file(const char *path, unsigned char *buf, size_t cap);

#endif
