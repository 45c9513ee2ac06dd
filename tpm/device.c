/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux TPM character device (/dev/tpmrm0, /dev/tpm0): write one whole
 * command, read one whole response.
 *
 * The device is opened O_NONBLOCK. On kernels with the nonblocking TPM
 * interface (tpm-dev-common.c, 2018 on) write() queues the command and poll()
 * reports the response, so our deadline bounds a stuck TPM; older kernels
 * ignore the flag (write() runs the command, poll() always says readable),
 * which works the same way, only without the bound.
 *
 * The same code serves any stream fd (tests run swtpm chardev on a
 * socketpair), where a response may arrive in pieces, so the first read takes
 * what is there and the rest is read by the header's size field.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

/*
 * TPM_BUFSIZE of drivers/char/tpm/tpm.h: the largest response the kernel
 * hands out. Reading into a buffer this big takes all of it in one read(),
 * which matters because kernels without partial-read support (added in 2019)
 * drop whatever a short read leaves.
 */
#define KERNEL_TPM_BUFSIZE 4096
/* Command and response headers are both 10 bytes (Part 1, 18.2 and 18.4). */
#define HEADER 10

struct dev {
	struct btpm_transport tr; /* first, so the transport pointer is the struct's */
	int fd;
	/*
	 * The last command ended without its whole response (timeout, bad
	 * header): leftover or late bytes must not pass for the next answer.
	 */
	int stale;
	char path[256];
};

/*
 * Throw away whatever an earlier, abandoned response left readable. Only what
 * has arrived can be told apart: on a socket, an answer still on its way when
 * the next command goes out would be taken for that command's answer (the
 * kernel's device refuses such a write with EBUSY instead).
 */
static void drain(struct dev *d)
{
	uint8_t junk[512];
	for (int i = 0; i < 256; i++) {
		struct pollfd p = {.fd = d->fd, .events = POLLIN, .revents = 0};
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
		ssize_t r = read(d->fd, junk, sizeof(junk));
		if (r <= 0 && !(r < 0 && errno == EINTR))
			break;
	}
	d->stale = 0;
}

/* The first read() goes into a buffer of KERNEL_TPM_BUFSIZE, so that it takes all. */
static int read_rsp(struct dev *d, uint8_t *rsp, size_t cap, size_t *len, long long deadline,
		    const char *what)
{
	uint8_t first[KERNEL_TPM_BUFSIZE];
	char *detail = d->tr.detail;
	if (cap >= sizeof(first))
		return btpm_io_read_response(d->fd, rsp, cap, cap, len, deadline, detail, what);
	int rc = btpm_io_read_response(d->fd, first, sizeof(first), cap, len, deadline, detail,
				       what);
	if (!rc)
		memcpy(rsp, first, *len);
	return rc;
}

static int dev_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			  uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct dev *d = (struct dev *)tr;
	char what[300];
	*rsp_len = 0;
	tr->detail[0] = 0;
	if (!cmd || cmd_len < HEADER || !rsp) {
		btpm_io_detail(tr->detail, "transceive: no command or response buffer");
		return BTPM_E_ARG;
	}
	if (d->stale)
		drain(d);
	long long deadline = btpm_now_ms() + tr->timeout_ms;
	/* The driver takes a command only as one write() (tpm-dev-common.c). */
	snprintf(what, sizeof(what), "write %s", d->path);
	int rc = btpm_io_write_all(d->fd, cmd, cmd_len, deadline, tr->detail, what);
	if (!rc) {
		snprintf(what, sizeof(what), "read %s", d->path);
		rc = read_rsp(d, rsp, rsp_cap, rsp_len, deadline, what);
	}
	/*
	 * Stale after any failure, a refused write included: the kernel answers
	 * EBUSY while an abandoned command's response is still to come, and
	 * once it has come only a drain before the next write clears it.
	 */
	if (rc)
		d->stale = 1;
	if (rc == BTPM_E_TIMEOUT)
		btpm_io_note_timeout(tr->detail, tr->timeout_ms);
	return rc;
}

static void dev_close(struct btpm_transport *tr)
{
	struct dev *d = (struct dev *)tr;
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static struct dev *dev_new(int fd, int timeout_ms, const char *path)
{
	struct dev *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->tr.transceive = dev_transceive;
	d->tr.power_on = NULL; /* a real TPM is powered by the platform */
	d->tr.close = dev_close;
	d->tr.timeout_ms = timeout_ms > 0 ? timeout_ms : BTPM_DEFAULT_TIMEOUT_MS;
	d->fd = fd;
	snprintf(d->path, sizeof(d->path), "%s", path);
	return d;
}

/*
 * The kernel names its resource-manager nodes tpmrm<N> (Linux 4.12+,
 * drivers/char/tpm/tpm-chip.c); the path may be a link to one.
 */
static int is_resource_manager(const char *path)
{
	char real[PATH_MAX];
	const char *names[2] = {path, realpath(path, real) ? real : path};
	for (int i = 0; i < 2; i++) {
		const char *base = strrchr(names[i], '/');
		base = base ? base + 1 : names[i];
		if (!strncmp(base, "tpmrm", 5))
			return 1;
	}
	return 0;
}

/* Why open() failed, in words that tell the user what to do about it. */
static int open_error(int e, const char *path, char *err, size_t errcap)
{
	int rc = BTPM_E_IO;
	if (e == EACCES || e == EPERM) {
		rc = BTPM_E_PERM;
		snprintf(err, errcap,
			 "permission denied opening %s: add your user to the 'tss' group "
			 "(sudo usermod -aG tss $USER) or run as root",
			 path);
	} else if (e == ENOENT || e == ENODEV || e == ENXIO) {
		rc = BTPM_E_NODEV;
		snprintf(err, errcap, "no TPM at %s (is the tpm_crb/tpm_tis driver loaded?)", path);
	} else if (e == EBUSY) {
		/* /dev/tpm0 admits one opener; /dev/tpmrm0 multiplexes (Linux 4.12+). */
		snprintf(err, errcap,
			 "%s is busy: another process (tpm2-abrmd?) holds it; "
			 "use /dev/tpmrm0, which any number of processes can share",
			 path);
	} else {
		snprintf(err, errcap, "open %s: %s", path, strerror(e));
	}
	return rc;
}

int btpm_device_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
		     size_t errcap)
{
	char dummy[1];
	*out = NULL;
	if (!err || !errcap) {
		err = dummy;
		errcap = sizeof(dummy);
	}
	err[0] = 0;
	const char *path = cfg->path[0] ? cfg->path : "/dev/tpmrm0";
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return open_error(errno, path, err, errcap);
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode))) {
		close(fd);
		snprintf(err, errcap, "%s is not a TPM character device", path);
		return BTPM_E_NODEV;
	}
	struct dev *d = dev_new(fd, cfg->timeout_ms, path);
	if (!d) {
		close(fd);
		snprintf(err, errcap, "out of memory");
		return BTPM_E_NOMEM;
	}
	d->tr.flushes_on_close = is_resource_manager(path);
	*out = &d->tr;
	return 0;
}

int btpm_device_from_fd(int fd, int timeout_ms, struct btpm_transport **out)
{
	char name[32];
	*out = NULL;
	if (fd < 0)
		return BTPM_E_ARG;
	/* Nonblocking, so a write to a peer that stopped reading honours the deadline. */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return BTPM_E_IO;
	}
	snprintf(name, sizeof(name), "fd %d", fd);
	struct dev *d = dev_new(fd, timeout_ms, name);
	if (!d) {
		close(fd);
		return BTPM_E_NOMEM;
	}
	*out = &d->tr;
	return 0;
}
