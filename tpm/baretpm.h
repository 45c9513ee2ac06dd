/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * baretpm: a TPM 2.0 client with no TSS underneath.
 *
 * One opaque client context (struct btpm) per TPM connection. Every command
 * function takes it as its first argument and returns 0 on success, a
 * negative BTPM_E_* code for a local or transport failure, or a positive raw
 * TPM_RC from the TPM. btpm_strerror() turns any of them into text.
 */
#ifndef BARETPM_H
#define BARETPM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BTPM_API __attribute__((visibility("default")))

/* Local error codes (negative); positive values are TPM_RC codes. */
enum btpm_err {
	BTPM_OK = 0,
	BTPM_E_ARG = -1,       /* invalid argument from the caller */
	BTPM_E_CONFIG = -2,    /* malformed TCTI string or option */
	BTPM_E_NODEV = -3,     /* no TPM device or simulator found */
	BTPM_E_PERM = -4,      /* permission denied opening the TPM */
	BTPM_E_IO = -5,        /* read, write or connect failed */
	BTPM_E_TIMEOUT = -6,   /* the TPM did not answer in time */
	BTPM_E_CLOSED = -7,    /* connection closed in the middle of a command */
	BTPM_E_MALFORMED = -8, /* the TPM response does not parse */
	BTPM_E_TOOBIG = -9,    /* command or response exceeds its buffer */
	BTPM_E_NOTFOUND = -10, /* the requested item is not in the TPM */
	BTPM_E_BADHMAC = -11,  /* response authorization failed verification */
	BTPM_E_NOMEM = -12,    /* out of memory */
	BTPM_E_CRYPTO = -13,   /* a local cryptographic operation failed */
	BTPM_E_SIM = -14,      /* the simulator's control channel refused */
	BTPM_E_UNSUPPORTED = -15, /* not possible with this TPM or transport */
	BTPM_E_STORE = -16,    /* a token store file is corrupt or of an unknown version */
	BTPM_E_READONLY = -17, /* the token store cannot be written */
	BTPM_E_PINNED = -18,   /* the TPM's storage key is not the one the store pinned */
	BTPM_E_EXISTS = -19,   /* the item already exists */
};

/* A few TPM_RC values callers test for (Part 2, 6.6.3). */
#define BTPM_RC_SUCCESS 0x000u
#define BTPM_RC_INITIALIZE 0x100u
#define BTPM_RC_FAILURE 0x101u
#define BTPM_RC_LOCKOUT 0x921u
#define BTPM_RC_RETRY 0x922u
#define BTPM_RC_YIELDED 0x908u
#define BTPM_RC_TESTING 0x90Au

struct btpm;

/*
 * Open a TPM. tcti is a TCTI-style string ("device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321", "swtpm:path=/run/s.sock",
 * "mssim:host=...,port=..."); NULL picks, in order, BARETPM_TCTI,
 * TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI, /dev/tpmrm0, /dev/tpm0. On failure a
 * readable reason is written to err (if non-NULL).
 */
BTPM_API int btpm_open(struct btpm **out, const char *tcti, char *err, size_t errcap);
BTPM_API void btpm_close(struct btpm *t);

/* The TCTI string that btpm_open(NULL) would use, with where it came from. */
BTPM_API const char *btpm_tcti_default(const char **source);

/* The configuration string of an open context, as resolved. */
BTPM_API const char *btpm_tcti(const struct btpm *t);

/*
 * Text for any return code of this library: "TPM_RC_AUTH_FAIL (session 1):
 * the authorization HMAC check failed ..." or a local error, with the
 * transport's detail ("connect 127.0.0.1:2321: Connection refused") when the
 * context has one. t may be NULL. Returns buf (or, when buf is NULL or cap is
 * 0, the static name of the code).
 */
BTPM_API const char *btpm_strerror(const struct btpm *t, int rc, char *buf, size_t cap);

/* The name of a TPM_RC ("TPM_RC_HANDLE") or of a local error ("BTPM_E_IO"). */
BTPM_API const char *btpm_rc_name(int rc);

/* Commands sent since open (each once), for budgets and benchmarks. */
BTPM_API unsigned long btpm_commands_sent(const struct btpm *t);
/* Resends of a command the TPM answered with RETRY, YIELDED or TESTING. */
BTPM_API unsigned long btpm_commands_retried(const struct btpm *t);
/*
 * 1 when btpm_close() alone makes the TPM flush this client's transient
 * objects and sessions (a resource manager: /dev/tpmrmN), so a client about
 * to close need not flush them itself.
 */
BTPM_API int btpm_flushes_on_close(const struct btpm *t);
/*
 * A simulator transport connects for each command, so that processes can
 * take turns on a simulator that serves one connection at a time. Around an
 * operation of several commands (a login is 4), btpm_hold(t, 1) keeps one
 * connection until btpm_hold(t, 0), sparing a connect per command; other
 * processes wait meanwhile, so never hold across anything but TPM work.
 * A no-op for devices and a NULL t.
 */
BTPM_API void btpm_hold(struct btpm *t, int on);

/* ---- simulator control (swtpm and mssim transports only) ---------------- */

/* Power the simulator on (swtpm CMD_INIT / mssim power-on + NV-on). */
BTPM_API int btpm_sim_power_on(struct btpm *t);

/* ---- TPM commands (Part 3); arguments in spec order --------------------- */

#define BTPM_SU_CLEAR 0x0000u
#define BTPM_SU_STATE 0x0001u

BTPM_API int btpm_startup(struct btpm *t, uint16_t startup_type);
BTPM_API int btpm_shutdown(struct btpm *t, uint16_t shutdown_type);
BTPM_API int btpm_self_test(struct btpm *t, int full_test);

/* GetRandom: fills out[0..n), issuing as many commands as the TPM needs. */
BTPM_API int btpm_get_random(struct btpm *t, uint8_t *out, size_t n);

/* TPM_CAP (Part 2, 6.12) */
#define BTPM_CAP_ALGS 0x00000000u
#define BTPM_CAP_HANDLES 0x00000001u
#define BTPM_CAP_COMMANDS 0x00000002u
#define BTPM_CAP_PCRS 0x00000005u
#define BTPM_CAP_TPM_PROPERTIES 0x00000006u
#define BTPM_CAP_ECC_CURVES 0x00000008u

/* TPM_PT (Part 2, 6.13) */
#define BTPM_PT_FIXED 0x100u
#define BTPM_PT_VAR 0x200u
#define BTPM_PT_MANUFACTURER (BTPM_PT_FIXED + 5)
#define BTPM_PT_VENDOR_STRING_1 (BTPM_PT_FIXED + 6)
#define BTPM_PT_FIRMWARE_VERSION_1 (BTPM_PT_FIXED + 11)
#define BTPM_PT_FIRMWARE_VERSION_2 (BTPM_PT_FIXED + 12)
#define BTPM_PT_NV_BUFFER_MAX (BTPM_PT_FIXED + 44)
#define BTPM_PT_PERMANENT (BTPM_PT_VAR + 0)
#define BTPM_PT_LOCKOUT_COUNTER (BTPM_PT_VAR + 14)
#define BTPM_PT_MAX_AUTH_FAIL (BTPM_PT_VAR + 15)
#define BTPM_PT_LOCKOUT_INTERVAL (BTPM_PT_VAR + 16)
#define BTPM_PT_LOCKOUT_RECOVERY (BTPM_PT_VAR + 17)

/* Handle ranges (Part 2, 7.2) */
#define BTPM_HR_PCR 0x00000000u
#define BTPM_HR_NV_INDEX 0x01000000u
#define BTPM_HR_HMAC_SESSION 0x02000000u
#define BTPM_HR_POLICY_SESSION 0x03000000u
#define BTPM_HR_PERMANENT 0x40000000u
#define BTPM_HR_TRANSIENT 0x80000000u
#define BTPM_HR_PERSISTENT 0x81000000u

/* The largest list any one GetCapability answer can hold (MAX_CAP_BUFFER 1024). */
#define BTPM_CAP_MAX 256

struct btpm_alg_property {
	uint16_t alg;
	uint32_t attributes; /* TPMA_ALGORITHM */
};

struct btpm_tagged_property {
	uint32_t property;
	uint32_t value;
};

struct btpm_pcr_selection {
	uint16_t hash;
	uint8_t size_of_select;
	uint8_t select[32];
};

/* TPMS_CAPABILITY_DATA (Part 2, 10.10.2): one list, chosen by capability. */
struct btpm_capdata {
	uint32_t capability;
	uint32_t count;
	union {
		struct btpm_alg_property algs[BTPM_CAP_MAX];
		uint32_t handles[BTPM_CAP_MAX];
		uint32_t commands[BTPM_CAP_MAX]; /* TPMA_CC */
		struct btpm_pcr_selection pcrs[16];
		struct btpm_tagged_property props[BTPM_CAP_MAX];
		uint16_t curves[BTPM_CAP_MAX];
	} u;
};

/* One TPM2_GetCapability round trip; *more_data tells whether to go on. */
BTPM_API int btpm_get_capability(struct btpm *t, uint32_t capability, uint32_t property,
				 uint32_t count, int *more_data, struct btpm_capdata *out);

/*
 * Every entry of a capability from 'property' on, following moreData, until
 * the capability's range ends ('last' bounds properties and handles: e.g.
 * 0x1FF for the fixed properties). Entries beyond BTPM_CAP_MAX in total are
 * an error (BTPM_E_TOOBIG), never silently dropped.
 */
BTPM_API int btpm_get_capability_all(struct btpm *t, uint32_t capability, uint32_t property,
				     uint32_t last, struct btpm_capdata *out);

/* One TPM property value; BTPM_E_NOTFOUND if the TPM does not report it. */
BTPM_API int btpm_get_property(struct btpm *t, uint32_t property, uint32_t *value);

/* ---- objects and NV ------------------------------------------------------ */

#define BTPM_MAX_NAME 68     /* TPMU_NAME: alg id + SHA-512 digest */
#define BTPM_MAX_PUBLIC 1024 /* marshalled TPMT_PUBLIC (RSA-4096 fits) */
#define BTPM_MAX_NV_PUBLIC 128

struct btpm_name {
	uint16_t size;
	uint8_t name[BTPM_MAX_NAME];
};

/* TPM2_ReadPublic: the marshalled TPMT_PUBLIC and both names. */
struct btpm_read_public {
	uint16_t public_size;
	uint8_t public_area[BTPM_MAX_PUBLIC];
	struct btpm_name name;
	struct btpm_name qualified_name;
};
BTPM_API int btpm_read_public(struct btpm *t, uint32_t object, struct btpm_read_public *out);

/* TPM2_FlushContext */
BTPM_API int btpm_flush_context(struct btpm *t, uint32_t handle);

/* TPMS_NV_PUBLIC (Part 2, 13.5) */
struct btpm_nv_public {
	uint32_t nv_index;
	uint16_t name_alg;
	uint32_t attributes; /* TPMA_NV */
	uint16_t auth_policy_size;
	uint8_t auth_policy[64];
	uint16_t data_size;
	struct btpm_name name;
};

#define BTPM_TPMA_NV_PPREAD (1u << 16)
#define BTPM_TPMA_NV_OWNERREAD (1u << 17)
#define BTPM_TPMA_NV_AUTHREAD (1u << 18)
#define BTPM_TPMA_NV_POLICYREAD (1u << 19)
#define BTPM_TPMA_NV_WRITTEN (1u << 29)

BTPM_API int btpm_nv_read_public(struct btpm *t, uint32_t nv_index, struct btpm_nv_public *out);

/*
 * Read size bytes from offset of an NV index whose auth value is empty,
 * authorizing with the index itself (TPMA_NV_AUTHREAD) or else the owner
 * (TPMA_NV_OWNERREAD), as pub (from btpm_nv_read_public) says. Reads in
 * chunks of TPM_PT_NV_BUFFER_MAX.
 */
BTPM_API int btpm_nv_read(struct btpm *t, const struct btpm_nv_public *pub, uint16_t offset,
			  uint8_t *out, size_t size);

/* TPM2_PCR_Read of one bank: digests of the selected PCRs, in index order. */
struct btpm_pcr_values {
	uint32_t update_counter;
	uint16_t hash;
	uint16_t digest_size;
	unsigned count;
	uint8_t index[24];
	uint8_t digest[24][64];
};
/* Reads the PCRs in mask (bit i = PCR i, i < 24) from one bank; loops as needed. */
BTPM_API int btpm_pcr_read(struct btpm *t, uint16_t hash, uint32_t mask,
			   struct btpm_pcr_values *out);

/* ---- public areas (Part 2, 12.2.4 TPMT_PUBLIC) ---------------------------- */

/* TPM_ALG_ID (Part 2, 6.3) */
#define BTPM_ALG_RSA 0x0001u
#define BTPM_ALG_SHA1 0x0004u
#define BTPM_ALG_AES 0x0006u
#define BTPM_ALG_SHA256 0x000Bu
#define BTPM_ALG_SHA384 0x000Cu
#define BTPM_ALG_SHA512 0x000Du
#define BTPM_ALG_NULL 0x0010u
#define BTPM_ALG_CFB 0x0043u
#define BTPM_ALG_KEYEDHASH 0x0008u
#define BTPM_ALG_ECC 0x0023u
#define BTPM_ALG_ECDSA 0x0018u
#define BTPM_ECC_NIST_P256 0x0003u
#define BTPM_ECC_NIST_P384 0x0004u

/* TPMA_OBJECT (Part 2, 8.3) */
#define BTPM_OA_FIXED_TPM (1u << 1)
#define BTPM_OA_ST_CLEAR (1u << 2)
#define BTPM_OA_FIXED_PARENT (1u << 4)
#define BTPM_OA_SENSITIVE_DATA_ORIGIN (1u << 5)
#define BTPM_OA_USER_WITH_AUTH (1u << 6)
#define BTPM_OA_ADMIN_WITH_POLICY (1u << 7)
#define BTPM_OA_NO_DA (1u << 10)
#define BTPM_OA_RESTRICTED (1u << 16)
#define BTPM_OA_DECRYPT (1u << 17)
#define BTPM_OA_SIGN (1u << 18)

/* A marshalled TPMT_PUBLIC (the content of a TPM2B_PUBLIC). */
struct btpm_public {
	uint16_t size;
	uint8_t area[BTPM_MAX_PUBLIC];
};

/* What baretpm needs to know of a public area, parsed strictly. */
struct btpm_public_info {
	uint16_t type;
	uint16_t name_alg;
	uint32_t attributes;
	uint16_t curve;      /* ECC: TPMI_ECC_CURVE */
	uint16_t coord_size; /* ECC: size of x and y */
	uint8_t x[66], y[66];/* ECC: unique (the public point) */
	uint16_t scheme;     /* ECC/RSA/keyedhash scheme, BTPM_ALG_NULL if none */
	uint16_t sym_alg;    /* symmetric algorithm of a storage key, or NULL */
};

/* Parse a marshalled TPMT_PUBLIC (ECC, keyedhash or RSA), consuming all of it. */
BTPM_API int btpm_public_parse(const struct btpm_public *pub, struct btpm_public_info *out);
/* Name of an object: nameAlg || H(nameAlg, TPMT_PUBLIC) (Part 1, 16). */
BTPM_API int btpm_public_name(const struct btpm_public *pub, struct btpm_name *out);
/*
 * Templates. The SRK is the TCG Provisioning Guidance ECC NIST P-256 storage
 * key (restricted decrypt, AES-128-CFB, noDA, unique x = y = 32 zero bytes).
 * A signing key is an unrestricted ECC key with sign, fixedTPM, fixedParent,
 * sensitiveDataOrigin, userWithAuth and a NULL scheme (the scheme is chosen
 * at TPM2_Sign); no_da adds noDA. A sealed object is a keyedhash data object
 * with fixedTPM, fixedParent, userWithAuth (and noDA if asked).
 */
BTPM_API int btpm_template_srk(struct btpm_public *out);
BTPM_API int btpm_template_ecc_sign(struct btpm_public *out, uint16_t curve, int no_da);
BTPM_API int btpm_template_sealed(struct btpm_public *out, int no_da);

/* ---- entities and authorization sessions (Part 1, 19 and 21) ------------ */

/*
 * Something a command names in its handle area: the handle, its Name (needed
 * for HMAC sessions; leave size 0 for permanent handles, whose Name is the
 * handle itself) and, when it is authorized, its auth value. The auth value
 * is a secret: btpm_entity_wipe() when done.
 */
struct btpm_entity {
	uint32_t handle;
	struct btpm_name name;
	uint16_t auth_size;
	uint8_t auth[64];
};

/* A permanent handle (TPM_RH_OWNER, ...) with an auth value (may be empty). */
BTPM_API int btpm_entity_permanent(struct btpm_entity *e, uint32_t handle, const void *auth,
				   size_t auth_size);
/* Set the auth value of e (up to 64 bytes). */
BTPM_API int btpm_entity_set_auth(struct btpm_entity *e, const void *auth, size_t auth_size);
BTPM_API void btpm_entity_wipe(struct btpm_entity *e);

#define BTPM_RH_OWNER 0x40000001u
#define BTPM_RH_NULL 0x40000007u
#define BTPM_RS_PW 0x40000009u
#define BTPM_RH_LOCKOUT 0x4000000Au
#define BTPM_RH_ENDORSEMENT 0x4000000Bu
#define BTPM_RH_PLATFORM 0x4000000Cu

/* TPMA_SESSION bits (Part 2, 8.4) requested for the next command. */
#define BTPM_SESSION_CONTINUE 0x01u
#define BTPM_SESSION_DECRYPT 0x20u /* the TPM decrypts the first command parameter */
#define BTPM_SESSION_ENCRYPT 0x40u /* the TPM encrypts the first response parameter */

/*
 * An authorization session, passed explicitly to each command that uses it.
 * handle is 0 when the session is not started, BTPM_RS_PW for a password
 * session. Everything else is private to tpm/session.c. The session key and
 * nonces are wiped by btpm_session_flush()/btpm_session_wipe().
 */
struct btpm_session {
	uint32_t handle;
	uint8_t attrs;    /* TPMA_SESSION for the next command */
	uint8_t salted;
	uint16_t hash;    /* authHash */
	uint16_t nonce_size;
	uint16_t nonce_tpm_size;
	uint16_t key_size;
	uint8_t nonce_caller[64];
	uint8_t nonce_tpm[64];
	uint8_t key[64];
};

/* A password session (TPM_RS_PW): only for entities whose auth value is empty. */
BTPM_API void btpm_session_password(struct btpm_session *s);

/*
 * TPM2_StartAuthSession (Part 3, 11.1) for an HMAC session with SHA-256 and
 * AES-128-CFB parameter encryption. With salt_public (a marshalled TPMT_PUBLIC
 * of an ECC key the caller has pinned, loaded at salt_handle), the session is
 * salted by ECDH to that key (Part 1, annex C.6.1): only a TPM holding its
 * private key can derive the session key. The key the TPM has at salt_handle
 * is never read back and trusted: a different key makes the first command
 * that uses the session fail (TPM_RC_BAD_AUTH / BTPM_E_BADHMAC).
 * salt_public NULL starts an unsalted session (its key protects nothing
 * secret). Attributes start as CONTINUE|DECRYPT|ENCRYPT.
 */
BTPM_API int btpm_session_start(struct btpm *t, struct btpm_session *s, uint32_t salt_handle,
				const uint8_t *salt_public, size_t salt_public_size);
/* Flush a started session from the TPM (if still there) and wipe it. */
BTPM_API int btpm_session_flush(struct btpm *t, struct btpm_session *s);
/* Wipe a session without telling the TPM (after it ended by itself). */
BTPM_API void btpm_session_wipe(struct btpm_session *s);

/* ---- EK certificates (TCG EK Credential Profile 2.x, section 2.2.1.4) ------ */

struct btpm_ek_index {
	uint32_t nv_index;
	const char *what; /* "RSA 2048", "ECC NIST P256", ... */
	int ecc;
};
/* The well-known EK certificate indices, low and high range. */
BTPM_API const struct btpm_ek_index *btpm_ek_cert_indices(size_t *count);

/*
 * Read the EK certificate at one index into out (DER). Returns
 * BTPM_E_NOTFOUND when the index is not defined or not written.
 */
BTPM_API int btpm_ek_cert_read(struct btpm *t, uint32_t nv_index, uint8_t *out, size_t cap,
			       size_t *len);

#ifdef __cplusplus
}
#endif
#endif
