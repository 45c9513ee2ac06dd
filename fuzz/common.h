/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the fuzz targets: a cursor over the fuzz input, and TPM responses
 * taken from it into the scripted fake transport of the tests (tests/lib/fake.h).
 *
 * Responses in an input are framed as a 16-bit big-endian length and that many
 * bytes; a length past the end of the input takes what is left. The framing is
 * the harness's, not the TPM's: the response's own size field stays free to lie.
 */
#ifndef BTPM_FUZZ_COMMON_H
#define BTPM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fake.h"

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/* The next byte, 16 or 32 bits (big-endian); zeros once the input is used up. */
uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
/* Up to n bytes as a view; *got says how many there were. */
const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got);

/* Queue every framed response left in the input (at most FAKE_MAX_RSP). */
void fuzz_queue_responses(struct fake *f, struct fuzz_in *in);

/* Write p[0..n) to path (created 0600, truncated); 0 or -1. */
int fuzz_write_file(const char *path, const void *p, size_t n);
/* A fresh private directory for a target's files, removed at exit; NULL on failure. */
const char *fuzz_tmpdir(const char *name);

#endif
