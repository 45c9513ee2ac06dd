/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token store: where it is, and whole-file load/save of its parts.
 * Files: store_file.c; text format: store_parse.c, store_emit.c and
 * docs/store-format.md; objects in memory: store_obj.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btpm_crypto.h"
#include "store_int.h"

#define SYSTEM_DIR "/etc/baretpm"

/* snprintf that reports truncation instead of doing it (paths). */
static int path_fmt(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, cap, "%s%s%s", a, b, c);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The per-user directory, or NULL when neither variable gives an absolute path. */
static const char *user_dir(char *buf, size_t cap, const char **source)
{
	const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
	/* The XDG spec: a relative XDG_DATA_HOME is invalid and ignored. */
	if (x && x[0] == '/') {
		*source = "$XDG_DATA_HOME";
		return path_fmt(buf, cap, x, "/baretpm", "") ? NULL : buf;
	}
	if (h && h[0] == '/') {
		*source = "$HOME";
		return path_fmt(buf, cap, h, "/.local/share/baretpm", "") ? NULL : buf;
	}
	return NULL;
}

/*
 * Which store, and why. BARETPM_STORE, when set and non-empty, is the answer
 * (never second-guessed, even if missing). Otherwise the per-user directory
 * U = ${XDG_DATA_HOME:-$HOME/.local/share}/baretpm if it exists, else
 * /etc/baretpm if it exists, else U (which 'baretpm init' creates).
 *
 * Reading and writing resolve the same way on purpose. Were writers always
 * sent to U, then root, with a store provisioned in /etc/baretpm (for an
 * initrd) and no U, would see its tokens listed from /etc/baretpm but get a
 * fresh, empty U created by the first write, which would then hide
 * /etc/baretpm from every later read. So /etc/baretpm is written only when
 * it already exists and U does not, when it is named explicitly, or when
 * there is no U at all (no HOME: a service, an initrd build); it is never
 * created just because a user ran a write command. A user who wants a
 * personal store next to an existing /etc/baretpm creates U (mkdir) or sets
 * BARETPM_STORE.
 */
const char *btpm_store_default_dir(char *buf, size_t cap, const char **source)
{
	const char *src, *dir;
	char user[BTPM_STORE_PATH];
	const char *env = getenv("BARETPM_STORE");
	if (env && *env) {
		src = "$BARETPM_STORE";
		dir = env;
	} else if ((dir = user_dir(user, sizeof(user), &src)) != NULL) {
		if (!btpm_store_is_dir(dir) && btpm_store_is_dir(SYSTEM_DIR)) {
			src = "system store";
			dir = SYSTEM_DIR;
		}
	} else {
		src = "system store (no HOME)";
		dir = SYSTEM_DIR;
	}
	if (source)
		*source = src;
	if (!buf || path_fmt(buf, cap, dir, "", ""))
		return NULL;
	return buf;
}

/* 0 if this process may create files in dir, else BTPM_E_READONLY naming it. */
static int writable_dir(struct btpm_store *st, const char *dir)
{
	char eb[128];
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	int e = errno;
	return btpm_store_fail(st, BTPM_E_READONLY, "%s: the token store is read-only (%s)", dir,
			       btpm_store_errstr(e, eb, sizeof(eb)));
}

/*
 * A store directory that every user may write to lets anyone swap its files
 * (another pinned storage key, other key blobs) or delete them: refuse it,
 * whoever owns it. A missing one is reported (or made, 0700) elsewhere.
 */
static int private_dir(struct btpm_store *st, const char *dir)
{
	struct stat sb;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || !(sb.st_mode & S_IWOTH))
		return 0;
	return btpm_store_fail(st, BTPM_E_STORE,
			       "%s: the token store directory is writable by every user (mode "
			       "%04o); refusing to use it (chmod 700 %s)",
			       dir, (unsigned)(sb.st_mode & 07777), dir);
}

/* The store directory and its tokens/ directory are not world-writable. */
static int private_store(struct btpm_store *st)
{
	char tokens[BTPM_STORE_PATH];
	int rc = private_dir(st, st->dir);
	if (!rc && !path_fmt(tokens, sizeof(tokens), st->dir, "/" BTPM_STORE_TOKENS, ""))
		rc = private_dir(st, tokens);
	return rc;
}

int btpm_store_open(struct btpm_store *st, const char *dir, int want_write)
{
	char given[sizeof(st->dir)];
	const char *src = NULL;
	if (!st)
		return BTPM_E_ARG;
	/* dir may be st->dir itself (reopening): copy it before st is cleared. */
	size_t n = dir ? strlen(dir) : 1;
	if (dir && n > 0 && n < sizeof(given))
		memcpy(given, dir, n + 1);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (!dir && !btpm_store_default_dir(given, sizeof(given), &src))
		return btpm_store_fail(st, BTPM_E_ARG, "the token store path is too long (at most "
				       "%zu bytes)", sizeof(st->dir) - 1);
	if (n == 0 || n >= sizeof(st->dir))
		return btpm_store_fail(st, BTPM_E_ARG, "bad token store path (empty or longer than "
				       "%zu bytes)", sizeof(st->dir) - 1);
	n = strlen(given);
	memcpy(st->dir, given, n + 1);
	while (n > 1 && st->dir[n - 1] == '/')
		st->dir[--n] = '\0';

	if (!want_write) {
		if (btpm_store_is_dir(st->dir))
			return private_store(st);
		if (!src)
			return btpm_store_fail(st, BTPM_E_NOTFOUND, "%s: no token store here; run "
					       "'baretpm init'", st->dir);
		return btpm_store_fail(st, BTPM_E_NOTFOUND, "%s (from %s): no token store here; "
				       "run 'baretpm init' or set BARETPM_STORE", st->dir, src);
	}
	char tokens[BTPM_STORE_PATH];
	if (path_fmt(tokens, sizeof(tokens), st->dir, "/" BTPM_STORE_TOKENS, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	int rc = btpm_store_mkdirs(st, st->dir);
	if (!rc)
		rc = private_store(st);
	if (rc == BTPM_E_STORE)
		return rc;
	/* On BTPM_E_READONLY an existing store can still be read: st stays usable. */
	if (!rc)
		rc = writable_dir(st, st->dir);
	if (!rc)
		rc = btpm_store_mkdirs(st, tokens);
	if (!rc)
		rc = writable_dir(st, tokens);
	st->writable = !rc;
	return rc;
}

void btpm_store_close(struct btpm_store *st)
{
	/* The error text stays: callers close, then print why. */
	if (!st)
		return;
	btpm_store_unlock(st);
	st->writable = 0;
}

int btpm_store_lock(struct btpm_store *st)
{
	char path[BTPM_STORE_PATH], eb[128];
	if (!st)
		return BTPM_E_ARG;
	if (st->lock_fd >= 0)
		return btpm_store_fail(st, BTPM_E_ARG, "%s: the store lock is already held",
				       st->dir);
	if (path_fmt(path, sizeof(path), st->dir, "/" BTPM_STORE_LOCK, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	if (!st->writable)
		return btpm_store_fail(st, BTPM_E_READONLY, "%s: the token store was opened "
				       "read-only", path);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		return btpm_store_fail(st, e == EACCES || e == EROFS ? BTPM_E_READONLY : BTPM_E_IO,
				       "%s: %s", path, btpm_store_errstr(e, eb, sizeof(eb)));
	}
	(void)fchmod(fd, 0600); /* the umask may have taken bits off; another owner's file stays */
	while (flock(fd, LOCK_EX) != 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		close(fd);
		return btpm_store_fail(st, BTPM_E_IO, "%s: flock: %s", path,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	st->lock_fd = fd;
	return 0;
}

void btpm_store_unlock(struct btpm_store *st)
{
	if (!st || st->lock_fd < 0)
		return;
	flock(st->lock_fd, LOCK_UN);
	close(st->lock_fd);
	st->lock_fd = -1;
}

/* st writable, else BTPM_E_READONLY naming path. */
static int need_write(struct btpm_store *st, const char *path)
{
	if (st->writable)
		return 0;
	return btpm_store_fail(st, BTPM_E_READONLY, "%s: cannot write: the token store %s was "
			       "opened read-only", path, st->dir);
}

int btpm_store_load_global(struct btpm_store *st, struct btpm_store_global *g)
{
	char path[BTPM_STORE_PATH];
	if (!st || !g)
		return BTPM_E_ARG;
	if (path_fmt(path, sizeof(path), st->dir, "/" BTPM_STORE_CONF, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	uint8_t *text;
	size_t len;
	int rc = btpm_store_read_file(st, path, &text, &len);
	if (rc == BTPM_E_NOTFOUND)
		return btpm_store_fail(st, rc, "%s: the token store is not initialized (run "
				       "'baretpm init')", path);
	if (rc)
		return rc;
	rc = btpm_store_parse_global(st, path, text, len, g);
	btpm_wipe(text, len);
	free(text);
	return rc;
}

/* Check, emit and atomically write one file. */
static int save(struct btpm_store *st, const char *dir, const char *name, const char *path,
		int (*check)(struct btpm_store *, const void *),
		int (*emit)(const void *, struct btpm_store_text *), const void *what)
{
	struct btpm_store_text t = {0};
	int rc = need_write(st, path);
	if (!rc)
		rc = check(st, what);
	if (!rc && emit(what, &t))
		rc = btpm_store_fail(st, BTPM_E_NOMEM, "%s: out of memory", path);
	if (!rc && t.len > BTPM_STORE_FILE_MAX)
		rc = btpm_store_fail(st, BTPM_E_TOOBIG, "%s: %zu bytes, more than a store file "
				     "may have", path, t.len);
	if (!rc)
		rc = btpm_store_write_file(st, dir, name, t.p, t.len);
	btpm_store_text_free(&t);
	return rc;
}

static int check_global(struct btpm_store *st, const void *g)
{
	return btpm_store_check_global(st, g);
}

static int emit_global(const void *g, struct btpm_store_text *t)
{
	return btpm_store_emit_global(g, t);
}

static int check_token(struct btpm_store *st, const void *tok)
{
	return btpm_store_check_token(st, tok);
}

static int emit_token(const void *tok, struct btpm_store_text *t)
{
	return btpm_store_emit_token(tok, t);
}

int btpm_store_save_global(struct btpm_store *st, const struct btpm_store_global *g)
{
	char path[BTPM_STORE_PATH];
	if (!st || !g)
		return BTPM_E_ARG;
	if (path_fmt(path, sizeof(path), st->dir, "/" BTPM_STORE_CONF, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	return save(st, st->dir, BTPM_STORE_CONF, path, check_global, emit_global, g);
}

/* DIR/tokens, DIR/tokens/SERIAL.token and SERIAL.token for a valid serial. */
static int token_paths(struct btpm_store *st, const char *serial, char *dir, char *path,
		       char *name)
{
	if (!serial || !btpm_store_serial_ok(serial, strnlen(serial, BTPM_STORE_SERIAL + 1)))
		return btpm_store_fail(st, BTPM_E_ARG, "bad token serial (%d lowercase hex digits "
				       "expected)", BTPM_STORE_SERIAL);
	if (path_fmt(dir, BTPM_STORE_PATH, st->dir, "/" BTPM_STORE_TOKENS, "") ||
	    path_fmt(path, BTPM_STORE_PATH, dir, "/", serial) ||
	    path_fmt(path + strlen(path), BTPM_STORE_PATH - strlen(path), BTPM_STORE_SUFFIX, "",
		     "") ||
	    path_fmt(name, 32, serial, BTPM_STORE_SUFFIX, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	return 0;
}

int btpm_store_load_token(struct btpm_store *st, const char *serial, struct btpm_store_token *tok)
{
	char dir[BTPM_STORE_PATH], path[BTPM_STORE_PATH], name[32];
	if (!st || !tok)
		return BTPM_E_ARG;
	memset(tok, 0, sizeof(*tok));
	int rc = token_paths(st, serial, dir, path, name);
	if (rc)
		return rc;
	uint8_t *text;
	size_t len;
	rc = btpm_store_read_file(st, path, &text, &len);
	if (rc == BTPM_E_NOTFOUND)
		return btpm_store_fail(st, rc, "%s: no such token", path);
	if (rc)
		return rc;
	rc = btpm_store_parse_token(st, path, serial, text, len, tok);
	btpm_wipe(text, len);
	free(text);
	return rc;
}

/*
 * Temp files ".NAME.*.tmp" left by a writer that was killed between creating
 * and renaming its temp file. Only while this process holds the store lock is
 * no other writer in the middle of a save, so only then are they stale.
 */
static void remove_stale_temps(const struct btpm_store *st, const char *dir, const char *name)
{
	if (st->lock_fd < 0)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t n = strlen(name);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > n + 6 && e->d_name[0] == '.' && !strncmp(e->d_name + 1, name, n) &&
		    e->d_name[n + 1] == '.' && !strcmp(e->d_name + len - 4, ".tmp"))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int btpm_store_save_token(struct btpm_store *st, const struct btpm_store_token *tok)
{
	char dir[BTPM_STORE_PATH], path[BTPM_STORE_PATH], name[32];
	if (!st || !tok)
		return BTPM_E_ARG;
	int rc = token_paths(st, tok->serial, dir, path, name);
	if (!rc)
		rc = need_write(st, path);
	/* DIR/tokens may have been removed by hand since the store was opened. */
	if (!rc && !btpm_store_is_dir(dir))
		rc = btpm_store_mkdirs(st, dir);
	if (!rc) {
		remove_stale_temps(st, dir, name);
		rc = save(st, dir, name, path, check_token, emit_token, tok);
	}
	return rc;
}

int btpm_store_delete_token(struct btpm_store *st, const char *serial)
{
	char dir[BTPM_STORE_PATH], path[BTPM_STORE_PATH], name[32];
	if (!st)
		return BTPM_E_ARG;
	int rc = token_paths(st, serial, dir, path, name);
	if (!rc)
		rc = need_write(st, path);
	if (!rc)
		rc = btpm_store_remove_file(st, dir, name);
	if (rc == BTPM_E_NOTFOUND)
		btpm_store_fail(st, rc, "%s: no such token", path);
	return rc;
}

/* Insert s into the sorted list[0..*n) of at most max, dropping the largest. */
static void insert_sorted(char (*list)[BTPM_STORE_SERIAL + 1], unsigned max, unsigned *n,
			  const char *s)
{
	unsigned i = *n;
	while (i > 0 && strcmp(list[i - 1], s) > 0)
		i--;
	if (i >= max)
		return;
	unsigned last = *n < max ? *n : max - 1;
	memmove(list[i + 1], list[i], (last - i) * sizeof(list[0]));
	memcpy(list[i], s, BTPM_STORE_SERIAL + 1);
	if (*n < max)
		(*n)++;
}

int btpm_store_list_tokens(struct btpm_store *st, char (*serials)[BTPM_STORE_SERIAL + 1],
			   unsigned max, unsigned *n)
{
	char dir[BTPM_STORE_PATH], eb[128];
	if (!st || !n || (!serials && max))
		return BTPM_E_ARG;
	*n = 0;
	if (path_fmt(dir, sizeof(dir), st->dir, "/" BTPM_STORE_TOKENS, ""))
		return btpm_store_fail(st, BTPM_E_ARG, "%s: path too long", st->dir);
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		if (e == ENOENT)
			return 0; /* initialized, no token yet */
		return btpm_store_fail(st, BTPM_E_IO, "%s: %s", dir,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	}
	unsigned long total = 0;
	size_t sl = BTPM_STORE_SERIAL, xl = strlen(BTPM_STORE_SUFFIX);
	struct dirent *de;
	errno = 0;
	/* Only SERIAL.token counts; temp files (.SERIAL.token.RANDOM.tmp) and strays do not. */
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		if (strlen(s) != sl + xl || strcmp(s + sl, BTPM_STORE_SUFFIX) != 0 ||
		    !btpm_store_serial_ok(s, sl))
			continue;
		char serial[BTPM_STORE_SERIAL + 1];
		memcpy(serial, s, sl);
		serial[sl] = '\0';
		total++;
		if (max)
			insert_sorted(serials, max, n, serial);
		errno = 0;
	}
	int e = errno;
	closedir(d);
	if (e)
		return btpm_store_fail(st, BTPM_E_IO, "%s: %s", dir,
				       btpm_store_errstr(e, eb, sizeof(eb)));
	if (total > max)
		return btpm_store_fail(st, BTPM_E_TOOBIG, "%s: %lu tokens, more than %u (the first "
				       "%u are listed)", dir, total, max, *n);
	return 0;
}
