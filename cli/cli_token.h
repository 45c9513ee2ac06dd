/* SPDX-License-Identifier: BSD-2-Clause */
/* The token verbs of the baretpm tool (cli/tokens.c, cli/keys.c, cli/args.c). */
#ifndef BTPM_CLI_TOKEN_H
#define BTPM_CLI_TOKEN_H

#include <stddef.h>

#include "cli.h"
#include "token.h"

/*
 * A secret (PIN) from a flag value, else from a file ('-' = stdin, first line),
 * else asked on the terminal without echo. Returns 0 or an exit code.
 */
int btpm_cli_secret(const char *verb, const char *value, const char *file, const char *prompt,
		    char *out, size_t cap, size_t *len);
/* The same for a PIN being set: asked twice when it comes from the terminal. */
int btpm_cli_new_secret(const char *verb, const char *value, const char *file,
			const char *prompt, char *out, size_t cap, size_t *len);
/* Print a token-layer failure in words (wrong PIN, lockout, store) and return the exit code. */
int btpm_cli_tok_fail(const char *verb, const char *what, int rc, const struct btpm_tok_ctx *tc);
/* The same for a step that touches only the store: exit 1, never "TPM unreachable" (3). */
int btpm_cli_store_fail(const char *verb, const char *what, int rc, const struct btpm_tok_ctx *tc);
/* A usage error (exit 2) unless --label or --serial names the token; else 0. */
int btpm_cli_need_token(const char *verb, const char *label, const char *serial);
/*
 * Open the store and TPM context for a verb; find the token labelled label
 * (or with that serial) and load it into tok. Returns 0 or an exit code
 * (message printed).
 */
int btpm_cli_find_token(const char *verb, struct btpm_cli *c, struct btpm_tok_ctx *tc,
			const char *label, const char *serial, struct btpm_store_token *tok,
			int want_write);

int btpm_cli_init(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_addtoken(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_rmtoken(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_listtokens(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_changepin(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_initpin(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_addkey(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_rmkey(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_listobjects(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_sshkey(struct btpm_cli *c, int argc, char **argv);

#endif
