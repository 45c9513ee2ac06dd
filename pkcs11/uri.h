/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7512 PKCS#11 URIs: the parts baretpm uses to name a token and a key. */
#ifndef BTPM_URI_H
#define BTPM_URI_H

#include <stddef.h>
#include <stdint.h>

#define BTPM_URI_TEXT 65 /* token / object labels (32 bytes) and other text, decoded */
#define BTPM_URI_ID 64

struct btpm_uri {
	char token[BTPM_URI_TEXT];        /* "token=" (CK_TOKEN_INFO label) */
	char serial[BTPM_URI_TEXT];       /* "serial=" */
	char manufacturer[BTPM_URI_TEXT]; /* "manufacturer=" */
	char model[BTPM_URI_TEXT];        /* "model=" */
	char object[BTPM_URI_TEXT];       /* "object=" (CKA_LABEL) */
	char type[16];                    /* "type=": public, private, cert, data, secret-key */
	uint8_t id[BTPM_URI_ID];          /* "id=" (CKA_ID), percent-decoded */
	size_t id_len;
	unsigned has; /* which of the above were present: BTPM_URI_HAS_* */
};

#define BTPM_URI_HAS_TOKEN 0x01u
#define BTPM_URI_HAS_SERIAL 0x02u
#define BTPM_URI_HAS_OBJECT 0x04u
#define BTPM_URI_HAS_ID 0x08u
#define BTPM_URI_HAS_TYPE 0x10u
#define BTPM_URI_HAS_MANUFACTURER 0x20u
#define BTPM_URI_HAS_MODEL 0x40u

/*
 * Parse "pkcs11:path-attributes[?query]" (RFC 7512, 2.3). Path attributes
 * are separated by ';', values percent-decoded; an attribute given twice, a
 * bad %XX escape, a value too long for its field or a text value with a NUL
 * is an error. Unknown path attributes (library-*, slot-*) and the whole
 * query (pin-value, module-path, ...) are accepted and ignored. Returns 0 or
 * -1 with a reason in err.
 */
int btpm_uri_parse(const char *s, struct btpm_uri *out, char *err, size_t errcap);

#endif
