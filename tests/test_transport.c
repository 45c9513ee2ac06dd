/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transports against real swtpm instances (TCP, unix socket, chardev on a
 * socketpair, --no-init) and against scripted hostile peers. Every wait is
 * bounded by a transport timeout: a failure here must never be a hang.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baretpm.h"
#include "harness.h"
#include "transport.h"

/* TPM2_GetRandom(bytesRequested = 8) and TPM2_Startup(TPM_SU_CLEAR) (Part 3, 16.1 / 9.3). */
static const uint8_t getrandom_cmd[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 0x08};
static const uint8_t startup_cmd[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0};
/* The expected answer's fixed part: ST_NO_SESSIONS, size 20, TPM_RC_SUCCESS, size 8. */
static const uint8_t getrandom_ok[] = {0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x08};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct btpm_transport *open_tcti(const char *s)
{
	struct btpm_tcti cfg;
	struct btpm_transport *tr = NULL;
	char err[256];
	int rc = btpm_tcti_parse(s, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "parse '%s': %s", s, err);
	rc = btpm_transport_open(&cfg, &tr, err, sizeof(err));
	ck_assert_msg(rc == 0, "open '%s': %d %s", s, rc, err);
	ck_assert_ptr_nonnull(tr);
	return tr;
}

/* Send cmd; return the transport's code, and the TPM_RC in *tpm_rc on success. */
static int send_cmd(struct btpm_transport *tr, const uint8_t *cmd, size_t n, uint32_t *tpm_rc)
{
	uint8_t rsp[256];
	size_t len = 0;
	int rc = tr->transceive(tr, cmd, n, rsp, sizeof(rsp), &len);
	if (rc == 0) {
		ck_assert_uint_ge(len, 10);
		ck_assert_uint_eq(be32(rsp + 2), len);
		*tpm_rc = be32(rsp + 6);
	}
	return rc;
}

static void expect_random(struct btpm_transport *tr)
{
	uint8_t rsp[64];
	size_t len = 0;
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == 0, "GetRandom: %d (%s)", rc, tr->detail);
	ck_assert_uint_eq(len, 20);
	ck_assert_mem_eq(rsp, getrandom_ok, sizeof(getrandom_ok));
}

static void expect_tpm_rc(struct btpm_transport *tr, const uint8_t *cmd, uint32_t want)
{
	uint32_t got = 0;
	int rc = send_cmd(tr, cmd, 12, &got);
	ck_assert_msg(rc == 0, "transport: %d (%s)", rc, tr->detail);
	ck_assert_msg(got == want, "TPM_RC 0x%x, expected 0x%x", got, want);
}

/* ---- one swtpm per TCase, started in the runner process -------------------- */

static struct btpm_test_sim sim_tcp, sim_unix, sim_noinit, sim_wedge, sim_kill;
static int up_tcp, up_unix, up_noinit, up_wedge, up_kill;

static void start_tcp(void)
{
	up_tcp = btpm_test_sim_start(&sim_tcp, NULL) == 0;
}
static void stop_tcp(void)
{
	btpm_test_sim_stop(&sim_tcp);
}
static void start_unix(void)
{
	up_unix = btpm_test_sim_start(&sim_unix, "--unix") == 0;
}
static void stop_unix(void)
{
	btpm_test_sim_stop(&sim_unix);
}
static void start_noinit(void)
{
	up_noinit = btpm_test_sim_start(&sim_noinit, "--no-init") == 0;
}
static void stop_noinit(void)
{
	btpm_test_sim_stop(&sim_noinit);
}
static void start_wedge(void)
{
	up_wedge = btpm_test_sim_start(&sim_wedge, NULL) == 0;
}
static void stop_wedge(void)
{
	if (up_wedge && sim_wedge.pid > 0)
		kill(sim_wedge.pid, SIGCONT); /* in case the test failed while it was stopped */
	btpm_test_sim_stop(&sim_wedge);
}
static void start_kill(void)
{
	up_kill = btpm_test_sim_start(&sim_kill, NULL) == 0;
}
static void stop_kill(void)
{
	btpm_test_sim_stop(&sim_kill);
}

START_TEST(test_tcp_getrandom)
{
	ck_assert_msg(up_tcp, "swtpm did not start");
	struct btpm_transport *a = open_tcti(sim_tcp.tcti), *b = open_tcti(sim_tcp.tcti);
	ck_assert_ptr_nonnull(a->power_on);
	/* Two clients interleave: each command has the simulator to itself. */
	for (int i = 0; i < 5; i++) {
		expect_random(a);
		expect_random(b);
	}
	a->close(a);
	b->close(b);
}
END_TEST

/* swtpm serves one connection at a time; per-command connections let processes share it. */
START_TEST(test_tcp_processes_share)
{
	ck_assert_msg(up_tcp, "swtpm did not start");
	char tcti[400];
	snprintf(tcti, sizeof(tcti), "%s,timeout=20000", sim_tcp.tcti);
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			struct btpm_tcti cfg;
			struct btpm_transport *tr;
			char err[200];
			int bad = btpm_tcti_parse(tcti, &cfg, err, sizeof(err)) ||
				  btpm_transport_open(&cfg, &tr, err, sizeof(err));
			for (int i = 0; !bad && i < 20; i++) {
				uint8_t rsp[64];
				size_t len;
				bad = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp,
						     sizeof(rsp), &len) ||
				      len != 20 || memcmp(rsp, getrandom_ok, sizeof(getrandom_ok));
			}
			_exit(bad);
		}
	}
	for (int k = 0; k < 4; k++) {
		int st;
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client %d failed", k);
	}
}
END_TEST

/*
 * hold keeps one connection across commands: swtpm serves one connection at
 * a time, so meanwhile another client waits (here: into its short timeout);
 * released, the other client is served again.
 */
START_TEST(test_tcp_hold)
{
	ck_assert_msg(up_tcp, "swtpm did not start");
	char tcti[400];
	snprintf(tcti, sizeof(tcti), "%s,timeout=300", sim_tcp.tcti);
	struct btpm_transport *a = open_tcti(sim_tcp.tcti), *b = open_tcti(tcti);
	uint32_t trc;
	ck_assert_ptr_nonnull(a->hold);
	a->hold(a, 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(send_cmd(a, getrandom_cmd, sizeof(getrandom_cmd), &trc), 0);
		ck_assert_uint_eq(trc, 0);
	}
	int waited = send_cmd(b, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	a->hold(a, 0);
	ck_assert_msg(waited == BTPM_E_TIMEOUT, "while held, another client got rc %d", waited);
	ck_assert_int_eq(send_cmd(b, getrandom_cmd, sizeof(getrandom_cmd), &trc), 0);
	ck_assert_int_eq(send_cmd(a, getrandom_cmd, sizeof(getrandom_cmd), &trc), 0);
	a->close(a);
	b->close(b);
}
END_TEST

START_TEST(test_tcp_mssim_framing)
{
	ck_assert_msg(up_tcp, "swtpm did not start");
	char tcti[200];
	/* swtpm 0.7.1 also understands TPM_SEND_COMMAND framing on its data port. */
	snprintf(tcti, sizeof(tcti), "mssim:host=127.0.0.1,port=%d", sim_tcp.port);
	struct btpm_transport *tr = open_tcti(tcti);
	for (int i = 0; i < 3; i++)
		expect_random(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_tcp_small_buffer)
{
	ck_assert_msg(up_tcp, "swtpm did not start");
	struct btpm_transport *tr = open_tcti(sim_tcp.tcti);
	uint8_t rsp[19];
	size_t len = 99;
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_int_eq(rc, BTPM_E_TOOBIG);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(strstr(tr->detail, "20 bytes"));
	/* The next command starts on a fresh connection, unharmed. */
	expect_random(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_unix_getrandom)
{
	ck_assert_msg(up_unix, "swtpm did not start");
	ck_assert_ptr_nonnull(strstr(sim_unix.tcti, "swtpm:path="));
	struct btpm_transport *tr = open_tcti(sim_unix.tcti);
	for (int i = 0; i < 3; i++)
		expect_random(tr);
	tr->close(tr);
}
END_TEST

/* CMD_INIT on a running TPM re-initializes it: it then wants TPM2_Startup. */
static void power_cycle(struct btpm_transport *tr)
{
	int rc = tr->power_on(tr);
	ck_assert_msg(rc == 0, "power_on: %d (%s)", rc, tr->detail);
	expect_tpm_rc(tr, getrandom_cmd, BTPM_RC_INITIALIZE);
	expect_tpm_rc(tr, startup_cmd, BTPM_RC_SUCCESS);
	expect_random(tr);
}

START_TEST(test_unix_power_on_default_ctrl)
{
	ck_assert_msg(up_unix, "swtpm did not start");
	struct btpm_transport *tr = open_tcti(sim_unix.tcti); /* no ctrl=: PATH.ctrl */
	power_cycle(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_unix_power_on_ctrl)
{
	ck_assert_msg(up_unix, "swtpm did not start");
	char tcti[700];
	snprintf(tcti, sizeof(tcti), "%s,ctrl=%s/tpm.sock.ctrl", sim_unix.tcti, sim_unix.dir);
	struct btpm_transport *tr = open_tcti(tcti);
	power_cycle(tr);
	tr->close(tr);
	/* A wrong control socket is an error naming it. */
	snprintf(tcti, sizeof(tcti), "%s,ctrl=%s/nope.sock", sim_unix.tcti, sim_unix.dir);
	tr = open_tcti(tcti);
	ck_assert_int_eq(tr->power_on(tr), BTPM_E_IO);
	ck_assert_ptr_nonnull(strstr(tr->detail, "nope.sock"));
	tr->close(tr);
}
END_TEST

START_TEST(test_unix_missing)
{
	struct btpm_transport *tr = open_tcti("swtpm:path=/nonexistent-btpm/tpm.sock");
	uint32_t trc;
	long long t0 = btpm_now_ms();
	ck_assert_int_eq(send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc), BTPM_E_IO);
	ck_assert_int_lt(btpm_now_ms() - t0, 1000);
	ck_assert_str_eq(tr->detail,
			 "connect /nonexistent-btpm/tpm.sock: No such file or directory");
	/* No ctrl= and no PATH.ctrl beside it: say how to fix it. */
	ck_assert_int_eq(tr->power_on(tr), BTPM_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(tr->detail, "ctrl="));
	tr->close(tr);
}
END_TEST

START_TEST(test_noinit)
{
	ck_assert_msg(up_noinit, "swtpm did not start");
	struct btpm_transport *tr = open_tcti(sim_noinit.tcti);
	/* swtpm 0.7.1 answers every command with TPM_RC_FAILURE until CMD_INIT. */
	expect_tpm_rc(tr, getrandom_cmd, BTPM_RC_FAILURE);
	power_cycle(tr);
	expect_random(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_wedged)
{
	ck_assert_msg(up_wedge && sim_wedge.pid > 0, "swtpm did not start");
	char tcti[400];
	snprintf(tcti, sizeof(tcti), "%s,timeout=500", sim_wedge.tcti);
	struct btpm_transport *tr = open_tcti(tcti);
	expect_random(tr);
	ck_assert_int_eq(kill(sim_wedge.pid, SIGSTOP), 0);
	uint32_t trc;
	long long t0 = btpm_now_ms();
	int rc = send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	long long took = btpm_now_ms() - t0;
	ck_assert_msg(rc == BTPM_E_TIMEOUT, "rc %d (%s)", rc, tr->detail);
	ck_assert_msg(took >= 450 && took < 1200, "timed out after %lld ms", took);
	ck_assert_msg(strstr(tr->detail, "timed out after 500 ms"), "detail: %s", tr->detail);
	ck_assert_int_eq(kill(sim_wedge.pid, SIGCONT), 0);
	/* Awake again, it first answers the abandoned connection, then ours. */
	tr->timeout_ms = 10000;
	expect_random(tr);
	expect_random(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_killed)
{
	ck_assert_msg(up_kill && sim_kill.pid > 0, "swtpm did not start");
	char tcti[400];
	snprintf(tcti, sizeof(tcti), "%s,timeout=20000", sim_kill.tcti);
	struct btpm_transport *tr = open_tcti(tcti);
	expect_random(tr);
	/* Killed during a command: stop it so the command is surely pending, then kill. */
	ck_assert_int_eq(kill(sim_kill.pid, SIGSTOP), 0);
	pid_t killer = fork();
	ck_assert_int_ge(killer, 0);
	if (killer == 0) {
		usleep(300000);
		kill(sim_kill.pid, SIGKILL);
		_exit(0);
	}
	uint32_t trc;
	long long t0 = btpm_now_ms();
	int rc = send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	long long took = btpm_now_ms() - t0;
	waitpid(killer, NULL, 0);
	ck_assert_msg(rc == BTPM_E_CLOSED || rc == BTPM_E_IO, "rc %d (%s)", rc, tr->detail);
	ck_assert_msg(took < 3000, "took %lld ms", took);
	/* Dead before the command: refused at once. */
	t0 = btpm_now_ms();
	rc = send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	ck_assert_msg(rc == BTPM_E_IO, "rc %d (%s)", rc, tr->detail);
	ck_assert_int_lt(btpm_now_ms() - t0, 1000);
	ck_assert_msg(strstr(tr->detail, "Connection refused"), "detail: %s", tr->detail);
	tr->close(tr);
}
END_TEST

/* ---- swtpm chardev on a socketpair, standing in for /dev/tpmrm0 ---------- */

static int chardev_fd = -1;
static pid_t chardev_pid = -1;
static char chardev_dir[64];

static void start_chardev(void)
{
	int sv[2];
	snprintf(chardev_dir, sizeof(chardev_dir), "/tmp/btpm-chardev-XXXXXX");
	if (!mkdtemp(chardev_dir) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		char fdarg[16], state[128], log[128];
		/* The child's end must survive exec; ours must not leak into swtpm. */
		fcntl(sv[1], F_SETFD, 0);
		/*
		 * Its chatter goes to a file: a test runner capturing our output
		 * waits for every holder of the pipe, and swtpm must not be one.
		 */
		snprintf(log, sizeof(log), "%s/swtpm.err", chardev_dir);
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
			close(lfd);
		}
		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		snprintf(state, sizeof(state), "dir=%s", chardev_dir);
		snprintf(log, sizeof(log), "file=%s/swtpm.log", chardev_dir);
		execlp("swtpm", "swtpm", "chardev", "--tpm2", "--fd", fdarg, "--tpmstate", state,
		       "--log", log, "--flags", "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	chardev_fd = sv[0];
	chardev_pid = pid;
}

static void stop_chardev(void)
{
	if (chardev_fd >= 0)
		close(chardev_fd); /* swtpm chardev exits when its peer goes away */
	if (chardev_pid > 0) {
		int st;
		for (int i = 0; i < 100 && waitpid(chardev_pid, &st, WNOHANG) == 0; i++)
			usleep(20000);
		if (kill(chardev_pid, SIGKILL) == 0)
			waitpid(chardev_pid, &st, 0);
	}
	if (chardev_dir[0])
		btpm_test_rmtree(chardev_dir, 10);
	chardev_fd = -1;
	chardev_pid = -1;
}

static struct btpm_transport *chardev_transport(int timeout_ms)
{
	struct btpm_transport *tr = NULL;
	ck_assert_msg(chardev_fd >= 0, "swtpm chardev did not start");
	ck_assert_int_eq(btpm_device_from_fd(dup(chardev_fd), timeout_ms, &tr), 0);
	ck_assert_ptr_null(tr->power_on);
	return tr;
}

START_TEST(test_chardev_getrandom)
{
	struct btpm_transport *tr = chardev_transport(10000);
	for (int i = 0; i < 5; i++)
		expect_random(tr);
	tr->close(tr);
}
END_TEST

START_TEST(test_chardev_small_buffer)
{
	struct btpm_transport *tr = chardev_transport(10000);
	uint8_t rsp[12];
	size_t len;
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_int_eq(rc, BTPM_E_TOOBIG);
	ck_assert_msg(strstr(tr->detail, "read fd "), "detail: %s", tr->detail);
	/* Nothing of the refused response may pass for the next one. */
	expect_random(tr);
	expect_random(tr);
	tr->close(tr);
}
END_TEST

/* ---- scripted hostile peers ---------------------------------------------- */

/* One step of a peer's script: read `expect` bytes (compared if non-NULL), then reply. */
struct step {
	size_t expect_len;
	const uint8_t *expect;
	size_t reply_len;
	const uint8_t *reply;
	int dribble;  /* reply one byte at a time */
	int delay_ms; /* before replying */
};

enum { END_CLOSE, END_HANG };

static int peer_read(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Run a script on fd; exit status 0 when everything read matched. */
/* Play steps on fd; 0 if a command was not the one expected. */
static int peer_steps(int fd, const struct step *steps, size_t nsteps)
{
	int ok = 1;
	for (size_t i = 0; i < nsteps; i++) {
		const struct step *s = &steps[i];
		uint8_t buf[4096];
		if (s->expect_len &&
		    (s->expect_len > sizeof(buf) || peer_read(fd, buf, s->expect_len) ||
		     (s->expect && memcmp(buf, s->expect, s->expect_len))))
			ok = 0;
		if (s->delay_ms)
			usleep((useconds_t)s->delay_ms * 1000);
		for (size_t off = 0; off < s->reply_len;) {
			size_t n = s->dribble ? 1 : s->reply_len - off;
			ssize_t w = send(fd, s->reply + off, n, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			off += (size_t)w;
			if (s->dribble)
				usleep(2000);
		}
	}
	return ok;
}

static void peer_run(int fd, const struct step *steps, size_t nsteps, int end)
{
	alarm(15); /* never outlive the test */
	int ok = peer_steps(fd, steps, nsteps);
	if (end == END_HANG)
		pause();
	close(fd);
	_exit(ok ? 0 : 1);
}

static pid_t peer_pid = -1;

/* A peer on one end of a socketpair; returns our end. */
static int peer_socketpair(const struct step *steps, size_t nsteps, int end)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	peer_pid = fork();
	ck_assert_int_ge(peer_pid, 0);
	if (peer_pid == 0) {
		close(sv[0]);
		peer_run(sv[1], steps, nsteps, end);
	}
	close(sv[1]);
	return sv[0];
}

static int listen_on(uint16_t port)
{
	struct sockaddr_in a;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	return ntohs(a.sin_port);
}

/*
 * A TCP peer on 127.0.0.1 serving one connection per script; returns its port.
 * With pair set, the port + 1 is held too (and the script runs there), as the
 * mssim platform channel needs.
 */
static uint16_t peer_tcp(const struct step *steps, size_t nsteps, int end, int on_plus_one)
{
	int lfd = -1, lfd2 = -1;
	uint16_t port = 0;
	for (int tries = 0; tries < 50 && lfd2 < 0; tries++) {
		lfd = listen_on(0);
		ck_assert_int_ge(lfd, 0);
		port = bound_port(lfd);
		if (!on_plus_one || port == 65535)
			break;
		lfd2 = listen_on((uint16_t)(port + 1));
		if (lfd2 < 0)
			close(lfd);
	}
	ck_assert(!on_plus_one || lfd2 >= 0);
	peer_pid = fork();
	ck_assert_int_ge(peer_pid, 0);
	if (peer_pid == 0) {
		int srv = on_plus_one ? lfd2 : lfd;
		alarm(15);
		int c = accept(srv, NULL, NULL);
		if (c < 0)
			_exit(2);
		peer_run(c, steps, nsteps, end);
	}
	close(lfd);
	if (lfd2 >= 0)
		close(lfd2);
	return port;
}

/*
 * The peer's verdict on what it was sent: its exit status once its script
 * ends (given a second), or 128 + SIGKILL for a peer told to hang.
 */
static int peer_finish(int end)
{
	int st = -1;
	if (peer_pid <= 0)
		return -1;
	for (int i = 0; end == END_CLOSE && i < 100 && waitpid(peer_pid, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (kill(peer_pid, SIGKILL) == 0)
		waitpid(peer_pid, &st, 0);
	peer_pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const uint8_t rsp_short_size[] = {0x80, 0x01, 0, 0, 0, 0x05, 0, 0, 0, 0};
static const uint8_t rsp_huge_size[] = {0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
static const uint8_t rsp_4k[] = {0x80, 0x01, 0, 0, 0x10, 0x00, 0, 0, 0, 0};
static const uint8_t rsp_good[] = {0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0,
				   0,    0x08, 1, 2, 3, 4,    5, 6, 7, 8};
/* A response with four bytes beyond what its header says. */
static const uint8_t rsp_long[] = {0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 0, 0, 9, 9, 9, 9};

struct evil {
	const char *name;
	struct step step;
	int end;
	int want;
	const char *detail;
};

static const struct evil evils[] = {
	{"size below header",
	 {12, getrandom_cmd, 10, rsp_short_size, 0, 0},
	 END_HANG,
	 BTPM_E_MALFORMED,
	 "size 5"},
	{"size 4 GiB",
	 {12, getrandom_cmd, 10, rsp_huge_size, 0, 0},
	 END_HANG,
	 BTPM_E_TOOBIG,
	 "4294967295 bytes"},
	{"size above cap",
	 {12, getrandom_cmd, 10, rsp_4k, 0, 0},
	 END_HANG,
	 BTPM_E_TOOBIG,
	 "4096 bytes exceeds the 64-byte"},
	{"5 bytes then close",
	 {12, getrandom_cmd, 5, rsp_good, 0, 0},
	 END_CLOSE,
	 BTPM_E_CLOSED,
	 "closed"},
	{"header then close",
	 {12, getrandom_cmd, 14, rsp_good, 0, 0},
	 END_CLOSE,
	 BTPM_E_CLOSED,
	 "closed after"},
	{"nothing then close",
	 {12, getrandom_cmd, 0, NULL, 0, 0},
	 END_CLOSE,
	 BTPM_E_CLOSED,
	 "closed"},
	{"silence",
	 {12, getrandom_cmd, 0, NULL, 0, 0},
	 END_HANG,
	 BTPM_E_TIMEOUT,
	 "timed out after 300 ms"},
	{"half then silence",
	 {12, getrandom_cmd, 15, rsp_good, 0, 0},
	 END_HANG,
	 BTPM_E_TIMEOUT,
	 "timed out after 300 ms"},
	{"dribbled good", {12, getrandom_cmd, 20, rsp_good, 1, 0}, END_HANG, 0, ""},
};

static void check_evil(struct btpm_transport *tr, const struct evil *e)
{
	uint8_t rsp[64];
	size_t len = 77;
	long long t0 = btpm_now_ms();
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	long long took = btpm_now_ms() - t0;
	ck_assert_msg(rc == e->want, "%s: rc %d, want %d (%s)", e->name, rc, e->want, tr->detail);
	ck_assert_msg(strstr(tr->detail, e->detail), "%s: detail '%s' lacks '%s'", e->name,
		      tr->detail, e->detail);
	ck_assert_msg(took < 1500, "%s: took %lld ms", e->name, took);
	if (rc == 0) {
		ck_assert_uint_eq(len, sizeof(rsp_good));
		ck_assert_mem_eq(rsp, rsp_good, sizeof(rsp_good));
	} else {
		ck_assert_uint_eq(len, 0);
	}
}

START_TEST(test_evil_device)
{
	const struct evil *e = &evils[_i];
	int fd = peer_socketpair(&e->step, 1, e->end);
	struct btpm_transport *tr = NULL;
	ck_assert_int_eq(btpm_device_from_fd(fd, 300, &tr), 0);
	check_evil(tr, e);
	tr->close(tr);
	/* A peer that read to its script's end saw exactly our command. */
	int verdict = peer_finish(e->end);
	if (e->end == END_CLOSE)
		ck_assert_int_eq(verdict, 0);
}
END_TEST

START_TEST(test_evil_swtpm)
{
	const struct evil *e = &evils[_i];
	char tcti[100];
	uint16_t port = peer_tcp(&e->step, 1, e->end, 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u,timeout=300", (unsigned)port);
	struct btpm_transport *tr = open_tcti(tcti);
	check_evil(tr, e);
	tr->close(tr);
	int verdict = peer_finish(e->end);
	if (e->end == END_CLOSE)
		ck_assert_int_eq(verdict, 0);
}
END_TEST

START_TEST(test_device_extra_bytes)
{
	/* One read() returning more than the header's size is a broken device. */
	struct step st = {12, getrandom_cmd, sizeof(rsp_long), rsp_long, 0, 0};
	int fd = peer_socketpair(&st, 1, END_HANG);
	struct btpm_transport *tr = NULL;
	ck_assert_int_eq(btpm_device_from_fd(fd, 1000, &tr), 0);
	uint8_t rsp[64];
	size_t len;
	usleep(100000); /* let the whole reply arrive before the first read */
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == BTPM_E_MALFORMED, "rc %d (%s)", rc, tr->detail);
	ck_assert_ptr_nonnull(strstr(tr->detail, "14 bytes arrived"));
	tr->close(tr);
	peer_finish(END_HANG);
}
END_TEST

START_TEST(test_swtpm_extra_bytes)
{
	/* The first read() takes what has arrived: bytes past the header's size are refused. */
	struct step st = {12, getrandom_cmd, sizeof(rsp_long), rsp_long, 0, 0};
	char tcti[100];
	uint16_t port = peer_tcp(&st, 1, END_HANG, 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u,timeout=1000", (unsigned)port);
	struct btpm_transport *tr = open_tcti(tcti);
	uint8_t rsp[64];
	size_t len = 77;
	/* the peer answers with one write(): all 14 bytes come in our first read() */
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == BTPM_E_MALFORMED, "rc %d (%s)", rc, tr->detail);
	ck_assert_ptr_nonnull(strstr(tr->detail, "14 bytes arrived"));
	ck_assert_uint_eq(len, 0);
	tr->close(tr);
	peer_finish(END_HANG);
}
END_TEST

static const uint8_t rsp_good2[] = {0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0,
				    0,    0x08, 8, 7, 6, 5,    4, 3, 2, 1};

/*
 * A held connection that the peer ended after its answer (swtpm restarted,
 * or swtpm's ",disconnect" mode) or on which bytes arrived that nobody asked
 * for: the next command goes out on a new connection, not into it.
 */
static void held_then_new(int junk)
{
	static const struct step one = {12, getrandom_cmd, sizeof(rsp_good), rsp_good, 0, 0};
	static const struct step two = {12, getrandom_cmd, sizeof(rsp_good2), rsp_good2, 0, 0};
	int lfd = listen_on(0);
	ck_assert_int_ge(lfd, 0);
	uint16_t port = bound_port(lfd);
	peer_pid = fork();
	ck_assert_int_ge(peer_pid, 0);
	if (peer_pid == 0) {
		alarm(15);
		int c1 = accept(lfd, NULL, NULL);
		int ok = c1 >= 0 && peer_steps(c1, &one, 1);
		if (junk) { /* a stray answer after the real one; the connection stays */
			usleep(30000);
			ok &= send(c1, rsp_good, sizeof(rsp_good), MSG_NOSIGNAL) > 0;
		} else {
			close(c1);
		}
		int c2 = accept(lfd, NULL, NULL);
		ok &= c2 >= 0 && peer_steps(c2, &two, 1);
		close(c2);
		_exit(ok ? 0 : 1);
	}
	close(lfd);
	char tcti[100];
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u,timeout=2000", (unsigned)port);
	struct btpm_transport *tr = open_tcti(tcti);
	uint8_t rsp[64];
	size_t len;
	tr->hold(tr, 1);
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == 0, "first: %d (%s)", rc, tr->detail);
	ck_assert_mem_eq(rsp, rsp_good, sizeof(rsp_good));
	usleep(100000); /* the close or the stray bytes have arrived */
	rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == 0, "second: %d (%s)", rc, tr->detail);
	ck_assert_mem_eq(rsp, rsp_good2, sizeof(rsp_good2));
	tr->hold(tr, 0);
	tr->close(tr);
	ck_assert_int_eq(peer_finish(END_CLOSE), 0);
}

START_TEST(test_held_connection_closed_by_peer)
{
	held_then_new(0);
}
END_TEST

START_TEST(test_held_connection_with_stray_bytes)
{
	held_then_new(1);
}
END_TEST

START_TEST(test_device_late_reply)
{
	/* The answer to a timed-out command arrives late; it must not answer the next one. */
	struct step st[] = {{12, getrandom_cmd, sizeof(rsp_good), rsp_good, 0, 600},
			    {12, getrandom_cmd, sizeof(rsp_good2), rsp_good2, 0, 0}};
	int fd = peer_socketpair(st, 2, END_HANG);
	struct btpm_transport *tr = NULL;
	ck_assert_int_eq(btpm_device_from_fd(fd, 300, &tr), 0);
	uint8_t rsp[64];
	size_t len;
	int rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_int_eq(rc, BTPM_E_TIMEOUT);
	usleep(500000); /* the late answer is now waiting in the socket */
	tr->timeout_ms = 2000;
	rc = tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, sizeof(rsp), &len);
	ck_assert_msg(rc == 0, "rc %d (%s)", rc, tr->detail);
	ck_assert_uint_eq(len, sizeof(rsp_good2));
	ck_assert_mem_eq(rsp, rsp_good2, sizeof(rsp_good2));
	tr->close(tr);
	peer_finish(END_HANG);
}
END_TEST

START_TEST(test_device_peer_gone)
{
	/* Writing to a closed peer is EPIPE, reported, not a SIGPIPE that kills us. */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	struct btpm_transport *tr = NULL;
	ck_assert_int_eq(btpm_device_from_fd(sv[0], 1000, &tr), 0);
	uint32_t trc;
	int rc = send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	ck_assert_msg(rc == BTPM_E_CLOSED, "rc %d (%s)", rc, tr->detail);
	ck_assert_msg(strstr(tr->detail, "write fd"), "detail: %s", tr->detail);
	tr->close(tr);
}
END_TEST

/* The mssim frame around GetRandom, as the simulator's TcpServer.c reads it. */
static const uint8_t ms_frame[] = {0, 0, 0, 8, 0, 0, 0, 0, 12};
static const uint8_t ms_zero[] = {0, 0, 0, 0};
static const uint8_t ms_one[] = {0, 0, 0, 1};
static const uint8_t ms_nv_on[] = {0, 0, 0, 11};
static const uint8_t ms_len20[] = {0, 0, 0, 20};
static const uint8_t ms_len5[] = {0, 0, 0, 5};
static const uint8_t ms_len22[] = {0, 0, 0, 22};

static int mssim_run(const struct step *steps, size_t n, int end, int platform, int power,
		     uint8_t *rsp, size_t *len, char *detail)
{
	char tcti[100];
	uint16_t port = peer_tcp(steps, n, end, platform);
	snprintf(tcti, sizeof(tcti), "mssim:host=127.0.0.1,port=%u,timeout=1000", (unsigned)port);
	struct btpm_transport *tr = open_tcti(tcti);
	int rc = power ? tr->power_on(tr)
		       : tr->transceive(tr, getrandom_cmd, sizeof(getrandom_cmd), rsp, 64, len);
	snprintf(detail, BTPM_TRANSPORT_DETAIL, "%s", tr->detail);
	tr->close(tr);
	return rc;
}

START_TEST(test_mssim_fake)
{
	uint8_t rsp[64];
	size_t len = 0;
	char detail[BTPM_TRANSPORT_DETAIL];
	/* The frame, the command, then size + response + a zero acknowledgement. */
	struct step ok[] = {{9, ms_frame, 4, ms_len20, 0, 0},
			    {12, getrandom_cmd, sizeof(rsp_good), rsp_good, 0, 0},
			    {0, NULL, 4, ms_zero, 0, 0}};
	int rc = mssim_run(ok, 3, END_CLOSE, 0, 0, rsp, &len, detail);
	ck_assert_msg(rc == 0, "rc %d (%s)", rc, detail);
	ck_assert_uint_eq(len, 20);
	ck_assert_mem_eq(rsp, rsp_good, 20);
	ck_assert_int_eq(peer_finish(END_CLOSE), 0); /* it saw exactly the frame it expects */

	/* A nonzero acknowledgement. */
	struct step badack[] = {{21, NULL, 4, ms_len20, 0, 0},
				{0, NULL, sizeof(rsp_good), rsp_good, 0, 0},
				{0, NULL, 4, ms_one, 0, 0}};
	rc = mssim_run(badack, 3, END_HANG, 0, 0, rsp, &len, detail);
	ck_assert_msg(rc == BTPM_E_MALFORMED && strstr(detail, "acknowledgement"), "%d %s", rc,
		      detail);
	peer_finish(END_HANG);

	/* A frame shorter than a TPM header. */
	struct step short_frame[] = {{21, NULL, 4, ms_len5, 0, 0}, {0, NULL, 5, rsp_good, 0, 0}};
	rc = mssim_run(short_frame, 2, END_HANG, 0, 0, rsp, &len, detail);
	ck_assert_msg(rc == BTPM_E_MALFORMED, "%d %s", rc, detail);
	peer_finish(END_HANG);

	/* Frame and TPM header disagree. */
	struct step mismatch[] = {{21, NULL, 4, ms_len22, 0, 0},
				  {0, NULL, sizeof(rsp_good), rsp_good, 0, 0},
				  {0, NULL, 4, ms_zero, 0, 0}};
	rc = mssim_run(mismatch, 3, END_HANG, 0, 0, rsp, &len, detail);
	ck_assert_msg(rc == BTPM_E_MALFORMED && strstr(detail, "frame says 22"), "%d %s", rc,
		      detail);
	peer_finish(END_HANG);

	/* Closed before the acknowledgement. */
	struct step noack[] = {{21, NULL, 4, ms_len20, 0, 0},
			       {0, NULL, sizeof(rsp_good), rsp_good, 0, 0}};
	rc = mssim_run(noack, 2, END_CLOSE, 0, 0, rsp, &len, detail);
	ck_assert_msg(rc == BTPM_E_CLOSED, "%d %s", rc, detail);
	peer_finish(END_CLOSE);
}
END_TEST

START_TEST(test_mssim_power_on)
{
	char detail[BTPM_TRANSPORT_DETAIL];
	/* TPM_SIGNAL_POWER_ON then TPM_SIGNAL_NV_ON on port + 1, each answered by 0. */
	struct step ok[] = {{4, ms_one, 4, ms_zero, 0, 0}, {4, ms_nv_on, 4, ms_zero, 0, 0}};
	int rc = mssim_run(ok, 2, END_CLOSE, 1, 1, NULL, NULL, detail);
	ck_assert_msg(rc == 0, "rc %d (%s)", rc, detail);
	ck_assert_int_eq(peer_finish(END_CLOSE), 0);

	struct step refuse[] = {{4, ms_one, 4, ms_zero, 0, 0}, {4, ms_nv_on, 4, ms_one, 0, 0}};
	rc = mssim_run(refuse, 2, END_CLOSE, 1, 1, NULL, NULL, detail);
	ck_assert_msg(rc == BTPM_E_SIM && strstr(detail, "TPM_SIGNAL_NV_ON"), "%d %s", rc, detail);
	peer_finish(END_CLOSE);
}
END_TEST

START_TEST(test_refused)
{
	/* A port nobody listens on: a fresh ephemeral port, released again. */
	int fd = listen_on(0);
	ck_assert_int_ge(fd, 0);
	uint16_t port = bound_port(fd);
	close(fd);
	char tcti[100], want[100];
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u", (unsigned)port);
	struct btpm_transport *tr = open_tcti(tcti);
	uint32_t trc;
	long long t0 = btpm_now_ms();
	ck_assert_int_eq(send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc), BTPM_E_IO);
	ck_assert_int_lt(btpm_now_ms() - t0, 1000);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%u: Connection refused", (unsigned)port);
	ck_assert_str_eq(tr->detail, want);
	tr->close(tr);
}
END_TEST

/* ---- opening devices ------------------------------------------------------ */

START_TEST(test_device_missing)
{
	struct btpm_tcti cfg;
	struct btpm_transport *tr = (struct btpm_transport *)1;
	char err[256];
	ck_assert_int_eq(btpm_tcti_parse("device:/nonexistent/tpmrm0", &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(btpm_transport_open(&cfg, &tr, err, sizeof(err)), BTPM_E_NODEV);
	ck_assert_ptr_null(tr);
	ck_assert_str_eq(err,
			 "no TPM at /nonexistent/tpmrm0 (is the tpm_crb/tpm_tis driver loaded?)");
}
END_TEST

/* Open path as an unprivileged user (dropping root in a child if need be). */
static int open_as_user(const char *path, char *err, size_t errcap)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct btpm_tcti cfg;
		struct btpm_transport *tr;
		char e[256] = "";
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(100);
		memset(&cfg, 0, sizeof(cfg));
		cfg.kind = BTPM_TCTI_DEVICE;
		snprintf(cfg.path, sizeof(cfg.path), "%s", path);
		cfg.timeout_ms = 1000;
		int rc = btpm_device_open(&cfg, &tr, e, sizeof(e));
		if (write(pfd[1], e, strlen(e) + 1) < 0)
			_exit(101);
		_exit(-rc);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], err, errcap - 1);
	err[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_lt(WEXITSTATUS(st), 100);
	return -WEXITSTATUS(st);
}

START_TEST(test_device_perm)
{
	char dir[] = "/tmp/btpm-perm-XXXXXX", path[64], err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/tpm0", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0000);
	ck_assert_int_ge(fd, 0);
	close(fd);
	int rc = open_as_user(path, err, sizeof(err));
	btpm_test_rmtree(dir, 10);
	ck_assert_int_eq(rc, BTPM_E_PERM);
	ck_assert_ptr_nonnull(strstr(err, "permission denied opening /tmp/btpm-perm-"));
	ck_assert_ptr_nonnull(strstr(err, "usermod -aG tss"));
}
END_TEST

START_TEST(test_device_not_chardev)
{
	char dir[] = "/tmp/btpm-reg-XXXXXX", path[64], err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tpm0", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct btpm_tcti cfg;
	struct btpm_transport *tr = NULL;
	char tcti[100];
	snprintf(tcti, sizeof(tcti), "device:%s", path);
	ck_assert_int_eq(btpm_tcti_parse(tcti, &cfg, err, sizeof(err)), 0);
	int rc = btpm_device_open(&cfg, &tr, err, sizeof(err));
	btpm_test_rmtree(dir, 10);
	ck_assert_int_eq(rc, BTPM_E_NODEV);
	ck_assert_ptr_nonnull(strstr(err, "not a TPM character device"));
}
END_TEST

START_TEST(test_device_dev_null)
{
	/* A character device that is no TPM: end of file at once, not a hang. */
	struct btpm_transport *tr = open_tcti("device:/dev/null,timeout=1000");
	uint32_t trc;
	int rc = send_cmd(tr, getrandom_cmd, sizeof(getrandom_cmd), &trc);
	ck_assert_msg(rc == BTPM_E_CLOSED, "rc %d (%s)", rc, tr->detail);
	ck_assert_ptr_nonnull(strstr(tr->detail, "read /dev/null"));
	tr->close(tr);
}
END_TEST

START_TEST(test_device_resource_manager)
{
	/*
	 * Only a resource manager's node (tpmrm<N>, or a link named so or to
	 * one) promises that closing it flushes the client's objects: the
	 * module then skips its own flushes at C_Finalize.
	 */
	char dir[] = "/tmp/btpm-rm-XXXXXX", link[64], tcti[96];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/tpmrm7", dir);
	ck_assert_int_eq(symlink("/dev/null", link), 0);
	snprintf(tcti, sizeof(tcti), "device:%s", link);
	struct btpm_transport *rm = open_tcti(tcti);
	struct btpm_transport *raw = open_tcti("device:/dev/null");
	int rm_flag = rm->flushes_on_close, raw_flag = raw->flushes_on_close;
	rm->close(rm);
	raw->close(raw);
	unlink(link);
	rmdir(dir);
	ck_assert_int_eq(rm_flag, 1);
	ck_assert_int_eq(raw_flag, 0);
}
END_TEST

static TCase *sim_case(const char *name, void (*up)(void), void (*down)(void))
{
	TCase *tc = tcase_create(name);
	/* swtpm_setup takes a second or two; the tests themselves are bounded by timeouts. */
	tcase_set_timeout(tc, 60);
	if (up)
		tcase_add_unchecked_fixture(tc, up, down);
	return tc;
}

static Suite *transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = sim_case("swtpm-tcp", start_tcp, stop_tcp);
	tcase_add_test(tc, test_tcp_getrandom);
	tcase_add_test(tc, test_tcp_processes_share);
	tcase_add_test(tc, test_tcp_hold);
	tcase_add_test(tc, test_tcp_mssim_framing);
	tcase_add_test(tc, test_tcp_small_buffer);
	suite_add_tcase(s, tc);

	tc = sim_case("swtpm-unix", start_unix, stop_unix);
	tcase_add_test(tc, test_unix_getrandom);
	tcase_add_test(tc, test_unix_power_on_default_ctrl);
	tcase_add_test(tc, test_unix_power_on_ctrl);
	tcase_add_test(tc, test_unix_missing);
	suite_add_tcase(s, tc);

	tc = sim_case("swtpm-no-init", start_noinit, stop_noinit);
	tcase_add_test(tc, test_noinit);
	suite_add_tcase(s, tc);

	tc = sim_case("swtpm-wedged", start_wedge, stop_wedge);
	tcase_add_test(tc, test_wedged);
	suite_add_tcase(s, tc);

	tc = sim_case("swtpm-killed", start_kill, stop_kill);
	tcase_add_test(tc, test_killed);
	suite_add_tcase(s, tc);

	tc = sim_case("swtpm-chardev", start_chardev, stop_chardev);
	tcase_add_test(tc, test_chardev_getrandom);
	tcase_add_test(tc, test_chardev_small_buffer);
	suite_add_tcase(s, tc);

	tc = sim_case("hostile-peers", NULL, NULL);
	tcase_add_loop_test(tc, test_evil_device, 0, (int)(sizeof(evils) / sizeof(evils[0])));
	tcase_add_loop_test(tc, test_evil_swtpm, 0, (int)(sizeof(evils) / sizeof(evils[0])));
	tcase_add_test(tc, test_device_extra_bytes);
	tcase_add_test(tc, test_swtpm_extra_bytes);
	tcase_add_test(tc, test_held_connection_closed_by_peer);
	tcase_add_test(tc, test_held_connection_with_stray_bytes);
	tcase_add_test(tc, test_device_late_reply);
	tcase_add_test(tc, test_device_peer_gone);
	tcase_add_test(tc, test_mssim_fake);
	tcase_add_test(tc, test_mssim_power_on);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);

	tc = sim_case("device-open", NULL, NULL);
	tcase_add_test(tc, test_device_missing);
	tcase_add_test(tc, test_device_perm);
	tcase_add_test(tc, test_device_not_chardev);
	tcase_add_test(tc, test_device_dev_null);
	tcase_add_test(tc, test_device_resource_manager);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(transport_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
