/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The token store parser, whole files: the input is written as a token file
 * (or, when it starts with "baretpm-store", as baretpm.conf) into a private
 * store directory and loaded through the file API.
 *
 * A file that loads must also save (the store refuses to save only what it
 * would refuse to load), and what is saved must load back and save again to
 * the very same bytes. A violation aborts, which the fuzzer reports as a crash.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "store.h"

#define SERIAL "0123456789abcdef"

static struct btpm_store st;
static char token_path[600], global_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = fuzz_tmpdir("fuzz_store");
	char tokens[600];
	if (!dir)
		abort();
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(token_path, sizeof(token_path), "%s/" SERIAL ".token", tokens);
	snprintf(global_path, sizeof(global_path), "%s/baretpm.conf", dir);
	if (mkdir(tokens, 0700) || btpm_store_open(&st, dir, 1))
		abort();
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_store: %s: %s\n", what, st.error);
	abort();
}

/* The whole file at path into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb))
		fail("saved file missing");
	uint8_t *p = malloc((size_t)sb.st_size + 1);
	if (!p || read(fd, p, (size_t)sb.st_size) != sb.st_size)
		fail("saved file unreadable");
	close(fd);
	*n = (size_t)sb.st_size;
	return p;
}

static void same_file(uint8_t *a, size_t an, uint8_t *b, size_t bn)
{
	if (an != bn || memcmp(a, b, an)) {
		fprintf(stderr, "fuzz_store: saving what was saved changed it:\n%.*s----\n%.*s\n",
			(int)an, (const char *)a, (int)bn, (const char *)b);
		abort();
	}
	free(a);
	free(b);
}

static void token_round_trip(void)
{
	struct btpm_store_token tok;
	size_t an, bn;
	if (btpm_store_load_token(&st, SERIAL, &tok))
		return;
	if (btpm_store_save_token(&st, &tok))
		fail("a token that loads does not save");
	btpm_store_token_free(&tok);
	uint8_t *a = slurp(token_path, &an);
	if (btpm_store_load_token(&st, SERIAL, &tok))
		fail("a saved token does not load");
	if (btpm_store_save_token(&st, &tok))
		fail("a reloaded token does not save");
	btpm_store_token_free(&tok);
	uint8_t *b = slurp(token_path, &bn);
	same_file(a, an, b, bn);
}

static void global_round_trip(void)
{
	struct btpm_store_global g;
	size_t an, bn;
	if (btpm_store_load_global(&st, &g))
		return;
	if (btpm_store_save_global(&st, &g))
		fail("a baretpm.conf that loads does not save");
	uint8_t *a = slurp(global_path, &an);
	if (btpm_store_load_global(&st, &g) || btpm_store_save_global(&st, &g))
		fail("a saved baretpm.conf does not load and save");
	uint8_t *b = slurp(global_path, &bn);
	same_file(a, an, b, bn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char global_magic[] = "baretpm-store";
	int global = size >= sizeof(global_magic) - 1 &&
		     !memcmp(data, global_magic, sizeof(global_magic) - 1);
	if (fuzz_write_file(global ? global_path : token_path, data, size))
		abort();
	if (global)
		global_round_trip();
	else
		token_round_trip();
	return 0;
}
