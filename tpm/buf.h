/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A checked byte cursor for building commands and parsing responses.
 *
 * The error is sticky: after the first overrun every put is dropped and every
 * get returns zero, so a marshaller can run straight through and check once.
 * Nothing clamps: a length that does not fit is an error, and a parser must
 * finish with btpm_buf_end() to prove it consumed its input exactly.
 * All integers are big-endian (Part 1, 18.2).
 */
#ifndef BTPM_BUF_H
#define BTPM_BUF_H

#include <stddef.h>
#include <stdint.h>

struct btpm_buf {
	uint8_t *p;
	size_t cap;
	size_t off;
	int err; /* 0 or a BTPM_E_* code */
};

/* A cursor for writing into p[0..cap). */
void btpm_buf_init(struct btpm_buf *b, void *p, size_t cap);
/* A cursor for reading p[0..len); the bytes are never written through it. */
void btpm_buf_view(struct btpm_buf *b, const void *p, size_t len);

void btpm_put_u8(struct btpm_buf *b, uint8_t v);
void btpm_put_u16(struct btpm_buf *b, uint16_t v);
void btpm_put_u32(struct btpm_buf *b, uint32_t v);
void btpm_put_u64(struct btpm_buf *b, uint64_t v);
void btpm_put_bytes(struct btpm_buf *b, const void *p, size_t n);
/* A TPM2B: 16-bit size then the bytes; n > 0xFFFF is an error. */
void btpm_put_tpm2b(struct btpm_buf *b, const void *p, size_t n);
/* Open a TPM2B whose content is a structure; close it to patch the size. */
size_t btpm_put_size16_begin(struct btpm_buf *b);
void btpm_put_size16_end(struct btpm_buf *b, size_t mark);

uint8_t btpm_get_u8(struct btpm_buf *b);
uint16_t btpm_get_u16(struct btpm_buf *b);
uint32_t btpm_get_u32(struct btpm_buf *b);
uint64_t btpm_get_u64(struct btpm_buf *b);
void btpm_get_bytes(struct btpm_buf *b, void *dst, size_t n);
/* A pointer to the next n bytes (a view, no copy), or NULL on overrun. */
const uint8_t *btpm_get_view(struct btpm_buf *b, size_t n);
/*
 * A TPM2B as a view. A size above max (the spec's bound for that type) is
 * malformed, never truncated.
 */
const uint8_t *btpm_get_tpm2b(struct btpm_buf *b, uint16_t *size, size_t max);
/* A TPM2B copied into dst[0..cap); a size above cap is malformed. */
void btpm_get_tpm2b_copy(struct btpm_buf *b, void *dst, size_t cap, uint16_t *size);
/*
 * A TPM2B holding a structure: sub becomes a cursor over exactly its content.
 * An empty TPM2B is allowed only when allow_empty is set.
 */
void btpm_get_sub(struct btpm_buf *b, struct btpm_buf *sub, int allow_empty);

/* Mark the cursor malformed (a value out of range, say); keeps the first error. */
void btpm_buf_fail(struct btpm_buf *b, int err);
/* Bytes not yet consumed. */
size_t btpm_buf_left(const struct btpm_buf *b);
/* 0 when no error occurred and every byte was consumed; else BTPM_E_MALFORMED etc. */
int btpm_buf_end(const struct btpm_buf *b);
/* 0 when no error occurred (for builders, which need not fill the buffer). */
int btpm_buf_err(const struct btpm_buf *b);

#endif
