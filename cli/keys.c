/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm addkey, rmkey, listobjects, sshkey. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btpm_crypto.h"
#include "cli_token.h"
#include "uri.h"

#define PIN_BUF (BTPM_TOK_PIN_MAX + 2)

static const char *class_name(uint32_t cls)
{
	switch (cls) {
	case BTPM_CKO_PRIVATE_KEY:
		return "private";
	case BTPM_CKO_PUBLIC_KEY:
		return "public";
	case BTPM_CKO_CERTIFICATE:
		return "cert";
	case BTPM_CKO_DATA:
		return "data";
	}
	return "unknown";
}

/* RFC 7512 percent-encoding: everything but unreserved characters. */
static void put_pct(const uint8_t *p, size_t n, int all)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
			    ch == '~';
		if (plain && !all)
			putchar(ch);
		else
			printf("%%%02X", ch);
	}
}

static const struct btpm_store_attr *attr(const struct btpm_store_object *o, uint32_t type)
{
	return btpm_store_attr_get(o, type);
}

static void print_uri(const struct btpm_store_token *tok, const struct btpm_store_object *o)
{
	const struct btpm_store_attr *label = attr(o, BTPM_CKA_LABEL), *id = attr(o, BTPM_CKA_ID);
	printf("pkcs11:model=TPM%%202.0;manufacturer=baretpm;serial=%s;token=", tok->serial);
	put_pct((const uint8_t *)tok->label, strlen(tok->label), 0);
	if (label && label->len) {
		printf(";object=");
		put_pct(label->value, label->len, 0);
	}
	if (id && id->len) {
		printf(";id=");
		put_pct(id->value, id->len, 1);
	}
	printf(";type=%s", class_name(o->cls));
}

static const char *curve_of(const struct btpm_store_object *o)
{
	const struct btpm_store_attr *p = attr(o, BTPM_CKA_EC_PARAMS);
	if (!p)
		return NULL;
	if (p->len == 10 && p->value[9] == 0x07)
		return "nistp256";
	if (p->len == 7 && p->value[6] == 0x22)
		return "nistp384";
	return NULL;
}

static int hexval(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);
	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

int btpm_cli_addkey(struct btpm_cli *c, int argc, char **argv)
{
	const char *label = NULL, *serial = NULL, *alg = "ecc256", *key_label = NULL, *id_hex = NULL;
	const char *pin = NULL, *pin_file = NULL;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] addkey --label=LABEL [--userpin=PIN] "
		       "[--algorithm=ecc256|ecc384]\n"
		       "                              [--key-label=NAME] [--id=HEX]\n\n"
		       "Create an ECC signing key inside the TPM (NIST P-256 by default) in the\n"
		       "token LABEL: 4 TPM commands to log in, 1 to create. The private key never\n"
		       "leaves the TPM unwrapped; its random auth value is kept encrypted under the\n"
		       "token secret. --key-label defaults to the token label, --id to the first 8\n"
		       "bytes of SHA-256 of the public point.\n\n"
		       "The user PIN comes from --userpin=PIN, --userpin-file=FILE or a prompt.\n");
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *ignored;
		int r = btpm_cli_opt(argc, argv, &i, "--label", &label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--serial", &serial);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--algorithm", &alg);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--key-label", &key_label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--id", &id_hex);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--userpin-file", &pin_file);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--userpin", &pin);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--pid", &ignored);
		if (r < 0)
			return btpm_cli_usage_error("addkey", "%s needs a value", argv[i]);
		if (!r)
			return btpm_cli_unexpected("addkey", argv[i]);
	}
	uint16_t curve;
	if (!strcmp(alg, "ecc256") || !strcmp(alg, "ecc"))
		curve = BTPM_ECC_NIST_P256;
	else if (!strcmp(alg, "ecc384"))
		curve = BTPM_ECC_NIST_P384;
	else
		return btpm_cli_usage_error("addkey", "--algorithm is ecc256 or ecc384, not '%s'",
					    alg);
	uint8_t id[64];
	size_t id_len = 0;
	if (id_hex && (hexval(id_hex, id, sizeof(id), &id_len) || !id_len))
		return btpm_cli_usage_error("addkey", "--id takes hex bytes, e.g. --id=01");
	int rc = btpm_cli_need_token("addkey", label, serial);
	if (rc)
		return rc;
	if (key_label && strlen(key_label) > BTPM_STORE_LABEL)
		return btpm_cli_usage_error("addkey", "--key-label has at most %d bytes",
					    BTPM_STORE_LABEL);
	/* the PIN first: a prompt must not keep the store locked while it waits */
	char p[PIN_BUF];
	size_t pl = 0;
	rc = btpm_cli_secret("addkey", pin, pin_file, "user PIN", p, sizeof(p), &pl);
	if (rc) {
		btpm_wipe(p, sizeof(p));
		return rc;
	}
	if (pl < BTPM_TOK_PIN_MIN || pl > BTPM_TOK_PIN_MAX) {
		btpm_wipe(p, sizeof(p));
		return btpm_cli_usage_error("addkey", "a PIN has %d to %d characters",
					    BTPM_TOK_PIN_MIN, BTPM_TOK_PIN_MAX);
	}
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok = {0};
	rc = btpm_cli_find_token("addkey", c, &tc, label, serial, &tok, 1);
	if (rc)
		goto out;
	if (!tok.user_pin_set) {
		fprintf(stderr, "baretpm addkey: token '%s' has no user PIN yet: set one with "
				"'baretpm initpin --label=%s'\n",
			tok.label, tok.label);
		rc = BTPM_EXIT_FAIL;
		goto out;
	}
	if (!key_label)
		key_label = tok.label;
	struct btpm_tok_login l;
	uint32_t priv, pub;
	rc = btpm_tok_login(&tc, &tok, BTPM_TOK_USER, p, pl, &l);
	if (rc) {
		rc = btpm_cli_tok_fail("addkey", "logging in", rc, &tc);
		goto out;
	}
	rc = btpm_tok_keygen(&tc, &tok, &l, curve, key_label, strlen(key_label), id, id_len, &priv,
			     &pub);
	btpm_tok_logout(&tc, &l);
	if (!rc && !id_len) {
		/* default BTPM_CKA_ID: the first 8 bytes of SHA-256 of the EC point */
		struct btpm_store_object *o = btpm_store_object_find(&tok, pub);
		const struct btpm_store_attr *pt = attr(o, BTPM_CKA_EC_POINT);
		uint8_t d[32];
		rc = btpm_hash(BTPM_ALG_SHA256, pt->value, pt->len, d);
		if (!rc)
			rc = btpm_store_attr_set(o, BTPM_CKA_ID, d, 8);
		if (!rc)
			rc = btpm_store_attr_set(btpm_store_object_find(&tok, priv), BTPM_CKA_ID, d, 8);
	}
	if (!rc)
		rc = btpm_store_save_token(&tc.store, &tok);
	if (rc) {
		rc = btpm_cli_tok_fail("addkey", "creating the key", rc, &tc);
		goto out;
	}
	printf("key '%s' (%s) created in token '%s'\n", key_label,
	       curve == BTPM_ECC_NIST_P256 ? "ECC NIST P-256" : "ECC NIST P-384", tok.label);
	print_uri(&tok, btpm_store_object_find(&tok, priv));
	printf("\n");
out:
	btpm_wipe(p, sizeof(p));
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&tc);
	return rc;
}

/* Select objects by --key-label and/or --id (all when neither is given). */
static int selected(const struct btpm_store_object *o, const char *key_label, const uint8_t *id,
		    size_t id_len)
{
	const struct btpm_store_attr *l = attr(o, BTPM_CKA_LABEL), *i = attr(o, BTPM_CKA_ID);
	if (key_label && (!l || l->len != strlen(key_label) || memcmp(l->value, key_label, l->len)))
		return 0;
	if (id && (!i || i->len != id_len || memcmp(i->value, id, id_len)))
		return 0;
	return 1;
}

/* The shared options of listobjects, rmkey and sshkey. */
struct pick {
	const char *label, *serial, *key_label, *id_hex;
	uint8_t id[64];
	size_t id_len;
	struct btpm_uri uri; /* --key pkcs11:... fills the fields above */
};

/* --key pkcs11:token=...;object=...;id=... (RFC 7512) names the token and the key. */
static int take_uri(const char *verb, const char *text, struct pick *p)
{
	char why[128];
	if (btpm_uri_parse(text, &p->uri, why, sizeof(why)))
		return btpm_cli_usage_error(verb, "--key: %s", why);
	if (p->uri.has & BTPM_URI_HAS_TOKEN)
		p->label = p->uri.token;
	if (p->uri.has & BTPM_URI_HAS_SERIAL)
		p->serial = p->uri.serial;
	if (p->uri.has & BTPM_URI_HAS_OBJECT)
		p->key_label = p->uri.object;
	if (p->uri.has & BTPM_URI_HAS_ID) {
		memcpy(p->id, p->uri.id, p->uri.id_len);
		p->id_len = p->uri.id_len;
		p->id_hex = "";
	}
	return 0;
}

/* A private or public key object that --key-label/--id (or --key) select. */
static int key_picked(const struct btpm_store_object *o, const struct pick *p)
{
	return (o->cls == BTPM_CKO_PRIVATE_KEY || o->cls == BTPM_CKO_PUBLIC_KEY) &&
	       selected(o, p->key_label, p->id_hex ? p->id : NULL, p->id_len);
}

static int parse_pick(const char *verb, int argc, char **argv, struct pick *p)
{
	const char *uri = NULL;
	for (int i = 1; i < argc; i++) {
		int r = btpm_cli_opt(argc, argv, &i, "--key", &uri);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--label", &p->label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--serial", &p->serial);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--key-label", &p->key_label);
		if (!r)
			r = btpm_cli_opt(argc, argv, &i, "--id", &p->id_hex);
		if (r < 0)
			return btpm_cli_usage_error(verb, "%s needs a value", argv[i]);
		if (!r)
			return btpm_cli_unexpected(verb, argv[i]);
	}
	if (p->id_hex && (hexval(p->id_hex, p->id, sizeof(p->id), &p->id_len) || !p->id_len))
		return btpm_cli_usage_error(verb, "--id takes hex bytes, e.g. --id=01");
	return uri ? take_uri(verb, uri, p) : 0;
}

int btpm_cli_listobjects(struct btpm_cli *c, int argc, char **argv)
{
	struct pick p = {0};
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm listobjects (--label=LABEL [--key-label=NAME] [--id=HEX] | "
		       "--key=URI)\n\n"
		       "List the objects of a token with their RFC 7512 PKCS#11 URIs (usable as\n"
		       "'pkcs11:...' key names in OpenSSL, p11tool and ssh). Reads only the store.\n"
		       "--key=pkcs11:token=...;object=...;id=... selects by such a URI.\n");
		return BTPM_EXIT_OK;
	}
	int rc = parse_pick("listobjects", argc, argv, &p);
	if (rc)
		return rc;
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok;
	rc = btpm_cli_find_token("listobjects", c, &tc, p.label, p.serial, &tok, 0);
	if (!rc) {
		for (unsigned i = 0; i < tok.nobjects; i++) {
			const struct btpm_store_object *o = &tok.objects[i];
			if (!selected(o, p.key_label, p.id_hex ? p.id : NULL, p.id_len) ||
			    (p.uri.has & BTPM_URI_HAS_TYPE && strcmp(p.uri.type, class_name(o->cls))))
				continue;
			const struct btpm_store_attr *l = attr(o, BTPM_CKA_LABEL), *id = attr(o, BTPM_CKA_ID);
			printf("- class: %s\n  label: %.*s\n  id: ", class_name(o->cls),
			       l ? (int)l->len : 0, l ? (const char *)l->value : "");
			for (uint32_t j = 0; id && j < id->len; j++)
				printf("%02x", id->value[j]);
			if (curve_of(o))
				printf("\n  curve: %s", curve_of(o));
			printf("\n  uri: ");
			print_uri(&tok, o);
			printf("\n");
		}
		btpm_store_token_free(&tok);
	}
	btpm_tok_ctx_close(&tc);
	return rc;
}

int btpm_cli_rmkey(struct btpm_cli *c, int argc, char **argv)
{
	struct pick p = {0};
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm rmkey (--label=LABEL (--key-label=NAME | --id=HEX) | --key=URI)\n\n"
		       "Remove a key (both its private and public objects) from a token. The key\n"
		       "cannot be used again: the store held its only wrapped copy. --key takes an\n"
		       "RFC 7512 URI as 'baretpm listobjects' prints it.\n");
		return BTPM_EXIT_OK;
	}
	int rc = parse_pick("rmkey", argc, argv, &p);
	if (rc)
		return rc;
	if (!p.key_label && !p.id_hex)
		return btpm_cli_usage_error("rmkey", "which key? give --key-label or --id");
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok;
	rc = btpm_cli_find_token("rmkey", c, &tc, p.label, p.serial, &tok, 1);
	if (rc) {
		btpm_tok_ctx_close(&tc);
		return rc;
	}
	/* one key: its private and public objects share a CKA_ID; more keys are refused */
	const struct btpm_store_attr *first = NULL;
	unsigned matched = 0;
	int several = 0;
	for (unsigned i = 0; i < tok.nobjects; i++) {
		const struct btpm_store_object *o = &tok.objects[i];
		if (!key_picked(o, &p))
			continue;
		const struct btpm_store_attr *id = attr(o, BTPM_CKA_ID);
		if (!matched++)
			first = id;
		else if (!first != !id || (id && (id->len != first->len ||
						   memcmp(id->value, first->value, id->len))))
			several = 1;
	}
	if (several || !matched) {
		fprintf(stderr, "baretpm rmkey: %s key in token '%s'%s (see 'baretpm listobjects "
				"--label=%s')\n",
			several ? "more than one" : "no such", tok.label,
			several ? " matches; choose one with --id" : "", tok.label);
		rc = BTPM_EXIT_FAIL;
	} else {
		for (unsigned i = tok.nobjects; i-- > 0;)
			if (key_picked(&tok.objects[i], &p))
				btpm_store_object_remove(&tok, tok.objects[i].handle);
		rc = btpm_store_save_token(&tc.store, &tok);
		if (rc)
			rc = btpm_cli_store_fail("rmkey", "saving the token", rc, &tc);
		else
			printf("removed %u object(s) from token '%s'\n", matched, tok.label);
	}
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&tc);
	return rc;
}

/* An SSH string: 32-bit length, then the bytes (RFC 4251, 5). */
static size_t ssh_string(uint8_t *out, const void *p, size_t n)
{
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	memcpy(out + 4, p, n);
	return 4 + n;
}

int btpm_cli_sshkey(struct btpm_cli *c, int argc, char **argv)
{
	struct pick p = {0};
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm sshkey (--label=LABEL [--key-label=NAME] [--id=HEX] | "
		       "--key=URI)\n\n"
		       "Print the OpenSSH public key line of each key in the token (for\n"
		       "~/.ssh/authorized_keys), as 'ssh-keygen -D MODULE' would, without loading\n"
		       "the PKCS#11 module. Reads only the store.\n");
		return BTPM_EXIT_OK;
	}
	int rc = parse_pick("sshkey", argc, argv, &p);
	if (rc)
		return rc;
	struct btpm_tok_ctx tc;
	struct btpm_store_token tok;
	rc = btpm_cli_find_token("sshkey", c, &tc, p.label, p.serial, &tok, 0);
	if (rc) {
		btpm_tok_ctx_close(&tc);
		return rc;
	}
	int printed = 0;
	for (unsigned i = 0; i < tok.nobjects; i++) {
		const struct btpm_store_object *o = &tok.objects[i];
		const struct btpm_store_attr *pt = attr(o, BTPM_CKA_EC_POINT), *l = attr(o, BTPM_CKA_LABEL);
		const char *curve = curve_of(o);
		if (o->cls != BTPM_CKO_PUBLIC_KEY || !curve || !pt ||
		    !selected(o, p.key_label, p.id_hex ? p.id : NULL, p.id_len))
			continue;
		/* DER OCTET STRING (short length) around an uncompressed point 04 || X || Y */
		size_t coord = !strcmp(curve, "nistp256") ? 32 : 48;
		if (pt->len != 3 + 2 * coord || pt->value[0] != 0x04 ||
		    pt->value[1] != 1 + 2 * coord || pt->value[2] != 0x04) {
			fprintf(stderr, "baretpm sshkey: token '%s': object %u has a malformed "
					"CKA_EC_POINT; skipped\n",
				tok.label, (unsigned)o->handle);
			continue;
		}
		/* RFC 5656, 3.1: string "ecdsa-sha2-nistpNNN", string "nistpNNN", string Q */
		char type[32];
		uint8_t blob[256];
		char b64[400];
		size_t n = 0, bn;
		snprintf(type, sizeof(type), "ecdsa-sha2-%s", curve);
		n += ssh_string(blob + n, type, strlen(type));
		n += ssh_string(blob + n, curve, strlen(curve));
		n += ssh_string(blob + n, pt->value + 2, pt->len - 2); /* inside the OCTET STRING */
		if (btpm_base64_encode(blob, n, b64, sizeof(b64), &bn))
			continue;
		printf("%s %s %.*s\n", type, b64, l ? (int)l->len : 0, l ? (const char *)l->value : "");
		printed++;
	}
	if (!printed) {
		fprintf(stderr, "baretpm sshkey: no matching key in token '%s'\n", tok.label);
		rc = BTPM_EXIT_FAIL;
	}
	btpm_store_token_free(&tok);
	btpm_tok_ctx_close(&tc);
	return rc;
}
