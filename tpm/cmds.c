/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command descriptors (Part 3, the command table of each command):
 * code, handles in, handles taking authorization, handles out, and whether the
 * first command / response parameter is a TPM2B that a session may encrypt.
 */
#include "internal.h"

#define CMD(sym, cc_, h, a, rh, fl, nm)                                                    \
	const struct btpm_cmd sym = {.cc = cc_, .handles = h, .auths = a, .rsp_handles = rh, \
				     .flags = fl, .name = nm}

CMD(btpm_cmd_startup, 0x144, 0, 0, 0, 0, "TPM2_Startup");                 /* Part 3, 9.3 */
CMD(btpm_cmd_shutdown, 0x145, 0, 0, 0, 0, "TPM2_Shutdown");               /* Part 3, 9.4 */
CMD(btpm_cmd_self_test, 0x143, 0, 0, 0, 0, "TPM2_SelfTest");              /* Part 3, 10.2 */
CMD(btpm_cmd_get_capability, 0x17A, 0, 0, 0, 0, "TPM2_GetCapability");    /* Part 3, 30.2 */
CMD(btpm_cmd_get_random, 0x17B, 0, 0, 0, BTPM_CMD_ENC_RSP, "TPM2_GetRandom"); /* 16.1 */
CMD(btpm_cmd_read_public, 0x173, 1, 0, 0, BTPM_CMD_ENC_RSP, "TPM2_ReadPublic"); /* 12.4 */
CMD(btpm_cmd_nv_read_public, 0x169, 1, 0, 0, BTPM_CMD_ENC_RSP, "TPM2_NV_ReadPublic"); /* 31.6 */
CMD(btpm_cmd_nv_read, 0x14E, 2, 1, 0, BTPM_CMD_ENC_RSP, "TPM2_NV_Read");  /* Part 3, 31.13 */
CMD(btpm_cmd_pcr_read, 0x17E, 0, 0, 0, 0, "TPM2_PCR_Read");               /* Part 3, 22.4 */
CMD(btpm_cmd_flush_context, 0x165, 0, 0, 0, 0, "TPM2_FlushContext");      /* Part 3, 28.4 */
CMD(btpm_cmd_start_auth_session, 0x176, 2, 0, 1, 0, "TPM2_StartAuthSession"); /* Part 3, 11.1 */
