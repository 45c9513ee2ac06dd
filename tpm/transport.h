/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transport interface: send one command, receive one whole response.
 * Backends: tpm/device.c (character device), sim/swtpm.c (swtpm data and
 * control channels over TCP or a unix socket), sim/mssim.c (Microsoft
 * simulator framing). A test may supply its own.
 */
#ifndef BTPM_TRANSPORT_H
#define BTPM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#define BTPM_TRANSPORT_DETAIL 192
#define BTPM_DEFAULT_TIMEOUT_MS 120000

struct btpm_transport {
	/*
	 * Send cmd[0..cmd_len) and receive one whole response into rsp. Returns 0
	 * or a BTPM_E_* code, with a readable reason in detail. A response larger
	 * than rsp_cap is BTPM_E_TOOBIG; a response whose header size is below 10
	 * or that ends early is BTPM_E_MALFORMED / BTPM_E_CLOSED.
	 */
	int (*transceive)(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			  uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);
	/* Simulator power-on (optional; NULL where it has no meaning). */
	int (*power_on)(struct btpm_transport *tr);
	/* Release everything; tr is invalid afterwards. */
	void (*close)(struct btpm_transport *tr);
	/*
	 * Optional, for transports that connect per command: on = 1 keeps one
	 * connection for the commands that follow, on = 0 closes it again.
	 */
	void (*hold)(struct btpm_transport *tr, int on);
	int timeout_ms;
	/*
	 * 1 when closing the transport makes the TPM forget this client's
	 * objects and sessions: the kernel's resource manager (/dev/tpmrmN)
	 * flushes them when the descriptor is closed, so flushing them one by
	 * one just before the close is a round trip each for nothing.
	 */
	int flushes_on_close;
	char detail[BTPM_TRANSPORT_DETAIL];
};

enum btpm_tcti_kind {
	BTPM_TCTI_DEVICE,
	BTPM_TCTI_SWTPM,
	BTPM_TCTI_MSSIM,
};

/* A parsed TCTI string. */
struct btpm_tcti {
	enum btpm_tcti_kind kind;
	char path[256]; /* device path or unix socket path ("" for TCP) */
	char host[128];
	uint16_t port; /* data port; control/platform channel is port + 1 */
	int timeout_ms;
	/* swtpm over a unix socket: its control socket ("ctrl=PATH"; "" = PATH.ctrl) */
	char ctrl_path[256];
};

/*
 * Parse "device[:PATH]", "swtpm[:host=H,port=P | :path=SOCK]",
 * "mssim[:host=H,port=P]", each with an optional ",timeout=MS".
 * tpm2-tss spellings are accepted too ("device:/dev/tpm0", "swtpm:port=2321",
 * "mssim:host=localhost,port=2321"). Returns 0 or BTPM_E_CONFIG with the
 * reason in err.
 */
int btpm_tcti_parse(const char *s, struct btpm_tcti *out, char *err, size_t errcap);

/* Open a transport for a parsed configuration. */
int btpm_transport_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
			size_t errcap);

int btpm_device_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		     size_t errcap);
/* Serve an already-open file descriptor as a TPM device (takes ownership). */
int btpm_device_from_fd(int fd, int timeout_ms, struct btpm_transport **out);
int btpm_swtpm_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		    size_t errcap);
int btpm_mssim_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		    size_t errcap);

/* Big-endian 32-bit words: TPM headers (Part 1, 18), the simulators' framing. */
static inline void btpm_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t btpm_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Helpers shared by the backends (tpm/io.c): wait for fd readiness with the
 * deadline, write all bytes, read exactly n bytes. Each returns 0 or a
 * BTPM_E_* code and writes a reason ("what: strerror") into detail.
 */
long long btpm_now_ms(void);
int btpm_io_write_all(int fd, const void *p, size_t n, long long deadline, char *detail,
		      const char *what);
int btpm_io_read_exact(int fd, void *p, size_t n, long long deadline, char *detail,
		       const char *what);
/* One read() of at most n bytes once fd is readable; *got >= 1 on success. */
int btpm_io_read_some(int fd, void *p, size_t n, size_t *got, long long deadline, char *detail,
		      const char *what);
/*
 * Read a TPM response into rsp: one read() of up to room bytes (usually all
 * of it), then the rest by the header's size field. A size above cap
 * (<= room) is BTPM_E_TOOBIG; more bytes than the size is BTPM_E_MALFORMED.
 */
int btpm_io_read_response(int fd, uint8_t *rsp, size_t room, size_t cap, size_t *len,
			  long long deadline, char *detail, const char *what);
/* Connect to host:port (TCP) or path (unix), with the deadline. */
int btpm_io_connect(const char *host, uint16_t port, const char *path, long long deadline,
		    int *fd, char *detail);
/*
 * The TCP address that last worked for a host:port, so that a transport that
 * connects per command resolves the name once, not every time.
 */
struct btpm_io_addr {
	int valid;
	int family;
	unsigned len; /* socklen_t */
	unsigned char sa[128]; /* a struct sockaddr_storage */
};
/*
 * btpm_io_connect, trying memo's address first; a failure there falls back
 * to resolving host again, and memo then holds whatever address worked.
 */
int btpm_io_connect_memo(const char *host, uint16_t port, const char *path,
			 struct btpm_io_addr *memo, long long deadline, int *fd, char *detail);
/*
 * Check a response header's size field against the buffer: below 10 is
 * BTPM_E_MALFORMED, above cap BTPM_E_TOOBIG (for backends that read the
 * header themselves).
 */
int btpm_io_check_header(const uint8_t *hdr, size_t cap, char *detail, const char *what);
/* Write a reason into a transport's detail (BTPM_TRANSPORT_DETAIL bytes), truncating. */
void btpm_io_detail(char *detail, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append " after N ms" to a BTPM_E_TIMEOUT detail, naming the limit that applied. */
void btpm_io_note_timeout(char *detail, int timeout_ms);

#endif
