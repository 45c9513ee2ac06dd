/* SPDX-License-Identifier: BSD-2-Clause */
#include "buf.h"

#include <string.h>

#include "baretpm.h"

void btpm_buf_init(struct btpm_buf *b, void *p, size_t cap)
{
	b->p = p;
	b->cap = p ? cap : 0;
	b->off = 0;
	b->err = p || !cap ? 0 : BTPM_E_ARG;
}

void btpm_buf_view(struct btpm_buf *b, const void *p, size_t len)
{
	/* The cast is confined here: get functions never write through p. */
	btpm_buf_init(b, (void *)(uintptr_t)p, len);
}

void btpm_buf_fail(struct btpm_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Reserve n bytes for writing; overrun of a builder means the command is too big. */
static uint8_t *reserve(struct btpm_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > b->cap - b->off) {
		b->err = BTPM_E_TOOBIG;
		return NULL;
	}
	uint8_t *at = b->p + b->off;
	b->off += n;
	return at;
}

/* Take n bytes for reading; overrun of a parser means the input is malformed. */
static const uint8_t *take(struct btpm_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > b->cap - b->off) {
		b->err = BTPM_E_MALFORMED;
		return NULL;
	}
	const uint8_t *at = b->p + b->off;
	b->off += n;
	return at;
}

void btpm_put_u8(struct btpm_buf *b, uint8_t v)
{
	uint8_t *at = reserve(b, 1);
	if (at)
		at[0] = v;
}

void btpm_put_u16(struct btpm_buf *b, uint16_t v)
{
	uint8_t *at = reserve(b, 2);
	if (at) {
		at[0] = (uint8_t)(v >> 8);
		at[1] = (uint8_t)v;
	}
}

void btpm_put_u32(struct btpm_buf *b, uint32_t v)
{
	uint8_t *at = reserve(b, 4);
	if (at) {
		at[0] = (uint8_t)(v >> 24);
		at[1] = (uint8_t)(v >> 16);
		at[2] = (uint8_t)(v >> 8);
		at[3] = (uint8_t)v;
	}
}

void btpm_put_u64(struct btpm_buf *b, uint64_t v)
{
	btpm_put_u32(b, (uint32_t)(v >> 32));
	btpm_put_u32(b, (uint32_t)v);
}

void btpm_put_bytes(struct btpm_buf *b, const void *p, size_t n)
{
	if (n && !p) {
		btpm_buf_fail(b, BTPM_E_ARG);
		return;
	}
	uint8_t *at = reserve(b, n);
	if (at && n)
		memcpy(at, p, n);
}

void btpm_put_tpm2b(struct btpm_buf *b, const void *p, size_t n)
{
	if (n > 0xFFFF) {
		btpm_buf_fail(b, BTPM_E_ARG);
		return;
	}
	btpm_put_u16(b, (uint16_t)n);
	btpm_put_bytes(b, p, n);
}

size_t btpm_put_size16_begin(struct btpm_buf *b)
{
	size_t mark = b->off;
	btpm_put_u16(b, 0);
	return mark;
}

void btpm_put_size16_end(struct btpm_buf *b, size_t mark)
{
	if (b->err)
		return;
	size_t n = b->off - mark - 2;
	if (n > 0xFFFF) {
		b->err = BTPM_E_TOOBIG;
		return;
	}
	b->p[mark] = (uint8_t)(n >> 8);
	b->p[mark + 1] = (uint8_t)n;
}

uint8_t btpm_get_u8(struct btpm_buf *b)
{
	const uint8_t *at = take(b, 1);
	return at ? at[0] : 0;
}

uint16_t btpm_get_u16(struct btpm_buf *b)
{
	const uint8_t *at = take(b, 2);
	return at ? (uint16_t)(at[0] << 8 | at[1]) : 0;
}

uint32_t btpm_get_u32(struct btpm_buf *b)
{
	const uint8_t *at = take(b, 4);
	return at ? (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3] : 0;
}

uint64_t btpm_get_u64(struct btpm_buf *b)
{
	uint64_t hi = btpm_get_u32(b);
	return hi << 32 | btpm_get_u32(b);
}

void btpm_get_bytes(struct btpm_buf *b, void *dst, size_t n)
{
	const uint8_t *at = take(b, n);
	if (at && n)
		memcpy(dst, at, n);
}

const uint8_t *btpm_get_view(struct btpm_buf *b, size_t n)
{
	return take(b, n);
}

const uint8_t *btpm_get_tpm2b(struct btpm_buf *b, uint16_t *size, size_t max)
{
	uint16_t n = btpm_get_u16(b);
	*size = 0;
	if (b->err)
		return NULL;
	if (n > max) {
		b->err = BTPM_E_MALFORMED;
		return NULL;
	}
	const uint8_t *at = take(b, n);
	if (at)
		*size = n;
	return at;
}

void btpm_get_tpm2b_copy(struct btpm_buf *b, void *dst, size_t cap, uint16_t *size)
{
	uint16_t n;
	const uint8_t *at = btpm_get_tpm2b(b, &n, cap);
	*size = 0;
	if (at) {
		if (n)
			memcpy(dst, at, n);
		*size = n;
	}
}

void btpm_get_sub(struct btpm_buf *b, struct btpm_buf *sub, int allow_empty)
{
	uint16_t n;
	const uint8_t *at = btpm_get_tpm2b(b, &n, 0xFFFF);
	if (!b->err && !n && !allow_empty)
		b->err = BTPM_E_MALFORMED;
	if (b->err) {
		btpm_buf_view(sub, NULL, 0);
		sub->err = b->err;
		return;
	}
	btpm_buf_view(sub, at, n);
}

size_t btpm_buf_left(const struct btpm_buf *b)
{
	return b->err ? 0 : b->cap - b->off;
}

int btpm_buf_end(const struct btpm_buf *b)
{
	if (b->err)
		return b->err;
	return b->off == b->cap ? 0 : BTPM_E_MALFORMED;
}

int btpm_buf_err(const struct btpm_buf *b)
{
	return b->err;
}
