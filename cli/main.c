/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm: entry point, global options and verb dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_da.h"
#include "cli_token.h"
#include "rc.h"

#ifndef BTPM_VERSION
#define BTPM_VERSION "unknown"
#endif

struct verb {
	const char *name;
	int (*run)(struct btpm_cli *c, int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{"info", btpm_cli_info, "what TPM this is, its firmware, lockout state and EK certificates"},
	{"getcap", btpm_cli_getcap, "TPM capabilities and properties, printed as tpm2_getcap does"},
	{"ekcert", btpm_cli_ekcert, "read the endorsement key certificate(s) from NV"},
	{"pcrread", btpm_cli_pcrread, "read PCR values"},
	{"random", btpm_cli_random, "random bytes from the TPM"},
	{"startup", btpm_cli_startup, "power on a simulator and/or send TPM2_Startup"},
	{"dareset", btpm_cli_dareset, "reset the dictionary-attack lockout"},
	{"daparams", btpm_cli_daparams, "set the dictionary-attack parameters"},
	{"init", btpm_cli_init, "create the token store and pin the TPM's storage key"},
	{"addtoken", btpm_cli_addtoken, "create a PKCS#11 token with a user and an SO PIN"},
	{"addkey", btpm_cli_addkey, "create an ECC key in the TPM for a token"},
	{"listtokens", btpm_cli_listtokens, "list the tokens"},
	{"listobjects", btpm_cli_listobjects, "list a token's objects with pkcs11: URIs"},
	{"sshkey", btpm_cli_sshkey, "print a token's keys as OpenSSH public key lines"},
	{"changepin", btpm_cli_changepin, "change the user or SO PIN of a token"},
	{"initpin", btpm_cli_initpin, "set a new user PIN with the SO PIN"},
	{"rmkey", btpm_cli_rmkey, "remove a key from a token"},
	{"rmtoken", btpm_cli_rmtoken, "delete a token"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: baretpm [-T TCTI] VERB [ARGS]   (baretpm VERB --help for details)\n\n"
		   "verbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\noptions:\n"
		"  -T, --tcti TCTI  which TPM: device:/dev/tpmrm0, device:/dev/tpm0,\n"
		"                   swtpm:host=127.0.0.1,port=2321, swtpm:path=SOCKET,\n"
		"                   mssim:host=HOST,port=PORT; add ,timeout=MS to any of them\n"
		"  -h, --help       this text\n"
		"  --version        the version of baretpm\n"
		"\nenvironment:\n"
		"  BARETPM_TCTI, TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI  the TPM when -T is absent\n"
		"                   (first one set wins; then /dev/tpmrm0, /dev/tpm0)\n"
		"  BARETPM_STORE    the token store directory (default\n"
		"                   ${XDG_DATA_HOME:-~/.local/share}/baretpm, else /etc/baretpm)\n"
		"\nexit status: 0 success, 1 operation failed, 2 bad command line,\n"
		"             3 TPM not reachable\n");
}

int btpm_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

int btpm_cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "baretpm %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try 'baretpm %s --help')\n", verb);
	return BTPM_EXIT_USAGE;
}

int btpm_cli_unexpected(const char *verb, const char *arg)
{
	/* never the value after '=': a mistyped "--so-pin=..." must not print the PIN */
	size_t n = strcspn(arg, "=");
	return btpm_cli_usage_error(verb, "unexpected argument '%.*s%s'", (int)n, arg,
				    arg[n] ? "=..." : "");
}

int btpm_cli_fail(struct btpm_cli *c, const char *verb, const char *what, int rc)
{
	char msg[512];
	btpm_strerror(c ? c->t : NULL, rc, msg, sizeof(msg));
	fprintf(stderr, "baretpm %s: %s: %s\n", verb, what, msg);
	/* a simulator that was never powered on answers everything with FAILURE */
	uint32_t base = rc > 0 ? btpm_rc_base((uint32_t)rc) : 0;
	if ((base == BTPM_RC_FAILURE || base == BTPM_RC_INITIALIZE) && c && c->t &&
	    strncmp(btpm_tcti(c->t), "device", 6))
		fprintf(stderr, "baretpm %s: a simulator that is not powered on and started "
				"answers so: run 'baretpm startup --power-on'\n",
			verb);
	else if (base == BTPM_RC_INITIALIZE)
		fprintf(stderr, "baretpm %s: TPM2_Startup was not sent since the TPM was reset: "
				"run 'baretpm startup'\n",
			verb);
	return btpm_cli_exit_code(rc);
}

int btpm_cli_exit_code(int rc)
{
	/* A transport failure means the TPM is unreachable, whatever the verb. */
	if (rc == BTPM_E_IO || rc == BTPM_E_CLOSED || rc == BTPM_E_TIMEOUT || rc == BTPM_E_NODEV ||
	    rc == BTPM_E_PERM)
		return BTPM_EXIT_NOTPM;
	return BTPM_EXIT_FAIL;
}

int btpm_cli_open(struct btpm_cli *c)
{
	char err[256];
	const char *source = "--tcti";
	const char *tcti = c->tcti;
	if (!tcti)
		tcti = btpm_tcti_default(&source);
	int rc = btpm_open(&c->t, tcti, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "baretpm: cannot open the TPM '%s' (from %s): %s\n", tcti, source,
			err);
		return rc == BTPM_E_CONFIG ? BTPM_EXIT_USAGE : BTPM_EXIT_NOTPM;
	}
	return 0;
}

/* Take -T/--tcti out of argv wherever it is (before "--"); returns the new argc. */
static int take_tcti(int argc, char **argv, const char **tcti)
{
	int out = 1, i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "-T") || !strcmp(a, "--tcti")) {
			if (i + 1 >= argc)
				return -1;
			*tcti = argv[++i];
		} else if (!strncmp(a, "--tcti=", 7)) {
			*tcti = a + 7;
		} else if (!strncmp(a, "-T", 2)) {
			*tcti = a + 2;
		} else {
			argv[out++] = argv[i];
		}
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	struct btpm_cli c = {.prog = "baretpm"};
	argc = take_tcti(argc, argv, &c.tcti);
	if (argc < 0) {
		fprintf(stderr, "baretpm: -T/--tcti needs a value\n");
		return BTPM_EXIT_USAGE;
	}
	if (argc < 2) {
		usage(stderr);
		return BTPM_EXIT_USAGE;
	}
	const char *v = argv[1];
	if (!strcmp(v, "-h") || !strcmp(v, "--help") || !strcmp(v, "help")) {
		usage(stdout);
		return BTPM_EXIT_OK;
	}
	if (!strcmp(v, "--version") || !strcmp(v, "version")) {
		printf("baretpm %s\n", BTPM_VERSION);
		return BTPM_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(v, verbs[i].name))
			continue;
		int rc = verbs[i].run(&c, argc - 1, argv + 1);
		btpm_close(c.t);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			perror("baretpm: writing output");
			return BTPM_EXIT_FAIL;
		}
		return rc;
	}
	fprintf(stderr, "baretpm: unknown verb '%s'\n\n", v);
	usage(stderr);
	return BTPM_EXIT_USAGE;
}
