/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7512 PKCS#11 URI parsing: the examples of RFC 7512 section 3 and hostile inputs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "uri.h"
#include "run.h"

static struct btpm_uri u;
static char err[128];

START_TEST(rfc7512_examples)
{
	/* RFC 7512, section 3 (examples) */
	ck_assert_int_eq(btpm_uri_parse("pkcs11:", &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.has, 0);
	ck_assert_int_eq(btpm_uri_parse("pkcs11:object=my-pubkey;type=public", &u, err,
					sizeof(err)),
			 0);
	ck_assert_str_eq(u.object, "my-pubkey");
	ck_assert_str_eq(u.type, "public");
	ck_assert_int_eq(btpm_uri_parse("pkcs11:object=my-key;type=private?pin-source=file:/etc/t",
					&u, err, sizeof(err)),
			 0);
	ck_assert_str_eq(u.type, "private");
	ck_assert_int_eq(btpm_uri_parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
					"manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-"
					"certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=",
					&u, err, sizeof(err)),
			 0);
	ck_assert_str_eq(u.token, "The Software PKCS#11 Softtoken");
	ck_assert_str_eq(u.manufacturer, "Snake Oil, Inc.");
	ck_assert_uint_eq(u.id_len, 8);
	ck_assert_mem_eq(u.id, "\x69\x95\x3e\x5c\xf4\xbd\xec\x91", 8);
	ck_assert(u.has & BTPM_URI_HAS_SERIAL);
	ck_assert_str_eq(u.serial, "");
	/* what baretpm listobjects prints */
	ck_assert_int_eq(btpm_uri_parse("pkcs11:model=TPM%202.0;manufacturer=baretpm;serial="
					"0123456789abcdef;token=ssh;object=big;id=%0A%0B;type=public",
					&u, err, sizeof(err)),
			 0);
	ck_assert_str_eq(u.model, "TPM 2.0");
	ck_assert_str_eq(u.serial, "0123456789abcdef");
	ck_assert_mem_eq(u.id, "\x0a\x0b", 2);
	/* library-* and slot-* attributes are accepted and ignored */
	ck_assert_int_eq(btpm_uri_parse("pkcs11:library-manufacturer=x;slot-id=1;token=t", &u, err,
					sizeof(err)),
			 0);
	ck_assert_str_eq(u.token, "t");
}
END_TEST

START_TEST(hostile)
{
	static const char *bad[] = {
		NULL,
		"",
		"pkcs11",
		"PKCS11:token=x",
		"pkcs11:token",
		"pkcs11:=x",
		"pkcs11:token=a;token=b",
		"pkcs11:id=%0",
		"pkcs11:id=%zz",
		"pkcs11:token=%00x",
		"pkcs11:type=secret",
		"pkcs11:token=x;",
		"pkcs11:object=0123456789012345678901234567890123456789012345678901234567890123456789",
		"pkcs11:id=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"
		"%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"
		"%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(btpm_uri_parse(bad[i], &u, err, sizeof(err)) == -1, "accepted %s",
			      bad[i] ? bad[i] : "NULL");
		ck_assert_msg(err[0], "no reason for %s", bad[i] ? bad[i] : "NULL");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uri");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, rfc7512_examples);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return btpm_test_run(s);
}
