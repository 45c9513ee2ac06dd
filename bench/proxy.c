/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A counting TCP proxy in front of swtpm, for the benchmark (bench/run-bench).
 *
 *   proxy --target PORT [--listen PORT] [--port-file F] [--parent PID] [--idle-exit S]
 *
 * Listens on 127.0.0.1:P (TPM data channel) and 127.0.0.1:P+1 (swtpm control
 * channel) and forwards them, byte for byte, to 127.0.0.1:N and N+1 (swtpm's
 * --server and --ctrl ports). P = 0 (the default) picks a free even pair.
 * The data channel carries raw TPM framing (Part 1, 18: a 10-byte header
 * tag, size, commandCode), which the proxy parses in both directions to
 * count commands per command code and to time each one from its last byte
 * sent to swtpm to the last byte of its response ("TPM time": swtpm's work
 * plus one loopback round trip). Connections are forwarded as they come:
 * a client that connects per command (baretpm, tpm2-tss's swtpm TCTI) and
 * one that keeps a connection both work.
 *
 * A third port (127.0.0.1, printed as ctl=) takes one line per connection:
 *   stats   counters: "total N", "cc 0xCC COUNT TPM_NS" ..., "end"
 *   flush   stand-in for a resource manager's flush at process exit (what
 *           /dev/tpmrm0 does and a bare swtpm does not): flushes every
 *           transient object and session swtpm holds, over the proxy's own
 *           connection (not counted as client commands), once no client
 *           command is in flight; answers "flushed HANDLES NS"
 *   wrap NS note the overhead of a wrapper process (bench/p11bench rmwrap)
 *   quit    exit
 * Everything listens on and connects to 127.0.0.1 only. The proxy exits when
 * --parent PID is gone or after --idle-exit seconds without a connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 64
#define MAX_CTL 8
#define BUF 65536
#define MAX_CC 256
#define MAX_PENDING 8

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- counters ------------------------------------------------------------------------- */

struct cc_count {
	uint32_t cc;
	unsigned long count;
	long long tpm_ns;
};
static struct cc_count counts[MAX_CC];
static unsigned ncounts;
static unsigned long total_cmds, data_conns, ctrl_conns, ctrl_bytes, rm_flushes, rm_handles;
static long long rm_ns, wrap_ns;
static unsigned long wraps;

static struct cc_count *cc_slot(uint32_t cc)
{
	for (unsigned i = 0; i < ncounts; i++)
		if (counts[i].cc == cc)
			return &counts[i];
	if (ncounts == MAX_CC)
		return &counts[MAX_CC - 1]; /* absurd: lump the rest together */
	counts[ncounts].cc = cc;
	return &counts[ncounts++];
}

/* ---- a TPM framing parser for one direction of a data connection ---------------------- */

struct framer {
	uint8_t hdr[10];
	unsigned have;       /* header bytes collected */
	uint32_t remaining;  /* body bytes of the current frame still to pass */
	int broken;          /* a frame shorter than its header: stop parsing */
};

/*
 * Feed n bytes; calls back for each frame whose header is complete (at its
 * header) and each frame that ends (at its last byte).
 */
struct pair;
static void on_cmd_header(struct pair *p, uint32_t cc);
static void on_cmd_end(struct pair *p);
static void on_rsp_end(struct pair *p);

/* The stream offset just after the byte being parsed (for command ends). */
static long long feed_end_off;

static void frame_feed(struct pair *p, struct framer *f, const uint8_t *b, size_t n, int cmd,
		       long long base)
{
	const uint8_t *start = b;
	while (n && !f->broken) {
		if (f->have < 10) {
			size_t take = 10 - f->have < n ? 10 - f->have : n;
			memcpy(f->hdr + f->have, b, take);
			f->have += (unsigned)take;
			b += take;
			n -= take;
			if (f->have < 10)
				return;
			uint32_t size = be32(f->hdr + 2);
			if (size < 10) {
				f->broken = 1;
				return;
			}
			f->remaining = size - 10;
			if (cmd)
				on_cmd_header(p, be32(f->hdr + 6));
		}
		size_t take = f->remaining < n ? f->remaining : n;
		f->remaining -= (uint32_t)take;
		b += take;
		n -= take;
		if (!f->remaining) {
			f->have = 0;
			feed_end_off = base + (b - start);
			if (cmd)
				on_cmd_end(p);
			else
				on_rsp_end(p);
		}
	}
}

/* ---- connection pairs ----------------------------------------------------------------- */

struct dir {
	uint8_t buf[BUF];
	size_t len, off; /* pending bytes buf[off..len) */
	int eof;         /* the source sent EOF */
	int shut;        /* EOF passed on to the sink */
};

struct pair {
	int used, ctrl;
	int cfd, sfd;
	struct dir up, down; /* up: client to swtpm, down: swtpm to client */
	struct framer fc, fr;
	/* commands whose last byte reached the proxy, in order */
	uint32_t pend_cc[MAX_PENDING];
	long long pend_sent[MAX_PENDING]; /* 0 until the last byte was written to swtpm */
	long long pend_end_off[MAX_PENDING]; /* stream offset of the command's end */
	unsigned npend;
	long long up_in, up_out; /* bytes read from the client / written to swtpm */
	uint32_t cur_cc;
};
static struct pair pairs[MAX_PAIRS];

static void on_cmd_header(struct pair *p, uint32_t cc)
{
	p->cur_cc = cc;
	struct cc_count *c = cc_slot(cc);
	c->count++;
	total_cmds++;
}

static void on_cmd_end(struct pair *p)
{
	if (p->npend == MAX_PENDING)
		return;
	p->pend_cc[p->npend] = p->cur_cc;
	p->pend_sent[p->npend] = 0;
	p->pend_end_off[p->npend] = feed_end_off;
	p->npend++;
}

static void on_rsp_end(struct pair *p)
{
	if (!p->npend)
		return;
	if (p->pend_sent[0]) {
		struct cc_count *c = cc_slot(p->pend_cc[0]);
		c->tpm_ns += now_ns() - p->pend_sent[0];
	}
	memmove(p->pend_cc, p->pend_cc + 1, (p->npend - 1) * sizeof(p->pend_cc[0]));
	memmove(p->pend_sent, p->pend_sent + 1, (p->npend - 1) * sizeof(p->pend_sent[0]));
	memmove(p->pend_end_off, p->pend_end_off + 1, (p->npend - 1) * sizeof(p->pend_end_off[0]));
	p->npend--;
}

static int data_in_flight(void)
{
	for (unsigned i = 0; i < MAX_PAIRS; i++)
		if (pairs[i].used && !pairs[i].ctrl)
			return 1;
	return 0;
}

static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int listen_on(uint16_t port, uint16_t *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = loopback(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	if (bound)
		*bound = ntohs(a.sin_port);
	nonblock(fd);
	return fd;
}

static int connect_to(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = loopback(port);
	/* loopback connect completes at once (swtpm's backlog takes it) */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	nonblock(fd);
	return fd;
}

static void pair_close(struct pair *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	p->used = 0;
}

static void pair_open(int cfd, uint16_t target, int ctrl)
{
	struct pair *p = NULL;
	for (unsigned i = 0; i < MAX_PAIRS && !p; i++)
		if (!pairs[i].used)
			p = &pairs[i];
	int sfd = p ? connect_to(target) : -1;
	if (sfd < 0) {
		close(cfd);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->ctrl = ctrl;
	p->cfd = cfd;
	p->sfd = sfd;
	nonblock(cfd);
	if (ctrl)
		ctrl_conns++;
	else
		data_conns++;
}

/* Read what the source has into d; returns -1 on error. */
static int pump_in(struct pair *p, int from, struct dir *d, int up)
{
	if (d->eof || d->len == BUF)
		return 0;
	if (d->off == d->len)
		d->off = d->len = 0;
	ssize_t r = read(from, d->buf + d->len, BUF - d->len);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0) {
		d->eof = 1;
		return 0;
	}
	if (p->ctrl) {
		if (up)
			ctrl_bytes += (unsigned long)r;
	} else if (up) {
		frame_feed(p, &p->fc, d->buf + d->len, (size_t)r, 1, p->up_in);
		p->up_in += r;
	} else {
		frame_feed(p, &p->fr, d->buf + d->len, (size_t)r, 0, 0);
	}
	d->len += (size_t)r;
	return 0;
}

static int pump_out(struct pair *p, int to, struct dir *d, int up)
{
	if (d->off < d->len) {
		/*
		 * The clock is read before write(): the wakeup of swtpm may preempt
		 * us on this CPU, and swtpm may be done before write() returns.
		 */
		long long t = now_ns();
		ssize_t w = write(to, d->buf + d->off, d->len - d->off);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		d->off += (size_t)w;
		if (up && !p->ctrl) {
			p->up_out += w;
			for (unsigned i = 0; i < p->npend; i++)
				if (!p->pend_sent[i] && p->pend_end_off[i] <= p->up_out)
					p->pend_sent[i] = t;
		}
	}
	if (d->off == d->len && d->eof && !d->shut) {
		shutdown(to, SHUT_WR);
		d->shut = 1;
	}
	return 0;
}

/* ---- raw commands for the resource-manager stand-in ------------------------------------ */

static int xfer(int fd, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap, size_t *len,
		long long deadline)
{
	size_t done = 0;
	while (done < n) {
		struct pollfd pf = {fd, POLLOUT, 0};
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			return -1;
		if (now_ns() > deadline)
			return -1;
		ssize_t w = write(fd, cmd + done, n - done);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (w > 0)
			done += (size_t)w;
	}
	*len = 0;
	size_t need = 10;
	while (*len < need) {
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			return -1;
		if (now_ns() > deadline)
			return -1;
		ssize_t r = read(fd, rsp + *len, cap - *len);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			continue;
		}
		*len += (size_t)r;
		if (*len >= 10) {
			need = be32(rsp + 2);
			if (need < 10 || need > cap)
				return -1;
		}
	}
	return 0;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* One TPM command over a fresh connection to swtpm. */
static int tpm_cmd(uint16_t target, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
		   size_t *len)
{
	int fd = connect_to(target);
	if (fd < 0)
		return -1;
	int rc = xfer(fd, cmd, n, rsp, cap, len, now_ns() + 10000000000ll);
	close(fd);
	return rc;
}

/* GetCapability(TPM_CAP_HANDLES, first, 64); handles into out. */
static unsigned handles_in(uint16_t target, uint32_t first, uint32_t *out, unsigned max)
{
	uint8_t cmd[22] = {0x80, 0x01}, rsp[1024];
	size_t len = 0;
	put32(cmd + 2, sizeof(cmd));
	put32(cmd + 6, 0x0000017A);
	put32(cmd + 10, 1); /* TPM_CAP_HANDLES */
	put32(cmd + 14, first);
	put32(cmd + 18, 64);
	if (tpm_cmd(target, cmd, sizeof(cmd), rsp, sizeof(rsp), &len) || len < 19 ||
	    be32(rsp + 6) != 0)
		return 0;
	/* moreData(1) capability(4) count(4) handles */
	uint32_t count = be32(rsp + 15);
	unsigned n = 0;
	for (uint32_t i = 0; i < count && n < max && 19 + 4 * (i + 1) <= len; i++) {
		uint32_t h = be32(rsp + 19 + 4 * i);
		if (h >> 24 == first >> 24)
			out[n++] = h;
	}
	return n;
}

static unsigned rm_flush(uint16_t target)
{
	static const uint32_t ranges[] = {0x80000000u, 0x02000000u, 0x03000000u};
	unsigned flushed = 0;
	for (unsigned r = 0; r < 3; r++) {
		uint32_t h[64];
		unsigned n = handles_in(target, ranges[r], h, 64);
		for (unsigned i = 0; i < n; i++) {
			uint8_t cmd[14] = {0x80, 0x01}, rsp[64];
			size_t len = 0;
			put32(cmd + 2, sizeof(cmd));
			put32(cmd + 6, 0x00000165); /* TPM2_FlushContext */
			put32(cmd + 10, h[i]);
			if (!tpm_cmd(target, cmd, sizeof(cmd), rsp, sizeof(rsp), &len) && len >= 10 &&
			    !be32(rsp + 6))
				flushed++;
		}
	}
	return flushed;
}

/* ---- the control port --------------------------------------------------------------- */

struct ctl {
	int used, fd;
	char line[128];
	size_t len;
	int want_flush; /* waiting for no data connection in flight */
};
static struct ctl ctls[MAX_CTL];

static void ctl_reply(struct ctl *c, const char *s)
{
	size_t n = strlen(s), done = 0;
	long long deadline = now_ns() + 2000000000ll;
	while (done < n && now_ns() < deadline) {
		ssize_t w = write(c->fd, s + done, n - done);
		if (w > 0)
			done += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
		else {
			struct pollfd pf = {c->fd, POLLOUT, 0};
			poll(&pf, 1, 50);
		}
	}
	close(c->fd);
	c->used = 0;
}

static char stats_text[MAX_CC * 64 + 512];

static void ctl_stats(struct ctl *c)
{
	size_t o = 0;
	o += (size_t)snprintf(stats_text + o, sizeof(stats_text) - o, "total %lu\n", total_cmds);
	for (unsigned i = 0; i < ncounts; i++)
		o += (size_t)snprintf(stats_text + o, sizeof(stats_text) - o, "cc 0x%08x %lu %lld\n",
				      (unsigned)counts[i].cc, counts[i].count, counts[i].tpm_ns);
	o += (size_t)snprintf(stats_text + o, sizeof(stats_text) - o,
			      "conns %lu %lu\nctrlbytes %lu\nrm %lu %lu %lld\nwrap %lu %lld\nend\n",
			      data_conns, ctrl_conns, ctrl_bytes, rm_flushes, rm_handles, rm_ns,
			      wraps, wrap_ns);
	ctl_reply(c, stats_text);
}

static int quit;

static void ctl_line(struct ctl *c, uint16_t target)
{
	char *nl = strchr(c->line, '\n');
	if (nl)
		*nl = 0;
	if (!strcmp(c->line, "stats")) {
		ctl_stats(c);
	} else if (!strcmp(c->line, "flush")) {
		c->want_flush = 1; /* done in the main loop once nothing is in flight */
	} else if (!strncmp(c->line, "wrap ", 5)) {
		wraps++;
		wrap_ns += atoll(c->line + 5);
		ctl_reply(c, "ok\n");
	} else if (!strcmp(c->line, "quit")) {
		quit = 1;
		ctl_reply(c, "bye\n");
	} else {
		ctl_reply(c, "error unknown request\n");
	}
	(void)target;
}

static void ctl_do_flushes(uint16_t target)
{
	for (unsigned i = 0; i < MAX_CTL; i++) {
		struct ctl *c = &ctls[i];
		if (!c->used || !c->want_flush || data_in_flight())
			continue;
		long long t0 = now_ns();
		unsigned n = rm_flush(target);
		long long dt = now_ns() - t0;
		rm_flushes++;
		rm_handles += n;
		rm_ns += dt;
		char msg[64];
		snprintf(msg, sizeof(msg), "flushed %u %lld\n", n, dt);
		c->want_flush = 0;
		ctl_reply(c, msg);
	}
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: proxy --target PORT [--listen PORT] [--port-file FILE] "
			"[--parent PID] [--idle-exit SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long target = 0, listen_port = 0, parent = 0, idle_exit = 3600;
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--target"))
			target = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--listen"))
			listen_port = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--port-file"))
			port_file = argv[++i];
		else if (!strcmp(a, "--parent"))
			parent = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--idle-exit"))
			idle_exit = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (target <= 0 || target > 65534 || listen_port < 0 || listen_port > 65534)
		usage();
	signal(SIGPIPE, SIG_IGN);

	int ldata = -1, lctrl = -1, lctl = -1;
	uint16_t p = 0, ctlp = 0;
	srand((unsigned)(now_ns() ^ getpid()));
	for (int tries = 0; tries < 200 && lctrl < 0; tries++) {
		uint16_t want = (uint16_t)listen_port;
		if (!want)
			want = (uint16_t)(20000 + 2 * (rand() % 20000));
		ldata = listen_on(want, &p);
		if (ldata < 0) {
			if (listen_port)
				break;
			continue;
		}
		lctrl = listen_on((uint16_t)(p + 1), NULL);
		if (lctrl < 0) {
			close(ldata);
			ldata = -1;
			if (listen_port)
				break;
		}
	}
	lctl = listen_on(0, &ctlp);
	if (ldata < 0 || lctrl < 0 || lctl < 0) {
		fprintf(stderr, "proxy: cannot listen on 127.0.0.1\n");
		return 1;
	}
	char line[128];
	snprintf(line, sizeof(line), "port=%u ctl=%u\n", (unsigned)p, (unsigned)ctlp);
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fputs(line, f) < 0 || fclose(f) || rename(tmp, port_file)) {
			fprintf(stderr, "proxy: cannot write %s\n", port_file);
			return 1;
		}
	} else {
		fputs(line, stdout);
		fflush(stdout);
	}

	long long last_activity = now_ns();
	while (!quit) {
		struct pollfd pf[3 + 2 * MAX_PAIRS + MAX_CTL];
		struct pair *who[3 + 2 * MAX_PAIRS + MAX_CTL];
		struct ctl *whoc[3 + 2 * MAX_PAIRS + MAX_CTL];
		nfds_t n = 0;
		pf[n++] = (struct pollfd){ldata, POLLIN, 0};
		pf[n++] = (struct pollfd){lctrl, POLLIN, 0};
		pf[n++] = (struct pollfd){lctl, POLLIN, 0};
		for (unsigned i = 0; i < MAX_PAIRS; i++) {
			struct pair *q = &pairs[i];
			if (!q->used)
				continue;
			short ce = 0, se = 0;
			if (!q->up.eof && q->up.len < BUF)
				ce |= POLLIN;
			if (q->down.off < q->down.len)
				ce |= POLLOUT;
			if (!q->down.eof && q->down.len < BUF)
				se |= POLLIN;
			if (q->up.off < q->up.len)
				se |= POLLOUT;
			who[n] = q;
			whoc[n] = NULL;
			pf[n++] = (struct pollfd){q->cfd, ce, 0};
			who[n] = q;
			whoc[n] = NULL;
			pf[n++] = (struct pollfd){q->sfd, se, 0};
		}
		for (unsigned i = 0; i < MAX_CTL; i++)
			if (ctls[i].used && !ctls[i].want_flush) {
				who[n] = NULL;
				whoc[n] = &ctls[i];
				pf[n++] = (struct pollfd){ctls[i].fd, POLLIN, 0};
			}
		int r = poll(pf, n, 500);
		if (r < 0 && errno != EINTR)
			return 1;
		long long t = now_ns();
		if (parent > 0 && kill((pid_t)parent, 0) && errno == ESRCH)
			break;
		if (r > 0)
			last_activity = t;
		else if (idle_exit > 0 && t - last_activity > idle_exit * 1000000000ll)
			break;
		if (pf[0].revents & POLLIN) {
			int c = accept(ldata, NULL, NULL);
			if (c >= 0)
				pair_open(c, (uint16_t)target, 0);
		}
		if (pf[1].revents & POLLIN) {
			int c = accept(lctrl, NULL, NULL);
			if (c >= 0)
				pair_open(c, (uint16_t)(target + 1), 1);
		}
		if (pf[2].revents & POLLIN) {
			int c = accept(lctl, NULL, NULL);
			struct ctl *slot = NULL;
			for (unsigned i = 0; c >= 0 && i < MAX_CTL && !slot; i++)
				if (!ctls[i].used)
					slot = &ctls[i];
			if (slot) {
				memset(slot, 0, sizeof(*slot));
				slot->used = 1;
				slot->fd = c;
				nonblock(c);
			} else if (c >= 0) {
				close(c);
			}
		}
		for (nfds_t i = 3; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (whoc[i]) {
				struct ctl *c = whoc[i];
				if (!c->used)
					continue;
				ssize_t got = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
				if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
					close(c->fd);
					c->used = 0;
					continue;
				}
				if (got > 0)
					c->len += (size_t)got;
				c->line[c->len] = 0;
				if (strchr(c->line, '\n') || c->len == sizeof(c->line) - 1)
					ctl_line(c, (uint16_t)target);
				continue;
			}
			struct pair *q = who[i];
			if (!q->used)
				continue;
			int bad = 0;
			if (pf[i].fd == q->cfd) {
				if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
					bad |= pump_in(q, q->cfd, &q->up, 1);
				bad |= pump_out(q, q->sfd, &q->up, 1);
				if (pf[i].revents & POLLOUT)
					bad |= pump_out(q, q->cfd, &q->down, 0);
			} else {
				if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
					bad |= pump_in(q, q->sfd, &q->down, 0);
				bad |= pump_out(q, q->cfd, &q->down, 0);
				if (pf[i].revents & POLLOUT)
					bad |= pump_out(q, q->sfd, &q->up, 1);
			}
			/* done: both directions ended and delivered, or the swtpm side ended */
			if (bad || (q->up.shut && q->down.shut) ||
			    (q->down.eof && q->down.off == q->down.len && q->down.shut))
				pair_close(q);
		}
		ctl_do_flushes((uint16_t)target);
	}
	for (unsigned i = 0; i < MAX_PAIRS; i++)
		if (pairs[i].used)
			pair_close(&pairs[i]);
	return 0;
}
