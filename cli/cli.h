/* SPDX-License-Identifier: BSD-2-Clause */
/* The baretpm command-line tool: shared declarations of the verbs. */
#ifndef BTPM_CLI_H
#define BTPM_CLI_H

#include <stdio.h>

#include "baretpm.h"

/* Exit codes (also in README and --help). */
enum {
	BTPM_EXIT_OK = 0,
	BTPM_EXIT_FAIL = 1,    /* the operation failed (TPM error, not found, ...) */
	BTPM_EXIT_USAGE = 2,   /* bad command line */
	BTPM_EXIT_NOTPM = 3,   /* the TPM could not be reached */
};

/* Options every verb shares; argv is left with the verb's own arguments. */
struct btpm_cli {
	const char *tcti; /* --tcti / -T, or NULL for the environment and defaults */
	const char *prog; /* "baretpm" */
	struct btpm *t;   /* opened by btpm_cli_open */
};

/* Open the TPM for a verb; prints a readable error and returns nonzero on failure. */
int btpm_cli_open(struct btpm_cli *c);
/* Print "baretpm VERB: what: <error text>" to stderr; returns the exit code to use. */
int btpm_cli_fail(struct btpm_cli *c, const char *verb, const char *what, int rc);
/* The exit code for a failed operation: BTPM_EXIT_NOTPM for transport errors. */
int btpm_cli_exit_code(int rc);
/* Print "baretpm VERB: message" to stderr and return BTPM_EXIT_USAGE. */
int btpm_cli_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * "--name=value" or "--name value" at argv[*i]: 1 and *value set (advancing
 * *i past a separate value), 0 if argv[*i] is another option, -1 if the value
 * is missing.
 */
int btpm_cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
/* The usage error for an argument the verb does not take (its value after '=' not shown). */
int btpm_cli_unexpected(const char *verb, const char *arg);
/* True when argv holds -h or --help. */
int btpm_cli_wants_help(int argc, char **argv);

/* Verbs: argv[0] is the verb name. */
int btpm_cli_getcap(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_info(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_ekcert(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_random(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_startup(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_pcrread(struct btpm_cli *c, int argc, char **argv);

/* Names as tpm2-tools prints them (cli/names.c); NULL when unknown. */
const char *btpm_cli_pt_name(unsigned property);      /* "TPM2_PT_MANUFACTURER" */
const char *btpm_cli_alg_name(unsigned alg);          /* "sha256" */
const char *btpm_cli_cc_name(unsigned cc);            /* "TPM2_CC_Startup" */
const char *btpm_cli_curve_name(unsigned curve);      /* "TPM2_ECC_NIST_P256" */

#endif
