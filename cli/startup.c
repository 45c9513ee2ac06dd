/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm startup: simulator power-on and TPM2_Startup (Part 3, 9.3). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int btpm_cli_startup(struct btpm_cli *c, int argc, char **argv)
{
	int state = 0, power = 0;
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] startup [--power-on] [--state]\n\n"
		       "Send TPM2_Startup(CLEAR), or (STATE) with --state, to a TPM that has\n"
		       "not been started, as a simulator is after power-on. A TPM that is\n"
		       "already started is reported and left alone (exit 0). With --power-on,\n"
		       "first power the simulator on through its control channel (swtpm:\n"
		       "CMD_INIT on port+1; mssim: power-on and NV-on on the platform port).\n"
		       "Operating systems start real TPMs themselves.\n");
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state"))
			state = 1;
		else if (!strcmp(argv[i], "--power-on"))
			power = 1;
		else
			return btpm_cli_unexpected("startup", argv[i]);
	}
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	if (power) {
		rc = btpm_sim_power_on(c->t);
		if (rc)
			return btpm_cli_fail(c, "startup", "power-on", rc);
		printf("simulator powered on\n");
	}
	rc = btpm_startup(c->t, state ? BTPM_SU_STATE : BTPM_SU_CLEAR);
	if (rc == (int)BTPM_RC_INITIALIZE) {
		printf("TPM already started\n");
		return BTPM_EXIT_OK;
	}
	if (rc)
		return btpm_cli_fail(c, "startup", "TPM2_Startup", rc);
	printf("TPM started (%s)\n", state ? "TPM_SU_STATE" : "TPM_SU_CLEAR");
	return BTPM_EXIT_OK;
}
