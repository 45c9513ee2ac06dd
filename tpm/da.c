/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dictionary-attack protection: TPM2_DictionaryAttackLockReset (Part 3, 25.2)
 * and TPM2_DictionaryAttackParameters (Part 3, 25.3), both authorized by the
 * lockout hierarchy.
 */
#include "cmds_keys.h"

static int run(struct btpm *t, const struct btpm_cmd *c, struct btpm_session *s,
	       struct btpm_entity *lockout)
{
	const struct btpm_entity *h[1] = {lockout};
	struct btpm_session *ss[1] = {s};
	struct btpm_rsp r;
	int rc = btpm_exec(t, c, h, ss, 1, &r);
	if (rc)
		return rc;
	rc = btpm_buf_end(&r.params);
	if (rc)
		btpm_set_detail(t, "%s: malformed response", c->name);
	return rc;
}

int btpm_da_parameters(struct btpm *t, struct btpm_session *s, struct btpm_entity *lockout,
		       uint32_t new_max_tries, uint32_t new_recovery_time, uint32_t lockout_recovery)
{
	if (!t || !s || !lockout)
		return BTPM_E_ARG;
	struct btpm_buf *p = btpm_params(t);
	btpm_put_u32(p, new_max_tries);
	btpm_put_u32(p, new_recovery_time);
	btpm_put_u32(p, lockout_recovery);
	return run(t, &btpm_cmd_da_parameters, s, lockout);
}

int btpm_da_lock_reset(struct btpm *t, struct btpm_session *s, struct btpm_entity *lockout)
{
	if (!t || !s || !lockout)
		return BTPM_E_ARG;
	btpm_params(t);
	return run(t, &btpm_cmd_da_lock_reset, s, lockout);
}
