/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every command's response parser, fed TPM responses from the fuzz input
 * through the scripted fake transport.
 *
 * Input: [command][argument][responses...], responses framed as in common.h.
 * The command byte picks one btpm_* function (mod the table size); the
 * argument byte varies what it is asked (capability, sizes, curve, ...). A
 * command that needs more than one round trip (GetRandom, NV_Read in chunks,
 * GetCapability following moreData, a rejected Load that flushes, ...) takes
 * the next queued response each time; when they run out the transport fails.
 * Sessions are password sessions here; fuzz_session.c covers HMAC sessions.
 * Command 24 is no command: the rest of the input is a TPMT_PUBLIC to parse.
 * Checked besides memory safety: a keys command that fails leaves its
 * outputs unwritten (baretpm_keys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baretpm.h"
#include "baretpm_keys.h"
#include "cmds_keys.h"
#include "common.h"
#include "internal.h"

/* Large outputs live here, not on the stack (ASan makes big frames slow). */
static union {
	struct btpm_capdata cap;
	struct btpm_read_public rp;
	struct btpm_pcr_values pcr;
	struct btpm_context ctx;
	uint8_t bytes[4096];
} out;

static struct btpm_public tmpl;
static struct btpm_public salt_key; /* an SRK-shaped ECC key whose point is on the curve */
static struct btpm_name tmpl_name;

/* The P-256 base point: a valid public point whose private key no one holds. */
static const uint8_t p256_gx[32] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
static const uint8_t p256_gy[32] = {
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

/* FUZZ_VERBOSE=1: print each input's outcome (to check that seeds get where they should) */
static int verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	/* the SRK template ends with unique: x and y as two 32-byte TPM2Bs */
	if (btpm_template_srk(&salt_key) || salt_key.size < 68)
		abort();
	memcpy(salt_key.area + salt_key.size - 66, p256_gx, 32);
	memcpy(salt_key.area + salt_key.size - 32, p256_gy, 32);
	if (btpm_template_ecc_sign(&tmpl, BTPM_ECC_NIST_P256, 0) ||
	    btpm_public_name(&tmpl, &tmpl_name))
		abort();
	return 0;
}

/*
 * baretpm_keys.h: "writes its outputs only on success". Outputs start filled
 * with a pattern that a failed call must leave as it was.
 */
static void fill(void *p, size_t n)
{
	memset(p, 0xA5, n);
}

static int unwritten(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != 0xA5)
			return 0;
	return 1;
}

static int kept(int rc, const void *p, size_t n, const char *cmd)
{
	if (rc && !unwritten(p, n)) {
		fprintf(stderr, "fuzz_responses: %s failed (%d) and wrote its output\n", cmd, rc);
		abort();
	}
	return rc;
}

static const uint32_t caps[] = {BTPM_CAP_ALGS,           BTPM_CAP_HANDLES, BTPM_CAP_COMMANDS,
				BTPM_CAP_PCRS,           BTPM_CAP_TPM_PROPERTIES,
				BTPM_CAP_ECC_CURVES};
static const uint16_t hashes[] = {BTPM_ALG_SHA1, BTPM_ALG_SHA256, BTPM_ALG_SHA384,
				  BTPM_ALG_SHA512};

static int cmd_startup(struct btpm *t, uint8_t arg)
{
	return btpm_startup(t, arg & 1);
}

static int cmd_shutdown(struct btpm *t, uint8_t arg)
{
	return btpm_shutdown(t, arg & 1);
}

static int cmd_self_test(struct btpm *t, uint8_t arg)
{
	return btpm_self_test(t, arg & 1);
}

static int cmd_get_random(struct btpm *t, uint8_t arg)
{
	return btpm_get_random(t, out.bytes, 1u + arg);
}

static int cmd_get_capability(struct btpm *t, uint8_t arg)
{
	int more;
	return btpm_get_capability(t, caps[arg % 6], 0x100, 1u + (arg >> 3), &more, &out.cap);
}

static int cmd_get_capability_all(struct btpm *t, uint8_t arg)
{
	static const struct {
		uint32_t first, last;
	} range[] = {{0, 0xFFFF},
		     {BTPM_HR_PERSISTENT, BTPM_HR_PERSISTENT + 0xFFFFFF},
		     {0, 0xFFFFFFFFu},
		     {0, 0},
		     {BTPM_PT_FIXED, BTPM_PT_FIXED + 0xFF},
		     {0, 0xFFFF}};
	unsigned i = arg % 6;
	return btpm_get_capability_all(t, caps[i], range[i].first, range[i].last, &out.cap);
}

static int cmd_get_property(struct btpm *t, uint8_t arg)
{
	uint32_t v;
	return btpm_get_property(t, BTPM_PT_FIXED + arg, &v);
}

static int cmd_read_public(struct btpm *t, uint8_t arg)
{
	(void)arg;
	return btpm_read_public(t, BTPM_HR_PERSISTENT + 1, &out.rp);
}

static int cmd_flush_context(struct btpm *t, uint8_t arg)
{
	return btpm_flush_context(t, BTPM_HR_TRANSIENT + arg);
}

static int cmd_nv_read_public(struct btpm *t, uint8_t arg)
{
	struct btpm_nv_public p;
	(void)arg;
	return btpm_nv_read_public(t, 0x01c00002, &p);
}

/* arg bit 0: owner or index authorizes; bit 1: TPM_PT_NV_BUFFER_MAX asked first; size from the rest. */
static int cmd_nv_read(struct btpm *t, uint8_t arg)
{
	struct btpm_nv_public pub = {.nv_index = 0x01c00002,
				     .attributes = arg & 1 ? BTPM_TPMA_NV_OWNERREAD
							   : BTPM_TPMA_NV_AUTHREAD,
				     .data_size = 4096};
	t->nv_buffer_max = arg & 2 ? 0 : 64;
	return btpm_nv_read(t, &pub, 0, out.bytes, 1u + 16u * (arg >> 2));
}

static int cmd_pcr_read(struct btpm *t, uint8_t arg)
{
	uint32_t mask = arg & 0x80 ? 0xFFFFFF : (uint32_t)(arg >> 2) | 1u;
	return btpm_pcr_read(t, hashes[arg & 3], mask, &out.pcr);
}

static int cmd_ek_cert_read(struct btpm *t, uint8_t arg)
{
	size_t n, len;
	const struct btpm_ek_index *ek = btpm_ek_cert_indices(&n);
	t->nv_buffer_max = arg & 0x80 ? 0 : 1024;
	return btpm_ek_cert_read(t, ek[arg % n].nv_index, out.bytes, sizeof(out.bytes), &len);
}

/* arg bit 0: salted to salt_key (ECDH), else unsalted; then flush what was started. */
static int cmd_session_start(struct btpm *t, uint8_t arg)
{
	struct btpm_session s;
	int rc = arg & 1 ? btpm_session_start(t, &s, BTPM_HR_PERSISTENT + 1, salt_key.area,
					      salt_key.size)
			 : btpm_session_start(t, &s, 0, NULL, 0);
	if (!rc)
		rc = btpm_session_flush(t, &s);
	return rc;
}

static int cmd_create_primary(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity owner, obj;
	struct btpm_public srk, got;
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	if (arg & 1)
		btpm_template_srk(&srk);
	else
		srk = tmpl;
	fill(&obj, sizeof(obj));
	fill(&got, sizeof(got));
	int rc = btpm_create_primary(t, &pw, &owner, &srk, &obj, &got);
	kept(rc, &obj, sizeof(obj), "CreatePrimary");
	return kept(rc, &got, sizeof(got), "CreatePrimary");
}

static int cmd_create(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity parent = {.handle = BTPM_HR_PERSISTENT + 1};
	struct btpm_public kind, pub;
	static struct btpm_blob priv;
	btpm_session_password(&pw);
	if (arg & 1)
		btpm_template_sealed(&kind, 0);
	else
		kind = tmpl;
	fill(&priv, sizeof(priv));
	fill(&pub, sizeof(pub));
	int rc = btpm_create(t, &pw, &parent, NULL, 0, NULL, 0, &kind, &priv, &pub);
	kept(rc, &priv, sizeof(priv), "Create");
	return kept(rc, &pub, sizeof(pub), "Create");
}

static int cmd_load(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity parent = {.handle = BTPM_HR_PERSISTENT + 1}, obj;
	struct btpm_blob priv = {.size = 3, .data = {1, 2, 3}};
	(void)arg;
	btpm_session_password(&pw);
	fill(&obj, sizeof(obj));
	return kept(btpm_load(t, &pw, &parent, &priv, &tmpl, &obj), &obj, sizeof(obj), "Load");
}

static int cmd_evict_control(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity owner, obj = {.handle = arg & 1 ? BTPM_HR_PERSISTENT + 1
							  : BTPM_HR_TRANSIENT};
	btpm_session_password(&pw);
	btpm_entity_permanent(&owner, BTPM_RH_OWNER, NULL, 0);
	return btpm_evict_control(t, &pw, &owner, &obj, BTPM_HR_PERSISTENT + 1);
}

/* arg bits 0-1: digest hash; bit 2: P-384 scalars (48 bytes), else P-256. */
static int cmd_sign(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity key = {.handle = BTPM_HR_TRANSIENT};
	uint8_t digest[64] = {0}, r[48], s[48];
	uint16_t hash = hashes[arg & 3];
	size_t dn = hash == BTPM_ALG_SHA1 ? 20 : hash == BTPM_ALG_SHA256 ? 32
					 : hash == BTPM_ALG_SHA384 ? 48 : 64;
	btpm_session_password(&pw);
	fill(r, sizeof(r));
	fill(s, sizeof(s));
	int rc = btpm_sign(t, &pw, &key, digest, dn, hash, r, s, arg & 4 ? 48 : 32);
	kept(rc, r, sizeof(r), "Sign");
	return kept(rc, s, sizeof(s), "Sign");
}

static int cmd_object_change_auth(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity obj = {.handle = BTPM_HR_TRANSIENT + 1},
			   parent = {.handle = BTPM_HR_PERSISTENT + 1};
	static struct btpm_blob priv;
	(void)arg;
	btpm_session_password(&pw);
	fill(&priv, sizeof(priv));
	return kept(btpm_object_change_auth(t, &pw, &obj, &parent, NULL, 0, &priv), &priv,
		    sizeof(priv), "ObjectChangeAuth");
}

static int cmd_da_parameters(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity lockout;
	btpm_session_password(&pw);
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	return btpm_da_parameters(t, &pw, &lockout, arg, 1000, 1000);
}

static int cmd_da_lock_reset(struct btpm *t, uint8_t arg)
{
	struct btpm_session pw;
	struct btpm_entity lockout;
	(void)arg;
	btpm_session_password(&pw);
	btpm_entity_permanent(&lockout, BTPM_RH_LOCKOUT, NULL, 0);
	return btpm_da_lock_reset(t, &pw, &lockout);
}

static int cmd_context_save(struct btpm *t, uint8_t arg)
{
	fill(&out.ctx, sizeof(out.ctx));
	return kept(btpm_context_save(t, arg & 1 ? BTPM_HR_HMAC_SESSION : BTPM_HR_TRANSIENT,
				      &out.ctx),
		    &out.ctx, sizeof(out.ctx), "ContextSave");
}

static int cmd_context_load(struct btpm *t, uint8_t arg)
{
	static struct btpm_context c = {.sequence = 7, .hierarchy = BTPM_RH_OWNER, .blob_size = 16};
	uint32_t h;
	c.saved_handle = arg & 1 ? BTPM_HR_HMAC_SESSION : BTPM_HR_TRANSIENT;
	fill(&h, sizeof(h));
	return kept(btpm_context_load(t, &c, &h), &h, sizeof(h), "ContextLoad");
}

static int (*const cmds[])(struct btpm *, uint8_t) = {
	cmd_startup,         cmd_shutdown,         cmd_self_test,          cmd_get_random,
	cmd_get_capability,  cmd_get_capability_all, cmd_get_property,     cmd_read_public,
	cmd_flush_context,   cmd_nv_read_public,   cmd_nv_read,            cmd_pcr_read,
	cmd_ek_cert_read,    cmd_session_start,    cmd_create_primary,     cmd_create,
	cmd_load,            cmd_evict_control,    cmd_sign,               cmd_object_change_auth,
	cmd_da_parameters,   cmd_da_lock_reset,    cmd_context_save,       cmd_context_load,
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Not a command: a TPMT_PUBLIC as a TPM returns it (ReadPublic, Create), parsed and named. */
static void public_area(struct fuzz_in *in)
{
	struct btpm_public pub;
	struct btpm_public_info info;
	struct btpm_name name;
	size_t got;
	const uint8_t *p = fuzz_bytes(in, sizeof(pub.area), &got);
	memcpy(pub.area, p, got);
	pub.size = (uint16_t)got;
	btpm_public_parse(&pub, &info);
	btpm_public_name(&pub, &name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned which = fuzz_u8(&in);
	uint8_t arg = fuzz_u8(&in);
	if (which % (NCMDS + 1) == NCMDS) {
		public_area(&in);
		return 0;
	}
	struct fake *f = fake_new();
	struct btpm *t;
	if (btpm_open_transport(&t, &f->tr, "fuzz"))
		abort();
	fuzz_queue_responses(f, &in);
	int rc = cmds[which % (NCMDS + 1)](t, arg);
	char msg[512];
	btpm_strerror(t, rc, msg, sizeof(msg)); /* every code and detail must print */
	if (verbose)
		fprintf(stderr, "command %u arg %u: %d %s\n", which % (unsigned)(NCMDS + 1), arg, rc,
			msg);
	btpm_close(t);
	return 0;
}
