/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TCTI string parser (tpm/tcti.c). The input is the string (it ends at
 * its first NUL byte, as a C string does). Besides not crashing: a parse
 * gives the same answer whatever room the caller gives the error text, a
 * failure leaves the output untouched, and a success is a usable
 * configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *s)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_tcti: %s for \"%s\"\n", what, s);
	abort();
}

static int terminated(const char *p, size_t cap)
{
	return memchr(p, 0, cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1); /* exactly the string: ASan sees any overread */
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	struct btpm_tcti cfg, untouched;
	char err[256];
	memset(&cfg, 0xA5, sizeof(cfg));
	untouched = cfg;
	int rc = btpm_tcti_parse(s, &cfg, err, sizeof(err));
	check(rc == 0 || rc == BTPM_E_CONFIG, "unexpected return code", s);
	check(terminated(err, sizeof(err)), "error text not terminated", s);
	if (rc) {
		check(!memcmp(&cfg, &untouched, sizeof(cfg)), "output written on failure", s);
		check(err[0] != 0, "failure without a reason", s);
	} else {
		check(cfg.kind == BTPM_TCTI_DEVICE || cfg.kind == BTPM_TCTI_SWTPM ||
			      cfg.kind == BTPM_TCTI_MSSIM,
		      "unknown kind", s);
		check(terminated(cfg.path, sizeof(cfg.path)) &&
			      terminated(cfg.host, sizeof(cfg.host)) &&
			      terminated(cfg.ctrl_path, sizeof(cfg.ctrl_path)),
		      "string field not terminated", s);
		check(cfg.timeout_ms >= 1 && cfg.timeout_ms <= 86400000, "timeout out of range", s);
		if (cfg.kind == BTPM_TCTI_DEVICE)
			check(cfg.path[0] != 0, "device without a path", s);
		else if (!cfg.path[0])
			check(cfg.host[0] && cfg.port >= 1 && cfg.port <= 65534,
			      "TCP without host or port", s);
	}

	/* the same verdict with little or no room for the reason */
	static const size_t caps[] = {0, 1, 2, 17};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct btpm_tcti again;
		char small[17];
		memset(small, 'x', sizeof(small));
		int rc2 = btpm_tcti_parse(s, &again, caps[i] ? small : NULL, caps[i]);
		check(rc2 == rc, "verdict depends on the error buffer", s);
		if (caps[i])
			check(terminated(small, caps[i]), "short error text not terminated", s);
		if (!rc)
			check(again.kind == cfg.kind && again.port == cfg.port &&
				      again.timeout_ms == cfg.timeout_ms &&
				      !strcmp(again.path, cfg.path) && !strcmp(again.host, cfg.host) &&
				      !strcmp(again.ctrl_path, cfg.ctrl_path),
			      "two parses differ", s);
	}
	free(s);
	return 0;
}
