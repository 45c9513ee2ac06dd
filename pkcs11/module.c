/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The module's one guarded state: C_Initialize/C_Finalize, the lock, fork
 * detection, errors, and the function lists and interfaces (v2.40 5.4,
 * v3.0 5.4).
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baretpm_pkcs11.h"
#include "btpm_crypto.h"
#include "module.h"
#include "rc.h"

/* The lists are an ABI: version, then one pointer per function, in order. */
_Static_assert(sizeof(CK_FUNCTION_LIST) == sizeof(void *) * (1 + 68), "v2.40 list layout");
_Static_assert(sizeof(CK_FUNCTION_LIST_3_0) == sizeof(void *) * (1 + 68 + 24),
	       "v3.0 list layout");

struct p11_global btpm_p11_g;

/*
 * The pid that initialized the module; 0 = not initialized. A call from any
 * other pid is a forked child, which must call C_Initialize again (v2.40
 * 6.7.1): until then it gets CKR_CRYPTOKI_NOT_INITIALIZED.
 */
static _Atomic pid_t g_pid;

/* Serializes C_Initialize/C_Finalize; the state lock is chosen by C_Initialize. */
static pthread_mutex_t g_init_mutex = PTHREAD_MUTEX_INITIALIZER;
static CK_C_INITIALIZE_ARGS g_app;    /* the application's mutex functions, if used */
static void *g_app_mutex;

/* ---- locking ------------------------------------------------------------- */

/*
 * The OS lock is a ticket lock: threads enter in the order they arrived. The
 * TPM is serial, so with several threads signing, a plain mutex lets the
 * thread that just left win again and again while another starves (p99
 * latency 47-66x the median with 4-8 threads in `make bench`); in turn order
 * every waiter waits for the same number of calls ahead of it.
 *
 * A handoff must not cost a sleeping thread's wake-up while the TPM idles:
 * the thread next in line polls for a short while (yielding the CPU) before
 * it sleeps, and each ticket sleeps on its own condition variable so a
 * release wakes one thread, not all of them.
 */
#define TURN_SLOTS 64
#define NEXT_IN_LINE_POLLS 200

static struct {
	pthread_mutex_t m;
	pthread_cond_t turn[TURN_SLOTS];   /* ticket t sleeps on turn[t % TURN_SLOTS] */
	_Atomic unsigned long next;        /* the next ticket to hand out */
	_Atomic unsigned long serving;     /* the ticket allowed in */
} g_os = {.m = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t g_os_once = PTHREAD_ONCE_INIT;

static void os_lock_init(void)
{
	for (int i = 0; i < TURN_SLOTS; i++)
		pthread_cond_init(&g_os.turn[i], NULL);
}

static void os_lock(void)
{
	pthread_once(&g_os_once, os_lock_init);
	unsigned long ticket = atomic_fetch_add(&g_os.next, 1);
	if (atomic_load(&g_os.serving) == ticket)
		return;
	for (int i = 0; i < NEXT_IN_LINE_POLLS && ticket - atomic_load(&g_os.serving) == 1; i++) {
		sched_yield();
		if (atomic_load(&g_os.serving) == ticket)
			return;
	}
	pthread_mutex_lock(&g_os.m);
	while (atomic_load(&g_os.serving) != ticket)
		pthread_cond_wait(&g_os.turn[ticket % TURN_SLOTS], &g_os.m);
	pthread_mutex_unlock(&g_os.m);
}

/* 1 when the lock was free and is now ours; never waits. */
static int os_trylock(void)
{
	unsigned long now = atomic_load(&g_os.serving);
	unsigned long want = now;
	return atomic_compare_exchange_strong(&g_os.next, &want, now + 1);
}

static void os_unlock(void)
{
	pthread_once(&g_os_once, os_lock_init);
	unsigned long now = atomic_fetch_add(&g_os.serving, 1) + 1;
	/* under the mutex, so a waiter between its check and its sleep is not missed */
	pthread_mutex_lock(&g_os.m);
	pthread_cond_broadcast(&g_os.turn[now % TURN_SLOTS]);
	pthread_mutex_unlock(&g_os.m);
}

/* A forked child: a parent thread may have held or waited for the lock. */
static void os_lock_reset(void)
{
	pthread_mutex_init(&g_os.m, NULL);
	os_lock_init();
	atomic_store(&g_os.next, 0);
	atomic_store(&g_os.serving, 0);
}

/* CKR_OK, or the application's LockMutex error: then nothing is held and nothing may run. */
static CK_RV lock(void)
{
	if (g_app_mutex)
		return g_app.LockMutex(g_app_mutex);
	os_lock();
	return CKR_OK;
}

static void unlock(void)
{
	if (g_app_mutex)
		g_app.UnlockMutex(g_app_mutex);
	else
		os_unlock();
}

static void close_ctx(int tpm)
{
	struct p11_global *g = &btpm_p11_g;
	g->commands_closed += btpm_commands_sent(g->ctx.t);
	if (!tpm)
		btpm_tok_after_fork(&g->ctx); /* the parent's handles stay the parent's */
	if (g->store_open) {
		btpm_tok_ctx_close(&g->ctx); /* flushes what this process loaded */
	} else if (g->ctx.t) {           /* opened for C_GenerateRandom without a store */
		btpm_close(g->ctx.t);
		g->ctx.t = NULL;
	}
	g->store_open = 0;
}

/*
 * Everything the module holds. tpm = 0 in a forked child: the TPM objects and
 * sessions belong to the parent, so nothing is flushed, only forgotten.
 */
static void release_state(int tpm)
{
	struct p11_global *g = &btpm_p11_g;
	btpm_p11_sessions_free();
	btpm_p11_slots_free(tpm);
	close_ctx(tpm);
	unsigned long closed = g->commands_closed;
	btpm_wipe(g, sizeof(*g));
	g->commands_closed = closed;
}

/* First call in a forked child: drop the parent's state without touching the TPM. */
static void forget_parent(pid_t parent)
{
	if (!atomic_compare_exchange_strong(&g_pid, &parent, 0))
		return; /* another thread of this child got here first */
	/* a parent thread may have held these across fork(): start afresh */
	os_lock_reset();
	g_app_mutex = NULL; /* the application's mutex is its own business now */
	memset(&g_app, 0, sizeof(g_app));
	/* a store lock taken by the parent is shared with it: close our copy, never unlock it */
	if (btpm_p11_g.ctx.store.lock_fd >= 0) {
		close(btpm_p11_g.ctx.store.lock_fd);
		btpm_p11_g.ctx.store.lock_fd = -1;
	}
	release_state(0);
}

CK_RV btpm_p11_enter(void)
{
	pid_t owner = atomic_load(&g_pid);
	if (!owner)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (owner != getpid()) {
		forget_parent(owner);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	CK_RV rv = lock();
	if (rv != CKR_OK)
		return rv == CKR_MUTEX_BAD ? rv : CKR_GENERAL_ERROR; /* not serialized: refuse */
	if (atomic_load(&g_pid) != owner) { /* finalized while we waited */
		unlock();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	btpm_p11_g.ctx.store.error[0] = 0; /* a reason found now is about this call */
	/* a simulator: one connection for all of this call's commands (C_Login: 4) */
	btpm_hold(btpm_p11_g.ctx.t, 1);
	return CKR_OK;
}

void btpm_p11_leave(void)
{
	btpm_hold(btpm_p11_g.ctx.t, 0);
	unlock();
}

CK_RV btpm_p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **s)
{
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	*s = btpm_p11_session(h);
	if (!*s) {
		btpm_p11_leave();
		return CKR_SESSION_HANDLE_INVALID;
	}
	return CKR_OK;
}

/* ---- errors ---------------------------------------------------------------- */

CK_RV btpm_p11_fail(CK_RV rv, const char *fmt, ...)
{
	struct p11_global *g = &btpm_p11_g;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->last_error, sizeof(g->last_error), fmt, ap);
	va_end(ap);
	if (g->debug)
		fprintf(stderr, "baretpm-pkcs11: 0x%lx: %s\n", rv, g->last_error);
	return rv;
}

CK_RV btpm_p11_rv(int rc, const char *what)
{
	struct p11_global *g = &btpm_p11_g;
	char msg[384];
	if (rc == 0)
		return CKR_OK;
	btpm_strerror(g->ctx.t, rc, msg, sizeof(msg));
	const char *store = g->ctx.store.error;
	CK_RV rv;
	switch (rc) {
	case BTPM_E_NODEV:
	case BTPM_E_CLOSED:
		rv = CKR_DEVICE_REMOVED;
		break;
	case BTPM_E_NOMEM:
		rv = CKR_HOST_MEMORY;
		break;
	case BTPM_E_READONLY:
		rv = CKR_TOKEN_WRITE_PROTECTED;
		break;
	case BTPM_E_ARG:
		rv = CKR_FUNCTION_FAILED;
		break;
	default:
		if (rc > 0 && (btpm_rc_base((uint32_t)rc) == BTPM_RC_OBJECT_MEMORY ||
			       btpm_rc_base((uint32_t)rc) == BTPM_RC_SESSION_MEMORY))
			rv = CKR_DEVICE_MEMORY;
		else
			rv = CKR_DEVICE_ERROR;
	}
	if (rc < 0 && store[0])
		return btpm_p11_fail(rv, "%s: %s (%s)", what, msg, store);
	return btpm_p11_fail(rv, "%s: %s", what, msg);
}

unsigned long btpm_p11_commands(void)
{
	return btpm_p11_g.commands_closed + btpm_commands_sent(btpm_p11_g.ctx.t);
}

long long btpm_p11_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void btpm_p11_pad(CK_UTF8CHAR *field, size_t size, const char *s)
{
	size_t n = strlen(s);
	memset(field, ' ', size);
	memcpy(field, s, n < size ? n : size);
}

/* ---- C_Initialize / C_Finalize / C_GetInfo ------------------------------------ */

/* v2.40 5.4 (C_Initialize): the four mutex functions come all together or not at all. */
static CK_RV choose_lock(const CK_C_INITIALIZE_ARGS *a)
{
	int given = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex + !!a->UnlockMutex;
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	if (a->pReserved)
		return CKR_ARGUMENTS_BAD;
	/* OS locking is always possible here, and preferred when the caller allows it */
	if (!given || (a->flags & CKF_OS_LOCKING_OK))
		return CKR_OK;
	void *m = NULL;
	CK_RV rv = a->CreateMutex(&m);
	if (rv != CKR_OK)
		return rv;
	if (!m)
		return CKR_MUTEX_BAD;
	g_app = *a;
	g_app_mutex = m;
	return CKR_OK;
}

static CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	struct p11_global *g = &btpm_p11_g;
	pthread_mutex_lock(&g_init_mutex);
	pid_t owner = atomic_load(&g_pid);
	CK_RV rv = CKR_OK;
	if (owner == getpid()) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	if (owner) /* a forked child that did not call anything else yet */
		forget_parent(owner);
	if (pInitArgs)
		rv = choose_lock(pInitArgs);
	if (rv != CKR_OK)
		goto out;
	unsigned long closed = g->commands_closed;
	memset(g, 0, sizeof(*g));
	g->commands_closed = closed;
	const char *dbg = getenv("BARETPM_DEBUG");
	g->debug = dbg && *dbg && strcmp(dbg, "0");
	g->next_session = 1;
	/* the store only: the TPM is opened on first need, so this costs no TPM command */
	btpm_p11_store_ready();
	atomic_store(&g_pid, getpid());
out:
	pthread_mutex_unlock(&g_init_mutex);
	return rv;
}

static CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	if (pReserved)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&g_init_mutex);
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK) {
		pthread_mutex_unlock(&g_init_mutex);
		return rv;
	}
	release_state(1); /* logs out, flushes every key and session this process loaded */
	atomic_store(&g_pid, 0);
	unlock();
	if (g_app_mutex) {
		g_app.DestroyMutex(g_app_mutex);
		g_app_mutex = NULL;
		memset(&g_app, 0, sizeof(g_app));
	}
	pthread_mutex_unlock(&g_init_mutex);
	return CKR_OK;
}

/*
 * A process that exits without C_Finalize (libp11's OpenSSL engine under
 * OpenSSL 3 never calls it) would leave its keys and TPM sessions loaded. A
 * resource manager (/dev/tpmrm0) flushes them when the descriptor closes, but
 * swtpm and /dev/tpm0 keep them until the next TPM2_Startup, and a TPM has
 * room for only about three of each: later logins fail with
 * CKR_DEVICE_MEMORY. So do C_Finalize's flushing when the module is unloaded
 * or the process exits; never in a forked child (the handles are the
 * parent's), never blocking (if a thread is inside the module, or the
 * application's own mutexes are in use, leave things as they are).
 */
__attribute__((destructor)) static void finalize_at_exit(void)
{
	if (atomic_load(&g_pid) != getpid() || g_app_mutex)
		return;
	if (pthread_mutex_trylock(&g_init_mutex))
		return;
	if (atomic_load(&g_pid) == getpid() && !g_app_mutex &&
	    os_trylock()) {
		release_state(1);
		atomic_store(&g_pid, 0);
		os_unlock();
	}
	pthread_mutex_unlock(&g_init_mutex);
}

static CK_RV get_info(CK_INFO_PTR pInfo, CK_BYTE major, CK_BYTE minor)
{
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = btpm_p11_enter();
	if (rv != CKR_OK)
		return rv;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = major;
	pInfo->cryptokiVersion.minor = minor;
	btpm_p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "baretpm");
	btpm_p11_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
		     "baretpm TPM 2.0 PKCS#11 module");
	pInfo->libraryVersion.major = 0;
	pInfo->libraryVersion.minor = 1;
	btpm_p11_leave();
	return CKR_OK;
}

/* The version a caller sees is the version of the list it called through. */
static CK_RV C_GetInfo_2_40(CK_INFO_PTR pInfo)
{
	return get_info(pInfo, 2, 40);
}

static CK_RV C_GetInfo_3_0(CK_INFO_PTR pInfo)
{
	return get_info(pInfo, 3, 0);
}

/* ---- functions this module does not offer ------------------------------------ */

#define NOT_SUPPORTED(name, params)                                                                \
	static CK_RV stub_##name params                                                            \
	{                                                                                          \
		return CKR_FUNCTION_NOT_SUPPORTED;                                                 \
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define STUBS_2_40(X)                                                                              \
	X(C_GetOperationState, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,           \
				CK_ULONG_PTR pulOperationStateLen))                                \
	X(C_SetOperationState,                                                                     \
	  (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,                                \
	   CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,                          \
	   CK_OBJECT_HANDLE hAuthenticationKey))                                                   \
	X(C_CopyObject, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,                     \
			 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,                             \
			 CK_OBJECT_HANDLE_PTR phNewObject))                                        \
	X(C_EncryptInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))            \
	X(C_Encrypt, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,               \
		      CK_ULONG_PTR on))                                                            \
	X(C_EncryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,         \
			    CK_ULONG_PTR on))                                                      \
	X(C_EncryptFinal, (CK_SESSION_HANDLE s, CK_BYTE_PTR o, CK_ULONG_PTR on))                   \
	X(C_DecryptInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))            \
	X(C_Decrypt, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,               \
		      CK_ULONG_PTR on))                                                            \
	X(C_DecryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,         \
			    CK_ULONG_PTR on))                                                      \
	X(C_DecryptFinal, (CK_SESSION_HANDLE s, CK_BYTE_PTR o, CK_ULONG_PTR on))                   \
	X(C_DigestKey, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k))                                  \
	X(C_SignRecoverInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))        \
	X(C_SignRecover, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,           \
			  CK_ULONG_PTR on))                                                        \
	X(C_VerifyRecoverInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))      \
	X(C_VerifyRecover, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,         \
			    CK_ULONG_PTR on))                                                      \
	X(C_DigestEncryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,   \
				  CK_ULONG_PTR on))                                                \
	X(C_DecryptDigestUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,   \
				  CK_ULONG_PTR on))                                                \
	X(C_SignEncryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,     \
				CK_ULONG_PTR on))                                                  \
	X(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,   \
				  CK_ULONG_PTR on))                                                \
	X(C_GenerateKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,             \
			  CK_ULONG n, CK_OBJECT_HANDLE_PTR k))                                     \
	X(C_WrapKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,                 \
		      CK_OBJECT_HANDLE k, CK_BYTE_PTR o, CK_ULONG_PTR on))                         \
	X(C_UnwrapKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u,               \
			CK_BYTE_PTR w, CK_ULONG wn, CK_ATTRIBUTE_PTR t, CK_ULONG n,                \
			CK_OBJECT_HANDLE_PTR k))                                                   \
	X(C_DeriveKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b,               \
			CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k))                   \
	X(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved))
STUBS_2_40(NOT_SUPPORTED)
/* Every v3.0 addition but the two interface functions (message-based and user-name login). */
#define STUBS_3_0(X)                                                                               \
	X(C_LoginUser, (CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,   \
			CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen))     \
	X(C_SessionCancel, (CK_SESSION_HANDLE hSession, CK_FLAGS flags))                           \
	X(C_MessageEncryptInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))     \
	X(C_EncryptMessage, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR a,       \
			     CK_ULONG an, CK_BYTE_PTR d, CK_ULONG dn, CK_BYTE_PTR o,               \
			     CK_ULONG_PTR on))                                                     \
	X(C_EncryptMessageBegin,                                                                   \
	  (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR a, CK_ULONG an))           \
	X(C_EncryptMessageNext, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,   \
				 CK_ULONG dn, CK_BYTE_PTR o, CK_ULONG_PTR on, CK_FLAGS f))         \
	X(C_MessageEncryptFinal, (CK_SESSION_HANDLE s))                                            \
	X(C_MessageDecryptInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))     \
	X(C_DecryptMessage, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR a,       \
			     CK_ULONG an, CK_BYTE_PTR d, CK_ULONG dn, CK_BYTE_PTR o,               \
			     CK_ULONG_PTR on))                                                     \
	X(C_DecryptMessageBegin,                                                                   \
	  (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR a, CK_ULONG an))           \
	X(C_DecryptMessageNext, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,   \
				 CK_ULONG dn, CK_BYTE_PTR o, CK_ULONG_PTR on, CK_FLAGS f))         \
	X(C_MessageDecryptFinal, (CK_SESSION_HANDLE s))                                            \
	X(C_MessageSignInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))        \
	X(C_SignMessage, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,          \
			  CK_ULONG dn, CK_BYTE_PTR o, CK_ULONG_PTR on))                            \
	X(C_SignMessageBegin, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn))                   \
	X(C_SignMessageNext, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,      \
			      CK_ULONG dn, CK_BYTE_PTR o, CK_ULONG_PTR on))                        \
	X(C_MessageSignFinal, (CK_SESSION_HANDLE s))                                               \
	X(C_MessageVerifyInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))      \
	X(C_VerifyMessage, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,        \
			    CK_ULONG dn, CK_BYTE_PTR g, CK_ULONG gn))                              \
	X(C_VerifyMessageBegin, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn))                 \
	X(C_VerifyMessageNext, (CK_SESSION_HANDLE s, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,    \
				CK_ULONG dn, CK_BYTE_PTR g, CK_ULONG gn))                          \
	X(C_MessageVerifyFinal, (CK_SESSION_HANDLE s))
STUBS_3_0(NOT_SUPPORTED)

/* Legacy parallel-function management (v2.40 5.16): never parallel. */
static CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	return CKR_FUNCTION_NOT_PARALLEL;
}

static CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	return CKR_FUNCTION_NOT_PARALLEL;
}
#pragma GCC diagnostic pop

/* ---- function lists and interfaces ---------------------------------------------- */

static CK_FUNCTION_LIST list_2_40;
static CK_FUNCTION_LIST_3_0 list_3_0;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);
static CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
static CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
			    CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);

static void build_lists(void)
{
	CK_FUNCTION_LIST_3_0 *f = &list_3_0;
	f->C_Initialize = C_Initialize;
	f->C_Finalize = C_Finalize;
	f->C_GetInfo = C_GetInfo_3_0;
	f->C_GetFunctionList = C_GetFunctionList;
	f->C_GetFunctionStatus = C_GetFunctionStatus;
	f->C_CancelFunction = C_CancelFunction;
	f->C_GetInterfaceList = C_GetInterfaceList;
	f->C_GetInterface = C_GetInterface;
#define STUB(name, params) f->name = stub_##name;
	STUBS_2_40(STUB)
	STUBS_3_0(STUB)
#undef STUB
	btpm_p11_fill_slots(f);
	btpm_p11_fill_sessions(f);
	btpm_p11_fill_objects(f);
	btpm_p11_fill_crypt(f);
	btpm_p11_fill_admin(f);
	btpm_p11_fill_keygen(f);
	f->version.major = 3;
	f->version.minor = 0;
	/* the v2.40 list is the head of the v3.0 one */
#define COPY(name, params) list_2_40.name = f->name;
	BTPM_P11_FUNCS_2_40(COPY)
#undef COPY
	list_2_40.C_GetInfo = C_GetInfo_2_40;
	list_2_40.version.major = 2;
	list_2_40.version.minor = 40;
}

static CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		return CKR_ARGUMENTS_BAD;
	pthread_once(&lists_once, build_lists);
	*ppFunctionList = &list_2_40;
	return CKR_OK;
}

static unsigned long diag_commands(void)
{
	if (btpm_p11_enter() != CKR_OK)
		return btpm_p11_g.commands_closed;
	unsigned long n = btpm_p11_commands();
	btpm_p11_leave();
	return n;
}

static const char *diag_last_error(char *buf, size_t cap)
{
	if (!buf || !cap)
		return buf;
	buf[0] = 0;
	if (btpm_p11_enter() != CKR_OK)
		return buf;
	snprintf(buf, cap, "%s", btpm_p11_g.last_error);
	btpm_p11_leave();
	return buf;
}

static const struct btpm_pkcs11_diag diag = {{1, 0}, diag_commands, diag_last_error};

static CK_CHAR name_pkcs11[] = "PKCS 11";
static CK_CHAR name_diag[] = BTPM_PKCS11_DIAG_INTERFACE;

/* The default interface (the first) is v3.0; the diagnostics one is never listed. */
static CK_INTERFACE interfaces[3] = {
	{name_pkcs11, &list_3_0, 0},
	{name_pkcs11, &list_2_40, 0},
	{name_diag, (void *)&diag, 0},
};
#define LISTED 2ul

static CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	pthread_once(&lists_once, build_lists);
	if (!pInterfacesList) {
		*pulCount = LISTED;
		return CKR_OK;
	}
	if (*pulCount < LISTED) {
		*pulCount = LISTED;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, interfaces, LISTED * sizeof(CK_INTERFACE));
	*pulCount = LISTED;
	return CKR_OK;
}

static CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
			    CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (!ppInterface)
		return CKR_ARGUMENTS_BAD;
	pthread_once(&lists_once, build_lists);
	for (size_t i = 0; i < sizeof(interfaces) / sizeof(interfaces[0]); i++) {
		CK_INTERFACE *it = &interfaces[i];
		const CK_VERSION *v = it->pFunctionList; /* every list starts with its version */
		if (pInterfaceName ? strcmp((const char *)pInterfaceName,
					    (const char *)it->pInterfaceName)
				   : i >= LISTED)
			continue;
		if (pVersion && (pVersion->major != v->major || pVersion->minor != v->minor))
			continue;
		if ((it->flags & flags) != flags)
			continue;
		*ppInterface = it;
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}

/* ---- the prefixed entry points (baretpm_pkcs11.h) ------------------------------- */

CK_RV btpm_pkcs11_get_function_list(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	return C_GetFunctionList(ppFunctionList);
}

CK_RV btpm_pkcs11_get_interface_list(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	return C_GetInterfaceList(pInterfacesList, pulCount);
}

CK_RV btpm_pkcs11_get_interface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
				CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	return C_GetInterface(pInterfaceName, pVersion, ppInterface, flags);
}

unsigned long btpm_pkcs11_commands_sent(void)
{
	return diag_commands();
}

const char *btpm_pkcs11_last_error(char *buf, size_t cap)
{
	return diag_last_error(buf, cap);
}
