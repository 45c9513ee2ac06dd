/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token verbs of the baretpm CLI against a swtpm this suite starts, as a
 * user runs them: init, addtoken, addkey, listtokens, listobjects, sshkey
 * (checked by ssh-keygen), changepin, initpin, rmkey, rmtoken; PINs from
 * flags, files and (absent) terminals; wrong PINs; a corrupt store.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "run.h"

static struct btpm_test_sim sim;
static char out[65536], err[8192], store[400];

/* A fresh (empty) store directory per test. */
static void fresh(void)
{
	snprintf(store, sizeof(store), "%s/store-XXXXXX", sim.dir);
	ck_assert_ptr_nonnull(mkdtemp(store));
}

/* Shell text run against the sim and this test's store ($B is the CLI); its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char body[3000], cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "export BARETPM_STORE='%s' BARETPM_TCTI='%s'; B='%s'; %s", store,
		 sim.tcti, btpm_test_cli(), body);
	return btpm_test_sh(cmd, 90, out, sizeof(out), err, sizeof(err));
}

/* Run "baretpm ARGS" against the sim and this test's store (stdin from /dev/null). */
__attribute__((format(printf, 1, 2))) static int cli(const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return sh("setsid \"$B\" %s </dev/null", args);
}

#define assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)), "missing '%s' in:\n%s", (needle), (hay))

static void setup_token(void)
{
	ck_assert_int_eq(cli("init"), 0);
	assert_has(out, "persistent at 0x81000001");
	assert_has(out, "pinned");
	ck_assert_int_eq(cli("addtoken --label=ssh --userpin=1234 --sopin=5678 --pid=1"), 0);
	assert_has(out, "token 'ssh' created (serial ");
}

START_TEST(workflow)
{
	setup_token();
	ck_assert_int_eq(cli("init"), 0); /* again: harmless */
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234 --algorithm=ecc256"), 0);
	assert_has(out, "key 'ssh' (ECC NIST P-256) created in token 'ssh'");
	assert_has(out, "pkcs11:model=TPM%202.0;manufacturer=baretpm;serial=");
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234 --algorithm=ecc384 "
			     "--key-label=big --id=0a0b"),
			 0);
	ck_assert_int_eq(cli("listtokens"), 0);
	assert_has(out, "  label: ssh\n  user-pin: set\n  keys: 2\n");
	ck_assert_int_eq(cli("listobjects --label=ssh"), 0);
	assert_has(out, "- class: private\n  label: big\n  id: 0a0b\n  curve: nistp384\n");
	assert_has(out, ";token=ssh;object=big;id=%0A%0B;type=public");
	/* sshkey lines are valid OpenSSH public keys */
	char path[600], cmd[1400];
	snprintf(path, sizeof(path), "%s/keys.pub", sim.dir);
	ck_assert_int_eq(cli("sshkey --label=ssh > '%s'", path), 0);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -f '%s'", path);
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	assert_has(out, "256 SHA256:");
	assert_has(out, "384 SHA256:");
	assert_has(out, " big (ECDSA)");
	/* RFC 7512 URIs name keys too */
	ck_assert_int_eq(cli("listobjects --key='pkcs11:token=ssh;object=big;type=public'"), 0);
	assert_has(out, "- class: public\n  label: big\n");
	ck_assert_msg(!strstr(out, "class: private"), "type=public not honoured:\n%s", out);
	ck_assert_int_eq(cli("sshkey --key='pkcs11:token=ssh;id=%%0A%%0B'"), 0);
	assert_has(out, "ecdsa-sha2-nistp384 ");
	ck_assert_msg(!strstr(out, "nistp256"), "id= not honoured:\n%s", out);
	ck_assert_int_eq(cli("sshkey --key='pkcs11:token=ssh;id=%%zz'"), 2);
	ck_assert_int_eq(cli("rmkey --key='pkcs11:token=ssh;object=big'"), 0);
	assert_has(out, "removed 2 object(s)");
	ck_assert_int_eq(cli("rmkey --label=ssh --key-label=big"), 1);
	ck_assert_int_eq(cli("rmtoken --label=ssh"), 0);
	ck_assert_int_eq(cli("listtokens"), 0);
	assert_has(err, "no tokens");
}
END_TEST

/* A transient SRK: each command re-creates it from the template and checks it is the pinned one. */
START_TEST(transient_srk)
{
	ck_assert_int_eq(cli("init --transient"), 0);
	assert_has(out, "transient (re-created from the template)");
	assert_has(out, "pinned");
	ck_assert_int_eq(cli("addtoken --label=tr --userpin=1234 --sopin=5678"), 0);
	ck_assert_int_eq(cli("addkey --label=tr --userpin=1234 --algorithm=ecc256"), 0);
	assert_has(out, "key 'tr' (ECC NIST P-256) created in token 'tr'");
	ck_assert_int_eq(cli("changepin --label=tr --user --old=1234 --new=4321"), 0);
	assert_has(out, "user PIN of token 'tr' changed");
	ck_assert_int_eq(cli("changepin --label=tr --user --old=4321 --new=1234"), 0);
}
END_TEST

START_TEST(pins_from_files_and_changes)
{
	char pinfile[600];
	snprintf(pinfile, sizeof(pinfile), "%s/pin", sim.dir);
	FILE *f = fopen(pinfile, "w");
	ck_assert_ptr_nonnull(f);
	fputs("4321\n", f);
	fclose(f);
	ck_assert_int_eq(cli("init"), 0);
	/* no user PIN and no terminal: the token has only the SO PIN */
	ck_assert_int_eq(cli("addtoken --label=t --sopin=5678"), 2);
	assert_has(err, "no terminal");
	ck_assert_int_eq(cli("addtoken --label=nouser --sopin=5678 --no-userpin"), 0);
	ck_assert_int_eq(cli("listtokens"), 0);
	assert_has(out, "  label: nouser\n  user-pin: not set\n");
	ck_assert_int_eq(cli("addkey --label=nouser --userpin=1234"), 1);
	assert_has(err, "has no user PIN yet");
	ck_assert_int_eq(cli("addtoken --label=t --sopin=5678 --userpin-file='%s'", pinfile), 0);
	ck_assert_int_eq(cli("addkey --label=t --userpin-file='%s'", pinfile), 0);
	ck_assert_int_eq(cli("changepin --label=t --user --old-file='%s' --new=1111", pinfile), 0);
	assert_has(out, "user PIN of token 't' changed");
	ck_assert_int_eq(cli("addkey --label=t --userpin=1111 --key-label=b"), 0);
	ck_assert_int_eq(cli("initpin --label=t --sopin=5678 --userpin=2222"), 0);
	ck_assert_int_eq(cli("addkey --label=t --userpin=2222 --key-label=c"), 0);
	ck_assert_int_eq(cli("changepin --label=t --so --old=5678 --new=8765"), 0);
	ck_assert_int_eq(cli("initpin --label=t --sopin=8765 --userpin=3333"), 0);
	ck_assert_int_eq(cli("changepin --label=t"), 2);
	ck_assert_int_eq(cli("addkey --label=t --userpin=12"), 2); /* too short */
}
END_TEST

START_TEST(wrong_pin_then_reset)
{
	setup_token();
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=0000"), 1);
	assert_has(err, "wrong PIN");
	ck_assert_int_eq(cli("info"), 0);
	assert_has(out, "1 of 3 failed attempts");
	ck_assert_int_eq(cli("dareset"), 0);
	ck_assert_int_eq(cli("info"), 0);
	assert_has(out, "0 of 3 failed attempts");
}
END_TEST

START_TEST(errors_are_clear)
{
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234"), 1);
	assert_has(err, "run 'baretpm init'");
	setup_token();
	ck_assert_int_eq(cli("addkey --label=nope --userpin=1234"), 1);
	assert_has(err, "no token labelled 'nope'");
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234 --algorithm=rsa"), 2);
	ck_assert_int_eq(cli("addtoken --label=x"), 2);
	ck_assert_int_eq(cli("init --srk-handle=0x80000000"), 2);
	/* a corrupt token file is reported with its path and line, and left alone */
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "f=$(ls '%s'/tokens/*.token) && sed -i '2s/^/x/' \"$f\" && "
				   "md5sum \"$f\"",
		 store);
	ck_assert_int_eq(btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err)), 0);
	char sum[64];
	snprintf(sum, sizeof(sum), "%.32s", out);
	ck_assert_int_eq(cli("listtokens"), 1);
	assert_has(err, ".token:2:");
	snprintf(cmd, sizeof(cmd), "md5sum '%s'/tokens/*.token", store);
	btpm_test_sh(cmd, 10, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(strncmp(out, sum, 32), 0);
	/* every token verb has --help */
	static const char *verbs[] = {"init", "addtoken", "addkey", "listtokens", "listobjects",
				      "sshkey", "changepin", "initpin", "rmkey", "rmtoken",
				      "dareset", "daparams"};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		ck_assert_int_eq(cli("%s --help", verbs[i]), 0);
		ck_assert_msg(!strncmp(out, "usage: baretpm", 14), "%s --help:\n%s", verbs[i], out);
	}
}
END_TEST

/* Verbs given no token, a tampered store, a damaged token file: clear errors, nothing lost. */
START_TEST(bad_stores_and_arguments)
{
	/* a verb that fails on a missing store does not create one (it would hide /etc/baretpm) */
	char saved[sizeof(store)];
	snprintf(saved, sizeof(saved), "%s", store);
	snprintf(store + strlen(store), sizeof(store) - strlen(store), "/none");
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234"), 1);
	assert_has(err, "run 'baretpm init'");
	ck_assert_int_eq(cli("rmkey --label=ssh --key-label=x"), 1);
	ck_assert_int_eq(sh("test -e \"$BARETPM_STORE\""), 1);
	snprintf(store, sizeof(store), "%s", saved);
	setup_token();
	/* no token named: a usage error from every verb that needs one (these crashed) */
	static const char *no_token[] = {"rmtoken", "changepin --user --old=1234 --new=4321",
					 "initpin --sopin=5678 --userpin=4321",
					 "addkey --userpin=1234", "listobjects",
					 "rmkey --key-label=x", "sshkey"};
	for (size_t i = 0; i < sizeof(no_token) / sizeof(no_token[0]); i++) {
		ck_assert_msg(cli("%s", no_token[i]) == 2, "%s: %s", no_token[i], err);
		assert_has(err, "which token?");
	}
	/* a label the store cannot take is refused before any TPM work */
	ck_assert_int_eq(cli("addtoken --label=\"$(printf 'a\\tb')\" --sopin=5678 --userpin=1234"), 2);
	assert_has(err, "control character");
	/* a mistyped PIN option is named, its value is not printed */
	ck_assert_int_eq(cli("addtoken --label=x --so-pin=S3cretPIN"), 2);
	assert_has(err, "'--so-pin=...'");
	ck_assert_msg(!strstr(err, "S3cretPIN"), "the PIN was printed:\n%s", err);
	/* two keys with one label: rmkey refuses to guess, --id picks one */
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234 --id=01"), 0);
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234 --id=02"), 0);
	ck_assert_int_eq(cli("rmkey --label=ssh --key-label=ssh"), 1);
	assert_has(err, "more than one key");
	ck_assert_int_eq(cli("rmkey --label=ssh --key-label=ssh --id=02"), 0);
	assert_has(out, "removed 2 object(s)");
	/* an EC point of 404 bytes in a hand-edited file: skipped, no overflow */
	ck_assert_int_eq(cli("addtoken --label=other --userpin=1234 --sopin=5678"), 0);
	ck_assert_int_eq(sh("f=$(grep -l '^label \"ssh\"' \"$BARETPM_STORE\"/tokens/*.token) && "
			    "sed -i \"s/^attr 0x00000181 .*/attr 0x00000181 $(printf '04%%.0s' "
			    "$(seq 404))/\" \"$f\""),
			 0);
	ck_assert_int_eq(cli("sshkey --label=ssh"), 1);
	assert_has(err, "malformed CKA_EC_POINT");
	/* a damaged token file is named; the other token still works */
	ck_assert_int_eq(sh("f=$(grep -l '^label \"ssh\"' \"$BARETPM_STORE\"/tokens/*.token) && "
			    "head -c 300 \"$f\" > \"$f.x\" && mv \"$f.x\" \"$f\""),
			 0);
	ck_assert_int_eq(cli("listtokens"), 1);
	assert_has(err, "skipping a token file");
	assert_has(out, "  label: other\n");
	ck_assert_int_eq(cli("addkey --label=other --userpin=1234"), 0);
	assert_has(err, "skipping a token file");
	ck_assert_int_eq(cli("addkey --label=ssh --userpin=1234"), 1);
	assert_has(err, "among the token files that could be read");
	/* the store itself unusable: exit 1 (the store), not 3 (the TPM) */
	ck_assert_int_eq(sh("mv \"$BARETPM_STORE\"/tokens \"$BARETPM_STORE\"/t && "
			    "touch \"$BARETPM_STORE\"/tokens"),
			 0);
	ck_assert_int_eq(cli("listtokens"), 1);
	ck_assert_int_eq(sh("rm \"$BARETPM_STORE\"/tokens && mv \"$BARETPM_STORE\"/t "
			    "\"$BARETPM_STORE\"/tokens"),
			 0);
}
END_TEST

/* The store lists 32 tokens: the 33rd is refused before any TPM work, the rest stay usable. */
START_TEST(token_limit)
{
	setup_token();
	ck_assert_int_eq(sh("for i in $(seq 2 32); do \"$B\" addtoken --label=t$i --userpin=1234 "
			    "--sopin=5678 >/dev/null || exit 1; done"),
			 0);
	ck_assert_int_eq(cli("addtoken --label=t33 --userpin=1234 --sopin=5678"), 1);
	assert_has(err, "holds 32 tokens, the most a store can");
	ck_assert_int_eq(cli("listtokens"), 0);
	assert_has(out, "  label: t32\n");
	ck_assert_int_eq(cli("rmtoken --label=t32"), 0);
	ck_assert_int_eq(cli("addtoken --label=t33 --userpin=1234 --sopin=5678"), 0);
}
END_TEST

/* A token made, and script(1) there to give the CLI a terminal; else the test is skipped. */
static int token_and_script(const char *test)
{
	setup_token();
	if (sh("command -v script") == 0)
		return 1;
	fprintf(stderr, "%s skipped: no script(1)\n", test);
	return 0;
}

/* A PIN prompt waiting on a terminal does not hold the store's lock. */
START_TEST(prompt_holds_no_lock)
{
	if (!token_and_script("prompt_holds_no_lock"))
		return;
	/*
	 * script(1) gives one addkey a terminal; its input is a FIFO this shell
	 * keeps open, so that addkey waits at the prompt (seen in /proc) while a
	 * second addkey runs. Closing the FIFO and killing script end the first.
	 */
	int rc = sh("d=$(mktemp -d) && mkfifo \"$d/in\" || exit 90; "
		    "script -qfec \"'$B' addkey --label=ssh\" /dev/null <\"$d/in\" >/dev/null 2>&1 & "
		    "sp=$!; exec 3>\"$d/in\"; "
		    "for i in $(seq 200); do for c in /proc/[0-9]*/cmdline; do "
		    "tr '\\0' ' ' <\"$c\" 2>/dev/null; echo; done | grep -q 'addkey --label=ssh $' "
		    "&& break; sleep 0.05; done; sleep 0.2; "
		    "timeout 20 \"$B\" addkey --label=ssh --userpin=1234 --key-label=second; r=$?; "
		    "exec 3>&-; kill $sp 2>/dev/null; wait $sp 2>/dev/null; rm -rf \"$d\"; exit $r");
	ck_assert_msg(rc == 0, "a second addkey waited for the prompting one (%d):\n%s%s", rc, out,
		      err);
	assert_has(out, "key 'second'");
}
END_TEST

/* A PIN typed on the terminal to be set is asked twice; two different entries set nothing. */
START_TEST(new_pins_are_asked_twice)
{
	if (!token_and_script("new_pins_are_asked_twice"))
		return;
#define TYPED(second)                                                                        \
	"(sleep 0.5; printf '5678\\n'; sleep 0.5; printf '" second "\\n'; sleep 3) | "    \
	"script -qfec \"'$B' addtoken --label=typed --userpin=1234\" /dev/null"
	ck_assert_int_eq(sh(TYPED("5679")), 2);
	assert_has(out, "SO PIN again:");
	assert_has(out, "the two entries of the SO PIN differ");
	ck_assert_int_eq(cli("listtokens"), 0);
	ck_assert_msg(!strstr(out, "typed"), "a token was made:\n%s", out);
	ck_assert_int_eq(sh(TYPED("5678")), 0);
#undef TYPED
	assert_has(out, "token 'typed' created");
	ck_assert_int_eq(cli("changepin --label=typed --so --old=5678 --new=8765"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli-token");
	TCase *tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_add_checked_fixture(tc, fresh, NULL);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, workflow);
	tcase_add_test(tc, transient_srk);
	tcase_add_test(tc, pins_from_files_and_changes);
	tcase_add_test(tc, wrong_pin_then_reset);
	tcase_add_test(tc, errors_are_clear);
	tcase_add_test(tc, bad_stores_and_arguments);
	tcase_add_test(tc, token_limit);
	tcase_add_test(tc, prompt_holds_no_lock);
	tcase_add_test(tc, new_pins_are_asked_twice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return btpm_test_run(suite());
}
