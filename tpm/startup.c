/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM2_Startup, TPM2_Shutdown (Part 3, 9.3, 9.4) and TPM2_SelfTest (10.2). */
#include "internal.h"

static int run_u16(struct btpm *t, const struct btpm_cmd *c, uint16_t v)
{
	struct btpm_rsp r;
	btpm_put_u16(btpm_params(t), v);
	int rc = btpm_exec(t, c, NULL, NULL, 0, &r);
	return rc ? rc : btpm_buf_end(&r.params);
}

int btpm_startup(struct btpm *t, uint16_t startup_type)
{
	if (!t || startup_type > BTPM_SU_STATE)
		return BTPM_E_ARG;
	return run_u16(t, &btpm_cmd_startup, startup_type);
}

int btpm_shutdown(struct btpm *t, uint16_t shutdown_type)
{
	if (!t || shutdown_type > BTPM_SU_STATE)
		return BTPM_E_ARG;
	return run_u16(t, &btpm_cmd_shutdown, shutdown_type);
}

int btpm_self_test(struct btpm *t, int full_test)
{
	if (!t)
		return BTPM_E_ARG;
	struct btpm_rsp r;
	btpm_put_u8(btpm_params(t), full_test ? 1 : 0); /* TPMI_YES_NO fullTest */
	int rc = btpm_exec(t, &btpm_cmd_self_test, NULL, NULL, 0, &r);
	return rc ? rc : btpm_buf_end(&r.params);
}
