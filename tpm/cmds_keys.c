/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Descriptors of the key, signing, sealing, dictionary-attack and context
 * commands (Part 3, each command's table), in the form of tpm/cmds.c.
 */
#include "cmds_keys.h"

#define CMD(sym, cc_, h, a, rh, fl, nm)                                                    \
	const struct btpm_cmd sym = {.cc = cc_, .handles = h, .auths = a, .rsp_handles = rh, \
				     .flags = fl, .name = nm}

#define ENC_BOTH (BTPM_CMD_ENC_PARAM | BTPM_CMD_ENC_RSP)

/* inSensitive / outPublic */
CMD(btpm_cmd_create_primary, 0x131, 1, 1, 1, ENC_BOTH, "TPM2_CreatePrimary"); /* 24.1 */
/* inSensitive / outPrivate */
CMD(btpm_cmd_create, 0x153, 1, 1, 0, ENC_BOTH, "TPM2_Create");                /* 12.1 */
/* inPrivate / name */
CMD(btpm_cmd_load, 0x157, 1, 1, 1, ENC_BOTH, "TPM2_Load");                    /* 12.2 */
/* persistentHandle is a TPMI_DH_PERSISTENT; no response parameters */
CMD(btpm_cmd_evict_control, 0x120, 2, 1, 0, 0, "TPM2_EvictControl");          /* 28.5 */
/* digest / signature is a TPMT_SIGNATURE, not a TPM2B */
CMD(btpm_cmd_sign, 0x15D, 1, 1, 0, BTPM_CMD_ENC_PARAM, "TPM2_Sign");          /* 20.2 */
/* no command parameters / outData */
CMD(btpm_cmd_unseal, 0x15E, 1, 1, 0, BTPM_CMD_ENC_RSP, "TPM2_Unseal");        /* 12.7 */
/* newAuth / outPrivate; parentHandle takes no authorization */
CMD(btpm_cmd_object_change_auth, 0x150, 2, 1, 0, ENC_BOTH, "TPM2_ObjectChangeAuth"); /* 12.8 */
CMD(btpm_cmd_da_lock_reset, 0x139, 1, 1, 0, 0, "TPM2_DictionaryAttackLockReset"); /* 25.2 */
CMD(btpm_cmd_da_parameters, 0x13A, 1, 1, 0, 0, "TPM2_DictionaryAttackParameters"); /* 25.3 */
/* context is a TPMS_CONTEXT, not a TPM2B, both ways */
CMD(btpm_cmd_context_save, 0x162, 1, 0, 0, 0, "TPM2_ContextSave");           /* 28.2 */
CMD(btpm_cmd_context_load, 0x161, 0, 0, 1, 0, "TPM2_ContextLoad");           /* 28.3 */
