/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crash safety: tests/crash-loop.sh kills the CLI with SIGKILL at random
 * moments of addkey, rmkey, changepin and addtoken and checks after each kill
 * that the store parses, no key was lost but the one in flight, every key
 * still signs and no persistent handle was orphaned. This suite runs it with
 * BTPM_CRASH_ITER iterations (default 40; the full run is 200).
 *
 * The same binary is the script's signer: 'test_crash sign-all PINFILE' loads
 * the PKCS#11 module (BTPM_MODULE), logs in to every token with the PIN the
 * file gives for its label ("LABEL PIN" lines), signs with every private key,
 * verifies each signature against the key's public point (mbedTLS, not the
 * module) and prints "TOKEN/KEYLABEL" for each; exit 1 on any failure.
 */
#include <limits.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "harness.h"
#include "p11_test.h"

/* ---- the signer ------------------------------------------------------------------------ */

static int find_pin(const char *file, const char *label, char *pin, size_t cap)
{
	char l[64], p[80];
	FILE *f = fopen(file, "r");
	if (!f)
		return -1;
	int found = -1;
	while (found && fscanf(f, "%63s %79s", l, p) == 2)
		if (!strcmp(l, label)) {
			snprintf(pin, cap, "%s", p);
			found = 0;
		}
	fclose(f);
	return found;
}

static int sign_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, const char *tok, const char *lab)
{
	CK_BYTE id[64], pt[100], dg[32], sig[96];
	CK_ULONG n = sizeof(sig);
	CK_OBJECT_CLASS pc = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE q = {CKA_ID, id, sizeof(id)};
	if (F->C_GetAttributeValue(s, priv, &q, 1) != CKR_OK)
		return -1;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &pc, sizeof(pc)}, {CKA_ID, id, q.ulValueLen}};
	CK_OBJECT_HANDLE pub;
	CK_ULONG found = 0;
	if (F->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return -1;
	F->C_FindObjects(s, &pub, 1, &found);
	F->C_FindObjectsFinal(s);
	CK_ATTRIBUTE a = {CKA_EC_POINT, pt, sizeof(pt)};
	if (found != 1 || F->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK || a.ulValueLen != 67) {
		fprintf(stderr, "%s/%s: no P-256 public key with its CKA_ID\n", tok, lab);
		return -1;
	}
	if (btpm_random(dg, sizeof(dg)))
		return -1;
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_RV rv = F->C_SignInit(s, &m, priv);
	if (rv == CKR_OK)
		rv = F->C_Sign(s, dg, sizeof(dg), sig, &n);
	if (rv != CKR_OK || n != 64) {
		fprintf(stderr, "%s/%s: C_Sign 0x%lx (%s)\n", tok, lab, rv, p11_why());
		return -1;
	}
	if (btpm_ecdsa_verify(BTPM_ECC_NIST_P256, pt + 3, pt + 35, 32, dg, 32, sig, 32, sig + 32,
			      32)) {
		fprintf(stderr, "%s/%s: the signature does not verify\n", tok, lab);
		return -1;
	}
	return 0;
}

static int sign_all(const char *pinfile)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	int bad = 0;
	if (F->C_Initialize(NULL) != CKR_OK || F->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		fprintf(stderr, "sign-all: the module does not start: %s\n", p11_why());
		return 1;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		char label[33], pin[80];
		CK_RV rv = F->C_GetTokenInfo(slots[i], &ti);
		if (rv != CKR_OK) {
			fprintf(stderr, "sign-all: slot %lu: C_GetTokenInfo 0x%lx (%s)\n", slots[i], rv,
				p11_why());
			bad = 1;
			continue;
		}
		if (!(ti.flags & CKF_TOKEN_INITIALIZED))
			continue; /* the empty slot */
		memcpy(label, ti.label, 32);
		label[32] = 0;
		for (int k = 31; k >= 0 && label[k] == ' '; k--)
			label[k] = 0;
		if (find_pin(pinfile, label, pin, sizeof(pin))) {
			fprintf(stderr, "sign-all: no PIN for token '%s'\n", label);
			bad = 1;
			continue;
		}
		CK_SESSION_HANDLE s;
		rv = F->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s);
		if (rv == CKR_OK)
			rv = F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK) {
			fprintf(stderr, "sign-all: token '%s': login 0x%lx (%s)\n", label, rv,
				p11_why());
			bad = 1;
			continue;
		}
		CK_OBJECT_CLASS kc = CKO_PRIVATE_KEY;
		CK_ATTRIBUTE t = {CKA_CLASS, &kc, sizeof(kc)};
		CK_OBJECT_HANDLE keys[300];
		CK_ULONG nk = 0;
		if (F->C_FindObjectsInit(s, &t, 1) != CKR_OK ||
		    F->C_FindObjects(s, keys, 300, &nk) != CKR_OK || F->C_FindObjectsFinal(s)) {
			bad = 1;
			continue;
		}
		for (CK_ULONG k = 0; k < nk; k++) {
			char lab[64] = "";
			CK_ATTRIBUTE a = {CKA_LABEL, lab, sizeof(lab) - 1};
			if (F->C_GetAttributeValue(s, keys[k], &a, 1) == CKR_OK)
				lab[a.ulValueLen] = 0;
			if (sign_key(s, keys[k], label, lab))
				bad = 1;
			else
				printf("%s/%s\n", label, lab);
		}
		F->C_CloseSession(s);
	}
	F->C_Finalize(NULL);
	return bad;
}

/* ---- the Check wrapper -------------------------------------------------------------------- */

static char out[1 << 20], err[1 << 16];

START_TEST(kill_minus_nine_loop)
{
	char self[PATH_MAX], cmd[PATH_MAX * 3];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = 0;
	const char *it = getenv("BTPM_CRASH_ITER");
	int iterations = it && atoi(it) > 0 ? atoi(it) : 40;
	snprintf(cmd, sizeof(cmd), "'%s/tests/crash-loop.sh' '%s' '%s' %d", btpm_test_srcdir(),
		 btpm_test_cli(), self, iterations);
	int rc = btpm_test_sh(cmd, 60 + iterations * 6, out, sizeof(out), err, sizeof(err));
	/* the summary (and on failure the last lines) in the suite's output */
	const char *tail = out + strlen(out);
	for (int lines = 0; tail > out && lines < (rc ? 12 : 4); tail--)
		lines += tail[-1] == '\n';
	fprintf(stderr, "%s", tail);
	ck_assert_msg(rc == 0, "crash-loop.sh: exit %d\n%s", rc, err);
	ck_assert(strstr(out, "every check held"));
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "sign-all")) {
		p11_load();
		return sign_all(argv[2]);
	}
	p11_load();
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("kill -9");
	tcase_set_timeout(tc, 1400);
	tcase_add_test(tc, kill_minus_nine_loop);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
