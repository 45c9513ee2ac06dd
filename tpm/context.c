/* SPDX-License-Identifier: BSD-2-Clause */
/* Opening and closing a client context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int btpm_open_transport(struct btpm **out, struct btpm_transport *tr, const char *tcti)
{
	if (!out || !tr)
		return BTPM_E_ARG;
	struct btpm *t = calloc(1, sizeof(*t));
	if (!t) {
		tr->close(tr);
		return BTPM_E_NOMEM;
	}
	t->tr = tr;
	snprintf(t->tcti, sizeof(t->tcti), "%s", tcti ? tcti : "custom");
	btpm_params(t);
	*out = t;
	return 0;
}

int btpm_open(struct btpm **out, const char *tcti, char *err, size_t errcap)
{
	struct btpm_tcti cfg;
	struct btpm_transport *tr = NULL;
	char why[BTPM_TRANSPORT_DETAIL] = "";
	if (err && errcap)
		err[0] = 0;
	if (!out)
		return BTPM_E_ARG;
	*out = NULL;
	if (!tcti)
		tcti = btpm_tcti_default(NULL);
	int rc = btpm_tcti_parse(tcti, &cfg, why, sizeof(why));
	if (!rc)
		rc = btpm_transport_open(&cfg, &tr, why, sizeof(why));
	if (!rc)
		rc = btpm_open_transport(out, tr, tcti);
	if (rc && err && errcap)
		snprintf(err, errcap, "%s", why[0] ? why : btpm_rc_name(rc));
	return rc;
}

void btpm_close(struct btpm *t)
{
	if (!t)
		return;
	if (t->tr)
		t->tr->close(t->tr);
	free(t);
}

const char *btpm_tcti(const struct btpm *t)
{
	return t ? t->tcti : "";
}

unsigned long btpm_commands_sent(const struct btpm *t)
{
	return t ? t->sent : 0;
}

unsigned long btpm_commands_retried(const struct btpm *t)
{
	return t ? t->retries : 0;
}

int btpm_flushes_on_close(const struct btpm *t)
{
	return t && t->tr && t->tr->flushes_on_close;
}

void btpm_hold(struct btpm *t, int on)
{
	if (t && t->tr && t->tr->hold)
		t->tr->hold(t->tr, on);
}

int btpm_sim_power_on(struct btpm *t)
{
	if (!t)
		return BTPM_E_ARG;
	if (!t->tr->power_on) {
		btpm_set_detail(t, "%s is not a simulator; it has no power control", t->tcti);
		return BTPM_E_UNSUPPORTED;
	}
	return t->tr->power_on(t->tr);
}
