/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCTI strings: which TPM to talk to, in the syntax tpm2-tss and tpm2-tools
 * users already write ("device:/dev/tpmrm0", "swtpm:port=2321",
 * "mssim:host=localhost,port=2321"), so an existing TPM2TOOLS_TCTI or
 * TPM2_PKCS11_TCTI setting works unchanged. Parsing is strict: a typo must be
 * an error that names the offending part, never a silent default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "baretpm.h"
#include "transport.h"

#define DEFAULT_DEVICE "/dev/tpmrm0"
/* tpm2-tss's swtpm and mssim TCTIs default to localhost:2321. */
#define DEFAULT_HOST "localhost"
#define DEFAULT_PORT 2321
/* Far beyond any TPM command (RSA keygen on a slow TPM takes about a minute). */
#define MAX_TIMEOUT_MS 86400000
#define MAX_TCTI 1024

/* Keys each kind accepts; a bit per key so duplicates are caught. */
enum {
	K_PATH = 1 << 0,
	K_HOST = 1 << 1,
	K_PORT = 1 << 2,
	K_TIMEOUT = 1 << 3,
	K_CTRL = 1 << 4,
};

static const struct {
	const char *name;
	unsigned bit;
} keys[] = {
	{"path", K_PATH},       {"host", K_HOST}, {"port", K_PORT},
	{"timeout", K_TIMEOUT}, {"ctrl", K_CTRL},
};

/* "TCTI option 'port=abc': port must be ..." */
static int bad(char *err, size_t errcap, const char *what, const char *a, size_t alen,
	       const char *why)
{
	if (err && errcap) {
		/* Quote at most 48 bytes of the offending text: it may be hostile or huge. */
		int n = alen > 48 ? 48 : (int)alen;
		snprintf(err, errcap, "%s '%.*s%s': %s", what, n, a, alen > 48 ? "..." : "", why);
	}
	return BTPM_E_CONFIG;
}

/* A decimal number in [lo, hi]; no sign, no spaces, no leading junk. */
static int parse_num(const char *v, size_t n, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	unsigned long x = 0;
	/* Nine digits cover every valid value and cannot overflow a 32-bit long. */
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

/* Host names and address literals only: no spaces, quotes or separators. */
static int host_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == ':' || c == '%'))
			return 0;
	}
	return 1;
}

static int set_option(struct btpm_tcti *t, unsigned bit, const char *item, size_t ilen,
		      const char *v, size_t n, char *err, size_t errcap)
{
	static const char opt[] = "TCTI option";
	unsigned long x;
	/* A unix socket path must fit sockaddr_un.sun_path with its NUL. */
	size_t path_cap = t->kind == BTPM_TCTI_DEVICE ? sizeof(t->path)
						      : sizeof(((struct sockaddr_un *)0)->sun_path);
	switch (bit) {
	case K_PATH:
		if (copy_str(t->path, path_cap, v, n))
			return bad(err, errcap, opt, item, ilen, "path too long");
		return 0;
	case K_CTRL:
		if (copy_str(t->ctrl_path, path_cap, v, n))
			return bad(err, errcap, opt, item, ilen, "path too long");
		return 0;
	case K_HOST:
		/* "[::1]" is how people write an IPv6 literal next to a port. */
		if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
			v++;
			n -= 2;
		}
		if (n == 0 || !host_ok(v, n))
			return bad(err, errcap, opt, item, ilen, "not a host name or address");
		if (copy_str(t->host, sizeof(t->host), v, n))
			return bad(err, errcap, opt, item, ilen, "host name too long");
		return 0;
	case K_PORT:
		/* The control / platform channel is port + 1, which must exist too. */
		if (parse_num(v, n, 1, 65534, &x))
			return bad(err, errcap, opt, item, ilen,
				   "port must be 1-65534 (port + 1 is the control channel)");
		t->port = (uint16_t)x;
		return 0;
	case K_TIMEOUT:
		if (parse_num(v, n, 1, MAX_TIMEOUT_MS, &x))
			return bad(err, errcap, opt, item, ilen,
				   "timeout must be milliseconds from 1 to 86400000");
		t->timeout_ms = (int)x;
		return 0;
	}
	return BTPM_E_CONFIG;
}

static int parse_kind(const char *s, size_t n, struct btpm_tcti *t, unsigned *allowed)
{
	if (n == 6 && !memcmp(s, "device", 6)) {
		t->kind = BTPM_TCTI_DEVICE;
		*allowed = K_PATH | K_TIMEOUT;
	} else if (n == 5 && !memcmp(s, "swtpm", 5)) {
		t->kind = BTPM_TCTI_SWTPM;
		*allowed = K_PATH | K_HOST | K_PORT | K_TIMEOUT | K_CTRL;
	} else if (n == 5 && !memcmp(s, "mssim", 5)) {
		t->kind = BTPM_TCTI_MSSIM;
		*allowed = K_HOST | K_PORT | K_TIMEOUT;
	} else {
		return -1;
	}
	return 0;
}

/* Options once parsed: combinations that cannot work, and the defaults. */
static int finish(struct btpm_tcti *t, unsigned seen, char *err, size_t errcap)
{
	if (t->kind == BTPM_TCTI_DEVICE) {
		if (!(seen & K_PATH))
			snprintf(t->path, sizeof(t->path), "%s", DEFAULT_DEVICE);
		return 0;
	}
	if ((seen & K_PATH) && (seen & (K_HOST | K_PORT))) {
		if (err && errcap)
			snprintf(err, errcap,
				 "TCTI: path= (a unix socket) excludes host= and port=");
		return BTPM_E_CONFIG;
	}
	if ((seen & K_CTRL) && !(seen & K_PATH)) {
		if (err && errcap)
			snprintf(err, errcap,
				 "TCTI: ctrl= needs path= (over TCP, control is port + 1)");
		return BTPM_E_CONFIG;
	}
	if (!(seen & K_PATH)) {
		if (!(seen & K_HOST))
			snprintf(t->host, sizeof(t->host), "%s", DEFAULT_HOST);
		if (!(seen & K_PORT))
			t->port = DEFAULT_PORT;
	}
	return 0;
}

int btpm_tcti_parse(const char *s, struct btpm_tcti *out, char *err, size_t errcap)
{
	static const char opt[] = "TCTI option";
	struct btpm_tcti t;
	unsigned allowed = 0, seen = 0;
	if (err && errcap)
		err[0] = 0;
	if (!s || !out) {
		if (err && errcap)
			snprintf(err, errcap, "TCTI: no configuration string");
		return BTPM_E_CONFIG;
	}
	size_t len = strnlen(s, MAX_TCTI + 1);
	if (len > MAX_TCTI) {
		if (err && errcap)
			snprintf(err, errcap, "TCTI string longer than %d bytes", MAX_TCTI);
		return BTPM_E_CONFIG;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			if (err && errcap)
				snprintf(err, errcap,
					 "TCTI string has a control character at offset %zu", i);
			return BTPM_E_CONFIG;
		}
	memset(&t, 0, sizeof(t));
	t.timeout_ms = BTPM_DEFAULT_TIMEOUT_MS;

	const char *colon = memchr(s, ':', len);
	size_t klen = colon ? (size_t)(colon - s) : len;
	if (parse_kind(s, klen, &t, &allowed)) {
		if (klen == 6 && !memcmp(s, "tabrmd", 6))
			return bad(err, errcap, "TCTI kind", s, klen,
				   "tpm2-abrmd is not supported; use device:/dev/tpmrm0");
		return bad(err, errcap, "TCTI kind", s, klen,
			   "unknown (expected device, swtpm or mssim)");
	}

	const char *p = colon ? colon + 1 : s + len, *end = s + len;
	/* "swtpm" and "swtpm:" both mean all defaults. */
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *ie = comma ? comma : end;
		size_t ilen = (size_t)(ie - p);
		if (ilen == 0)
			return bad(err, errcap, "TCTI", s, len, "empty option (stray comma)");
		const char *eq = memchr(p, '=', ilen);
		const char *v;
		size_t klen2, vlen;
		unsigned bit = 0;
		if (!eq) {
			/* tpm2-tss device syntax: the bare path, first and only once. */
			if (t.kind != BTPM_TCTI_DEVICE || p != colon + 1)
				return bad(err, errcap, opt, p, ilen, "expected key=value");
			bit = K_PATH;
			v = p;
			vlen = ilen;
		} else {
			klen2 = (size_t)(eq - p);
			v = eq + 1;
			vlen = (size_t)(ie - v);
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (strlen(keys[i].name) == klen2 &&
				    !memcmp(keys[i].name, p, klen2))
					bit = keys[i].bit;
			if (!(bit & allowed))
				return bad(err, errcap, opt, p, ilen,
					   bit ? "not valid for this TCTI kind" : "unknown key");
			if (vlen == 0)
				return bad(err, errcap, opt, p, ilen, "empty value");
		}
		if (seen & bit)
			return bad(err, errcap, opt, p, ilen, "given twice");
		seen |= bit;
		int rc = set_option(&t, bit, p, ilen, v, vlen, err, errcap);
		if (rc)
			return rc;
		p = comma ? comma + 1 : end;
		if (comma && p == end)
			return bad(err, errcap, "TCTI", s, len, "trailing comma");
	}
	int rc = finish(&t, seen, err, errcap);
	if (rc)
		return rc;
	*out = t;
	return 0;
}

int btpm_transport_open(const struct btpm_tcti *cfg, struct btpm_transport **out, char *err,
			size_t errcap)
{
	*out = NULL;
	switch (cfg->kind) {
	case BTPM_TCTI_DEVICE:
		return btpm_device_open(cfg, out, err, errcap);
	case BTPM_TCTI_SWTPM:
		return btpm_swtpm_open(cfg, out, err, errcap);
	case BTPM_TCTI_MSSIM:
		return btpm_mssim_open(cfg, out, err, errcap);
	}
	if (err && errcap)
		snprintf(err, errcap, "TCTI: unknown transport kind %d", (int)cfg->kind);
	return BTPM_E_CONFIG;
}

/*
 * The first configured TCTI: ours, then tpm2-pkcs11's, then tpm2-tools', so
 * a system set up for the tpm2-tss stack works unchanged; else the kernel's
 * resource manager, else the raw device. Returns a pointer into the
 * environment or a literal, never a buffer of ours.
 */
const char *btpm_tcti_default(const char **source)
{
	static const char *const vars[] = {"BARETPM_TCTI", "TPM2_PKCS11_TCTI", "TPM2TOOLS_TCTI"};
	const char *dummy;
	if (!source)
		source = &dummy;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			*source = vars[i];
			return v;
		}
	}
	*source = "default";
	if (access("/dev/tpmrm0", F_OK) == 0)
		return "device:/dev/tpmrm0";
	if (access("/dev/tpm0", F_OK) == 0)
		return "device:/dev/tpm0";
	return "device:/dev/tpmrm0";
}
