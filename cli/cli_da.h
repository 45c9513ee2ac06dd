/* SPDX-License-Identifier: BSD-2-Clause */
/* The dictionary-attack verbs of the baretpm tool (cli/da.c). */
#ifndef BTPM_CLI_DA_H
#define BTPM_CLI_DA_H

#include "cli.h"

int btpm_cli_dareset(struct btpm_cli *c, int argc, char **argv);
int btpm_cli_daparams(struct btpm_cli *c, int argc, char **argv);

#endif
