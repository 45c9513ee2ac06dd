/* SPDX-License-Identifier: BSD-2-Clause */
/* Option parsing and secrets (PINs) for the token verbs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "cli_token.h"
#include "rc.h"

int btpm_cli_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc) {
		*value = NULL;
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

/* Read a secret from FILE ('-' = stdin): its first line, without the newline. */
static int from_file(const char *verb, const char *path, char *out, size_t cap, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "baretpm %s: cannot read %s: %s\n", verb, path, strerror(errno));
		return BTPM_EXIT_FAIL;
	}
	int ok = fgets(out, (int)cap, f) != NULL;
	if (f != stdin)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "baretpm %s: %s is empty\n", verb, path);
		return BTPM_EXIT_FAIL;
	}
	*len = strcspn(out, "\r\n");
	out[*len] = 0;
	return 0;
}

/* Ask on the terminal with echo off. */
static int from_tty(const char *verb, const char *prompt, char *out, size_t cap, size_t *len)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "baretpm %s: no terminal to ask for the %s; give it with a flag or "
				"a file\n",
			verb, prompt);
		return BTPM_EXIT_USAGE;
	}
	struct termios old, quiet;
	int have = tcgetattr(fd, &old) == 0;
	if (have) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	dprintf(fd, "%s: ", prompt);
	size_t n = 0;
	char ch;
	int rc = 0;
	while (read(fd, &ch, 1) == 1 && ch != '\n' && ch != '\r') {
		if (n + 1 < cap)
			out[n++] = ch;
		else
			rc = 1;
	}
	out[n] = 0;
	ch = 0;
	if (have)
		tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	close(fd);
	if (rc) {
		btpm_wipe(out, cap);
		fprintf(stderr, "baretpm %s: the %s is too long\n", verb, prompt);
		return BTPM_EXIT_USAGE;
	}
	*len = n;
	return 0;
}

int btpm_cli_secret(const char *verb, const char *value, const char *file, const char *prompt,
		    char *out, size_t cap, size_t *len)
{
	if (value) {
		size_t n = strlen(value);
		if (n + 1 > cap) {
			fprintf(stderr, "baretpm %s: the %s is too long\n", verb, prompt);
			return BTPM_EXIT_USAGE;
		}
		memcpy(out, value, n + 1);
		*len = n;
		return 0;
	}
	if (file)
		return from_file(verb, file, out, cap, len);
	return from_tty(verb, prompt, out, cap, len);
}

int btpm_cli_new_secret(const char *verb, const char *value, const char *file,
			const char *prompt, char *out, size_t cap, size_t *len)
{
	if (value || file)
		return btpm_cli_secret(verb, value, file, prompt, out, cap, len);
	/* typed blind: a new PIN is asked twice, or a typo would lock the token away */
	int rc = from_tty(verb, prompt, out, cap, len);
	if (rc)
		return rc;
	char again[160], ask[96];
	size_t n = 0;
	snprintf(ask, sizeof(ask), "%s again", prompt);
	rc = from_tty(verb, ask, again, sizeof(again) < cap ? sizeof(again) : cap, &n);
	if (!rc && (n != *len || memcmp(again, out, n))) {
		fprintf(stderr, "baretpm %s: the two entries of the %s differ\n", verb, prompt);
		rc = BTPM_EXIT_USAGE;
	}
	btpm_wipe(again, sizeof(again));
	if (rc)
		btpm_wipe(out, cap);
	return rc;
}

int btpm_cli_tok_fail(const char *verb, const char *what, int rc,
		      const struct btpm_tok_ctx *tc)
{
	char msg[512];
	const char *detail = tc && tc->store.error[0] ? tc->store.error : NULL;
	btpm_strerror(tc ? tc->t : NULL, rc, msg, sizeof(msg));
	if (rc > 0) {
		uint32_t b = (uint32_t)btpm_rc_base((uint32_t)rc);
		/* PIN objects are DA-protected: a wrong PIN is AUTH_FAIL (BAD_AUTH is
		 * a noDA object, i.e. not a PIN) */
		if (b == BTPM_RC_AUTH_FAIL) {
			fprintf(stderr, "baretpm %s: %s: wrong PIN (the TPM counted the failure; "
					"see 'baretpm info')\n",
				verb, what);
			return BTPM_EXIT_FAIL;
		}
		if (b == BTPM_RC_LOCKOUT) {
			fprintf(stderr, "baretpm %s: %s: the TPM is in dictionary-attack lockout "
					"after too many wrong PINs; wait for the recovery time or "
					"run 'baretpm dareset'\n",
				verb, what);
			return BTPM_EXIT_FAIL;
		}
	}
	if (detail && rc < 0)
		fprintf(stderr, "baretpm %s: %s: %s\n", verb, what, detail);
	else
		fprintf(stderr, "baretpm %s: %s: %s\n", verb, what, msg);
	return btpm_cli_exit_code(rc);
}

int btpm_cli_store_fail(const char *verb, const char *what, int rc,
			const struct btpm_tok_ctx *tc)
{
	btpm_cli_tok_fail(verb, what, rc, tc);
	return BTPM_EXIT_FAIL;
}
