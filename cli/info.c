/* SPDX-License-Identifier: BSD-2-Clause */
/* baretpm info: a human summary of the TPM (Part 2, 6.13 TPM_PT). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define PT_FAMILY_INDICATOR (BTPM_PT_FIXED + 0)
#define PT_LEVEL (BTPM_PT_FIXED + 1)
#define PT_REVISION (BTPM_PT_FIXED + 2)
#define PT_DAY_OF_YEAR (BTPM_PT_FIXED + 3)
#define PT_YEAR (BTPM_PT_FIXED + 4)
#define PT_VENDOR_TPM_TYPE (BTPM_PT_FIXED + 10)
#define PT_HR_LOADED_MIN (BTPM_PT_FIXED + 15)
#define PT_HR_PERSISTENT_AVAIL (BTPM_PT_VAR + 9)
#define PT_STARTUP_CLEAR (BTPM_PT_VAR + 1)

/* TPMA_PERMANENT bits (Part 2, 8.6) */
#define PERM_OWNER_AUTH_SET (1u << 0)
#define PERM_ENDORSEMENT_AUTH_SET (1u << 1)
#define PERM_LOCKOUT_AUTH_SET (1u << 2)
#define PERM_IN_LOCKOUT (1u << 9)

static int find(const struct btpm_capdata *d, unsigned pt, unsigned *v)
{
	for (unsigned i = 0; i < d->count; i++)
		if (d->u.props[i].property == pt) {
			*v = d->u.props[i].value;
			return 1;
		}
	return 0;
}

/* A 32-bit property holding up to 4 ASCII characters; others become '.'. */
static void append_chars(char *out, size_t cap, unsigned v)
{
	size_t n = strlen(out);
	for (int shift = 24; shift >= 0 && n + 1 < cap; shift -= 8) {
		unsigned ch = (v >> shift) & 0xFF;
		if (!ch)
			continue;
		out[n++] = ch >= 0x20 && ch < 0x7F ? (char)ch : '.';
	}
	out[n] = 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = 0;
}

static const char *yes_no(unsigned v, unsigned bit)
{
	return v & bit ? "set" : "not set";
}

static void print_identity(const struct btpm_capdata *fx)
{
	unsigned v, v2;
	char text[64] = "";
	if (find(fx, BTPM_PT_MANUFACTURER, &v)) {
		append_chars(text, sizeof(text), v);
		trim(text);
		printf("manufacturer:   %s (0x%08x)\n", text, v);
	}
	text[0] = 0;
	for (unsigned i = 0; i < 4; i++)
		if (find(fx, BTPM_PT_VENDOR_STRING_1 + i, &v))
			append_chars(text, sizeof(text), v);
	trim(text);
	printf("model:          %s\n", text[0] ? text : "(not reported)");
	if (find(fx, BTPM_PT_FIRMWARE_VERSION_1, &v)) {
		if (!find(fx, BTPM_PT_FIRMWARE_VERSION_2, &v2))
			v2 = 0;
		/* The common reading: four 16-bit fields, most significant first. */
		printf("firmware:       %u.%u.%u.%u (0x%08x 0x%08x)\n", v >> 16, v & 0xFFFF,
		       v2 >> 16, v2 & 0xFFFF, v, v2);
	}
	text[0] = 0;
	if (find(fx, PT_FAMILY_INDICATOR, &v))
		append_chars(text, sizeof(text), v);
	unsigned level = 0, rev = 0, day = 0, year = 0;
	find(fx, PT_LEVEL, &level);
	find(fx, PT_REVISION, &rev);
	find(fx, PT_DAY_OF_YEAR, &day);
	find(fx, PT_YEAR, &year);
	printf("specification:  TPM %s, level %u, revision %u.%02u (%u, day %u)\n",
	       text[0] ? text : "?", level, rev / 100, rev % 100, year, day);
	if (find(fx, PT_VENDOR_TPM_TYPE, &v))
		printf("vendor type:    %u\n", v);
}

static void print_lockout(const struct btpm_capdata *var)
{
	unsigned counter = 0, max = 0, interval = 0, recovery = 0, perm = 0;
	int have = find(var, BTPM_PT_LOCKOUT_COUNTER, &counter) &
		   find(var, BTPM_PT_MAX_AUTH_FAIL, &max);
	find(var, BTPM_PT_LOCKOUT_INTERVAL, &interval);
	find(var, BTPM_PT_LOCKOUT_RECOVERY, &recovery);
	find(var, BTPM_PT_PERMANENT, &perm);
	int locked = (perm & PERM_IN_LOCKOUT) || (have && max && counter >= max);
	if (!have) {
		printf("lockout:        not reported by this TPM\n");
		return;
	}
	/* named as daparams sets them: --recovery, --lockout-recovery */
	printf("lockout:        %u of %u failed attempts; recovery %u s; lockout recovery %u s; %s\n",
	       counter, max, interval, recovery, locked ? "IN LOCKOUT" : "not in lockout");
	if (locked)
		printf("                keys and PINs protected against dictionary attacks are refused\n"
		       "                until one failure expires (%u s) or the lockout is reset with\n"
		       "                the lockout authorization\n",
		       interval);
	else if (max && counter + 1 == max)
		printf("                one more failed authorization locks the TPM out\n");
	printf("authorizations: owner %s, endorsement %s, lockout %s\n",
	       yes_no(perm, PERM_OWNER_AUTH_SET), yes_no(perm, PERM_ENDORSEMENT_AUTH_SET),
	       yes_no(perm, PERM_LOCKOUT_AUTH_SET));
}

static void print_ek_certs(const struct btpm_capdata *nv)
{
	size_t n;
	const struct btpm_ek_index *ek = btpm_ek_cert_indices(&n);
	int any = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < nv->count; j++)
			if (nv->u.handles[j] == ek[i].nv_index) {
				printf("%s%s at NV 0x%08x", any ? ", " : "EK certificates: ", ek[i].what,
				       (unsigned)ek[i].nv_index);
				any = 1;
			}
	printf(any ? " (baretpm ekcert)\n" : "EK certificates: none in NV\n");
}

int btpm_cli_info(struct btpm_cli *c, int argc, char **argv)
{
	if (btpm_cli_wants_help(argc, argv)) {
		printf("usage: baretpm [-T TCTI] info\n\n"
		       "Print what TPM this is (manufacturer, model, firmware, specification\n"
		       "revision), its dictionary-attack lockout state in words, and which EK\n"
		       "certificates its NV holds (three TPM2_GetCapability round trips).\n");
		return BTPM_EXIT_OK;
	}
	if (argc > 1)
		return btpm_cli_unexpected("info", argv[1]);
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	static const struct {
		unsigned cap, first, last;
		const char *what;
	} q[3] = {
		{BTPM_CAP_TPM_PROPERTIES, BTPM_PT_FIXED, BTPM_PT_FIXED + 0xFF, "fixed properties"},
		{BTPM_CAP_TPM_PROPERTIES, BTPM_PT_VAR, BTPM_PT_VAR + 0xFF, "variable properties"},
		{BTPM_CAP_HANDLES, BTPM_HR_NV_INDEX, BTPM_HR_NV_INDEX + 0xFFFFFF, "NV indices"},
	};
	struct btpm_capdata d[3];
	for (int i = 0; i < 3; i++) {
		rc = btpm_get_capability_all(c->t, q[i].cap, q[i].first, q[i].last, &d[i]);
		if (rc)
			return btpm_cli_fail(c, "info", q[i].what, rc);
	}
	printf("TPM:            %s\n", btpm_tcti(c->t));
	print_identity(&d[0]);
	print_lockout(&d[1]);
	print_ek_certs(&d[2]);
	return BTPM_EXIT_OK;
}
