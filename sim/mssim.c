/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Microsoft TPM 2.0 simulator's TCP protocol (ms-tpm-20-ref
 * TPMCmd/Simulator/include/TpmTcpProtocol.h, src/TcpServer.c): on the command
 * port each TPM command is wrapped as
 *     UINT32 TPM_SEND_COMMAND, BYTE locality, UINT32 size, command
 * and answered with
 *     UINT32 size, response, UINT32 0 (an acknowledgement);
 * on the platform port (command port + 1) a UINT32 signal is answered by a
 * UINT32 0. All integers are big-endian.
 *
 * As with swtpm we connect per command: the simulator serves one client per
 * port at a time, and it treats a closed connection as the end of a session,
 * so no TPM_SESSION_END is needed (swtpm, which also accepts this framing,
 * would read that word as the start of a malformed command).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

#define MS_SIGNAL_POWER_ON 1u
#define MS_SEND_COMMAND 8u
#define MS_SIGNAL_NV_ON 11u

struct mssim {
	struct btpm_transport tr; /* first, so the transport pointer is the struct's */
	struct btpm_tcti cfg;
	char name[160]; /* "host:port", for messages */
	struct btpm_io_addr addr;    /* the command port's address, resolved once */
	char wwhat[170], rwhat[170]; /* "write NAME", "read NAME" for messages */
};

/* The framed response: size, the TPM response itself, then the 0 acknowledgement. */
static int read_framed(int fd, uint8_t *rsp, size_t cap, size_t *len, long long deadline,
		       char *detail, const char *what)
{
	uint8_t w[4];
	int rc = btpm_io_read_exact(fd, w, sizeof(w), deadline, detail, what);
	if (rc)
		return rc;
	uint32_t size = btpm_be32_get(w);
	if (size < 10) {
		btpm_io_detail(detail,
			       "%s: framed response of %u bytes is shorter than a TPM header", what,
			       (unsigned)size);
		return BTPM_E_MALFORMED;
	}
	if (size > cap) {
		btpm_io_detail(detail, "%s: response of %u bytes exceeds the %zu-byte buffer", what,
			       (unsigned)size, cap);
		return BTPM_E_TOOBIG;
	}
	rc = btpm_io_read_exact(fd, rsp, size, deadline, detail, what);
	if (!rc && btpm_be32_get(rsp + 2) != size) {
		btpm_io_detail(detail, "%s: frame says %u bytes, TPM header says %u", what,
			       (unsigned)size, (unsigned)btpm_be32_get(rsp + 2));
		rc = BTPM_E_MALFORMED;
	}
	if (!rc)
		rc = btpm_io_read_exact(fd, w, sizeof(w), deadline, detail, what);
	if (!rc && btpm_be32_get(w) != 0) {
		btpm_io_detail(detail, "%s: acknowledgement 0x%08x after the response, expected 0",
			       what, (unsigned)btpm_be32_get(w));
		rc = BTPM_E_MALFORMED;
	}
	if (!rc)
		*len = size;
	return rc;
}

static int ms_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			 uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct mssim *m = (struct mssim *)tr;
	uint8_t hdr[9];
	int fd = -1;
	*rsp_len = 0;
	tr->detail[0] = 0;
	if (!cmd || cmd_len < 10 || cmd_len > UINT32_MAX || !rsp) {
		btpm_io_detail(tr->detail, "transceive: no command or response buffer");
		return BTPM_E_ARG;
	}
	long long deadline = btpm_now_ms() + tr->timeout_ms;
	btpm_be32_put(hdr, MS_SEND_COMMAND);
	hdr[4] = 0; /* locality 0 */
	btpm_be32_put(hdr + 5, (uint32_t)cmd_len);
	int rc = btpm_io_connect_memo(m->cfg.host, m->cfg.port, NULL, &m->addr, deadline, &fd,
				      tr->detail);
	if (!rc)
		rc = btpm_io_write_all(fd, hdr, sizeof(hdr), deadline, tr->detail, m->wwhat);
	if (!rc)
		rc = btpm_io_write_all(fd, cmd, cmd_len, deadline, tr->detail, m->wwhat);
	if (!rc)
		rc = read_framed(fd, rsp, rsp_cap, rsp_len, deadline, tr->detail, m->rwhat);
	if (fd >= 0)
		close(fd);
	if (rc == BTPM_E_TIMEOUT)
		btpm_io_note_timeout(tr->detail, tr->timeout_ms);
	return rc;
}

/* One platform signal on an open platform connection; the simulator answers 0. */
static int signal_one(int fd, uint32_t sig, const char *name, long long deadline, char *detail,
		      const char *what)
{
	uint8_t w[4];
	btpm_be32_put(w, sig);
	int rc = btpm_io_write_all(fd, w, sizeof(w), deadline, detail, what);
	if (!rc)
		rc = btpm_io_read_exact(fd, w, sizeof(w), deadline, detail, what);
	if (!rc && btpm_be32_get(w) != 0) {
		btpm_io_detail(detail, "%s: %s answered 0x%08x, expected 0", what, name,
			       (unsigned)btpm_be32_get(w));
		rc = BTPM_E_SIM;
	}
	return rc;
}

/* Power on, then NV on: the simulator refuses NV access until NV is "on". */
static int ms_power_on(struct btpm_transport *tr)
{
	struct mssim *m = (struct mssim *)tr;
	char what[200];
	int fd = -1;
	tr->detail[0] = 0;
	long long deadline = btpm_now_ms() + tr->timeout_ms;
	uint16_t plat = (uint16_t)(m->cfg.port + 1);
	snprintf(what, sizeof(what), "mssim platform %s:%u", m->cfg.host, (unsigned)plat);
	int rc = btpm_io_connect(m->cfg.host, plat, NULL, deadline, &fd, tr->detail);
	if (!rc)
		rc = signal_one(fd, MS_SIGNAL_POWER_ON, "TPM_SIGNAL_POWER_ON", deadline, tr->detail,
				what);
	if (!rc)
		rc = signal_one(fd, MS_SIGNAL_NV_ON, "TPM_SIGNAL_NV_ON", deadline, tr->detail,
				what);
	if (fd >= 0)
		close(fd);
	if (rc == BTPM_E_TIMEOUT)
		btpm_io_note_timeout(tr->detail, tr->timeout_ms);
	return rc;
}

static void ms_close(struct btpm_transport *tr)
{
	free(tr);
}

int btpm_mssim_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		    size_t errcap)
{
	*out = NULL;
	if (cfg->kind != BTPM_TCTI_MSSIM || !cfg->host[0] || !cfg->port || cfg->port == 65535) {
		if (err && errcap)
			snprintf(err, errcap, "mssim: need a host and a port below 65535");
		return BTPM_E_CONFIG;
	}
	struct mssim *m = calloc(1, sizeof(*m));
	if (!m) {
		if (err && errcap)
			snprintf(err, errcap, "out of memory");
		return BTPM_E_NOMEM;
	}
	m->cfg = *cfg;
	m->tr.transceive = ms_transceive;
	m->tr.power_on = ms_power_on;
	m->tr.close = ms_close;
	m->tr.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : BTPM_DEFAULT_TIMEOUT_MS;
	snprintf(m->name, sizeof(m->name), "%s:%u", cfg->host, (unsigned)cfg->port);
	snprintf(m->wwhat, sizeof(m->wwhat), "write %s", m->name);
	snprintf(m->rwhat, sizeof(m->rwhat), "read %s", m->name);
	*out = &m->tr;
	return 0;
}
