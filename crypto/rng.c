/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Random bytes straight from the kernel.
 *
 * Why getrandom(2) per request and no user-space DRBG (mbedtls ctr_drbg):
 * a DRBG state is shared mutable state, so it needs a lock to be thread-safe
 * and a reseed after fork(), or parent and child emit the same stream; a
 * PKCS#11 module is forked under it (ssh-agent, sshd) without notice. The
 * kernel's CSPRNG has neither problem, blocks only until it is first seeded
 * (flags 0), and never fails once it is; the volume we draw (nonces, salts,
 * ephemeral keys, token secrets) is tiny. No file descriptor is needed either,
 * which matters in an initrd or a chroot without /dev.
 */
#include <errno.h>
#include <sys/random.h>

#include "baretpm.h"
#include "btpm_crypto.h"

int btpm_random(uint8_t *out, size_t n)
{
	if (!out && n)
		return BTPM_E_ARG;
	size_t off = 0;
	while (off < n) {
		/* Requests over 256 bytes may be cut short by a signal: keep going. */
		ssize_t r = getrandom(out + off, n - off, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			btpm_wipe(out, n);
			return BTPM_E_CRYPTO;
		}
		off += (size_t)r;
	}
	return 0;
}
