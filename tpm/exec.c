/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command execution: framing, authorization areas, response checks, retries,
 * and the session work around them (Part 1, 18 and 19.6; parameter
 * encryption: Part 1, 21).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "btpm_crypto.h"
#include "internal.h"
#include "session.h"

#define MAX_SESSIONS 3

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

/* One command's view of its sessions. */
struct call {
	const struct btpm_cmd *c;
	const struct btpm_entity *const *handles;
	struct btpm_session *const *sessions;
	unsigned nsessions;
	int hmac;                 /* some session is an HMAC session */
	int enc_cmd, enc_rsp;     /* index of the session that encrypts, or -1 */
	uint8_t attrs[MAX_SESSIONS]; /* what each session asks of this command */
	uint8_t cp_hash[32];
};

/* The entity session i authorizes, or NULL for a session with no auth role. */
static const struct btpm_entity *authorized(const struct call *k, unsigned i)
{
	return i < k->c->auths ? k->handles[i] : NULL;
}

/* The Name of a handle for cpHash: the stored one, or the handle itself (Part 1, 16). */
static int put_name(struct btpm_iov *v, uint8_t *scratch, const struct btpm_entity *e)
{
	uint8_t kind = (uint8_t)(e->handle >> 24);
	if (e->name.size) {
		v->p = e->name.name;
		v->n = e->name.size;
		return 0;
	}
	/* objects and NV indices have digest Names that the caller must supply */
	if (kind == 0x80 || kind == 0x81 || kind == 0x01)
		return BTPM_E_ARG;
	scratch[0] = (uint8_t)(e->handle >> 24);
	scratch[1] = (uint8_t)(e->handle >> 16);
	scratch[2] = (uint8_t)(e->handle >> 8);
	scratch[3] = (uint8_t)e->handle;
	v->p = scratch;
	v->n = 4;
	return 0;
}

/* cpHash = H(commandCode || Names || parameters) (Part 1, 18.7). */
static int cp_hash(struct btpm *t, struct call *k)
{
	struct btpm_iov v[2 + 3];
	uint8_t cc[4], names[3][4];
	btpm_be32_put(cc, k->c->cc);
	v[0] = (struct btpm_iov){cc, 4};
	for (unsigned i = 0; i < k->c->handles; i++)
		if (put_name(&v[1 + i], names[i], k->handles[i])) {
			btpm_set_detail(t, "%s: the Name of handle 0x%08x is needed for an HMAC "
					   "session",
					k->c->name, (unsigned)k->handles[i]->handle);
			return BTPM_E_ARG;
		}
	v[1 + k->c->handles] = (struct btpm_iov){t->param, t->pb.off};
	return btpm_hash_v(BTPM_ALG_SHA256, k->cp_hash, v, 2u + k->c->handles);
}

/* The first parameter of a command or response, if it is a TPM2B with data. */
static uint8_t *first_tpm2b(uint8_t *p, size_t len, size_t *n)
{
	if (len < 2)
		return NULL;
	*n = (size_t)(p[0] << 8 | p[1]);
	return *n && *n <= len - 2 ? p + 2 : NULL;
}

/* Authorization area of a command (Part 1, 18.7; Part 2, 10.13.2 TPMS_AUTH_COMMAND). */
static int put_auth_area(struct btpm_buf *b, struct call *k)
{
	size_t mark = b->off;
	btpm_put_u32(b, 0); /* authorizationSize, patched below */
	for (unsigned i = 0; i < k->nsessions; i++) {
		const struct btpm_session *s = k->sessions[i];
		const struct btpm_entity *e = authorized(k, i);
		btpm_put_u32(b, s->handle);
		if (!btpm_session_is_hmac(s)) {
			/* TPM_RS_PW: empty nonce, continueSession, the password itself */
			btpm_put_tpm2b(b, NULL, 0);
			btpm_put_u8(b, BTPM_SESSION_CONTINUE);
			btpm_put_tpm2b(b, e ? e->auth : NULL, e ? e->auth_size : 0);
			continue;
		}
		uint8_t hmac[32];
		int rc = btpm_session_hmac(s, e, k->cp_hash, 0, k->attrs[i], hmac);
		if (rc)
			return rc;
		btpm_put_tpm2b(b, s->nonce_caller, s->nonce_size);
		btpm_put_u8(b, k->attrs[i]);
		btpm_put_tpm2b(b, hmac, sizeof(hmac));
	}
	if (!b->err)
		btpm_be32_put(b->p + mark, (uint32_t)(b->off - mark - 4));
	return 0;
}

static int build(struct btpm *t, struct call *k, size_t *len)
{
	struct btpm_buf b;
	btpm_buf_init(&b, t->cmd, sizeof(t->cmd));
	btpm_put_u16(&b, k->nsessions ? BTPM_ST_SESSIONS : BTPM_ST_NO_SESSIONS);
	btpm_put_u32(&b, 0); /* commandSize, patched below */
	btpm_put_u32(&b, k->c->cc);
	for (unsigned i = 0; i < k->c->handles; i++)
		btpm_put_u32(&b, k->handles[i]->handle);
	if (k->nsessions) {
		int rc = put_auth_area(&b, k);
		if (rc)
			return rc;
	}
	btpm_put_bytes(&b, t->param, t->pb.off);
	if (b.err)
		return b.err;
	btpm_be32_put(t->cmd + 2, (uint32_t)b.off);
	*len = b.off;
	return 0;
}

/*
 * The response authorization area (Part 2, 10.13.4): check every session's
 * HMAC in constant time before anything of the response is used.
 */
static int check_auth_area(struct call *k, struct btpm_buf *b,
			   const uint8_t *rparams, size_t rplen)
{
	uint8_t rp_hash[32];
	int rc = 0;
	if (k->hmac) {
		/* rpHash = H(responseCode || commandCode || parameters) (Part 1, 18.8) */
		uint8_t rc_cc[8] = {0};
		btpm_be32_put(rc_cc + 4, k->c->cc);
		const struct btpm_iov v[2] = {{rc_cc, 8}, {rparams, rplen}};
		rc = btpm_hash_v(BTPM_ALG_SHA256, rp_hash, v, 2);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < k->nsessions && !rc; i++) {
		struct btpm_session *s = k->sessions[i];
		uint16_t nn, hn;
		const uint8_t *nonce = btpm_get_tpm2b(b, &nn, sizeof(s->nonce_tpm));
		uint8_t attrs = btpm_get_u8(b);
		const uint8_t *mac = btpm_get_tpm2b(b, &hn, 64);
		if (b->err)
			return BTPM_E_MALFORMED;
		if (!btpm_session_is_hmac(s)) {
			/* a password session answers with an empty nonce and HMAC */
			if (nn || hn)
				return BTPM_E_MALFORMED;
			continue;
		}
		/* continueSession must echo what was asked (Part 1, 19.6.8) */
		if (nn < 16 || hn != 32 || (attrs & BTPM_SESSION_CONTINUE) !=
						   (s->attrs & BTPM_SESSION_CONTINUE))
			return BTPM_E_BADHMAC;
		/* the new nonceTPM is checked on a copy and kept only once the HMAC holds */
		struct btpm_session next = *s;
		memcpy(next.nonce_tpm, nonce, nn);
		next.nonce_tpm_size = nn;
		uint8_t want[32];
		rc = btpm_session_hmac(&next, authorized(k, i), rp_hash, 1, attrs, want);
		if (!rc && !btpm_ct_equal(want, mac, sizeof(want)))
			rc = BTPM_E_BADHMAC;
		if (!rc) {
			memcpy(s->nonce_tpm, next.nonce_tpm, nn);
			s->nonce_tpm_size = nn;
		}
		btpm_wipe(&next, sizeof(next));
		btpm_wipe(want, sizeof(want));
	}
	if (!rc && btpm_buf_end(b))
		rc = BTPM_E_MALFORMED;
	return rc;
}

/* Parse the response framing (Part 1, 18.8 / 18.10); fills r on success. */
static int parse(struct btpm *t, struct call *k, size_t len, struct btpm_rsp *r)
{
	const struct btpm_cmd *c = k->c;
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
		if (tag != BTPM_ST_NO_SESSIONS || len != 10 || rc > 0x7FFFFFFFu) {
			btpm_set_detail(t, "%s: error response 0x%x with tag 0x%x and %zu bytes",
					c->name, (unsigned)rc, tag, len);
			return BTPM_E_MALFORMED;
		}
		return (int)rc;
	}
	uint16_t want = k->nsessions ? BTPM_ST_SESSIONS : BTPM_ST_NO_SESSIONS;
	if (tag != want) {
		btpm_set_detail(t, "%s: response tag 0x%04x, expected 0x%04x", c->name, tag, want);
		return BTPM_E_MALFORMED;
	}
	r->handle = c->rsp_handles ? btpm_get_u32(&b) : 0;
	uint8_t *p;
	size_t plen;
	if (k->nsessions) {
		uint32_t psize = btpm_get_u32(&b);
		const uint8_t *view = btpm_get_view(&b, psize);
		if (!view) {
			btpm_set_detail(t, "%s: parameterSize %u exceeds the response", c->name,
					(unsigned)psize);
			return BTPM_E_MALFORMED;
		}
		p = t->rsp + (view - t->rsp);
		plen = psize;
		int src = check_auth_area(k, &b, p, plen);
		if (src) {
			btpm_set_detail(t, "%s: %s", c->name,
					src == BTPM_E_BADHMAC
						? "the response HMAC does not verify (tampered "
						  "in transit, or a different TPM or key)"
						: "malformed authorization area");
			return src;
		}
	} else {
		plen = btpm_buf_left(&b);
		p = t->rsp + b.off;
		if (b.err) {
			btpm_set_detail(t, "%s: response too short", c->name);
			return BTPM_E_MALFORMED;
		}
	}
	/* Only now, with the HMAC verified, decrypt the first response parameter. */
	if (k->enc_rsp >= 0) {
		size_t n;
		uint8_t *data = first_tpm2b(p, plen, &n);
		if (data) {
			int rc2 = btpm_session_cfb(k->sessions[k->enc_rsp],
						   authorized(k, (unsigned)k->enc_rsp), 1, data, n);
			if (rc2)
				return rc2;
		}
	}
	btpm_buf_view(&r->params, p, plen);
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

/* Check the sessions, roll nonces and encrypt the first parameter if asked. */
static int prepare(struct btpm *t, struct call *k)
{
	const struct btpm_cmd *c = k->c;
	k->enc_cmd = k->enc_rsp = -1;
	if (k->nsessions < c->auths || k->nsessions > MAX_SESSIONS ||
	    (k->nsessions && !k->sessions) || (c->handles && !k->handles))
		return BTPM_E_ARG;
	for (unsigned i = 0; i < c->handles; i++)
		if (!k->handles[i])
			return BTPM_E_ARG;
	for (unsigned i = 0; i < k->nsessions; i++) {
		struct btpm_session *s = k->sessions[i];
		if (!s || !s->handle)
			return BTPM_E_ARG;
		if (!btpm_session_is_hmac(s)) {
			if (s->handle != BTPM_RS_PW || i >= c->auths)
				return BTPM_E_ARG;
			continue;
		}
		k->hmac = 1;
		int rc = btpm_session_roll(s);
		if (rc)
			return rc;
		/* decrypt/encrypt only where the command has a TPM2B to protect:
		 * the TPM refuses them elsewhere (TPM_RC_ATTRIBUTES) */
		k->attrs[i] = s->attrs;
		if (!(c->flags & BTPM_CMD_ENC_PARAM))
			k->attrs[i] &= (uint8_t)~BTPM_SESSION_DECRYPT;
		if (!(c->flags & BTPM_CMD_ENC_RSP))
			k->attrs[i] &= (uint8_t)~BTPM_SESSION_ENCRYPT;
		/* at most one session decrypts and one encrypts (Part 1, 21.2) */
		if (s->attrs & BTPM_SESSION_DECRYPT && c->flags & BTPM_CMD_ENC_PARAM) {
			if (k->enc_cmd >= 0)
				return BTPM_E_ARG;
			k->enc_cmd = (int)i;
		}
		if (s->attrs & BTPM_SESSION_ENCRYPT && c->flags & BTPM_CMD_ENC_RSP) {
			if (k->enc_rsp >= 0)
				return BTPM_E_ARG;
			k->enc_rsp = (int)i;
		}
	}
	if (k->nsessions > 1 && (k->enc_cmd > 0 || k->enc_rsp > 0)) {
		/* the decrypt/encrypt nonces would join the first session's HMAC
		 * (Part 1, 19.6.5); baretpm keeps encryption on the first session */
		btpm_set_detail(t, "%s: parameter encryption only on the first session", c->name);
		return BTPM_E_UNSUPPORTED;
	}
	if (k->enc_cmd >= 0) {
		size_t n;
		uint8_t *data = first_tpm2b(t->param, t->pb.off, &n);
		if (data) {
			int rc = btpm_session_cfb(k->sessions[k->enc_cmd],
						  authorized(k, (unsigned)k->enc_cmd), 0, data, n);
			if (rc)
				return rc;
		}
	}
	return k->hmac ? cp_hash(t, k) : 0;
}

/* A session that asked not to continue is gone once the command succeeded. */
static void finish_sessions(struct call *k)
{
	for (unsigned i = 0; i < k->nsessions; i++) {
		struct btpm_session *s = k->sessions[i];
		if (btpm_session_is_hmac(s) && !(s->attrs & BTPM_SESSION_CONTINUE))
			btpm_session_wipe(s);
	}
}

int btpm_exec(struct btpm *t, const struct btpm_cmd *c, const struct btpm_entity *const *handles,
	      struct btpm_session *const *sessions, unsigned nsessions, struct btpm_rsp *r)
{
	struct call k = {.c = c, .handles = handles, .sessions = sessions, .nsessions = nsessions};
	size_t len, rlen;
	memset(r, 0, sizeof(*r));
	int rc = btpm_buf_err(&t->pb);
	if (rc) {
		btpm_wipe(t->param, sizeof(t->param)); /* they may hold secrets, as below */
		btpm_set_detail(t, "%s: parameters do not fit the command buffer", c->name);
		return rc;
	}
	rc = prepare(t, &k);
	if (!rc)
		rc = build(t, &k, &len);
	/* the parameters may hold plaintext secrets until encrypted: never keep them */
	btpm_wipe(t->param, t->pb.off);
	if (rc) {
		if (rc == BTPM_E_TOOBIG)
			btpm_set_detail(t, "%s: command does not fit %zu bytes", c->name,
					sizeof(t->cmd));
		btpm_wipe(t->cmd, sizeof(t->cmd));
		return rc;
	}
	/* Warnings that ask for a retry get a bounded number of resends (Part 1, 18.10). */
	for (unsigned attempt = 0;; attempt++) {
		t->tr->detail[0] = 0;
		rc = t->tr->transceive(t->tr, t->cmd, len, t->rsp, sizeof(t->rsp), &rlen);
		if (attempt)
			t->retries++;
		else
			t->sent++;
		if (rc)
			break;
		rc = parse(t, &k, rlen, r);
		if (!retryable(rc) || attempt + 1 >= BTPM_MAX_RETRIES)
			break;
		/*
		 * The first resend at once: swtpm answers RETRY to the first
		 * DA-protected authorization after a start-up, and a login would
		 * otherwise sleep for nothing; then 5, 10, ... 160 ms apart.
		 */
		if (rc == BTPM_RC_TESTING)
			sleep_ms(50);
		else if (attempt)
			sleep_ms(5L << (attempt - 1 < 5 ? attempt - 1 : 5));
	}
	btpm_wipe(t->cmd, len);
	if (retryable(rc))
		btpm_set_detail(t, "%s: still busy after %d attempts", c->name, BTPM_MAX_RETRIES);
	if (!rc)
		finish_sessions(&k);
	return rc;
}
