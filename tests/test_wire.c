/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire core: the byte cursor, command marshalling byte vectors derived from
 * the Part 3 command tables, and hostile responses (truncated at every byte,
 * size fields that lie, trailing bytes, wrong tags, oversized TPM2Bs, absurd
 * counts, endless moreData) that must all fail cleanly.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "internal.h"
#include "run.h"

static struct fake *f;
static struct btpm *t;

static void setup(void)
{
	f = fake_new();
	ck_assert_int_eq(btpm_open_transport(&t, &f->tr, "fake"), 0);
	t->nv_buffer_max = 1024;
}

static void teardown(void)
{
	btpm_close(t);
	t = NULL;
}

/* The command just sent equals the hex vector. */
static void assert_sent(const char *hex)
{
	uint8_t want[4096];
	size_t n = fake_hex(hex, want, sizeof(want));
	ck_assert_uint_eq(f->cmd_len, n);
	ck_assert_mem_eq(f->cmd, want, n);
}

/* ---- cursor ---------------------------------------------------------------- */

START_TEST(buf_put_big_endian)
{
	uint8_t m[32];
	struct btpm_buf b;
	btpm_buf_init(&b, m, sizeof(m));
	btpm_put_u8(&b, 0x01);
	btpm_put_u16(&b, 0x0203);
	btpm_put_u32(&b, 0x04050607);
	btpm_put_u64(&b, 0x08090a0b0c0d0e0fULL);
	btpm_put_tpm2b(&b, "ab", 2);
	ck_assert_int_eq(btpm_buf_err(&b), 0);
	static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 2, 'a', 'b'};
	ck_assert_uint_eq(b.off, sizeof(want));
	ck_assert_mem_eq(m, want, sizeof(want));
}
END_TEST

START_TEST(buf_put_overflow_is_sticky)
{
	uint8_t m[5];
	struct btpm_buf b;
	btpm_buf_init(&b, m, sizeof(m));
	btpm_put_u32(&b, 1);
	btpm_put_u16(&b, 2); /* does not fit: nothing written */
	ck_assert_int_eq(btpm_buf_err(&b), BTPM_E_TOOBIG);
	btpm_put_u8(&b, 3); /* would fit, but the error is sticky */
	ck_assert_uint_eq(b.off, 4);
	ck_assert_int_eq(btpm_buf_err(&b), BTPM_E_TOOBIG);
}
END_TEST

START_TEST(buf_size16_patch)
{
	uint8_t m[16];
	struct btpm_buf b;
	btpm_buf_init(&b, m, sizeof(m));
	size_t mark = btpm_put_size16_begin(&b);
	btpm_put_u32(&b, 0xdeadbeef);
	btpm_put_u8(&b, 7);
	btpm_put_size16_end(&b, mark);
	static const uint8_t want[] = {0, 5, 0xde, 0xad, 0xbe, 0xef, 7};
	ck_assert_uint_eq(b.off, sizeof(want));
	ck_assert_mem_eq(m, want, sizeof(want));
}
END_TEST

START_TEST(buf_get_never_clamps)
{
	static const uint8_t m[] = {0x00, 0x05, 'a', 'b', 'c'}; /* TPM2B claims 5, has 3 */
	struct btpm_buf b;
	uint16_t n;
	btpm_buf_view(&b, m, sizeof(m));
	ck_assert_ptr_null(btpm_get_tpm2b(&b, &n, 64));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(btpm_buf_end(&b), BTPM_E_MALFORMED);
	ck_assert_uint_eq(btpm_get_u32(&b), 0); /* sticky: later gets yield 0 */
}
END_TEST

START_TEST(buf_tpm2b_above_max_is_malformed)
{
	static const uint8_t m[] = {0x00, 0x03, 'a', 'b', 'c'};
	struct btpm_buf b;
	uint16_t n;
	btpm_buf_view(&b, m, sizeof(m));
	ck_assert_ptr_null(btpm_get_tpm2b(&b, &n, 2));
	ck_assert_int_eq(btpm_buf_end(&b), BTPM_E_MALFORMED);
	btpm_buf_view(&b, m, sizeof(m));
	const uint8_t *p = btpm_get_tpm2b(&b, &n, 3);
	ck_assert_ptr_eq(p, m + 2);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(btpm_buf_end(&b), 0);
}
END_TEST

START_TEST(buf_leftover_is_malformed)
{
	static const uint8_t m[] = {1, 2, 3};
	struct btpm_buf b;
	btpm_buf_view(&b, m, sizeof(m));
	ck_assert_uint_eq(btpm_get_u16(&b), 0x0102);
	ck_assert_int_eq(btpm_buf_err(&b), 0);
	ck_assert_int_eq(btpm_buf_end(&b), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(buf_sub_exact)
{
	static const uint8_t m[] = {0, 2, 0xaa, 0xbb, 0, 0};
	struct btpm_buf b, s;
	btpm_buf_view(&b, m, sizeof(m));
	btpm_get_sub(&b, &s, 0);
	ck_assert_uint_eq(btpm_get_u16(&s), 0xaabb);
	ck_assert_int_eq(btpm_buf_end(&s), 0);
	btpm_get_sub(&b, &s, 0); /* empty where a structure is required */
	ck_assert_int_eq(btpm_buf_end(&b), BTPM_E_MALFORMED);
	ck_assert_int_ne(btpm_buf_end(&s), 0);
}
END_TEST

/* ---- marshalling: byte vectors from the Part 3 tables --------------------- */

START_TEST(marshal_get_random)
{
	uint8_t out[8];
	fake_push_hex(f, "8001 00000014 00000000 0008 0102030405060708");
	ck_assert_int_eq(btpm_get_random(t, out, 8), 0);
	/* Part 3, 16.1: tag, size, TPM_CC_GetRandom, bytesRequested */
	assert_sent("8001 0000000c 0000017b 0008");
	ck_assert_mem_eq(out, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}
END_TEST

START_TEST(marshal_startup_shutdown_selftest)
{
	fake_push_hex(f, "8001 0000000a 00000000");
	ck_assert_int_eq(btpm_startup(t, BTPM_SU_CLEAR), 0);
	assert_sent("8001 0000000c 00000144 0000");
	fake_push_hex(f, "8001 0000000a 00000000");
	ck_assert_int_eq(btpm_shutdown(t, BTPM_SU_STATE), 0);
	assert_sent("8001 0000000c 00000145 0001");
	fake_push_hex(f, "8001 0000000a 00000000");
	ck_assert_int_eq(btpm_self_test(t, 1), 0);
	assert_sent("8001 0000000b 00000143 01");
	ck_assert_int_eq(btpm_startup(t, 7), BTPM_E_ARG);
}
END_TEST

START_TEST(marshal_get_capability)
{
	struct btpm_capdata d;
	int more = -1;
	fake_push_hex(f, "8001 00000023 00000000 01 00000006 00000002"
			 " 00000105 49424d00 0000010b 20191023");
	ck_assert_int_eq(btpm_get_capability(t, BTPM_CAP_TPM_PROPERTIES, 0x100, 2, &more, &d), 0);
	/* Part 3, 30.2: capability, property, propertyCount */
	assert_sent("8001 00000016 0000017a 00000006 00000100 00000002");
	ck_assert_int_eq(more, 1);
	ck_assert_uint_eq(d.count, 2);
	ck_assert_uint_eq(d.u.props[0].property, 0x105);
	ck_assert_uint_eq(d.u.props[0].value, 0x49424d00);
	ck_assert_uint_eq(d.u.props[1].value, 0x20191023);
}
END_TEST

START_TEST(marshal_nv_read_password_session)
{
	struct btpm_nv_public pub = {.nv_index = 0x01c00002,
				     .attributes = BTPM_TPMA_NV_AUTHREAD,
				     .data_size = 4};
	uint8_t out[4];
	fake_push_hex(f, "8002 00000019 00000000 00000006 0004 cafef00d 0000 01 0000");
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, out, 4), 0);
	/*
	 * Part 3, 31.13: authHandle, nvIndex, then the authorization area
	 * (Part 1, 18.7: authorizationSize, TPM_RS_PW, empty nonce,
	 * continueSession, empty password), then size and offset.
	 */
	assert_sent("8002 00000023 0000014e 01c00002 01c00002"
		    " 00000009 40000009 0000 01 0000 0004 0000");
	ck_assert_mem_eq(out, "\xca\xfe\xf0\x0d", 4);
}
END_TEST

START_TEST(nv_read_chunks_by_buffer_max)
{
	struct btpm_nv_public pub = {.nv_index = 0x01c00016,
				     .attributes = BTPM_TPMA_NV_OWNERREAD,
				     .data_size = 5};
	uint8_t out[5];
	t->nv_buffer_max = 3;
	fake_push_hex(f, "8002 00000018 00000000 00000005 0003 010203 0000 01 0000");
	fake_push_hex(f, "8002 00000017 00000000 00000004 0002 0405 0000 01 0000");
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, out, 5), 0);
	/* the second chunk: owner authorizes, 2 bytes at offset 3 */
	assert_sent("8002 00000023 0000014e 40000001 01c00016"
		    " 00000009 40000009 0000 01 0000 0002 0003");
	ck_assert_mem_eq(out, "\x01\x02\x03\x04\x05", 5);
	ck_assert_uint_eq(f->calls, 2);
	ck_assert_int_eq(btpm_nv_read(t, &pub, 3, out, 5), BTPM_E_ARG); /* past the end */
}
END_TEST

START_TEST(marshal_flush_and_read_public)
{
	fake_push_hex(f, "8001 0000000a 00000000");
	ck_assert_int_eq(btpm_flush_context(t, 0x80000001), 0);
	/* Part 3, 28.4: flushHandle travels as a parameter */
	assert_sent("8001 0000000e 00000165 80000001");
	struct btpm_read_public rp;
	fake_push_hex(f, "8001 00000018 00000000 0004 00230001 0002 000b 0002 000c");
	ck_assert_int_eq(btpm_read_public(t, 0x81000001, &rp), 0);
	assert_sent("8001 0000000e 00000173 81000001");
	ck_assert_uint_eq(rp.public_size, 4);
	ck_assert_uint_eq(rp.name.size, 2);
	ck_assert_uint_eq(rp.qualified_name.name[1], 0x0c);
}
END_TEST

START_TEST(marshal_pcr_read)
{
	struct btpm_pcr_values v;
	char hex[600];
	strcpy(hex, "8001 00000060 00000000 00000011 00000001 000b 03 030000 00000002 0020");
	for (int i = 0; i < 32; i++)
		strcat(hex, "11");
	strcat(hex, " 0020");
	for (int i = 0; i < 32; i++)
		strcat(hex, "22");
	fake_push_hex(f, hex);
	ck_assert_int_eq(btpm_pcr_read(t, 0x000b, 0x3, &v), 0);
	/* Part 3, 22.4: TPML_PCR_SELECTION with one bank, 3 select bytes */
	assert_sent("8001 00000014 0000017e 00000001 000b 03 030000");
	ck_assert_uint_eq(v.count, 2);
	ck_assert_uint_eq(v.update_counter, 0x11);
	ck_assert_uint_eq(v.digest[1][31], 0x22);
}
END_TEST

/* ---- hostile responses --------------------------------------------------- */

static int call_random(void)
{
	uint8_t out[8];
	return btpm_get_random(t, out, 8);
}

static int call_getcap(void)
{
	struct btpm_capdata d;
	int more;
	return btpm_get_capability(t, BTPM_CAP_TPM_PROPERTIES, 0x100, 2, &more, &d);
}

static int call_nv_read_public(void)
{
	struct btpm_nv_public p;
	return btpm_nv_read_public(t, 0x01c00002, &p);
}

static int call_nv_read(void)
{
	struct btpm_nv_public pub = {.nv_index = 0x01c00002,
				     .attributes = BTPM_TPMA_NV_AUTHREAD,
				     .data_size = 4};
	uint8_t out[4];
	return btpm_nv_read(t, &pub, 0, out, 4);
}

static int call_read_public(void)
{
	struct btpm_read_public rp;
	return btpm_read_public(t, 0x81000001, &rp);
}

static int call_pcr_read(void)
{
	struct btpm_pcr_values v;
	return btpm_pcr_read(t, 0x0004, 0x1, &v);
}

static int call_startup(void)
{
	return btpm_startup(t, BTPM_SU_CLEAR);
}

static const struct {
	const char *name;
	int (*call)(void);
	const char *ok; /* a well-formed response */
} hostile[] = {
	{"GetRandom", call_random, "8001 00000014 00000000 0008 0102030405060708"},
	{"GetCapability", call_getcap,
	 "8001 00000023 00000000 00 00000006 00000002 00000105 49424d00 0000010b 20191023"},
	{"NV_ReadPublic", call_nv_read_public,
	 "8001 0000003e 00000000 000e 01c00002 000b 22020000 0000 0004"
	 " 0022 000b 0000000000000000000000000000000000000000000000000000000000000000"},
	{"NV_Read", call_nv_read, "8002 00000019 00000000 00000006 0004 cafef00d 0000 01 0000"},
	{"ReadPublic", call_read_public, "8001 00000018 00000000 0004 00230001 0002 000b 0002 000c"},
	{"PCR_Read", call_pcr_read,
	 "8001 00000032 00000000 00000011 00000001 0004 03 010000 00000001 0014"
	 " 0000000000000000000000000000000000000000"},
	{"Startup", call_startup, "8001 0000000a 00000000"},
};

static size_t set_size(uint8_t *r, size_t n)
{
	if (n >= 6) {
		r[2] = (uint8_t)(n >> 24);
		r[3] = (uint8_t)(n >> 16);
		r[4] = (uint8_t)(n >> 8);
		r[5] = (uint8_t)n;
	}
	return n;
}

/* The well-formed response passes; then every corruption of it fails cleanly. */
START_TEST(hostile_responses)
{
	uint8_t ok[512], r[520];
	size_t n = fake_hex(hostile[_i].ok, ok, sizeof(ok));
	const char *name = hostile[_i].name;
	fake_push(f, ok, n);
	ck_assert_msg(hostile[_i].call() == 0, "%s: well-formed response refused", name);

	/* truncated at every byte, with the size field following the truncation */
	for (size_t len = 0; len < n; len++) {
		memcpy(r, ok, n);
		set_size(r, len);
		f = fake_new();
		t->tr = &f->tr;
		fake_push(f, r, len);
		int rc = hostile[_i].call();
		ck_assert_msg(rc == BTPM_E_MALFORMED, "%s truncated to %zu: rc %d", name, len, rc);
	}
	/* the size field lies (one more, one less than what arrived) */
	for (int delta = -1; delta <= 1; delta += 2) {
		memcpy(r, ok, n);
		set_size(r, n + (size_t)delta);
		fake_push(f, r, n);
		ck_assert_int_eq(hostile[_i].call(), BTPM_E_MALFORMED);
	}
	/* one trailing byte, framed consistently */
	memcpy(r, ok, n);
	r[n] = 0;
	fake_push(f, r, set_size(r, n + 1));
	ck_assert_msg(hostile[_i].call() == BTPM_E_MALFORMED, "%s: trailing byte accepted", name);
	/* wrong tag */
	memcpy(r, ok, n);
	r[1] = r[1] == 0x01 ? 0x02 : 0x01;
	fake_push(f, r, n);
	ck_assert_int_eq(hostile[_i].call(), BTPM_E_MALFORMED);
	r[0] = 0x00;
	r[1] = 0xc4; /* a TPM 1.2 tag */
	fake_push(f, r, n);
	ck_assert_int_eq(hostile[_i].call(), BTPM_E_MALFORMED);
	/* an error code with a body attached */
	memcpy(r, ok, n);
	r[6] = r[7] = 0;
	r[8] = 0x01;
	r[9] = 0x01;
	fake_push(f, r, n);
	ck_assert_int_eq(hostile[_i].call(), n == 10 ? 0x101 : BTPM_E_MALFORMED);
	/* the transport fails */
	fake_push_err(f, BTPM_E_CLOSED);
	ck_assert_int_eq(hostile[_i].call(), BTPM_E_CLOSED);
}
END_TEST

START_TEST(error_code_is_returned)
{
	fake_push_hex(f, "8001 0000000a 0000018b"); /* TPM_RC_HANDLE, handle 1 */
	ck_assert_int_eq(call_nv_read_public(), 0x18b);
}
END_TEST

START_TEST(random_longer_than_asked_is_malformed)
{
	fake_push_hex(f, "8001 00000015 00000000 0009 010203040506070809");
	ck_assert_int_eq(call_random(), BTPM_E_MALFORMED);
	fake_push_hex(f, "8001 0000000c 00000000 0000"); /* no bytes at all: no endless loop */
	ck_assert_int_eq(call_random(), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(capability_absurd_counts)
{
	fake_push_hex(f, "8001 00000013 00000000 00 00000006 ffffffff");
	ck_assert_int_eq(call_getcap(), BTPM_E_MALFORMED);
	fake_push_hex(f, "8001 00000013 00000000 00 00000001 00000000"); /* other capability */
	ck_assert_int_eq(call_getcap(), BTPM_E_MALFORMED);
	fake_push_hex(f, "8001 00000013 00000000 02 00000006 00000000"); /* moreData 2 */
	ck_assert_int_eq(call_getcap(), BTPM_E_MALFORMED);
	struct btpm_capdata d;
	int more;
	fake_push_hex(f, "8001 00000013 00000000 00 00000005 00000011"); /* 17 PCR banks */
	ck_assert_int_eq(btpm_get_capability(t, BTPM_CAP_PCRS, 0, 1, &more, &d), BTPM_E_MALFORMED);
	fake_push_hex(f, "8001 00000016 00000000 00 00000005 00000001 000b 21"); /* sizeofSelect 33 */
	ck_assert_int_eq(btpm_get_capability(t, BTPM_CAP_PCRS, 0, 1, &more, &d), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(capability_all_follows_more_data)
{
	struct btpm_capdata d;
	fake_push_hex(f, "8001 0000001b 00000000 01 00000001 00000002 81000001 81000002");
	fake_push_hex(f, "8001 0000001b 00000000 00 00000001 00000002 81000003 82000000");
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, 0x81000000, 0x81ffffff, &d), 0);
	ck_assert_uint_eq(d.count, 3); /* 0x82000000 is past the range asked for */
	ck_assert_uint_eq(d.u.handles[2], 0x81000003);
	/* the second request starts after the last handle returned */
	assert_sent("8001 00000016 0000017a 00000001 81000003 00000100");
}
END_TEST

START_TEST(capability_all_refuses_to_loop)
{
	struct btpm_capdata d;
	/* moreData forever with no entries */
	fake_push_hex(f, "8001 00000013 00000000 01 00000001 00000000");
	f->repeat_last = 1;
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, 0x81000000, 0x81ffffff, &d),
			 BTPM_E_MALFORMED);
	ck_assert_uint_eq(f->calls, 1);
	/* moreData forever, repeating the same entry */
	f = fake_new();
	t->tr = &f->tr;
	fake_push_hex(f, "8001 00000017 00000000 01 00000001 00000001 81000001");
	f->repeat_last = 1;
	ck_assert_int_eq(btpm_get_capability_all(t, BTPM_CAP_HANDLES, 0x81000000, 0x81ffffff, &d),
			 BTPM_E_MALFORMED);
	ck_assert_uint_eq(f->calls, 2);
}
END_TEST

START_TEST(pcr_read_counts_must_match)
{
	struct btpm_pcr_values v;
	/* one PCR selected, two digests */
	fake_push_hex(f, "8001 00000048 00000000 00000011 00000001 0004 03 010000 00000002"
			 " 0014 0000000000000000000000000000000000000000"
			 " 0014 0000000000000000000000000000000000000000");
	ck_assert_int_eq(btpm_pcr_read(t, 0x0004, 0x1, &v), BTPM_E_MALFORMED);
	/* a PCR that was not asked for */
	fake_push_hex(f, "8001 00000032 00000000 00000011 00000001 0004 03 020000 00000001"
			 " 0014 0000000000000000000000000000000000000000");
	ck_assert_int_eq(btpm_pcr_read(t, 0x0004, 0x1, &v), BTPM_E_MALFORMED);
	/* nothing read at all: no endless loop */
	fake_push_hex(f, "8001 0000001c 00000000 00000011 00000001 0004 03 000000 00000000");
	ck_assert_int_eq(btpm_pcr_read(t, 0x0004, 0x1, &v), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(retry_is_bounded)
{
	uint8_t out[1];
	fake_push_hex(f, "8001 0000000a 00000922"); /* TPM_RC_RETRY */
	fake_push_hex(f, "8001 0000000d 00000000 0001 2a");
	ck_assert_int_eq(btpm_get_random(t, out, 1), 0);
	ck_assert_uint_eq(f->calls, 2);
	ck_assert_uint_eq(out[0], 0x2a);
	ck_assert_uint_eq(btpm_commands_sent(t), 1); /* one command, */
	ck_assert_uint_eq(btpm_commands_retried(t), 1); /* resent once */

	f = fake_new();
	t->tr = &f->tr;
	fake_push_hex(f, "8001 0000000a 00000908"); /* TPM_RC_YIELDED, forever */
	f->repeat_last = 1;
	ck_assert_int_eq(btpm_get_random(t, out, 1), 0x908);
	ck_assert_uint_eq(f->calls, BTPM_MAX_RETRIES);
}
END_TEST

START_TEST(password_session_response_must_be_empty)
{
	struct btpm_nv_public pub = {.nv_index = 0x01c00002,
				     .attributes = BTPM_TPMA_NV_AUTHREAD,
				     .data_size = 4};
	uint8_t out[4];
	/* a nonce where a password session has none */
	fake_push_hex(f, "8002 0000001a 00000000 00000006 0004 cafef00d 0001 aa 01 0000");
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, out, 4), BTPM_E_MALFORMED);
	/* parameterSize larger than the rest of the response */
	fake_push_hex(f, "8002 00000019 00000000 00000060 0004 cafef00d 0000 01 0000");
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, out, 4), BTPM_E_MALFORMED);
	/* no sessions tag for a command with sessions */
	fake_push_hex(f, "8001 00000010 00000000 0004 cafef00d");
	ck_assert_int_eq(btpm_nv_read(t, &pub, 0, out, 4), BTPM_E_MALFORMED);
}
END_TEST

START_TEST(ek_der_padding_trimmed)
{
	/* NV_ReadPublic (written, 8 bytes), then NV_Read: DER SEQUENCE of 3 + 3 pad bytes */
	fake_push_hex(f, "8001 0000003e 00000000 000e 01c00002 000b 22060004 0000 0008"
			 " 0022 000b 0000000000000000000000000000000000000000000000000000000000000000");
	fake_push_hex(f, "8002 0000001d 00000000 0000000a 0008 3003020101ffffff 0000 01 0000");
	uint8_t der[64];
	size_t len;
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c00002, der, sizeof(der), &len), 0);
	ck_assert_uint_eq(len, 5);
	/* an undefined index: TPM_RC_HANDLE (handle 1) */
	fake_push_hex(f, "8001 0000000a 0000018b");
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c0000a, der, sizeof(der), &len), BTPM_E_NOTFOUND);
	/* defined but never written (TPMA_NV_WRITTEN clear) */
	fake_push_hex(f, "8001 0000003e 00000000 000e 01c00002 000b 02060004 0000 0008"
			 " 0022 000b 0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_int_eq(btpm_ek_cert_read(t, 0x01c00002, der, sizeof(der), &len), BTPM_E_NOTFOUND);
}
END_TEST

START_TEST(null_arguments)
{
	struct btpm_capdata d;
	int more;
	ck_assert_int_eq(btpm_get_random(NULL, NULL, 1), BTPM_E_ARG);
	ck_assert_int_eq(btpm_get_random(t, NULL, 1), BTPM_E_ARG);
	ck_assert_int_eq(btpm_get_capability(t, 0x99, 0, 1, &more, &d), BTPM_E_ARG);
	ck_assert_int_eq(btpm_get_capability(t, BTPM_CAP_ALGS, 0, 1, NULL, &d), BTPM_E_ARG);
	ck_assert_int_eq(btpm_read_public(t, 0x81000001, NULL), BTPM_E_ARG);
	ck_assert_int_eq(btpm_nv_read_public(NULL, 1, NULL), BTPM_E_ARG);
	ck_assert_int_eq(btpm_pcr_read(t, 0x0099, 1, NULL), BTPM_E_ARG);
	ck_assert_uint_eq(f->calls, 0);
	btpm_close(NULL);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("cursor");
	tcase_add_test(tc, buf_put_big_endian);
	tcase_add_test(tc, buf_put_overflow_is_sticky);
	tcase_add_test(tc, buf_size16_patch);
	tcase_add_test(tc, buf_get_never_clamps);
	tcase_add_test(tc, buf_tpm2b_above_max_is_malformed);
	tcase_add_test(tc, buf_leftover_is_malformed);
	tcase_add_test(tc, buf_sub_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("marshal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, marshal_get_random);
	tcase_add_test(tc, marshal_startup_shutdown_selftest);
	tcase_add_test(tc, marshal_get_capability);
	tcase_add_test(tc, marshal_nv_read_password_session);
	tcase_add_test(tc, nv_read_chunks_by_buffer_max);
	tcase_add_test(tc, marshal_flush_and_read_public);
	tcase_add_test(tc, marshal_pcr_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, hostile_responses, 0, (int)(sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, error_code_is_returned);
	tcase_add_test(tc, random_longer_than_asked_is_malformed);
	tcase_add_test(tc, capability_absurd_counts);
	tcase_add_test(tc, capability_all_follows_more_data);
	tcase_add_test(tc, capability_all_refuses_to_loop);
	tcase_add_test(tc, pcr_read_counts_must_match);
	tcase_add_test(tc, retry_is_bounded);
	tcase_add_test(tc, password_session_response_must_be_empty);
	tcase_add_test(tc, ek_der_padding_trimmed);
	tcase_add_test(tc, null_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(wire_suite());
}
