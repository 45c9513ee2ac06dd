/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PKCS#11 module through its function lists, without a TPM: library
 * initialization and its arguments, interfaces, the slots of an empty store,
 * mechanisms, sessions, digests, session objects and their attributes,
 * software verification, NULL arguments, fork. BARETPM_TCTI points at a
 * closed port, so anything that needed the TPM would fail loudly.
 * test_pkcs11_tpm.c covers tokens, keys and signing against swtpm.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "harness.h"
#include "p11_test.h"

static char base[64];

static void env_up(void)
{
	char store[128];
	snprintf(store, sizeof(store), "%s/no-store", base);
	setenv("BARETPM_STORE", store, 1);
	setenv("BARETPM_TCTI", "swtpm:host=127.0.0.1,port=1", 1);
}

static void env_down(void)
{
	F->C_Finalize(NULL);
}

/* The empty slot: the only one of a store that does not exist. */
static CK_SLOT_ID empty_slot(void)
{
	CK_SLOT_ID slots[4];
	ck_assert_uint_eq(p11_slots(slots, 4), 1);
	return slots[0];
}

/* ---- initialization ------------------------------------------------------------------ */

static int locks, unlocks, creates, destroys;

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	creates++;
	*m = &creates;
	return CKR_OK;
}
static CK_RV app_destroy(CK_VOID_PTR m)
{
	ck_assert_ptr_eq(m, &creates);
	destroys++;
	return CKR_OK;
}
static int lock_fails; /* app_lock answers CKR_MUTEX_BAD */
static CK_RV app_lock(CK_VOID_PTR m)
{
	ck_assert_ptr_eq(m, &creates);
	if (lock_fails)
		return CKR_MUTEX_BAD;
	locks++;
	return CKR_OK;
}
static CK_RV app_unlock(CK_VOID_PTR m)
{
	ck_assert_ptr_eq(m, &creates);
	unlocks++;
	return CKR_OK;
}

START_TEST(initialize_rules)
{
	CK_ULONG n;
	CK_INFO info;
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_GetSlotList(CK_FALSE, NULL, &n));
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_GetInfo(&info));
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_Finalize(NULL));
	P11_OK(F->C_Initialize(NULL));
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, F->C_Initialize(NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_Finalize(&n));
	P11_OK(F->C_Finalize(NULL));
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_Finalize(NULL));
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, F->C_GetSlotList(CK_FALSE, NULL, &n));
	/* and again: a finalized module initializes like a new one */
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_GetSlotList(CK_FALSE, NULL, &n));
	ck_assert_uint_eq(n, 1);
	P11_OK(F->C_Finalize(NULL));
}
END_TEST

START_TEST(initialize_arguments)
{
	CK_C_INITIALIZE_ARGS a;
	CK_ULONG n;
	memset(&a, 0, sizeof(a));
	a.pReserved = &a;
	RV(CKR_ARGUMENTS_BAD, F->C_Initialize(&a));
	memset(&a, 0, sizeof(a));
	a.CreateMutex = app_create; /* one of four */
	RV(CKR_ARGUMENTS_BAD, F->C_Initialize(&a));
	a.LockMutex = app_lock;
	a.UnlockMutex = app_unlock;
	RV(CKR_ARGUMENTS_BAD, F->C_Initialize(&a));
	/* all four, no CKF_OS_LOCKING_OK: the module must use them */
	a.DestroyMutex = app_destroy;
	P11_OK(F->C_Initialize(&a));
	ck_assert_int_eq(creates, 1);
	P11_OK(F->C_GetSlotList(CK_FALSE, NULL, &n));
	ck_assert_int_gt(locks, 0);
	ck_assert_int_eq(locks, unlocks);
	/* the application's lock fails: the call is refused, nothing runs unlocked */
	lock_fails = 1;
	RV(CKR_MUTEX_BAD, F->C_GetSlotList(CK_FALSE, NULL, &n));
	lock_fails = 0;
	ck_assert_int_eq(locks, unlocks);
	P11_OK(F->C_GetSlotList(CK_FALSE, NULL, &n));
	P11_OK(F->C_Finalize(NULL));
	ck_assert_int_eq(destroys, 1);
	ck_assert_int_eq(locks, unlocks);
	/* all four and CKF_OS_LOCKING_OK: the module may (and does) lock natively */
	int before = locks;
	a.flags = CKF_OS_LOCKING_OK;
	P11_OK(F->C_Initialize(&a));
	P11_OK(F->C_GetSlotList(CK_FALSE, NULL, &n));
	ck_assert_int_eq(locks, before);
	P11_OK(F->C_Finalize(NULL));
	/* no functions: CKF_OS_LOCKING_OK or not, and a caller that cannot make threads */
	memset(&a, 0, sizeof(a));
	a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS;
	P11_OK(F->C_Initialize(&a));
	P11_OK(F->C_Finalize(NULL));
	a.flags = CKF_OS_LOCKING_OK;
	P11_OK(F->C_Initialize(&a));
	P11_OK(F->C_Finalize(NULL));
}
END_TEST

START_TEST(info_and_versions)
{
	CK_INFO info;
	P11_OK(F->C_Initialize(NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GetInfo(NULL));
	P11_OK(F->C_GetInfo(&info));
	ck_assert_uint_eq(info.cryptokiVersion.major, 2);
	ck_assert_uint_eq(info.cryptokiVersion.minor, 40);
	ck_assert_mem_eq(info.manufacturerID, "baretpm                         ", 32);
	ck_assert_uint_eq(info.flags, 0);
	P11_OK(F3->C_GetInfo(&info));
	ck_assert_uint_eq(info.cryptokiVersion.major, 3);
	ck_assert_uint_eq(info.cryptokiVersion.minor, 0);
	ck_assert_uint_eq(F->version.major, 2);
	ck_assert_uint_eq(F->version.minor, 40);
	ck_assert_uint_eq(F3->version.major, 3);
	ck_assert_uint_eq(F3->version.minor, 0);
	/* the v2.40 list is the v3.0 list's head, entry for entry (but C_GetInfo) */
	ck_assert_ptr_eq(F->C_Initialize, F3->C_Initialize);
	ck_assert_ptr_eq(F->C_Sign, F3->C_Sign);
	ck_assert_ptr_eq(F->C_WaitForSlotEvent, F3->C_WaitForSlotEvent);
	ck_assert_ptr_eq(F->C_GenerateKeyPair, F3->C_GenerateKeyPair);
	CK_FUNCTION_LIST_PTR again;
	RV(CKR_ARGUMENTS_BAD, F->C_GetFunctionList(NULL));
	P11_OK(F->C_GetFunctionList(&again));
	ck_assert_ptr_eq(again, F);
}
END_TEST

START_TEST(interfaces)
{
	CK_INTERFACE list[4];
	CK_ULONG n = 0;
	RV(CKR_ARGUMENTS_BAD, GetInterfaceList(list, NULL));
	P11_OK(GetInterfaceList(NULL, &n));
	ck_assert_uint_eq(n, 2);
	n = 1;
	RV(CKR_BUFFER_TOO_SMALL, GetInterfaceList(list, &n));
	ck_assert_uint_eq(n, 2);
	n = 4;
	P11_OK(GetInterfaceList(list, &n));
	ck_assert_uint_eq(n, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq((char *)list[i].pInterfaceName, "PKCS 11");
		ck_assert_uint_eq(list[i].flags, 0);
	}
	ck_assert_ptr_eq(list[0].pFunctionList, F3);
	ck_assert_ptr_eq(list[1].pFunctionList, F);
	CK_INTERFACE_PTR it;
	CK_VERSION v240 = {2, 40}, v30 = {3, 0}, v31 = {3, 1};
	RV(CKR_ARGUMENTS_BAD, GetInterface(NULL, NULL, NULL, 0));
	P11_OK(GetInterface(NULL, NULL, &it, 0)); /* the default: v3.0 */
	ck_assert_ptr_eq(it->pFunctionList, F3);
	P11_OK(GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &it, 0));
	ck_assert_ptr_eq(it->pFunctionList, F);
	P11_OK(GetInterface(NULL, &v30, &it, 0));
	ck_assert_ptr_eq(it->pFunctionList, F3);
	RV(CKR_ARGUMENTS_BAD, GetInterface(NULL, &v31, &it, 0));
	RV(CKR_ARGUMENTS_BAD, GetInterface((CK_UTF8CHAR_PTR) "PKCS 12", NULL, &it, 0));
	/* not fork-safe: a child must call C_Initialize again */
	RV(CKR_ARGUMENTS_BAD, GetInterface(NULL, NULL, &it, CKF_INTERFACE_FORK_SAFE));
	P11_OK(GetInterface((CK_UTF8CHAR_PTR)BTPM_PKCS11_DIAG_INTERFACE, NULL, &it, 0));
	ck_assert_ptr_eq(it->pFunctionList, D);
	ck_assert_uint_eq(D->version.major, 1);
}
END_TEST

START_TEST(functions_not_offered)
{
	CK_SESSION_HANDLE s;
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_ULONG n = 0;
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_EncryptInit(s, &m, 1));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_DecryptInit(s, &m, 1));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_GetOperationState(s, NULL, &n));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_CopyObject(s, 1, NULL, 0, NULL));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_DigestKey(s, 1));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_WrapKey(s, &m, 1, 2, NULL, &n));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL));
	RV(CKR_FUNCTION_NOT_PARALLEL, F->C_GetFunctionStatus(s));
	RV(CKR_FUNCTION_NOT_PARALLEL, F->C_CancelFunction(s));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F3->C_MessageSignInit(s, &m, 1));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F3->C_SessionCancel(s, 0));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F3->C_LoginUser(s, CKU_USER, NULL, 0, NULL, 0));
}
END_TEST

/* ---- slots, tokens, mechanisms --------------------------------------------------------- */

START_TEST(empty_store_slots)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	unsigned long cmds = D->commands_sent();
	P11_OK(F->C_Initialize(NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GetSlotList(CK_TRUE, slots, NULL));
	P11_OK(F->C_GetSlotList(CK_TRUE, NULL, &n));
	ck_assert_uint_eq(n, 1);
	n = 0;
	RV(CKR_BUFFER_TOO_SMALL, F->C_GetSlotList(CK_TRUE, slots, &n));
	ck_assert_uint_eq(n, 1);
	CK_SLOT_ID e = empty_slot();
	P11_OK(F->C_GetSlotInfo(e, &si));
	ck_assert(si.flags & CKF_TOKEN_PRESENT);
	ck_assert(!(si.flags & CKF_REMOVABLE_DEVICE));
	ck_assert_mem_eq(si.manufacturerID, "baretpm ", 8);
	P11_OK(F->C_GetTokenInfo(e, &ti));
	ck_assert_uint_eq(ti.flags & CKF_TOKEN_INITIALIZED, 0);
	ck_assert_uint_eq(ti.flags & CKF_USER_PIN_INITIALIZED, 0);
	ck_assert(ti.flags & CKF_RNG);
	ck_assert_mem_eq(ti.label, "                                ", 32);
	ck_assert_mem_eq(ti.model, "TPM 2.0         ", 16);
	ck_assert_uint_eq(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
	ck_assert_uint_eq(ti.ulTotalPublicMemory, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(ti.ulMinPinLen, 4);
	ck_assert_uint_eq(ti.ulMaxPinLen, 64);
	RV(CKR_SLOT_ID_INVALID, F->C_GetSlotInfo(e + 1, &si));
	RV(CKR_SLOT_ID_INVALID, F->C_GetTokenInfo(12345, &ti));
	RV(CKR_SLOT_ID_INVALID, F->C_GetSlotInfo(0, &si)); /* no token slot yet */
	RV(CKR_ARGUMENTS_BAD, F->C_GetSlotInfo(e, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GetTokenInfo(e, NULL));
	P11_OK(F->C_Finalize(NULL));
	/* an existing but empty store directory lists the same */
	char store[128];
	snprintf(store, sizeof(store), "%s/empty-store", base);
	mkdir(store, 0700);
	setenv("BARETPM_STORE", store, 1);
	P11_OK(F->C_Initialize(NULL));
	ck_assert_uint_eq(empty_slot(), e);
	ck_assert_uint_eq(D->commands_sent(), cmds); /* no TPM command for any of it */
}
END_TEST

START_TEST(mechanisms)
{
	CK_MECHANISM_TYPE m[16];
	CK_MECHANISM_INFO mi;
	CK_ULONG n = 0;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID e = empty_slot();
	P11_OK(F->C_GetMechanismList(e, NULL, &n));
	ck_assert_uint_eq(n, 10);
	n = 3;
	RV(CKR_BUFFER_TOO_SMALL, F->C_GetMechanismList(e, m, &n));
	ck_assert_uint_eq(n, 10);
	n = 16;
	P11_OK(F->C_GetMechanismList(e, m, &n));
	ck_assert_uint_eq(n, 10);
	RV(CKR_SLOT_ID_INVALID, F->C_GetMechanismList(999, m, &n));
	P11_OK(F->C_GetMechanismInfo(e, CKM_EC_KEY_PAIR_GEN, &mi));
	ck_assert_uint_eq(mi.ulMinKeySize, 256);
	ck_assert_uint_eq(mi.ulMaxKeySize, 384);
	ck_assert_uint_eq(mi.flags & (CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
				      CKF_EC_UNCOMPRESS),
			  CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS);
	CK_MECHANISM_TYPE sig[] = {CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
				   CKM_ECDSA_SHA512};
	for (size_t i = 0; i < 5; i++) {
		P11_OK(F->C_GetMechanismInfo(e, sig[i], &mi));
		ck_assert(mi.flags & CKF_SIGN);
		ck_assert(mi.flags & CKF_VERIFY);
		ck_assert(!(mi.flags & (CKF_DECRYPT | CKF_DERIVE | CKF_GENERATE_KEY_PAIR)));
	}
	P11_OK(F->C_GetMechanismInfo(e, CKM_SHA384, &mi));
	ck_assert_uint_eq(mi.flags, CKF_DIGEST);
	RV(CKR_MECHANISM_INVALID, F->C_GetMechanismInfo(e, CKM_ECDSA_SHA224, &mi));
	RV(CKR_MECHANISM_INVALID, F->C_GetMechanismInfo(e, 0 /* CKM_RSA_PKCS_KEY_PAIR_GEN */, &mi));
	RV(CKR_ARGUMENTS_BAD, F->C_GetMechanismInfo(e, CKM_ECDSA, NULL));
}
END_TEST

/* ---- sessions ------------------------------------------------------------------------------ */

START_TEST(sessions_without_login)
{
	CK_SESSION_HANDLE ro, rw, x;
	CK_SESSION_INFO si;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID e = empty_slot();
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, F->C_OpenSession(e, 0, NULL, NULL, &x));
	RV(CKR_ARGUMENTS_BAD, F->C_OpenSession(e, CKF_SERIAL_SESSION, NULL, NULL, NULL));
	RV(CKR_SLOT_ID_INVALID, F->C_OpenSession(77, CKF_SERIAL_SESSION, NULL, NULL, &x));
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw));
	ck_assert_uint_ne(ro, rw);
	ck_assert_uint_ne(ro, CK_INVALID_HANDLE);
	P11_OK(F->C_GetSessionInfo(ro, &si));
	ck_assert_uint_eq(si.slotID, e);
	ck_assert_uint_eq(si.state, CKS_RO_PUBLIC_SESSION);
	ck_assert_uint_eq(si.flags, CKF_SERIAL_SESSION);
	P11_OK(F->C_GetSessionInfo(rw, &si));
	ck_assert_uint_eq(si.state, CKS_RW_PUBLIC_SESSION);
	ck_assert_uint_eq(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
	RV(CKR_ARGUMENTS_BAD, F->C_GetSessionInfo(ro, NULL));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(rw + 100, &si));
	CK_TOKEN_INFO ti;
	P11_OK(F->C_GetTokenInfo(e, &ti));
	ck_assert_uint_eq(ti.ulSessionCount, 2);
	ck_assert_uint_eq(ti.ulRwSessionCount, 1);
	/* no token, no PIN: nobody can log in here */
	RV(CKR_USER_PIN_NOT_INITIALIZED, F->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4));
	/* the SO may not log in while a read-only session exists */
	RV(CKR_SESSION_READ_ONLY_EXISTS, F->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "1234", 4));
	RV(CKR_OPERATION_NOT_INITIALIZED,
	   F->C_Login(rw, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "1234", 4));
	RV(CKR_USER_TYPE_INVALID, F->C_Login(rw, 7, (CK_UTF8CHAR_PTR) "1234", 4));
	RV(CKR_USER_NOT_LOGGED_IN, F->C_Logout(rw));
	RV(CKR_USER_NOT_LOGGED_IN, F->C_InitPIN(rw, (CK_UTF8CHAR_PTR) "1234", 4));
	RV(CKR_SESSION_READ_ONLY, F->C_SetPIN(ro, (CK_UTF8CHAR_PTR) "1234", 4,
					      (CK_UTF8CHAR_PTR) "4321", 4));
	CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE pub, priv;
	RV(CKR_SESSION_READ_ONLY, F->C_GenerateKeyPair(ro, &kg, NULL, 0, NULL, 0, &pub, &priv));
	RV(CKR_USER_NOT_LOGGED_IN, F->C_GenerateKeyPair(rw, &kg, NULL, 0, NULL, 0, &pub, &priv));
	CK_MECHANISM bad = {CKM_SHA256, NULL, 0};
	RV(CKR_MECHANISM_INVALID, F->C_GenerateKeyPair(rw, &bad, NULL, 0, NULL, 0, &pub, &priv));
	/* random numbers need the TPM, and this one is not there */
	CK_BYTE rnd[8];
	CK_RV rv = F->C_GenerateRandom(ro, rnd, sizeof(rnd));
	ck_assert_msg(rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED, "0x%lx", rv);
	ck_assert_str_ne(p11_why(), "");
	P11_OK(F->C_GenerateRandom(ro, rnd, 0));
	RV(CKR_RANDOM_SEED_NOT_SUPPORTED, F->C_SeedRandom(ro, rnd, sizeof(rnd)));
	RV(CKR_ARGUMENTS_BAD, F->C_SeedRandom(ro, NULL, 4));
	P11_OK(F->C_CloseSession(ro));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_CloseSession(ro));
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION, NULL, NULL, &x));
	RV(CKR_SLOT_ID_INVALID, F->C_CloseAllSessions(500));
	P11_OK(F->C_CloseAllSessions(e));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(rw, &si));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(x, &si));
	P11_OK(F->C_GetTokenInfo(e, &ti));
	ck_assert_uint_eq(ti.ulSessionCount, 0);
}
END_TEST

/* ---- digests ------------------------------------------------------------------------------- */

static void hex2bin(const char *hex, CK_BYTE *out)
{
	for (size_t i = 0; hex[2 * i]; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

START_TEST(digests)
{
	static const struct {
		CK_MECHANISM_TYPE m;
		const char *abc; /* FIPS 180-2 appendix vectors for "abc" */
	} v[] = {
		{CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{CKM_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
			     "8086072ba1e7cc2358baeca134c825a7"},
		{CKM_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	};
	CK_SESSION_HANDLE s;
	CK_BYTE out[64], want[64];
	CK_ULONG n;
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	for (size_t i = 0; i < 4; i++) {
		CK_MECHANISM m = {v[i].m, NULL, 0};
		size_t len = strlen(v[i].abc) / 2;
		hex2bin(v[i].abc, want);
		/* single part, with the length query and a short buffer first */
		P11_OK(F->C_DigestInit(s, &m));
		RV(CKR_OPERATION_ACTIVE, F->C_DigestInit(s, &m));
		P11_OK(F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, NULL, &n));
		ck_assert_uint_eq(n, len);
		n = len - 1;
		RV(CKR_BUFFER_TOO_SMALL, F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n));
		ck_assert_uint_eq(n, len);
		n = sizeof(out);
		P11_OK(F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n));
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(out, want, len);
		RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n));
		/* multi-part */
		P11_OK(F->C_DigestInit(s, &m));
		P11_OK(F->C_DigestUpdate(s, (CK_BYTE_PTR) "a", 1));
		P11_OK(F->C_DigestUpdate(s, NULL, 0));
		P11_OK(F->C_DigestUpdate(s, (CK_BYTE_PTR) "bc", 2));
		RV(CKR_OPERATION_ACTIVE, F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n));
		P11_OK(F->C_DigestFinal(s, NULL, &n));
		ck_assert_uint_eq(n, len);
		n = sizeof(out);
		P11_OK(F->C_DigestFinal(s, out, &n));
		ck_assert_mem_eq(out, want, len);
		RV(CKR_OPERATION_NOT_INITIALIZED, F->C_DigestFinal(s, out, &n));
	}
	CK_MECHANISM bad = {CKM_ECDSA, NULL, 0}, param = {CKM_SHA256, out, 4};
	RV(CKR_MECHANISM_INVALID, F->C_DigestInit(s, &bad));
	RV(CKR_MECHANISM_PARAM_INVALID, F->C_DigestInit(s, &param));
	/* v3.0 5.14: no mechanism ends an active digest (and is no error without one) */
	CK_MECHANISM m = {CKM_SHA256, NULL, 0};
	P11_OK(F->C_DigestInit(s, NULL));
	P11_OK(F->C_DigestInit(s, &m));
	P11_OK(F->C_DigestUpdate(s, out, 1));
	P11_OK(F->C_DigestInit(s, NULL));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_DigestUpdate(s, out, 1));
	P11_OK(F->C_DigestInit(s, &m));
	P11_OK(F->C_DigestInit(s, NULL));
	/* an error other than a short buffer ends the operation */
	P11_OK(F->C_DigestInit(s, &m));
	RV(CKR_ARGUMENTS_BAD, F->C_Digest(s, NULL, 3, out, &n));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Digest(s, out, 3, out, &n));
}
END_TEST

START_TEST(null_arguments)
{
	CK_SESSION_HANDLE s;
	CK_ULONG n = 1;
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_ATTRIBUTE a = {CKA_LABEL, NULL, 4};
	CK_OBJECT_HANDLE h;
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID e = empty_slot();
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	RV(CKR_ARGUMENTS_BAD, F->C_GetMechanismList(e, NULL, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_InitToken(e, NULL, 4, (CK_UTF8CHAR_PTR) "x"));
	RV(CKR_ARGUMENTS_BAD, F->C_InitToken(e, (CK_UTF8CHAR_PTR) "1234", 4, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_Login(s, CKU_USER, NULL, 4));
	RV(CKR_ARGUMENTS_BAD, F->C_CreateObject(s, NULL, 1, &h));
	RV(CKR_ARGUMENTS_BAD, F->C_CreateObject(s, &a, 1, &h)); /* NULL value with a length */
	RV(CKR_ARGUMENTS_BAD, F->C_CreateObject(s, &a, 0, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_GetAttributeValue(s, 1, NULL, 1));
	RV(CKR_ARGUMENTS_BAD, F->C_SetAttributeValue(s, 1, NULL, 1));
	RV(CKR_ARGUMENTS_BAD, F->C_GetObjectSize(s, 1, NULL));
	RV(CKR_ARGUMENTS_BAD, F->C_FindObjectsInit(s, NULL, 1));
	RV(CKR_ARGUMENTS_BAD, F->C_FindObjects(s, NULL, 1, &n));
	RV(CKR_ARGUMENTS_BAD, F->C_FindObjects(s, &h, 1, NULL));
	/* no mechanism: ends an operation (v3.0 5.11, 5.13), here none, so nothing to do */
	P11_OK(F->C_SignInit(s, NULL, 1));
	P11_OK(F->C_VerifyInit(s, NULL, 1));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_SignInit(s + 1000, NULL, 1));
	RV(CKR_ARGUMENTS_BAD, F->C_GenerateRandom(s, NULL, 4));
	RV(CKR_ARGUMENTS_BAD, F->C_GenerateKeyPair(s, NULL, NULL, 0, NULL, 0, &h, &h));
	RV(CKR_ARGUMENTS_BAD, F->C_GenerateKeyPair(s, &m, NULL, 0, NULL, 0, NULL, &h));
	RV(CKR_ARGUMENTS_BAD, F->C_GenerateKeyPair(s, &m, NULL, 2, NULL, 0, &h, &h));
	/* operations that were never started */
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_FindObjects(s, &h, 1, &n));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_FindObjectsFinal(s));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, (CK_BYTE_PTR) "x", 1, NULL, &n));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_SignUpdate(s, (CK_BYTE_PTR) "x", 1));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_SignFinal(s, NULL, &n));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Verify(s, (CK_BYTE_PTR) "x", 1, (CK_BYTE_PTR) "x", 1));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_VerifyFinal(s, (CK_BYTE_PTR) "x", 1));
	/* handles that do not exist */
	RV(CKR_KEY_HANDLE_INVALID, F->C_SignInit(s, &m, 0x100001));
	RV(CKR_KEY_HANDLE_INVALID, F->C_VerifyInit(s, &m, 0));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_DestroyObject(s, 0x80100001));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_GetObjectSize(s, 12345, &n));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_FindObjectsInit(s + 9, NULL, 0));
	RV(CKR_SESSION_HANDLE_INVALID, F->C_SignInit(s + 9, &m, 1));
}
END_TEST

/* ---- session objects -------------------------------------------------------------------- */

START_TEST(session_objects_and_attribute_rules)
{
	CK_SESSION_HANDLE ro, other;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_OBJECT_HANDLE h, found[8];
	P11_OK(F->C_Initialize(NULL));
	CK_SLOT_ID e = empty_slot();
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	P11_OK(F->C_OpenSession(e, CKF_SERIAL_SESSION, NULL, NULL, &other));
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_TOKEN, &no, 1),
		ATTR(CKA_LABEL, "note", 4),           ATTR(CKA_APPLICATION, "baretpm-test", 12),
		ATTR(CKA_VALUE, "hello", 5),
	};
	/* a session object needs no R/W session and no login */
	P11_OK(F->C_CreateObject(ro, t, 5, &h));
	ck_assert_uint_eq(p11_find_class(other, CKO_DATA, found, 8), 1);
	ck_assert_uint_eq(found[0], h);
	CK_BYTE buf[64];
	ck_assert_uint_eq(p11_get(ro, h, CKA_VALUE, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_uint_eq(p11_get_bool(ro, h, CKA_TOKEN), CK_FALSE);
	ck_assert_uint_eq(p11_get_bool(ro, h, CKA_PRIVATE), CK_FALSE);
	ck_assert_uint_eq(p11_get_ulong(ro, h, CKA_CLASS), CKO_DATA);
	ck_assert_uint_eq(p11_get(ro, h, CKA_OBJECT_ID, buf, sizeof(buf)), 0);
	/* v2.40 5.7: every attribute processed; precedence sensitive > invalid > too small */
	CK_BYTE small[2], lab[8];
	CK_ATTRIBUTE q[] = {
		ATTR(CKA_LABEL, NULL, 0),       /* length only */
		ATTR(CKA_MODULUS, buf, 64),     /* not an attribute of a data object */
		ATTR(CKA_VALUE, small, 2),      /* too small */
		ATTR(CKA_APPLICATION, lab, 8),  /* too small */
		ATTR(CKA_CLASS, buf + 16, 8),   /* fine */
	};
	RV(CKR_ATTRIBUTE_TYPE_INVALID, F->C_GetAttributeValue(ro, h, q, 5));
	ck_assert_uint_eq(q[0].ulValueLen, 4);
	ck_assert_uint_eq(q[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(q[4].ulValueLen, sizeof(CK_ULONG));
	q[1].type = CKA_LABEL;
	q[1].ulValueLen = 64;
	q[2].ulValueLen = 2;
	q[3].ulValueLen = 8;
	RV(CKR_BUFFER_TOO_SMALL, F->C_GetAttributeValue(ro, h, q, 5));
	ck_assert_uint_eq(q[1].ulValueLen, 4);
	ck_assert_mem_eq(buf, "note", 4);
	ck_assert_uint_eq(q[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	P11_OK(F->C_GetAttributeValue(ro, h, q, 0));
	/* names may change, nothing else */
	CK_ATTRIBUTE lbl = ATTR(CKA_LABEL, "renamed", 7);
	P11_OK(F->C_SetAttributeValue(ro, h, &lbl, 1));
	ck_assert_uint_eq(p11_get(other, h, CKA_LABEL, buf, sizeof(buf)), 7);
	CK_ATTRIBUTE val = ATTR(CKA_VALUE, "x", 1), mod = ATTR(CKA_MODULUS, "x", 1);
	RV(CKR_ATTRIBUTE_READ_ONLY, F->C_SetAttributeValue(ro, h, &val, 1));
	RV(CKR_ATTRIBUTE_TYPE_INVALID, F->C_SetAttributeValue(ro, h, &mod, 1));
	CK_ULONG size = 0;
	P11_OK(F->C_GetObjectSize(ro, h, &size));
	ck_assert_uint_eq(size, 7 + 12 + 5);
	/* template rules (v2.40 4.1.1) */
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, secret = CKO_SECRET_KEY;
	CK_ATTRIBUTE bad[] = {ATTR(CKA_CLASS, &priv, sizeof(priv))};
	RV(CKR_TEMPLATE_INCONSISTENT, F->C_CreateObject(ro, bad, 1, &h)); /* keys come from the TPM */
	bad[0].pValue = &secret;
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(ro, bad, 1, &h));
	bad[0].ulValueLen = 4;
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(ro, bad, 1, &h));
	RV(CKR_TEMPLATE_INCOMPLETE, F->C_CreateObject(ro, t + 1, 4, &h));
	CK_ATTRIBUTE odd[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_SIGN, &yes, 1)};
	RV(CKR_ATTRIBUTE_TYPE_INVALID, F->C_CreateObject(ro, odd, 2, &h));
	CK_ATTRIBUTE twice[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_LABEL, "a", 1),
				ATTR(CKA_LABEL, "b", 1)};
	RV(CKR_TEMPLATE_INCONSISTENT, F->C_CreateObject(ro, twice, 3, &h));
	CK_ATTRIBUTE privd[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_PRIVATE, &yes, 1)};
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(ro, privd, 2, &h));
	CK_ATTRIBUTE tokd[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_TOKEN, &yes, 1)};
	RV(CKR_SESSION_READ_ONLY, F->C_CreateObject(ro, tokd, 2, &h));
	/* a session object goes with the session that made it */
	P11_OK(F->C_CloseSession(ro));
	ck_assert_uint_eq(p11_find_class(other, CKO_DATA, found, 8), 0);
}
END_TEST

START_TEST(certificate_session_object)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509, other = 1;
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE der[300], sha1[20], buf[400];
	CK_OBJECT_HANDLE h;
	memset(der, 0x5A, sizeof(der));
	der[0] = 0x30;
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, &cls, sizeof(cls)), ATTR(CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)),
		ATTR(CKA_VALUE, der, sizeof(der)),  ATTR(CKA_SUBJECT, "\x30\x00", 2),
		ATTR(CKA_ID, "\x01", 1),            ATTR(CKA_LABEL, "cert", 4),
	};
	RV(CKR_TEMPLATE_INCOMPLETE, F->C_CreateObject(s, t, 1, &h));
	RV(CKR_TEMPLATE_INCOMPLETE, F->C_CreateObject(s, t, 2, &h)); /* no CKA_VALUE */
	t[1].pValue = &other;
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(s, t, 6, &h));
	t[1].pValue = &x509;
	CK_ATTRIBUTE trusted[] = {t[0], t[1], t[2], ATTR(CKA_TRUSTED, &yes, 1)};
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(s, trusted, 4, &h));
	CK_ATTRIBUTE check[] = {t[0], t[1], t[2], ATTR(CKA_CHECK_VALUE, "abc", 3)};
	RV(CKR_ATTRIBUTE_READ_ONLY, F->C_CreateObject(s, check, 4, &h));
	P11_OK(F->C_CreateObject(s, t, 6, &h));
	ck_assert_uint_eq(p11_get(s, h, CKA_VALUE, buf, sizeof(buf)), sizeof(der));
	ck_assert_mem_eq(buf, der, sizeof(der));
	ck_assert_uint_eq(p11_get_ulong(s, h, CKA_CERTIFICATE_TYPE), CKC_X_509);
	ck_assert_uint_eq(p11_get_bool(s, h, CKA_TRUSTED), CK_FALSE);
	ck_assert_int_eq(btpm_hash(BTPM_ALG_SHA1, der, sizeof(der), sha1), 0);
	ck_assert_uint_eq(p11_get(s, h, CKA_CHECK_VALUE, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, sha1, 3);
	CK_ATTRIBUTE byid[] = {ATTR(CKA_CLASS, &cls, sizeof(cls)), ATTR(CKA_ID, "\x01", 1)};
	CK_OBJECT_HANDLE found[2];
	ck_assert_uint_eq(p11_find(s, byid, 2, found, 2), 1);
	byid[1].pValue = "\x02";
	ck_assert_uint_eq(p11_find(s, byid, 2, found, 2), 0);
	P11_OK(F->C_DestroyObject(s, h));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_DestroyObject(s, h));
	RV(CKR_OBJECT_HANDLE_INVALID, F->C_GetAttributeValue(s, h, t, 1));
}
END_TEST

/* A public key object from outside verifies what a software key signed. */
static void verify_with_session_key(uint16_t curve, size_t coord, const CK_BYTE *params,
				    size_t params_len, int raw_point)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_BYTE priv[48], x[48], y[48], point[2 + 97], r[48], sg[96], dg[64];
	CK_OBJECT_HANDLE h;
	ck_assert_int_eq(btpm_ecc_keygen(curve, coord, priv, x, y), 0);
	point[0] = 0x04;
	point[1] = (CK_BYTE)(1 + 2 * coord);
	point[2] = 0x04;
	memcpy(point + 3, x, coord);
	memcpy(point + 3 + coord, y, coord);
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, &cls, sizeof(cls)),
		ATTR(CKA_KEY_TYPE, &ec, sizeof(ec)),
		ATTR(CKA_EC_PARAMS, params, params_len),
		raw_point ? (CK_ATTRIBUTE)ATTR(CKA_EC_POINT, point + 2, 1 + 2 * coord)
			  : (CK_ATTRIBUTE)ATTR(CKA_EC_POINT, point, 3 + 2 * coord),
		ATTR(CKA_LABEL, "imported", 8),
	};
	RV(CKR_TEMPLATE_INCOMPLETE, F->C_CreateObject(s, t, 3, &h));
	/* a point off the curve is refused at creation: y + 1 */
	point[2 + 2 * coord] ^= 1;
	RV(CKR_ATTRIBUTE_VALUE_INVALID, F->C_CreateObject(s, t, 5, &h));
	point[2 + 2 * coord] ^= 1;
	P11_OK(F->C_CreateObject(s, t, 5, &h));
	CK_BYTE got[128];
	ck_assert_uint_eq(p11_get(s, h, CKA_EC_POINT, got, sizeof(got)), 3 + 2 * coord);
	ck_assert_mem_eq(got, point, 3 + 2 * coord); /* stored as DER, whatever came in */
	ck_assert_uint_eq(p11_get_bool(s, h, CKA_LOCAL), CK_FALSE);
	ck_assert_uint_eq(p11_get_ulong(s, h, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(p11_get_bool(s, h, CKA_VERIFY), CK_TRUE);
	/* CKM_ECDSA_SHA256 over a message, CKM_ECDSA over a 20-byte digest */
	ck_assert_int_eq(btpm_hash(BTPM_ALG_SHA256, "message", 7, dg), 0);
	ck_assert_int_eq(btpm_ecdsa_sign(curve, coord, priv, dg, 32, r, sg + coord), 0);
	memcpy(sg, r, coord);
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	P11_OK(F->C_VerifyInit(s, &m, h));
	RV(CKR_OPERATION_ACTIVE, F->C_VerifyInit(s, &m, h));
	P11_OK(F->C_VerifyInit(s, NULL, 0)); /* v3.0 5.13: ends it */
	P11_OK(F->C_VerifyInit(s, &m, h));
	P11_OK(F->C_Verify(s, (CK_BYTE_PTR) "message", 7, sg, 2 * coord));
	P11_OK(F->C_VerifyInit(s, &m, h));
	P11_OK(F->C_VerifyUpdate(s, (CK_BYTE_PTR) "mess", 4));
	P11_OK(F->C_VerifyUpdate(s, (CK_BYTE_PTR) "age", 3));
	P11_OK(F->C_VerifyFinal(s, sg, 2 * coord));
	P11_OK(F->C_VerifyInit(s, &m, h));
	RV(CKR_SIGNATURE_INVALID, F->C_Verify(s, (CK_BYTE_PTR) "massage", 7, sg, 2 * coord));
	P11_OK(F->C_VerifyInit(s, &m, h));
	RV(CKR_SIGNATURE_LEN_RANGE, F->C_Verify(s, (CK_BYTE_PTR) "message", 7, sg, 2 * coord - 1));
	RV(CKR_OPERATION_NOT_INITIALIZED, F->C_Verify(s, (CK_BYTE_PTR) "message", 7, sg, 64));
	ck_assert_int_eq(btpm_hash(BTPM_ALG_SHA1, "message", 7, dg), 0);
	ck_assert_int_eq(btpm_ecdsa_sign(curve, coord, priv, dg, 20, r, sg + coord), 0);
	memcpy(sg, r, coord);
	m.mechanism = CKM_ECDSA;
	P11_OK(F->C_VerifyInit(s, &m, h));
	RV(CKR_FUNCTION_NOT_SUPPORTED, F->C_VerifyUpdate(s, dg, 20)); /* single-part only */
	P11_OK(F->C_VerifyInit(s, &m, h));
	P11_OK(F->C_Verify(s, dg, 20, sg, 2 * coord));
	/* a public key cannot sign */
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, F->C_SignInit(s, &m, h));
	btpm_wipe(priv, sizeof(priv));
}

START_TEST(verify_p256_session_key)
{
	static const CK_BYTE oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	verify_with_session_key(BTPM_ECC_NIST_P256, 32, oid, sizeof(oid), 0);
}
END_TEST

START_TEST(verify_p384_session_key_raw_point)
{
	static const CK_BYTE name[] = "\x13\x09secp384r1";
	verify_with_session_key(BTPM_ECC_NIST_P384, 48, name, sizeof(name) - 1, 1);
}
END_TEST

START_TEST(unsupported_curve)
{
	static const CK_BYTE p521[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23};
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_OBJECT_HANDLE h;
	CK_BYTE point[67] = {0x04, 0x41, 0x04};
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &cls, sizeof(cls)), ATTR(CKA_KEY_TYPE, &ec, sizeof(ec)),
			    ATTR(CKA_EC_PARAMS, p521, sizeof(p521)),
			    ATTR(CKA_EC_POINT, point, sizeof(point))};
	RV(CKR_CURVE_NOT_SUPPORTED, F->C_CreateObject(s, t, 4, &h));
}
END_TEST

/* ---- a corrupt store, threads ------------------------------------------------------------ */

START_TEST(corrupt_store_is_a_device_error)
{
	char dir[128], path[160];
	CK_ULONG n;
	snprintf(dir, sizeof(dir), "%s/corrupt", base);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/baretpm.conf", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a baretpm store\n", f);
	fclose(f);
	setenv("BARETPM_STORE", dir, 1);
	P11_OK(F->C_Initialize(NULL)); /* the library loads; the store is what is broken */
	RV(CKR_DEVICE_ERROR, F->C_GetSlotList(CK_TRUE, NULL, &n));
	ck_assert_msg(strstr(p11_why(), "baretpm.conf") != NULL, "%s", p11_why());
}
END_TEST

/* Session object handles run out after 2^20 - 1 creations; then freed ones are used again. */
START_TEST(session_handles_wrap)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_VALUE, "v", 1)};
	CK_OBJECT_HANDLE keep, h = 0, last = 0;
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	P11_OK(F->C_CreateObject(s, t, 2, &keep)); /* lives throughout: never handed out twice */
	for (unsigned long i = 0; i < (1ul << 20) + 10; i++) {
		CK_RV rv = F->C_CreateObject(s, t, 2, &h);
		ck_assert_msg(rv == CKR_OK, "creation %lu: 0x%lx", i, rv);
		ck_assert_uint_ne(h, keep);
		last = h;
		P11_OK(F->C_DestroyObject(s, h));
	}
	ck_assert_uint_lt(last & 0xFFFFF, 16); /* wrapped round */
	CK_BYTE v[4];
	CK_ATTRIBUTE g = ATTR(CKA_VALUE, v, sizeof(v));
	P11_OK(F->C_GetAttributeValue(s, keep, &g, 1));
	ck_assert_uint_eq(g.ulValueLen, 1);
}
END_TEST

static CK_SLOT_ID thread_slot;

/* Sessions, digests and session objects from several threads at once. */
static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		CK_SESSION_HANDLE s;
		CK_MECHANISM m = {CKM_SHA256, NULL, 0};
		CK_OBJECT_CLASS data = CKO_DATA;
		CK_ATTRIBUTE t[] = {ATTR(CKA_CLASS, &data, sizeof(data)), ATTR(CKA_VALUE, "v", 1)};
		CK_OBJECT_HANDLE h;
		CK_BYTE out[32];
		CK_ULONG n = sizeof(out);
		if (F->C_OpenSession(thread_slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
		    F->C_DigestInit(s, &m) != CKR_OK ||
		    F->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n) != CKR_OK || out[0] != 0xba ||
		    F->C_CreateObject(s, t, 2, &h) != CKR_OK || F->C_DestroyObject(s, h) != CKR_OK ||
		    F->C_CloseSession(s) != CKR_OK)
			return (void *)1;
	}
	return NULL;
}

START_TEST(threads)
{
	CK_C_INITIALIZE_ARGS a;
	pthread_t th[4];
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	P11_OK(F->C_Initialize(&a));
	thread_slot = empty_slot();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		ck_assert_int_eq(pthread_join(th[i], &r), 0);
		ck_assert_ptr_null(r);
	}
	CK_TOKEN_INFO ti;
	P11_OK(F->C_GetTokenInfo(thread_slot, &ti));
	ck_assert_uint_eq(ti.ulSessionCount, 0);
}
END_TEST

/* ---- fork ------------------------------------------------------------------------------ */

START_TEST(forked_child_initializes_again)
{
	CK_ULONG n;
	CK_SESSION_HANDLE s;
	P11_OK(F->C_Initialize(NULL));
	P11_OK(F->C_OpenSession(empty_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int bad = 0;
		CK_SESSION_INFO si;
		bad |= F->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= F->C_GetSessionInfo(s, &si) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= (F->C_Initialize(NULL) != CKR_OK) << 1;
		bad |= (F->C_GetSessionInfo(s, &si) != CKR_SESSION_HANDLE_INVALID) << 2;
		bad |= (F->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n != 1) << 3;
		bad |= (F->C_Finalize(NULL) != CKR_OK) << 4;
		_exit(bad);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
	/* the parent's state is untouched */
	CK_SESSION_INFO si;
	P11_OK(F->C_GetSessionInfo(s, &si));
	P11_OK(F->C_GetSlotList(CK_TRUE, NULL, &n));
}
END_TEST

static Suite *pkcs11_suite(void)
{
	Suite *s = suite_create("pkcs11");
	TCase *tc = tcase_create("no TPM");
	tcase_add_checked_fixture(tc, env_up, env_down);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, initialize_rules);
	tcase_add_test(tc, initialize_arguments);
	tcase_add_test(tc, info_and_versions);
	tcase_add_test(tc, interfaces);
	tcase_add_test(tc, functions_not_offered);
	tcase_add_test(tc, empty_store_slots);
	tcase_add_test(tc, mechanisms);
	tcase_add_test(tc, sessions_without_login);
	tcase_add_test(tc, digests);
	tcase_add_test(tc, null_arguments);
	tcase_add_test(tc, session_objects_and_attribute_rules);
	tcase_add_test(tc, certificate_session_object);
	tcase_add_test(tc, verify_p256_session_key);
	tcase_add_test(tc, verify_p384_session_key_raw_point);
	tcase_add_test(tc, unsupported_curve);
	tcase_add_test(tc, corrupt_store_is_a_device_error);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, session_handles_wrap);
	tcase_add_test(tc, forked_child_initializes_again);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/btpm-p11-XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	p11_load();
	SRunner *sr = srunner_create(pkcs11_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	btpm_test_rmtree(base, 30);
	return failed ? 1 : 0;
}
