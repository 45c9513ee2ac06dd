/* SPDX-License-Identifier: BSD-2-Clause */
/* Library-internal: the client context, command descriptors and execution. */
#ifndef BTPM_INTERNAL_H
#define BTPM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "baretpm.h"
#include "buf.h"
#include "transport.h"

/* MAX_COMMAND_SIZE / MAX_RESPONSE_SIZE of common TPMs (TPM2_PT_MAX_*_SIZE). */
#define BTPM_MAX_COMMAND 4096
#define BTPM_MAX_RESPONSE 4096
#define BTPM_MAX_RETRIES 12

/* TPM_ST (Part 2, 6.9) */
#define BTPM_ST_NO_SESSIONS 0x8001u
#define BTPM_ST_SESSIONS 0x8002u

/*
 * A command descriptor: everything the execution and session code needs to
 * know about a command's shape (Part 3, each command's table).
 */
struct btpm_cmd {
	uint32_t cc;
	uint8_t handles;     /* handles in the handle area */
	uint8_t auths;       /* how many of them (the first ones) take authorization */
	uint8_t rsp_handles; /* handles in the response's handle area */
	uint8_t flags;
	const char *name;
};
#define BTPM_CMD_ENC_PARAM 0x01 /* first command parameter is a TPM2B */
#define BTPM_CMD_ENC_RSP 0x02   /* first response parameter is a TPM2B */

extern const struct btpm_cmd btpm_cmd_startup, btpm_cmd_shutdown, btpm_cmd_self_test,
	btpm_cmd_get_capability, btpm_cmd_get_random, btpm_cmd_read_public,
	btpm_cmd_nv_read_public, btpm_cmd_nv_read, btpm_cmd_pcr_read, btpm_cmd_flush_context,
	btpm_cmd_start_auth_session;

/* The response of btpm_exec: its handle (if any) and a view of its parameters. */
struct btpm_rsp {
	uint32_t handle;
	struct btpm_buf params;
};

struct btpm {
	struct btpm_transport *tr;
	char tcti[320];
	unsigned long sent;    /* commands, each counted once */
	unsigned long retries; /* resends after RETRY/YIELDED/TESTING */
	uint8_t cmd[BTPM_MAX_COMMAND];
	uint8_t rsp[BTPM_MAX_RESPONSE];
	uint8_t param[BTPM_MAX_COMMAND];
	struct btpm_buf pb;
	struct btpm_capdata cap_scratch; /* one GetCapability answer in flight */
	uint32_t nv_buffer_max;          /* TPM_PT_NV_BUFFER_MAX, 0 until asked */
};

/* Start a command's parameter area; returns the cursor to fill. */
struct btpm_buf *btpm_params(struct btpm *t);

/*
 * Run one command: marshal header, handles, authorization area and the
 * parameters built since btpm_params(); send it, retrying bounded times on
 * RETRY/YIELDED/TESTING; check the response's framing and, for HMAC sessions,
 * its HMACs (constant time, before any output is used), then decrypt the
 * first response parameter if a session asked for it.
 *
 * handles[i] (c->handles of them) name the handle area. sessions[i] for
 * i < c->auths authorizes handles[i] with handles[i]->auth; sessions from
 * c->auths to nsessions-1 take no authorization role (parameter encryption
 * only). On success r->params is a view of the response parameters (valid
 * until the next command) that the caller must parse and finish with
 * btpm_buf_end().
 */
int btpm_exec(struct btpm *t, const struct btpm_cmd *c, const struct btpm_entity *const *handles,
	      struct btpm_session *const *sessions, unsigned nsessions, struct btpm_rsp *r);

/* Set the context's detail text for a local error (printf-like). */
void btpm_set_detail(struct btpm *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Build a context around an open transport (tests use a fake one). */
int btpm_open_transport(struct btpm **out, struct btpm_transport *tr, const char *tcti);

#endif
