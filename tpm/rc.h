/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TPM_RC helpers for callers inside the library and the CLI: base codes to
 * compare against, and btpm_rc_base() to strip the handle, parameter or
 * session number of a format-one code first (Part 2, 6.6.2).
 *
 *   if (btpm_rc_base(rc) == BTPM_RC_AUTH_FAIL) ...   matches 0x08E, 0x98E, ...
 *
 * The names, descriptions and the text for any code are in rc.c
 * (btpm_rc_name, btpm_strerror, declared in baretpm.h).
 */
#ifndef BTPM_RC_H
#define BTPM_RC_H

#include <stdint.h>

#include "baretpm.h"

/* Format bits (Part 2, 6.6.2; TPM_RC_VER1, _FMT1, _WARN, _P, _S, _N_MASK of Table 16). */
#define BTPM_RC_VER1 0x100
#define BTPM_RC_FMT1 0x080
#define BTPM_RC_WARN 0x900
#define BTPM_RC_P 0x040
#define BTPM_RC_S 0x800
#define BTPM_RC_N_MASK 0xF00

/*
 * Bits 16-23 carry a software layer, never set by a TPM: tpm2-tss numbering,
 * also used by the Linux kernel resource manager (/dev/tpmrm0), which answers
 * a command it does not know with TPM_RC_COMMAND_CODE in layer 11.
 */
#define BTPM_RC_LAYER_MASK 0x00FF0000
#define BTPM_RC_LAYER_SHIFT 16
#define BTPM_RC_LAYER_RESMGR_TPM 0x000B0000

/* Format-zero errors, RC_VER1 + n (Part 2, 6.6.3, Table 16). */
#define BTPM_RC_SEQUENCE 0x103
#define BTPM_RC_DISABLED 0x120
#define BTPM_RC_AUTH_MISSING 0x125
#define BTPM_RC_COMMAND_CODE 0x143
#define BTPM_RC_NV_RANGE 0x146
#define BTPM_RC_NV_SIZE 0x147
#define BTPM_RC_NV_LOCKED 0x148
#define BTPM_RC_NV_AUTHORIZATION 0x149
#define BTPM_RC_NV_UNINITIALIZED 0x14A
#define BTPM_RC_NV_SPACE 0x14B
#define BTPM_RC_NV_DEFINED 0x14C
#define BTPM_RC_BAD_CONTEXT 0x150

/* Format-one errors, RC_FMT1 + n (Table 16); compare with btpm_rc_base(). */
#define BTPM_RC_ATTRIBUTES 0x082
#define BTPM_RC_HASH 0x083
#define BTPM_RC_VALUE 0x084
#define BTPM_RC_HIERARCHY 0x085
#define BTPM_RC_TYPE 0x08A
#define BTPM_RC_HANDLE 0x08B
#define BTPM_RC_AUTH_FAIL 0x08E
#define BTPM_RC_SCHEME 0x092
#define BTPM_RC_SIZE 0x095
#define BTPM_RC_INSUFFICIENT 0x09A
#define BTPM_RC_SIGNATURE 0x09B
#define BTPM_RC_POLICY_FAIL 0x09D
#define BTPM_RC_INTEGRITY 0x09F
#define BTPM_RC_BAD_AUTH 0x0A2
#define BTPM_RC_CURVE 0x0A6

/* Warnings, RC_WARN + n (Table 16); LOCKOUT, RETRY, YIELDED, TESTING are in baretpm.h. */
#define BTPM_RC_CONTEXT_GAP 0x901
#define BTPM_RC_OBJECT_MEMORY 0x902
#define BTPM_RC_SESSION_MEMORY 0x903
#define BTPM_RC_MEMORY 0x904
#define BTPM_RC_SESSION_HANDLES 0x905
#define BTPM_RC_OBJECT_HANDLES 0x906
#define BTPM_RC_CANCELED 0x909
#define BTPM_RC_REFERENCE_H0 0x910 /* + i for handle i (0-based), up to H6 */
#define BTPM_RC_REFERENCE_S0 0x918 /* + i for session i (0-based), up to S6 */
#define BTPM_RC_NV_RATE 0x920
#define BTPM_RC_NV_UNAVAILABLE 0x923
#define BTPM_RC_NOT_USED 0x97F

/*
 * The code without the handle, parameter or session number of a format-one
 * code (0x98E, session 1 -> 0x08E); any other code unchanged. A software
 * layer in bits 16-23 is kept, so a resource manager's code never compares
 * equal to the TPM's own (0x000B098E -> 0x000B008E). A negative local code
 * passed through uint32_t comes back as itself (BTPM_E_IO -> BTPM_E_IO).
 */
BTPM_API int btpm_rc_base(uint32_t rc);

#endif
