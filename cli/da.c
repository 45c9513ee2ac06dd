/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * baretpm dareset / daparams: the TPM's dictionary-attack protection
 * (TPM2_DictionaryAttackLockReset and TPM2_DictionaryAttackParameters, Part 3,
 * 25.2 and 25.3), authorized by the lockout hierarchy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "cli_da.h"
#include "rc.h"

#define AUTH_HELP                                                                            \
	"  --lockout-auth AUTH       the lockout authorization value: a string, or\n"           \
	"                            hex:HEX for bytes (visible to other users in ps)\n"       \
	"  --lockout-auth-file FILE  read it from FILE, its bytes exactly ('-' for stdin)\n"   \
	"Without either, the lockout authorization is empty (as on a fresh TPM).\n"

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* AUTH or hex:HEX into e's auth value; 0 or the usage exit code. */
static int auth_from_arg(const char *verb, const char *a, struct btpm_entity *e)
{
	uint8_t v[64];
	size_t n = 0;
	if (!strncmp(a, "hex:", 4)) {
		a += 4;
		size_t len = strlen(a);
		if (len % 2 || len / 2 > sizeof(v))
			return btpm_cli_usage_error(verb, "hex: needs an even number of hex digits, "
							  "at most 128");
		for (; n < len / 2; n++) {
			int hi = hexval(a[2 * n]), lo = hexval(a[2 * n + 1]);
			if (hi < 0 || lo < 0) {
				btpm_wipe(v, sizeof(v));
				return btpm_cli_usage_error(verb, "hex: holds a non-hex character");
			}
			v[n] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		n = strlen(a);
		if (n > sizeof(v))
			return btpm_cli_usage_error(verb, "the lockout auth is longer than 64 bytes");
		memcpy(v, a, n);
	}
	int rc = btpm_entity_set_auth(e, v, n);
	btpm_wipe(v, sizeof(v));
	return rc ? btpm_cli_usage_error(verb, "the lockout auth is not usable") : 0;
}

/* The bytes of path ("-": stdin) as e's auth value; 0 or an exit code. */
static int auth_from_file(const char *verb, const char *path, struct btpm_entity *e)
{
	uint8_t v[65];
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "baretpm %s: cannot read %s: %s\n", verb, path, strerror(errno));
		return BTPM_EXIT_FAIL;
	}
	size_t n = fread(v, 1, sizeof(v), f);
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	int rc = 0;
	if (bad) {
		fprintf(stderr, "baretpm %s: reading %s failed\n", verb, path);
		rc = BTPM_EXIT_FAIL;
	} else if (n > 64) {
		rc = btpm_cli_usage_error(verb, "%s holds more than 64 bytes", path);
	} else if (btpm_entity_set_auth(e, v, n)) {
		rc = btpm_cli_usage_error(verb, "the lockout auth is not usable");
	}
	btpm_wipe(v, sizeof(v));
	return rc;
}

/*
 * Take --lockout-auth / --lockout-auth-file at argv[*i] into e. Returns 1 if
 * it was one of them (and *rc is 0 or an exit code), 0 if not.
 */
static int take_auth(const char *verb, int argc, char **argv, int *i, struct btpm_entity *e,
		     int *seen, int *rc)
{
	const char *a = argv[*i];
	int file = !strcmp(a, "--lockout-auth-file");
	if (!file && strcmp(a, "--lockout-auth"))
		return 0;
	if (*seen) {
		*rc = btpm_cli_usage_error(verb, "give the lockout auth once");
		return 1;
	}
	if (++*i >= argc) {
		*rc = btpm_cli_usage_error(verb, "%s needs a value", a);
		return 1;
	}
	*seen = 1;
	*rc = file ? auth_from_file(verb, argv[*i], e) : auth_from_arg(verb, argv[*i], e);
	return 1;
}

/*
 * A session for the lockout hierarchy. An empty auth value goes in a password
 * session. A non-empty one gets an HMAC session: the auth value then only
 * keys the HMAC and never crosses the bus. The CLI has no pinned key to salt
 * to yet, so the session is unsalted: an observer of the bus could still run
 * an offline guessing attack on a weak lockout auth from the HMAC it sees;
 * salting to the pinned SRK will close that.
 */
static int lockout_session(struct btpm_cli *c, const struct btpm_entity *lockout,
			   struct btpm_session *s)
{
	if (!lockout->auth_size) {
		btpm_session_password(s);
		return 0;
	}
	int rc = btpm_session_start(c->t, s, BTPM_RH_NULL, NULL, 0);
	if (!rc) /* these commands have no parameter to encrypt */
		s->attrs &= (uint8_t) ~(BTPM_SESSION_DECRYPT | BTPM_SESSION_ENCRYPT);
	return rc;
}

static void end_session(struct btpm_cli *c, struct btpm_session *s)
{
	if (s->handle && s->handle != BTPM_RS_PW)
		btpm_session_flush(c->t, s);
	else
		btpm_session_wipe(s);
}

/* Report a failed lockout command; a wrong lockout auth gets a word of warning. */
static int lockout_fail(struct btpm_cli *c, const char *verb, const char *what, int rc)
{
	int code = btpm_cli_fail(c, verb, what, rc);
	int base = rc > 0 ? btpm_rc_base((uint32_t)rc) : rc;
	if (base == BTPM_RC_AUTH_FAIL || base == BTPM_RC_BAD_AUTH)
		fprintf(stderr, "baretpm %s: the lockout authorization is wrong; after a failure the\n"
				"  TPM refuses the lockout hierarchy for its lockout recovery time\n",
			verb);
	else if (base == (int)BTPM_RC_LOCKOUT)
		fprintf(stderr, "baretpm %s: the lockout hierarchy is itself locked out after a\n"
				"  failed authorization; wait for its lockout recovery time\n",
			verb);
	return code;
}

/* Run one lockout-authorized command: reset (params NULL) or set parameters. */
static int run_lockout(struct btpm_cli *c, const char *verb, struct btpm_entity *lockout,
		       const uint32_t *params)
{
	struct btpm_session s;
	int rc = lockout_session(c, lockout, &s);
	if (rc) {
		btpm_entity_wipe(lockout);
		return btpm_cli_fail(c, verb, "TPM2_StartAuthSession", rc);
	}
	if (params)
		rc = btpm_da_parameters(c->t, &s, lockout, params[0], params[1], params[2]);
	else
		rc = btpm_da_lock_reset(c->t, &s, lockout);
	end_session(c, &s);
	btpm_entity_wipe(lockout);
	if (rc)
		return lockout_fail(c, verb,
				    params ? "TPM2_DictionaryAttackParameters"
					   : "TPM2_DictionaryAttackLockReset",
				    rc);
	return 0;
}

static int get_prop(struct btpm_cli *c, const char *verb, uint32_t pt, const char *name,
		    uint32_t *v)
{
	int rc = btpm_get_property(c->t, pt, v);
	return rc ? btpm_cli_fail(c, verb, name, rc) : 0;
}

int btpm_cli_dareset(struct btpm_cli *c, int argc, char **argv)
{
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] dareset [--lockout-auth AUTH | "
		       "--lockout-auth-file FILE]\n\n"
		       "Reset the TPM's dictionary-attack failure counter to 0 and end a lockout\n"
		       "(TPM2_DictionaryAttackLockReset), authorized by the lockout hierarchy.\n"
		       "Prints the counter afterwards.\n\n" AUTH_HELP);
		return BTPM_EXIT_OK;
	}
	struct btpm_entity lockout;
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	int seen = 0, rc = 0;
	for (int i = 1; i < argc; i++) {
		if (take_auth("dareset", argc, argv, &i, &lockout, &seen, &rc)) {
			if (rc)
				goto out;
			continue;
		}
		rc = btpm_cli_unexpected("dareset", argv[i]);
		goto out;
	}
	rc = btpm_cli_open(c);
	if (rc)
		goto out;
	rc = run_lockout(c, "dareset", &lockout, NULL);
	if (rc)
		goto out;
	uint32_t counter, max;
	rc = get_prop(c, "dareset", BTPM_PT_LOCKOUT_COUNTER, "TPM2_PT_LOCKOUT_COUNTER", &counter);
	if (!rc)
		rc = get_prop(c, "dareset", BTPM_PT_MAX_AUTH_FAIL, "TPM2_PT_MAX_AUTH_FAIL", &max);
	if (!rc)
		printf("lockout counter reset: %u of %u failed attempts\n", (unsigned)counter,
		       (unsigned)max);
out:
	btpm_entity_wipe(&lockout);
	return rc;
}

/* A decimal number of 0..UINT32_MAX; 0 on success, else the usage exit code. */
static int parse_u32(const char *opt, const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || n > 0xFFFFFFFFull)
		return btpm_cli_usage_error("daparams", "%s: '%s' is not a number from 0 to %u", opt,
					    s, 0xFFFFFFFFu);
	*v = (uint32_t)n;
	return 0;
}

int btpm_cli_daparams(struct btpm_cli *c, int argc, char **argv)
{
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] daparams [--max-tries N] [--recovery S]\n"
		       "                [--lockout-recovery S] [--lockout-auth AUTH | "
		       "--lockout-auth-file FILE]\n\n"
		       "Set the TPM's dictionary-attack parameters "
		       "(TPM2_DictionaryAttackParameters),\n"
		       "authorized by the lockout hierarchy. Options left out keep their current\n"
		       "value (read from the TPM first); at least one is needed.\n\n"
		       "  --max-tries N         failed authorizations before lockout\n"
		       "                        (TPM2_PT_MAX_AUTH_FAIL; 0 locks out at once)\n"
		       "  --recovery S          seconds after which one failure is forgotten\n"
		       "                        (TPM2_PT_LOCKOUT_INTERVAL; 0 disables protection)\n"
		       "  --lockout-recovery S  seconds the lockout hierarchy stays refused after a\n"
		       "                        failed lockout authorization "
		       "(TPM2_PT_LOCKOUT_RECOVERY;\n"
		       "                        0: until the next TPM reset)\n" AUTH_HELP
		       "\nPrints the parameters in effect afterwards.\n");
		return BTPM_EXIT_OK;
	}
	static const struct {
		const char *opt;
		uint32_t pt;
		const char *pt_name;
	} field[3] = {
		{"--max-tries", BTPM_PT_MAX_AUTH_FAIL, "TPM2_PT_MAX_AUTH_FAIL"},
		{"--recovery", BTPM_PT_LOCKOUT_INTERVAL, "TPM2_PT_LOCKOUT_INTERVAL"},
		{"--lockout-recovery", BTPM_PT_LOCKOUT_RECOVERY, "TPM2_PT_LOCKOUT_RECOVERY"},
	};
	uint32_t value[3] = {0, 0, 0};
	int given[3] = {0, 0, 0};
	struct btpm_entity lockout;
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	int seen = 0, rc = 0;
	for (int i = 1; i < argc; i++) {
		if (take_auth("daparams", argc, argv, &i, &lockout, &seen, &rc)) {
			if (rc)
				goto out;
			continue;
		}
		int k = 0;
		while (k < 3 && strcmp(argv[i], field[k].opt))
			k++;
		if (k == 3) {
			rc = btpm_cli_unexpected("daparams", argv[i]);
			goto out;
		}
		if (given[k] || i + 1 >= argc) {
			rc = btpm_cli_usage_error("daparams", given[k] ? "%s given twice"
								       : "%s needs a value",
						  argv[i]);
			goto out;
		}
		rc = parse_u32(argv[i], argv[i + 1], &value[k]);
		if (rc)
			goto out;
		given[k] = 1;
		i++;
	}
	if (!given[0] && !given[1] && !given[2]) {
		rc = btpm_cli_usage_error("daparams", "nothing to set: give --max-tries, --recovery "
						      "and/or --lockout-recovery");
		goto out;
	}
	rc = btpm_cli_open(c);
	if (rc)
		goto out;
	for (int k = 0; k < 3; k++)
		if (!given[k]) {
			rc = get_prop(c, "daparams", field[k].pt, field[k].pt_name, &value[k]);
			if (rc)
				goto out;
		}
	rc = run_lockout(c, "daparams", &lockout, value);
	if (rc)
		goto out;
	for (int k = 0; k < 3 && !rc; k++)
		rc = get_prop(c, "daparams", field[k].pt, field[k].pt_name, &value[k]);
	if (!rc)
		printf("dictionary-attack parameters: max tries %u, recovery %u s, "
		       "lockout recovery %u s\n",
		       (unsigned)value[0], (unsigned)value[1], (unsigned)value[2]);
out:
	btpm_entity_wipe(&lockout);
	return rc;
}
