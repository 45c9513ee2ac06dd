/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The session layer's response processing (tpm/exec.c: the authorization
 * area, the HMAC check, parameter decryption) with fuzzed responses to
 * commands run in an HMAC session whose key and nonces the harness knows.
 *
 * Input: [mode][command][responses...], responses framed as in common.h.
 * command (mod 8): Unseal, Sign, Create, CreatePrimary, Load,
 * ObjectChangeAuth, DictionaryAttackLockReset, NV_Read (through btpm_exec).
 * mode bits:
 *   0  sign: the harness writes the correct response HMAC of every HMAC
 *      session into the response (as the TPM would, over whatever nonceTPM
 *      and attributes the input holds), so the parameters get past the check
 *      and into decryption and the command's parser; clear, the HMACs are the
 *      input's own and must be refused (BTPM_E_BADHMAC)
 *   1  encrypt: the session asks for response encryption and the harness
 *      encrypts the first response parameter as the TPM would, so that the
 *      parser sees the input's plaintext
 *   2  the session does not continue (continueSession clear)
 *   3  the authorized entity has a non-empty auth value (part of the HMAC key)
 *   4  a second HMAC session rides along (no authorization role)
 *   5  the first session is a password session (then the second one, if any,
 *      is the only HMAC session)
 * Checked besides memory safety: nothing passes an HMAC session without the
 * harness's HMAC, and a failed Sign or Unseal leaves its outputs unwritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "btpm_crypto.h"
#include "cmds_keys.h"
#include "common.h"
#include "internal.h"
#include "session.h"

#define M_SIGN 0x01
#define M_ENCRYPT 0x02
#define M_NO_CONTINUE 0x04
#define M_AUTH 0x08
#define M_SECOND 0x10
#define M_PASSWORD 0x20

/* What the transport hook needs to answer as the TPM would. */
static struct {
	uint8_t mode;
	const struct btpm_cmd *c;
	struct btpm_session *const *sessions;
	unsigned nsessions;
	const struct btpm_entity *authorized; /* handles[0] */
	int (*fake_transceive)(struct btpm_transport *, const uint8_t *, size_t, uint8_t *, size_t,
			       size_t *);
} run;

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One TPMS_AUTH_RESPONSE (Part 2, 10.13.4) of a response: where its parts are. */
struct auth_rsp {
	size_t nonce, nn; /* nonceTPM: offset of its bytes, size */
	uint8_t attrs;
	size_t hmac, hn;
};

/* The authorization entries from off on, as far as they parse; returns how many. */
static unsigned auth_entries(const uint8_t *rsp, size_t len, size_t off, struct auth_rsp *a,
			     unsigned max)
{
	unsigned k = 0;
	for (; k < max; k++) {
		if (off + 2 > len)
			break;
		a[k].nn = be16(rsp + off);
		a[k].nonce = off + 2;
		if (a[k].nn > 64 || a[k].nonce + a[k].nn + 3 > len)
			break;
		a[k].attrs = rsp[a[k].nonce + a[k].nn];
		a[k].hn = be16(rsp + a[k].nonce + a[k].nn + 1);
		a[k].hmac = a[k].nonce + a[k].nn + 3;
		if (a[k].hmac + a[k].hn > len)
			break;
		off = a[k].hmac + a[k].hn;
	}
	return k;
}

/*
 * Encrypt the first response parameter (Part 1, 21.3) and write each HMAC
 * session's response HMAC (Part 1, 19.6.8) into a successful sessions
 * response, where it has the layout for it. Nothing else is changed.
 */
static void answer_as_tpm(uint8_t *rsp, size_t len)
{
	if (len < 14 || be16(rsp) != BTPM_ST_SESSIONS || be32(rsp + 6) != 0)
		return;
	size_t off = 10 + (run.c->rsp_handles ? 4 : 0);
	if (off + 4 > len)
		return;
	size_t plen = be32(rsp + off);
	uint8_t *params = rsp + off + 4;
	if (plen > len - off - 4)
		return;
	struct auth_rsp a[2];
	unsigned na = auth_entries(rsp, len, off + 4 + plen, a, run.nsessions);
	unsigned enc = 0;
	while (enc < run.nsessions && !(btpm_session_is_hmac(run.sessions[enc]) &&
					run.sessions[enc]->attrs & BTPM_SESSION_ENCRYPT))
		enc++;
	if (run.mode & M_ENCRYPT && run.c->flags & BTPM_CMD_ENC_RSP && enc < na && plen >= 2 &&
	    be16(params) &&
	    be16(params) <= plen - 2) {
		/* the TPM encrypts with its new nonce first: KDFa(.., nonceTPM, nonceCaller) */
		struct btpm_session s = *run.sessions[enc];
		memcpy(s.nonce_caller, rsp + a[enc].nonce, a[enc].nn);
		s.nonce_size = (uint16_t)a[enc].nn;
		memcpy(s.nonce_tpm, run.sessions[enc]->nonce_caller, run.sessions[enc]->nonce_size);
		s.nonce_tpm_size = run.sessions[enc]->nonce_size;
		btpm_session_cfb(&s, enc < run.c->auths ? run.authorized : NULL, 0, params + 2,
				 be16(params));
		btpm_wipe(&s, sizeof(s));
	}
	if (!(run.mode & M_SIGN))
		return;
	/* rpHash = H(responseCode || commandCode || parameters) (Part 1, 18.8) */
	uint8_t rc_cc[8] = {0, 0, 0, 0, (uint8_t)(run.c->cc >> 24), (uint8_t)(run.c->cc >> 16),
			    (uint8_t)(run.c->cc >> 8), (uint8_t)run.c->cc};
	uint8_t rp_hash[32];
	const struct btpm_iov v[2] = {{rc_cc, 8}, {params, plen}};
	if (btpm_hash_v(BTPM_ALG_SHA256, rp_hash, v, 2))
		return;
	for (unsigned i = 0; i < na; i++) {
		if (!btpm_session_is_hmac(run.sessions[i]) || a[i].hn != 32)
			continue;
		struct btpm_session s = *run.sessions[i];
		memcpy(s.nonce_tpm, rsp + a[i].nonce, a[i].nn);
		s.nonce_tpm_size = (uint16_t)a[i].nn;
		btpm_session_hmac(&s, i < run.c->auths ? run.authorized : NULL, rp_hash, 1,
				  a[i].attrs, rsp + a[i].hmac);
		btpm_wipe(&s, sizeof(s));
	}
}

static int hooked_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			     uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	int rc = run.fake_transceive(tr, cmd, cmd_len, rsp, rsp_cap, rsp_len);
	/* only the command under test; a FlushContext after a rejected load is sessionless */
	if (!rc && cmd_len >= 10 && be32(cmd + 6) == run.c->cc)
		answer_as_tpm(rsp, *rsp_len);
	return rc;
}

/* A started HMAC session: fixed key and nonces, handle in the HMAC-session range. */
static void session(struct btpm_session *s, uint32_t handle, uint8_t attrs, uint8_t seed)
{
	memset(s, 0, sizeof(*s));
	s->handle = handle;
	s->attrs = attrs;
	s->salted = 1; /* as if salted: secret-bearing commands accept it */
	s->hash = BTPM_ALG_SHA256;
	s->nonce_size = s->nonce_tpm_size = s->key_size = 32;
	for (int i = 0; i < 32; i++) {
		s->nonce_caller[i] = (uint8_t)(seed + i);
		s->nonce_tpm[i] = (uint8_t)(seed + 0x40 + i);
		s->key[i] = (uint8_t)(seed + 0x80 + i);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_session: %s\n", what);
	abort();
}

struct call {
	const struct btpm_cmd *c;
	int (*fn)(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e);
};

static struct btpm_public tmpl;

/* The commands here take one session; the harness passes ss[0] and (mode 4) adds ss[1] via exec. */
static int do_unseal(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e)
{
	static uint8_t data[BTPM_MAX_SENSITIVE_DATA];
	size_t len = 0xA5A5;
	(void)n;
	memset(data, 0xA5, sizeof(data));
	int rc = btpm_unseal(t, ss[0], e, data, sizeof(data), &len);
	for (size_t i = 0; rc && i < sizeof(data); i++)
		if (data[i] != 0xA5 || len != 0xA5A5)
			die("TPM2_Unseal failed and wrote its output");
	return rc;
}

static int do_sign(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e)
{
	uint8_t digest[32] = {1}, r[32], s[32];
	(void)n;
	memset(r, 0xA5, sizeof(r));
	memset(s, 0xA5, sizeof(s));
	int rc = btpm_sign(t, ss[0], e, digest, 32, BTPM_ALG_SHA256, r, s, 32);
	for (size_t i = 0; rc && i < sizeof(r); i++)
		if (r[i] != 0xA5 || s[i] != 0xA5)
			die("TPM2_Sign failed and wrote its output");
	return rc;
}

static int do_create(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e)
{
	static struct btpm_blob priv;
	static struct btpm_public pub;
	static const uint8_t auth[32] = {9};
	(void)n;
	return btpm_create(t, ss[0], e, auth, sizeof(auth), NULL, 0, &tmpl, &priv, &pub);
}

static int do_create_primary(struct btpm *t, struct btpm_session **ss, unsigned n,
			     struct btpm_entity *e)
{
	struct btpm_entity obj;
	static struct btpm_public pub;
	(void)n;
	return btpm_create_primary(t, ss[0], e, &tmpl, &obj, &pub);
}

static int do_load(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e)
{
	struct btpm_blob priv = {.size = 3, .data = {1, 2, 3}};
	struct btpm_entity obj;
	(void)n;
	return btpm_load(t, ss[0], e, &priv, &tmpl, &obj);
}

static int do_change_auth(struct btpm *t, struct btpm_session **ss, unsigned n,
			  struct btpm_entity *e)
{
	struct btpm_entity parent = {.handle = BTPM_HR_PERSISTENT + 1, .name = e->name};
	static struct btpm_blob priv;
	static const uint8_t auth[32] = {7};
	(void)n;
	return btpm_object_change_auth(t, ss[0], e, &parent, auth, sizeof(auth), &priv);
}

static int do_da_lock_reset(struct btpm *t, struct btpm_session **ss, unsigned n,
			    struct btpm_entity *e)
{
	(void)n;
	e->handle = BTPM_RH_LOCKOUT;
	e->name.size = 0;
	return btpm_da_lock_reset(t, ss[0], e);
}

/*
 * Through btpm_exec directly: NV_Read with the caller's sessions (btpm_nv_read
 * itself always uses a password session), then its parser's checks.
 */
static int do_nv_read(struct btpm *t, struct btpm_session **ss, unsigned n, struct btpm_entity *e)
{
	e->handle = 0x01c00002;
	const struct btpm_entity *h[2] = {e, e};
	struct btpm_buf *p = btpm_params(t);
	btpm_put_u16(p, 32);
	btpm_put_u16(p, 0);
	struct btpm_rsp r;
	int rc = btpm_exec(t, &btpm_cmd_nv_read, h, ss, n, &r);
	if (rc)
		return rc;
	uint16_t got;
	btpm_get_tpm2b(&r.params, &got, 32);
	return btpm_buf_end(&r.params);
}

static const struct call calls[] = {
	{&btpm_cmd_unseal, do_unseal},
	{&btpm_cmd_sign, do_sign},
	{&btpm_cmd_create, do_create},
	{&btpm_cmd_create_primary, do_create_primary},
	{&btpm_cmd_load, do_load},
	{&btpm_cmd_object_change_auth, do_change_auth},
	{&btpm_cmd_da_lock_reset, do_da_lock_reset},
	{&btpm_cmd_nv_read, do_nv_read},
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* FUZZ_VERBOSE=1: print each input's outcome (to check that seeds get where they should) */
static int verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (btpm_template_ecc_sign(&tmpl, BTPM_ECC_NIST_P256, 0))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	const struct call *call = &calls[fuzz_u8(&in) % NCALLS];
	struct fake *f = fake_new();
	struct btpm *t;
	if (btpm_open_transport(&t, &f->tr, "fuzz"))
		abort();
	fuzz_queue_responses(f, &in);
	run.fake_transceive = f->tr.transceive;
	f->tr.transceive = hooked_transceive;

	uint8_t attrs = BTPM_SESSION_DECRYPT;
	if (mode & M_ENCRYPT)
		attrs |= BTPM_SESSION_ENCRYPT;
	if (!(mode & M_NO_CONTINUE))
		attrs |= BTPM_SESSION_CONTINUE;
	struct btpm_session s0, s1;
	session(&s0, BTPM_HR_HMAC_SESSION, attrs, 0);
	session(&s1, BTPM_HR_HMAC_SESSION + 1, BTPM_SESSION_CONTINUE, 0x10);
	if (mode & M_PASSWORD)
		btpm_session_password(&s0);
	struct btpm_session *ss[2] = {&s0, &s1};
	unsigned n = mode & M_SECOND ? 2 : 1;

	/* a loaded object with a Name (HMAC sessions need it) and maybe an auth value */
	struct btpm_entity e = {.handle = BTPM_HR_TRANSIENT + 1};
	if (btpm_public_name(&tmpl, &e.name))
		abort();
	if (mode & M_AUTH)
		btpm_entity_set_auth(&e, "fuzz-auth", 9);

	run.mode = mode;
	run.c = call->c;
	run.sessions = ss;
	run.nsessions = n;
	run.authorized = &e;
	int rc;
	if (n == 2 && call->fn != do_nv_read) {
		/*
		 * The btpm_* functions take one session; a second one rides along
		 * only through btpm_exec: run the command's framing and sessions
		 * with this command's descriptor, no parameters, and leave its
		 * response parameters unparsed.
		 */
		const struct btpm_entity *h[2] = {&e, &e};
		struct btpm_rsp r;
		btpm_params(t);
		rc = btpm_exec(t, call->c, h, ss, n, &r);
	} else {
		rc = call->fn(t, ss, n, &e);
	}
	/* HMACs the harness did not write are wrong: no response may pass with them */
	int hmac = !(mode & M_PASSWORD) || n == 2;
	if (rc == 0 && hmac && !(mode & M_SIGN))
		die("a response passed the HMAC check without a valid HMAC");
	char msg[512];
	btpm_strerror(t, rc, msg, sizeof(msg));
	if (verbose)
		fprintf(stderr, "mode 0x%02x %s: %d %s\n", mode, call->c->name, rc, msg);
	btpm_session_wipe(&s0);
	btpm_session_wipe(&s1);
	btpm_entity_wipe(&e);
	btpm_close(t);
	return 0;
}
