/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A loopback TCP proxy in front of swtpm's data port, run in a thread of the
 * test process. It forwards every command and response, records every byte
 * both ways, and can inject one fault on the N-th command from now:
 *
 *   TRUNCATE   the TPM runs the command; the client gets half its response,
 *              then the connection closes
 *   GARBLE     the TPM runs the command; one byte of the response is flipped
 *              (the last one by default: an HMAC, a signature or a value)
 *   DELAY      the TPM runs the command; the answer is held back until the
 *              client gives up (closes) or delay_ms pass, then dropped
 *   CUT        the connection closes half way through the command: the TPM
 *              never sees it
 *   LOST       the TPM runs the command; the connection closes without its
 *              answer (whatever it created is an orphan now)
 *   RC         the client gets a bare response with the given TPM_RC; the
 *              command is not forwarded
 *
 * baretpm's swtpm TCTI connects once per command, so a connection is a
 * command; several commands on one connection are framed by their size
 * fields and counted one by one. Connections are served one at a time, as
 * swtpm serves them. Only 127.0.0.1.
 */
#ifndef BTPM_TEST_PROXY_H
#define BTPM_TEST_PROXY_H

#include <stddef.h>
#include <stdint.h>

enum btpm_proxy_kind {
	BTPM_PROXY_NONE = 0,
	BTPM_PROXY_TRUNCATE,
	BTPM_PROXY_GARBLE,
	BTPM_PROXY_DELAY,
	BTPM_PROXY_CUT,
	BTPM_PROXY_LOST,
	BTPM_PROXY_RC,
};

struct btpm_proxy_fault {
	enum btpm_proxy_kind kind;
	uint32_t rc;   /* RC: the response code to answer with */
	int offset;    /* GARBLE: byte of the response to flip; negative counts from the end */
	int delay_ms;  /* DELAY: the longest hold (default 5000) */
	unsigned times; /* consecutive commands it hits (0 = 1) */
};

struct btpm_proxy;

/* Start a proxy to 127.0.0.1:upstream_port on a free loopback port; NULL on failure. */
struct btpm_proxy *btpm_proxy_start(int upstream_port);
/* Stop the thread, close everything, free the capture. */
void btpm_proxy_stop(struct btpm_proxy *p);
int btpm_proxy_port(const struct btpm_proxy *p);
/* "swtpm:host=127.0.0.1,port=P,timeout=MS" for the proxy (timeout_ms 0: none given). */
const char *btpm_proxy_tcti(const struct btpm_proxy *p, int timeout_ms, char *buf, size_t cap);

/*
 * Arm a fault for the nth command from now (1 = the next one); replaces any
 * armed fault. Disarm with kind NONE.
 */
void btpm_proxy_arm(struct btpm_proxy *p, unsigned nth, const struct btpm_proxy_fault *f);
void btpm_proxy_disarm(struct btpm_proxy *p);
/* How many commands the armed fault has hit so far. */
unsigned btpm_proxy_fired(struct btpm_proxy *p);
/* Commands seen since the start (each counted once, faulted or not). */
unsigned btpm_proxy_commands(struct btpm_proxy *p);
/* Wait until no connection is being served (bounded by ms); 0 when idle. */
int btpm_proxy_idle(struct btpm_proxy *p, int ms);

/* ---- the capture: one record per command and per response, in order ---- */

struct btpm_proxy_record {
	int dir;             /* 0 command (client to TPM), 1 response (TPM to client) */
	unsigned conn;       /* connection number, from 1 */
	const uint8_t *data; /* as it crossed the proxy (after any fault) */
	size_t len;
};

/* Forget what was captured so far. */
void btpm_proxy_clear(struct btpm_proxy *p);
/* The records (valid until the next clear or stop); returns how many. */
size_t btpm_proxy_records(struct btpm_proxy *p, const struct btpm_proxy_record **out);
/* Total bytes captured both ways. */
size_t btpm_proxy_bytes(struct btpm_proxy *p);
/*
 * Whether any window of win bytes of needle (win 0 or >= n: the whole needle)
 * occurs in any record. Returns the record index + 1 of the first hit, or 0.
 */
size_t btpm_proxy_find(struct btpm_proxy *p, const void *needle, size_t n, size_t win);

/* A short name for a fault ("truncate", "rc 0x922", ...). */
const char *btpm_proxy_fault_name(const struct btpm_proxy_fault *f, char *buf, size_t cap);

#endif
