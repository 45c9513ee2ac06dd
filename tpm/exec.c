/* SPDX-License-Identifier: BSD-2-Clause */
/* Command execution: framing, authorization area, response checks, retries. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct btpm_buf *btpm_params(struct btpm *t)
{
	btpm_buf_init(&t->pb, t->param, sizeof(t->param));
	return &t->pb;
}

void btpm_set_detail(struct btpm *t, const char *fmt, ...)
{
	if (!t || !t->tr)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->tr->detail, sizeof(t->tr->detail), fmt, ap);
	va_end(ap);
}

/* Authorization area of a command (Part 1, 18.7; Part 2, 10.13.2 TPMS_AUTH_COMMAND). */
static void put_auth_area(struct btpm_buf *b, const struct btpm_cmd *c,
			  const struct btpm_session *const *sessions)
{
	size_t mark = b->off;
	btpm_put_u32(b, 0); /* authorizationSize, patched below */
	for (unsigned i = 0; i < c->auths; i++) {
		const struct btpm_session *s = sessions[i];
		btpm_put_u32(b, BTPM_RS_PW);
		btpm_put_tpm2b(b, NULL, 0); /* nonceCaller: empty for a password */
		btpm_put_u8(b, 0x01);       /* continueSession (ignored for TPM_RS_PW) */
		btpm_put_tpm2b(b, s->auth, s->auth_size);
	}
	if (!b->err) {
		uint32_t n = (uint32_t)(b->off - mark - 4);
		b->p[mark] = (uint8_t)(n >> 24);
		b->p[mark + 1] = (uint8_t)(n >> 16);
		b->p[mark + 2] = (uint8_t)(n >> 8);
		b->p[mark + 3] = (uint8_t)n;
	}
}

static int build(struct btpm *t, const struct btpm_cmd *c, const uint32_t *handles,
		 const struct btpm_session *const *sessions, size_t *len)
{
	struct btpm_buf b;
	btpm_buf_init(&b, t->cmd, sizeof(t->cmd));
	btpm_put_u16(&b, c->auths ? BTPM_ST_SESSIONS : BTPM_ST_NO_SESSIONS);
	btpm_put_u32(&b, 0); /* commandSize, patched below */
	btpm_put_u32(&b, c->cc);
	for (unsigned i = 0; i < c->handles; i++)
		btpm_put_u32(&b, handles[i]);
	if (c->auths)
		put_auth_area(&b, c, sessions);
	btpm_put_bytes(&b, t->param, t->pb.off);
	if (b.err)
		return b.err;
	t->cmd[2] = (uint8_t)(b.off >> 24);
	t->cmd[3] = (uint8_t)(b.off >> 16);
	t->cmd[4] = (uint8_t)(b.off >> 8);
	t->cmd[5] = (uint8_t)b.off;
	*len = b.off;
	return 0;
}

/* The response authorization area for password sessions (Part 2, 10.13.4). */
static int check_auth_area(struct btpm_buf *b, const struct btpm_cmd *c)
{
	for (unsigned i = 0; i < c->auths; i++) {
		uint16_t n;
		btpm_get_tpm2b(b, &n, 64); /* nonceTPM */
		if (n)
			btpm_buf_fail(b, BTPM_E_MALFORMED);
		btpm_get_u8(b); /* sessionAttributes */
		btpm_get_tpm2b(b, &n, 64);
		if (n) /* a password session's response HMAC is empty */
			btpm_buf_fail(b, BTPM_E_MALFORMED);
	}
	return btpm_buf_end(b);
}

/* Parse the response framing (Part 1, 18.8 / 18.10); fills r on success. */
static int parse(struct btpm *t, const struct btpm_cmd *c, size_t len, struct btpm_rsp *r)
{
	struct btpm_buf b;
	btpm_buf_view(&b, t->rsp, len);
	uint16_t tag = btpm_get_u16(&b);
	uint32_t size = btpm_get_u32(&b);
	uint32_t rc = btpm_get_u32(&b);
	if (b.err || size != len) {
		btpm_set_detail(t, "%s: response size field %u, received %zu bytes", c->name,
				(unsigned)size, len);
		return BTPM_E_MALFORMED;
	}
	if (rc != 0) {
		/* An error response is a bare header with no sessions (Part 1, 18.10). */
		if (tag != BTPM_ST_NO_SESSIONS || len != 10) {
			btpm_set_detail(t, "%s: error response 0x%x with tag 0x%x and %zu bytes",
					c->name, (unsigned)rc, tag, len);
			return BTPM_E_MALFORMED;
		}
		if (rc > 0x7FFFFFFFu) {
			btpm_set_detail(t, "%s: response code 0x%08x out of range", c->name,
					(unsigned)rc);
			return BTPM_E_MALFORMED;
		}
		return (int)rc;
	}
	uint16_t want = c->auths ? BTPM_ST_SESSIONS : BTPM_ST_NO_SESSIONS;
	if (tag != want) {
		btpm_set_detail(t, "%s: response tag 0x%04x, expected 0x%04x", c->name, tag, want);
		return BTPM_E_MALFORMED;
	}
	r->handle = c->rsp_handles ? btpm_get_u32(&b) : 0;
	if (c->auths) {
		uint32_t psize = btpm_get_u32(&b);
		const uint8_t *p = btpm_get_view(&b, psize);
		btpm_buf_view(&r->params, p, p ? psize : 0);
		if (!p || check_auth_area(&b, c)) {
			btpm_set_detail(t, "%s: malformed parameter or authorization area", c->name);
			return BTPM_E_MALFORMED;
		}
	} else {
		size_t left = btpm_buf_left(&b);
		const uint8_t *p = btpm_get_view(&b, left);
		btpm_buf_view(&r->params, p, left);
	}
	if (b.err) {
		btpm_set_detail(t, "%s: response too short", c->name);
		return BTPM_E_MALFORMED;
	}
	return 0;
}

static int retryable(int rc)
{
	return rc == BTPM_RC_RETRY || rc == BTPM_RC_YIELDED || rc == BTPM_RC_TESTING;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

int btpm_exec(struct btpm *t, const struct btpm_cmd *c, const uint32_t *handles,
	      const struct btpm_session *const *sessions, struct btpm_rsp *r)
{
	size_t len, rlen;
	int rc = btpm_buf_err(&t->pb);
	memset(r, 0, sizeof(*r));
	if (rc) {
		btpm_set_detail(t, "%s: parameters do not fit the command buffer", c->name);
		return rc;
	}
	for (unsigned i = 0; i < c->auths; i++)
		if (!sessions || !sessions[i])
			return BTPM_E_ARG;
	rc = build(t, c, handles, sessions, &len);
	if (rc) {
		btpm_set_detail(t, "%s: command does not fit %zu bytes", c->name, sizeof(t->cmd));
		return rc;
	}
	/* Warnings that ask for a retry get a bounded number of resends (Part 1, 18.10). */
	for (unsigned attempt = 0;; attempt++) {
		t->tr->detail[0] = 0;
		rc = t->tr->transceive(t->tr, t->cmd, len, t->rsp, sizeof(t->rsp), &rlen);
		t->sent++;
		if (rc)
			return rc;
		rc = parse(t, c, rlen, r);
		if (!retryable(rc) || attempt + 1 >= BTPM_MAX_RETRIES)
			break;
		sleep_ms(rc == BTPM_RC_TESTING ? 50 : 5L << (attempt < 5 ? attempt : 5));
	}
	if (retryable(rc))
		btpm_set_detail(t, "%s: still busy after %d attempts", c->name, BTPM_MAX_RETRIES);
	return rc;
}
