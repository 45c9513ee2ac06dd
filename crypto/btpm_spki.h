/* SPDX-License-Identifier: BSD-2-Clause */
/* X.509 SubjectPublicKeyInfo of an EC public key (RFC 5480), for export to PEM/DER. */
#ifndef BTPM_SPKI_H
#define BTPM_SPKI_H

#include <stddef.h>
#include <stdint.h>

/*
 * The DER SubjectPublicKeyInfo of the point (x, y) on a TPM_ECC_CURVE
 * (NIST P-256 or P-384; coord_len must be its coordinate size):
 *   SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING 04||x||y }.
 * Returns 0, BTPM_E_ARG, BTPM_E_UNSUPPORTED for another curve, or
 * BTPM_E_TOOBIG (with *len set to the size needed) when cap is too small.
 * The point is not checked to lie on the curve.
 */
int btpm_ecc_spki_der(uint16_t curve, const uint8_t *x, const uint8_t *y, size_t coord_len,
		      uint8_t *out, size_t cap, size_t *len);

#endif
