/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names of TPM constants, spelled as tpm2-tools 5.4 prints them, so that our
 * output can be searched for with the names its guides use. A value that
 * tpm2-tools does not know has no name here either (NULL): tpm2_getcap prints
 * such values as numbers, and so must we.
 */
#include <stddef.h>

#include "cli.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* TPM_PT, fixed group: PT_FIXED + n (Part 2, 6.13, Table 23). */
static const char *const pt_fixed[] = {
	[0] = "TPM2_PT_FAMILY_INDICATOR",
	[1] = "TPM2_PT_LEVEL",
	[2] = "TPM2_PT_REVISION",
	[3] = "TPM2_PT_DAY_OF_YEAR",
	[4] = "TPM2_PT_YEAR",
	[5] = "TPM2_PT_MANUFACTURER",
	[6] = "TPM2_PT_VENDOR_STRING_1",
	[7] = "TPM2_PT_VENDOR_STRING_2",
	[8] = "TPM2_PT_VENDOR_STRING_3",
	[9] = "TPM2_PT_VENDOR_STRING_4",
	[10] = "TPM2_PT_VENDOR_TPM_TYPE",
	[11] = "TPM2_PT_FIRMWARE_VERSION_1",
	[12] = "TPM2_PT_FIRMWARE_VERSION_2",
	[13] = "TPM2_PT_INPUT_BUFFER",
	[14] = "TPM2_PT_HR_TRANSIENT_MIN",
	[15] = "TPM2_PT_HR_PERSISTENT_MIN",
	[16] = "TPM2_PT_HR_LOADED_MIN",
	[17] = "TPM2_PT_ACTIVE_SESSIONS_MAX",
	[18] = "TPM2_PT_PCR_COUNT",
	[19] = "TPM2_PT_PCR_SELECT_MIN",
	[20] = "TPM2_PT_CONTEXT_GAP_MAX",
	/* PT_FIXED + 21 is skipped by the specification */
	[22] = "TPM2_PT_NV_COUNTERS_MAX",
	[23] = "TPM2_PT_NV_INDEX_MAX",
	[24] = "TPM2_PT_MEMORY",
	[25] = "TPM2_PT_CLOCK_UPDATE",
	[26] = "TPM2_PT_CONTEXT_HASH",
	[27] = "TPM2_PT_CONTEXT_SYM",
	[28] = "TPM2_PT_CONTEXT_SYM_SIZE",
	[29] = "TPM2_PT_ORDERLY_COUNT",
	[30] = "TPM2_PT_MAX_COMMAND_SIZE",
	[31] = "TPM2_PT_MAX_RESPONSE_SIZE",
	[32] = "TPM2_PT_MAX_DIGEST",
	[33] = "TPM2_PT_MAX_OBJECT_CONTEXT",
	[34] = "TPM2_PT_MAX_SESSION_CONTEXT",
	[35] = "TPM2_PT_PS_FAMILY_INDICATOR",
	[36] = "TPM2_PT_PS_LEVEL",
	[37] = "TPM2_PT_PS_REVISION",
	[38] = "TPM2_PT_PS_DAY_OF_YEAR",
	[39] = "TPM2_PT_PS_YEAR",
	[40] = "TPM2_PT_SPLIT_MAX",
	[41] = "TPM2_PT_TOTAL_COMMANDS",
	[42] = "TPM2_PT_LIBRARY_COMMANDS",
	[43] = "TPM2_PT_VENDOR_COMMANDS",
	[44] = "TPM2_PT_NV_BUFFER_MAX",
	[45] = "TPM2_PT_MODES",
};

/* TPM_PT, variable group: PT_VAR + n (Part 2, 6.13, Table 23). */
static const char *const pt_var[] = {
	[0] = "TPM2_PT_PERMANENT",
	[1] = "TPM2_PT_STARTUP_CLEAR",
	[2] = "TPM2_PT_HR_NV_INDEX",
	[3] = "TPM2_PT_HR_LOADED",
	[4] = "TPM2_PT_HR_LOADED_AVAIL",
	[5] = "TPM2_PT_HR_ACTIVE",
	[6] = "TPM2_PT_HR_ACTIVE_AVAIL",
	[7] = "TPM2_PT_HR_TRANSIENT_AVAIL",
	[8] = "TPM2_PT_HR_PERSISTENT",
	[9] = "TPM2_PT_HR_PERSISTENT_AVAIL",
	[10] = "TPM2_PT_NV_COUNTERS",
	[11] = "TPM2_PT_NV_COUNTERS_AVAIL",
	[12] = "TPM2_PT_ALGORITHM_SET",
	[13] = "TPM2_PT_LOADED_CURVES",
	[14] = "TPM2_PT_LOCKOUT_COUNTER",
	[15] = "TPM2_PT_MAX_AUTH_FAIL",
	[16] = "TPM2_PT_LOCKOUT_INTERVAL",
	[17] = "TPM2_PT_LOCKOUT_RECOVERY",
	[18] = "TPM2_PT_NV_WRITE_RECOVERY",
	[19] = "TPM2_PT_AUDIT_COUNTER_0",
	[20] = "TPM2_PT_AUDIT_COUNTER_1",
};

const char *btpm_cli_pt_name(unsigned property)
{
	if (property >= BTPM_PT_FIXED && property - BTPM_PT_FIXED < COUNT(pt_fixed))
		return pt_fixed[property - BTPM_PT_FIXED];
	if (property >= BTPM_PT_VAR && property - BTPM_PT_VAR < COUNT(pt_var))
		return pt_var[property - BTPM_PT_VAR];
	return NULL;
}

struct name {
	unsigned value;
	const char *name;
};

static const char *find(const struct name *t, size_t n, unsigned value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}

/* TPM_ALG_ID (Part 2, 6.3, and the TCG Algorithm Registry), short names. */
static const struct name algs[] = {
	{0x0001, "rsa"},
	{0x0003, "tdes"},
	{0x0004, "sha1"},
	{0x0005, "hmac"},
	{0x0006, "aes"},
	{0x0007, "mgf1"},
	{0x0008, "keyedhash"},
	{0x000A, "xor"},
	{0x000B, "sha256"},
	{0x000C, "sha384"},
	{0x000D, "sha512"},
	{0x0010, "null"},
	{0x0012, "sm3_256"},
	{0x0013, "sm4"},
	{0x0014, "rsassa"},
	{0x0015, "rsaes"},
	{0x0016, "rsapss"},
	{0x0017, "oaep"},
	{0x0018, "ecdsa"},
	{0x0019, "ecdh"},
	{0x001A, "ecdaa"},
	{0x001B, "sm2"},
	{0x001C, "ecschnorr"},
	{0x001D, "ecmqv"},
	{0x0020, "kdf1_sp800_56a"},
	{0x0021, "kdf2"},
	{0x0022, "kdf1_sp800_108"},
	{0x0023, "ecc"},
	{0x0025, "symcipher"},
	{0x0026, "camellia"},
	{0x0027, "sha3_256"},
	{0x0028, "sha3_384"},
	{0x0029, "sha3_512"},
	{0x003F, "cmac"},
	{0x0040, "ctr"},
	{0x0041, "ofb"},
	{0x0042, "cbc"},
	{0x0043, "cfb"},
	{0x0044, "ecb"},
};

const char *btpm_cli_alg_name(unsigned alg)
{
	return find(algs, COUNT(algs), alg);
}

/* TPM_CC (Part 2, 6.5.2, Table 12): the commands tpm2-tools 5.4 can name. */
static const struct name ccs[] = {
	{0x011F, "TPM2_CC_NV_UndefineSpaceSpecial"},
	{0x0120, "TPM2_CC_EvictControl"},
	{0x0121, "TPM2_CC_HierarchyControl"},
	{0x0122, "TPM2_CC_NV_UndefineSpace"},
	{0x0124, "TPM2_CC_ChangeEPS"},
	{0x0125, "TPM2_CC_ChangePPS"},
	{0x0126, "TPM2_CC_Clear"},
	{0x0127, "TPM2_CC_ClearControl"},
	{0x0128, "TPM2_CC_ClockSet"},
	{0x0129, "TPM2_CC_HierarchyChangeAuth"},
	{0x012A, "TPM2_CC_NV_DefineSpace"},
	{0x012B, "TPM2_CC_PCR_Allocate"},
	{0x012C, "TPM2_CC_PCR_SetAuthPolicy"},
	{0x012D, "TPM2_CC_PP_Commands"},
	{0x012E, "TPM2_CC_SetPrimaryPolicy"},
	{0x012F, "TPM2_CC_FieldUpgradeStart"},
	{0x0130, "TPM2_CC_ClockRateAdjust"},
	{0x0131, "TPM2_CC_CreatePrimary"},
	{0x0132, "TPM2_CC_NV_GlobalWriteLock"},
	{0x0133, "TPM2_CC_GetCommandAuditDigest"},
	{0x0134, "TPM2_CC_NV_Increment"},
	{0x0135, "TPM2_CC_NV_SetBits"},
	{0x0136, "TPM2_CC_NV_Extend"},
	{0x0137, "TPM2_CC_NV_Write"},
	{0x0138, "TPM2_CC_NV_WriteLock"},
	{0x0139, "TPM2_CC_DictionaryAttackLockReset"},
	{0x013A, "TPM2_CC_DictionaryAttackParameters"},
	{0x013B, "TPM2_CC_NV_ChangeAuth"},
	{0x013C, "TPM2_CC_PCR_Event"},
	{0x013D, "TPM2_CC_PCR_Reset"},
	{0x013E, "TPM2_CC_SequenceComplete"},
	{0x013F, "TPM2_CC_SetAlgorithmSet"},
	{0x0140, "TPM2_CC_SetCommandCodeAuditStatus"},
	{0x0141, "TPM2_CC_FieldUpgradeData"},
	{0x0142, "TPM2_CC_IncrementalSelfTest"},
	{0x0143, "TPM2_CC_SelfTest"},
	{0x0144, "TPM2_CC_Startup"},
	{0x0145, "TPM2_CC_Shutdown"},
	{0x0146, "TPM2_CC_StirRandom"},
	{0x0147, "TPM2_CC_ActivateCredential"},
	{0x0148, "TPM2_CC_Certify"},
	{0x0149, "TPM2_CC_PolicyNV"},
	{0x014A, "TPM2_CC_CertifyCreation"},
	{0x014B, "TPM2_CC_Duplicate"},
	{0x014C, "TPM2_CC_GetTime"},
	{0x014D, "TPM2_CC_GetSessionAuditDigest"},
	{0x014E, "TPM2_CC_NV_Read"},
	{0x014F, "TPM2_CC_NV_ReadLock"},
	{0x0150, "TPM2_CC_ObjectChangeAuth"},
	{0x0151, "TPM2_CC_PolicySecret"},
	{0x0152, "TPM2_CC_Rewrap"},
	{0x0153, "TPM2_CC_Create"},
	{0x0154, "TPM2_CC_ECDH_ZGen"},
	{0x0155, "TPM2_CC_HMAC"},
	{0x0156, "TPM2_CC_Import"},
	{0x0157, "TPM2_CC_Load"},
	{0x0158, "TPM2_CC_Quote"},
	{0x0159, "TPM2_CC_RSA_Decrypt"},
	{0x015B, "TPM2_CC_HMAC_Start"},
	{0x015C, "TPM2_CC_SequenceUpdate"},
	{0x015D, "TPM2_CC_Sign"},
	{0x015E, "TPM2_CC_Unseal"},
	{0x0160, "TPM2_CC_PolicySigned"},
	{0x0161, "TPM2_CC_ContextLoad"},
	{0x0162, "TPM2_CC_ContextSave"},
	{0x0163, "TPM2_CC_ECDH_KeyGen"},
	{0x0164, "TPM2_CC_EncryptDecrypt"},
	{0x0165, "TPM2_CC_FlushContext"},
	{0x0167, "TPM2_CC_LoadExternal"},
	{0x0168, "TPM2_CC_MakeCredential"},
	{0x0169, "TPM2_CC_NV_ReadPublic"},
	{0x016A, "TPM2_CC_PolicyAuthorize"},
	{0x016B, "TPM2_CC_PolicyAuthValue"},
	{0x016C, "TPM2_CC_PolicyCommandCode"},
	{0x016D, "TPM2_CC_PolicyCounterTimer"},
	{0x016E, "TPM2_CC_PolicyCpHash"},
	{0x016F, "TPM2_CC_PolicyLocality"},
	{0x0170, "TPM2_CC_PolicyNameHash"},
	{0x0171, "TPM2_CC_PolicyOR"},
	{0x0172, "TPM2_CC_PolicyTicket"},
	{0x0173, "TPM2_CC_ReadPublic"},
	{0x0174, "TPM2_CC_RSA_Encrypt"},
	{0x0176, "TPM2_CC_StartAuthSession"},
	{0x0177, "TPM2_CC_VerifySignature"},
	{0x0178, "TPM2_CC_ECC_Parameters"},
	{0x0179, "TPM2_CC_FirmwareRead"},
	{0x017A, "TPM2_CC_GetCapability"},
	{0x017B, "TPM2_CC_GetRandom"},
	{0x017C, "TPM2_CC_GetTestResult"},
	{0x017D, "TPM2_CC_Hash"},
	{0x017E, "TPM2_CC_PCR_Read"},
	{0x017F, "TPM2_CC_PolicyPCR"},
	{0x0180, "TPM2_CC_PolicyRestart"},
	{0x0181, "TPM2_CC_ReadClock"},
	{0x0182, "TPM2_CC_PCR_Extend"},
	{0x0183, "TPM2_CC_PCR_SetAuthValue"},
	{0x0184, "TPM2_CC_NV_Certify"},
	{0x0185, "TPM2_CC_EventSequenceComplete"},
	{0x0186, "TPM2_CC_HashSequenceStart"},
	{0x0187, "TPM2_CC_PolicyPhysicalPresence"},
	{0x0188, "TPM2_CC_PolicyDuplicationSelect"},
	{0x0189, "TPM2_CC_PolicyGetDigest"},
	{0x018A, "TPM2_CC_TestParms"},
	{0x018B, "TPM2_CC_Commit"},
	{0x018C, "TPM2_CC_PolicyPassword"},
	{0x018D, "TPM2_CC_ZGen_2Phase"},
	{0x018E, "TPM2_CC_EC_Ephemeral"},
	{0x018F, "TPM2_CC_PolicyNvWritten"},
	{0x0190, "TPM2_CC_PolicyTemplate"},
	{0x0191, "TPM2_CC_CreateLoaded"},
	{0x0192, "TPM2_CC_PolicyAuthorizeNV"},
	{0x0193, "TPM2_CC_EncryptDecrypt2"},
	{0x0194, "TPM2_CC_AC_GetCapability"},
	{0x0195, "TPM2_CC_AC_Send"},
	{0x0196, "TPM2_CC_Policy_AC_SendSelect"},
	{0x20000000, "TPM2_CC_Vendor_TCG_Test"},
};

const char *btpm_cli_cc_name(unsigned cc)
{
	return find(ccs, COUNT(ccs), cc);
}

/* TPM_ECC_CURVE (Part 2, 6.4, Table 10). */
static const struct name curves[] = {
	{0x0001, "TPM2_ECC_NIST_P192"},
	{0x0002, "TPM2_ECC_NIST_P224"},
	{0x0003, "TPM2_ECC_NIST_P256"},
	{0x0004, "TPM2_ECC_NIST_P384"},
	{0x0005, "TPM2_ECC_NIST_P521"},
	{0x0010, "TPM2_ECC_BN_P256"},
	{0x0011, "TPM2_ECC_BN_P638"},
	{0x0020, "TPM2_ECC_SM2_P256"},
};

const char *btpm_cli_curve_name(unsigned curve)
{
	return find(curves, COUNT(curves), curve);
}
