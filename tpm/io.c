/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deadline-bounded I/O shared by the transports. Every wait goes through
 * poll() with the time left until an absolute CLOCK_MONOTONIC deadline, so a
 * wedged peer costs at most the transport's timeout and never a hang, and a
 * peer that goes away is reported as such instead of killing us with SIGPIPE.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

/* A TPM response header: tag, responseSize, responseCode (Part 1, 18.4). */
#define RSP_HEADER 10

long long btpm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Details are best effort: a long path may cut the text, never overflow it. */
void btpm_io_detail(char *detail, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, BTPM_TRANSPORT_DETAIL, fmt, ap);
	va_end(ap);
}

void btpm_io_note_timeout(char *detail, int timeout_ms)
{
	size_t n = strnlen(detail, BTPM_TRANSPORT_DETAIL);
	if (n < BTPM_TRANSPORT_DETAIL - 1)
		btpm_io_detail(detail + n, " after %d ms", timeout_ms);
}

static int fail(char *detail, int rc, const char *what, const char *why)
{
	btpm_io_detail(detail, "%s: %s", what, why);
	return rc;
}

/* A peer that vanished is CLOSED; anything else the OS reports is IO. */
static int errno_rc(int e)
{
	return e == EPIPE || e == ECONNRESET ? BTPM_E_CLOSED : BTPM_E_IO;
}

/*
 * Wait until fd is ready for events or the deadline passes. POLLHUP/POLLERR
 * count as ready: the following read or write reports what happened.
 */
static int wait_fd(int fd, short events, long long deadline, char *detail, const char *what)
{
	for (;;) {
		long long left = deadline - btpm_now_ms();
		if (left <= 0)
			return fail(detail, BTPM_E_TIMEOUT, what, "timed out");
		struct pollfd p = {.fd = fd, .events = events, .revents = 0};
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0) {
			if (p.revents & POLLNVAL)
				return fail(detail, BTPM_E_IO, what, "invalid file descriptor");
			return 0;
		}
		if (n < 0 && errno != EINTR)
			return fail(detail, BTPM_E_IO, what, strerror(errno));
	}
}

/*
 * send() with MSG_NOSIGNAL so a closed peer gives EPIPE instead of SIGPIPE;
 * a character device is not a socket, so it falls back to write().
 */
static ssize_t put(int fd, const void *p, size_t n)
{
	ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
	if (w < 0 && errno == ENOTSOCK)
		w = write(fd, p, n);
	return w;
}

/*
 * The descriptors are nonblocking: the write is tried at once, and poll()
 * is only asked when the kernel has no room (a small command almost never).
 */
int btpm_io_write_all(int fd, const void *p, size_t n, long long deadline, char *detail,
		      const char *what)
{
	const uint8_t *at = p;
	while (n > 0) {
		ssize_t w = put(fd, at, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return fail(detail, errno_rc(errno), what, strerror(errno));
			int rc = wait_fd(fd, POLLOUT, deadline, detail, what);
			if (rc)
				return rc;
			continue;
		}
		if (w == 0)
			return fail(detail, BTPM_E_IO, what, "wrote nothing");
		at += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One successful read() of up to n bytes; end of file is r == 0. */
static int read_once(int fd, void *p, size_t n, ssize_t *r, long long deadline, char *detail,
		     const char *what)
{
	for (;;) {
		int rc = wait_fd(fd, POLLIN, deadline, detail, what);
		if (rc)
			return rc;
		*r = read(fd, p, n);
		if (*r >= 0)
			return 0;
		/* EAGAIN: a nonblocking TPM device polled readable before its response. */
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(detail, errno_rc(errno), what, strerror(errno));
	}
}

int btpm_io_read_some(int fd, void *p, size_t n, size_t *got, long long deadline, char *detail,
		      const char *what)
{
	ssize_t r = 0;
	*got = 0;
	int rc = read_once(fd, p, n, &r, deadline, detail, what);
	if (rc)
		return rc;
	if (r == 0)
		return fail(detail, BTPM_E_CLOSED, what, "connection closed before the response");
	*got = (size_t)r;
	return 0;
}

int btpm_io_read_exact(int fd, void *p, size_t n, long long deadline, char *detail,
		       const char *what)
{
	uint8_t *at = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = 0;
		int rc = read_once(fd, at + got, n - got, &r, deadline, detail, what);
		if (rc)
			return rc;
		if (r == 0) {
			btpm_io_detail(detail, "%s: connection closed after %zu of %zu bytes", what,
				       got, n);
			return BTPM_E_CLOSED;
		}
		got += (size_t)r;
	}
	return 0;
}

/* responseSize, the big-endian UINT32 at offset 2 of the header (Part 1, 18.4). */
static uint32_t header_size(const uint8_t *h)
{
	return btpm_be32_get(h + 2);
}

int btpm_io_check_header(const uint8_t *hdr, size_t cap, char *detail, const char *what)
{
	uint32_t size = header_size(hdr);
	if (size < RSP_HEADER) {
		btpm_io_detail(detail,
			       "%s: response header gives size %u, below the 10-byte header", what,
			       (unsigned)size);
		return BTPM_E_MALFORMED;
	}
	if (size > cap) {
		btpm_io_detail(detail, "%s: response of %u bytes exceeds the %zu-byte buffer", what,
			       (unsigned)size, cap);
		return BTPM_E_TOOBIG;
	}
	return 0;
}

/*
 * The whole response usually comes in the first read; whatever is missing
 * (a header split across segments, a long response) is read by its size.
 * Bytes beyond the size the header gives are a peer out of step.
 */
int btpm_io_read_response(int fd, uint8_t *rsp, size_t room, size_t cap, size_t *len,
			  long long deadline, char *detail, const char *what)
{
	size_t got = 0;
	*len = 0;
	if (cap < RSP_HEADER || cap > room)
		return fail(detail, BTPM_E_ARG, what, "response buffer below 10 bytes or its room");
	int rc = btpm_io_read_some(fd, rsp, room, &got, deadline, detail, what);
	if (!rc && got < RSP_HEADER) {
		rc = btpm_io_read_exact(fd, rsp + got, RSP_HEADER - got, deadline, detail, what);
		got = RSP_HEADER;
	}
	if (!rc)
		rc = btpm_io_check_header(rsp, cap, detail, what);
	if (rc)
		return rc;
	size_t size = header_size(rsp);
	if (got > size) {
		btpm_io_detail(detail, "%s: %zu bytes arrived for a response whose header says %zu",
			       what, got, size);
		return BTPM_E_MALFORMED;
	}
	rc = btpm_io_read_exact(fd, rsp + got, size - got, deadline, detail, what);
	if (rc)
		return rc;
	*len = size;
	return 0;
}

/* Map a connect() errno to our codes: EACCES on a socket path is a permission problem. */
static int connect_rc(int e)
{
	if (e == EACCES || e == EPERM)
		return BTPM_E_PERM;
	if (e == ETIMEDOUT)
		return BTPM_E_TIMEOUT;
	return BTPM_E_IO;
}

/*
 * Nonblocking connect bounded by the deadline. A unix socket whose listener's
 * backlog is full answers EAGAIN (Linux unix(7)); that is retried until the
 * deadline, since the simulator drains its backlog one client at a time.
 */
static int connect_one(int family, const struct sockaddr *sa, socklen_t salen, long long deadline,
		       int *out, char *detail, const char *what)
{
	for (;;) {
		int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail(detail, BTPM_E_IO, what, strerror(errno));
		int r;
		do
			r = connect(fd, sa, salen);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			*out = fd;
			return 0;
		}
		int e = errno;
		if (e == EAGAIN && family == AF_UNIX) {
			close(fd);
			if (btpm_now_ms() >= deadline)
				return fail(detail, BTPM_E_TIMEOUT, what,
					    "timed out (backlog full)");
			poll(NULL, 0, 10);
			continue;
		}
		if (e != EINPROGRESS) {
			close(fd);
			return fail(detail, connect_rc(e), what, strerror(e));
		}
		int rc = wait_fd(fd, POLLOUT, deadline, detail, what);
		if (rc) {
			close(fd);
			return rc;
		}
		socklen_t elen = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (e) {
			close(fd);
			return fail(detail, connect_rc(e), what, strerror(e));
		}
		*out = fd;
		return 0;
	}
}

static int connect_unix(const char *path, long long deadline, int *fd, char *detail)
{
	char what[BTPM_TRANSPORT_DETAIL];
	snprintf(what, sizeof(what), "connect %s", path);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sun.sun_path))
		return fail(detail, BTPM_E_CONFIG, what, "socket path too long for sun_path");
	memcpy(sun.sun_path, path, n + 1);
	return connect_one(AF_UNIX, (const struct sockaddr *)&sun, sizeof(sun), deadline, fd,
			   detail, what);
}

/*
 * Every address the name resolves to is tried in order ("localhost" may give
 * ::1 before 127.0.0.1 while the simulator listens on IPv4 only). The name
 * lookup itself is not bounded by the deadline: getaddrinfo() has no timeout,
 * and the hosts used with simulators are numeric or in /etc/hosts.
 */
static int connect_tcp(const char *host, uint16_t port, struct btpm_io_addr *memo,
		       long long deadline, int *fd, char *detail)
{
	char what[BTPM_TRANSPORT_DETAIL], service[8];
	/* the address that worked last time: no lookup, no formatting unless it fails */
	if (memo && memo->valid) {
		char quiet[BTPM_TRANSPORT_DETAIL];
		if (!connect_one(memo->family, (const struct sockaddr *)memo->sa, memo->len, deadline,
				 fd, quiet, "connect"))
			goto connected;
		memo->valid = 0;
	}
	snprintf(what, sizeof(what), "connect %s:%u", host, (unsigned)port);
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* No AI_ADDRCONFIG: it hides 127.0.0.1 on a machine with only loopback up. */
	hints.ai_flags = AI_NUMERICSERV;
	int g = getaddrinfo(host, service, &hints, &res);
	if (g)
		return fail(detail, BTPM_E_IO, what,
			    g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
	int rc = BTPM_E_IO;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline, fd, detail,
				 what);
		if (rc == 0 && memo && ai->ai_addrlen <= sizeof(memo->sa)) {
			memo->family = ai->ai_family;
			memo->len = (unsigned)ai->ai_addrlen;
			memcpy(memo->sa, ai->ai_addr, ai->ai_addrlen);
			memo->valid = 1;
		}
		if (rc == 0 || rc == BTPM_E_TIMEOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc)
		return rc;
connected:
	/* Commands and responses are single small writes; do not let Nagle hold them. */
	(void)setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return 0;
}

int btpm_io_connect_memo(const char *host, uint16_t port, const char *path,
			 struct btpm_io_addr *memo, long long deadline, int *fd, char *detail)
{
	*fd = -1;
	if (path && *path)
		return connect_unix(path, deadline, fd, detail);
	if (!host || !*host || !port)
		return fail(detail, BTPM_E_CONFIG, "connect", "no host and port or socket path");
	return connect_tcp(host, port, memo, deadline, fd, detail);
}

int btpm_io_connect(const char *host, uint16_t port, const char *path, long long deadline, int *fd,
		    char *detail)
{
	return btpm_io_connect_memo(host, port, path, NULL, deadline, fd, detail);
}
