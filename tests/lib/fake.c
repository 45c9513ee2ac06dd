/* SPDX-License-Identifier: BSD-2-Clause */
#include "fake.h"

#include <ctype.h>
#include <string.h>

#include "baretpm.h"

static struct fake the_fake;

static int fake_transceive(struct btpm_transport *tr, const uint8_t *cmd, size_t cmd_len,
			   uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct fake *f = (struct fake *)tr;
	f->calls++;
	f->cmd_len = cmd_len < sizeof(f->cmd) ? cmd_len : sizeof(f->cmd);
	memcpy(f->cmd, cmd, f->cmd_len);
	unsigned i = f->next;
	if (i >= f->n_rsp) {
		if (!f->repeat_last || !f->n_rsp)
			return BTPM_E_CLOSED;
		i = f->n_rsp - 1;
	} else {
		f->next++;
	}
	if (f->rsp_err[i])
		return f->rsp_err[i];
	if (f->rsp_len[i] > rsp_cap)
		return BTPM_E_TOOBIG;
	memcpy(rsp, f->rsp[i], f->rsp_len[i]);
	*rsp_len = f->rsp_len[i];
	return 0;
}

static void fake_close(struct btpm_transport *tr)
{
	(void)tr;
}

struct fake *fake_new(void)
{
	memset(&the_fake, 0, sizeof(the_fake));
	the_fake.tr.transceive = fake_transceive;
	the_fake.tr.close = fake_close;
	the_fake.tr.timeout_ms = 1000;
	return &the_fake;
}

void fake_push(struct fake *f, const void *p, size_t n)
{
	if (f->n_rsp >= FAKE_MAX_RSP || n > sizeof(f->rsp[0]))
		return;
	memcpy(f->rsp[f->n_rsp], p, n);
	f->rsp_len[f->n_rsp] = n;
	f->rsp_err[f->n_rsp++] = 0;
}

size_t fake_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		if (isspace((unsigned char)*hex))
			continue;
		int v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower((unsigned char)*hex) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

void fake_push_hex(struct fake *f, const char *hex)
{
	uint8_t b[4096];
	fake_push(f, b, fake_hex(hex, b, sizeof(b)));
}

void fake_push_err(struct fake *f, int err)
{
	if (f->n_rsp >= FAKE_MAX_RSP)
		return;
	f->rsp_len[f->n_rsp] = 0;
	f->rsp_err[f->n_rsp++] = err;
}
