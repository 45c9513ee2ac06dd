/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm ekcert: the EK certificate(s) from the TCG NV indices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "cli.h"

#define CERT_MAX 4096

static void help(void)
{
	printf("usage: baretpm [-T TCTI] ekcert [--rsa|--ecc|--index NV] [--pem] [-o FILE]\n\n"
	       "Read the endorsement key certificate(s) stored in the TPM's NV at the TCG\n"
	       "EK Credential Profile indices: low range 0x01c00002 (RSA 2048) and\n"
	       "0x01c0000a (ECC P256), high range 0x01c00012..0x01c0001e (RSA 2048/3072/4096,\n"
	       "ECC P256/P384/P521, SM2).\n\n"
	       "  --rsa, --ecc   only RSA or only ECC certificates\n"
	       "  --index NV     only the certificate at this NV index (e.g. 0x01c00016)\n"
	       "  -o FILE        write one certificate to FILE, DER unless --pem (the first\n"
	       "                 one found, RSA before ECC; combine with --ecc/--index);\n"
	       "                 '-o -' writes it to stdout, DER as well (for a pipe)\n"
	       "  --pem          PEM instead of DER with -o\n\n"
	       "Without -o every certificate found is printed to stdout as PEM. A line per\n"
	       "certificate on stderr says where it came from. Exit status 1 when none.\n");
}

/* Write to path, or to stdout for "-". */
static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f) {
		fprintf(stderr, "baretpm ekcert: cannot write %s: %s\n", path, strerror(errno));
		return BTPM_EXIT_FAIL;
	}
	int bad = fwrite(p, 1, n, f) != n;
	if (f != stdout)
		bad |= fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "baretpm ekcert: writing %s failed: %s\n", path, strerror(errno));
		return BTPM_EXIT_FAIL;
	}
	return BTPM_EXIT_OK;
}

static int emit(const uint8_t *der, size_t len, int pem, const char *out)
{
	if (!pem)
		return write_file(out, der, len);
	char text[CERT_MAX * 2];
	size_t n;
	if (btpm_pem_encode("CERTIFICATE", der, len, text, sizeof(text), &n)) {
		fprintf(stderr, "baretpm ekcert: PEM encoding failed\n");
		return BTPM_EXIT_FAIL;
	}
	return write_file(out ? out : "-", text, n);
}

int btpm_cli_ekcert(struct btpm_cli *c, int argc, char **argv)
{
	int want_rsa = 1, want_ecc = 1, pem = 0;
	const char *out = NULL;
	unsigned long index = 0;
	if (btpm_cli_wants_help(argc, argv)) {
		help();
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *nv = NULL;
		int r;
		if (!strcmp(a, "--rsa")) {
			want_ecc = 0;
		} else if (!strcmp(a, "--ecc")) {
			want_rsa = 0;
		} else if (!strcmp(a, "--pem")) {
			pem = 1;
		} else if (!strcmp(a, "-o")) {
			if (++i >= argc)
				return btpm_cli_usage_error("ekcert", "%s needs a file name", a);
			out = argv[i];
		} else if ((r = btpm_cli_opt(argc, argv, &i, "--output", &out)) != 0) {
			if (r < 0)
				return btpm_cli_usage_error("ekcert", "--output needs a file name");
		} else if ((r = btpm_cli_opt(argc, argv, &i, "--index", &nv)) != 0) {
			char *end;
			if (r < 0)
				return btpm_cli_usage_error("ekcert", "--index needs an NV index");
			errno = 0;
			index = strtoul(nv, &end, 0);
			if (errno || *end || (index >> 24) != 0x01)
				return btpm_cli_usage_error("ekcert", "'%s' is not an NV index", nv);
		} else {
			return btpm_cli_unexpected("ekcert", a);
		}
	}
	if (!want_rsa && !want_ecc)
		return btpm_cli_usage_error("ekcert", "--rsa and --ecc exclude each other");
	if (!out)
		pem = 1;
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	size_t n;
	const struct btpm_ek_index *ek = btpm_ek_cert_indices(&n);
	uint8_t der[CERT_MAX];
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		if (index ? ek[i].nv_index != index : !(ek[i].ecc ? want_ecc : want_rsa))
			continue;
		size_t len;
		rc = btpm_ek_cert_read(c->t, ek[i].nv_index, der, sizeof(der), &len);
		if (rc == BTPM_E_NOTFOUND)
			continue;
		if (rc) {
			char what[64];
			snprintf(what, sizeof(what), "reading NV 0x%08x", (unsigned)ek[i].nv_index);
			return btpm_cli_fail(c, "ekcert", what, rc);
		}
		found++;
		fprintf(stderr, "EK certificate %s at NV 0x%08x: %zu bytes%s%s\n", ek[i].what,
			(unsigned)ek[i].nv_index, len, out ? " -> " : "", out ? out : "");
		rc = emit(der, len, pem, out);
		if (rc || out)
			return rc;
	}
	if (!found) {
		fprintf(stderr,
			"baretpm ekcert: no %sEK certificate in this TPM's NV%s (see "
			"'baretpm getcap handles-nv-index'; some vendors publish EK certificates "
			"online instead)\n",
			index ? "" : want_rsa && want_ecc ? "" : want_rsa ? "RSA " : "ECC ",
			index ? " at the given index" : "");
		return BTPM_EXIT_FAIL;
	}
	return BTPM_EXIT_OK;
}
