/* SPDX-License-Identifier: BSD-2-Clause */
/* A scripted transport: answers each command with the next canned response. */
#ifndef BTPM_TEST_FAKE_H
#define BTPM_TEST_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define FAKE_MAX_RSP 16

struct fake {
	struct btpm_transport tr;
	uint8_t rsp[FAKE_MAX_RSP][4096];
	size_t rsp_len[FAKE_MAX_RSP];
	int rsp_err[FAKE_MAX_RSP]; /* nonzero: transceive fails with this code */
	unsigned n_rsp, next;
	int repeat_last;           /* keep answering with the last response */
	uint8_t cmd[4096];         /* the last command sent */
	size_t cmd_len;
	unsigned calls;
};

/* A fresh fake (static storage inside; one at a time per process). */
struct fake *fake_new(void);
/* Queue a response given as bytes. */
void fake_push(struct fake *f, const void *p, size_t n);
/* Queue a response given as hex ("80 01 00 00 00 0a 00 00 00 00"; spaces ignored). */
void fake_push_hex(struct fake *f, const char *hex);
/* Queue a transport failure. */
void fake_push_err(struct fake *f, int err);
/* Parse hex into out; returns the byte count. */
size_t fake_hex(const char *hex, uint8_t *out, size_t cap);

#endif
