/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The store's files: whole-file reads, atomic replacement, directories.
 *
 * A file is replaced by writing a temp file next to it and renaming it over
 * the target, so a reader (another process, a crash, a full disk) sees the
 * old file or the new one, never half of either. The temp file is created
 * with O_EXCL | O_NOFOLLOW under a random name, so a symlink or file planted
 * at a guessable name cannot redirect the write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "store_int.h"

int btpm_store_fail(struct btpm_store *st, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
	return rc;
}

const char *btpm_store_errstr(int e, char *buf, size_t cap)
{
	/* The XSI strerror_r (-D_DEFAULT_SOURCE without _GNU_SOURCE). */
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
}

static int readonly_errno(int e)
{
	return e == EACCES || e == EPERM || e == EROFS;
}

int btpm_store_is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int btpm_store_read_file(struct btpm_store *st, const char *path, uint8_t **data, size_t *len)
{
	char eb[128];
	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted at path must not hang the reader (regular files ignore it). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		return btpm_store_fail(st, e == ENOENT ? BTPM_E_NOTFOUND : BTPM_E_IO, "%s: %s",
				       path, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return btpm_store_fail(st, BTPM_E_IO, "%s: %s", path,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return btpm_store_fail(st, BTPM_E_STORE, "%s: not a regular file", path);
	}
	if (sb.st_size < 0 || (unsigned long long)sb.st_size > BTPM_STORE_FILE_MAX) {
		close(fd);
		return btpm_store_fail(st, BTPM_E_STORE, "%s: %lld bytes, more than a store file "
				       "may have (%u)", path, (long long)sb.st_size,
				       (unsigned)BTPM_STORE_FILE_MAX);
	}
	/* One byte more than the size, to notice a file that grows under us. */
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return btpm_store_fail(st, BTPM_E_NOMEM, "%s: out of memory", path);
	}
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			rc = btpm_store_fail(st, BTPM_E_IO, "%s: %s", path,
					     btpm_store_errstr(e, eb, sizeof(eb)));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			rc = btpm_store_fail(st, BTPM_E_IO, "%s: the file changed while it was "
					     "read (written in place by something else?)", path);
			break;
		}
	}
	close(fd);
	if (rc) {
		btpm_wipe(buf, cap);
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ".NAME.RANDOM.tmp": hidden, and never of the form the store reads. */
static int temp_name(char *out, size_t cap, const char *name)
{
	uint8_t r[8];
	if (btpm_random(r, sizeof(r)))
		return -1;
	int n = snprintf(out, cap, ".%s.%02x%02x%02x%02x%02x%02x%02x%02x.tmp", name, r[0], r[1],
			 r[2], r[3], r[4], r[5], r[6], r[7]);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int btpm_store_write_file(struct btpm_store *st, const char *dir, const char *name,
			  const void *data, size_t len)
{
	char eb[128], tmp[128];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		return btpm_store_fail(st, readonly_errno(e) ? BTPM_E_READONLY : BTPM_E_IO,
				       "%s/%s: cannot open the directory: %s", dir, name,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	int fd = -1;
	/* A name collision means a 64-bit random value repeated, or an attack: retry twice. */
	for (int tries = 0; fd < 0 && tries < 3; tries++) {
		if (temp_name(tmp, sizeof(tmp), name)) {
			close(dfd);
			return btpm_store_fail(st, BTPM_E_IO, "%s/%s: cannot make a temp file name",
					       dir, name);
		}
		fd = openat(dfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		close(dfd);
		return btpm_store_fail(st, readonly_errno(e) ? BTPM_E_READONLY : BTPM_E_IO,
				       "%s/%s: cannot create a temp file: %s", dir, name,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	const char *step = "fchmod";
	int ok = fchmod(fd, 0600) == 0; /* the umask may have taken bits off; never added */
	if (ok) {
		step = "write";
		ok = write_all(fd, data, len) == 0;
	}
	if (ok) {
		step = "fsync";
		ok = fsync(fd) == 0;
	}
	int e = errno;
	if (close(fd) != 0 && ok) {
		e = errno;
		step = "close";
		ok = 0;
	}
	if (ok) {
		step = "rename";
		ok = renameat(dfd, tmp, dfd, name) == 0;
		e = errno;
	}
	if (!ok) {
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return btpm_store_fail(st, readonly_errno(e) ? BTPM_E_READONLY : BTPM_E_IO,
				       "%s/%s: %s failed, the file is unchanged: %s", dir, name,
				       step, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	/* The rename is durable only once the directory is. */
	if (fsync(dfd) != 0) {
		e = errno;
		close(dfd);
		return btpm_store_fail(st, BTPM_E_IO, "%s/%s: written, but fsync of the "
				       "directory failed: %s", dir, name,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	close(dfd);
	return 0;
}

int btpm_store_remove_file(struct btpm_store *st, const char *dir, const char *name)
{
	char eb[128];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		return btpm_store_fail(st, e == ENOENT ? BTPM_E_NOTFOUND : BTPM_E_IO, "%s/%s: %s",
				       dir, name, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	if (unlinkat(dfd, name, 0) != 0) {
		int e = errno;
		close(dfd);
		int rc = e == ENOENT ? BTPM_E_NOTFOUND
			 : readonly_errno(e) ? BTPM_E_READONLY
					     : BTPM_E_IO;
		return btpm_store_fail(st, rc, "%s/%s: cannot remove: %s", dir, name,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	int rc = 0;
	if (fsync(dfd) != 0) {
		int e = errno;
		rc = btpm_store_fail(st, BTPM_E_IO, "%s/%s: removed, but fsync of the directory "
				     "failed: %s", dir, name, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	close(dfd);
	return rc;
}

/* Create one directory 0700 (exactly: the umask may only have taken bits off). */
static int make_dir(struct btpm_store *st, const char *path)
{
	char eb[128];
	if (mkdir(path, 0700) != 0) {
		int e = errno;
		if (e == EEXIST && btpm_store_is_dir(path))
			return 0;
		int rc = readonly_errno(e) ? BTPM_E_READONLY : BTPM_E_IO;
		return btpm_store_fail(st, rc, "%s: cannot create the directory: %s", path,
				       e == EEXIST ? "it exists and is not a directory"
						   : btpm_store_errstr(e, eb, sizeof(eb)));
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0700) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return btpm_store_fail(st, BTPM_E_IO, "%s: cannot set mode 0700: %s", path,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	close(fd);
	/* the new entry is durable once its parent directory is synced */
	char parent[BTPM_STORE_PATH];
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	if (n == 0 || n >= sizeof(parent))
		memcpy(parent, ".", 2);
	else {
		memcpy(parent, path, n);
		parent[n] = '\0';
	}
	int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return btpm_store_fail(st, BTPM_E_IO, "%s: created, but fsync of %s failed: %s",
				       path, parent, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	close(dfd);
	return 0;
}

int btpm_store_mkdirs(struct btpm_store *st, const char *path)
{
	char buf[BTPM_STORE_PATH];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: bad directory name", path);
	memcpy(buf, path, n + 1);
	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (i < n && buf[i] != '/')
			continue;
		if (i < n && buf[i - 1] == '/')
			continue; /* "//" */
		char c = buf[i];
		buf[i] = '\0';
		int rc = btpm_store_is_dir(buf) ? 0 : make_dir(st, buf);
		buf[i] = c;
		if (rc)
			return rc;
	}
	return 0;
}
