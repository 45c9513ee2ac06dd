/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm pcrread: PCR values, printed as tpm2_pcrread prints them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	uint16_t alg;
} banks[] = {
	{"sha1", 0x0004}, {"sha256", 0x000B}, {"sha384", 0x000C}, {"sha512", 0x000D},
};

static const char *bank_name(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return banks[i].name;
	return NULL;
}

/* "sha256", "sha256:all", "sha256:0,1,7" -> alg and mask (mask 0 = all allocated). */
static int parse_spec(const char *s, uint16_t *alg, uint32_t *mask)
{
	size_t n = strcspn(s, ":");
	*alg = 0;
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (strlen(banks[i].name) == n && !strncmp(s, banks[i].name, n))
			*alg = banks[i].alg;
	if (!*alg)
		return -1;
	*mask = 0;
	if (!s[n] || !strcmp(s + n + 1, "all"))
		return 0;
	const char *p = s + n + 1;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long i = strtoul(p, &end, 10);
		if (errno || end == p || i > 23 || (*end && *end != ','))
			return -1;
		*mask |= 1u << i;
		p = *end ? end + 1 : end;
	}
	return *mask ? 0 : -1;
}

static uint32_t allocated(const struct btpm_capdata *d, uint16_t alg)
{
	for (unsigned i = 0; i < d->count; i++) {
		const struct btpm_pcr_selection *s = &d->u.pcrs[i];
		if (s->hash != alg)
			continue;
		uint32_t m = 0;
		for (unsigned b = 0; b < s->size_of_select && b < 3; b++)
			m |= (uint32_t)s->select[b] << (8 * b);
		return m;
	}
	return 0;
}

static int print_bank(struct btpm_cli *c, uint16_t alg, uint32_t mask)
{
	printf("  %s:\n", bank_name(alg));
	if (!mask)
		return 0;
	struct btpm_pcr_values v;
	int rc = btpm_pcr_read(c->t, alg, mask, &v);
	if (rc)
		return btpm_cli_fail(c, "pcrread", "TPM2_PCR_Read", rc);
	for (unsigned i = 0; i < v.count; i++) {
		printf("    %-2u: 0x", v.index[i]);
		for (unsigned j = 0; j < v.digest_size; j++)
			printf("%02X", v.digest[i][j]);
		printf("\n");
	}
	return 0;
}

int btpm_cli_pcrread(struct btpm_cli *c, int argc, char **argv)
{
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] pcrread [BANK[:all|:N,N,...]]...\n\n"
		       "Print PCR values in tpm2_pcrread's format. BANK is sha1, sha256, sha384\n"
		       "or sha512. Without arguments, every bank and every allocated PCR.\n"
		       "Example: baretpm pcrread sha256:0,1,7\n");
		return BTPM_EXIT_OK;
	}
	uint16_t algs[8];
	uint32_t masks[8];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (n == 8 || parse_spec(argv[i], &algs[n], &masks[n]))
			return btpm_cli_usage_error("pcrread", "'%s' is not BANK[:all|:N,N,...]",
						    argv[i]);
		n++;
	}
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	struct btpm_capdata d;
	int more;
	rc = btpm_get_capability(c->t, BTPM_CAP_PCRS, 0, 1, &more, &d);
	if (rc)
		return btpm_cli_fail(c, "pcrread", "reading the PCR banks", rc);
	if (!n) {
		for (unsigned i = 0; i < d.count; i++)
			if (bank_name(d.u.pcrs[i].hash)) {
				algs[n] = d.u.pcrs[i].hash;
				masks[n++] = 0;
			}
	}
	for (int i = 0; i < n; i++) {
		uint32_t have = allocated(&d, algs[i]);
		uint32_t want = masks[i] ? masks[i] : have;
		if (want & ~have) {
			fprintf(stderr, "baretpm pcrread: bank %s does not hold all the PCRs asked for\n",
				bank_name(algs[i]));
			return BTPM_EXIT_FAIL;
		}
		rc = print_bank(c, algs[i], want);
		if (rc)
			return rc;
	}
	return BTPM_EXIT_OK;
}
