/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names and readable text for every return code of the library: the local
 * BTPM_E_* codes and the TPM's TPM_RC (Part 2, 6.6). Everything here is a
 * constant table or a pure function, so it is safe from any thread.
 */
#include "rc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Format-zero fields (Part 2, 6.6.2, format-zero figure): E, V, T, S. */
#define RC0_E_MASK 0x07Fu
#define RC0_T 0x400u /* vendor defined */
/* Format-one fields (Part 2, 6.6.2, format-one figure): E, P, N. */
#define RC1_E_MASK 0x03Fu
#define RC_N_SHIFT 8
#define RC_RESERVED_MASK 0xF000u /* bits 12-15: zero in any TPM 2.0 code */
#define RC_LAYER_MAX 0x00FFFFFFu
/* TPM_RC_BAD_TAG: the one TPM 1.2-format code Part 2 (Table 16) defines. */
#define RC_BAD_TAG 0x01Eu

struct rc_entry {
	uint16_t code;
	const char *name;
	const char *desc;
};

/*
 * Part 2, 6.6.3, Table 16. Descriptions restate the table's description
 * column; RETRY, YIELDED and TESTING describe what is left after btpm_exec()
 * has retried them. Codes after SENSITIVE, FW_LIMITED / SVN_LIMITED and
 * CHANNEL are from the later revisions (1.59 and 1.83/184).
 */
static const struct rc_entry rc_table[] = {
	/* format zero, RC_VER1 + n */
	{0x100, "TPM_RC_INITIALIZE",
	 "the TPM has not been started (TPM2_Startup); run 'baretpm startup' "
	 "(from TPM2_Startup itself it means the TPM was already started)"},
	{0x101, "TPM_RC_FAILURE",
	 "the TPM is in failure mode; only TPM2_GetTestResult and TPM2_GetCapability "
	 "work until it is reset"},
	{0x103, "TPM_RC_SEQUENCE", "the sequence object is missing or used the wrong way"},
	{0x10B, "TPM_RC_PRIVATE", "reserved code, not used by the specification"},
	{0x119, "TPM_RC_HMAC", "reserved code, not used by the specification"},
	{0x120, "TPM_RC_DISABLED", "the command is disabled"},
	{0x121, "TPM_RC_EXCLUSIVE",
	 "an exclusive audit session lost its exclusivity to another command"},
	{0x124, "TPM_RC_AUTH_TYPE", "the authorization handle is not right for this command"},
	{0x125, "TPM_RC_AUTH_MISSING",
	 "the command needs an authorization session for a handle and none was given"},
	{0x126, "TPM_RC_POLICY",
	 "a policy computation failed or the authPolicy value is not valid"},
	{0x127, "TPM_RC_PCR", "the PCR check of the policy failed"},
	{0x128, "TPM_RC_PCR_CHANGED", "the PCRs changed after the policy session checked them"},
	{0x12D, "TPM_RC_UPGRADE",
	 "the TPM is in field-upgrade mode (or, for TPM2_FieldUpgradeData, it is not)"},
	{0x12E, "TPM_RC_TOO_MANY_CONTEXTS", "the context ID counter has reached its maximum"},
	{0x12F, "TPM_RC_AUTH_UNAVAILABLE",
	 "the entity has no authValue or authPolicy usable for this authorization"},
	{0x130, "TPM_RC_REBOOT",
	 "the TPM must be reset (_TPM_Init) and started with TPM2_Startup(CLEAR) to go on"},
	{0x131, "TPM_RC_UNBALANCED",
	 "the session's hash is weaker than its symmetric algorithm: the digest must be "
	 "at least as large as the key"},
	{0x142, "TPM_RC_COMMAND_SIZE",
	 "the commandSize field does not match the bytes sent or is too small for a header"},
	{0x143, "TPM_RC_COMMAND_CODE", "the TPM does not implement this command code"},
	{0x144, "TPM_RC_AUTHSIZE",
	 "the authorization area size is out of range or larger than the command needs"},
	{0x145, "TPM_RC_AUTH_CONTEXT",
	 "an authorization session was given to a command that cannot take one"},
	{0x146, "TPM_RC_NV_RANGE", "the NV offset plus size is beyond the end of the index"},
	{0x147, "TPM_RC_NV_SIZE", "the requested NV size is larger than the TPM allows"},
	{0x148, "TPM_RC_NV_LOCKED", "the NV index is locked against this access"},
	{0x149, "TPM_RC_NV_AUTHORIZATION",
	 "the NV index does not allow this kind of authorization for the access "
	 "(no dictionary-attack effect)"},
	{0x14A, "TPM_RC_NV_UNINITIALIZED",
	 "the NV index has not been written yet, or the state saved at shutdown could not "
	 "be restored"},
	{0x14B, "TPM_RC_NV_SPACE", "there is not enough NV memory left for the allocation"},
	{0x14C, "TPM_RC_NV_DEFINED",
	 "an NV index or persistent object already exists at that handle"},
	{0x150, "TPM_RC_BAD_CONTEXT", "the context given to TPM2_ContextLoad is not valid"},
	{0x151, "TPM_RC_CPHASH", "the policy's cpHash is already set or does not fit this use"},
	{0x152, "TPM_RC_PARENT", "the parent handle does not refer to a valid parent"},
	{0x153, "TPM_RC_NEEDS_TEST",
	 "a function needed by the command has not been self-tested yet"},
	{0x154, "TPM_RC_NO_RESULT",
	 "an internal function could not produce a result, usually because of a parameter "
	 "value the input checks let through"},
	{0x155, "TPM_RC_SENSITIVE", "the sensitive area did not parse after decryption"},
	{0x156, "TPM_RC_READ_ONLY", "the TPM is in read-only mode and refused a state change"},

	/* format one, RC_FMT1 + n */
	{0x081, "TPM_RC_ASYMMETRIC", "the asymmetric algorithm is not supported or not right here"},
	{0x082, "TPM_RC_ATTRIBUTES", "the attributes are inconsistent"},
	{0x083, "TPM_RC_HASH", "the hash algorithm is not supported or not appropriate"},
	{0x084, "TPM_RC_VALUE", "value is out of range or not correct for the context"},
	{0x085, "TPM_RC_HIERARCHY", "the hierarchy is disabled or not right for this use"},
	{0x087, "TPM_RC_KEY_SIZE", "the key size is not supported"},
	{0x088, "TPM_RC_MGF", "the mask generation function is not supported"},
	{0x089, "TPM_RC_MODE", "the mode of operation is not supported"},
	{0x08A, "TPM_RC_TYPE", "the type of the value is not appropriate for this use"},
	{0x08B, "TPM_RC_HANDLE", "the handle is not correct for the use"},
	{0x08C, "TPM_RC_KDF", "the key derivation function is not supported or not appropriate"},
	{0x08D, "TPM_RC_RANGE", "a value is outside its allowed range"},
	{0x08E, "TPM_RC_AUTH_FAIL",
	 "the authorization HMAC check failed; the dictionary-attack counter was incremented"},
	{0x08F, "TPM_RC_NONCE", "the nonce has a wrong size or does not match"},
	{0x090, "TPM_RC_PP", "the authorization needs physical presence to be asserted"},
	{0x092, "TPM_RC_SCHEME", "the scheme is not supported or not compatible"},
	{0x095, "TPM_RC_SIZE", "a structure has the wrong size"},
	{0x096, "TPM_RC_SYMMETRIC",
	 "the symmetric algorithm or key size is not supported or not appropriate"},
	{0x097, "TPM_RC_TAG", "a structure tag is wrong"},
	{0x098, "TPM_RC_SELECTOR", "a union selector is wrong"},
	{0x09A, "TPM_RC_INSUFFICIENT", "the input ended before a value could be read"},
	{0x09B, "TPM_RC_SIGNATURE", "the signature is not valid"},
	{0x09C, "TPM_RC_KEY", "the key's fields do not suit the selected use"},
	{0x09D, "TPM_RC_POLICY_FAIL", "a policy check failed"},
	{0x09F, "TPM_RC_INTEGRITY", "an integrity check failed"},
	{0x0A0, "TPM_RC_TICKET", "the ticket is not valid"},
	{0x0A1, "TPM_RC_RESERVED_BITS", "reserved bits are set; they must be zero"},
	{0x0A2, "TPM_RC_BAD_AUTH", "the authorization failed, with no dictionary-attack effect"},
	{0x0A3, "TPM_RC_EXPIRED", "the policy has expired"},
	{0x0A4, "TPM_RC_POLICY_CC",
	 "the policy is bound to another command code, or names a command the TPM lacks"},
	{0x0A5, "TPM_RC_BINDING",
	 "the public and sensitive parts of the object are not cryptographically bound"},
	{0x0A6, "TPM_RC_CURVE", "the ECC curve is not supported"},
	{0x0A7, "TPM_RC_ECC_POINT", "the point is not on the required curve"},
	{0x0A8, "TPM_RC_FW_LIMITED",
	 "the hierarchy is firmware-limited and the firmware secret is not available"},
	{0x0A9, "TPM_RC_SVN_LIMITED",
	 "the hierarchy is SVN-limited and the firmware SVN secret for that SVN is not "
	 "available"},
	{0x0AA, "TPM_RC_PARMS", "the parameter set is not supported"},
	{0x0AB, "TPM_RC_EXT_MU", "signing with an external mu is not supported"},
	{0x0AC, "TPM_RC_ONE_SHOT_SIGNATURE",
	 "the TPM cannot sign a message of arbitrary length with this key; the whole message "
	 "must be in one buffer"},
	{0x0AD, "TPM_RC_SIGN_CONTEXT_KEY",
	 "the key finishing the signature sequence is not the one that started it"},
	{0x0B0, "TPM_RC_CHANNEL", "the command requires a protected secure channel"},
	{0x0B1, "TPM_RC_CHANNEL_KEY",
	 "the secure channel was not set up with the required requester or TPM key"},

	/* warnings, RC_WARN + n */
	{0x901, "TPM_RC_CONTEXT_GAP",
	 "the gap between context IDs is too large; load or flush the oldest saved session"},
	{0x902, "TPM_RC_OBJECT_MEMORY",
	 "the TPM has no memory for another object; flush transient objects"},
	{0x903, "TPM_RC_SESSION_MEMORY",
	 "the TPM has no memory for another session; flush sessions"},
	{0x904, "TPM_RC_MEMORY",
	 "the TPM is out of shared object/session memory or needs room for internal work"},
	{0x905, "TPM_RC_SESSION_HANDLES", "the TPM is out of session handles; flush a session"},
	{0x906, "TPM_RC_OBJECT_HANDLES",
	 "the TPM is out of object handles; it must be restarted"},
	{0x907, "TPM_RC_LOCALITY", "the command is not allowed from this locality"},
	{0x908, "TPM_RC_YIELDED", "the TPM kept suspending the command (yielded); gave up"},
	{0x909, "TPM_RC_CANCELED", "the command was cancelled"},
	{0x90A, "TPM_RC_TESTING",
	 "the TPM was still running its self-tests after every retry; try again later"},
	{0x910, "TPM_RC_REFERENCE_H0",
	 "handle 1 refers to a transient object or session that is not loaded"},
	{0x911, "TPM_RC_REFERENCE_H1",
	 "handle 2 refers to a transient object or session that is not loaded"},
	{0x912, "TPM_RC_REFERENCE_H2",
	 "handle 3 refers to a transient object or session that is not loaded"},
	{0x913, "TPM_RC_REFERENCE_H3",
	 "handle 4 refers to a transient object or session that is not loaded"},
	{0x914, "TPM_RC_REFERENCE_H4",
	 "handle 5 refers to a transient object or session that is not loaded"},
	{0x915, "TPM_RC_REFERENCE_H5",
	 "handle 6 refers to a transient object or session that is not loaded"},
	{0x916, "TPM_RC_REFERENCE_H6",
	 "handle 7 refers to a transient object or session that is not loaded"},
	{0x918, "TPM_RC_REFERENCE_S0", "session 1 refers to a session that is not loaded"},
	{0x919, "TPM_RC_REFERENCE_S1", "session 2 refers to a session that is not loaded"},
	{0x91A, "TPM_RC_REFERENCE_S2", "session 3 refers to a session that is not loaded"},
	{0x91B, "TPM_RC_REFERENCE_S3", "session 4 refers to a session that is not loaded"},
	{0x91C, "TPM_RC_REFERENCE_S4", "session 5 refers to a session that is not loaded"},
	{0x91D, "TPM_RC_REFERENCE_S5", "session 6 refers to a session that is not loaded"},
	{0x91E, "TPM_RC_REFERENCE_S6", "session 7 refers to a session that is not loaded"},
	{0x920, "TPM_RC_NV_RATE",
	 "the TPM is limiting the rate of NV writes to avoid wearing out its NV memory; "
	 "wait and try again"},
	{0x921, "TPM_RC_LOCKOUT",
	 "the TPM is in dictionary-attack lockout; wait for the recovery time or reset it "
	 "with the lockout authorization (baretpm dareset)"},
	{0x922, "TPM_RC_RETRY", "the TPM kept asking to retry; gave up"},
	{0x923, "TPM_RC_NV_UNAVAILABLE",
	 "the command may need to write NV memory and NV is not accessible now"},
	{0x97F, "TPM_RC_NOT_USED", "a reserved code that a TPM never returns"},
};

/* baretpm.h, enum btpm_err: index is -code. */
static const struct {
	const char *name;
	const char *desc;
} local_table[] = {
	{"BTPM_OK", "success"},
	{"BTPM_E_ARG", "invalid argument"},
	{"BTPM_E_CONFIG", "malformed TCTI string or option"},
	{"BTPM_E_NODEV", "no TPM device or simulator found"},
	{"BTPM_E_PERM", "permission denied opening the TPM"},
	{"BTPM_E_IO", "transport I/O failed"},
	{"BTPM_E_TIMEOUT", "the TPM did not answer in time"},
	{"BTPM_E_CLOSED", "the connection closed in the middle of a command"},
	{"BTPM_E_MALFORMED", "the TPM response does not parse"},
	{"BTPM_E_TOOBIG", "the command or response does not fit its buffer"},
	{"BTPM_E_NOTFOUND", "the requested item is not in the TPM"},
	{"BTPM_E_BADHMAC", "the response authorization failed verification"},
	{"BTPM_E_NOMEM", "out of memory"},
	{"BTPM_E_CRYPTO", "a local cryptographic operation failed"},
	{"BTPM_E_SIM", "the simulator's control channel refused the request"},
	{"BTPM_E_UNSUPPORTED", "not possible with this TPM or transport"},
	{"BTPM_E_STORE", "a token store file is corrupt or of an unknown version"},
	{"BTPM_E_READONLY", "the token store cannot be written"},
	{"BTPM_E_PINNED", "the TPM's storage key is not the one recorded in the token store "
			  "(another TPM, a cleared TPM, or an interposer)"},
	{"BTPM_E_EXISTS", "the item already exists"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct rc_entry *lookup(uint32_t code)
{
	for (size_t i = 0; i < COUNT(rc_table); i++)
		if (rc_table[i].code == code)
			return &rc_table[i];
	return NULL;
}

/* The sign of an int that went through uint32_t, restored without overflow. */
static int as_int(uint32_t v)
{
	return v > (uint32_t)INT_MAX ? -(int)(~v) - 1 : (int)v;
}

int btpm_rc_base(uint32_t rc)
{
	if (rc > (uint32_t)INT_MAX)
		return as_int(rc);
	uint32_t layer = rc & BTPM_RC_LAYER_MASK;
	if (rc > RC_LAYER_MAX || (layer && layer != BTPM_RC_LAYER_RESMGR_TPM))
		return (int)rc;
	/* Part 2, 6.6.2: only format one carries N and P. */
	if (rc & BTPM_RC_FMT1)
		rc &= ~(uint32_t)(BTPM_RC_N_MASK | BTPM_RC_P);
	return (int)rc;
}

/* Name of a code of the TPM's own layer (bits 16-31 clear). */
static const char *tpm_name(uint32_t rc)
{
	if (rc == 0)
		return "TPM_RC_SUCCESS";
	if (rc & RC_RESERVED_MASK)
		return "TPM_RC_UNKNOWN";
	if (rc & BTPM_RC_FMT1) {
		const struct rc_entry *e = lookup((uint32_t)btpm_rc_base(rc));
		return e ? e->name : "TPM_RC_UNKNOWN";
	}
	/* Part 2, 6.6.2: format zero with V clear is a TPM 1.2 code. */
	if (!(rc & BTPM_RC_VER1))
		return rc == RC_BAD_TAG ? "TPM_RC_BAD_TAG" : "TPM1.2 code";
	if (rc & RC0_T)
		return "TPM_RC_VENDOR";
	const struct rc_entry *e = lookup(rc);
	return e ? e->name : "TPM_RC_UNKNOWN";
}

const char *btpm_rc_name(int rc)
{
	if (rc < 0) {
		/* -(long long) keeps INT_MIN from overflowing. */
		long long i = -(long long)rc;
		return i < (long long)COUNT(local_table) ? local_table[i].name : "BTPM_E_UNKNOWN";
	}
	uint32_t u = (uint32_t)rc;
	if (u > RC_LAYER_MAX)
		return "TPM_RC_UNKNOWN";
	if (u & BTPM_RC_LAYER_MASK)
		return "RM/TSS layer code";
	return tpm_name(u);
}

/* ---- text ---------------------------------------------------------------- */

/* A bounded writer: never past cap, always NUL-terminated when cap > 0. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
	int truncated;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	if (o->truncated)
		return;
	size_t room = o->cap - o->len; /* >= 1: the NUL always fits */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->buf[o->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		o->len = o->cap - 1;
		o->truncated = 1;
	} else {
		o->len += (size_t)n;
	}
}

/* Text from elsewhere (transport detail): control characters become spaces. */
static void put_clean(struct out *o, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i] && !o->truncated; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			c = ' ';
		if (o->len + 1 >= o->cap) {
			o->truncated = 1;
			break;
		}
		o->buf[o->len++] = (char)c;
	}
	o->buf[o->len] = '\0';
}

/* Mark a cut with "...", not splitting a UTF-8 sequence the detail may hold. */
static void finish(struct out *o)
{
	if (!o->truncated || o->cap < 4)
		return;
	size_t k = o->cap - 4;
	while (k > 0 && ((unsigned char)o->buf[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && (unsigned char)o->buf[k - 1] >= 0xC0)
		k--;
	memcpy(o->buf + k, "...", 4);
	o->len = k + 3;
}

/* Format one: where the error is (Part 2, 6.6.2): parameter N, handle N, session N-8. */
static void put_position(struct out *o, uint32_t rc)
{
	unsigned n = (rc & BTPM_RC_N_MASK) >> RC_N_SHIFT;
	if (rc & BTPM_RC_P) {
		if (n)
			put(o, " (parameter %u)", n);
		else
			put(o, " (parameter)");
	} else if (n > 8) {
		put(o, " (session %u)", n - 8);
	} else if (n == 8) {
		put(o, " (session)");
	} else if (n) {
		put(o, " (handle %u)", n);
	}
}

/* A code of the TPM's own layer (bits 16-31 clear, rc != 0). */
static void put_tpm(struct out *o, uint32_t rc)
{
	const char *name = tpm_name(rc);
	if (rc & RC_RESERVED_MASK) {
		put(o, "%s 0x%X: reserved bits 12-15 are set; not a TPM 2.0 response code", name,
		    (unsigned)rc);
		return;
	}
	if (rc & BTPM_RC_FMT1) {
		const struct rc_entry *e = lookup((uint32_t)btpm_rc_base(rc));
		put(o, "%s", name);
		put_position(o, rc);
		if (e)
			put(o, ": %s", e->desc);
		else
			put(o, ": format-one error 0x%02X (0x%03X) is not defined in TPM 2.0 Part 2",
			    (unsigned)(rc & RC1_E_MASK), (unsigned)rc);
		return;
	}
	if (!(rc & BTPM_RC_VER1)) {
		if (rc == RC_BAD_TAG)
			put(o, "%s: the command tag is not valid (a TPM 1.2 answers TPM 2.0 "
			       "commands this way)", name);
		else
			put(o, "%s 0x%03X: a TPM 1.2-format response; is this a TPM 1.2 device?",
			    name, (unsigned)rc);
		return;
	}
	const char *warn = rc & BTPM_RC_S ? " (warning)" : "";
	if (rc & RC0_T) {
		put(o, "%s 0x%03X%s: vendor-defined code 0x%02X; see the TPM maker's documentation",
		    name, (unsigned)rc, warn, (unsigned)(rc & RC0_E_MASK));
		return;
	}
	const struct rc_entry *e = lookup(rc);
	if (e)
		put(o, "%s%s: %s", name, warn, e->desc);
	else
		put(o, "%s%s: format-zero %s 0x%02X (0x%03X) is not defined in TPM 2.0 Part 2", name,
		    warn, rc & BTPM_RC_S ? "warning" : "error", (unsigned)(rc & RC0_E_MASK),
		    (unsigned)rc);
}

/* tpm2-tss layer numbers (tss2_common.h), the kernel's being 11. */
static const char *layer_name(unsigned layer)
{
	switch (layer) {
	case 6: return "FAPI";
	case 7: return "ESAPI";
	case 8: return "SAPI";
	case 9: return "marshalling";
	case 10: return "TCTI";
	case 11: return "resource manager, TPM format, e.g. the kernel's /dev/tpmrm0";
	case 12: return "resource manager";
	case 13: return "driver";
	default: return "unknown layer";
	}
}

const char *btpm_strerror(const struct btpm *t, int rc, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return btpm_rc_name(rc); /* nothing may be written; still a string */
	struct out o = {buf, cap, 0, 0};
	buf[0] = '\0';

	if (rc < 0) {
		long long i = -(long long)rc;
		if (i < (long long)COUNT(local_table))
			put(&o, "%s: %s", local_table[i].name, local_table[i].desc);
		else
			put(&o, "BTPM_E_UNKNOWN: unknown local error %d", rc);
		const struct btpm_transport *tr = t ? t->tr : NULL;
		if (tr && tr->detail[0]) {
			put(&o, ": ");
			put_clean(&o, tr->detail, sizeof(tr->detail));
		}
	} else if (rc == 0) {
		put(&o, "TPM_RC_SUCCESS: success");
	} else {
		uint32_t u = (uint32_t)rc;
		uint32_t layer = (u & BTPM_RC_LAYER_MASK) >> BTPM_RC_LAYER_SHIFT;
		if (u > RC_LAYER_MAX) {
			put(&o, "TPM_RC_UNKNOWN 0x%08X: not a TPM 2.0 response code", (unsigned)u);
		} else if (layer) {
			put(&o, "%s 0x%08X (layer %u, %s)", btpm_rc_name(rc), (unsigned)u, layer,
			    layer_name(layer));
			/* Layer 11 wraps a code in TPM format (Part 2, 6.6); others are the layer's own. */
			if ((u & BTPM_RC_LAYER_MASK) == BTPM_RC_LAYER_RESMGR_TPM && (u & 0xFFFFu)) {
				put(&o, ": ");
				put_tpm(&o, u & 0xFFFFu);
			} else {
				put(&o, ": code 0x%04X of that layer", (unsigned)(u & 0xFFFFu));
			}
		} else {
			put_tpm(&o, u);
		}
	}
	finish(&o);
	return buf;
}
