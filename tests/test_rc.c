/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Response-code names and text (tpm/rc.c). Expected values come from TPM 2.0
 * Part 2, 6.6 (Table 16 and the format figures of 6.6.2), worked out by hand,
 * and were cross-checked once against tpm2_rc_decode (tpm2-tools 5.x); what
 * it printed is quoted in the comments. It is not run from here.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm.h"
#include "internal.h"
#include "rc.h"
#include "run.h"

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *err(int rc)
{
	static char buf[512];
	return btpm_strerror(NULL, rc, buf, sizeof(buf));
}

/* ---- names ---------------------------------------------------------------- */

START_TEST(name_local)
{
	ck_assert_str_eq(btpm_rc_name(BTPM_E_ARG), "BTPM_E_ARG");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_CONFIG), "BTPM_E_CONFIG");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_NODEV), "BTPM_E_NODEV");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_PERM), "BTPM_E_PERM");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_IO), "BTPM_E_IO");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_TIMEOUT), "BTPM_E_TIMEOUT");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_CLOSED), "BTPM_E_CLOSED");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_MALFORMED), "BTPM_E_MALFORMED");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_TOOBIG), "BTPM_E_TOOBIG");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_NOTFOUND), "BTPM_E_NOTFOUND");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_BADHMAC), "BTPM_E_BADHMAC");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_NOMEM), "BTPM_E_NOMEM");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_CRYPTO), "BTPM_E_CRYPTO");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_SIM), "BTPM_E_SIM");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_UNSUPPORTED), "BTPM_E_UNSUPPORTED");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_EXISTS), "BTPM_E_EXISTS");
	ck_assert_str_eq(btpm_rc_name(BTPM_E_EXISTS - 1), "BTPM_E_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(-1000), "BTPM_E_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(INT_MIN), "BTPM_E_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0), "TPM_RC_SUCCESS");
}
END_TEST

START_TEST(name_format_zero)
{
	/* RC_VER1 (0x100) + n */
	ck_assert_str_eq(btpm_rc_name(0x100), "TPM_RC_INITIALIZE");
	ck_assert_str_eq(btpm_rc_name(0x101), "TPM_RC_FAILURE");
	ck_assert_str_eq(btpm_rc_name(0x103), "TPM_RC_SEQUENCE");
	ck_assert_str_eq(btpm_rc_name(0x10B), "TPM_RC_PRIVATE");
	ck_assert_str_eq(btpm_rc_name(0x119), "TPM_RC_HMAC");
	ck_assert_str_eq(btpm_rc_name(0x120), "TPM_RC_DISABLED");
	ck_assert_str_eq(btpm_rc_name(0x121), "TPM_RC_EXCLUSIVE");
	ck_assert_str_eq(btpm_rc_name(0x124), "TPM_RC_AUTH_TYPE");
	ck_assert_str_eq(btpm_rc_name(0x125), "TPM_RC_AUTH_MISSING");
	ck_assert_str_eq(btpm_rc_name(0x126), "TPM_RC_POLICY");
	ck_assert_str_eq(btpm_rc_name(0x127), "TPM_RC_PCR");
	ck_assert_str_eq(btpm_rc_name(0x128), "TPM_RC_PCR_CHANGED");
	ck_assert_str_eq(btpm_rc_name(0x12D), "TPM_RC_UPGRADE");
	ck_assert_str_eq(btpm_rc_name(0x12E), "TPM_RC_TOO_MANY_CONTEXTS");
	ck_assert_str_eq(btpm_rc_name(0x12F), "TPM_RC_AUTH_UNAVAILABLE");
	ck_assert_str_eq(btpm_rc_name(0x130), "TPM_RC_REBOOT");
	ck_assert_str_eq(btpm_rc_name(0x131), "TPM_RC_UNBALANCED");
	ck_assert_str_eq(btpm_rc_name(0x142), "TPM_RC_COMMAND_SIZE");
	ck_assert_str_eq(btpm_rc_name(0x143), "TPM_RC_COMMAND_CODE");
	ck_assert_str_eq(btpm_rc_name(0x144), "TPM_RC_AUTHSIZE");
	ck_assert_str_eq(btpm_rc_name(0x145), "TPM_RC_AUTH_CONTEXT");
	ck_assert_str_eq(btpm_rc_name(0x146), "TPM_RC_NV_RANGE");
	ck_assert_str_eq(btpm_rc_name(0x147), "TPM_RC_NV_SIZE");
	ck_assert_str_eq(btpm_rc_name(0x148), "TPM_RC_NV_LOCKED");
	ck_assert_str_eq(btpm_rc_name(0x149), "TPM_RC_NV_AUTHORIZATION");
	ck_assert_str_eq(btpm_rc_name(0x14A), "TPM_RC_NV_UNINITIALIZED");
	ck_assert_str_eq(btpm_rc_name(0x14B), "TPM_RC_NV_SPACE");
	ck_assert_str_eq(btpm_rc_name(0x14C), "TPM_RC_NV_DEFINED");
	ck_assert_str_eq(btpm_rc_name(0x150), "TPM_RC_BAD_CONTEXT");
	ck_assert_str_eq(btpm_rc_name(0x151), "TPM_RC_CPHASH");
	ck_assert_str_eq(btpm_rc_name(0x152), "TPM_RC_PARENT");
	ck_assert_str_eq(btpm_rc_name(0x153), "TPM_RC_NEEDS_TEST");
	ck_assert_str_eq(btpm_rc_name(0x154), "TPM_RC_NO_RESULT");
	ck_assert_str_eq(btpm_rc_name(0x155), "TPM_RC_SENSITIVE");
	ck_assert_str_eq(btpm_rc_name(0x156), "TPM_RC_READ_ONLY");
	/* gaps in the table */
	ck_assert_str_eq(btpm_rc_name(0x102), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x14D), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x17F), "TPM_RC_UNKNOWN");
	/* bit 9 is reserved in format zero */
	ck_assert_str_eq(btpm_rc_name(0x300), "TPM_RC_UNKNOWN");
}
END_TEST

START_TEST(name_format_one)
{
	/* RC_FMT1 (0x080) + n, with no number */
	ck_assert_str_eq(btpm_rc_name(0x081), "TPM_RC_ASYMMETRIC");
	ck_assert_str_eq(btpm_rc_name(0x082), "TPM_RC_ATTRIBUTES");
	ck_assert_str_eq(btpm_rc_name(0x083), "TPM_RC_HASH");
	ck_assert_str_eq(btpm_rc_name(0x084), "TPM_RC_VALUE");
	ck_assert_str_eq(btpm_rc_name(0x085), "TPM_RC_HIERARCHY");
	ck_assert_str_eq(btpm_rc_name(0x087), "TPM_RC_KEY_SIZE");
	ck_assert_str_eq(btpm_rc_name(0x088), "TPM_RC_MGF");
	ck_assert_str_eq(btpm_rc_name(0x089), "TPM_RC_MODE");
	ck_assert_str_eq(btpm_rc_name(0x08A), "TPM_RC_TYPE");
	ck_assert_str_eq(btpm_rc_name(0x08B), "TPM_RC_HANDLE");
	ck_assert_str_eq(btpm_rc_name(0x08C), "TPM_RC_KDF");
	ck_assert_str_eq(btpm_rc_name(0x08D), "TPM_RC_RANGE");
	ck_assert_str_eq(btpm_rc_name(0x08E), "TPM_RC_AUTH_FAIL");
	ck_assert_str_eq(btpm_rc_name(0x08F), "TPM_RC_NONCE");
	ck_assert_str_eq(btpm_rc_name(0x090), "TPM_RC_PP");
	ck_assert_str_eq(btpm_rc_name(0x092), "TPM_RC_SCHEME");
	ck_assert_str_eq(btpm_rc_name(0x095), "TPM_RC_SIZE");
	ck_assert_str_eq(btpm_rc_name(0x096), "TPM_RC_SYMMETRIC");
	ck_assert_str_eq(btpm_rc_name(0x097), "TPM_RC_TAG");
	ck_assert_str_eq(btpm_rc_name(0x098), "TPM_RC_SELECTOR");
	ck_assert_str_eq(btpm_rc_name(0x09A), "TPM_RC_INSUFFICIENT");
	ck_assert_str_eq(btpm_rc_name(0x09B), "TPM_RC_SIGNATURE");
	ck_assert_str_eq(btpm_rc_name(0x09C), "TPM_RC_KEY");
	ck_assert_str_eq(btpm_rc_name(0x09D), "TPM_RC_POLICY_FAIL");
	ck_assert_str_eq(btpm_rc_name(0x09F), "TPM_RC_INTEGRITY");
	ck_assert_str_eq(btpm_rc_name(0x0A0), "TPM_RC_TICKET");
	ck_assert_str_eq(btpm_rc_name(0x0A1), "TPM_RC_RESERVED_BITS");
	ck_assert_str_eq(btpm_rc_name(0x0A2), "TPM_RC_BAD_AUTH");
	ck_assert_str_eq(btpm_rc_name(0x0A3), "TPM_RC_EXPIRED");
	ck_assert_str_eq(btpm_rc_name(0x0A4), "TPM_RC_POLICY_CC");
	ck_assert_str_eq(btpm_rc_name(0x0A5), "TPM_RC_BINDING");
	ck_assert_str_eq(btpm_rc_name(0x0A6), "TPM_RC_CURVE");
	ck_assert_str_eq(btpm_rc_name(0x0A7), "TPM_RC_ECC_POINT");
	ck_assert_str_eq(btpm_rc_name(0x0A8), "TPM_RC_FW_LIMITED");
	ck_assert_str_eq(btpm_rc_name(0x0A9), "TPM_RC_SVN_LIMITED");
	ck_assert_str_eq(btpm_rc_name(0x0B0), "TPM_RC_CHANNEL");
	ck_assert_str_eq(btpm_rc_name(0x0B1), "TPM_RC_CHANNEL_KEY");
	/* the number does not change the name */
	ck_assert_str_eq(btpm_rc_name(0x98E), "TPM_RC_AUTH_FAIL");
	ck_assert_str_eq(btpm_rc_name(0x1C4), "TPM_RC_VALUE");
	ck_assert_str_eq(btpm_rc_name(0x184), "TPM_RC_VALUE");
	ck_assert_str_eq(btpm_rc_name(0x9A2), "TPM_RC_BAD_AUTH");
	ck_assert_str_eq(btpm_rc_name(0xF8B), "TPM_RC_HANDLE");
	/* E = 0, 0x06, 0x3F are not assigned */
	ck_assert_str_eq(btpm_rc_name(0x080), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x086), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x0BF), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x1FF), "TPM_RC_UNKNOWN");
}
END_TEST

START_TEST(name_warnings)
{
	/* RC_WARN (0x900) + n */
	ck_assert_str_eq(btpm_rc_name(0x901), "TPM_RC_CONTEXT_GAP");
	ck_assert_str_eq(btpm_rc_name(0x902), "TPM_RC_OBJECT_MEMORY");
	ck_assert_str_eq(btpm_rc_name(0x903), "TPM_RC_SESSION_MEMORY");
	ck_assert_str_eq(btpm_rc_name(0x904), "TPM_RC_MEMORY");
	ck_assert_str_eq(btpm_rc_name(0x905), "TPM_RC_SESSION_HANDLES");
	ck_assert_str_eq(btpm_rc_name(0x906), "TPM_RC_OBJECT_HANDLES");
	ck_assert_str_eq(btpm_rc_name(0x907), "TPM_RC_LOCALITY");
	ck_assert_str_eq(btpm_rc_name(0x908), "TPM_RC_YIELDED");
	ck_assert_str_eq(btpm_rc_name(0x909), "TPM_RC_CANCELED");
	ck_assert_str_eq(btpm_rc_name(0x90A), "TPM_RC_TESTING");
	ck_assert_str_eq(btpm_rc_name(0x910), "TPM_RC_REFERENCE_H0");
	ck_assert_str_eq(btpm_rc_name(0x913), "TPM_RC_REFERENCE_H3");
	ck_assert_str_eq(btpm_rc_name(0x916), "TPM_RC_REFERENCE_H6");
	ck_assert_str_eq(btpm_rc_name(0x918), "TPM_RC_REFERENCE_S0");
	ck_assert_str_eq(btpm_rc_name(0x91C), "TPM_RC_REFERENCE_S4");
	ck_assert_str_eq(btpm_rc_name(0x91E), "TPM_RC_REFERENCE_S6");
	ck_assert_str_eq(btpm_rc_name(0x920), "TPM_RC_NV_RATE");
	ck_assert_str_eq(btpm_rc_name(0x921), "TPM_RC_LOCKOUT");
	ck_assert_str_eq(btpm_rc_name(0x922), "TPM_RC_RETRY");
	ck_assert_str_eq(btpm_rc_name(0x923), "TPM_RC_NV_UNAVAILABLE");
	ck_assert_str_eq(btpm_rc_name(0x97F), "TPM_RC_NOT_USED");
	/* H7 / S7 / 0x1F / 0 do not exist */
	ck_assert_str_eq(btpm_rc_name(0x917), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x91F), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x900), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x924), "TPM_RC_UNKNOWN");
}
END_TEST

START_TEST(name_other_kinds)
{
	/* Bit 8 (V) clear, format zero: TPM 1.2 ("tpm:error(1.2)" from tpm2_rc_decode). */
	ck_assert_str_eq(btpm_rc_name(0x001), "TPM1.2 code");
	ck_assert_str_eq(btpm_rc_name(0x07F), "TPM1.2 code");
	ck_assert_str_eq(btpm_rc_name(0x400), "TPM1.2 code");
	ck_assert_str_eq(btpm_rc_name(0x800), "TPM1.2 code");
	ck_assert_str_eq(btpm_rc_name(0xC00), "TPM1.2 code");
	/* ... except TPM_RC_BAD_TAG, which Part 2 Table 16 defines at 0x01E. */
	ck_assert_str_eq(btpm_rc_name(0x01E), "TPM_RC_BAD_TAG");
	/* V and T set: vendor ("Vendor specific error" from tpm2_rc_decode 0x500, 0xD00). */
	ck_assert_str_eq(btpm_rc_name(0x500), "TPM_RC_VENDOR");
	ck_assert_str_eq(btpm_rc_name(0x57F), "TPM_RC_VENDOR");
	ck_assert_str_eq(btpm_rc_name(0xD00), "TPM_RC_VENDOR");
	/* Layer in bits 16-23 ("rmt:", "esapi:", "tcti:" from tpm2_rc_decode). */
	ck_assert_str_eq(btpm_rc_name(0x000B0143), "RM/TSS layer code");
	ck_assert_str_eq(btpm_rc_name(0x00070001), "RM/TSS layer code");
	ck_assert_str_eq(btpm_rc_name(0x000A000A), "RM/TSS layer code");
	ck_assert_str_eq(btpm_rc_name(0x00FF0000), "RM/TSS layer code");
	/* Nothing defines bits 24-31 or, in a TPM code, bits 12-15. */
	ck_assert_str_eq(btpm_rc_name(0x01000000), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(INT_MAX), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x198E), "TPM_RC_UNKNOWN");
	ck_assert_str_eq(btpm_rc_name(0x1100), "TPM_RC_UNKNOWN");
}
END_TEST

/*
 * Which codes have a name: exactly those tpm2_rc_decode knows, swept over
 * 0x080-0x0BF, 0x100-0x17F and 0x900-0x97F, plus what it predates:
 * READ_ONLY (0x156), FW_LIMITED..SIGN_CONTEXT_KEY (0x0A8-0x0AD), CHANNEL and
 * CHANNEL_KEY (0x0B0, 0x0B1) and NOT_USED (0x97F).
 */
START_TEST(name_defined_set)
{
	static const uint16_t defined[] = {
		0x081, 0x082, 0x083, 0x084, 0x085, 0x087, 0x088, 0x089, 0x08A, 0x08B, 0x08C, 0x08D,
		0x08E, 0x08F, 0x090, 0x092, 0x095, 0x096, 0x097, 0x098, 0x09A, 0x09B, 0x09C, 0x09D,
		0x09F, 0x0A0, 0x0A1, 0x0A2, 0x0A3, 0x0A4, 0x0A5, 0x0A6, 0x0A7, 0x0A8, 0x0A9, 0x0AA,
		0x0AB, 0x0AC, 0x0AD, 0x0B0, 0x0B1,
		0x100, 0x101, 0x103, 0x10B, 0x119, 0x120, 0x121, 0x124, 0x125, 0x126, 0x127, 0x128,
		0x12D, 0x12E, 0x12F, 0x130, 0x131, 0x142, 0x143, 0x144, 0x145, 0x146, 0x147, 0x148,
		0x149, 0x14A, 0x14B, 0x14C, 0x150, 0x151, 0x152, 0x153, 0x154, 0x155, 0x156,
		0x901, 0x902, 0x903, 0x904, 0x905, 0x906, 0x907, 0x908, 0x909, 0x90A, 0x910, 0x911,
		0x912, 0x913, 0x914, 0x915, 0x916, 0x918, 0x919, 0x91A, 0x91B, 0x91C, 0x91D, 0x91E,
		0x920, 0x921, 0x922, 0x923, 0x97F,
	};
	static const uint16_t ranges[][2] = {{0x080, 0x0BF}, {0x100, 0x17F}, {0x900, 0x97F}};
	size_t seen = 0;
	for (size_t r = 0; r < 3; r++) {
		for (unsigned c = ranges[r][0]; c <= ranges[r][1]; c++) {
			int want = 0;
			for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++)
				want |= defined[i] == c;
			const char *n = btpm_rc_name((int)c);
			ck_assert_ptr_nonnull(n);
			ck_assert_msg(strncmp(n, "TPM_RC_", 7) == 0, "0x%03X: %s", c, n);
			int have = strcmp(n, "TPM_RC_UNKNOWN") != 0;
			ck_assert_msg(have == want, "0x%03X: %s", c, n);
			seen += (size_t)have;
		}
	}
	ck_assert_uint_eq(seen, sizeof(defined) / sizeof(defined[0]));
}
END_TEST

/* ---- base codes ------------------------------------------------------------ */

START_TEST(base_codes)
{
	ck_assert_int_eq(btpm_rc_base(0x98E), BTPM_RC_AUTH_FAIL);   /* session 1 */
	ck_assert_int_eq(btpm_rc_base(0x08E), BTPM_RC_AUTH_FAIL);   /* no number */
	ck_assert_int_eq(btpm_rc_base(0xF8E), BTPM_RC_AUTH_FAIL);   /* session 7 */
	ck_assert_int_eq(btpm_rc_base(0x1C4), BTPM_RC_VALUE);       /* parameter 1 */
	ck_assert_int_eq(btpm_rc_base(0xFC4), BTPM_RC_VALUE);       /* parameter 15 */
	ck_assert_int_eq(btpm_rc_base(0x184), BTPM_RC_VALUE);       /* handle 1 */
	ck_assert_int_eq(btpm_rc_base(0x28B), BTPM_RC_HANDLE);      /* handle 2 */
	ck_assert_int_eq(btpm_rc_base(0x9A2), BTPM_RC_BAD_AUTH);    /* session 1 */
	/* format zero is unchanged, the S bit included */
	ck_assert_int_eq(btpm_rc_base(0x14A), BTPM_RC_NV_UNINITIALIZED);
	ck_assert_int_eq(btpm_rc_base(0x146), BTPM_RC_NV_RANGE);
	ck_assert_int_eq(btpm_rc_base(0x149), BTPM_RC_NV_AUTHORIZATION);
	ck_assert_int_eq(btpm_rc_base(0x902), BTPM_RC_OBJECT_MEMORY);
	ck_assert_int_eq(btpm_rc_base(0x903), BTPM_RC_SESSION_MEMORY);
	ck_assert_int_eq(btpm_rc_base(0x920), BTPM_RC_NV_RATE);
	ck_assert_int_eq(btpm_rc_base(0x910), BTPM_RC_REFERENCE_H0);
	ck_assert_int_eq(btpm_rc_base(0x97F), BTPM_RC_NOT_USED);
	ck_assert_int_eq(btpm_rc_base(0x100), 0x100);
	ck_assert_int_eq(btpm_rc_base(0), 0);
	ck_assert(btpm_rc_base(0x921) == BTPM_RC_LOCKOUT); /* an unsigned constant */
	/* layer 11 is TPM format: stripped, the layer kept */
	ck_assert_int_eq(btpm_rc_base(0x000B098E), 0x000B008E);
	ck_assert_int_eq(btpm_rc_base(0x000B0143), 0x000B0143);
	/* other layers, reserved bits: unchanged */
	ck_assert_int_eq(btpm_rc_base(0x0007098E), 0x0007098E);
	ck_assert_int_eq(btpm_rc_base(0x0100098E), 0x0100098E);
	/* local codes survive the trip through uint32_t */
	int io = BTPM_E_IO, min = INT_MIN;
	ck_assert_int_eq(btpm_rc_base((uint32_t)io), BTPM_E_IO);
	ck_assert_int_eq(btpm_rc_base((uint32_t)min), INT_MIN);
	ck_assert_int_eq(btpm_rc_base(0x7FFFFFFFu), INT_MAX);
}
END_TEST

START_TEST(base_constants)
{
	/* Table 16 values: RC_FMT1 + n, RC_VER1 + n, RC_WARN + n. */
	ck_assert_int_eq(BTPM_RC_AUTH_FAIL, 0x080 + 0x00E);
	ck_assert_int_eq(BTPM_RC_BAD_AUTH, 0x080 + 0x022);
	ck_assert_int_eq(BTPM_RC_HANDLE, 0x080 + 0x00B);
	ck_assert_int_eq(BTPM_RC_VALUE, 0x080 + 0x004);
	ck_assert_int_eq(BTPM_RC_NV_UNINITIALIZED, 0x100 + 0x04A);
	ck_assert_int_eq(BTPM_RC_NV_RANGE, 0x100 + 0x046);
	ck_assert_int_eq(BTPM_RC_NV_AUTHORIZATION, 0x100 + 0x049);
	ck_assert_int_eq(BTPM_RC_OBJECT_MEMORY, 0x900 + 0x002);
	ck_assert_int_eq(BTPM_RC_SESSION_MEMORY, 0x900 + 0x003);
	ck_assert_int_eq(BTPM_RC_NV_RATE, 0x900 + 0x020);
	ck_assert_int_eq(BTPM_RC_REFERENCE_H0, 0x900 + 0x010);
	ck_assert_int_eq(BTPM_RC_NOT_USED, 0x900 + 0x07F);
	/* every BTPM_RC_* constant names the code it says */
	static const struct {
		int code;
		const char *name;
	} v[] = {
		{BTPM_RC_SEQUENCE, "TPM_RC_SEQUENCE"},
		{BTPM_RC_DISABLED, "TPM_RC_DISABLED"},
		{BTPM_RC_AUTH_MISSING, "TPM_RC_AUTH_MISSING"},
		{BTPM_RC_COMMAND_CODE, "TPM_RC_COMMAND_CODE"},
		{BTPM_RC_NV_RANGE, "TPM_RC_NV_RANGE"},
		{BTPM_RC_NV_SIZE, "TPM_RC_NV_SIZE"},
		{BTPM_RC_NV_LOCKED, "TPM_RC_NV_LOCKED"},
		{BTPM_RC_NV_AUTHORIZATION, "TPM_RC_NV_AUTHORIZATION"},
		{BTPM_RC_NV_UNINITIALIZED, "TPM_RC_NV_UNINITIALIZED"},
		{BTPM_RC_NV_SPACE, "TPM_RC_NV_SPACE"},
		{BTPM_RC_NV_DEFINED, "TPM_RC_NV_DEFINED"},
		{BTPM_RC_BAD_CONTEXT, "TPM_RC_BAD_CONTEXT"},
		{BTPM_RC_ATTRIBUTES, "TPM_RC_ATTRIBUTES"},
		{BTPM_RC_HASH, "TPM_RC_HASH"},
		{BTPM_RC_VALUE, "TPM_RC_VALUE"},
		{BTPM_RC_HIERARCHY, "TPM_RC_HIERARCHY"},
		{BTPM_RC_TYPE, "TPM_RC_TYPE"},
		{BTPM_RC_HANDLE, "TPM_RC_HANDLE"},
		{BTPM_RC_AUTH_FAIL, "TPM_RC_AUTH_FAIL"},
		{BTPM_RC_SCHEME, "TPM_RC_SCHEME"},
		{BTPM_RC_SIZE, "TPM_RC_SIZE"},
		{BTPM_RC_INSUFFICIENT, "TPM_RC_INSUFFICIENT"},
		{BTPM_RC_SIGNATURE, "TPM_RC_SIGNATURE"},
		{BTPM_RC_POLICY_FAIL, "TPM_RC_POLICY_FAIL"},
		{BTPM_RC_INTEGRITY, "TPM_RC_INTEGRITY"},
		{BTPM_RC_BAD_AUTH, "TPM_RC_BAD_AUTH"},
		{BTPM_RC_CURVE, "TPM_RC_CURVE"},
		{BTPM_RC_CONTEXT_GAP, "TPM_RC_CONTEXT_GAP"},
		{BTPM_RC_OBJECT_MEMORY, "TPM_RC_OBJECT_MEMORY"},
		{BTPM_RC_SESSION_MEMORY, "TPM_RC_SESSION_MEMORY"},
		{BTPM_RC_MEMORY, "TPM_RC_MEMORY"},
		{BTPM_RC_SESSION_HANDLES, "TPM_RC_SESSION_HANDLES"},
		{BTPM_RC_OBJECT_HANDLES, "TPM_RC_OBJECT_HANDLES"},
		{BTPM_RC_CANCELED, "TPM_RC_CANCELED"},
		{BTPM_RC_REFERENCE_H0, "TPM_RC_REFERENCE_H0"},
		{BTPM_RC_REFERENCE_H0 + 6, "TPM_RC_REFERENCE_H6"},
		{BTPM_RC_REFERENCE_S0, "TPM_RC_REFERENCE_S0"},
		{BTPM_RC_REFERENCE_S0 + 6, "TPM_RC_REFERENCE_S6"},
		{BTPM_RC_NV_RATE, "TPM_RC_NV_RATE"},
		{BTPM_RC_NV_UNAVAILABLE, "TPM_RC_NV_UNAVAILABLE"},
		{BTPM_RC_NOT_USED, "TPM_RC_NOT_USED"},
		{(int)BTPM_RC_INITIALIZE, "TPM_RC_INITIALIZE"},
		{(int)BTPM_RC_FAILURE, "TPM_RC_FAILURE"},
		{(int)BTPM_RC_LOCKOUT, "TPM_RC_LOCKOUT"},
		{(int)BTPM_RC_RETRY, "TPM_RC_RETRY"},
		{(int)BTPM_RC_YIELDED, "TPM_RC_YIELDED"},
		{(int)BTPM_RC_TESTING, "TPM_RC_TESTING"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_str_eq(btpm_rc_name(v[i].code), v[i].name);
}
END_TEST

/* ---- text ------------------------------------------------------------------ */

START_TEST(text_examples)
{
	/* tpm2_rc_decode 0x98e: "tpm:session(1):the authorization HMAC check failed ..." */
	ck_assert_str_eq(err(0x98E), "TPM_RC_AUTH_FAIL (session 1): the authorization HMAC check "
				     "failed; the dictionary-attack counter was incremented");
	/* 0x2C4: P set, N = 2 */
	ck_assert_str_eq(err(0x2C4),
			 "TPM_RC_VALUE (parameter 2): value is out of range or not correct for the context");
	/* 0x18B: P clear, N = 1 */
	ck_assert_str_eq(err(0x18B), "TPM_RC_HANDLE (handle 1): the handle is not correct for the use");
	ck_assert_str_eq(err(0x921),
			 "TPM_RC_LOCKOUT (warning): the TPM is in dictionary-attack lockout; wait for the "
			 "recovery time or reset it with the lockout authorization (baretpm dareset)");
	ck_assert_pstr_eq(err(0x922), "TPM_RC_RETRY (warning): the TPM kept asking to retry; gave up");
	ck_assert_msg(starts_with(err(0x100), "TPM_RC_INITIALIZE: the TPM has not been started "
					      "(TPM2_Startup); run 'baretpm startup'"),
		      "%s", err(0x100));
	ck_assert_msg(starts_with(err(0x920), "TPM_RC_NV_RATE (warning): the TPM is limiting"), "%s",
		      err(0x920));
	ck_assert_str_eq(err(0), "TPM_RC_SUCCESS: success");
}
END_TEST

START_TEST(text_positions)
{
	/* tpm2_rc_decode: 0x1c4 parameter(1), 0x184 handle(1), 0x9a2 session(1), 0x48e handle(4) */
	ck_assert_ptr_nonnull(strstr(err(0x1C4), "TPM_RC_VALUE (parameter 1): "));
	ck_assert_ptr_nonnull(strstr(err(0x184), "TPM_RC_VALUE (handle 1): "));
	ck_assert_ptr_nonnull(strstr(err(0x9A2), "TPM_RC_BAD_AUTH (session 1): "));
	ck_assert_ptr_nonnull(strstr(err(0x48E), "TPM_RC_AUTH_FAIL (handle 4): "));
	ck_assert_ptr_nonnull(strstr(err(0x78B), "TPM_RC_HANDLE (handle 7): "));
	/* 0xf8e session(7); 0x7c4 parameter(7) */
	ck_assert_ptr_nonnull(strstr(err(0xF8E), "TPM_RC_AUTH_FAIL (session 7): "));
	ck_assert_ptr_nonnull(strstr(err(0x7C4), "TPM_RC_VALUE (parameter 7): "));
	/*
	 * N is four bits (Part 2, 6.6.2), so 0xFC4 is parameter 15; tpm2_rc_decode
	 * prints "parameter(7)" for it, which does not follow the figure.
	 */
	ck_assert_ptr_nonnull(strstr(err(0xFC4), "TPM_RC_VALUE (parameter 15): "));
	/* number 0 / session 0: 0x88e "session(unk)", 0x0c4 "parameter(unk)" */
	ck_assert_ptr_nonnull(strstr(err(0x88E), "TPM_RC_AUTH_FAIL (session): "));
	ck_assert_ptr_nonnull(strstr(err(0x0C4), "TPM_RC_VALUE (parameter): "));
	/* With P set all four N bits count: parameter 8 (tpm2_rc_decode: "parameter(unk)"). */
	ck_assert_ptr_nonnull(strstr(err(0x8C4), "TPM_RC_VALUE (parameter 8): "));
	/* no number at all: no position */
	ck_assert_ptr_nonnull(strstr(err(0x08E), "TPM_RC_AUTH_FAIL: "));
	/* format-zero codes never carry a number */
	ck_assert_ptr_null(strstr(err(0x146), "("));
	ck_assert_ptr_nonnull(strstr(err(0x146), "TPM_RC_NV_RANGE: "));
}
END_TEST

START_TEST(text_warnings_and_unknown)
{
	ck_assert_ptr_nonnull(strstr(err(0x902), "TPM_RC_OBJECT_MEMORY (warning): "));
	ck_assert_ptr_nonnull(strstr(err(0x910), "TPM_RC_REFERENCE_H0 (warning): handle 1 "));
	ck_assert_ptr_nonnull(strstr(err(0x918), "TPM_RC_REFERENCE_S0 (warning): session 1 "));
	ck_assert_ptr_nonnull(strstr(err(0x917), "TPM_RC_UNKNOWN (warning): "));
	ck_assert_ptr_nonnull(strstr(err(0x917), "0x17"));
	ck_assert_ptr_nonnull(strstr(err(0x17F), "TPM_RC_UNKNOWN: "));
	ck_assert_ptr_nonnull(strstr(err(0x17F), "0x17F"));
	ck_assert_ptr_nonnull(strstr(err(0x2BF), "TPM_RC_UNKNOWN (handle 2): "));
	ck_assert_ptr_nonnull(strstr(err(0x2BF), "0x3F"));
	ck_assert_ptr_nonnull(strstr(err(0x198E), "TPM_RC_UNKNOWN 0x198E: "));
	ck_assert_ptr_nonnull(strstr(err(0x01000000), "TPM_RC_UNKNOWN 0x01000000: "));
	/* vendor, with the S bit */
	ck_assert_ptr_nonnull(strstr(err(0x512), "TPM_RC_VENDOR 0x512: vendor-defined code 0x12"));
	ck_assert_ptr_nonnull(strstr(err(0xD00), "TPM_RC_VENDOR 0xD00 (warning): "));
	/* TPM 1.2 */
	ck_assert_ptr_nonnull(strstr(err(0x003), "TPM1.2 code 0x003: "));
	ck_assert_ptr_nonnull(strstr(err(0x01E), "TPM_RC_BAD_TAG: "));
	/* every known code has a description */
	for (unsigned c = 0; c < 0x1000; c++) {
		const char *n = btpm_rc_name((int)c);
		const char *s = err((int)c);
		ck_assert_msg(strncmp(s, n, strlen(n)) == 0, "0x%03X: %s", c, s);
		const char *colon = strstr(s, ": ");
		ck_assert_msg(colon && strlen(colon) > 6, "0x%03X: %s", c, s);
	}
}
END_TEST

START_TEST(text_layers)
{
	/* tpm2_rc_decode 0xb0143: "rmt:error(2.0): command code not supported" */
	ck_assert_str_eq(err(0x000B0143),
			 "RM/TSS layer code 0x000B0143 (layer 11, resource manager, TPM format, e.g. "
			 "the kernel's /dev/tpmrm0): TPM_RC_COMMAND_CODE: the TPM does not implement "
			 "this command code");
	/* tpm2_rc_decode 0xb098e: "rmt:session(1):the authorization HMAC check failed ..." */
	ck_assert_ptr_nonnull(strstr(err(0x000B098E), ": TPM_RC_AUTH_FAIL (session 1): "));
	ck_assert_str_eq(err(0x00070001), "RM/TSS layer code 0x00070001 (layer 7, ESAPI): code 0x0001 "
					  "of that layer");
	ck_assert_ptr_nonnull(strstr(err(0x000A000A), "(layer 10, TCTI)"));
	ck_assert_ptr_nonnull(strstr(err(0x000C0001), "(layer 12, resource manager)"));
	ck_assert_ptr_nonnull(strstr(err(0x00FF0000), "(layer 255, unknown layer)"));
}
END_TEST

START_TEST(text_local)
{
	ck_assert_str_eq(err(BTPM_E_IO), "BTPM_E_IO: transport I/O failed");
	ck_assert_str_eq(err(BTPM_E_TIMEOUT), "BTPM_E_TIMEOUT: the TPM did not answer in time");
	ck_assert_str_eq(err(-99), "BTPM_E_UNKNOWN: unknown local error -99");
	ck_assert_ptr_nonnull(strstr(err(INT_MIN), "-2147483648"));
	for (int rc = BTPM_E_EXISTS; rc < 0; rc++) {
		const char *s = err(rc);
		ck_assert_msg(strncmp(s, "BTPM_E_", 7) == 0 && strstr(s, ": "), "%d: %s", rc, s);
		ck_assert_msg(strstr(s, "UNKNOWN") == NULL, "%d: %s", rc, s);
	}
}
END_TEST

START_TEST(text_detail)
{
	struct btpm *t = calloc(1, sizeof(*t));
	struct btpm_transport tr;
	char buf[256];
	ck_assert_ptr_nonnull(t);
	memset(&tr, 0, sizeof(tr));

	/* no transport, empty detail: the bare sentence */
	ck_assert_str_eq(btpm_strerror(t, BTPM_E_IO, buf, sizeof(buf)), "BTPM_E_IO: transport I/O failed");
	t->tr = &tr;
	ck_assert_str_eq(btpm_strerror(t, BTPM_E_IO, buf, sizeof(buf)), "BTPM_E_IO: transport I/O failed");

	strcpy(tr.detail, "connect 127.0.0.1:2321: Connection refused");
	ck_assert_ptr_eq(btpm_strerror(t, BTPM_E_IO, buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, "BTPM_E_IO: transport I/O failed: connect 127.0.0.1:2321: Connection refused");
	/* TPM codes never get the transport's detail */
	ck_assert_str_eq(btpm_strerror(t, 0x18B, buf, sizeof(buf)),
			 "TPM_RC_HANDLE (handle 1): the handle is not correct for the use");
	ck_assert_str_eq(btpm_strerror(t, 0, buf, sizeof(buf)), "TPM_RC_SUCCESS: success");

	/* one line: control characters in the detail become spaces */
	strcpy(tr.detail, "line one\nline\ttwo\r");
	ck_assert_str_eq(btpm_strerror(t, BTPM_E_MALFORMED, buf, sizeof(buf)),
			 "BTPM_E_MALFORMED: the TPM response does not parse: line one line two ");

	/* a detail that fills its array without a NUL is read only to its end */
	memset(tr.detail, 'x', sizeof(tr.detail));
	char big[512];
	btpm_strerror(t, BTPM_E_IO, big, sizeof(big));
	ck_assert_uint_eq(strlen(big), strlen("BTPM_E_IO: transport I/O failed: ") + sizeof(tr.detail));
	free(t);
}
END_TEST

/* ---- small buffers ----------------------------------------------------------- */

START_TEST(buf_tiny)
{
	char buf[16];
	memset(buf, 'Z', sizeof(buf));
	/* cap 0: nothing written, still a string back */
	const char *s = btpm_strerror(NULL, 0x98E, buf, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "TPM_RC_AUTH_FAIL");
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 'Z');
	s = btpm_strerror(NULL, BTPM_E_IO, NULL, 0);
	ck_assert_str_eq(s, "BTPM_E_IO");
	s = btpm_strerror(NULL, 0x98E, NULL, 100);
	ck_assert_ptr_nonnull(s);

	/* cap 1: just the NUL */
	s = btpm_strerror(NULL, 0x98E, buf, 1);
	ck_assert_ptr_eq(s, buf);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'Z');

	/* cap 2, 3: no room for "...", a plain cut */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_str_eq(btpm_strerror(NULL, 0x98E, buf, 2), "T");
	ck_assert_int_eq(buf[2], 'Z');
	ck_assert_str_eq(btpm_strerror(NULL, 0x98E, buf, 3), "TP");
	ck_assert_int_eq(buf[3], 'Z');
	ck_assert_str_eq(btpm_strerror(NULL, 0x98E, buf, 4), "...");
	ck_assert_int_eq(buf[4], 'Z');
}
END_TEST

START_TEST(buf_truncation)
{
	char full[512], buf[600];
	btpm_strerror(NULL, 0x921, full, sizeof(full));
	size_t n = strlen(full);
	for (size_t cap = 4; cap <= n + 2; cap++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_ptr_eq(btpm_strerror(NULL, 0x921, buf, cap), buf);
		ck_assert_int_eq(buf[cap], 'Z'); /* nothing past cap */
		if (cap > n) {
			ck_assert_str_eq(buf, full);
			continue;
		}
		ck_assert_uint_eq(strlen(buf), cap - 1);
		ck_assert_str_eq(buf + cap - 4, "...");
		ck_assert_int_eq(strncmp(buf, full, cap - 4), 0);
	}
	/* exactly fitting: no ellipsis */
	ck_assert_str_eq(btpm_strerror(NULL, 0x921, buf, n + 1), full);
}
END_TEST

/* A cut never leaves half a UTF-8 sequence before the "...". */
START_TEST(buf_utf8)
{
	struct btpm *t = calloc(1, sizeof(*t));
	struct btpm_transport tr;
	ck_assert_ptr_nonnull(t);
	memset(&tr, 0, sizeof(tr));
	t->tr = &tr;
	strcpy(tr.detail, "\xC3\xA9\xC3\xA9\xE2\x82\xAC\xE2\x82\xAC\xF0\x9F\x94\x92\xF0\x9F\x94\x92");
	const char *prefix = "BTPM_E_IO: transport I/O failed: ";
	char full[256], buf[256];
	btpm_strerror(t, BTPM_E_IO, full, sizeof(full));
	size_t n = strlen(full);
	ck_assert_uint_eq(n, strlen(prefix) + 18);
	for (size_t cap = strlen(prefix) + 4; cap <= n; cap++) {
		btpm_strerror(t, BTPM_E_IO, buf, cap);
		size_t len = strlen(buf);
		ck_assert(len >= 3 && strcmp(buf + len - 3, "...") == 0);
		/* what precedes "..." is a prefix of the full text ending on a whole character */
		size_t k = len - 3;
		ck_assert_int_eq(strncmp(buf, full, k), 0);
		unsigned char next = (unsigned char)full[k];
		ck_assert_msg((next & 0xC0) != 0x80, "cap %zu cuts inside a character", cap);
	}
	free(t);
}
END_TEST

/* Every 16-bit code and a spread of others: bounded, terminated, never NULL. */
START_TEST(buf_sweep)
{
	char buf[40 + 8];
	for (uint32_t c = 0; c < 0x11000; c++) {
		/* all of bits 0-15, then layer 11 around a TPM code */
		int rc = (int)(c < 0x10000 ? c : 0x000B0000 | (c & 0xFFF));
		memset(buf, 'Z', sizeof(buf));
		const char *s = btpm_strerror(NULL, rc, buf, 40);
		ck_assert_ptr_eq(s, buf);
		ck_assert(memchr(buf, '\0', 40) != NULL);
		ck_assert_int_eq(buf[40], 'Z');
		ck_assert_ptr_nonnull(btpm_rc_name(rc));
	}
	static const int odd[] = {INT_MIN, INT_MIN + 1, -1000, -16, -1, 1, 0x7F, 0xFF0000,
				  0xFFFFFF, 0x1000000, INT_MAX};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		for (size_t cap = 1; cap < 40; cap++) {
			memset(buf, 'Z', sizeof(buf));
			btpm_strerror(NULL, odd[i], buf, cap);
			ck_assert_uint_lt(strlen(buf), cap);
			ck_assert_int_eq(buf[cap], 'Z');
		}
	}
}
END_TEST

static Suite *rc_suite(void)
{
	Suite *s = suite_create("rc");
	TCase *tc = tcase_create("names");
	tcase_add_test(tc, name_local);
	tcase_add_test(tc, name_format_zero);
	tcase_add_test(tc, name_format_one);
	tcase_add_test(tc, name_warnings);
	tcase_add_test(tc, name_other_kinds);
	tcase_add_test(tc, name_defined_set);
	tcase_add_test(tc, base_codes);
	tcase_add_test(tc, base_constants);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, text_examples);
	tcase_add_test(tc, text_positions);
	tcase_add_test(tc, text_warnings_and_unknown);
	tcase_add_test(tc, text_layers);
	tcase_add_test(tc, text_local);
	tcase_add_test(tc, text_detail);
	suite_add_tcase(s, tc);
	tc = tcase_create("buffers");
	tcase_add_test(tc, buf_tiny);
	tcase_add_test(tc, buf_truncation);
	tcase_add_test(tc, buf_utf8);
	tcase_add_test(tc, buf_sweep);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(rc_suite());
}
