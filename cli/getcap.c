/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * baretpm getcap: TPM2_GetCapability (Part 3, 30.2), printed byte for byte as
 * tpm2-tools 5.4's `tpm2_getcap WORD` prints it, so that guides written for
 * tpm2-tools (and scripts that parse its YAML-like output) work unchanged.
 * Where tpm2-tools has quirks (a decimal TPM2_PT_LEVEL, unknown variable
 * properties named after their value, string trimming that stops early), we
 * reproduce them: matching is the point of this verb.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum kind { FIXED, VARIABLE, ALGS, COMMANDS, CURVES, PCRS, HANDLES };

struct word {
	const char *word;
	enum kind kind;
	uint32_t first; /* the property (or handle) to start from */
	uint32_t last;  /* stop reading beyond this one: nothing after it is printed */
	uint32_t max;   /* the most entries tpm2-tools collects (see fetch()) */
	const char *what;
};

/*
 * tpm2_getcap collects at most as many entries as fit its fixed arrays:
 * TPM2_MAX_CAP_DATA (1016 bytes) over the C size of one entry; and never more
 * than we can hold.
 */
#define MAX_ALGS 127    /* TPMS_ALG_PROPERTY, 8 bytes with padding */
#define MAX_PROPS 127   /* TPMS_TAGGED_PROPERTY */
#define MAX_HANDLES 254 /* TPM_HANDLE */
#define MAX_CC 256      /* MAX_CAP_CC */
#define MAX_CURVES (508 < BTPM_CAP_MAX ? 508 : BTPM_CAP_MAX)

/*
 * In the order `tpm2_getcap -l` lists them, each starting where tpm2-tools
 * starts (TPM2_ALG_FIRST, TPM2_CC_FIRST, TPM2_ECC_NIST_P192, the first handle
 * of each type: Part 2, 7.2). Fixed properties past the fixed group are never
 * printed, so we stop there; variable ones are read to the end, because
 * tpm2-tools prints any it does not know as "unknown..." lines.
 */
static const struct word words[] = {
	{"algorithms", ALGS, 0x0001, 0xFFFF, MAX_ALGS,
	 "algorithms and their TPMA_ALGORITHM attributes"},
	{"commands", COMMANDS, 0x011F, 0xFFFFFFFF, MAX_CC, "commands and their TPMA_CC attributes"},
	{"pcrs", PCRS, 0, 0, 0, "PCR banks and the PCRs allocated in each"},
	{"properties-fixed", FIXED, BTPM_PT_FIXED, 0x1FF, MAX_PROPS,
	 "fixed properties: manufacturer, firmware, limits"},
	{"properties-variable", VARIABLE, BTPM_PT_VAR, 0xFFFFFFFF, MAX_PROPS,
	 "variable properties: hierarchy and lockout state, counters"},
	{"ecc-curves", CURVES, 0x0001, 0xFFFF, MAX_CURVES, "ECC curves"},
	{"handles-transient", HANDLES, BTPM_HR_TRANSIENT, 0x80FFFFFF, MAX_HANDLES,
	 "loaded transient objects"},
	{"handles-persistent", HANDLES, BTPM_HR_PERSISTENT, 0x81FFFFFF, MAX_HANDLES,
	 "persistent objects"},
	{"handles-permanent", HANDLES, BTPM_HR_PERMANENT, 0x40FFFFFF, MAX_HANDLES,
	 "permanent handles (hierarchies, lockout, password session)"},
	{"handles-pcr", HANDLES, BTPM_HR_PCR, 0x00FFFFFF, MAX_HANDLES, "PCR handles"},
	{"handles-nv-index", HANDLES, BTPM_HR_NV_INDEX, 0x01FFFFFF, MAX_HANDLES,
	 "defined NV indices"},
	{"handles-loaded-session", HANDLES, BTPM_HR_HMAC_SESSION, 0x02FFFFFF, MAX_HANDLES,
	 "sessions loaded in the TPM"},
	{"handles-saved-session", HANDLES, BTPM_HR_POLICY_SESSION, 0x03FFFFFF, MAX_HANDLES,
	 "sessions saved out of the TPM (context saved)"},
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

/* The TPM_PT values this file formats specially (Part 2, 6.13). */
enum {
	PT_FAMILY_INDICATOR = BTPM_PT_FIXED + 0,
	PT_LEVEL = BTPM_PT_FIXED + 1,
	PT_REVISION = BTPM_PT_FIXED + 2,
	PT_VENDOR_STRING_4 = BTPM_PT_FIXED + 9,
	PT_MODES = BTPM_PT_FIXED + 45,
	PT_STARTUP_CLEAR = BTPM_PT_VAR + 1,
};

static const char *flag(uint32_t v, uint32_t mask)
{
	return v & mask ? "1" : "0";
}

/* isspace() of the C locale, which tpm2-tools uses to trim strings. */
static int blank(unsigned char b)
{
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r';
}

/*
 * A property that packs four characters into a UINT32, first character in
 * the most significant byte (Part 2, 6.13: TPM_PT_VENDOR_STRING_1 ...), as
 * tpm2-tools shows it: leading blanks dropped, then trailing blanks and NULs
 * dropped, but the tail is never cut below as many bytes as there were
 * leading blanks; printing stops at an embedded NUL.
 */
static void quad_string(uint32_t v, char out[5])
{
	const unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
				    (unsigned char)(v >> 8), (unsigned char)v};
	unsigned lead = 0;
	while (lead < 4 && blank(b[lead]))
		lead++;
	unsigned len = 4 - lead;
	while (len > lead && (b[lead + len - 1] == 0 || blank(b[lead + len - 1])))
		len--;
	memcpy(out, b + lead, len);
	out[len] = '\0';
}

/* TPMA_MODES (Part 2, 8.10): bit 0 FIPS_140_2; tpm2-tools flags any other bit. */
static void print_modes(uint32_t v)
{
	printf("TPM2_PT_MODES:\n  raw: 0x%X\n", (unsigned)v);
	if (v & 0x00000001u)
		printf("  value: TPMA_MODES_FIPS_140_2\n");
	if (v & 0xFFFFFFFEu)
		printf("  value: TPMA_MODES_RESERVED1 (these bits shouldn't be set)\n");
}

static void print_fixed(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++) {
		uint32_t p = d->u.props[i].property, v = d->u.props[i].value;
		const char *name = btpm_cli_pt_name(p);
		char s[5];
		if (!name || p >= BTPM_PT_VAR) /* tpm2-tools skips what it does not know */
			continue;
		if (p == PT_MODES) {
			print_modes(v);
			continue;
		}
		if (p == PT_LEVEL) { /* tpm2-tools prints the level as a signed decimal */
			printf("%s:\n  raw: %d\n", name, (int)v);
			continue;
		}
		printf("%s:\n  raw: 0x%X\n", name, (unsigned)v);
		if (p == PT_REVISION) {
			/* revision x 100 (Part 2, 6.13); single-precision, as tpm2-tools */
			printf("  value: %.2f\n", (double)((float)v / 100.0f));
		} else if (p == BTPM_PT_MANUFACTURER) {
			/* the four bytes as they are, up to the first NUL */
			const char m[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8),
					   (char)v};
			printf("  value: \"%.*s\"\n", 4, m);
		} else if (p == PT_FAMILY_INDICATOR ||
			   (p >= BTPM_PT_VENDOR_STRING_1 && p <= PT_VENDOR_STRING_4)) {
			quad_string(v, s);
			printf("  value: \"%s\"\n", s);
		}
	}
}

/* TPMA_PERMANENT (Part 2, 8.6) */
static void print_permanent(uint32_t v)
{
	printf("TPM2_PT_PERMANENT:\n");
	printf("  ownerAuthSet:              %s\n", flag(v, 1u << 0));
	printf("  endorsementAuthSet:        %s\n", flag(v, 1u << 1));
	printf("  lockoutAuthSet:            %s\n", flag(v, 1u << 2));
	printf("  reserved1:                 %s\n", flag(v, 0x000000F8u));
	printf("  disableClear:              %s\n", flag(v, 1u << 8));
	printf("  inLockout:                 %s\n", flag(v, 1u << 9));
	printf("  tpmGeneratedEPS:           %s\n", flag(v, 1u << 10));
	printf("  reserved2:                 %s\n", flag(v, 0xFFFFF800u));
}

/* TPMA_STARTUP_CLEAR (Part 2, 8.7) */
static void print_startup_clear(uint32_t v)
{
	printf("TPM2_PT_STARTUP_CLEAR:\n");
	printf("  phEnable:                  %s\n", flag(v, 1u << 0));
	printf("  shEnable:                  %s\n", flag(v, 1u << 1));
	printf("  ehEnable:                  %s\n", flag(v, 1u << 2));
	printf("  phEnableNV:                %s\n", flag(v, 1u << 3));
	printf("  reserved1:                 %s\n", flag(v, 0x7FFFFFF0u));
	printf("  orderly:                   %s\n", flag(v, 1u << 31));
}

static void print_variable(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++) {
		uint32_t p = d->u.props[i].property, v = d->u.props[i].value;
		const char *name = btpm_cli_pt_name(p);
		if (p == BTPM_PT_PERMANENT)
			print_permanent(v);
		else if (p == PT_STARTUP_CLEAR)
			print_startup_clear(v);
		else if (name && p >= BTPM_PT_VAR)
			printf("%s: 0x%X\n", name, (unsigned)v);
		else /* tpm2-tools names an unknown property after its value */
			printf("unknown%X: 0x%X\n", (unsigned)v, (unsigned)v);
	}
}

/* TPMS_ALG_PROPERTY with TPMA_ALGORITHM (Part 2, 8.2) */
static void print_algs(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++) {
		unsigned id = d->u.algs[i].alg;
		uint32_t a = d->u.algs[i].attributes;
		const char *name = btpm_cli_alg_name(id);
		if (name)
			printf("%s:\n", name);
		else
			printf("unknown%x:\n", id);
		printf("  value:      0x%X\n", id);
		printf("  asymmetric: %s\n", flag(a, 1u << 0));
		printf("  symmetric:  %s\n", flag(a, 1u << 1));
		printf("  hash:       %s\n", flag(a, 1u << 2));
		printf("  object:     %s\n", flag(a, 1u << 3));
		printf("  reserved:   0x%X\n", (unsigned)((a & 0xF0u) >> 4));
		printf("  signing:    %s\n", flag(a, 1u << 8));
		printf("  encrypting: %s\n", flag(a, 1u << 9));
		printf("  method:     %s\n", flag(a, 1u << 10));
	}
}

/* TPMA_CC (Part 2, 8.9); the name comes from commandIndex alone. */
static void print_commands(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++) {
		uint32_t a = d->u.commands[i];
		const char *name = btpm_cli_cc_name(a & 0xFFFFu);
		if (name)
			printf("%s:\n", name);
		else
			printf("0x%x:\n", (unsigned)a);
		printf("  value: 0x%X\n", (unsigned)a);
		printf("  commandIndex: 0x%x\n", (unsigned)(a & 0xFFFFu));
		printf("  reserved1:    0x%x\n", (unsigned)((a & 0x003F0000u) >> 16));
		printf("  nv:           %s\n", flag(a, 1u << 22));
		printf("  extensive:    %s\n", flag(a, 1u << 23));
		printf("  flushed:      %s\n", flag(a, 1u << 24));
		printf("  cHandles:     0x%x\n", (unsigned)((a & 0x0E000000u) >> 25));
		printf("  rHandle:      %s\n", flag(a, 1u << 28));
		printf("  V:            %s\n", flag(a, 1u << 29));
		printf("  Res:          0x%x\n", (unsigned)((a & 0xC0000000u) >> 30));
	}
}

static void print_curves(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++) {
		unsigned id = d->u.curves[i];
		const char *name = btpm_cli_curve_name(id);
		if (name)
			printf("%s: 0x%X\n", name, id);
		else
			printf("unknown%X: 0x%X\n", id, id);
	}
}

/* The hash algorithms tpm2-tools accepts as a PCR bank. */
static int is_hash(unsigned alg)
{
	switch (alg) {
	case 0x0004: /* SHA1 */
	case 0x000B: /* SHA256 */
	case 0x000C: /* SHA384 */
	case 0x000D: /* SHA512 */
	case 0x0012: /* SM3_256 */
	case 0x0027: /* SHA3_256 */
	case 0x0028: /* SHA3_384 */
	case 0x0029: /* SHA3_512 */
		return 1;
	}
	return 0;
}

/* TPML_PCR_SELECTION (Part 2, 10.9.7): one line per bank, PCR numbers ascending. */
static int print_pcrs(const struct btpm_capdata *d)
{
	printf("selected-pcrs:\n");
	for (uint32_t i = 0; i < d->count; i++) {
		const struct btpm_pcr_selection *s = &d->u.pcrs[i];
		if (!is_hash(s->hash)) {
			/* tpm2-tools stops here too, having printed the banks before */
			fprintf(stderr, "baretpm getcap: unsupported hash algorithm 0x%08x\n",
				(unsigned)s->hash);
			return BTPM_EXIT_FAIL;
		}
		printf("  - %s: [", btpm_cli_alg_name(s->hash));
		const char *sep = " ";
		for (unsigned j = 0; j < s->size_of_select * 8u; j++) {
			if (s->select[j / 8] & (1u << (j % 8))) {
				printf("%s%u", sep, j);
				sep = ", ";
			}
		}
		printf(" ]\n");
	}
	return BTPM_EXIT_OK;
}

static void print_handles(const struct btpm_capdata *d)
{
	for (uint32_t i = 0; i < d->count; i++)
		printf("- 0x%X\n", (unsigned)d->u.handles[i]);
}

static const struct word *find_word(const char *s)
{
	for (size_t i = 0; i < NWORDS; i++)
		if (!strcmp(words[i].word, s))
			return &words[i];
	return NULL;
}

/* "algorithms, commands, ..." for error messages. */
static const char *word_list(char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NWORDS && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", words[i].word);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static void help(void)
{
	printf("usage: baretpm [-T TCTI] getcap CAPABILITY\n"
	       "       baretpm getcap -l | --list\n\n"
	       "Print one TPM capability (TPM2_GetCapability) exactly as tpm2-tools'\n"
	       "`tpm2_getcap CAPABILITY` prints it. CAPABILITY is one of:\n\n");
	for (size_t i = 0; i < NWORDS; i++)
		printf("  %-23s %s\n", words[i].word, words[i].what);
	printf("\noptions:\n"
	       "  -l, --list   list the capability words (one per line, as tpm2_getcap -l)\n"
	       "  -h, --help   this text\n");
}

/* The ordering key of entry i: the request after it starts at key + 1. */
static uint32_t key_at(const struct btpm_capdata *d, uint32_t i)
{
	switch (d->capability) {
	case BTPM_CAP_ALGS:
		return d->u.algs[i].alg;
	case BTPM_CAP_COMMANDS:
		/* TPM_CC from TPMA_CC: commandIndex plus the vendor bit (Part 2, 8.9) */
		return d->u.commands[i] & 0x2000FFFFu;
	case BTPM_CAP_TPM_PROPERTIES:
		return d->u.props[i].property;
	case BTPM_CAP_ECC_CURVES:
		return d->u.curves[i];
	}
	return d->u.handles[i];
}

static void append(struct btpm_capdata *dst, const struct btpm_capdata *src, uint32_t i)
{
	uint32_t j = dst->count++;
	switch (src->capability) {
	case BTPM_CAP_ALGS:
		dst->u.algs[j] = src->u.algs[i];
		break;
	case BTPM_CAP_COMMANDS:
		dst->u.commands[j] = src->u.commands[i];
		break;
	case BTPM_CAP_TPM_PROPERTIES:
		dst->u.props[j] = src->u.props[i];
		break;
	case BTPM_CAP_ECC_CURVES:
		dst->u.curves[j] = src->u.curves[i];
		break;
	default:
		dst->u.handles[j] = src->u.handles[i];
		break;
	}
}

/*
 * The entries of one capability from w->first on, following moreData
 * (Part 3, 30.2) the way tpm2-tools does: each request asks for what is still
 * missing of w->max and starts after the last entry received, and collection
 * ends at w->max entries. Every round adds an entry or ends the loop, so a
 * TPM that keeps saying moreData cannot keep us here. (After a vendor command
 * tpm2-tools continues from the commandIndex without the vendor bit; we keep
 * the bit, as Part 2, 8.9 makes it part of the TPM_CC.)
 */
static int fetch(struct btpm *t, uint32_t cap, const struct word *w, struct btpm_capdata *out)
{
	struct btpm_capdata chunk;
	uint32_t property = w->first;
	int more;
	out->capability = cap;
	out->count = 0;
	do {
		int rc = btpm_get_capability(t, cap, property, w->max - out->count, &more, &chunk);
		if (rc)
			return rc;
		if (!chunk.count)
			more = 0;
		for (uint32_t i = 0; i < chunk.count && out->count < w->max; i++) {
			uint32_t k = key_at(&chunk, i);
			if (k > w->last || k == 0xFFFFFFFFu)
				more = 0;
			if (k > w->last)
				break;
			append(out, &chunk, i);
			property = k + 1;
		}
	} while (more && out->count < w->max);
	return 0;
}

static int read_and_print(struct btpm_cli *c, const struct word *w)
{
	static const uint32_t caps[] = {
		[FIXED] = BTPM_CAP_TPM_PROPERTIES, [VARIABLE] = BTPM_CAP_TPM_PROPERTIES,
		[ALGS] = BTPM_CAP_ALGS,		  [COMMANDS] = BTPM_CAP_COMMANDS,
		[CURVES] = BTPM_CAP_ECC_CURVES,	  [PCRS] = BTPM_CAP_PCRS,
		[HANDLES] = BTPM_CAP_HANDLES,
	};
	struct btpm_capdata d;
	int more, rc;
	if (w->kind == PCRS) /* one answer holds every bank; tpm2-tools asks for 127 */
		rc = btpm_get_capability(c->t, BTPM_CAP_PCRS, 0, MAX_PROPS, &more, &d);
	else
		rc = fetch(c->t, caps[w->kind], w, &d);
	if (rc) {
		char what[64];
		snprintf(what, sizeof(what), "reading %s", w->word);
		return btpm_cli_fail(c, "getcap", what, rc);
	}
	switch (w->kind) {
	case FIXED:
		print_fixed(&d);
		break;
	case VARIABLE:
		print_variable(&d);
		break;
	case ALGS:
		print_algs(&d);
		break;
	case COMMANDS:
		print_commands(&d);
		break;
	case CURVES:
		print_curves(&d);
		break;
	case PCRS:
		return print_pcrs(&d);
	case HANDLES:
		print_handles(&d);
		break;
	}
	return BTPM_EXIT_OK;
}

int btpm_cli_getcap(struct btpm_cli *c, int argc, char **argv)
{
	char all[400];
	const char *arg = NULL;
	int list = 0, options = 1;
	if (btpm_cli_wants_help(argc, argv)) {
		help();
		return BTPM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && !strcmp(a, "--"))
			options = 0;
		else if (options && (!strcmp(a, "-l") || !strcmp(a, "--list")))
			list = 1;
		else if (options && a[0] == '-' && a[1])
			return btpm_cli_usage_error("getcap", "unknown option '%s'", a);
		else if (arg)
			return btpm_cli_usage_error("getcap", "one capability at a time, got '%s' and '%s'",
						    arg, a);
		else
			arg = a;
	}
	if (list && arg)
		return btpm_cli_usage_error("getcap", "-l lists the capabilities; it takes none");
	if (list) {
		for (size_t i = 0; i < NWORDS; i++)
			printf("- %s\n", words[i].word);
		return BTPM_EXIT_OK;
	}
	if (!arg)
		return btpm_cli_usage_error("getcap", "which capability? one of: %s",
					    word_list(all, sizeof(all)));
	const struct word *w = find_word(arg);
	if (!w)
		return btpm_cli_usage_error("getcap", "unknown capability '%s'; one of: %s", arg,
					    word_list(all, sizeof(all)));
	int rc = btpm_cli_open(c);
	if (rc)
		return rc;
	return read_and_print(c, w);
}
