/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the seed corpora of the fuzz targets (fuzz/run --seeds): a handful
 * of valid inputs each, in the input formats the targets' comments describe.
 * The TPM responses follow the byte vectors of tests/test_wire.c and
 * tests/test_keys.c; public areas and Names are the library's own templates.
 * Usage: mkseeds DIR (writes DIR/TARGET/NAME).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baretpm.h"
#include "baretpm_keys.h"

struct w {
	uint8_t b[8192];
	size_t n;
};

static void w8(struct w *w, uint8_t v)
{
	if (w->n >= sizeof(w->b))
		abort();
	w->b[w->n++] = v;
}

static void w16(struct w *w, uint16_t v)
{
	w8(w, (uint8_t)(v >> 8));
	w8(w, (uint8_t)v);
}

static void w32(struct w *w, uint32_t v)
{
	w16(w, (uint16_t)(v >> 16));
	w16(w, (uint16_t)v);
}

static void wbytes(struct w *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w8(w, ((const uint8_t *)p)[i]);
}

static void w2b(struct w *w, const void *p, size_t n)
{
	w16(w, (uint16_t)n);
	wbytes(w, p, n);
}

static void wstr(struct w *w, const char *s)
{
	wbytes(w, s, strlen(s));
}

/* Bytes from hex ("8001 0000000a"; spaces ignored). */
static void whex(struct w *w, const char *hex)
{
	int hi = -1;
	for (; *hex; hex++) {
		if (*hex == ' ')
			continue;
		int v = *hex <= '9' ? *hex - '0' : *hex - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			w8(w, (uint8_t)(hi << 4 | v));
			hi = -1;
		}
	}
}

static const char *root;

static void save(const char *target, const char *name, const struct w *w)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(w->b, 1, w->n, f) != w->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- TPM responses --------------------------------------------------------------------- */

/* Auth entries of a response: 0 password sessions, else HMAC sessions with nonceTPM 0x5n... */
enum { NONE = -1, PW = 0, HMAC = 1 };

/* A successful response: tag, size, rc, [handle], [parameterSize], params, [auth area]. */
static uint8_t continue_session = 0x01;

static void response(struct w *out, int kind, unsigned nauth, uint32_t handle,
		     const struct w *params)
{
	struct w r = {.n = 0};
	w16(&r, kind == NONE ? 0x8001 : 0x8002);
	w32(&r, 0);
	w32(&r, 0);
	if (handle)
		w32(&r, handle);
	if (kind != NONE)
		w32(&r, (uint32_t)params->n);
	wbytes(&r, params->b, params->n);
	for (unsigned i = 0; kind != NONE && i < nauth; i++) {
		uint8_t nonce[32], mac[32] = {0};
		for (int k = 0; k < 32; k++)
			nonce[k] = (uint8_t)(0x50 + 16 * i + k);
		if (kind == PW) {
			whex(&r, "0000 01 0000");
			continue;
		}
		w2b(&r, nonce, sizeof(nonce));
		w8(&r, continue_session);
		w2b(&r, mac, sizeof(mac));
	}
	r.b[2] = (uint8_t)(r.n >> 24);
	r.b[3] = (uint8_t)(r.n >> 16);
	r.b[4] = (uint8_t)(r.n >> 8);
	r.b[5] = (uint8_t)r.n;
	w16(out, (uint16_t)r.n); /* the harness's framing (fuzz/common.h) */
	wbytes(out, r.b, r.n);
}

/* A response from hex, its size field made to match. */
static void framed_hex(struct w *out, const char *hex)
{
	struct w r = {.n = 0};
	whex(&r, hex);
	r.b[4] = (uint8_t)(r.n >> 8);
	r.b[5] = (uint8_t)r.n;
	w16(out, (uint16_t)r.n);
	wbytes(out, r.b, r.n);
}

static struct btpm_public sign_tmpl, srk_tmpl, sealed_tmpl;
static struct btpm_name sign_name;

/*
 * The public area the TPM returns for a template: the same with its unique
 * field filled in (ECC: the point; keyedhash: a digest). The templates end in
 * that field: empty (0000 0000 or 0000), or for the SRK two zeroed 32-byte coordinates.
 */
static void made_from(struct btpm_public *pub, const struct btpm_public *tmpl)
{
	struct w u = {.n = 0};
	uint16_t type = (uint16_t)(tmpl->area[0] << 8 | tmpl->area[1]);
	size_t keep = tmpl->size;
	uint8_t v[32];
	for (int i = 0; i < 32; i++)
		v[i] = (uint8_t)(0x30 + i);
	if (type == BTPM_ALG_ECC) {
		int srk = keep >= 68 && tmpl->area[keep - 34] == 0 && tmpl->area[keep - 33] == 32;
		keep -= srk ? 68 : 4;
		w2b(&u, v, 32);
		w2b(&u, v, 32);
	} else {
		keep -= 2;
		w2b(&u, v, 32);
	}
	*pub = *tmpl;
	memcpy(pub->area + keep, u.b, u.n);
	pub->size = (uint16_t)(keep + u.n);
}

/* creationData, creationHash, creationTicket (Part 3, 24.1 / 12.1 outputs). */
static void creation_outputs(struct w *w)
{
	static const uint8_t owner[4] = {0x40, 0, 0, 0x01};
	uint8_t h[32] = {0};
	struct w cd = {.n = 0};
	whex(&cd, "00000001 000b 03 000000"); /* pcrSelect: one bank, nothing selected */
	w2b(&cd, NULL, 0);                     /* pcrDigest */
	w8(&cd, 0x01);                         /* locality */
	w16(&cd, BTPM_ALG_NULL);               /* parentNameAlg */
	w2b(&cd, owner, 4);                    /* parentName */
	w2b(&cd, owner, 4);                    /* parentQualifiedName */
	w2b(&cd, NULL, 0);                     /* outsideInfo */
	w2b(w, cd.b, cd.n);
	w2b(w, h, 32);                         /* creationHash */
	w16(w, 0x8021);                        /* TPM_ST_CREATION */
	w32(w, BTPM_RH_OWNER);
	w2b(w, h, 32);
}

static void ecdsa_signature(struct w *w, uint16_t hash, size_t coord)
{
	uint8_t r[48], s[48];
	memset(r, 0x11, sizeof(r));
	memset(s, 0x22, sizeof(s));
	w16(w, 0x0018);
	w16(w, hash);
	w2b(w, r, coord);
	w2b(w, s, coord);
}

/* The parameters each keys command answers with. */
static void params_create_primary(struct w *p, const struct btpm_public *tmpl)
{
	struct btpm_public pub;
	struct btpm_name name;
	made_from(&pub, tmpl);
	if (btpm_public_name(&pub, &name))
		abort();
	w2b(p, pub.area, pub.size);
	creation_outputs(p);
	w2b(p, name.name, name.size);
}

static void params_create(struct w *p, const struct btpm_public *tmpl)
{
	struct btpm_public pub;
	uint8_t priv[80];
	memset(priv, 0x7c, sizeof(priv));
	made_from(&pub, tmpl);
	w2b(p, priv, sizeof(priv));
	w2b(p, pub.area, pub.size);
	creation_outputs(p);
}

static void responses_seeds(void)
{
	const char *T = "fuzz_responses";
	struct w s, p;
#define SEED(sel, arg) (s.n = 0, w8(&s, (sel)), w8(&s, (arg)))
#define P0 (p.n = 0)
	SEED(0, 0);
	framed_hex(&s, "8001 0000000a 00000000");
	save(T, "startup", &s);
	SEED(1, 1);
	framed_hex(&s, "8001 0000000a 00000000");
	save(T, "shutdown", &s);
	SEED(2, 1);
	framed_hex(&s, "8001 0000000a 00000000");
	save(T, "self_test", &s);
	SEED(3, 7);
	framed_hex(&s, "8001 00000014 00000000 0008 0102030405060708");
	save(T, "get_random", &s);
	SEED(3, 9); /* 10 bytes: RETRY, then 8, then 2 */
	framed_hex(&s, "8001 0000000a 00000922");
	framed_hex(&s, "8001 00000014 00000000 0008 0102030405060708");
	framed_hex(&s, "8001 0000000e 00000000 0002 090a");
	save(T, "get_random_retry_loop", &s);
	SEED(4, 4);
	framed_hex(&s, "8001 00000023 00000000 01 00000006 00000002 00000105 49424d00 0000010b "
		       "20191023");
	save(T, "get_capability_properties", &s);
	SEED(4, 3);
	framed_hex(&s, "8001 0000001e 00000000 00 00000005 00000002 0004 03 ffffff 000b 03 ffffff");
	save(T, "get_capability_pcrs", &s);
	SEED(5, 1);
	framed_hex(&s, "8001 0000001b 00000000 01 00000001 00000002 81000001 81000002");
	framed_hex(&s, "8001 0000001b 00000000 00 00000001 00000002 81000003 82000000");
	save(T, "get_capability_all_handles", &s);
	SEED(5, 0);
	framed_hex(&s, "8001 00000019 00000000 00 00000000 00000002 0001 00000009 000b 00000004");
	save(T, "get_capability_all_algs", &s);
	SEED(6, 44);
	framed_hex(&s, "8001 0000001b 00000000 01 00000006 00000001 0000012c 00000400");
	save(T, "get_property_nv_buffer_max", &s);

	struct btpm_public pub;
	made_from(&pub, &sign_tmpl);
	struct btpm_name name;
	if (btpm_public_name(&pub, &name))
		abort();
	SEED(7, 0);
	P0;
	w2b(&p, pub.area, pub.size);
	w2b(&p, name.name, name.size);
	w2b(&p, name.name, name.size);
	response(&s, NONE, 0, 0, &p);
	save(T, "read_public", &s);
	SEED(8, 1);
	framed_hex(&s, "8001 0000000a 00000000");
	save(T, "flush_context", &s);
	SEED(8, 1);
	framed_hex(&s, "8001 0000000a 0000018b"); /* TPM_RC_HANDLE */
	save(T, "flush_context_rc_handle", &s);
	SEED(9, 0);
	framed_hex(&s, "8001 0000003e 00000000 000e 01c00002 000b 22020000 0000 0004 0022 000b "
		       "0000000000000000000000000000000000000000000000000000000000000000");
	save(T, "nv_read_public", &s);
	SEED(10, 4); /* AUTHREAD, 17 bytes in 64-byte chunks: one command */
	P0;
	w16(&p, 17);
	for (int i = 0; i < 17; i++)
		w8(&p, (uint8_t)i);
	response(&s, PW, 1, 0, &p);
	save(T, "nv_read", &s);
	SEED(10, 3); /* OWNERREAD, TPM_PT_NV_BUFFER_MAX asked first */
	framed_hex(&s, "8001 0000001b 00000000 01 00000006 00000001 0000012c 00000400");
	framed_hex(&s, "8002 00000016 00000000 00000003 0001 aa 0000 01 0000");
	save(T, "nv_read_buffer_max", &s);
	SEED(11, 1); /* SHA-256, PCR 0 */
	P0;
	whex(&p, "00000011 00000001 000b 03 010000 00000001");
	uint8_t d32[32];
	memset(d32, 0x33, sizeof(d32));
	w2b(&p, d32, 32);
	response(&s, NONE, 0, 0, &p);
	save(T, "pcr_read", &s);
	SEED(12, 0);
	framed_hex(&s, "8001 0000003e 00000000 000e 01c00002 000b 22060004 0000 0008 0022 000b "
		       "0000000000000000000000000000000000000000000000000000000000000000");
	framed_hex(&s, "8002 0000001d 00000000 0000000a 0008 3003020101ffffff 0000 01 0000");
	save(T, "ek_cert_read", &s);
	for (int salted = 0; salted < 2; salted++) {
		SEED(13, (uint8_t)salted);
		P0;
		uint8_t nonce[32];
		memset(nonce, 0x44, sizeof(nonce));
		w2b(&p, nonce, sizeof(nonce));
		response(&s, NONE, 0, BTPM_HR_HMAC_SESSION, &p);
		framed_hex(&s, "8001 0000000a 00000000");
		save(T, salted ? "session_start_salted" : "session_start", &s);
	}
	SEED(14, 0);
	P0;
	params_create_primary(&p, &sign_tmpl);
	response(&s, PW, 1, BTPM_HR_TRANSIENT, &p);
	save(T, "create_primary", &s);
	SEED(14, 1);
	P0;
	params_create_primary(&p, &srk_tmpl);
	response(&s, PW, 1, BTPM_HR_TRANSIENT, &p);
	save(T, "create_primary_srk", &s);
	SEED(15, 0);
	P0;
	params_create(&p, &sign_tmpl);
	response(&s, PW, 1, 0, &p);
	save(T, "create", &s);
	SEED(15, 1);
	P0;
	params_create(&p, &sealed_tmpl);
	response(&s, PW, 1, 0, &p);
	save(T, "create_sealed", &s);
	SEED(16, 0);
	P0;
	w2b(&p, sign_name.name, sign_name.size);
	response(&s, PW, 1, BTPM_HR_TRANSIENT + 1, &p);
	save(T, "load", &s);
	SEED(16, 0); /* another Name: refused, and the loaded object flushed */
	P0;
	w2b(&p, name.name, name.size);
	response(&s, PW, 1, BTPM_HR_TRANSIENT + 1, &p);
	framed_hex(&s, "8001 0000000a 00000000");
	save(T, "load_name_mismatch", &s);
	SEED(17, 0);
	P0;
	response(&s, PW, 1, 0, &p);
	save(T, "evict_control", &s);
	SEED(18, 1);
	P0;
	ecdsa_signature(&p, BTPM_ALG_SHA256, 32);
	response(&s, PW, 1, 0, &p);
	save(T, "sign_p256", &s);
	SEED(18, 6);
	P0;
	ecdsa_signature(&p, BTPM_ALG_SHA384, 48);
	response(&s, PW, 1, 0, &p);
	save(T, "sign_p384", &s);
	SEED(19, 0);
	P0;
	uint8_t priv[80];
	memset(priv, 0x7d, sizeof(priv));
	w2b(&p, priv, sizeof(priv));
	response(&s, PW, 1, 0, &p);
	save(T, "object_change_auth", &s);
	SEED(20, 3);
	P0;
	response(&s, PW, 1, 0, &p);
	save(T, "da_parameters", &s);
	SEED(21, 0);
	P0;
	response(&s, PW, 1, 0, &p);
	save(T, "da_lock_reset", &s);
	SEED(22, 0);
	P0;
	whex(&p, "00000000 00000007 80000000 40000001");
	uint8_t blob[100];
	memset(blob, 0x5c, sizeof(blob));
	w2b(&p, blob, sizeof(blob));
	response(&s, NONE, 0, 0, &p);
	save(T, "context_save", &s);
	SEED(23, 0);
	P0;
	response(&s, NONE, 0, BTPM_HR_TRANSIENT + 3, &p);
	save(T, "context_load", &s);
	SEED(24, 0);
	wbytes(&s, pub.area, pub.size);
	save(T, "public_ecc", &s);
	SEED(24, 0);
	made_from(&pub, &sealed_tmpl);
	wbytes(&s, pub.area, pub.size);
	save(T, "public_keyedhash", &s);
	SEED(24, 0);
	whex(&s, "0001 000b 00040072 0000 0006 0080 0043 0010 0800 00000000 0004 01020304");
	save(T, "public_rsa", &s);
#undef SEED
#undef P0
}

/* fuzz_session: [mode][command] then responses with HMAC auth areas. */
static void session_seeds(void)
{
	const char *T = "fuzz_session";
	struct w s, p;
	static const struct {
		uint8_t mode, cmd;
		const char *name;
	} seeds[] = {
		{0x03, 0, "unseal"},          {0x03, 1, "sign"},          {0x13, 1, "sign_two_sessions"},
		{0x0b, 1, "sign_auth_value"}, {0x03, 2, "create"},        {0x03, 3, "create_primary"},
		{0x03, 4, "load"},            {0x03, 5, "change_auth"},   {0x07, 6, "da_lock_reset"},
		{0x03, 7, "nv_read"},         {0x00, 1, "sign_bad_hmac"}, {0x31, 7, "nv_read_pw_hmac"},
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		uint32_t handle = 0;
		s.n = p.n = 0;
		w8(&s, seeds[i].mode);
		w8(&s, seeds[i].cmd);
		switch (seeds[i].cmd) {
		case 0:
			w2b(&p, "sealed token secret, 32 bytes..", 32);
			break;
		case 1:
			ecdsa_signature(&p, BTPM_ALG_SHA256, 32);
			break;
		case 2:
			params_create(&p, &sign_tmpl);
			break;
		case 3:
			params_create_primary(&p, &sign_tmpl);
			handle = BTPM_HR_TRANSIENT;
			break;
		case 4:
			w2b(&p, sign_name.name, sign_name.size);
			handle = BTPM_HR_TRANSIENT + 2;
			break;
		case 5: {
			uint8_t priv[80];
			memset(priv, 0x7e, sizeof(priv));
			w2b(&p, priv, sizeof(priv));
			break;
		}
		case 7: {
			uint8_t d[32];
			memset(d, 0x66, sizeof(d));
			w2b(&p, d, sizeof(d));
			break;
		}
		}
		unsigned nauth = seeds[i].mode & 0x10 ? 2 : 1;
		continue_session = seeds[i].mode & 0x04 ? 0 : 1;
		response(&s, seeds[i].mode & 0x20 ? PW : HMAC, nauth, handle, &p);
		if (seeds[i].mode & 0x20) {
			/* password first, HMAC second: rewrite as [pw][hmac] */
			s.n = p.n = 0;
			w8(&s, seeds[i].mode);
			w8(&s, seeds[i].cmd);
			uint8_t d[32];
			memset(d, 0x66, sizeof(d));
			w2b(&p, d, sizeof(d));
			struct w r = {.n = 0};
			whex(&r, "8002 00000000 00000000");
			w32(&r, (uint32_t)p.n);
			wbytes(&r, p.b, p.n);
			whex(&r, "0000 01 0000 0020");
			for (int k = 0; k < 32; k++)
				w8(&r, (uint8_t)(0x60 + k));
			w8(&r, 0x01);
			w16(&r, 32);
			for (int k = 0; k < 32; k++)
				w8(&r, 0);
			r.b[4] = (uint8_t)(r.n >> 8);
			r.b[5] = (uint8_t)r.n;
			w16(&s, (uint16_t)r.n);
			wbytes(&s, r.b, r.n);
		}
		save(T, seeds[i].name, &s);
	}
}

/* ---- token store ----------------------------------------------------------------- */

static void store_seeds(void)
{
	const char *T = "fuzz_store";
	struct w s;
	s.n = 0;
	wstr(&s, "baretpm-token 1\n"
		 "serial 0123456789abcdef\n"
		 "label \"my token\"\n"
		 "user-pin-set 1\n"
		 "next-handle 3\n"
		 "so-salt 000102030405060708090a0b0c0d0e0f\n"
		 "so-public 000102\n"
		 "so-private aaab\n"
		 "user-salt 101112131415161718191a1b1c1d1e1f\n"
		 "user-public 03\n"
		 "user-private cc\n"
		 "object 1 0x00000003\n"
		 "tpm-public 0102\n"
		 "tpm-private 03\n"
		 "auth-iv 202122232425262728292a2b\n"
		 "auth-ct 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n"
		 "auth-tag 606162636465666768696a6b6c6d6e6f\n"
		 "attr 0x00000003 6b6579\n"
		 "attr 0x00000102\n"
		 "end\n"
		 "object 2 0x00000002\n"
		 "attr 0x00000003 6b6579\n"
		 "end\n");
	save(T, "token_golden", &s);
	s.n = 0;
	wstr(&s, "baretpm-token 1\n"
		 "label \"a \\\"quoted\\\" \\\\ label, \xc3\xa9t\xc3\xa9 \"\n"
		 "next-handle 9\n"
		 "user-pin-set 0\n"
		 "serial 0123456789abcdef\n"
		 "so-private aaab\n"
		 "so-public 000102\n"
		 "so-salt 000102030405060708090a0b0c0d0e0f\n"
		 "object 8 0x80000001\n"
		 "attr 0x80000002 00ff\n"
		 "end\n"
		 "object 3 0x00000000\n"
		 "attr 0x00000011 76616c7565\n"
		 "attr 0x00000010 617070\n"
		 "end\n");
	save(T, "token_any_order_escapes", &s);
	s.n = 0;
	wstr(&s, "baretpm-token 1\n"
		 "serial 0123456789abcdef\n"
		 "label \"\"\n"
		 "user-pin-set 0\n"
		 "next-handle 1\n"
		 "so-salt 000102030405060708090a0b0c0d0e0f\n"
		 "so-public 00\n"
		 "so-private 00\n");
	save(T, "token_empty", &s);
	s.n = 0;
	wstr(&s, "baretpm-store 1\nsrk-handle 0x81000001\nsrk-public ");
	for (unsigned i = 0; i < srk_tmpl.size; i++) {
		char h[3];
		snprintf(h, sizeof(h), "%02x", srk_tmpl.area[i]);
		wstr(&s, h);
	}
	wstr(&s, "\n");
	save(T, "global_srk", &s);
	s.n = 0;
	wstr(&s, "baretpm-store 1\nsrk-public 0023000b\nsrk-handle 0x00000000\n");
	save(T, "global_transient", &s);
}

/* ---- TCTI strings ---------------------------------------------------------------- */

static void tcti_seeds(void)
{
	static const char *const tcti[] = {
		"device:/dev/tpmrm0",
		"device",
		"device:path=/dev/tpm0,timeout=5000",
		"swtpm:host=127.0.0.1,port=2321",
		"swtpm:path=/run/swtpm/sock,ctrl=/run/swtpm/ctrl",
		"swtpm:",
		"swtpm:host=[::1],port=2321,timeout=1000",
		"mssim:host=localhost,port=2321",
		"tabrmd:bus_type=session",
	};
	for (size_t i = 0; i < sizeof(tcti) / sizeof(tcti[0]); i++) {
		struct w s = {.n = 0};
		char name[16];
		wstr(&s, tcti[i]);
		snprintf(name, sizeof(name), "tcti%zu", i);
		save("fuzz_tcti", name, &s);
	}
}

/* ---- PKCS#11 URIs ---------------------------------------------------------------- */

static void uri_seeds(void)
{
	static const char *const uri[] = {
		"pkcs11:",
		"pkcs11:object=my-pubkey;type=public",
		"pkcs11:object=my-key;type=private?pin-source=file:/etc/token",
		"pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;"
		"model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91",
		"pkcs11:model=TPM%202.0;manufacturer=baretpm;serial=0123456789abcdef;token=mine;"
		"id=%01;object=key;type=private",
		"pkcs11:library-manufacturer=x;slot-id=1;token=t",
		"pkcs11:type=data;object=%00",
	};
	for (size_t i = 0; i < sizeof(uri) / sizeof(uri[0]); i++) {
		struct w s = {.n = 0};
		char name[16];
		wstr(&s, uri[i]);
		snprintf(name, sizeof(name), "uri%zu", i);
		save("fuzz_uri", name, &s);
	}
}

/* ---- PKCS#11 templates (format: fuzz/fuzz_p11_attrs.c) ---------------------------- */

#define CKA_CLASS 0x000u
#define CKA_TOKEN 0x001u
#define CKA_PRIVATE 0x002u
#define CKA_LABEL 0x003u
#define CKA_APPLICATION 0x010u
#define CKA_VALUE 0x011u
#define CKA_CERTIFICATE_TYPE 0x080u
#define CKA_CHECK_VALUE 0x090u
#define CKA_KEY_TYPE 0x100u
#define CKA_SUBJECT 0x101u
#define CKA_ID 0x102u
#define CKA_SENSITIVE 0x103u
#define CKA_SIGN 0x108u
#define CKA_VERIFY 0x10Au
#define CKA_DERIVE 0x10Cu
#define CKA_PUBLIC_KEY_INFO 0x129u
#define CKA_LOCAL 0x163u
#define CKA_EC_PARAMS 0x180u
#define CKA_EC_POINT 0x181u
#define CKA_ALLOWED_MECHANISMS 0x40000600u

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

/* An attribute: type as 0xFF + 32 bits, then its length byte and value. */
static void attr(struct w *w, uint32_t type, const void *v, size_t n)
{
	w8(w, 0xFF);
	w32(w, type);
	w8(w, (uint8_t)n);
	wbytes(w, v, n);
}

static void attr_ulong(struct w *w, uint32_t type, unsigned long v)
{
	attr(w, type, &v, sizeof(v)); /* CK_ULONG in host order, as the module reads it */
}

static void attr_bool(struct w *w, uint32_t type, int v)
{
	uint8_t b = (uint8_t)!!v;
	attr(w, type, &b, 1);
}

/* For C_GetAttributeValue: a buffer of n bytes (0xFF: NULL, the size query). */
static void attr_out(struct w *w, uint32_t type, uint8_t n)
{
	w8(w, 0xFF);
	w32(w, type);
	w8(w, n);
}

static void p256_point(uint8_t *der)
{
	static const uint8_t gx[32] = {
		0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
		0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
		0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
	static const uint8_t gy[32] = {
		0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
		0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
		0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};
	der[0] = 0x04;
	der[1] = 65;
	der[2] = 0x04;
	memcpy(der + 3, gx, 32);
	memcpy(der + 35, gy, 32);
}

/* Every attribute of the object with known index obj, as sized buffers and as size queries. */
static void get_all(struct w *s, uint8_t obj)
{
	static const uint32_t types[] = {CKA_CLASS,       CKA_TOKEN,     CKA_PRIVATE,
					 CKA_LABEL,       CKA_ID,        CKA_VALUE,
					 CKA_SUBJECT,     CKA_KEY_TYPE,  CKA_EC_PARAMS,
					 CKA_EC_POINT,    CKA_SIGN,      CKA_PUBLIC_KEY_INFO,
					 CKA_CHECK_VALUE, CKA_ALLOWED_MECHANISMS};
	w8(s, 2);
	w8(s, obj);
	w8(s, 2 * 8);
	for (size_t i = 0; i < 8; i++)
		attr_out(s, types[i], 0xFF);
	for (size_t i = 6; i < 14; i++)
		attr_out(s, types[i], 100);
}

static void p11_seeds(void)
{
	const char *T = "fuzz_p11_attrs";
	struct w s;
	uint8_t point[67];
	p256_point(point);

	/* a data object on the token, then read back */
	s.n = 0;
	w8(&s, 0x02);
	w8(&s, 0);
	w8(&s, 5);
	attr_ulong(&s, CKA_CLASS, 0);
	attr_bool(&s, CKA_TOKEN, 1);
	attr(&s, CKA_LABEL, "d", 1);
	attr(&s, CKA_VALUE, "xyz", 3);
	attr(&s, CKA_APPLICATION, "app", 3);
	w8(&s, 2);
	w8(&s, 4); /* 4 objects visible without login, then the new one */
	w8(&s, 3);
	attr_out(&s, CKA_CLASS, 8);
	attr_out(&s, CKA_LABEL, 0xFF);
	attr_out(&s, CKA_VALUE, 3);
	save(T, "create_data", &s);

	/* a certificate as a session object, found by class */
	s.n = 0;
	w8(&s, 0x00);
	w8(&s, 0);
	w8(&s, 6);
	attr_ulong(&s, CKA_CLASS, 1);
	attr_ulong(&s, CKA_CERTIFICATE_TYPE, 0);
	attr(&s, CKA_VALUE, "\x30\x03\x02\x01\x01", 5);
	attr(&s, CKA_SUBJECT, "\x30\x00", 2);
	attr(&s, CKA_ID, "\x02", 1);
	attr_bool(&s, CKA_TOKEN, 0);
	w8(&s, 1);
	w8(&s, 1);
	attr_ulong(&s, CKA_CLASS, 1);
	w8(&s, 3);
	get_all(&s, 4);
	save(T, "create_certificate", &s);

	/* a public key from outside, on the token */
	s.n = 0;
	w8(&s, 0x02);
	w8(&s, 0);
	w8(&s, 6);
	attr_ulong(&s, CKA_CLASS, 2);
	attr_ulong(&s, CKA_KEY_TYPE, 3);
	attr(&s, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
	attr(&s, CKA_EC_POINT, point, sizeof(point));
	attr_bool(&s, CKA_TOKEN, 1);
	attr(&s, CKA_LABEL, "imported", 8);
	get_all(&s, 4);
	save(T, "create_public_key", &s);

	/* logged in: key generation templates as pkcs11-tool sends them */
	s.n = 0;
	w8(&s, 0x03);
	w8(&s, 4);
	w8(&s, 0);
	w8(&s, 4);
	attr(&s, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
	attr_bool(&s, CKA_TOKEN, 1);
	attr_bool(&s, CKA_VERIFY, 1);
	attr(&s, CKA_LABEL, "new", 3);
	w8(&s, 5);
	attr_bool(&s, CKA_TOKEN, 1);
	attr_bool(&s, CKA_PRIVATE, 1);
	attr_bool(&s, CKA_SENSITIVE, 1);
	attr_bool(&s, CKA_SIGN, 1);
	attr_bool(&s, CKA_DERIVE, 1);
	save(T, "generate_key_pair", &s);

	/* logged in: every object's attributes, then new labels and IDs */
	s.n = 0;
	w8(&s, 0x03);
	for (uint8_t obj = 0; obj < 5; obj++)
		get_all(&s, obj);
	w8(&s, 3);
	w8(&s, 0);
	w8(&s, 2);
	attr(&s, CKA_LABEL, "renamed", 7);
	attr(&s, CKA_ID, "\x09\x09", 2);
	w8(&s, 3);
	w8(&s, 1);
	w8(&s, 1);
	attr_bool(&s, CKA_SIGN, 0); /* read-only */
	w8(&s, 6);
	w8(&s, 2);
	save(T, "logged_in_get_set", &s);

	/* search by label and ID, destroy what was found */
	s.n = 0;
	w8(&s, 0x02);
	w8(&s, 1); /* find */
	w8(&s, 2);
	attr(&s, CKA_LABEL, "key", 3);
	attr(&s, CKA_ID, "\x01", 1);
	w8(&s, 2); /* batch */
	w8(&s, 5); /* destroy */
	w8(&s, 4);
	w8(&s, 1); /* find */
	w8(&s, 1);
	attr_bool(&s, CKA_LOCAL, 1);
	w8(&s, 3);
	w8(&s, 6); /* size */
	w8(&s, 0);
	w8(&s, 5); /* destroy */
	w8(&s, 1);
	save(T, "find_and_destroy", &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	if (btpm_template_ecc_sign(&sign_tmpl, BTPM_ECC_NIST_P256, 0) ||
	    btpm_template_srk(&srk_tmpl) || btpm_template_sealed(&sealed_tmpl, 0) ||
	    btpm_public_name(&sign_tmpl, &sign_name))
		return 1;
	responses_seeds();
	session_seeds();
	store_seeds();
	tcti_seeds();
	uri_seeds();
	p11_seeds();
	return 0;
}
