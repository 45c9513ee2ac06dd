/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * swtpm's socket interface: a data channel carrying raw TPM commands and
 * responses, and a control channel (TCP port + 1, or its own unix socket)
 * carrying swtpm's CMD_* requests (swtpm docs/man3/swtpm_ioctls.pod,
 * include/swtpm/tpm_ioctl.h).
 *
 * swtpm serves one client connection at a time and has no resource manager,
 * so we connect for the span of one command, as tpm2-tss's swtpm TCTI does:
 * a process that kept its connection would lock every other process out.
 * btpm_hold() stretches that span over the few commands of one operation.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

/* Control commands are the ioctl index + 1, big-endian UINT32 (tpm_ioctl.h). */
#define SWTPM_CMD_INIT 2u

struct swtpm {
	struct btpm_transport tr; /* first, so the transport pointer is the struct's */
	struct btpm_tcti cfg;
	char name[300]; /* "host:port" or the socket path, for messages */
	int held;       /* btpm_hold: keep fd open after a command */
	int fd;         /* the data connection while held, else -1 */
	struct btpm_io_addr addr;      /* the data port's address, resolved once */
	char wwhat[310], rwhat[310];   /* "write NAME", "read NAME" for messages */
};

static void drop(struct swtpm *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * A held connection is reused only if nothing is waiting on it: readable
 * before a command is sent means the peer ended it (swtpm restarted, or its
 * ",disconnect" mode closes after each answer) or sent bytes nobody asked for.
 * Either way the command goes out on a new connection.
 */
static void check_held(struct swtpm *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN, .revents = 0};
	if (s->fd >= 0 && poll(&p, 1, 0) != 0)
		drop(s);
}

static int sw_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			 uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct swtpm *s = (struct swtpm *)tr;
	*rsp_len = 0;
	tr->detail[0] = 0;
	if (!cmd || cmd_len < 10 || !rsp) {
		btpm_io_detail(tr->detail, "transceive: no command or response buffer");
		return BTPM_E_ARG;
	}
	long long deadline = btpm_now_ms() + tr->timeout_ms;
	int rc = 0;
	check_held(s);
	if (s->fd < 0)
		rc = btpm_io_connect_memo(s->cfg.host, s->cfg.port, s->cfg.path, &s->addr,
					  deadline, &s->fd, tr->detail);
	if (!rc)
		rc = btpm_io_write_all(s->fd, cmd, cmd_len, deadline, tr->detail, s->wwhat);
	if (!rc)
		rc = btpm_io_read_response(s->fd, rsp, rsp_cap, rsp_cap, rsp_len, deadline,
					   tr->detail, s->rwhat);
	if (rc || !s->held) /* after a failure the stream may be out of step: start afresh */
		drop(s);
	if (rc == BTPM_E_TIMEOUT)
		btpm_io_note_timeout(tr->detail, tr->timeout_ms);
	return rc;
}

/*
 * The control socket of a unix-socket swtpm: ctrl= if given, else PATH.ctrl
 * beside the data socket (tpm2-tss's convention, which sim/swtpm-start --unix
 * follows).
 */
static int ctrl_path(const struct swtpm *s, char *out, size_t cap)
{
	if (s->cfg.ctrl_path[0]) {
		snprintf(out, cap, "%s", s->cfg.ctrl_path);
		return 0;
	}
	if (snprintf(out, cap, "%s.ctrl", s->cfg.path) >= (int)cap)
		return -1;
	return access(out, F_OK);
}

/* CMD_INIT with init_flags 0 (struct ptm_init): power the TPM on, keep its state. */
static int sw_power_on(struct btpm_transport *tr)
{
	struct swtpm *s = (struct swtpm *)tr;
	char path[256], what[320];
	uint8_t req[8], res[4];
	int fd = -1, rc;
	tr->detail[0] = 0;
	long long deadline = btpm_now_ms() + tr->timeout_ms;
	if (s->cfg.path[0]) {
		if (ctrl_path(s, path, sizeof(path))) {
			btpm_io_detail(
				tr->detail,
				"swtpm at %.100s: no control socket; add ctrl=PATH to the TCTI",
				s->cfg.path);
			return BTPM_E_UNSUPPORTED;
		}
		snprintf(what, sizeof(what), "swtpm control %s", path);
		rc = btpm_io_connect(NULL, 0, path, deadline, &fd, tr->detail);
	} else {
		snprintf(what, sizeof(what), "swtpm control %s:%u", s->cfg.host,
			 (unsigned)s->cfg.port + 1);
		rc = btpm_io_connect(s->cfg.host, (uint16_t)(s->cfg.port + 1), NULL, deadline, &fd,
				     tr->detail);
	}
	btpm_be32_put(req, SWTPM_CMD_INIT);
	btpm_be32_put(req + 4, 0);
	if (!rc)
		rc = btpm_io_write_all(fd, req, sizeof(req), deadline, tr->detail, what);
	/* The answer is a ptm_res: 0 or the TPM_RC of the failed initialization. */
	if (!rc)
		rc = btpm_io_read_exact(fd, res, sizeof(res), deadline, tr->detail, what);
	if (fd >= 0)
		close(fd);
	if (!rc && btpm_be32_get(res)) {
		btpm_io_detail(tr->detail, "%s: CMD_INIT failed with result 0x%08x", what,
			       (unsigned)btpm_be32_get(res));
		rc = BTPM_E_SIM;
	}
	if (rc == BTPM_E_TIMEOUT)
		btpm_io_note_timeout(tr->detail, tr->timeout_ms);
	return rc;
}

static void sw_hold(struct btpm_transport *tr, int on)
{
	struct swtpm *s = (struct swtpm *)tr;
	s->held = on;
	if (!on)
		drop(s);
}

static void sw_close(struct btpm_transport *tr)
{
	drop((struct swtpm *)tr);
	free(tr);
}

int btpm_swtpm_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		    size_t errcap)
{
	*out = NULL;
	if (cfg->kind != BTPM_TCTI_SWTPM || (!cfg->path[0] && (!cfg->host[0] || !cfg->port))) {
		if (err && errcap)
			snprintf(err, errcap, "swtpm: need host and port, or a socket path");
		return BTPM_E_CONFIG;
	}
	struct swtpm *s = calloc(1, sizeof(*s));
	if (!s) {
		if (err && errcap)
			snprintf(err, errcap, "out of memory");
		return BTPM_E_NOMEM;
	}
	s->cfg = *cfg;
	s->tr.transceive = sw_transceive;
	s->tr.power_on = sw_power_on;
	s->tr.close = sw_close;
	s->tr.hold = sw_hold;
	s->fd = -1;
	s->tr.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : BTPM_DEFAULT_TIMEOUT_MS;
	if (cfg->path[0])
		snprintf(s->name, sizeof(s->name), "%s", cfg->path);
	else
		snprintf(s->name, sizeof(s->name), "%s:%u", cfg->host, (unsigned)cfg->port);
	snprintf(s->wwhat, sizeof(s->wwhat), "write %s", s->name);
	snprintf(s->rwhat, sizeof(s->rwhat), "read %s", s->name);
	*out = &s->tr;
	return 0;
}
