/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm random: bytes from the TPM's RNG (TPM2_GetRandom). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define RANDOM_MAX 65536

int btpm_cli_random(struct btpm_cli *c, int argc, char **argv)
{
	int hex = 0;
	const char *count = NULL;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] random N [--hex]\n\n"
		       "Write N (1..%d) random bytes from the TPM to stdout: raw bytes, or hex\n"
		       "with --hex (hex is also used when stdout is a terminal).\n",
		       RANDOM_MAX);
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hex"))
			hex = 1;
		else if (!count && argv[i][0] != '-')
			count = argv[i];
		else
			return btpm_cli_unexpected("random", argv[i]);
	}
	if (!count)
		return btpm_cli_usage_error("random", "how many bytes? e.g. 'baretpm random 32'");
	char *end;
	errno = 0;
	unsigned long n = strtoul(count, &end, 10);
	if (errno || *end || !n || n > RANDOM_MAX || count[0] == '-')
		return btpm_cli_usage_error("random", "'%s' is not a count from 1 to %d", count,
					    RANDOM_MAX);
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	static uint8_t buf[RANDOM_MAX];
	rc = btpm_get_random(c->t, buf, n);
	if (rc)
		return btpm_cli_fail(c, "random", "TPM2_GetRandom", rc);
	if (hex || isatty(STDOUT_FILENO)) {
		for (unsigned long i = 0; i < n; i++)
			printf("%02x", buf[i]);
		printf("\n");
	} else if (fwrite(buf, 1, n, stdout) != n) {
		perror("baretpm random: writing output");
		return BTPM_EXIT_FAIL;
	}
	return BTPM_EXIT_OK;
}
