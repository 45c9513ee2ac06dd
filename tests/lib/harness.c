/* SPDX-License-Identifier: BSD-2-Clause */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *btpm_test_srcdir(void)
{
	const char *s = getenv("BTPM_SRCDIR");
	return s && *s ? s : ".";
}

const char *btpm_test_cli(void)
{
	const char *s = getenv("BTPM_CLI");
	return s && *s ? s : "build/baretpm";
}

static struct btpm_test_sim *fixture_sim;

static void fixture_up(void)
{
	if (btpm_test_sim_start(fixture_sim, NULL))
		ck_abort_msg("cannot start swtpm");
}

static void fixture_down(void)
{
	btpm_test_sim_stop(fixture_sim);
}

void btpm_test_sim_fixture(TCase *tc, struct btpm_test_sim *s)
{
	fixture_sim = s;
	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
}

void btpm_test_rmtree(const char *dir, int timeout_s)
{
	char cmd[1100];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	btpm_test_sh(cmd, timeout_s, NULL, 0, NULL, 0);
}

long btpm_test_read_file(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap, f);
	int bad = ferror(f) || (n == cap && fgetc(f) != EOF);
	fclose(f);
	return bad ? -1 : (long)n;
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

int btpm_test_sim_start(struct btpm_test_sim *s, const char *opts)
{
	char tmpl[] = "/tmp/btpm-sim-XXXXXX";
	char cmd[1024], out[512], err[2048], path[300];
	memset(s, 0, sizeof(*s));
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
	snprintf(cmd, sizeof(cmd), "%s/sim/swtpm-start %s %s", btpm_test_srcdir(), opts ? opts : "",
		 s->dir);
	int rc = btpm_test_sh(cmd, 60, out, sizeof(out), err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "swtpm-start failed (%d): %s\n", rc, err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/tcti", s->dir);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(s->tcti, sizeof(s->tcti), f)) {
		if (f)
			fclose(f);
		fprintf(stderr, "swtpm-start wrote no tcti\n");
		return -1;
	}
	fclose(f);
	chomp(s->tcti);
	snprintf(path, sizeof(path), "%s/port", s->dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &s->port) != 1)
			s->port = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/pid", s->dir);
	f = fopen(path, "r");
	if (f) {
		int pid = 0;
		if (fscanf(f, "%d", &pid) == 1)
			s->pid = pid;
		fclose(f);
	}
	return 0;
}

void btpm_test_sim_stop(struct btpm_test_sim *s)
{
	char cmd[600];
	if (!s->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "%s/sim/swtpm-stop %s", btpm_test_srcdir(), s->dir);
	btpm_test_sh(cmd, 30, NULL, 0, NULL, 0);
	s->dir[0] = 0;
}

/* Read what a pipe has into buf (NUL-terminated, excess dropped); 0 at EOF. */
static ssize_t drain(int fd, char *buf, size_t cap, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n > 0 && buf && cap) {
		size_t room = cap - 1 - *len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(buf + *len, tmp, take);
		*len += take;
		buf[*len] = 0;
	}
	return n < 0 && errno == EINTR ? 1 : n;
}

int btpm_test_sh(const char *cmdline, int timeout_s, char *out, size_t outcap, char *err,
		 size_t errcap)
{
	int po[2], pe[2];
	size_t olen = 0, elen = 0;
	if (out && outcap)
		out[0] = 0;
	if (err && errcap)
		err[0] = 0;
	if (pipe(po) || pipe(pe))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int fds[2] = {po[0], pe[0]}, killed = 0;
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (long)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		long left = (long)timeout_s * 1000 - elapsed;
		if (left <= 0) {
			kill(-pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || !p[i].revents)
				continue;
			ssize_t n = i ? drain(fds[i], err, errcap, &elen) : drain(fds[i], out, outcap, &olen);
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	po[0] = fds[0];
	pe[0] = fds[1];
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (killed)
		return 128 + SIGKILL;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
