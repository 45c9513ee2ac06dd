/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Objects: TPM2_CreatePrimary (Part 3, 24.1), TPM2_Create (12.1), TPM2_Load
 * (12.2) and TPM2_EvictControl (28.5), plus the marshalling the key, seal
 * and sign commands share.
 */
#include <string.h>

#include "btpm_crypto.h"
#include "cmds_keys.h"
#include "session.h"

#define MAX_DIGEST 64    /* TPMU_HA */
#define MAX_PCR_BANKS 16 /* HASH_COUNT, generously */
#define MAX_PCR_SELECT 32
#define ST_CREATION 0x8021u /* TPM_ST_CREATION (Part 2, 6.9) */

void btpm_keys_put_public(struct btpm_buf *b, const struct btpm_public *pub)
{
	btpm_put_tpm2b(b, pub->area, pub->size);
}

void btpm_keys_get_public(struct btpm_buf *b, struct btpm_public *out)
{
	uint16_t n;
	const uint8_t *p = btpm_get_tpm2b(b, &n, sizeof(out->area));
	if (p && !n)
		btpm_buf_fail(b, BTPM_E_MALFORMED);
	if (p && n) {
		memcpy(out->area, p, n);
		out->size = n;
	}
}

void btpm_keys_get_private(struct btpm_buf *b, struct btpm_blob *out)
{
	uint16_t n;
	const uint8_t *p = btpm_get_tpm2b(b, &n, sizeof(out->data));
	if (p && !n)
		btpm_buf_fail(b, BTPM_E_MALFORMED);
	if (p && n) {
		memcpy(out->data, p, n);
		out->size = n;
	}
}

int btpm_keys_public_ok(const struct btpm_public *pub)
{
	return pub && pub->size && pub->size <= sizeof(pub->area);
}

int btpm_keys_secret_session(struct btpm *t, const struct btpm_session *s,
			     const struct btpm_entity *e, uint8_t attr, const char *cmd)
{
	const char *why = NULL;
	if (s->handle == BTPM_RS_PW || !s->handle)
		why = "a password session would send it in the clear";
	else if (!(s->attrs & attr))
		why = attr == BTPM_SESSION_DECRYPT ? "the session lacks BTPM_SESSION_DECRYPT"
						   : "the session lacks BTPM_SESSION_ENCRYPT";
	else if (!s->salted && !btpm_session_auth_len(e)) /* all zeros is empty too (19.6.4.3) */
		why = "the session is unsalted and the auth value empty: its key is public";
	if (!why)
		return 0;
	btpm_set_detail(t, "%s carries a secret: %s", cmd, why);
	return BTPM_E_ARG;
}

void btpm_keys_wipe_io(struct btpm *t)
{
	btpm_wipe(t->param, sizeof(t->param));
	btpm_wipe(t->cmd, sizeof(t->cmd));
	btpm_wipe(t->rsp, sizeof(t->rsp));
}

/* TPM2B_SENSITIVE_CREATE (Part 2, 11.1.16): TPMS_SENSITIVE_CREATE { userAuth, data }. */
static void put_sensitive_create(struct btpm_buf *b, const uint8_t *user_auth, size_t auth_size,
				 const uint8_t *data, size_t data_size)
{
	size_t mark = btpm_put_size16_begin(b);
	btpm_put_tpm2b(b, user_auth, auth_size);
	btpm_put_tpm2b(b, data, data_size);
	btpm_put_size16_end(b, mark);
}

/* outsideInfo (TPM2B_DATA) and creationPCR (TPML_PCR_SELECTION), both empty. */
static void put_no_creation_info(struct btpm_buf *b)
{
	btpm_put_tpm2b(b, NULL, 0);
	btpm_put_u32(b, 0);
}

/* TPML_PCR_SELECTION (Part 2, 10.9.7), checked and skipped. */
static void skip_pcr_selection(struct btpm_buf *b)
{
	uint32_t count = btpm_get_u32(b);
	if (count > MAX_PCR_BANKS) {
		btpm_buf_fail(b, BTPM_E_MALFORMED);
		return;
	}
	for (uint32_t i = 0; i < count && !b->err; i++) {
		btpm_get_u16(b); /* hash */
		uint8_t size = btpm_get_u8(b);
		if (size > MAX_PCR_SELECT)
			btpm_buf_fail(b, BTPM_E_MALFORMED);
		else
			btpm_get_view(b, size);
	}
}

/*
 * creationData (TPM2B_CREATION_DATA holding TPMS_CREATION_DATA, Part 2, 15.1),
 * creationHash (TPM2B_DIGEST) and creationTicket (TPMT_TK_CREATION, 10.7.3):
 * parsed strictly, not kept.
 */
static void skip_creation_outputs(struct btpm_buf *b)
{
	uint16_t n;
	struct btpm_buf cd;
	btpm_get_sub(b, &cd, 0);
	skip_pcr_selection(&cd);                  /* pcrSelect */
	btpm_get_tpm2b(&cd, &n, MAX_DIGEST);      /* pcrDigest */
	btpm_get_u8(&cd);                         /* locality */
	btpm_get_u16(&cd);                        /* parentNameAlg */
	btpm_get_tpm2b(&cd, &n, BTPM_MAX_NAME);   /* parentName */
	btpm_get_tpm2b(&cd, &n, BTPM_MAX_NAME);   /* parentQualifiedName */
	btpm_get_tpm2b(&cd, &n, MAX_DIGEST);      /* outsideInfo */
	int rc = btpm_buf_end(&cd);
	if (rc)
		btpm_buf_fail(b, rc);
	btpm_get_tpm2b(b, &n, MAX_DIGEST); /* creationHash */
	if (btpm_get_u16(b) != ST_CREATION)
		btpm_buf_fail(b, BTPM_E_MALFORMED);
	btpm_get_u32(b);                   /* hierarchy */
	btpm_get_tpm2b(b, &n, MAX_DIGEST); /* digest */
}

/*
 * The public area the TPM returned has the template's type, nameAlg and
 * attributes (the unique field and, for ECC, the point are the TPM's own).
 */
static int same_shape(const struct btpm_public *tmpl, const struct btpm_public *got)
{
	struct btpm_public_info a, b;
	if (btpm_public_parse(tmpl, &a) || btpm_public_parse(got, &b))
		return 0;
	return a.type == b.type && a.name_alg == b.name_alg && a.attributes == b.attributes &&
	       a.curve == b.curve && a.scheme == b.scheme && a.sym_alg == b.sym_alg;
}

/* The Name the TPM reported is the Name of the public area it reported. */
static int name_matches(const struct btpm_public *pub, const struct btpm_name *name)
{
	struct btpm_name want;
	if (btpm_public_name(pub, &want))
		return 0;
	return want.size == name->size && !memcmp(want.name, name->name, want.size);
}

static int is_transient(uint32_t h)
{
	return (h & 0xFF000000u) == BTPM_HR_TRANSIENT;
}

/*
 * After a command that loaded an object whose answer we reject: flush it so
 * it does not occupy one of the TPM's few slots, then explain.
 */
static int reject_loaded(struct btpm *t, uint32_t handle, const char *cmd, const char *why)
{
	if (is_transient(handle))
		btpm_flush_context(t, handle);
	btpm_set_detail(t, "%s: %s", cmd, why);
	return BTPM_E_MALFORMED;
}

int btpm_create_primary(struct btpm *t, struct btpm_session *s, struct btpm_entity *hierarchy,
			const struct btpm_public *tmpl, struct btpm_entity *out,
			struct btpm_public *out_public)
{
	if (!t || !s || !hierarchy || !btpm_keys_public_ok(tmpl) || !out || !out_public)
		return BTPM_E_ARG;
	struct btpm_buf *p = btpm_params(t);
	put_sensitive_create(p, NULL, 0, NULL, 0);
	btpm_keys_put_public(p, tmpl);
	put_no_creation_info(p);
	const struct btpm_entity *h[1] = {hierarchy};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_create_primary, h, ss, 1, &r);
	if (rc)
		return rc;
	struct btpm_public pub = {0};
	struct btpm_name name = {0};
	btpm_keys_get_public(&r.params, &pub);
	skip_creation_outputs(&r.params);
	btpm_get_tpm2b_copy(&r.params, name.name, sizeof(name.name), &name.size);
	const char *cmd = "TPM2_CreatePrimary";
	if (btpm_buf_end(&r.params))
		return reject_loaded(t, r.handle, cmd, "malformed response");
	if (!is_transient(r.handle))
		return reject_loaded(t, r.handle, cmd, "objectHandle is not a transient handle");
	if (!same_shape(tmpl, &pub))
		return reject_loaded(t, r.handle, cmd, "outPublic does not match the template");
	if (!name_matches(&pub, &name))
		return reject_loaded(t, r.handle, cmd, "the Name does not match outPublic");
	memset(out, 0, sizeof(*out));
	out->handle = r.handle;
	out->name = name;
	memcpy(out_public, &pub, sizeof(pub));
	return 0;
}

int btpm_evict_control(struct btpm *t, struct btpm_session *s, struct btpm_entity *auth,
		       const struct btpm_entity *object, uint32_t persistent_handle)
{
	if (!t || !s || !auth || !object ||
	    (persistent_handle & 0xFF000000u) != BTPM_HR_PERSISTENT)
		return BTPM_E_ARG;
	/* evicting names the persistent object itself (Part 3, 28.5.1) */
	if (!is_transient(object->handle) && object->handle != persistent_handle)
		return BTPM_E_ARG;
	btpm_put_u32(btpm_params(t), persistent_handle);
	const struct btpm_entity *h[2] = {auth, object};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_evict_control, h, ss, 1, &r);
	if (rc)
		return rc;
	rc = btpm_buf_end(&r.params);
	if (rc)
		btpm_set_detail(t, "TPM2_EvictControl: malformed response");
	return rc;
}

int btpm_create(struct btpm *t, struct btpm_session *s, struct btpm_entity *parent,
		const uint8_t *user_auth, size_t user_auth_size, const uint8_t *data,
		size_t data_size, const struct btpm_public *tmpl, struct btpm_blob *out_private,
		struct btpm_public *out_public)
{
	if (!t || !s || !parent || !btpm_keys_public_ok(tmpl) || !out_private || !out_public ||
	    user_auth_size > BTPM_MAX_AUTH || data_size > BTPM_MAX_SENSITIVE_DATA ||
	    (!user_auth && user_auth_size) || (!data && data_size))
		return BTPM_E_ARG;
	int rc;
	if (user_auth_size || data_size) {
		rc = btpm_keys_secret_session(t, s, parent, BTPM_SESSION_DECRYPT, "TPM2_Create");
		if (rc)
			return rc;
	}
	struct btpm_buf *p = btpm_params(t);
	put_sensitive_create(p, user_auth, user_auth_size, data, data_size);
	btpm_keys_put_public(p, tmpl);
	put_no_creation_info(p);
	const struct btpm_entity *h[1] = {parent};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	rc = btpm_exec(t, &btpm_cmd_create, h, ss, 1, &r);
	btpm_wipe(t->param, sizeof(t->param)); /* userAuth and data in the clear */
	btpm_wipe(t->cmd, sizeof(t->cmd));
	if (rc)
		return rc;
	static const struct btpm_blob empty_blob;
	struct btpm_blob priv = empty_blob;
	struct btpm_public pub = {0};
	btpm_keys_get_private(&r.params, &priv);
	btpm_keys_get_public(&r.params, &pub);
	skip_creation_outputs(&r.params);
	rc = btpm_buf_end(&r.params);
	if (rc) {
		btpm_set_detail(t, "TPM2_Create: malformed response");
		return rc;
	}
	if (!same_shape(tmpl, &pub)) {
		btpm_set_detail(t, "TPM2_Create: outPublic does not match the template");
		return BTPM_E_MALFORMED;
	}
	memcpy(out_private, &priv, sizeof(priv));
	memcpy(out_public, &pub, sizeof(pub));
	return 0;
}

int btpm_load(struct btpm *t, struct btpm_session *s, struct btpm_entity *parent,
	      const struct btpm_blob *priv, const struct btpm_public *pub, struct btpm_entity *out)
{
	if (!t || !s || !parent || !priv || !priv->size || priv->size > sizeof(priv->data) ||
	    !btpm_keys_public_ok(pub) || !out)
		return BTPM_E_ARG;
	struct btpm_name want;
	int rc = btpm_public_name(pub, &want);
	if (rc)
		return rc;
	struct btpm_buf *p = btpm_params(t);
	btpm_put_tpm2b(p, priv->data, priv->size); /* inPrivate */
	btpm_keys_put_public(p, pub);             /* inPublic */
	const struct btpm_entity *h[1] = {parent};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	rc = btpm_exec(t, &btpm_cmd_load, h, ss, 1, &r);
	if (rc)
		return rc;
	struct btpm_name name = {0};
	btpm_get_tpm2b_copy(&r.params, name.name, sizeof(name.name), &name.size);
	const char *cmd = "TPM2_Load";
	if (btpm_buf_end(&r.params))
		return reject_loaded(t, r.handle, cmd, "malformed response");
	if (!is_transient(r.handle))
		return reject_loaded(t, r.handle, cmd, "objectHandle is not a transient handle");
	if (name.size != want.size || memcmp(name.name, want.name, want.size))
		return reject_loaded(t, r.handle, cmd, "the Name does not match inPublic");
	memset(out, 0, sizeof(*out));
	out->handle = r.handle;
	out->name = name;
	return 0;
}
