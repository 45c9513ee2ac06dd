/* SPDX-License-Identifier: BSD-2-Clause */
#define _XOPEN_SOURCE 700 /* nftw */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);
	return hi << 16 | fuzz_u16(in);
}

const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;
	*got = n < in->n ? n : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

void fuzz_queue_responses(struct fake *f, struct fuzz_in *in)
{
	while (in->n && f->n_rsp < FAKE_MAX_RSP) {
		size_t got;
		const uint8_t *p = fuzz_bytes(in, fuzz_u16(in), &got);
		fake_push(f, p, got);
	}
}

int fuzz_write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ssize_t w = n ? write(fd, p, n) : 0;
	int rc = close(fd);
	return w == (ssize_t)n && !rc ? 0 : -1;
}

static char tmpdir[256];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Under $BTPM_FUZZ_TMP (fuzz/run removes it), else tmpfs, so that fsync costs nothing. */
const char *fuzz_tmpdir(const char *name)
{
	const char *base = getenv("BTPM_FUZZ_TMP");
	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/baretpm-%s.XXXXXX", base && *base ? base : "/tmp",
		 name);
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		return NULL;
	}
	atexit(remove_tmpdir);
	return tmpdir;
}

/*
 * The retry loop of tpm/exec.c sleeps between resends of a command the TPM
 * answered with RETRY, YIELDED or TESTING. A fuzzed response says so often;
 * sleeping would make those inputs thousands of times slower than the rest,
 * so the short sleeps return at once here (longer ones are not ours: pass on).
 */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (req && req->tv_sec == 0)
		return 0;
	int e = clock_nanosleep(CLOCK_REALTIME, 0, req, rem);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}
