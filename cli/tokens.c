/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm init, addtoken, rmtoken, listtokens, changepin, initpin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "cli_token.h"

#define PIN_BUF (BTPM_TOK_PIN_MAX + 2)

enum { READ, WRITE, CREATE };

/*
 * Point the token context at the CLI's TPM choice. Only init (CREATE) makes
 * a store: a writer first looks, read-only, for an existing one, so that a
 * failing verb leaves no empty per-user store behind to hide /etc/baretpm.
 */
static int open_ctx(const char *verb, struct btpm_cli *c, struct btpm_tok_ctx *tc, int mode)
{
	int rc = btpm_tok_ctx_open(tc, c->tcti, NULL, mode == CREATE);
	if (!rc && mode == WRITE) {
		btpm_tok_ctx_close(tc);
		rc = btpm_tok_ctx_open(tc, c->tcti, NULL, 1);
	}
	if (rc == BTPM_E_NOTFOUND) {
		char dir[512];
		const char *src;
		btpm_store_default_dir(dir, sizeof(dir), &src);
		fprintf(stderr, "baretpm %s: no token store at %s (from %s): run 'baretpm init'\n",
			verb, dir, src);
		return BTPM_EXIT_FAIL;
	}
	if (rc)
		return btpm_cli_store_fail(verb, "opening the token store", rc, tc);
	return 0;
}

/*
 * The serials of the store's tokens; beyond BTPM_STORE_MAX_TOKENS the first
 * ones, with a warning. Returns 0 or an exit code (message printed).
 */
static int list_serials(const char *verb, struct btpm_tok_ctx *tc,
			char serials[][BTPM_STORE_SERIAL + 1], unsigned *n)
{
	int rc = btpm_store_list_tokens(&tc->store, serials, BTPM_STORE_MAX_TOKENS, n);
	if (rc == BTPM_E_TOOBIG) {
		fprintf(stderr, "baretpm %s: warning: %s\n", verb, tc->store.error);
		return 0;
	}
	return rc ? btpm_cli_store_fail(verb, "listing tokens", rc, tc) : 0;
}

/* A token file that cannot be read is named, and the other tokens stay usable. */
static void unreadable(const char *verb, const struct btpm_tok_ctx *tc)
{
	fprintf(stderr, "baretpm %s: warning: skipping a token file: %s\n", verb,
		tc->store.error[0] ? tc->store.error : "unreadable");
}

int btpm_cli_need_token(const char *verb, const char *label, const char *serial)
{
	return label || serial ? 0 : btpm_cli_usage_error(verb, "which token? give --label=LABEL");
}

int btpm_cli_find_token(const char *verb, struct btpm_cli *c, struct btpm_tok_ctx *tc,
			const char *label, const char *serial, struct btpm_store_token *tok,
			int want_write)
{
	btpm_tok_ctx_blank(tc);
	int rc = btpm_cli_need_token(verb, label, serial);
	if (rc)
		return rc;
	rc = open_ctx(verb, c, tc, want_write ? WRITE : READ);
	if (rc)
		return rc;
	if (!tc->have_global) {
		fprintf(stderr, "baretpm %s: the token store in %s is not initialized: run "
				"'baretpm init'\n",
			verb, tc->store.dir);
		return BTPM_EXIT_FAIL;
	}
	/* a writer holds the lock from reading the token to saving it (released
	 * when the store closes), so concurrent writers never lose each other's work */
	if (want_write && (rc = btpm_store_lock(&tc->store)) != 0)
		return btpm_cli_store_fail(verb, "locking the token store", rc, tc);
	char serials[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n = 0, found = 0, bad = 0;
	rc = list_serials(verb, tc, serials, &n);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		struct btpm_store_token t;
		if (btpm_store_load_token(&tc->store, serials[i], &t)) {
			unreadable(verb, tc);
			bad++;
			continue;
		}
		int match = serial ? !strcmp(t.serial, serial) : !strcmp(t.label, label);
		if (match && found++ == 0) {
			*tok = t;
			continue;
		}
		if (match)
			fprintf(stderr, "baretpm %s: more than one token is labelled '%s' (%s, %s); "
					"choose one with --serial\n",
				verb, label, tok->serial, t.serial);
		btpm_store_token_free(&t);
	}
	if (found == 1)
		return 0;
	if (found)
		btpm_store_token_free(tok);
	else
		fprintf(stderr, "baretpm %s: no token %s '%s'%s (see 'baretpm listtokens')\n", verb,
			serial ? "with serial" : "labelled", serial ? serial : label,
			bad ? " among the token files that could be read" : "");
	return BTPM_EXIT_FAIL;
}

int btpm_cli_init(struct btpm_cli *c, int argc, char **argv)
{
	const char *handle = NULL;
	int transient = 0;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] init [--srk-handle=HANDLE | --transient]\n\n"
		       "Create the token store and pin the TPM's storage root key (SRK) in it:\n"
		       "an ECC NIST P-256 key from the TCG provisioning-guidance template, made\n"
		       "persistent at 0x81000001 (an identical key already there is reused), or\n"
		       "re-created from the template when needed with --transient. Every\n"
		       "session baretpm opens is salted to this pinned key, so another TPM or an\n"
		       "interposer cannot learn session keys. Running init again is harmless; a\n"
		       "store that pins a different key is refused, never re-pinned.\n\n"
		       "The store is BARETPM_STORE, else ${XDG_DATA_HOME:-~/.local/share}/baretpm.\n");
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--srk-handle", &handle);
		if (r < 0)
			return btpm_cli_usage_error("init", "--srk-handle needs a value");
		if (r)
			continue;
		if (!strcmp(argv[i], "--transient"))
			transient = 1;
		else if (!strncmp(argv[i], "--pid", 5))
			continue; /* tpm2_ptool compatibility: ignored */
		else
			return btpm_cli_unexpected("init", argv[i]);
	}
	uint32_t h = BTPM_TOK_SRK_HANDLE;
	if (handle) {
		char *end;
		unsigned long v = strtoul(handle, &end, 0);
		if (*end || (v >> 24) != 0x81 || transient)
			return btpm_cli_usage_error("init", "'%s' is not a persistent handle "
							    "(0x81000000-0x81ffffff)",
						    handle);
		h = (uint32_t)v;
	}
	if (transient)
		h = 0;
	struct btpm_tok_ctx tc;
	int rc = open_ctx("init", c, &tc, CREATE);
	if (rc)
		return rc;
	rc = btpm_tok_init(&tc, h);
	if (rc) {
		rc = btpm_cli_tok_fail("init", "pinning the storage key", rc, &tc);
	} else {
		printf("token store %s: storage key (ECC NIST P-256) ", tc.store.dir);
		if (h)
			printf("persistent at 0x%08x", (unsigned)h);
		else
			printf("transient (re-created from the template)");
		printf(", Name ");
		for (unsigned i = 0; i < tc.srk.name.size; i++)
			printf("%02x", tc.srk.name.name[i]);
		printf(", pinned\n");
	}
	btpm_tok_ctx_close(&tc);
	return rc;
}

/* PIN options shared by the verbs: --NAME=PIN, --NAME-file=FILE. */
struct pin_opt {
	const char *name; /* "--userpin" */
	const char *value, *file;
};

static int take_pin(int argc, char **argv, int *i, struct pin_opt *p, const char *verb)
{
	char file_opt[32];
	snprintf(file_opt, sizeof(file_opt), "%s-file", p->name);
	int r = btpm_cli_opt(argc, argv, i, file_opt, &p->file);
	if (!r)
		r = btpm_cli_opt(argc, argv, i, p->name, &p->value);
	if (r < 0)
		btpm_cli_usage_error(verb, "%s needs a value", argv[*i]);
	return r;
}

/* A PIN from its options or the terminal; fresh = 1 for a PIN being set (asked twice). */
static int get_pin(const char *verb, const struct pin_opt *p, const char *prompt, int fresh,
		   char *out, size_t *len)
{
	int rc = fresh ? btpm_cli_new_secret(verb, p->value, p->file, prompt, out, PIN_BUF, len)
		       : btpm_cli_secret(verb, p->value, p->file, prompt, out, PIN_BUF, len);
	if (!rc && (*len < BTPM_TOK_PIN_MIN || *len > BTPM_TOK_PIN_MAX)) {
		btpm_wipe(out, PIN_BUF);
		return btpm_cli_usage_error(verb, "a PIN has %d to %d characters", BTPM_TOK_PIN_MIN,
					    BTPM_TOK_PIN_MAX);
	}
	return rc;
}

#define PIN_HELP                                                                              \
	"PINs come from --NAME=PIN, from --NAME-file=FILE (its first line; '-' for\n"         \
	"stdin), or are asked on the terminal without echo when both are absent.\n"

int btpm_cli_addtoken(struct btpm_cli *c, int argc, char **argv)
{
	const char *label = NULL;
	struct pin_opt so = {"--sopin", NULL, NULL}, user = {"--userpin", NULL, NULL};
	int no_user = 0;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] addtoken --label=LABEL [--sopin=PIN] "
		       "[--userpin=PIN | --no-userpin]\n\n"
		       "Create a PKCS#11 token: a random token secret sealed in the TPM twice,\n"
		       "under the SO PIN and under the user PIN. Wrong PINs are counted by the\n"
		       "TPM's dictionary-attack protection. --no-userpin leaves the user PIN\n"
		       "unset (set it later with 'baretpm initpin' or C_InitPIN).\n\n" PIN_HELP
		       "--pid=N is accepted and ignored (tpm2_ptool compatibility).\n");
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--label", &label);
		if (!r)
			r = take_pin(argc, argv, &i, &so, "addtoken");
		if (!r)
			r = take_pin(argc, argv, &i, &user, "addtoken");
		if (!r && !strcmp(argv[i], "--no-userpin")) {
			no_user = 1;
			r = 1;
		}
		if (!r && !strncmp(argv[i], "--pid", 5)) {
			const char *ignored;
			r = btpm_cli_opt(argc, argv, &i, "--pid", &ignored);
		}
		if (r < 0)
			return BTPM_EXIT_USAGE;
		if (!r)
			return btpm_cli_unexpected("addtoken", argv[i]);
	}
	if (!label || !*label || strlen(label) > BTPM_STORE_LABEL)
		return btpm_cli_usage_error("addtoken", "--label=LABEL (1 to %d bytes) is required",
					    BTPM_STORE_LABEL);
	for (const char *q = label; *q; q++) /* refused before any TPM work, not after */
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return btpm_cli_usage_error("addtoken", "--label has a control character");
	char sopin[PIN_BUF], upin[PIN_BUF];
	size_t so_len = 0, u_len = 0;
	if (no_user && (user.value || user.file))
		return btpm_cli_usage_error("addtoken", "--no-userpin and --userpin exclude each other");
	int rc = get_pin("addtoken", &so, "SO PIN", 1, sopin, &so_len);
	if (!rc && !no_user)
		rc = get_pin("addtoken", &user, "user PIN", 1, upin, &u_len);
	if (rc) {
		btpm_wipe(sopin, sizeof(sopin));
		return rc;
	}
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok;
	rc = open_ctx("addtoken", c, &tc, WRITE);
	if (!rc) {
		rc = btpm_tok_create_token(&tc, label, sopin, so_len, no_user ? NULL : upin, u_len,
					   &tok);
		if (rc) {
			rc = btpm_cli_tok_fail("addtoken", "creating the token", rc, &tc);
		} else {
			printf("token '%s' created (serial %s)\n", tok.label, tok.serial);
			btpm_store_token_free(&tok);
		}
		btpm_tok_ctx_close(&tc);
	}
	btpm_wipe(sopin, sizeof(sopin));
	btpm_wipe(upin, sizeof(upin));
	return rc;
}

int btpm_cli_rmtoken(struct btpm_cli *c, int argc, char **argv)
{
	const char *label = NULL, *serial = NULL;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm rmtoken --label=LABEL [--serial=SERIAL]\n\n"
		       "Delete a token and all its objects from the store. Its keys become\n"
		       "unusable: their private parts exist only as blobs in the token file.\n");
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--label", &label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--serial", &serial);
		if (r < 0)
			return btpm_cli_usage_error("rmtoken", "%s needs a value", argv[i]);
		if (!r)
			return btpm_cli_unexpected("rmtoken", argv[i]);
	}
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok;
	int rc = btpm_cli_find_token("rmtoken", c, &tc, label, serial, &tok, 1);
	if (rc)
		goto out;
	rc = btpm_store_delete_token(&tc.store, tok.serial);
	if (rc)
		rc = btpm_cli_store_fail("rmtoken", "deleting the token", rc, &tc);
	else
		printf("token '%s' (serial %s) deleted\n", tok.label, tok.serial);
	btpm_store_token_free(&tok);
out:
	btpm_tok_ctx_close(&tc);
	return rc;
}

int btpm_cli_listtokens(struct btpm_cli *c, int argc, char **argv)
{
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm listtokens\n\n"
		       "List the tokens in the store: serial, label, whether the user PIN is\n"
		       "set, and how many keys each holds. Reads only the store (no TPM).\n");
		return BTPM_EXIT_OK;
	}
	if (argc > 1)
		return btpm_cli_unexpected("listtokens", argv[1]);
	struct btpm_tok_ctx tc;
	int rc = open_ctx("listtokens", c, &tc, READ);
	if (rc)
		return rc;
	char serials[BTPM_STORE_MAX_TOKENS][BTPM_STORE_SERIAL + 1];
	unsigned n = 0;
	rc = list_serials("listtokens", &tc, serials, &n);
	if (!rc && !n)
		fprintf(stderr, "no tokens in %s (create one with 'baretpm addtoken')\n",
			tc.store.dir);
	/* every readable token is listed; an unreadable file is named, and fails the verb */
	int bad = 0;
	for (unsigned i = 0; !rc && i < n; i++) {
		struct btpm_store_token t;
		if (btpm_store_load_token(&tc.store, serials[i], &t)) {
			unreadable("listtokens", &tc);
			bad = 1;
			continue;
		}
		unsigned keys = 0;
		for (unsigned j = 0; j < t.nobjects; j++)
			keys += t.objects[j].cls == BTPM_CKO_PRIVATE_KEY;
		printf("- serial: %s\n  label: %s\n  user-pin: %s\n  keys: %u\n", t.serial,
		       t.label, t.user_pin_set ? "set" : "not set", keys);
		btpm_store_token_free(&t);
	}
	btpm_tok_ctx_close(&tc);
	return rc ? rc : bad ? BTPM_EXIT_FAIL : BTPM_EXIT_OK;
}


int btpm_cli_changepin(struct btpm_cli *c, int argc, char **argv)
{
	const char *label = NULL, *serial = NULL;
	struct pin_opt old = {"--old", NULL, NULL}, next = {"--new", NULL, NULL};
	int so = -1;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] changepin --label=LABEL (--user | --so) "
		       "[--old=PIN] [--new=PIN]\n\n"
		       "Change the user or SO PIN of a token: TPM2_ObjectChangeAuth on the one\n"
		       "sealed object, authorized by the old PIN (a wrong one is counted by the\n"
		       "TPM). Keys are untouched.\n\n" PIN_HELP);
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--label", &label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--serial", &serial);
		if (!r)
			r = take_pin(argc, argv, &i, &old, "changepin");
		if (!r)
			r = take_pin(argc, argv, &i, &next, "changepin");
		if (!r && (!strcmp(argv[i], "--user") || !strcmp(argv[i], "--so"))) {
			so = !strcmp(argv[i], "--so");
			r = 1;
		}
		if (r < 0)
			return BTPM_EXIT_USAGE;
		if (!r)
			return btpm_cli_unexpected("changepin", argv[i]);
	}
	if (so < 0)
		return btpm_cli_usage_error("changepin", "which PIN? --user or --so");
	int rc = btpm_cli_need_token("changepin", label, serial);
	if (rc)
		return rc;
	/* the PINs first: a prompt must not keep the store locked while it waits */
	char a[PIN_BUF], b[PIN_BUF];
	size_t al = 0, bl = 0;
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok = {0};
	rc = get_pin("changepin", &old, so ? "current SO PIN" : "current user PIN", 0, a, &al);
	if (!rc)
		rc = get_pin("changepin", &next, so ? "new SO PIN" : "new user PIN", 1, b, &bl);
	if (!rc)
		rc = btpm_cli_find_token("changepin", c, &tc, label, serial, &tok, 1);
	else
		btpm_tok_ctx_blank(&tc);
	if (!rc) {
		rc = btpm_tok_set_pin(&tc, &tok, so ? BTPM_TOK_SO : BTPM_TOK_USER, a, al, b, bl);
		if (!rc)
			rc = btpm_store_save_token(&tc.store, &tok); /* still locked */
		if (rc)
			rc = btpm_cli_tok_fail("changepin", "changing the PIN", rc, &tc);
		else
			printf("%s PIN of token '%s' changed\n", so ? "SO" : "user", tok.label);
	}
	btpm_wipe(a, sizeof(a));
	btpm_wipe(b, sizeof(b));
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&tc);
	return rc;
}

int btpm_cli_initpin(struct btpm_cli *c, int argc, char **argv)
{
	const char *label = NULL, *serial = NULL;
	struct pin_opt so = {"--sopin", NULL, NULL}, user = {"--userpin", NULL, NULL};
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] initpin --label=LABEL [--sopin=PIN] "
		       "[--userpin=PIN]\n\n"
		       "Set a new user PIN with the SO PIN (after the user PIN was forgotten or\n"
		       "never set): the SO PIN unseals the token secret, which is sealed again\n"
		       "under the new user PIN.\n\n" PIN_HELP);
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--label", &label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--serial", &serial);
		if (!r)
			r = take_pin(argc, argv, &i, &so, "initpin");
		if (!r)
			r = take_pin(argc, argv, &i, &user, "initpin");
		if (r < 0)
			return BTPM_EXIT_USAGE;
		if (!r)
			return btpm_cli_unexpected("initpin", argv[i]);
	}
	int rc = btpm_cli_need_token("initpin", label, serial);
	if (rc)
		return rc;
	/* the PINs first: a prompt must not keep the store locked while it waits */
	char a[PIN_BUF], b[PIN_BUF];
	size_t al = 0, bl = 0;
	struct btpm_tok_login l;
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok = {0};
	rc = get_pin("initpin", &so, "SO PIN", 0, a, &al);
	if (!rc)
		rc = get_pin("initpin", &user, "new user PIN", 1, b, &bl);
	if (!rc)
		rc = btpm_cli_find_token("initpin", c, &tc, label, serial, &tok, 1);
	else
		btpm_tok_ctx_blank(&tc);
	if (!rc) {
		rc = btpm_tok_login(&tc, &tok, BTPM_TOK_SO, a, al, &l);
		if (!rc) {
			rc = btpm_tok_init_pin(&tc, &tok, &l, b, bl);
			btpm_tok_logout(&tc, &l);
		}
		if (!rc)
			rc = btpm_store_save_token(&tc.store, &tok); /* still locked */
		if (rc)
			rc = btpm_cli_tok_fail("initpin", "setting the user PIN", rc, &tc);
		else
			printf("user PIN of token '%s' set\n", tok.label);
	}
	btpm_wipe(a, sizeof(a));
	btpm_wipe(b, sizeof(b));
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&tc);
	return rc;
}
