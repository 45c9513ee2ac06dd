/* SPDX-License-Identifier: BSD-2-Clause */
/* Sealed data and auth values: TPM2_Unseal (Part 3, 12.7), TPM2_ObjectChangeAuth (12.8). */
#include <string.h>

#include "btpm_crypto.h"
#include "cmds_keys.h"

int btpm_unseal(struct btpm *t, struct btpm_session *s, struct btpm_entity *item, uint8_t *out,
		size_t cap, size_t *len)
{
	if (!t || !s || !item || (!out && cap) || !len)
		return BTPM_E_ARG;
	int rc = btpm_keys_secret_session(t, s, item, BTPM_SESSION_ENCRYPT, "TPM2_Unseal");
	if (rc)
		return rc;
	btpm_params(t);
	const struct btpm_entity *h[1] = {item};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	rc = btpm_exec(t, &btpm_cmd_unseal, h, ss, 1, &r);
	if (rc) {
		btpm_keys_wipe_io(t);
		return rc;
	}
	uint16_t n;
	const uint8_t *d = btpm_get_tpm2b(&r.params, &n, BTPM_MAX_SENSITIVE_DATA); /* outData */
	rc = btpm_buf_end(&r.params);
	if (rc)
		btpm_set_detail(t, "TPM2_Unseal: malformed response");
	else if (n > cap) {
		btpm_set_detail(t, "TPM2_Unseal: %u bytes of sealed data, room for %zu", n, cap);
		rc = BTPM_E_TOOBIG;
	} else {
		if (n)
			memcpy(out, d, n);
		*len = n;
	}
	btpm_keys_wipe_io(t);
	return rc;
}

int btpm_object_change_auth(struct btpm *t, struct btpm_session *s, struct btpm_entity *object,
			    const struct btpm_entity *parent, const uint8_t *new_auth,
			    size_t new_auth_size, struct btpm_blob *out_private)
{
	if (!t || !s || !object || !parent || (!new_auth && new_auth_size) ||
	    new_auth_size > BTPM_MAX_AUTH || !out_private)
		return BTPM_E_ARG;
	int rc;
	if (new_auth_size) {
		rc = btpm_keys_secret_session(t, s, object, BTPM_SESSION_DECRYPT,
					      "TPM2_ObjectChangeAuth");
		if (rc)
			return rc;
	}
	btpm_put_tpm2b(btpm_params(t), new_auth, new_auth_size); /* newAuth */
	const struct btpm_entity *h[2] = {object, parent};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	rc = btpm_exec(t, &btpm_cmd_object_change_auth, h, ss, 1, &r);
	btpm_wipe(t->param, sizeof(t->param));
	btpm_wipe(t->cmd, sizeof(t->cmd));
	if (rc)
		return rc;
	static const struct btpm_blob empty_blob;
	struct btpm_blob priv = empty_blob;
	btpm_keys_get_private(&r.params, &priv); /* outPrivate */
	rc = btpm_buf_end(&r.params);
	if (rc) {
		btpm_set_detail(t, "TPM2_ObjectChangeAuth: malformed response");
		return rc;
	}
	memcpy(out_private, &priv, sizeof(priv));
	return 0;
}
