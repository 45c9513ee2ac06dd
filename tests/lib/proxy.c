/* SPDX-License-Identifier: BSD-2-Clause */
/* A fault-injecting, recording TCP proxy in front of swtpm (proxy.h). */
#define _GNU_SOURCE /* accept4, pipe2, memmem */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 8192
#define IO_TIMEOUT_MS 30000

struct rec {
	int dir;
	unsigned conn;
	uint8_t *data;
	size_t len;
};

struct btpm_proxy {
	pthread_t th;
	int started;
	int lfd;
	int stop[2]; /* a byte in stop[1] ends the thread */
	int port, up_port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy;
	unsigned commands, conns;
	struct btpm_proxy_fault f;
	unsigned arm_at, fired; /* f fires on commands arm_at .. arm_at + times - 1 */
	struct rec *recs;
	size_t nrec, caprec, bytes;
	struct btpm_proxy_record *view;
	size_t nview;
	uint8_t cmd[MSG_MAX], rsp[MSG_MAX];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 if fd is readable (or hung up) before ms pass, 0 on timeout, -1 when told to stop. */
static int wait_in(struct btpm_proxy *p, int fd, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pf[2] = {{fd, POLLIN, 0}, {p->stop[0], POLLIN, 0}};
		int n = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && pf[1].revents)
			return -1;
		if (n > 0 && pf[0].revents)
			return 1;
	}
}

/* Read exactly n bytes: 0, 1 at EOF before the first byte, -1 on error/timeout/stop. */
static int read_exact(struct btpm_proxy *p, int fd, uint8_t *b, size_t n, long long deadline)
{
	size_t got = 0;
	while (got < n) {
		int w = wait_in(p, fd, deadline);
		if (w <= 0)
			return -1;
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 1;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* One TPM message framed by its header's size field (commands and responses alike). */
static int read_msg(struct btpm_proxy *p, int fd, uint8_t *b, size_t cap, size_t *len)
{
	long long deadline = now_ms() + IO_TIMEOUT_MS;
	int r = read_exact(p, fd, b, 10, deadline);
	if (r)
		return r;
	size_t size = (size_t)b[2] << 24 | (size_t)b[3] << 16 | (size_t)b[4] << 8 | b[5];
	if (size < 10 || size > cap)
		return -1;
	if (read_exact(p, fd, b + 10, size - 10, deadline))
		return -1;
	*len = size;
	return 0;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void record(struct btpm_proxy *p, int dir, unsigned conn, const uint8_t *b, size_t n)
{
	pthread_mutex_lock(&p->mu);
	if (p->nrec == p->caprec) {
		size_t cap = p->caprec ? 2 * p->caprec : 256;
		struct rec *r = realloc(p->recs, cap * sizeof(*r));
		if (!r)
			goto out;
		p->recs = r;
		p->caprec = cap;
	}
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		goto out;
	memcpy(copy, b, n);
	p->recs[p->nrec++] = (struct rec){dir, conn, copy, n};
	p->bytes += n;
out:
	pthread_mutex_unlock(&p->mu);
}

static int connect_up(struct btpm_proxy *p)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->up_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* The fault for command number n, if the armed one covers it. */
static struct btpm_proxy_fault take_fault(struct btpm_proxy *p, unsigned n)
{
	struct btpm_proxy_fault none = {0}, f = none;
	pthread_mutex_lock(&p->mu);
	unsigned times = p->f.times ? p->f.times : 1;
	if (p->f.kind != BTPM_PROXY_NONE && n >= p->arm_at && p->fired < times) {
		f = p->f;
		p->fired++;
	}
	pthread_mutex_unlock(&p->mu);
	return f;
}

/* Serve one client connection until it closes (or a fault closes it). */
static void serve(struct btpm_proxy *p, int cfd)
{
	uint8_t *cmd = p->cmd, *rsp = p->rsp;
	size_t clen, rlen;
	int ufd = -1;
	pthread_mutex_lock(&p->mu);
	unsigned conn = ++p->conns;
	pthread_mutex_unlock(&p->mu);
	for (;;) {
		if (read_msg(p, cfd, cmd, MSG_MAX, &clen))
			break;
		pthread_mutex_lock(&p->mu);
		unsigned n = ++p->commands;
		pthread_mutex_unlock(&p->mu);
		struct btpm_proxy_fault f = take_fault(p, n);
		if (f.kind == BTPM_PROXY_RC) {
			uint8_t r[10] = {0x80, 0x01};
			put_be32(r + 2, 10);
			put_be32(r + 6, f.rc);
			record(p, 0, conn, cmd, clen);
			record(p, 1, conn, r, sizeof(r));
			if (write_all(cfd, r, sizeof(r)))
				break;
			continue;
		}
		if (ufd < 0 && (ufd = connect_up(p)) < 0)
			break;
		if (f.kind == BTPM_PROXY_CUT) {
			record(p, 0, conn, cmd, clen / 2);
			write_all(ufd, cmd, clen / 2);
			break;
		}
		record(p, 0, conn, cmd, clen);
		if (write_all(ufd, cmd, clen) || read_msg(p, ufd, rsp, MSG_MAX, &rlen))
			break;
		if (f.kind == BTPM_PROXY_LOST) {
			record(p, 1, conn, rsp, 0);
			break;
		}
		if (f.kind == BTPM_PROXY_DELAY) {
			/* hold the answer until the client gives up, then drop it */
			int ms = f.delay_ms > 0 ? f.delay_ms : 5000;
			wait_in(p, cfd, now_ms() + ms);
			record(p, 1, conn, rsp, 0);
			break;
		}
		if (f.kind == BTPM_PROXY_TRUNCATE) {
			record(p, 1, conn, rsp, rlen / 2);
			write_all(cfd, rsp, rlen / 2);
			break;
		}
		if (f.kind == BTPM_PROXY_GARBLE) {
			long off = f.offset < 0 ? (long)rlen + f.offset : f.offset;
			if (f.offset == 0)
				off = (long)rlen - 1;
			if (off >= 0 && (size_t)off < rlen)
				rsp[off] ^= 0x5A;
		}
		record(p, 1, conn, rsp, rlen);
		if (write_all(cfd, rsp, rlen))
			break;
	}
	if (ufd >= 0)
		close(ufd);
	close(cfd);
}

static void *run(void *arg)
{
	struct btpm_proxy *p = arg;
	for (;;) {
		struct pollfd pf[2] = {{p->lfd, POLLIN, 0}, {p->stop[0], POLLIN, 0}};
		int n = poll(pf, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || pf[1].revents)
			break;
		int cfd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_mutex_lock(&p->mu);
		p->busy = 1;
		pthread_mutex_unlock(&p->mu);
		serve(p, cfd);
		pthread_mutex_lock(&p->mu);
		p->busy = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

struct btpm_proxy *btpm_proxy_start(int upstream_port)
{
	struct btpm_proxy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->lfd = -1;
	p->stop[0] = p->stop[1] = -1;
	p->up_port = upstream_port;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(p->lfd, 64) < 0 || getsockname(p->lfd, (struct sockaddr *)&a, &alen) < 0 ||
	    pipe2(p->stop, O_CLOEXEC) < 0)
		goto fail;
	p->port = ntohs(a.sin_port);
	if (pthread_create(&p->th, NULL, run, p))
		goto fail;
	p->started = 1;
	return p;
fail:
	perror("proxy");
	btpm_proxy_stop(p);
	return NULL;
}

void btpm_proxy_clear(struct btpm_proxy *p)
{
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nrec; i++)
		free(p->recs[i].data);
	p->nrec = 0;
	p->bytes = 0;
	pthread_mutex_unlock(&p->mu);
}

void btpm_proxy_stop(struct btpm_proxy *p)
{
	if (!p)
		return;
	if (p->started) {
		char c = 1;
		if (write(p->stop[1], &c, 1) != 1)
			perror("proxy stop");
		pthread_join(p->th, NULL);
	}
	if (p->lfd >= 0)
		close(p->lfd);
	for (int i = 0; i < 2; i++)
		if (p->stop[i] >= 0)
			close(p->stop[i]);
	btpm_proxy_clear(p);
	free(p->recs);
	free(p->view);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

int btpm_proxy_port(const struct btpm_proxy *p)
{
	return p->port;
}

const char *btpm_proxy_tcti(const struct btpm_proxy *p, int timeout_ms, char *buf, size_t cap)
{
	if (timeout_ms > 0)
		snprintf(buf, cap, "swtpm:host=127.0.0.1,port=%d,timeout=%d", p->port, timeout_ms);
	else
		snprintf(buf, cap, "swtpm:host=127.0.0.1,port=%d", p->port);
	return buf;
}

void btpm_proxy_arm(struct btpm_proxy *p, unsigned nth, const struct btpm_proxy_fault *f)
{
	pthread_mutex_lock(&p->mu);
	p->f = *f;
	p->arm_at = p->commands + (nth ? nth : 1);
	p->fired = 0;
	pthread_mutex_unlock(&p->mu);
}

void btpm_proxy_disarm(struct btpm_proxy *p)
{
	pthread_mutex_lock(&p->mu);
	memset(&p->f, 0, sizeof(p->f));
	pthread_mutex_unlock(&p->mu);
}

unsigned btpm_proxy_fired(struct btpm_proxy *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->fired;
	pthread_mutex_unlock(&p->mu);
	return n;
}

unsigned btpm_proxy_commands(struct btpm_proxy *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->commands;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int btpm_proxy_idle(struct btpm_proxy *p, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	int rc = 0;
	while (p->busy && rc == 0)
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	int busy = p->busy;
	pthread_mutex_unlock(&p->mu);
	return busy ? -1 : 0;
}

size_t btpm_proxy_records(struct btpm_proxy *p, const struct btpm_proxy_record **out)
{
	pthread_mutex_lock(&p->mu);
	if (p->nview < p->nrec) {
		struct btpm_proxy_record *v = realloc(p->view, p->nrec * sizeof(*v));
		if (v) {
			p->view = v;
			p->nview = p->nrec;
		}
	}
	size_t n = p->nview < p->nrec ? 0 : p->nrec;
	for (size_t i = 0; i < n; i++)
		p->view[i] = (struct btpm_proxy_record){p->recs[i].dir, p->recs[i].conn,
							p->recs[i].data, p->recs[i].len};
	pthread_mutex_unlock(&p->mu);
	*out = p->view;
	return n;
}

size_t btpm_proxy_bytes(struct btpm_proxy *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->bytes;
	pthread_mutex_unlock(&p->mu);
	return n;
}

size_t btpm_proxy_find(struct btpm_proxy *p, const void *needle, size_t n, size_t win)
{
	const uint8_t *nd = needle;
	if (!n)
		return 0;
	if (!win || win > n)
		win = n;
	size_t hit = 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nrec && !hit; i++) {
		const struct rec *r = &p->recs[i];
		for (size_t s = 0; s + win <= n && !hit; s++)
			if (r->len >= win && memmem(r->data, r->len, nd + s, win))
				hit = i + 1;
	}
	pthread_mutex_unlock(&p->mu);
	return hit;
}

const char *btpm_proxy_fault_name(const struct btpm_proxy_fault *f, char *buf, size_t cap)
{
	static const char *names[] = {"none", "truncate", "garble", "delay", "cut", "lost"};
	if (f->kind == BTPM_PROXY_RC) {
		const char *n = f->rc == 0x922   ? "RETRY"
				: f->rc == 0x908 ? "YIELDED"
				: f->rc == 0x90A ? "TESTING"
				: f->rc == 0x902 ? "OBJECT_MEMORY"
				: f->rc == 0x903 ? "SESSION_MEMORY"
				: f->rc == 0x921 ? "LOCKOUT"
						 : "?";
		snprintf(buf, cap, "rc %s (0x%03x)", n, (unsigned)f->rc);
	} else {
		snprintf(buf, cap, "%s", (unsigned)f->kind < 6 ? names[f->kind] : "?");
	}
	return buf;
}
